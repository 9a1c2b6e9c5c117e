package mapops

import (
	"fmt"
	"testing"
	"time"
)

// Expiry tests. TTL and max-idle are kept in whole seconds and expiry times
// are truncated to the second, so an entry may go up to 1 s before
// "write + ttl"; bounds below allow for that and for a slow machine.
// They run in parallel: most of their time is waiting.

// TestTTLExpiryPerOperation: every operation that takes a TTL makes the
// entry disappear after it.
func TestTTLExpiryPerOperation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := e.ctx
	const ttl = 2 * time.Second
	ops := map[string]func(k string) error{
		"PutWithTTL":           func(k string) error { _, err := e.mp.PutWithTTL(ctx, k, "v", ttl); return err },
		"PutWithTTLAndMaxIdle": func(k string) error { _, err := e.mp.PutWithTTLAndMaxIdle(ctx, k, "v", ttl, time.Hour); return err },
		"SetWithTTL":           func(k string) error { return e.mp.SetWithTTL(ctx, k, "v", ttl) },
		"SetWithTTLAndMaxIdle": func(k string) error { return e.mp.SetWithTTLAndMaxIdle(ctx, k, "v", ttl, time.Hour) },
		"PutIfAbsentWithTTL":   func(k string) error { _, err := e.mp.PutIfAbsentWithTTL(ctx, k, "v", ttl); return err },
		"PutIfAbsentWithTTLAndMaxIdle": func(k string) error {
			_, err := e.mp.PutIfAbsentWithTTLAndMaxIdle(ctx, k, "v", ttl, time.Hour)
			return err
		},
		"PutTransientWithTTL":           func(k string) error { return e.mp.PutTransientWithTTL(ctx, k, "v", ttl) },
		"PutTransientWithTTLAndMaxIdle": func(k string) error { return e.mp.PutTransientWithTTLAndMaxIdle(ctx, k, "v", ttl, time.Hour) },
	}
	start := time.Now()
	for name, op := range ops {
		must(t, name, op(name))
	}
	e.put("forever", "v")
	for name := range ops {
		if v := e.get(name); v != "v" {
			t.Errorf("%s: Get right after = %v; want v", name, v)
		}
	}
	for name := range ops {
		took, ok := e.waitGone(name, start, 15*time.Second)
		if !ok {
			t.Errorf("%s: entry with a 2 s TTL still present after 15 s", name)
		} else if took < 900*time.Millisecond {
			t.Errorf("%s: entry with a 2 s TTL gone after %v", name, took)
		}
	}
	eq(t, "entry without TTL", e.get("forever"), "v")
}

// TestMaxIdleExpiry: an entry nobody reads goes after its max-idle time.
func TestMaxIdleExpiry(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := e.ctx
	const idle = 2 * time.Second
	ops := map[string]func(k string) error{
		"PutWithMaxIdle":       func(k string) error { _, err := e.mp.PutWithMaxIdle(ctx, k, "v", idle); return err },
		"PutWithTTLAndMaxIdle": func(k string) error { _, err := e.mp.PutWithTTLAndMaxIdle(ctx, k, "v", time.Hour, idle); return err },
		"SetWithTTLAndMaxIdle": func(k string) error { return e.mp.SetWithTTLAndMaxIdle(ctx, k, "v", time.Hour, idle) },
		"PutIfAbsentWithTTLAndMaxIdle": func(k string) error {
			_, err := e.mp.PutIfAbsentWithTTLAndMaxIdle(ctx, k, "v", time.Hour, idle)
			return err
		},
		"PutTransientWithMaxIdle":       func(k string) error { return e.mp.PutTransientWithMaxIdle(ctx, k, "v", idle) },
		"PutTransientWithTTLAndMaxIdle": func(k string) error { return e.mp.PutTransientWithTTLAndMaxIdle(ctx, k, "v", time.Hour, idle) },
	}
	start := time.Now()
	for name, op := range ops {
		must(t, name, op(name))
	}
	for name := range ops {
		took, ok := e.waitGone(name, start, 15*time.Second)
		if !ok {
			t.Errorf("%s: idle entry with max-idle 2 s still present after 15 s", name)
		} else if took < 900*time.Millisecond {
			t.Errorf("%s: entry with max-idle 2 s gone after %v", name, took)
		}
	}
}

