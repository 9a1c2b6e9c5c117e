package mapops

// The member memory limit (memgrid.memory.max-size) and the memory-based
// eviction policies. memgrid only: Hazelcast has no such limit (its heap
// policies measure the JVM), so these tests skip on the Hazelcast target.
//
// The RSS bound (limit + 10 % + the member's RSS before any data) is only
// checked against a release build: AddressSanitizer's shadow memory and
// quarantine of freed blocks make a sanitizer build's RSS meaningless.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"

	"memgrid.test/go/harness"
)

const mib = 1 << 20

type memEnv struct {
	t   *testing.T
	m   *harness.Member
	c   *hazelcast.Client
	ctx context.Context
}

func setupMemory(t *testing.T, limit string, maps ...harness.MapConfig) *memEnv {
	t.Helper()
	if harness.TargetFromEnv() == harness.TargetHazelcast {
		t.Skip("memgrid.memory.max-size is a memgrid property")
	}
	// Two workers whatever the machine: the allocator's slack (partly used
	// slab pages, at most one per size class in use per worker) grows with
	// the worker count, and these tests bound RSS against a small limit.
	m := harness.Start(t, harness.Options{
		Properties: map[string]string{"memgrid.memory.max-size": limit, "memgrid.worker.count": "2"},
		Maps:       maps,
	})
	return &memEnv{t: t, m: m, c: m.NewClient(t), ctx: harness.Context(t, 300*time.Second)}
}

func (me *memEnv) getMap(name string) *hazelcast.Map {
	me.t.Helper()
	mp, err := me.c.GetMap(me.ctx, name)
	if err != nil {
		me.t.Fatalf("GetMap(%q): %v", name, err)
	}
	return mp
}

