// Command scenario runs a fixed sequence of Map operations through
// hazelcast-go-client v1.4.2 against the member at $HZ_ADDR (cluster
// $HZ_CLUSTER) and prints a canonical transcript: one line per answer, lists
// sorted, and every field that may legitimately differ between two correct
// members (entry cost, absolute timestamps, member UUIDs) normalised or
// left out. Two members that behave alike print the same transcript.
//
// The member must have the maps of diff.Options(): "diff-stats"
// (per-entry-stats-enabled), "diff-ttl" (time-to-live-seconds 30),
// "diff-idle" (max-idle-seconds 20), "diff-both" (60 / 20).
//
// Timestamps are printed as "now" (a whole second within two minutes of the
// scenario's clock), "now+ms" (not whole seconds), or their raw value when
// they are -1, 0 or Long.MAX_VALUE ("max"). Expiration times of entries with
// a last-update time are printed relative to it ("upd+30000").
package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/hzerrors"
	"github.com/hazelcast/hazelcast-go-client/logger"
	"github.com/hazelcast/hazelcast-go-client/types"
)

var (
	ctx    context.Context
	prefix string
)

// line prints one transcript line at once, so that a member that hangs or
// crashes still leaves a partial transcript to compare.
func line(format string, args ...interface{}) {
	fmt.Println(prefix + fmt.Sprintf(format, args...))
}

func section(name string) {
	prefix = name + ": "
}

// val renders a value with its Go type, so "1" and int64(1) differ.
func val(v interface{}) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		return fmt.Sprintf("%q", x)
	case []byte:
		return fmt.Sprintf("bytes%v", x)
	default:
		return fmt.Sprintf("%T(%v)", v, v)
	}
}

var knownErrors = []struct {
	err  error
	name string
}{
	{hzerrors.ErrIllegalMonitorState, "IllegalMonitorState"},
	{hzerrors.ErrIllegalArgument, "IllegalArgument"},
	{hzerrors.ErrIllegalState, "IllegalState"},
	{hzerrors.ErrUnsupportedOperation, "UnsupportedOperation"},
	{hzerrors.ErrNilPointer, "NilPointer"},
	{hzerrors.ErrHazelcastSerialization, "Serialization"},
}

func errName(err error) string {
	if err == nil {
		return "ok"
	}
	for _, k := range knownErrors {
		if errors.Is(err, k.err) {
			return "error " + k.name
		}
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return "error other: " + msg
}

func res(v interface{}, err error) string {
	if err != nil {
		return errName(err)
	}
	return val(v)
}

var start = time.Now()

func ts(ms int64) string {
	switch {
	case ms == math.MaxInt64:
		return "max"
	case ms == -1 || ms == 0:
		return fmt.Sprint(ms)
	}
	now := time.Now().UnixMilli()
	if ms < start.UnixMilli()-120000 || ms > now+120000 {
		return fmt.Sprintf("far(%d)", ms)
	}
	if ms%1000 != 0 {
		return "now+ms"
	}
	return "now"
}

func dur(ms int64) string {
	if ms == math.MaxInt64 {
		return "max"
	}
	return fmt.Sprint(ms)
}

func view(mp *hazelcast.Map, key interface{}) string {
	v, err := mp.GetEntryView(ctx, key)
	if err != nil {
		return errName(err)
	}
	if v == nil {
		return "nil"
	}
	exp := ts(v.ExpirationTime)
	if v.LastUpdateTime > 0 && v.ExpirationTime != math.MaxInt64 {
		exp = fmt.Sprintf("upd+%d", v.ExpirationTime-v.LastUpdateTime)
	}
	return fmt.Sprintf("key=%s value=%s version=%d hits=%d ttl=%s maxIdle=%s exp=%s created=%s lastAccess=%s lastUpdate=%s lastStored=%s",
		val(v.Key), val(v.Value), v.Version, v.Hits, dur(v.TTL), dur(v.MaxIdle), exp,
		ts(v.CreationTime), ts(v.LastAccessTime), ts(v.LastUpdateTime), ts(v.LastStoredTime))
}

func sortedVals(xs []interface{}, err error) string {
	if err != nil {
		return errName(err)
	}
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = val(x)
	}
	sort.Strings(s)
	return "[" + strings.Join(s, " ") + "]"
}

