package mapops

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"
)

// recorder collects entry events.
type recorder struct {
	mu     sync.Mutex
	events []*hazelcast.EntryNotified
	signal chan struct{}
}

func newRecorder() *recorder { return &recorder{signal: make(chan struct{}, 1)} }

func (r *recorder) handle(e *hazelcast.EntryNotified) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() []*hazelcast.EntryNotified {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*hazelcast.EntryNotified(nil), r.events...)
}

// wait returns once at least n events arrived, or fails after limit.
func (r *recorder) wait(t *testing.T, n int, limit time.Duration) []*hazelcast.EntryNotified {
	t.Helper()
	deadline := time.After(limit)
	for i := 0; i < 100000; i++ {
		if got := r.snapshot(); len(got) >= n {
			return got
		}
		select {
		case <-r.signal:
		case <-deadline:
			got := r.snapshot()
			t.Fatalf("got %d events within %v, want %d:\n%s", len(got), limit, n, describeAll(got))
		}
	}
	t.Fatalf("event wait loop ran out")
	return nil
}

// quiet checks that no more than n events arrive within d.
func (r *recorder) quiet(t *testing.T, n int, d time.Duration) {
	t.Helper()
	time.Sleep(d)
	if got := r.snapshot(); len(got) != n {
		t.Fatalf("want exactly %d events, got %d:\n%s", n, len(got), describeAll(got))
	}
}

var eventNames = map[hazelcast.EntryEventType]string{
	hazelcast.EntryAdded:      "ADDED",
	hazelcast.EntryRemoved:    "REMOVED",
	hazelcast.EntryUpdated:    "UPDATED",
	hazelcast.EntryEvicted:    "EVICTED",
	hazelcast.EntryExpired:    "EXPIRED",
	hazelcast.EntryAllEvicted: "EVICT_ALL",
	hazelcast.EntryAllCleared: "CLEAR_ALL",
	hazelcast.EntryMerged:     "MERGED",
	hazelcast.EntryLoaded:     "LOADED",
}

func show(v interface{}) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%v", v)
}

// describe renders an event as "TYPE key value old" (map-wide events as
// "TYPE n=count"); "-" stands for an absent value.
func describe(e *hazelcast.EntryNotified) string {
	name := eventNames[e.EventType]
	if name == "" {
		name = fmt.Sprintf("TYPE%d", e.EventType)
	}
	if e.EventType == hazelcast.EntryAllCleared || e.EventType == hazelcast.EntryAllEvicted {
		return fmt.Sprintf("%s n=%d key=%s", name, e.NumberOfAffectedEntries, show(e.Key))
	}
	s := fmt.Sprintf("%s %s %s %s", name, show(e.Key), show(e.Value), show(e.OldValue))
	if e.MergingValue != nil {
		s += " merging=" + show(e.MergingValue)
	}
	return s
}

func describeAll(es []*hazelcast.EntryNotified) string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = "  " + describe(e)
	}
	return strings.Join(lines, "\n")
}

func allEvents(includeValue bool, key interface{}) hazelcast.MapEntryListenerConfig {
	cfg := hazelcast.MapEntryListenerConfig{IncludeValue: includeValue, Key: key}
	cfg.NotifyEntryAdded(true)
	cfg.NotifyEntryRemoved(true)
	cfg.NotifyEntryUpdated(true)
	cfg.NotifyEntryEvicted(true)
	cfg.NotifyEntryExpired(true)
	cfg.NotifyEntryAllEvicted(true)
	cfg.NotifyEntryAllCleared(true)
	return cfg
}

func (e *env) listen(cfg hazelcast.MapEntryListenerConfig) (*recorder, types.UUID) {
	e.t.Helper()
	r := newRecorder()
	id, err := e.mp.AddEntryListener(e.ctx, cfg, r.handle)
	must(e.t, "AddEntryListener", err)
	return r, id
}

// expectEvents performs op, then checks that exactly the listed events (in
// order: all of them concern one key, and events of one key are delivered
// in order) follow the ones already seen.
func expectEvents(t *testing.T, r *recorder, what string, op func(), want ...string) {
	t.Helper()
	before := len(r.snapshot())
	op()
	got := r.wait(t, before+len(want), 10*time.Second)[before:]
	for i := range want {
		if d := describe(got[i]); d != want[i] {
			t.Errorf("%s: event %d = %q; want %q", what, i+1, d, want[i])
		}
	}
}