// procStatus reads one "Key:  N kB" line of /proc/<pid>/status, in bytes.
func procStatus(pid int, key string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), key+":") {
			fields := strings.Fields(sc.Text())
			if len(fields) >= 2 {
				kb, _ := strconv.ParseInt(fields[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return -1
}

func (me *memEnv) rss() int64 { return procStatus(me.m.Pid(), "VmRSS") }

// sanitized reports whether the member runs with AddressSanitizer.
func (me *memEnv) sanitized() bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", me.m.Pid()))
	return err == nil && strings.Contains(string(data), "libasan")
}

// checkRSS: the member's resident memory stays within the limit plus 10 %
// plus what it used before holding any data.
func (me *memEnv) checkRSS(limit, baseline int64, what string) {
	me.t.Helper()
	rss, hwm := me.rss(), procStatus(me.m.Pid(), "VmHWM")
	bound := limit + limit/10 + baseline
	me.t.Logf("%s: RSS %.1f MiB, peak %.1f MiB; bound %.1f MiB (limit %d MiB + 10%% + baseline %.1f MiB)",
		what, float64(rss)/mib, float64(hwm)/mib, float64(bound)/mib, limit/mib, float64(baseline)/mib)
	if me.sanitized() {
		me.t.Logf("sanitizer build: RSS bound not checked")
		return
	}
	if hwm > bound {
		me.t.Errorf("%s: peak RSS %d bytes passes the bound %d", what, hwm, bound)
	}
}

// value i: 64 to 3000 bytes (both the member's slab and malloc sizes),
// contents derived from i so a read can be checked.
func memValue(i int) []byte {
	n := 64 + (i*7919)%2937
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(i*31 + j)
	}
	return b
}

type floodResult struct {
	acked      []int // indexes written successfully
	ackedBytes int64
	refused    int
	refusals   []string // distinct refusal messages
}

// flood writes keys prefix<i> with `workers` goroutines until every worker
// has seen `stopAfter` refusals or `max` writes were tried. Refusals must be
// the memory-limit error; any other error fails the test.
func (me *memEnv) flood(mp *hazelcast.Map, prefix string, from, max, workers, stopAfter int) floodResult {
	me.t.Helper()
	var next int64 = int64(from)
	var mu sync.Mutex
	res := floodResult{}
	seen := map[string]bool{}
	runWorkers(me.t, workers, 240*time.Second, func(int) error {
		refused := 0
		for n := 0; n < max && (stopAfter == 0 || refused < stopAfter); n++ {
			i := int(atomic.AddInt64(&next, 1) - 1)
			if i >= from+max {
				return nil
			}
			v := memValue(i)
			err := mp.Set(me.ctx, fmt.Sprintf("%s%08d", prefix, i), v)
			mu.Lock()
			if err == nil {
				res.acked = append(res.acked, i)
				res.ackedBytes += int64(len(v))
			} else {
				refused++
				res.refused++
				if !seen[err.Error()] && len(seen) < 5 {
					seen[err.Error()] = true
					res.refusals = append(res.refusals, err.Error())
				}
			}
			mu.Unlock()
			if err != nil && !strings.Contains(err.Error(), "memgrid.memory.max-size") {
				return fmt.Errorf("Set %s%08d: %w", prefix, i, err)
			}
		}
		return nil
	})
	return res
}

// readBack checks that every acknowledged write reads back intact.
func (me *memEnv) readBack(mp *hazelcast.Map, prefix string, acked []int) {
	me.t.Helper()
	const batch = 500
	missing := 0
	for at := 0; at < len(acked); at += batch {
		end := at + batch
		if end > len(acked) {
			end = len(acked)
		}
		keys := make([]interface{}, 0, end-at)
		for _, i := range acked[at:end] {
			keys = append(keys, fmt.Sprintf("%s%08d", prefix, i))
		}
		got, err := mp.GetAll(me.ctx, keys...)
		if err != nil {
			me.t.Fatalf("GetAll: %v", err)
		}
		byKey := map[string][]byte{}
		for _, kv := range got {
			byKey[kv.Key.(string)], _ = kv.Value.([]byte)
		}
		for _, i := range acked[at:end] {
			v, ok := byKey[fmt.Sprintf("%s%08d", prefix, i)]
			if !ok {
				missing++
				continue
			}
			if string(v) != string(memValue(i)) {
				me.t.Fatalf("%s%08d read back %d bytes, not what was written", prefix, i, len(v))
			}
		}
	}
	if missing > 0 {
		me.t.Errorf("%d of %d acknowledged writes are gone", missing, len(acked))
	}
}

func sizeOf(t *testing.T, ctx context.Context, mp *hazelcast.Map) int {
	t.Helper()
	n, err := mp.Size(ctx)
	if err != nil {
		t.Fatalf("Size: %v", err)
	}
	return n
}

// TestMemoryLimitRefusesWrites: a member limited to 64 MiB takes writes into
// a map without eviction until its data reaches the limit, then refuses
// them with an error that names the limit, the map and the size of the
// write; it stays up, its RSS stays within the limit + 10 % (+ its RSS
// before the data), every acknowledged write reads back, and memory freed by
// removals can be written again.
func TestMemoryLimitRefusesWrites(t *testing.T) {
	const limit = 64 * mib
	me := setupMemory(t, "64m")
	name := harness.MapName(t)
	mp := me.getMap(name)
	if _, err := mp.Size(me.ctx); err != nil {
		t.Fatal(err)
	}
	baseline := me.rss()

	res := me.flood(mp, "k", 0, 200000, 4, 50)
	t.Logf("acknowledged %d writes (%.1f MiB of values), refused %d", len(res.acked),
		float64(res.ackedBytes)/mib, res.refused)
	if res.refused == 0 {
		t.Fatalf("no write was refused after %.1f MiB of values", float64(res.ackedBytes)/mib)
	}
	want := fmt.Sprintf("memgrid.memory.max-size (64 MiB) reached: map '%s' has no eviction policy; write of ", name)
	for _, msg := range res.refusals {
		t.Logf("refusal: %s", msg)
		if !strings.Contains(msg, want) || !strings.Contains(msg, "bytes refused") {
			t.Errorf("refusal %q; want it to contain %q", msg, want)
		}
	}
	// Nearly all of the limit holds data: values plus ~30 bytes per entry.
	if res.ackedBytes < limit*85/100 {
		t.Errorf("only %.1f MiB of values fit under a 64 MiB limit", float64(res.ackedBytes)/mib)
	}
	if !me.m.Alive() {
		t.Fatal("member died")
	}
	me.checkRSS(limit, baseline, "after the flood")
	me.readBack(mp, "k", res.acked)
	eq(t, "Size after the flood", sizeOf(t, me.ctx, mp), len(res.acked))

	// Overwriting with a value of the same size does not grow the data:
	// never refused, even at the limit.
	i := res.acked[0]
	if err := mp.Set(me.ctx, fmt.Sprintf("k%08d", i), memValue(i)); err != nil {
		t.Errorf("overwrite at the limit: %v", err)
	}
	// Removals make room again.
	for _, j := range res.acked[:2000] {
		if _, err := mp.Remove(me.ctx, fmt.Sprintf("k%08d", j)); err != nil {
			t.Fatalf("Remove: %v", err)
		}
	}
	again := me.flood(mp, "again", 0, 500, 1, 1)
	if len(again.acked) < 100 {
		t.Errorf("after removing 2000 entries only %d new writes fit", len(again.acked))
	}
	me.readBack(mp, "k", res.acked[2000:])
	me.readBack(mp, "again", again.acked)
}

// TestMemoryLimitEvictsToMakeRoom: a map with an eviction policy (LRU, no
// size) written far past the member limit never refuses a write: it
// evicts, raising EVICTED events. A map without eviction written next takes
// the memory from it, until it holds the memory itself and is refused.
func TestMemoryLimitEvictsToMakeRoom(t *testing.T) {
	const limit = 64 * mib
	me := setupMemory(t, "64m", harness.MapConfig{Name: "cache-*", Eviction: &harness.Eviction{Policy: "LRU"}})
	cache := me.getMap("cache-" + harness.MapName(t))
	keep := me.getMap("keep-" + harness.MapName(t))
	var evicted int64
	cfg := hazelcast.MapEntryListenerConfig{}
	cfg.NotifyEntryEvicted(true)
	if _, err := cache.AddEntryListener(me.ctx, cfg, func(e *hazelcast.EntryNotified) {
		atomic.AddInt64(&evicted, 1)
	}); err != nil {
		t.Fatal(err)
	}
	baseline := me.rss()

	// Three times the limit into the cache: no refusal.
	res := me.flood(cache, "c", 0, 130000, 4, 1)
	t.Logf("cache: %d writes (%.1f MiB), refused %d", len(res.acked), float64(res.ackedBytes)/mib, res.refused)
	if res.refused != 0 {
		t.Fatalf("a map with an eviction policy refused %d writes: %v", res.refused, res.refusals)
	}
	size := sizeOf(t, me.ctx, cache)
	ok, why := harness.Eventually(30*time.Second, 50*time.Millisecond, func() (bool, string) {
		n := atomic.LoadInt64(&evicted)
		return int(n) == len(res.acked)-size, fmt.Sprintf("%d EVICTED events, want %d", n, len(res.acked)-size)
	})
	if !ok {
		t.Errorf("events: %s", why)
	}
	t.Logf("cache holds %d entries after %d writes", size, len(res.acked))
	me.checkRSS(limit, baseline, "after writing 3x the limit into the cache")

	// The map without eviction takes the memory the cache held.
	kept := me.flood(keep, "k", 0, 200000, 4, 50)
	cacheAfter := sizeOf(t, me.ctx, cache)
	t.Logf("keep: %d writes (%.1f MiB), refused %d; the cache went from %d to %d entries",
		len(kept.acked), float64(kept.ackedBytes)/mib, kept.refused, size, cacheAfter)
	if kept.refused == 0 {
		t.Errorf("the map without eviction was never refused")
	}
	if kept.ackedBytes < limit*70/100 {
		t.Errorf("the map without eviction got only %.1f MiB; the cache should have made room",
			float64(kept.ackedBytes)/mib)
	}
	if cacheAfter > size/5 {
		t.Errorf("the cache still holds %d of %d entries", cacheAfter, size)
	}
	me.checkRSS(limit, baseline, "after the map without eviction took the memory")
	me.readBack(keep, "k", kept.acked)
}

// TestMemoryPolicies: the memory-based max-size policies keep a map's own
// bytes (USED_HEAP_*) or the member's free memory (FREE_HEAP_*, and the
// NATIVE spellings) against the member limit, measured as the entries'
// real cost (GetEntryView's cost, which all entries here share).
func TestMemoryPolicies(t *testing.T) {
	cases := []struct {
		sizePolicy string
		size       int
		mapBytes   int64 // what the map may hold under a 64 MiB limit
	}{
		{"USED_HEAP_SIZE", 8, 8 * mib},
		{"USED_HEAP_PERCENTAGE", 25, 16 * mib},
		{"FREE_HEAP_SIZE", 48, 16 * mib},
		{"FREE_HEAP_PERCENTAGE", 75, 16 * mib},
		{"USED_NATIVE_MEMORY_SIZE", 8, 8 * mib},
		{"FREE_NATIVE_MEMORY_PERCENTAGE", 75, 16 * mib},
	}
	for _, c := range cases {
		c := c
		t.Run(c.sizePolicy, func(t *testing.T) {
			me := setupMemory(t, "64m", harness.MapConfig{Name: "m-*",
				Eviction: &harness.Eviction{Policy: "LRU", MaxSizePolicy: c.sizePolicy, Size: c.size}})
			mp := me.getMap("m-" + harness.MapName(t))
			value := make([]byte, 1000)
			const n = 40000 // 40 MiB of values
			var next int64
			runWorkers(t, 4, 120*time.Second, func(int) error {
				for k := 0; k < n; k++ {
					i := atomic.AddInt64(&next, 1) - 1
					if i >= n {
						return nil
					}
					if err := mp.Set(me.ctx, fmt.Sprintf("k%08d", i), value); err != nil {
						return err
					}
				}
				return nil
			})
			size := sizeOf(t, me.ctx, mp)
			v, err := mp.GetEntryView(me.ctx, fmt.Sprintf("k%08d", n-1))
			if err != nil || v == nil {
				t.Fatalf("GetEntryView of the last key: %v %v", v, err)
			}
			held := int64(size) * v.Cost
			t.Logf("%s %d: %d entries of %d bytes = %.2f MiB (bound %.1f MiB)", c.sizePolicy, c.size, size,
				v.Cost, float64(held)/mib, float64(c.mapBytes)/mib)
			// The bound also counts the map's bucket arrays (~1 %).
			if held > c.mapBytes {
				t.Errorf("map holds %.2f MiB of entries; bound %.1f MiB", float64(held)/mib, float64(c.mapBytes)/mib)
			}
			if held < c.mapBytes*90/100 {
				t.Errorf("map holds only %.2f MiB; it may use up to %.1f MiB", float64(held)/mib, float64(c.mapBytes)/mib)
			}
		})
	}
}
