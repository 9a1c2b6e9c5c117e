// Command basic is the article's first program: connect, put one value into
// "my-cache-map", read it back.
//
// Differences from the article, forced by the test setup:
//   - the member address comes from $HZ_ADDR (the article hard-codes
//     127.0.0.1:5701); $HZ_CLUSTER, when set, names the cluster (the article
//     relies on the client default "dev").
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/hazelcast/hazelcast-go-client"
)

func main() {
	ctx := context.Background()
	// Create Hazelcast client configuration
	config := hazelcast.NewConfig()
	config.Cluster.Network.SetAddresses(os.Getenv("HZ_ADDR"))
	if name := os.Getenv("HZ_CLUSTER"); name != "" {
		config.Cluster.Name = name
	}
	// Create the client
	client, err := hazelcast.StartNewClientWithConfig(ctx, config)
	if err != nil {
		log.Fatalf("Failed to create Hazelcast client: %v", err)
	}
	defer client.Shutdown(ctx)
	// Get a distributed map
	distributedMap, err := client.GetMap(ctx, "my-cache-map")
	if err != nil {
		log.Fatalf("Failed to get map: %v", err)
	}
	// Put a value
	_, err = distributedMap.Put(ctx, "user:1001", "John Doe")
	if err != nil {
		log.Fatalf("Failed to put value: %v", err)
	}
	// Get a value
	value, err := distributedMap.Get(ctx, "user:1001")
	if err != nil {
		log.Fatalf("Failed to get value: %v", err)
	}
	fmt.Printf("Retrieved value: %v\n", value)
}
