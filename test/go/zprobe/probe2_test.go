package zprobe

import (
	"testing"
	"time"

	"memgrid.test/go/harness"
)

func TestProbe2(t *testing.T) {
	m := harness.Start(t, harness.Options{Maps: []harness.MapConfig{
		{Name: "stats", PerEntryStatsEnabled: true},
	}})
	c := m.NewClient(t)
	ctx := harness.Context(t, 60*time.Second)
	mp, _ := c.GetMap(ctx, "stats")
	step := func(s string) { v, _ := mp.GetEntryView(ctx, "k"); t.Logf("%-28s %s", s, ev(v)) }
	mp.Put(ctx, "k", "v"); step("put")
	step("gev")
	mp.Get(ctx, "k"); step("get")
	mp.ContainsKey(ctx, "k"); step("containsKey")
	mp.GetAll(ctx, "k"); step("getAll")
	mp.ContainsValue(ctx, "v"); step("containsValue")
	mp.GetKeySet(ctx); mp.GetEntrySet(ctx); mp.GetValues(ctx); step("keyset/entryset/values")
	mp.PutIfAbsent(ctx, "k", "x"); step("putIfAbsent existing")
	mp.ReplaceIfSame(ctx, "k", "nomatch", "x"); step("replaceIfSame nomatch")
	mp.Put(ctx, "k", "v"); step("put existing")
	mp.Set(ctx, "k", "v"); step("set existing")
	mp.Replace(ctx, "k", "v"); step("replace")
	mp.ReplaceIfSame(ctx, "k", "v", "v"); step("replaceIfSame match")
	mp.SetTTL(ctx, "k", time.Hour); step("setTTL")
	mp.Lock(ctx, "k"); step("lock"); mp.Unlock(ctx, "k"); step("unlock")
	mp.PutAll(ctx, ); step("-")
	time.Sleep(1100*time.Millisecond)
	mp.Get(ctx, "k"); step("get 1s later")
	mp.Put(ctx, "k", "v"); step("put 1s later")
	r, err := mp.TryRemove(ctx, "k"); t.Logf("TryRemove existing %#v %v", r, err)
	r, err = mp.TryRemove(ctx, "k"); t.Logf("TryRemove missing %#v %v", r, err)
	ok, err := mp.SetTTLAffected(ctx, "k", time.Second); t.Logf("SetTTLAffected missing %v %v", ok, err)
	ok, err = mp.Evict(ctx, "k"); t.Logf("Evict missing %v %v", ok, err)
	err = mp.Unlock(ctx, "k"); t.Logf("Unlock unlocked %v", err)
}
