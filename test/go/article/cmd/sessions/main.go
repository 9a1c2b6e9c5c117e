// Command sessions is the article's "User Session Cache": the SessionManager
// type with CreateSession, ValidateSession and RevokeSession, plus a main
// (the article has none) that drives one session through its life.
//
// Differences from the article, forced by the real client or by the tests:
//   - hazelcast-go-client v1.4.2 has no Map.PutWithOptions and no
//     types.PutOptions; CreateSession uses Map.PutWithTTL(ctx, id, user, ttl),
//     which sends the same request (Map.Put with a ttl).
//   - SessionData is kept exactly as in the article. The v1.4.2 client has
//     no serializer registered for it, so it falls back to its gob
//     serializer (type id -140); Get decodes it back to a SessionData value,
//     so the article's `value.(SessionData)` assertion works unchanged. Such
//     values can only be read by Go clients.
//   - main is added: it reads the member address from $HZ_ADDR and the
//     cluster name from $HZ_CLUSTER, and sends the standard logger to stdout
//     without timestamps so that the article's log lines can be compared
//     exactly.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
)

type SessionData struct {
	UserID    int
	Username  string
	Email     string
	Role      string
	ExpiresAt time.Time
}

type SessionManager struct {
	cache *hazelcast.Map
}

func NewSessionManager(ctx context.Context, client *hazelcast.Client) (*SessionManager, error) {
	cache, err := client.GetMap(ctx, "sessions")
	if err != nil {
		return nil, err
	}
	return &SessionManager{cache: cache}, nil
}

func (sm *SessionManager) CreateSession(ctx context.Context, sessionID string, user SessionData) error {
	ttl := 30 * time.Minute
	_, err := sm.cache.PutWithTTL(ctx, sessionID, user, ttl)
	if err != nil {
		return fmt.Errorf("failed to create session: %w", err)
	}
	log.Printf("✓ Session created: %s for user %s", sessionID, user.Username)
	return nil
}

func (sm *SessionManager) ValidateSession(ctx context.Context, sessionID string) (*SessionData, error) {
	value, err := sm.cache.Get(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("session validation failed: %w", err)
	}
	if value == nil {
		return nil, fmt.Errorf("session not found or expired: %s", sessionID)
	}
	session := value.(SessionData)
	log.Printf("✓ Session validated for user: %s", session.Username)
	return &session, nil
}

func (sm *SessionManager) RevokeSession(ctx context.Context, sessionID string) error {
	_, err := sm.cache.Remove(ctx, sessionID)
	if err != nil {
		return fmt.Errorf("failed to revoke session: %w", err)
	}
	log.Printf("✓ Session revoked: %s", sessionID)
	return nil
}

func main() {
	log.SetOutput(os.Stdout)
	log.SetFlags(0)
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
	sm, err := NewSessionManager(ctx, client)
	if err != nil {
		log.Fatalf("Failed to get sessions map: %v", err)
	}
	sessionID := "sess:alice-1"
	user := SessionData{
		UserID:    1001,
		Username:  "alice",
		Email:     "alice@example.com",
		Role:      "admin",
		ExpiresAt: time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC),
	}
	if err := sm.CreateSession(ctx, sessionID, user); err != nil {
		log.Fatal(err)
	}
	session, err := sm.ValidateSession(ctx, sessionID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Session data: %d %s %s %s %s\n", session.UserID, session.Username,
		session.Email, session.Role, session.ExpiresAt.Format(time.RFC3339))
	if err := sm.RevokeSession(ctx, sessionID); err != nil {
		log.Fatal(err)
	}
	if _, err := sm.ValidateSession(ctx, sessionID); err != nil {
		fmt.Printf("After revoke: %v\n", err)
	} else {
		fmt.Println("After revoke: session still valid")
	}
}
