package cache

// The article's usage example for CacheManager. The article leaves User and
// fetchUserFromDatabase to the reader; User is the article's users-program
// struct, and fetchUserFromDatabase is a stand-in database that tests can
// replace (it is a variable for that reason).

import (
	"context"
	"fmt"
	"time"
)

// User represents a cached user entity (as in the article's users program).
type User struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
}

// fetchUserFromDatabase is the slow path taken on a cache miss.
var fetchUserFromDatabase = func(userID int) (*User, error) {
	return &User{ID: userID, Name: fmt.Sprintf("db-user-%d", userID)}, nil
}

// Usage example
func GetUserFromCache(ctx context.Context, cache *CacheManager, userID int) (*User, error) {
	var user User
	key := fmt.Sprintf("user:%d", userID)
	if err := cache.Get(ctx, "users", key, &user); err != nil {
		// Not in cache, fetch from database
		return fetchUserFromDatabase(userID)
	}
	return &user, nil
}