func sortedEntries(es []types.Entry, err error) string {
	if err != nil {
		return errName(err)
	}
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = val(e.Key) + "=" + val(e.Value)
	}
	sort.Strings(s)
	return "[" + strings.Join(s, " ") + "]"
}

// events collects entry events of one listener.
type events struct {
	mu   sync.Mutex
	list []string
	last time.Time
}

var eventNames = map[hazelcast.EntryEventType]string{
	hazelcast.EntryAdded: "ADDED", hazelcast.EntryRemoved: "REMOVED", hazelcast.EntryUpdated: "UPDATED",
	hazelcast.EntryEvicted: "EVICTED", hazelcast.EntryExpired: "EXPIRED", hazelcast.EntryAllEvicted: "EVICT_ALL",
	hazelcast.EntryAllCleared: "CLEAR_ALL", hazelcast.EntryMerged: "MERGED", hazelcast.EntryLoaded: "LOADED",
}

func (ev *events) handle(e *hazelcast.EntryNotified) {
	name := eventNames[e.EventType]
	if name == "" {
		name = fmt.Sprintf("TYPE%d", e.EventType)
	}
	member := "member"
	if e.Member.UUID.Default() {
		member = "unknown-member"
	}
	s := fmt.Sprintf("key=%s %s value=%s old=%s merging=%s n=%d %s", val(e.Key), name, val(e.Value),
		val(e.OldValue), val(e.MergingValue), e.NumberOfAffectedEntries, member)
	ev.mu.Lock()
	ev.list = append(ev.list, s)
	ev.last = time.Now()
	ev.mu.Unlock()
}

// flush waits until the listener has been quiet for 500 ms (at most 10 s),
// then prints what arrived, grouped by key in arrival order (events of
// one key are ordered; events of different keys are not).
func (ev *events) flush(label string) {
	deadline := time.Now().Add(10 * time.Second)
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < 200 && time.Now().Before(deadline); i++ {
		ev.mu.Lock()
		quiet := time.Since(ev.last) > 500*time.Millisecond
		ev.mu.Unlock()
		if quiet {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	ev.mu.Lock()
	got := ev.list
	ev.list = nil
	ev.mu.Unlock()
	sort.SliceStable(got, func(i, j int) bool { return keyOf(got[i]) < keyOf(got[j]) })
	line("events %s: %d", label, len(got))
	for _, s := range got {
		line("  %s", s)
	}
}

func keyOf(s string) string { return s[:strings.IndexByte(s, ' ')] }

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

func newClient(addr, cluster string) *hazelcast.Client {
	cfg := hazelcast.NewConfig()
	cfg.Cluster.Network.SetAddresses(addr)
	if cluster != "" {
		cfg.Cluster.Name = cluster
	}
	cfg.Cluster.ConnectionStrategy.Timeout = types.Duration(20 * time.Second)
	cfg.Logger.Level = logger.ErrorLevel
	c, err := hazelcast.StartNewClientWithConfig(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "connect: %v\n", err)
		os.Exit(2)
	}
	return c
}

func getMap(c *hazelcast.Client, name string) *hazelcast.Map {
	m, err := c.GetMap(ctx, name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "GetMap %s: %v\n", name, err)
		os.Exit(2)
	}
	return m
}

