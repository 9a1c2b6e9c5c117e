package zprobe

import (
	"testing"
	"time"
	"fmt"

	"github.com/hazelcast/hazelcast-go-client/types"
	"memgrid.test/go/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

func ev(v *types.SimpleEntryView) string {
	if v == nil { return "nil" }
	now := time.Now().UnixMilli()
	return fmt.Sprintf("k=%v v=%v cost=%d ct=%d(%d) exp=%d(%d) hits=%d lat=%d(%d) lst=%d lut=%d(%d) ver=%d ttl=%d mi=%d", v.Key, v.Value, v.Cost, v.CreationTime, v.CreationTime-now, v.ExpirationTime, v.ExpirationTime-now, v.Hits, v.LastAccessTime, v.LastAccessTime-now, v.LastStoredTime, v.LastUpdateTime, v.LastUpdateTime-now, v.Version, v.TTL, v.MaxIdle)
}

func TestProbe(t *testing.T) {
	m := harness.Start(t, harness.Options{Maps: []harness.MapConfig{
		{Name: "stats", PerEntryStatsEnabled: true},
		{Name: "lru", Eviction: &harness.Eviction{Policy: "LRU", MaxSizePolicy: "PER_NODE", Size: 10000}},
		{Name: "cfgttl", TTLSeconds: 1800, MaxIdleSeconds: 300},
	}})
	c := m.NewClient(t)
	ctx := harness.Context(t, 60*time.Second)
	for _, name := range []string{"plain", "stats", "lru", "cfgttl"} {
		mp, _ := c.GetMap(ctx, name)
		mp.Put(ctx, "k", "v")
		v, _ := mp.GetEntryView(ctx, "k")
		t.Logf("%s after put: %s", name, ev(v))
		mp.Get(ctx, "k")
		mp.Get(ctx, "k")
		mp.Put(ctx, "k", "v2")
		v, _ = mp.GetEntryView(ctx, "k")
		t.Logf("%s after 2 gets + put: %s", name, ev(v))
		mp.PutWithTTL(ctx, "k2", "v", 10500*time.Millisecond)
		v, _ = mp.GetEntryView(ctx, "k2")
		t.Logf("%s putttl 10.5s: %s", name, ev(v))
		mp.PutWithTTLAndMaxIdle(ctx, "k3", "v", 20*time.Second, 5*time.Second)
		v, _ = mp.GetEntryView(ctx, "k3")
		t.Logf("%s ttl20 mi5: %s", name, ev(v))
		mp.SetTTL(ctx, "k3", 30*time.Second)
		v, _ = mp.GetEntryView(ctx, "k3")
		t.Logf("%s after SetTTL 30: %s", name, ev(v))
		mp.PutWithMaxIdle(ctx, "k4", "v", 500*time.Millisecond)
		v, _ = mp.GetEntryView(ctx, "k4")
		t.Logf("%s maxidle 500ms: %s", name, ev(v))
		mp.PutWithTTL(ctx, "k5", "v", 0)
		v, _ = mp.GetEntryView(ctx, "k5")
		t.Logf("%s ttl 0: %s", name, ev(v))
		mp.PutWithTTL(ctx, "k6", "v", 3*time.Second)
		mp.Put(ctx, "k6", "v")
		v, _ = mp.GetEntryView(ctx, "k6")
		t.Logf("%s ttl 3 then put: %s", name, ev(v))
	}
}