// TestEntryEventsPerOperation: which event each operation raises, and what
// key, value and old value it carries (imap-semantics §3.1).
func TestEntryEventsPerOperation(t *testing.T) {
	e := setup(t)
	r, _ := e.listen(allEvents(true, nil))
	ctx := e.ctx
	k := "k"
	step := func(what string, op func() error, want ...string) {
		t.Helper()
		expectEvents(t, r, what, func() { must(t, what, op()) }, want...)
	}
	step("Put new", func() error { _, err := e.mp.Put(ctx, k, "v1"); return err }, "ADDED k v1 -")
	step("Put existing", func() error { _, err := e.mp.Put(ctx, k, "v2"); return err }, "UPDATED k v2 v1")
	step("Set existing", func() error { return e.mp.Set(ctx, k, "v3") }, "UPDATED k v3 v2")
	step("Replace", func() error { _, err := e.mp.Replace(ctx, k, "v4"); return err }, "UPDATED k v4 v3")
	step("ReplaceIfSame", func() error { _, err := e.mp.ReplaceIfSame(ctx, k, "v4", "v5"); return err }, "UPDATED k v5 v4")
	step("PutWithTTL", func() error { _, err := e.mp.PutWithTTL(ctx, k, "v6", time.Hour); return err }, "UPDATED k v6 v5")
	step("PutTransient", func() error { return e.mp.PutTransient(ctx, k, "v7") }, "UPDATED k v7 v6")
	step("Remove", func() error { _, err := e.mp.Remove(ctx, k); return err }, "REMOVED k - v7")
	step("Set new", func() error { return e.mp.Set(ctx, k, "s1") }, "ADDED k s1 -")
	step("Delete", func() error { return e.mp.Delete(ctx, k) }, "REMOVED k - -")
	step("PutIfAbsent new", func() error { _, err := e.mp.PutIfAbsent(ctx, k, "p1"); return err }, "ADDED k p1 -")
	step("RemoveIfSame", func() error { _, err := e.mp.RemoveIfSame(ctx, k, "p1"); return err }, "REMOVED k - p1")
	step("TryPut new", func() error { _, err := e.mp.TryPut(ctx, k, "t1"); return err }, "ADDED k t1 -")
	step("TryRemove", func() error { _, err := e.mp.TryRemove(ctx, k); return err }, "REMOVED k - t1")
	step("PutTransient new", func() error { return e.mp.PutTransient(ctx, k, "pt") }, "ADDED k pt -")
	step("Evict", func() error { _, err := e.mp.Evict(ctx, k); return err }, "EVICTED k - pt")
	step("SetWithTTLAndMaxIdle new", func() error { return e.mp.SetWithTTLAndMaxIdle(ctx, k, "sm", time.Hour, time.Hour) }, "ADDED k sm -")

	// Operations that raise nothing. Each is followed by a Put on the same
	// key; since events of a key arrive in order, the next event must be
	// that Put's UPDATED.
	silent := []struct {
		what string
		op   func() error
	}{
		{"Get", func() error { _, err := e.mp.Get(ctx, k); return err }},
		{"SetTTL", func() error { return e.mp.SetTTL(ctx, k, time.Hour) }},
		{"PutIfAbsent existing", func() error { _, err := e.mp.PutIfAbsent(ctx, k, "no"); return err }},
		{"Replace missing", func() error { _, err := e.mp.Replace(ctx, "absent", "no"); return err }},
		{"ReplaceIfSame mismatch", func() error { _, err := e.mp.ReplaceIfSame(ctx, k, "no", "no"); return err }},
		{"RemoveIfSame mismatch", func() error { _, err := e.mp.RemoveIfSame(ctx, k, "no"); return err }},
		{"Remove missing", func() error { _, err := e.mp.Remove(ctx, "absent"); return err }},
		{"Delete missing", func() error { return e.mp.Delete(ctx, "absent") }},
		{"Evict missing", func() error { _, err := e.mp.Evict(ctx, "absent"); return err }},
		{"Lock", func() error { return e.mp.Lock(ctx, k) }},
		{"Unlock", func() error { return e.mp.Unlock(ctx, k) }},
		{"ContainsKey", func() error { _, err := e.mp.ContainsKey(ctx, k); return err }},
		{"GetEntryView", func() error { _, err := e.mp.GetEntryView(ctx, k); return err }},
		{"Flush", func() error { return e.mp.Flush(ctx) }},
	}
	prev := "sm"
	for i, s := range silent {
		next := fmt.Sprintf("after-%d", i)
		step(s.what+" (then a Put)", func() error {
			if err := s.op(); err != nil {
				return err
			}
			_, err := e.mp.Put(ctx, k, next)
			return err
		}, fmt.Sprintf("UPDATED k %s %s", next, prev))
		prev = next
	}
	// Every event names the member that published it.
	for _, ev := range r.snapshot() {
		if ev.Member.UUID.Default() {
			t.Errorf("event %q has no known member UUID", describe(ev))
			break
		}
	}
}

