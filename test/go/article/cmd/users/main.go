// Command users is the article's "users" program: a User struct cached as a
// JSON string, read back, size checked, removed.
//
// Differences from the article, forced by the test setup:
//   - the member address comes from $HZ_ADDR (the article lists
//     127.0.0.1:5701 and 127.0.0.1:5702); $HZ_CLUSTER, when set, names the
//     cluster.
//   - the e-mail literal is kept byte for byte as the article prints it
//     ("[email protected]", an address-obfuscation artefact of the page the
//     article was copied from); it is only a string, so nothing depends on it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
)

// User represents a cached user entity
type User struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
}

func main() {
	ctx := context.Background()
	// Initialize client
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
	// Get the user cache map
	userCache, err := client.GetMap(ctx, "users")
	if err != nil {
		log.Fatalf("Failed to get map: %v", err)
	}
	// Create a user
	user := User{
		ID:        1001,
		Name:      "Alice Johnson",
		Email:     "[email protected]",
		CreatedAt: time.Now(),
	}
	// Serialize and cache
	userData, _ := json.Marshal(user)
	_, err = userCache.Put(ctx, fmt.Sprintf("user:%d", user.ID), string(userData))
	if err != nil {
		log.Fatalf("Failed to cache user: %v", err)
	}
	fmt.Println("✓ User cached successfully")
	// Retrieve from cache
	cachedData, err := userCache.Get(ctx, "user:1001")
	if err != nil {
		log.Fatalf("Failed to retrieve user: %v", err)
	}
	var cachedUser User
	json.Unmarshal([]byte(cachedData.(string)), &cachedUser)
	fmt.Printf("✓ Retrieved from cache: %s (%s)\n", cachedUser.Name, cachedUser.Email)
	// Check cache size
	size, err := userCache.Size(ctx)
	if err != nil {
		log.Fatalf("Failed to get cache size: %v", err)
	}
	fmt.Printf("✓ Cache size: %d entries\n", size)
	// Clear specific entry
	_, err = userCache.Remove(ctx, "user:1001")
	if err != nil {
		log.Fatalf("Failed to remove entry: %v", err)
	}
	fmt.Println("✓ Entry removed from cache")
}
