// Package mapops tests every Map operation of hazelcast-go-client v1.4.2
// against the member under test. Expectations were checked against a real
// Hazelcast 5.7 member (MEMGRID_TARGET=hazelcast); where Hazelcast differs
// from shared/docs/imap-semantics.md the test follows Hazelcast and says so.
package mapops

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"

	"memgrid.test/go/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// Maps with configured defaults. Each is used by one test only.
const (
	mapCfgTTL     = "cfg-ttl"     // time-to-live-seconds: 3
	mapCfgMaxIdle = "cfg-maxidle" // max-idle-seconds: 3
	mapCfgBoth    = "cfg-both"    // time-to-live-seconds: 60, max-idle-seconds: 30
	mapCfgStats   = "cfg-stats"   // per-entry-stats-enabled: true
	mapCfgEvict   = "cfg-evict"   // eviction LRU PER_NODE 271
	mapCfgEvictL  = "cfg-evict-listen"
)

// memberOptions is the one configuration every test of the package uses, so
// that a Hazelcast member can be shared.
func memberOptions() harness.Options {
	return harness.Options{Maps: []harness.MapConfig{
		{Name: mapCfgTTL, TTLSeconds: 3},
		{Name: mapCfgMaxIdle, MaxIdleSeconds: 3},
		{Name: mapCfgBoth, TTLSeconds: 60, MaxIdleSeconds: 30},
		{Name: mapCfgStats, PerEntryStatsEnabled: true},
		{Name: mapCfgEvict, Eviction: &harness.Eviction{Policy: "LRU", MaxSizePolicy: "PER_NODE", Size: 271}},
		{Name: mapCfgEvictL, Eviction: &harness.Eviction{Policy: "LRU", MaxSizePolicy: "PER_NODE", Size: 271}},
	}}
}

// noLimit is what a member reports for "no TTL", "no max-idle", "never
// expires" (Java's Long.MAX_VALUE).
const noLimit int64 = math.MaxInt64

type env struct {
	t   *testing.T
	m   *harness.Member
	c   *hazelcast.Client
	mp  *hazelcast.Map
	ctx context.Context
}

// setup gives the test a member, a client and a map of its own (named after
// the test unless name is given).
func setup(t *testing.T, name ...string) *env {
	t.Helper()
	m := harness.Start(t, memberOptions())
	c := m.NewClient(t)
	ctx := harness.Context(t, 120*time.Second)
	n := harness.MapName(t)
	if len(name) > 0 {
		n = name[0]
	}
	mp, err := c.GetMap(ctx, n)
	if err != nil {
		t.Fatalf("GetMap(%q): %v", n, err)
	}
	return &env{t: t, m: m, c: c, mp: mp, ctx: ctx}
}

// other connects a second client and opens the same map through it.
func (e *env) other() (*hazelcast.Client, *hazelcast.Map) {
	e.t.Helper()
	c := e.m.NewClient(e.t)
	mp, err := c.GetMap(e.ctx, e.mp.Name())
	if err != nil {
		e.t.Fatalf("GetMap from a second client: %v", err)
	}
	return c, mp
}

func eq(t *testing.T, what string, got, want interface{}) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v; want %#v", what, got, want)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func (e *env) put(k, v interface{}) interface{} {
	e.t.Helper()
	old, err := e.mp.Put(e.ctx, k, v)
	must(e.t, fmt.Sprintf("Put(%v)", k), err)
	return old
}

func (e *env) get(k interface{}) interface{} {
	e.t.Helper()
	v, err := e.mp.Get(e.ctx, k)
	must(e.t, fmt.Sprintf("Get(%v)", k), err)
	return v
}

func (e *env) size() int {
	e.t.Helper()
	n, err := e.mp.Size(e.ctx)
	must(e.t, "Size", err)
	return n
}

func (e *env) view(k interface{}) *types.SimpleEntryView {
	e.t.Helper()
	v, err := e.mp.GetEntryView(e.ctx, k)
	must(e.t, fmt.Sprintf("GetEntryView(%v)", k), err)
	return v
}

// viewOf fails the test if the entry is absent.
func (e *env) viewOf(k interface{}) *types.SimpleEntryView {
	e.t.Helper()
	v := e.view(k)
	if v == nil {
		e.t.Fatalf("GetEntryView(%v) = nil; want an entry", k)
	}
	return v
}

func sortedStrings(xs []interface{}) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprintf("%v", x)
	}
	sort.Strings(out)
	return out
}

func entriesString(es []types.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%v=%v", e.Key, e.Value)
	}
	sort.Strings(out)
	return out
}

// gone polls GetEntryView (which does not count as an access) until key
// is absent; it returns how long that took from since.
func (e *env) waitGone(key interface{}, since time.Time, limit time.Duration) (time.Duration, bool) {
	e.t.Helper()
	var took time.Duration
	ok, _ := harness.Eventually(limit, 50*time.Millisecond, func() (bool, string) {
		v, err := e.mp.GetEntryView(e.ctx, key)
		if err != nil {
			return false, err.Error()
		}
		if v == nil {
			took = time.Since(since)
			return true, ""
		}
		return false, "present"
	})
	return took, ok
}

// pending reports whether ch is still open and empty after d.
func pending(ch <-chan error, d time.Duration) bool {
	select {
	case <-ch:
		return false
	case <-time.After(d):
		return true
	}
}

// async runs f in a goroutine and reports its error on the channel.
func async(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

func waitDone(t *testing.T, what string, ch <-chan error, limit time.Duration) {
	t.Helper()
	select {
	case err := <-ch:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(limit):
		t.Fatalf("%s did not finish within %v", what, limit)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