// TestMaxIdlePushedByAccess: Get, ContainsKey and GetAll count as accesses
// and keep an entry with max-idle alive; GetEntryView and ContainsValue do
// not.
func TestMaxIdlePushedByAccess(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := e.ctx
	const idle = 3 * time.Second
	touches := map[string]func(k string) error{
		"Get":         func(k string) error { _, err := e.mp.Get(ctx, k); return err },
		"ContainsKey": func(k string) error { _, err := e.mp.ContainsKey(ctx, k); return err },
		"GetAll":      func(k string) error { _, err := e.mp.GetAll(ctx, k); return err },
	}
	nonTouches := map[string]func(k string) error{
		"GetEntryView":  func(k string) error { _, err := e.mp.GetEntryView(ctx, k); return err },
		"ContainsValue": func(k string) error { _, err := e.mp.ContainsValue(ctx, "v-"+k); return err },
	}
	for name := range touches {
		_, err := e.mp.PutWithMaxIdle(ctx, name, "v-"+name, idle)
		must(t, "PutWithMaxIdle", err)
	}
	start := time.Now()
	for name := range nonTouches {
		_, err := e.mp.PutWithMaxIdle(ctx, name, "v-"+name, idle)
		must(t, "PutWithMaxIdle", err)
	}
	// Access every 500 ms for 7 s: more than twice the max-idle time.
	for i := 0; i < 14; i++ {
		for name, touch := range touches {
			must(t, name, touch(name))
		}
		for name, look := range nonTouches {
			must(t, name, look(name))
		}
		time.Sleep(500 * time.Millisecond)
	}
	for name := range touches {
		if v := e.view(name); v == nil {
			t.Errorf("entry read by %s every 500 ms expired (max-idle 3 s)", name)
		}
	}
	for name := range nonTouches {
		if v := e.view(name); v != nil {
			t.Errorf("entry looked at only by %s still present after %v (max-idle 3 s)", name, time.Since(start))
		}
	}
	// Left alone, the touched entries go too.
	last := time.Now()
	for name := range touches {
		took, ok := e.waitGone(name, last, 15*time.Second)
		if !ok {
			t.Errorf("%s: entry still present 15 s after its last access", name)
		} else if took < 1500*time.Millisecond {
			t.Errorf("%s: entry with max-idle 3 s gone %v after its last access", name, took)
		}
	}
}