func TestEntryEventsPutAll(t *testing.T) {
	e := setup(t)
	e.put("a", "old")
	r, _ := e.listen(allEvents(true, nil))
	must(t, "PutAll", e.mp.PutAll(e.ctx, types.NewEntry("a", "new"), types.NewEntry("b", "vb")))
	got := r.wait(t, 2, 10*time.Second)
	r.quiet(t, 2, 300*time.Millisecond)
	descs := []string{describe(got[0]), describe(got[1])}
	if descs[0] > descs[1] {
		descs[0], descs[1] = descs[1], descs[0]
	}
	// With a listener registered, PutAll reports each entry with its real
	// old value.
	eq(t, "PutAll events", descs, []string{"ADDED b vb -", "UPDATED a new old"})
}

func TestEntryEventsWithoutValues(t *testing.T) {
	e := setup(t)
	r, _ := e.listen(allEvents(false, nil))
	expectEvents(t, r, "Put new", func() { e.put("k", "v1") }, "ADDED k - -")
	expectEvents(t, r, "Put existing", func() { e.put("k", "v2") }, "UPDATED k - -")
	expectEvents(t, r, "Remove", func() { _, _ = e.mp.Remove(e.ctx, "k") }, "REMOVED k - -")
	expectEvents(t, r, "Put new", func() { e.put("k", "v3") }, "ADDED k - -")
	expectEvents(t, r, "Evict", func() { _, _ = e.mp.Evict(e.ctx, "k") }, "EVICTED k - -")
}

func TestEntryListenerForOneKey(t *testing.T) {
	e := setup(t)
	r, _ := e.listen(allEvents(true, "mine"))
	all, _ := e.listen(allEvents(true, nil))
	e.put("other", "x")
	e.put("mine", "1")
	e.put("other", "y")
	e.put("mine", "2")
	_, err := e.mp.Remove(e.ctx, "other")
	must(t, "Remove", err)
	_, err = e.mp.Remove(e.ctx, "mine")
	must(t, "Remove", err)
	all.wait(t, 6, 10*time.Second)
	got := r.wait(t, 3, 10*time.Second)
	r.quiet(t, 3, 300*time.Millisecond)
	want := []string{"ADDED mine 1 -", "UPDATED mine 2 1", "REMOVED mine - 2"}
	for i := range want {
		eq(t, fmt.Sprintf("key listener event %d", i+1), describe(got[i]), want[i])
	}
}

// TestMapWideEvents: Clear and EvictAll raise one event for the whole map
// with the number of entries removed, and nothing when the map is empty.
func TestMapWideEvents(t *testing.T) {
	e := setup(t)
	r, _ := e.listen(allEvents(true, nil))
	for i := 0; i < 5; i++ {
		e.put(i, "v")
	}
	r.wait(t, 5, 10*time.Second)
	must(t, "Clear", e.mp.Clear(e.ctx))
	got := r.wait(t, 6, 10*time.Second)
	eq(t, "Clear event", describe(got[5]), "CLEAR_ALL n=5 key=-")
	if got[5].Member.UUID.Default() {
		t.Errorf("CLEAR_ALL event has no known member UUID")
	}
	for i := 0; i < 3; i++ {
		e.put(i, "v")
	}
	r.wait(t, 9, 10*time.Second)
	must(t, "EvictAll", e.mp.EvictAll(e.ctx))
	got = r.wait(t, 10, 10*time.Second)
	eq(t, "EvictAll event", describe(got[9]), "EVICT_ALL n=3 key=-")

	// Empty map: no event. Checked with a Put afterwards: CLEAR_ALL and
	// entry events travel on different streams, so give stragglers time.
	must(t, "Clear of an empty map", e.mp.Clear(e.ctx))
	must(t, "EvictAll of an empty map", e.mp.EvictAll(e.ctx))
	r.quiet(t, 10, 500*time.Millisecond)
}

// TestMapWideEventsForKeyListener: a listener registered for one key also
// receives CLEAR_ALL / EVICT_ALL (as Hazelcast 5.7 does).
func TestMapWideEventsForKeyListener(t *testing.T) {
	e := setup(t)
	r, _ := e.listen(allEvents(true, "mine"))
	e.put("mine", "v")
	e.put("other", "v")
	r.wait(t, 1, 10*time.Second)
	must(t, "Clear", e.mp.Clear(e.ctx))
	got := r.wait(t, 2, 10*time.Second)
	eq(t, "Clear event for a key listener", describe(got[1]), "CLEAR_ALL n=2 key=-")
	r.quiet(t, 2, 300*time.Millisecond)
}