func main() {
	var cancel context.CancelFunc
	ctx, cancel = context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	addr, cluster := os.Getenv("HZ_ADDR"), os.Getenv("HZ_CLUSTER")
	a := newClient(addr, cluster)
	b := newClient(addr, cluster)
	defer a.Shutdown(context.Background())
	defer b.Shutdown(context.Background())
	run := fmt.Sprintf("%d", time.Now().UnixNano()) // map names unique per run
	name := func(s string) string { return "diff-" + s + "-" + run }
	// The configured maps have fixed names; start them empty.
	for _, n := range []string{"diff-stats", "diff-ttl", "diff-idle", "diff-both"} {
		if err := getMap(a, n).Clear(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "Clear %s: %v\n", n, err)
			os.Exit(2)
		}
	}

	basic(getMap(a, name("basic")))
	conditional(getMap(a, name("cond")))
	valueTypes(getMap(a, name("types")))
	bulk(getMap(a, name("bulk")))
	entryViews(getMap(a, name("views")), getMap(a, "diff-stats"))
	mapConfig(getMap(a, "diff-ttl"), getMap(a, "diff-idle"), getMap(a, "diff-both"))
	entryEvents(getMap(a, name("events")))
	locks(getMap(a, name("locks")), getMap(b, name("locks")))
	expiry(getMap(a, name("expiry")))
	destroy(a, name("destroy"))
	section("end")
	line("done")
}

func basic(m *hazelcast.Map) {
	section("basic")
	line("Put k=v1 -> %s", res(m.Put(ctx, "k", "v1")))
	line("Put k=v2 -> %s", res(m.Put(ctx, "k", "v2")))
	line("Get k -> %s", res(m.Get(ctx, "k")))
	line("Get missing -> %s", res(m.Get(ctx, "missing")))
	line("Set s=x -> %s", errName(m.Set(ctx, "s", "x")))
	line("ContainsKey k -> %s", res(m.ContainsKey(ctx, "k")))
	line("ContainsKey missing -> %s", res(m.ContainsKey(ctx, "missing")))
	line("ContainsValue v2 -> %s", res(m.ContainsValue(ctx, "v2")))
	line("ContainsValue v1 -> %s", res(m.ContainsValue(ctx, "v1")))
	line("Size -> %s", res(m.Size(ctx)))
	line("IsEmpty -> %s", res(m.IsEmpty(ctx)))
	line("Remove k -> %s", res(m.Remove(ctx, "k")))
	line("Remove k -> %s", res(m.Remove(ctx, "k")))
	line("Delete s -> %s", errName(m.Delete(ctx, "s")))
	line("Delete s -> %s", errName(m.Delete(ctx, "s")))
	line("Size -> %s", res(m.Size(ctx)))
	line("IsEmpty -> %s", res(m.IsEmpty(ctx)))
	line("Flush -> %s", errName(m.Flush(ctx)))
}

