package mapops

import (
	"fmt"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
)

// TestSizeBasedEviction: a map configured with eviction LRU, PER_NODE, size
// 271 on one member with 271 partitions may hold one entry per partition
// (size × members / partitions = 1). Writing 2000 keys leaves at most 271
// entries, and the key written last is never the one evicted.
func TestSizeBasedEviction(t *testing.T) {
	e := setup(t, mapCfgEvict)
	const n = 2000
	for i := 0; i < n; i++ {
		e.put(fmt.Sprintf("key-%04d", i), i)
	}
	size := e.size()
	if size > 271 {
		t.Errorf("Size = %d after %d puts; eviction should keep it at most 271", size, n)
	}
	// 2000 keys hit nearly every one of the 271 partitions.
	if size < 200 {
		t.Errorf("Size = %d after %d puts; want one entry in (nearly) every partition", size, n)
	}
	eq(t, "Get of the last key written", e.get(fmt.Sprintf("key-%04d", n-1)), int64(n-1))
	t.Logf("size after %d puts: %d", n, size)
}

// TestSizeBasedEvictionEvents: entries removed by size-based eviction are
// reported as EVICTED with their value.
func TestSizeBasedEvictionEvents(t *testing.T) {
	e := setup(t, mapCfgEvictL)
	cfg := hazelcast.MapEntryListenerConfig{IncludeValue: true}
	cfg.NotifyEntryEvicted(true)
	r, _ := e.listen(cfg)
	const n = 600
	for i := 0; i < n; i++ {
		e.put(fmt.Sprintf("key-%04d", i), fmt.Sprintf("v%d", i))
	}
	size := e.size()
	got := r.wait(t, n-size, 20*time.Second)
	r.quiet(t, n-size, 300*time.Millisecond)
	for _, ev := range got {
		want := fmt.Sprintf("EVICTED %v - v%d", ev.Key, atoi(ev.Key.(string)[4:]))
		if d := describe(ev); d != want {
			t.Errorf("eviction event %q; want %q", d, want)
			break
		}
	}
}

func atoi(s string) int {
	var n int
	fmt.Sscanf(s, "%d", &n)
	return n
}