func TestMapListenerStruct(t *testing.T) {
	e := setup(t)
	var mu sync.Mutex
	var seen []string
	add := func(tag string) func(*hazelcast.EntryNotified) {
		return func(ev *hazelcast.EntryNotified) {
			mu.Lock()
			seen = append(seen, tag+":"+describe(ev))
			mu.Unlock()
		}
	}
	_, err := e.mp.AddListener(e.ctx, hazelcast.MapListener{
		EntryAdded:   add("added"),
		EntryUpdated: add("updated"),
		EntryRemoved: add("removed"),
		MapCleared:   add("cleared"),
	}, true)
	must(t, "AddListener", err)
	e.put("k", "1")
	e.put("k", "2")
	_, err = e.mp.Remove(e.ctx, "k")
	must(t, "Remove", err)
	// Evict is not subscribed: no event.
	e.put("k2", "x")
	_, err = e.mp.Evict(e.ctx, "k2")
	must(t, "Evict", err)
	e.put("k2", "y")
	must(t, "Clear", e.mp.Clear(e.ctx))
	want := []string{"added:ADDED k 1 -", "updated:UPDATED k 2 1", "removed:REMOVED k - 2",
		"added:ADDED k2 x -", "added:ADDED k2 y -", "cleared:CLEAR_ALL n=1 key=-"}
	ok := false
	for i := 0; i < 200 && !ok; i++ {
		mu.Lock()
		ok = len(seen) >= len(want)
		mu.Unlock()
		if !ok {
			time.Sleep(50 * time.Millisecond)
		}
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	// k and k2 are different keys: compare as a set, keeping each key's
	// order.
	var gotK, gotK2, gotMap []string
	for _, s := range seen {
		switch {
		case strings.Contains(s, " k2 "):
			gotK2 = append(gotK2, s)
		case strings.Contains(s, " k "):
			gotK = append(gotK, s)
		default:
			gotMap = append(gotMap, s)
		}
	}
	eq(t, "events of k", gotK, want[:3])
	eq(t, "events of k2", gotK2, want[3:5])
	eq(t, "map events", gotMap, want[5:])
}

func TestRemoveEntryListener(t *testing.T) {
	e := setup(t)
	r, id := e.listen(allEvents(true, nil))
	keep, _ := e.listen(allEvents(true, nil))
	e.put("k", "1")
	r.wait(t, 1, 10*time.Second)
	keep.wait(t, 1, 10*time.Second)
	must(t, "RemoveEntryListener", e.mp.RemoveEntryListener(e.ctx, id))
	e.put("k", "2")
	keep.wait(t, 2, 10*time.Second)
	r.quiet(t, 1, 500*time.Millisecond)
}

// TestExpiredEvent: an entry that expires raises EXPIRED with the expired
// value as old value; a read finding it expired triggers it at once.
func TestExpiredEvent(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r, _ := e.listen(allEvents(true, nil))
	_, err := e.mp.PutWithTTL(e.ctx, "k", "v", 2*time.Second)
	must(t, "PutWithTTL", err)
	r.wait(t, 1, 10*time.Second)
	if took, ok := e.waitGone("k", time.Now(), 15*time.Second); !ok {
		t.Fatalf("entry with 2 s TTL still present after 15 s")
	} else {
		t.Logf("gone after %v", took)
	}
	got := r.wait(t, 2, 10*time.Second)
	eq(t, "expiry event", describe(got[1]), "EXPIRED k - v")
}

// TestExpiredEventWithoutReads: entries expire in the background too: no
// client reads the key, yet EXPIRED arrives (Hazelcast's sweep runs every
// 5 s over a share of the partitions; it can take ~35 s to reach one).
func TestExpiredEventWithoutReads(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r, _ := e.listen(allEvents(true, nil))
	start := time.Now()
	_, err := e.mp.PutWithTTL(e.ctx, "k", "v", time.Second)
	must(t, "PutWithTTL", err)
	got := r.wait(t, 2, 90*time.Second)
	eq(t, "background expiry event", describe(got[1]), "EXPIRED k - v")
	t.Logf("EXPIRED arrived %v after the put", time.Since(start))
	eq(t, "Size after background expiry", e.size(), 0)
}