func conditional(m *hazelcast.Map) {
	section("conditional")
	line("PutIfAbsent k=a -> %s", res(m.PutIfAbsent(ctx, "k", "a")))
	line("PutIfAbsent k=b -> %s", res(m.PutIfAbsent(ctx, "k", "b")))
	line("PutIfAbsentWithTTL t=a 30s -> %s", res(m.PutIfAbsentWithTTL(ctx, "t", "a", 30*time.Second)))
	line("PutIfAbsentWithTTLAndMaxIdle t=b -> %s", res(m.PutIfAbsentWithTTLAndMaxIdle(ctx, "t", "b", time.Second, time.Second)))
	line("Replace missing -> %s", res(m.Replace(ctx, "missing", "x")))
	line("Replace k=c -> %s", res(m.Replace(ctx, "k", "c")))
	line("ReplaceIfSame k wrong -> %s", res(m.ReplaceIfSame(ctx, "k", "zzz", "d")))
	line("ReplaceIfSame k c->d -> %s", res(m.ReplaceIfSame(ctx, "k", "c", "d")))
	line("ReplaceIfSame missing -> %s", res(m.ReplaceIfSame(ctx, "missing", "a", "b")))
	line("RemoveIfSame k wrong -> %s", res(m.RemoveIfSame(ctx, "k", "zzz")))
	line("RemoveIfSame k d -> %s", res(m.RemoveIfSame(ctx, "k", "d")))
	line("RemoveIfSame k d -> %s", res(m.RemoveIfSame(ctx, "k", "d")))
	line("TryPut k=e -> %s", res(m.TryPut(ctx, "k", "e")))
	line("TryPutWithTimeout k=f -> %s", res(m.TryPutWithTimeout(ctx, "k", "f", time.Second)))
	line("TryRemove k -> %s", res(m.TryRemove(ctx, "k")))
	line("TryRemove k -> %s", res(m.TryRemove(ctx, "k")))
	line("TryRemoveWithTimeout t -> %s", res(m.TryRemoveWithTimeout(ctx, "t", time.Second)))
	line("PutTransient p=1 -> %s", errName(m.PutTransient(ctx, "p", "1")))
	line("PutTransientWithTTL p=2 -> %s", errName(m.PutTransientWithTTL(ctx, "p", "2", 30*time.Second)))
	line("PutTransientWithMaxIdle p=3 -> %s", errName(m.PutTransientWithMaxIdle(ctx, "p", "3", 30*time.Second)))
	line("PutTransientWithTTLAndMaxIdle p=4 -> %s", errName(m.PutTransientWithTTLAndMaxIdle(ctx, "p", "4", 30*time.Second, 20*time.Second)))
	line("Get p -> %s", res(m.Get(ctx, "p")))
	line("Evict p -> %s", res(m.Evict(ctx, "p")))
	line("Evict p -> %s", res(m.Evict(ctx, "p")))
	line("Put q=1 -> %s", res(m.Put(ctx, "q", "1")))
	line("SetTTLAffected q 30s -> %s", res(m.SetTTLAffected(ctx, "q", 30*time.Second)))
	line("SetTTLAffected missing -> %s", res(m.SetTTLAffected(ctx, "missing", 30*time.Second)))
	line("SetTTL missing -> %s", errName(m.SetTTL(ctx, "missing", 30*time.Second)))
	line("Size -> %s", res(m.Size(ctx)))
}

func valueTypes(m *hazelcast.Map) {
	section("types")
	pairs := []struct{ k, v interface{} }{
		{"str", "text"}, {"empty", ""}, {"unicode", "héllo ✓ 日本"},
		{int64(7), int64(-9)}, {int32(7), int32(9)}, {int16(7), int16(3)}, {int8(7), int8(1)},
		{"float64", 2.5}, {"float32", float32(1.5)}, {"bool", false}, {"bytes", []byte{0, 1, 255}},
		{"7", "string seven"}, {"strs", []string{"a", "b"}}, {"ints", []int64{1, 2, 3}},
	}
	for _, p := range pairs {
		line("Put %s=%s -> %s", val(p.k), val(p.v), res(m.Put(ctx, p.k, p.v)))
	}
	for _, p := range pairs {
		line("Get %s -> %s", val(p.k), res(m.Get(ctx, p.k)))
	}
	line("ContainsKey int64(7) -> %s", res(m.ContainsKey(ctx, int64(7))))
	line("ContainsKey int32(7) -> %s", res(m.ContainsKey(ctx, int32(7))))
	line("ContainsKey \"7\" -> %s", res(m.ContainsKey(ctx, "7")))
	line("ContainsKey float64(7) -> %s", res(m.ContainsKey(ctx, float64(7))))
	line("ContainsValue int64(-9) -> %s", res(m.ContainsValue(ctx, int64(-9))))
	line("ContainsValue int32(-9) -> %s", res(m.ContainsValue(ctx, int32(-9))))
	line("Size -> %s", res(m.Size(ctx)))
	line("KeySet -> %s", sortedVals(m.GetKeySet(ctx)))
}

