// Acceptance tests: the article's programs (article/cmd/*) run against the
// member under test, with the article's map configuration (map.default and
// map.sessions of its hazelcast.yaml), and their output is compared line by
// line. See README.md for what differs from the article and why.
package article

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"

	"memgrid.test/go/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	programLimit = 90 * time.Second
	maxMillis    = math.MaxInt64 // what a member reports for "no ttl / no max-idle"
)

func start(t *testing.T) (*harness.Member, *hazelcast.Client) {
	t.Helper()
	m := harness.Start(t, harness.ArticleOptions())
	return m, m.NewClient(t)
}

func getMap(t *testing.T, c *hazelcast.Client, name string) *hazelcast.Map {
	t.Helper()
	mp, err := c.GetMap(harness.Context(t, 30*time.Second), name)
	if err != nil {
		t.Fatalf("GetMap(%q): %v", name, err)
	}
	return mp
}

// runProgram builds and runs article/cmd/<name> and checks that its stdout
// is exactly want, line by line.
func runProgram(t *testing.T, m *harness.Member, name string, want []string) {
	t.Helper()
	bin := harness.BuildProgram(t, "memgrid.test/go/article/cmd/"+name)
	stdout, stderr, err := harness.RunProgram(t, bin, m, programLimit)
	if err != nil {
		t.Fatalf("program %s failed: %v\nstdout:\n%s\nstderr:\n%s", name, err, stdout, stderr)
	}
	got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("program %s printed %d lines, want %d\ngot:\n%s\nwant:\n%s\nstderr:\n%s",
			name, len(got), len(want), stdout, strings.Join(want, "\n"), stderr)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("program %s line %d:\n got  %q\n want %q", name, i+1, got[i], want[i])
		}
	}
	if t.Failed() {
		t.Logf("stderr of %s:\n%s", name, stderr)
	}
}

func TestBasicProgram(t *testing.T) {
	m, c := start(t)
	runProgram(t, m, "basic", []string{"Retrieved value: John Doe"})
	// The value is really in the member, visible to another client.
	ctx := harness.Context(t, 30*time.Second)
	v, err := getMap(t, c, "my-cache-map").Get(ctx, "user:1001")
	if err != nil || v != "John Doe" {
		t.Fatalf(`after the program, Get("user:1001") = %#v, %v; want "John Doe"`, v, err)
	}
}

func TestUsersProgram(t *testing.T) {
	m, c := start(t)
	ctx := harness.Context(t, 30*time.Second)
	users := getMap(t, c, "users")
	// The program prints the map's size; start from an empty map.
	if err := users.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	runProgram(t, m, "users", []string{
		"✓ User cached successfully",
		"✓ Retrieved from cache: Alice Johnson ([email protected])",
		"✓ Cache size: 1 entries",
		"✓ Entry removed from cache",
	})
	if ok, err := users.ContainsKey(ctx, "user:1001"); err != nil || ok {
		t.Fatalf("after the program, ContainsKey(user:1001) = %v, %v; want false", ok, err)
	}
	if n, err := users.Size(ctx); err != nil || n != 0 {
		t.Fatalf("after the program, Size = %d, %v; want 0", n, err)
	}
}

func TestSessionTTLProgram(t *testing.T) {
	m, c := start(t)
	ctx := harness.Context(t, 30*time.Second)
	sessions := getMap(t, c, "sessions")
	if _, err := sessions.Remove(ctx, "sess:12345"); err != nil {
		t.Fatal(err)
	}
	runProgram(t, m, "sessionttl", []string{
		"✓ Session cached with 5-minute TTL",
		"✓ Retrieved immediately: authenticated_user_data",
		"✓ After 2 seconds: authenticated_user_data",
	})
	// The per-entry TTL (5 min) replaces the map's 1800 s; the map's
	// max-idle (300 s) still applies because the put carried none.
	ev, err := sessions.GetEntryView(ctx, "sess:12345")
	if err != nil || ev == nil {
		t.Fatalf("GetEntryView(sess:12345) = %v, %v; want an entry", ev, err)
	}
	if ev.TTL != 300000 || ev.MaxIdle != 300000 {
		t.Errorf("sess:12345 ttl=%d maxIdle=%d; want 300000 and 300000 (ms)", ev.TTL, ev.MaxIdle)
	}
}

func TestSessionManagerProgram(t *testing.T) {
	m, _ := start(t)
	runProgram(t, m, "sessions", []string{
		"✓ Session created: sess:alice-1 for user alice",
		"✓ Session validated for user: alice",
		"Session data: 1001 alice alice@example.com admin 2030-01-02T03:04:05Z",
		"✓ Session revoked: sess:alice-1",
		"After revoke: session not found or expired: sess:alice-1",
	})
}

