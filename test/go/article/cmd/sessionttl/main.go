// Command sessionttl is the article's TTL program: a session string put into
// "sessions" with a 5-minute TTL, read at once and again after 2 seconds.
//
// Differences from the article, forced by the real client:
//   - hazelcast-go-client v1.4.2 has no Map.PutWithOptions and no
//     types.PutOptions; the same request (Map.Put with a ttl) is made by
//     Map.PutWithTTL(ctx, key, value, ttl).
//   - the member address comes from $HZ_ADDR (the article hard-codes
//     127.0.0.1:5701); $HZ_CLUSTER, when set, names the cluster.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
)

func main() {
	ctx := context.Background()
	config := hazelcast.NewConfig()
	config.Cluster.Network.SetAddresses(os.Getenv("HZ_ADDR"))
	if name := os.Getenv("HZ_CLUSTER"); name != "" {
		config.Cluster.Name = name
	}
	client, err := hazelcast.StartNewClientWithConfig(ctx, config)
	if err != nil {
		log.Fatalf("Failed to create client: %v", err)
	}
	defer client.Shutdown(ctx)
	sessionCache, _ := client.GetMap(ctx, "sessions")
	// Put data with TTL: 5 minutes
	sessionID := "sess:12345"
	sessionData := "authenticated_user_data"
	_, err = sessionCache.PutWithTTL(ctx, sessionID, sessionData, 5*time.Minute)
	if err != nil {
		log.Fatalf("Failed to put session: %v", err)
	}
	fmt.Println("✓ Session cached with 5-minute TTL")
	// Immediately retrieve it
	value, _ := sessionCache.Get(ctx, sessionID)
	fmt.Printf("✓ Retrieved immediately: %v\n", value)
	// Simulate waiting and checking if it expired
	time.Sleep(2 * time.Second)
	value, _ = sessionCache.Get(ctx, sessionID)
	fmt.Printf("✓ After 2 seconds: %v\n", value)
	// Now imagine waiting 5+ minutes in production
	// The entry would automatically be removed by Hazelcast
}