func bulk(m *hazelcast.Map) {
	section("bulk")
	var entries []types.Entry
	for i := 0; i < 50; i++ {
		entries = append(entries, types.NewEntry(fmt.Sprintf("k%02d", i), fmt.Sprintf("v%d", i%5)))
	}
	line("PutAll 50 -> %s", errName(m.PutAll(ctx, entries...)))
	line("Size -> %s", res(m.Size(ctx)))
	line("GetAll k00 k07 k49 nope -> %s", sortedEntries(m.GetAll(ctx, "k00", "k07", "k49", "nope")))
	line("GetAll nope -> %s", sortedEntries(m.GetAll(ctx, "nope")))
	line("KeySet -> %s", sortedVals(m.GetKeySet(ctx)))
	line("Values -> %s", sortedVals(m.GetValues(ctx)))
	es, err := m.GetEntrySet(ctx)
	line("EntrySet count -> %d %s", len(es), errName(err))
	line("PutAll overwrite -> %s", errName(m.PutAll(ctx, types.NewEntry("k00", "new"), types.NewEntry("extra", "x"))))
	line("Get k00 -> %s", res(m.Get(ctx, "k00")))
	line("View k00 -> %s", view(m, "k00"))
	line("Size -> %s", res(m.Size(ctx)))
	line("EvictAll -> %s", errName(m.EvictAll(ctx)))
	line("Size -> %s", res(m.Size(ctx)))
	line("PutAll 3 -> %s", errName(m.PutAll(ctx, entries[:3]...)))
	line("Clear -> %s", errName(m.Clear(ctx)))
	line("Size -> %s", res(m.Size(ctx)))
	line("IsEmpty -> %s", res(m.IsEmpty(ctx)))
	line("KeySet -> %s", sortedVals(m.GetKeySet(ctx)))
}

func entryViews(m, stats *hazelcast.Map) {
	section("views")
	line("View missing -> %s", view(m, "missing"))
	m.Put(ctx, "k", "v")
	line("View after Put -> %s", view(m, "k"))
	m.Get(ctx, "k")
	m.Put(ctx, "k", "v2")
	line("View after Get+Put -> %s", view(m, "k"))
	m.Set(ctx, "k", "v3")
	m.Replace(ctx, "k", "v4")
	line("View after Set+Replace -> %s", view(m, "k"))
	m.PutWithTTL(ctx, "t", "v", 30*time.Second)
	line("View PutWithTTL 30s -> %s", view(m, "t"))
	// A fractional TTL is kept truncated to whole seconds. (The expiration
	// time is computed from the untruncated value and then truncated, so
	// it depends on the wall clock's fraction: not printed.)
	m.PutWithTTL(ctx, "frac", "v", 30500*time.Millisecond)
	if v, err := m.GetEntryView(ctx, "frac"); err != nil || v == nil {
		line("View PutWithTTL 30.5s -> %s %v", errName(err), v)
	} else {
		line("View PutWithTTL 30.5s -> ttl=%s maxIdle=%s", dur(v.TTL), dur(v.MaxIdle))
	}
	m.PutWithMaxIdle(ctx, "i", "v", 20*time.Second)
	line("View PutWithMaxIdle 20s -> %s", view(m, "i"))
	m.PutWithTTLAndMaxIdle(ctx, "ti", "v", 30*time.Second, 20*time.Second)
	line("View PutWithTTLAndMaxIdle 30s/20s -> %s", view(m, "ti"))
	m.SetTTL(ctx, "ti", 40*time.Second)
	line("View after SetTTL 40s -> %s", view(m, "ti"))
	m.SetTTL(ctx, "ti", 0)
	line("View after SetTTL 0 -> %s", view(m, "ti"))
	m.PutWithTTL(ctx, "t", "v2", -1)
	line("View PutWithTTL -1ns (client sends 0) -> %s", view(m, "t"))
	m.PutWithTTL(ctx, "r", "v", 30*time.Second)
	m.Replace(ctx, "r", "v2")
	line("View Replace after PutWithTTL -> %s", view(m, "r"))
	m.SetWithTTLAndMaxIdle(ctx, "s", "v", 30*time.Second, 0)
	line("View SetWithTTLAndMaxIdle 30s/0 -> %s", view(m, "s"))
	m.Remove(ctx, "k")
	m.Put(ctx, "k", "again")
	line("View after Remove+Put -> %s", view(m, "k"))

	section("stats")
	step := func(what string, f func()) {
		f()
		line("after %s -> %s", what, view(stats, "k"))
	}
	step("Put", func() { stats.Put(ctx, "k", "v") })
	step("GetEntryView", func() { stats.GetEntryView(ctx, "k") })
	step("Get", func() { stats.Get(ctx, "k") })
	step("ContainsKey", func() { stats.ContainsKey(ctx, "k") })
	step("GetAll", func() { stats.GetAll(ctx, "k") })
	step("ContainsValue", func() { stats.ContainsValue(ctx, "v") })
	step("KeySet+Values+EntrySet", func() { stats.GetKeySet(ctx); stats.GetValues(ctx); stats.GetEntrySet(ctx) })
	step("PutIfAbsent existing", func() { stats.PutIfAbsent(ctx, "k", "x") })
	step("ReplaceIfSame mismatch", func() { stats.ReplaceIfSame(ctx, "k", "no", "x") })
	step("Put", func() { stats.Put(ctx, "k", "v") })
	step("Set", func() { stats.Set(ctx, "k", "v") })
	step("Replace", func() { stats.Replace(ctx, "k", "v") })
	step("ReplaceIfSame match", func() { stats.ReplaceIfSame(ctx, "k", "v", "v") })
	step("SetTTL", func() { stats.SetTTL(ctx, "k", time.Hour) })
	step("Lock+Unlock", func() { stats.Lock(ctx, "k"); stats.Unlock(ctx, "k") })
	step("Remove+Put", func() { stats.Remove(ctx, "k"); stats.Put(ctx, "k", "v") })
}

