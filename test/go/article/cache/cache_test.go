package cache

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"memgrid.test/go/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// newManager starts (or reuses) a member with the article's configuration,
// whose cluster is named "dev", so the article's NewCacheManager connects
// without any change.
func newManager(t *testing.T) *CacheManager {
	t.Helper()
	m := harness.Start(t, harness.ArticleOptions())
	cm, err := NewCacheManager(m.Addr)
	if err != nil {
		t.Fatalf("NewCacheManager(%s): %v", m.Addr, err)
	}
	t.Cleanup(func() { _ = cm.Close() })
	return cm
}

// countDB replaces the stand-in database for the test and counts its calls.
func countDB(t *testing.T) *int32 {
	var calls int32
	saved := fetchUserFromDatabase
	fetchUserFromDatabase = func(userID int) (*User, error) {
		atomic.AddInt32(&calls, 1)
		return saved(userID)
	}
	t.Cleanup(func() { fetchUserFromDatabase = saved })
	return &calls
}

func TestGetUserFromCacheHitAndMiss(t *testing.T) {
	cm := newManager(t)
	calls := countDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	created := time.Date(2024, time.May, 6, 7, 8, 9, 0, time.UTC)
	alice := User{ID: 5001, Name: "Alice Johnson", Email: "alice@example.com", CreatedAt: created}
	if err := cm.Set(ctx, "users", "user:5001", alice, 10*time.Minute); err != nil {
		t.Fatalf("Set: %v", err)
	}
	t.Cleanup(func() { _ = cm.Delete(context.Background(), "users", "user:5001") })

	got, err := GetUserFromCache(ctx, cm, 5001)
	if err != nil {
		t.Fatal(err)
	}
	if *got != alice || atomic.LoadInt32(calls) != 0 {
		t.Fatalf("cache hit: got %+v (db calls %d); want %+v from the cache", *got, *calls, alice)
	}

	// A user that was never cached falls back on the database.
	got, err = GetUserFromCache(ctx, cm, 5002)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "db-user-5002" || atomic.LoadInt32(calls) != 1 {
		t.Fatalf("cache miss: got %+v (db calls %d); want the database's user", *got, *calls)
	}

	// After Delete the cached user is gone and the database answers again.
	if err := cm.Delete(ctx, "users", "user:5001"); err != nil {
		t.Fatal(err)
	}
	got, err = GetUserFromCache(ctx, cm, 5001)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "db-user-5001" || atomic.LoadInt32(calls) != 2 {
		t.Fatalf("after Delete: got %+v (db calls %d); want the database's user", *got, *calls)
	}
}

func TestCacheManagerGetErrors(t *testing.T) {
	cm := newManager(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var u User
	err := cm.Get(ctx, "users", "user:no-such-user", &u)
	if err == nil || err.Error() != "key not found: user:no-such-user" {
		t.Fatalf("Get of a missing key: %v; want \"key not found: user:no-such-user\"", err)
	}
	// A value that is not JSON for the destination is reported as such.
	if err := cm.Set(ctx, "users", "user:not-a-user", []int{1, 2}, time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cm.Delete(context.Background(), "users", "user:not-a-user") })
	err = cm.Get(ctx, "users", "user:not-a-user", &u)
	if err == nil || !strings.HasPrefix(err.Error(), "failed to unmarshal:") {
		t.Fatalf("Get into the wrong type: %v; want a \"failed to unmarshal\" error", err)
	}
}

// TestCacheManagerTTL: a value Set with a 2 s TTL is served from the cache at
// once and, after it expires, GetUserFromCache falls back on the database.
func TestCacheManagerTTL(t *testing.T) {
	cm := newManager(t)
	calls := countDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bob := User{ID: 5003, Name: "Bob", Email: "bob@example.com"}
	start := time.Now()
	if err := cm.Set(ctx, "users", "user:5003", bob, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	got, err := GetUserFromCache(ctx, cm, 5003)
	if err != nil || got.Name != "Bob" || atomic.LoadInt32(calls) != 0 {
		t.Fatalf("right after Set: %+v, %v (db calls %d); want Bob from the cache", got, err, *calls)
	}
	ok, why := harness.Eventually(12*time.Second, 100*time.Millisecond, func() (bool, string) {
		var u User
		err := cm.Get(ctx, "users", "user:5003", &u)
		if err != nil && strings.HasPrefix(err.Error(), "key not found") {
			return true, ""
		}
		return false, "still cached"
	})
	if !ok {
		t.Fatalf("value with 2 s TTL still cached after 12 s: %s", why)
	}
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Errorf("value with 2 s TTL gone after only %v", el)
	}
	got, err = GetUserFromCache(ctx, cm, 5003)
	if err != nil || got.Name != "db-user-5003" {
		t.Fatalf("after expiry: %+v, %v; want the database's user", got, err)
	}
}