// TestShortTTLExpires: an entry put with a 2 s TTL is readable at once and
// gone once it expires. TTLs are kept in whole seconds and expiry times are
// truncated to the second, so the entry may go up to 1 s early: it must
// live at least 1 s and be gone well within 2 s + slack.
func TestShortTTLExpires(t *testing.T) {
	_, c := start(t)
	ctx := harness.Context(t, 60*time.Second)
	mp := getMap(t, c, harness.MapName(t))
	put := time.Now()
	if _, err := mp.PutWithTTL(ctx, "short", "lived", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if v, err := mp.Get(ctx, "short"); err != nil || v != "lived" {
		t.Fatalf("Get right after PutWithTTL(2s) = %#v, %v; want \"lived\"", v, err)
	}
	var goneAfter time.Duration
	ok, why := harness.Eventually(12*time.Second, 50*time.Millisecond, func() (bool, string) {
		v, err := mp.Get(ctx, "short")
		if err != nil {
			return false, err.Error()
		}
		if v == nil {
			goneAfter = time.Since(put)
			return true, ""
		}
		return false, "still present"
	})
	if !ok {
		t.Fatalf("entry with 2 s TTL still there after 12 s: %s", why)
	}
	if goneAfter < 900*time.Millisecond {
		t.Errorf("entry with 2 s TTL was gone after only %v", goneAfter)
	}
	t.Logf("entry with 2 s TTL gone after %v", goneAfter)
}

// TestSessionsMapConfig: the article's map.sessions (time-to-live-seconds
// 1800, max-idle-seconds 300) applies to an entry put without a TTL.
func TestSessionsMapConfig(t *testing.T) {
	_, c := start(t)
	ctx := harness.Context(t, 30*time.Second)
	sessions := getMap(t, c, "sessions")
	key := harness.MapName(t, "key")
	if _, err := sessions.Put(ctx, key, "data"); err != nil {
		t.Fatal(err)
	}
	ev, err := sessions.GetEntryView(ctx, key)
	if err != nil || ev == nil {
		t.Fatalf("GetEntryView = %v, %v; want an entry", ev, err)
	}
	if ev.TTL != 1800000 {
		t.Errorf("ttl = %d ms; want 1800000 (time-to-live-seconds 1800)", ev.TTL)
	}
	if ev.MaxIdle != 300000 {
		t.Errorf("maxIdle = %d ms; want 300000 (max-idle-seconds 300)", ev.MaxIdle)
	}
	// The entry expires at whichever comes first: last update + ttl or
	// last access + max-idle, i.e. 300 s after the put here.
	if ev.LastUpdateTime <= 0 {
		t.Errorf("lastUpdateTime = %d; Hazelcast fills it for entries that expire", ev.LastUpdateTime)
	} else if got := ev.ExpirationTime - ev.LastUpdateTime; got != 300000 {
		t.Errorf("expirationTime - lastUpdateTime = %d ms; want 300000", got)
	}
	now := time.Now().UnixMilli()
	if d := ev.ExpirationTime - now; d < 295000 || d > 301000 {
		t.Errorf("expirationTime is %d ms from now; want about 300000", d)
	}
	if _, err := sessions.Remove(ctx, key); err != nil {
		t.Fatal(err)
	}
}

// TestDefaultMapConfig: the article's map.default (max-idle-seconds 300,
// time-to-live-seconds 0, LRU eviction) applies to any other map name.
func TestDefaultMapConfig(t *testing.T) {
	_, c := start(t)
	ctx := harness.Context(t, 30*time.Second)
	mp := getMap(t, c, harness.MapName(t))
	if _, err := mp.Put(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	ev, err := mp.GetEntryView(ctx, "k")
	if err != nil || ev == nil {
		t.Fatalf("GetEntryView = %v, %v; want an entry", ev, err)
	}
	if ev.TTL != maxMillis {
		t.Errorf("ttl = %d; want %d (no TTL)", ev.TTL, int64(maxMillis))
	}
	if ev.MaxIdle != 300000 {
		t.Errorf("maxIdle = %d ms; want 300000", ev.MaxIdle)
	}
	if ev.Version != 0 {
		t.Errorf("version = %d; want 0 for a new entry", ev.Version)
	}
	// LRU eviction keeps a last-access time even without per-entry stats.
	now := time.Now().UnixMilli()
	if ev.LastAccessTime <= 0 || ev.LastAccessTime > now || now-ev.LastAccessTime > 5000 {
		t.Errorf("lastAccessTime = %d (now %d); an LRU map records it at creation", ev.LastAccessTime, now)
	}
	if ev.LastAccessTime%1000 != 0 {
		t.Errorf("lastAccessTime = %d; Hazelcast keeps whole seconds", ev.LastAccessTime)
	}
}

// TestSessionDataRoundTrip documents what the v1.4.2 client does with the
// article's SessionData: no serializer is registered for it, so it is sent
// with the client's gob fallback, and a Get in the same process gives the
// struct back.
func TestSessionDataRoundTrip(t *testing.T) {
	_, c := start(t)
	ctx := harness.Context(t, 30*time.Second)
	type SessionData struct {
		UserID    int
		Username  string
		Email     string
		Role      string
		ExpiresAt time.Time
	}
	mp := getMap(t, c, harness.MapName(t))
	in := SessionData{UserID: 7, Username: "bob", Email: "bob@example.com", Role: "viewer",
		ExpiresAt: time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)}
	if _, err := mp.PutWithTTL(ctx, "sess:bob", in, 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	v, err := mp.Get(ctx, "sess:bob")
	if err != nil {
		t.Fatal(err)
	}
	out, ok := v.(SessionData)
	if !ok {
		t.Fatalf("Get returned %T, want SessionData", v)
	}
	if out != in {
		t.Fatalf("round trip changed the value: got %+v want %+v", out, in)
	}
	ev, err := mp.GetEntryView(ctx, "sess:bob")
	if err != nil || ev == nil || ev.TTL != 1800000 {
		t.Fatalf("entry view %+v, %v; want ttl 1800000", ev, err)
	}
}