func mapConfig(ttl, idle, both *hazelcast.Map) {
	section("config")
	ttl.Put(ctx, "k", "v")
	line("diff-ttl Put -> %s", view(ttl, "k"))
	ttl.PutWithTTL(ctx, "k2", "v", 0)
	line("diff-ttl PutWithTTL 0 -> %s", view(ttl, "k2"))
	ttl.PutWithTTL(ctx, "k3", "v", 90*time.Second)
	line("diff-ttl PutWithTTL 90s -> %s", view(ttl, "k3"))
	ttl.PutWithMaxIdle(ctx, "k4", "v", 10*time.Second)
	line("diff-ttl PutWithMaxIdle 10s -> %s", view(ttl, "k4"))
	ttl.PutAll(ctx, types.NewEntry("k5", "v"))
	line("diff-ttl PutAll -> %s", view(ttl, "k5"))
	idle.Put(ctx, "k", "v")
	line("diff-idle Put -> %s", view(idle, "k"))
	idle.PutWithTTL(ctx, "k2", "v", 5*time.Second)
	line("diff-idle PutWithTTL 5s -> %s", view(idle, "k2"))
	idle.PutWithMaxIdle(ctx, "k3", "v", 0)
	line("diff-idle PutWithMaxIdle 0 -> %s", view(idle, "k3"))
	both.Put(ctx, "k", "v")
	line("diff-both Put -> %s", view(both, "k"))
	both.SetTTL(ctx, "k", 10*time.Second)
	line("diff-both SetTTL 10s -> %s", view(both, "k"))
	both.PutWithTTLAndMaxIdle(ctx, "k2", "v", 100*time.Second, 50*time.Second)
	both.Put(ctx, "k2", "v2")
	line("diff-both Put after own TTL/idle -> %s", view(both, "k2"))
}

