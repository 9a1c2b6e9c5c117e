package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"memgrid.test/go/article/cache"
	"memgrid.test/go/harness"
)

// TestArticleOnThreeMembers runs the article's programs (article/cmd/*)
// and its caching layer (article/cache) against a 3-member cluster with the
// article's map configuration (harness.ArticleOptions; the article's
// hazelcast.yaml describes a 3-member tcp-ip cluster), then checks the
// article's resilience claim: a member crashes and the cached data stays.
//
// The programs take one member address ($HZ_ADDR, see article/README.md),
// so each runs bootstrapped from a different member and discovers the
// others (smart routing); the article's CacheManager takes an address list
// and gets all three.
func TestArticleOnThreeMembers(t *testing.T) {
	opts := harness.ArticleOptions()
	c := harness.StartCluster(t, harness.ClusterOptions{Name: opts.ClusterName, Size: 3, Maps: opts.Maps})
	ctx := harness.Context(t, testLimit)
	client, view := c.NewClient(t)
	c.WaitMembers(t, view, all(c)...)

	users, err := client.GetMap(ctx, "users")
	if err != nil {
		t.Fatal(err)
	}
	// The users program prints the map's size: start from an empty map.
	if err := users.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	programs := []struct {
		name string
		slot int
		want []string
	}{
		{"basic", 0, []string{"Retrieved value: John Doe"}},
		{"users", 1, []string{
			"✓ User cached successfully",
			"✓ Retrieved from cache: Alice Johnson ([email protected])",
			"✓ Cache size: 1 entries",
			"✓ Entry removed from cache",
		}},
		{"sessionttl", 2, []string{
			"✓ Session cached with 5-minute TTL",
			"✓ Retrieved immediately: authenticated_user_data",
			"✓ After 2 seconds: authenticated_user_data",
		}},
		{"sessions", 1, []string{
			"✓ Session created: sess:alice-1 for user alice",
			"✓ Session validated for user: alice",
			"Session data: 1001 alice alice@example.com admin 2030-01-02T03:04:05Z",
			"✓ Session revoked: sess:alice-1",
			"After revoke: session not found or expired: sess:alice-1",
		}},
	}
	for _, p := range programs {
		m := c.Members[p.slot]
		t.Run(fmt.Sprintf("%s-via-slot%d", p.name, p.slot), func(t *testing.T) {
			bin := harness.BuildProgram(t, "memgrid.test/go/article/cmd/"+p.name)
			stdout, stderr, err := harness.RunProgram(t, bin, m.AsMember(), 90*time.Second)
			if err != nil {
				t.Fatalf("program %s with HZ_ADDR=%s failed: %v\nstdout:\n%s\nstderr:\n%s", p.name, m.Addr, err, stdout, stderr)
			}
			got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			if len(got) != len(p.want) {
				t.Fatalf("program %s printed %d lines, want %d\ngot:\n%s\nwant:\n%s\nstderr:\n%s",
					p.name, len(got), len(p.want), stdout, strings.Join(p.want, "\n"), stderr)
			}
			for i := range p.want {
				if got[i] != p.want[i] {
					t.Errorf("program %s line %d:\n got  %q\n want %q", p.name, i+1, got[i], p.want[i])
				}
			}
		})
	}

	// What the programs left, seen by a client of all three members.
	basic, err := client.GetMap(ctx, "my-cache-map")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := basic.Get(ctx, "user:1001"); err != nil || v != "John Doe" {
		t.Errorf(`after the basic program, my-cache-map Get("user:1001") = %#v, %v; want "John Doe"`, v, err)
	}
	if n, err := users.Size(ctx); err != nil || n != 0 {
		t.Errorf("after the users program, users Size = %d, %v; want 0", n, err)
	}
	sessions, err := client.GetMap(ctx, "sessions")
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := sessions.GetEntryView(ctx, "sess:12345"); err != nil || ev == nil {
		t.Errorf("after the sessionttl program, GetEntryView(sess:12345) = %v, %v; want an entry", ev, err)
	} else if ev.TTL != 300000 || ev.MaxIdle != 300000 {
		t.Errorf("sess:12345 ttl=%d maxIdle=%d; want 300000 and 300000 ms (put with a 5 min TTL; sessions max-idle 300 s)", ev.TTL, ev.MaxIdle)
	}

	// The article's caching layer, given every member's address.
	cm, err := cache.NewCacheManager(c.Addrs()...)
	if err != nil {
		t.Fatalf("NewCacheManager(%v): %v", c.Addrs(), err)
	}
	t.Cleanup(func() { _ = cm.Close() })
	const nUsers = 200
	created := time.Date(2024, time.May, 6, 7, 8, 9, 0, time.UTC)
	userOf := func(id int) cache.User {
		return cache.User{ID: id, Name: fmt.Sprintf("Cached User %d", id), Email: fmt.Sprintf("u%d@example.com", id), CreatedAt: created}
	}
	for id := 1; id <= nUsers; id++ {
		if err := cm.Set(ctx, "users", fmt.Sprintf("user:%d", id), userOf(id), 10*time.Minute); err != nil {
			t.Fatalf("CacheManager.Set(user:%d): %v", id, err)
		}
	}
	checkUsers := func(when string) {
		t.Helper()
		var bad []string
		for id := 1; id <= nUsers; id++ {
			var u cache.User
			if err := cm.Get(ctx, "users", fmt.Sprintf("user:%d", id), &u); err != nil {
				bad = append(bad, fmt.Sprintf("Get(user:%d): %v", id, err))
				continue
			}
			if u != userOf(id) {
				bad = append(bad, fmt.Sprintf("Get(user:%d) = %+v", id, u))
				continue
			}
			got, err := cache.GetUserFromCache(ctx, cm, id)
			if err != nil || *got != userOf(id) {
				bad = append(bad, fmt.Sprintf("GetUserFromCache(%d) = %+v, %v (db-user-N means it missed the cache)", id, got, err))
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s: %d of %d cached users not served from the cache%s", when, len(bad), nUsers, sample("users", bad, 10))
		}
	}
	checkUsers("3 members")
	if got, err := cache.GetUserFromCache(ctx, cm, nUsers+1); err != nil || got.Name != fmt.Sprintf("db-user-%d", nUsers+1) {
		t.Errorf("GetUserFromCache of an uncached user = %+v, %v; want the database's user", got, err)
	}

	// "If a member crashes, your data isn't lost."
	t.Logf("kill -9 member slot 1 (%s)", c.Members[1].Addr)
	c.Members[1].Kill(t)
	c.WaitMembers(t, view, 0, 2)
	checkUsers("after member slot 1 crashed")
	if v, err := basic.Get(ctx, "user:1001"); err != nil || v != "John Doe" {
		t.Errorf(`after member slot 1 crashed, my-cache-map Get("user:1001") = %#v, %v; want "John Doe"`, v, err)
	}
	if n, err := users.Size(ctx); err != nil || n != nUsers {
		t.Errorf("after member slot 1 crashed, users Size = %d, %v; want %d", n, err, nUsers)
	}
}