// TestTTLNotPushedByAccess: reads do not extend a TTL.
func TestTTLNotPushedByAccess(t *testing.T) {
	t.Parallel()
	e := setup(t)
	start := time.Now()
	_, err := e.mp.PutWithTTL(e.ctx, "k", "v", 3*time.Second)
	must(t, "PutWithTTL", err)
	var goneAfter time.Duration
	for i := 0; i < 100; i++ {
		if e.get("k") == nil {
			goneAfter = time.Since(start)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if goneAfter == 0 {
		t.Fatalf("entry with a 3 s TTL read every 200 ms still there after %v", time.Since(start))
	}
	if goneAfter < 1900*time.Millisecond || goneAfter > 8*time.Second {
		t.Errorf("entry with a 3 s TTL read every 200 ms went after %v; want about 3 s", goneAfter)
	}
}

// TestWriteRestartsTTL: writing an entry again restarts its TTL clock.
func TestWriteRestartsTTL(t *testing.T) {
	t.Parallel()
	e := setup(t)
	start := time.Now()
	_, err := e.mp.PutWithTTL(e.ctx, "k", "v1", 6*time.Second)
	must(t, "PutWithTTL", err)
	time.Sleep(3 * time.Second)
	_, err = e.mp.PutWithTTL(e.ctx, "k", "v2", 6*time.Second)
	must(t, "PutWithTTL", err)
	rewrite := time.Now()
	// The first TTL would have ended by start+6 s; wait until start+7 s.
	time.Sleep(time.Until(start.Add(7 * time.Second)))
	eq(t, "Get 7 s after the first put, 4 s after the second", e.get("k"), "v2")
	took, ok := e.waitGone("k", rewrite, 15*time.Second)
	if !ok {
		t.Fatal("entry still present 15 s after its last write with a 6 s TTL")
	}
	if took < 4900*time.Millisecond {
		t.Errorf("entry gone %v after the rewrite with a 6 s TTL", took)
	}
}

// TestPlainPutDropsEntryTTL: a Put without TTL on an entry that had one gives
// it the map's default TTL (none here): the TTL is chosen on every write.
func TestPlainPutDropsEntryTTL(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_, err := e.mp.PutWithTTLAndMaxIdle(e.ctx, "k", "v1", 2*time.Second, 2*time.Second)
	must(t, "PutWithTTLAndMaxIdle", err)
	e.put("k", "v2")
	v := e.viewOf("k")
	eq(t, "ttl after a plain Put", v.TTL, noLimit)
	eq(t, "maxIdle after a plain Put", v.MaxIdle, noLimit)
	eq(t, "expirationTime after a plain Put", v.ExpirationTime, noLimit)
	time.Sleep(4 * time.Second)
	eq(t, "Get 4 s later", e.get("k"), "v2")
	// The same for Set and PutAll... and for SetTTL's max-idle: see TestSetTTL.
	must(t, "SetWithTTL", e.mp.SetWithTTL(e.ctx, "s", "v1", 2*time.Second))
	must(t, "Set", e.mp.Set(e.ctx, "s", "v2"))
	eq(t, "ttl after a plain Set", e.viewOf("s").TTL, noLimit)
}

// TestMapConfigTTL: map time-to-live-seconds applies to writes without a TTL;
// a TTL in the request wins; TTL 0 in the request means "never", even
// here.
func TestMapConfigTTL(t *testing.T) {
	t.Parallel()
	e := setup(t, mapCfgTTL)
	start := time.Now()
	e.put("default", "v")
	must(t, "Set", e.mp.Set(e.ctx, "set", "v"))
	_, err := e.mp.PutWithTTL(e.ctx, "long", "v", time.Minute)
	must(t, "PutWithTTL", err)
	_, err = e.mp.PutWithTTL(e.ctx, "never", "v", 0)
	must(t, "PutWithTTL", err)
	v := e.viewOf("default")
	eq(t, "ttl from the map config", v.TTL, int64(3000))
	eq(t, "maxIdle", v.MaxIdle, noLimit)
	eq(t, "ttl of a PutWithTTL(1m)", e.viewOf("long").TTL, int64(60000))
	eq(t, "ttl of a PutWithTTL(0)", e.viewOf("never").TTL, noLimit)
	for _, k := range []string{"default", "set"} {
		took, ok := e.waitGone(k, start, 15*time.Second)
		if !ok {
			t.Errorf("%s: entry in a map with time-to-live-seconds 3 still present after 15 s", k)
		} else if took < 1900*time.Millisecond {
			t.Errorf("%s: entry in a map with time-to-live-seconds 3 gone after %v", k, took)
		}
	}
	eq(t, "Get of the PutWithTTL(1m) entry", e.get("long"), "v")
	eq(t, "Get of the PutWithTTL(0) entry", e.get("never"), "v")
}

// TestMapConfigMaxIdle: map max-idle-seconds applies to writes without one.
func TestMapConfigMaxIdle(t *testing.T) {
	t.Parallel()
	e := setup(t, mapCfgMaxIdle)
	e.put("idle", "v")
	e.put("busy", "v")
	_, err := e.mp.PutWithMaxIdle(e.ctx, "own", "v", time.Minute)
	must(t, "PutWithMaxIdle", err)
	v := e.viewOf("idle")
	eq(t, "maxIdle from the map config", v.MaxIdle, int64(3000))
	eq(t, "ttl", v.TTL, noLimit)
	eq(t, "maxIdle of a PutWithMaxIdle(1m)", e.viewOf("own").MaxIdle, int64(60000))
	start := time.Now()
	for i := 0; i < 12; i++ {
		e.get("busy")
		time.Sleep(500 * time.Millisecond)
	}
	eq(t, "entry read every 500 ms", e.get("busy"), "v")
	if _, ok := e.waitGone("idle", start, 15*time.Second); !ok {
		t.Errorf("unread entry in a map with max-idle-seconds 3 still present")
	}
	eq(t, "entry with its own max-idle of 1 minute", e.get("own"), "v")
}

// TestMapConfigTTLAndMaxIdle: with both set, the expiration time is the
// earlier of lastUpdate+ttl and lastAccess+maxIdle.
func TestMapConfigTTLAndMaxIdle(t *testing.T) {
	e := setup(t, mapCfgBoth)
	e.put("k", "v")
	v := e.viewOf("k")
	eq(t, "ttl", v.TTL, int64(60000))
	eq(t, "maxIdle", v.MaxIdle, int64(30000))
	eq(t, "expirationTime - lastUpdateTime", v.ExpirationTime-v.LastUpdateTime, int64(30000))
	_, err := e.mp.PutWithTTL(e.ctx, "short", "v", 10*time.Second)
	must(t, "PutWithTTL", err)
	v = e.viewOf("short")
	eq(t, "ttl of PutWithTTL(10s)", v.TTL, int64(10000))
	eq(t, "maxIdle of PutWithTTL(10s) (map default)", v.MaxIdle, int64(30000))
	eq(t, "expirationTime - lastUpdateTime", v.ExpirationTime-v.LastUpdateTime, int64(10000))
}

// TestSetTTLExpiry: SetTTL gives an existing entry a TTL from now; SetTTL 0
// takes it away.
func TestSetTTLExpiry(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.put("k", "v")
	_, err := e.mp.PutWithTTL(e.ctx, "keep", "v", 2*time.Second)
	must(t, "PutWithTTL", err)
	start := time.Now()
	must(t, "SetTTL(2s)", e.mp.SetTTL(e.ctx, "k", 2*time.Second))
	must(t, "SetTTL(0)", e.mp.SetTTL(e.ctx, "keep", 0))
	took, ok := e.waitGone("k", start, 15*time.Second)
	if !ok {
		t.Fatal("entry given a 2 s TTL by SetTTL still present after 15 s")
	}
	if took < 900*time.Millisecond {
		t.Errorf("entry given a 2 s TTL by SetTTL gone after %v", took)
	}
	time.Sleep(time.Until(start.Add(4 * time.Second)))
	eq(t, "entry whose TTL SetTTL(0) removed", e.get("keep"), "v")
}

// TestExpiredEntriesLeaveSize: expired entries nobody reads are removed in
// the background, so Size comes down to 0.
func TestExpiredEntriesLeaveSize(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for i := 0; i < 30; i++ {
		_, err := e.mp.PutWithTTL(e.ctx, fmt.Sprintf("k%d", i), "v", time.Second)
		must(t, "PutWithTTL", err)
	}
	e.put("stays", "v")
	start := time.Now()
	var n int
	// Hazelcast 5.7 sweeps a share of the partitions every 5 s; here it
	// took up to ~35 s to reach every partition.
	for i := 0; i < 1000; i++ {
		n = e.size()
		if n == 1 || time.Since(start) > 90*time.Second {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	eq(t, "Size once the expired entries are swept", n, 1)
	t.Logf("size reached 1 after %v", time.Since(start))
}

// TestPutOnExpiredKey: a put finding an expired entry acts as on an absent
// key: it returns nil and the version starts again.
func TestPutOnExpiredKey(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_, err := e.mp.PutWithTTL(e.ctx, "k", "old", time.Second)
	must(t, "PutWithTTL", err)
	_, err = e.mp.PutWithTTL(e.ctx, "k", "old2", time.Second) // version 1
	must(t, "PutWithTTL", err)
	time.Sleep(3 * time.Second)
	eq(t, "Put over an expired entry returns", e.put("k", "new"), nil)
	eq(t, "version of the new entry", e.viewOf("k").Version, int64(0))
}