func entryEvents(m *hazelcast.Map) {
	section("events")
	withValues := &events{}
	withoutValues := &events{}
	oneKey := &events{}
	if _, err := m.AddEntryListener(ctx, allEvents(true, nil), withValues.handle); err != nil {
		line("AddEntryListener -> %s", errName(err))
	}
	if _, err := m.AddEntryListener(ctx, allEvents(false, nil), withoutValues.handle); err != nil {
		line("AddEntryListener -> %s", errName(err))
	}
	if _, err := m.AddEntryListener(ctx, allEvents(true, "a"), oneKey.handle); err != nil {
		line("AddEntryListener -> %s", errName(err))
	}
	m.Put(ctx, "a", "1")
	m.Put(ctx, "a", "2")
	m.Set(ctx, "a", "3")
	m.Replace(ctx, "a", "4")
	m.ReplaceIfSame(ctx, "a", "4", "5")
	m.ReplaceIfSame(ctx, "a", "no", "6")
	m.PutIfAbsent(ctx, "a", "7")
	m.SetTTL(ctx, "a", time.Hour)
	m.Get(ctx, "a")
	m.Remove(ctx, "a")
	m.Remove(ctx, "a")
	m.PutTransient(ctx, "b", "1")
	m.Delete(ctx, "b")
	m.Delete(ctx, "b")
	m.TryPut(ctx, "c", "1")
	m.TryRemove(ctx, "c")
	m.PutIfAbsent(ctx, "d", "1")
	m.RemoveIfSame(ctx, "d", "no")
	m.RemoveIfSame(ctx, "d", "1")
	m.Put(ctx, "e", "1")
	m.Evict(ctx, "e")
	m.Evict(ctx, "e")
	m.PutAll(ctx, types.NewEntry("f", "1"), types.NewEntry("g", "1"))
	m.PutAll(ctx, types.NewEntry("f", "2"))
	withValues.flush("keyed ops, values")
	withoutValues.flush("keyed ops, no values")
	oneKey.flush("keyed ops, key a only")
	m.Clear(ctx)
	withValues.flush("clear")
	m.Clear(ctx)
	withValues.flush("clear of empty map")
	m.Put(ctx, "h", "1")
	m.EvictAll(ctx)
	withValues.flush("put + evictAll")
	withoutValues.flush("map-wide, no values")
	oneKey.flush("map-wide, key a only")
	m.PutWithTTL(ctx, "x", "1", time.Second)
	withValues.flush("put with ttl")
	waitGone(m, "x")
	withValues.flush("after expiry")
}

// waitGone polls until key is absent (at most 15 s) and prints the outcome.
func waitGone(m *hazelcast.Map, key interface{}) {
	for i := 0; i < 150; i++ {
		v, err := m.GetEntryView(ctx, key)
		if err != nil {
			line("wait for %s to expire -> %s", val(key), errName(err))
			return
		}
		if v == nil {
			line("wait for %s to expire -> gone", val(key))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	line("wait for %s to expire -> still there after 15 s", val(key))
}

func locks(a, b *hazelcast.Map) {
	section("locks")
	line("A IsLocked k -> %s", res(a.IsLocked(ctx, "k")))
	line("A Lock k -> %s", errName(a.Lock(ctx, "k")))
	line("A Size (lock makes no entry) -> %s", res(a.Size(ctx)))
	line("B IsLocked k -> %s", res(b.IsLocked(ctx, "k")))
	line("B TryLock k -> %s", res(b.TryLock(ctx, "k")))
	line("B TryLockWithTimeout k 200ms -> %s", res(b.TryLockWithTimeout(ctx, "k", 200*time.Millisecond)))
	line("B Unlock k -> %s", errName(b.Unlock(ctx, "k")))
	line("B TryPutWithTimeout k 200ms -> %s", res(b.TryPutWithTimeout(ctx, "k", "b", 200*time.Millisecond)))
	line("B TryRemoveWithTimeout k 200ms -> %s", res(b.TryRemoveWithTimeout(ctx, "k", 200*time.Millisecond)))
	line("B Get k -> %s", res(b.Get(ctx, "k")))
	line("A Put k=a -> %s", res(a.Put(ctx, "k", "a")))
	line("A Lock k again -> %s", errName(a.Lock(ctx, "k")))
	line("A TryLock k -> %s", res(a.TryLock(ctx, "k")))
	line("A Unlock k -> %s", errName(a.Unlock(ctx, "k")))
	line("A Unlock k -> %s", errName(a.Unlock(ctx, "k")))
	line("B IsLocked k (held once more) -> %s", res(b.IsLocked(ctx, "k")))
	line("A Unlock k -> %s", errName(a.Unlock(ctx, "k")))
	line("B IsLocked k -> %s", res(b.IsLocked(ctx, "k")))
	line("A Unlock k (not locked) -> %s", errName(a.Unlock(ctx, "k")))
	line("B Lock k -> %s", errName(b.Lock(ctx, "k")))
	line("B Lock k -> %s", errName(b.Lock(ctx, "k")))
	line("A ForceUnlock k -> %s", errName(a.ForceUnlock(ctx, "k")))
	line("A IsLocked k -> %s", res(a.IsLocked(ctx, "k")))
	line("B Unlock k (after force) -> %s", errName(b.Unlock(ctx, "k")))
	line("A ForceUnlock free -> %s", errName(a.ForceUnlock(ctx, "free")))
	a.Put(ctx, "l1", "1")
	a.Put(ctx, "l2", "2")
	line("A Lock l1 -> %s", errName(a.Lock(ctx, "l1")))
	line("B Clear -> %s", errName(b.Clear(ctx)))
	line("B KeySet -> %s", sortedVals(b.GetKeySet(ctx)))
	line("B EvictAll -> %s", errName(b.EvictAll(ctx)))
	line("B KeySet -> %s", sortedVals(b.GetKeySet(ctx)))
	line("A IsLocked l1 -> %s", res(a.IsLocked(ctx, "l1")))
	line("A Unlock l1 -> %s", errName(a.Unlock(ctx, "l1")))
	lc1, lc2 := a.NewLockContext(ctx), a.NewLockContext(ctx)
	line("A ctx1 Lock m -> %s", errName(a.Lock(lc1, "m")))
	line("A ctx2 TryLock m -> %s", res(a.TryLock(lc2, "m")))
	line("A ctx2 Unlock m -> %s", errName(a.Unlock(lc2, "m")))
	line("A ctx1 Unlock m -> %s", errName(a.Unlock(lc1, "m")))
	line("A LockWithLease n 1s -> %s", errName(a.LockWithLease(ctx, "n", time.Second)))
	t0 := time.Now()
	ok, err := b.TryLockWithTimeout(ctx, "n", 15*time.Second)
	el := time.Since(t0)
	line("B TryLockWithTimeout n 15s (lease 1s) -> %s within 0.5..10s=%v", res(ok, err), el > 500*time.Millisecond && el < 10*time.Second)
	line("B Unlock n -> %s", errName(b.Unlock(ctx, "n")))
}

func expiry(m *hazelcast.Map) {
	section("expiry")
	line("PutWithTTL k=old 1s -> %s", res(m.PutWithTTL(ctx, "k", "old", time.Second)))
	line("PutWithTTL k=old2 1s -> %s", res(m.PutWithTTL(ctx, "k", "old2", time.Second)))
	waitGone(m, "k")
	line("Put k=new over expired -> %s", res(m.Put(ctx, "k", "new")))
	line("View k -> %s", view(m, "k"))
	line("PutWithMaxIdle i 2s -> %s", res(m.PutWithMaxIdle(ctx, "i", "v", 2*time.Second)))
	waitGone(m, "i")
	line("SetWithTTL s 1s -> %s", errName(m.SetWithTTL(ctx, "s", "v", time.Second)))
	waitGone(m, "s")
	line("Get s -> %s", res(m.Get(ctx, "s")))
	line("Size -> %s", res(m.Size(ctx)))
}

func destroy(c *hazelcast.Client, name string) {
	section("destroy")
	m := getMap(c, name)
	m.Put(ctx, "k", "v")
	m.Lock(ctx, "k")
	line("Destroy -> %s", errName(m.Destroy(ctx)))
	m = getMap(c, name)
	line("Size after Destroy -> %s", res(m.Size(ctx)))
	line("IsLocked k after Destroy -> %s", res(m.IsLocked(ctx, "k")))
	line("Put k after Destroy -> %s", res(m.Put(ctx, "k", "v2")))
	line("Size -> %s", res(m.Size(ctx)))
}
