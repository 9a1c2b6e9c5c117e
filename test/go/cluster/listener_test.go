package cluster

// Entry listeners registered with localOnly=false - what a unisocket
// client sends - are cluster-wide, as in Hazelcast: the member the client
// is connected to passes on the events of every member's partitions, also
// of a member that joins after the registration.

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	hzcluster "github.com/hazelcast/hazelcast-go-client/cluster"
	"github.com/hazelcast/hazelcast-go-client/types"

	"memgrid.test/go/harness"
)

const (
	// listenerKeys keys are put per round: about 3.7 per partition, so
	// every member owns some of them.
	listenerKeys = 1000
	// eventLimit bounds the wait for the events of one round.
	eventLimit = 30 * time.Second
	// eventQuiet: after the expected events, and after a removal, this long
	// without a further event shows nothing more comes.
	eventQuiet = 1500 * time.Millisecond
)

// eventLog records the events a listener receives.
type eventLog struct {
	mu      sync.Mutex
	events  []*hazelcast.EntryNotified
	changed chan struct{}
}

func newEventLog() *eventLog { return &eventLog{changed: make(chan struct{}, 1)} }

func (l *eventLog) handle(e *hazelcast.EntryNotified) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

func (l *eventLog) snapshot() []*hazelcast.EntryNotified {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*hazelcast.EntryNotified(nil), l.events...)
}

// waitFor waits until at least n events arrived or limit passed, then for
// eventQuiet more (so that extra events show), and returns them all.
func (l *eventLog) waitFor(n int, limit time.Duration) []*hazelcast.EntryNotified {
	deadline := time.Now().Add(limit)
	for len(l.snapshot()) < n && time.Now().Before(deadline) {
		select {
		case <-l.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
	time.Sleep(eventQuiet)
	return l.snapshot()
}

func addedOnly() hazelcast.MapEntryListenerConfig {
	cfg := hazelcast.MapEntryListenerConfig{IncludeValue: true}
	cfg.NotifyEntryAdded(true)
	return cfg
}

// checkAdded fails the test unless events are exactly one ADDED event per
// key, with valueFor(key) and no old value. It returns how many events
// each member published.
func checkAdded(t *testing.T, events []*hazelcast.EntryNotified, keys []string, when string) map[types.UUID]int {
	t.Helper()
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	seen := map[string]int{}
	pubs := map[types.UUID]int{}
	var bad []string
	for _, e := range events {
		k, _ := e.Key.(string)
		seen[k]++
		pubs[e.Member.UUID]++
		switch {
		case !want[k]:
			bad = append(bad, fmt.Sprintf("event for a key not put: %#v", e.Key))
		case e.EventType != hazelcast.EntryAdded:
			bad = append(bad, fmt.Sprintf("%s: event type %d, want ADDED", k, e.EventType))
		case e.Value != valueFor(k) || e.OldValue != nil:
			bad = append(bad, fmt.Sprintf("%s: value %#v, old value %#v; want %q and none", k, e.Value, e.OldValue, valueFor(k)))
		case seen[k] == 2:
			bad = append(bad, fmt.Sprintf("%s: more than one event", k))
		}
	}
	var missing []string
	for _, k := range keys {
		if seen[k] == 0 {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(bad) > 0 || len(missing) > 0 || len(events) != len(keys) {
		t.Errorf("%s: %d events for %d keys put: %d keys without an event, %d wrong events; events per publishing member %v%s%s",
			when, len(events), len(keys), len(missing), len(bad), pubs, sample("keys without an event", missing, 10), sample("wrong events", bad, 10))
	}
	return pubs
}

// requirePublishers fails the test unless every member in ms published
// at least one of the events.
func requirePublishers(t *testing.T, pubs map[types.UUID]int, ms []hzcluster.MemberInfo, when string) {
	t.Helper()
	for _, m := range ms {
		if pubs[m.UUID] == 0 {
			t.Errorf("%s: no event came from member %s (%s); events per publishing member: %v", when, m.Address, m.UUID, pubs)
		}
	}
}

// waitBalanced waits until the partition table gives every member of ms
// a fair share of the partitions (at least half of an even share), so
// that keys put afterwards land on every member; it returns that table.
// The table is read through a client of its own: memgrid keeps one
// cluster view listener per connection, and the watch's registration
// would take the view events away from a client's own listener.
func waitBalanced(t *testing.T, ctx context.Context, c *harness.Cluster, ms []hzcluster.MemberInfo) *partitionTable {
	t.Helper()
	if !partitionAPIAvailable() {
		time.Sleep(3 * time.Second) // no table to look at: give the migration time
		return nil
	}
	watcher, _ := c.NewClient(t)
	latest, err := watchPartitionTable(ctx, watcher)
	if err != nil {
		t.Fatal(err)
	}
	var pt *partitionTable
	ok, why := harness.Eventually(harness.MembershipLimit, 50*time.Millisecond, func() (bool, string) {
		pt = latest()
		if pt == nil {
			return false, "no partition table received"
		}
		owned := map[types.UUID]int{}
		for _, u := range pt.owner {
			owned[u]++
		}
		for _, m := range ms {
			if owned[m.UUID] < int(pt.count)/(2*len(ms)) {
				return false, fmt.Sprintf("member %s owns %d of %d partitions", m.Address, owned[m.UUID], pt.count)
			}
		}
		return true, ""
	})
	if !ok {
		t.Fatalf("the partitions were not spread over the %d members: %s", len(ms), why)
	}
	return pt
}

func clusterMap(t *testing.T, ctx context.Context, c *hazelcast.Client, name string) *hazelcast.Map {
	t.Helper()
	mp, err := c.GetMap(ctx, name)
	if err != nil {
		t.Fatalf("GetMap(%s): %v", name, err)
	}
	return mp
}

// TestListenerUnisocketGetsEveryMembersEvents: 3 members; a unisocket
// client connected to one of them listens (localOnly=false); a smart
// client puts keys spread over all partitions. The listener gets exactly
// one ADDED event per key, with its value, published by every member;
// after RemoveEntryListener no event comes.
func TestListenerUnisocketGetsEveryMembersEvents(t *testing.T) {
	c := harness.StartCluster(t, harness.ClusterOptions{Size: 3})
	ctx := harness.Context(t, testLimit)
	smart, view := c.NewClient(t)
	members := c.WaitMembers(t, view, all(c)...)
	uni, uview := c.NewClient(t, harness.WithAddresses(c.Members[1].Addr), harness.WithUnisocket())
	c.WaitMembers(t, uview, all(c)...)
	waitBalanced(t, ctx, c, members)
	name := harness.MapName(t)
	umap := clusterMap(t, ctx, uni, name)
	smap := clusterMap(t, ctx, smart, name)

	log := newEventLog()
	id, err := umap.AddEntryListener(ctx, addedOnly(), log.handle)
	if err != nil {
		t.Fatalf("AddEntryListener through %s (unisocket): %v", c.Members[1].Addr, err)
	}
	keys := putKeys(t, ctx, smap, "added", listenerKeys)
	pubs := checkAdded(t, log.waitFor(len(keys), eventLimit), keys, "unisocket listener on "+c.Members[1].Addr)
	requirePublishers(t, pubs, members, "unisocket listener")

	if err := umap.RemoveEntryListener(ctx, id); err != nil {
		t.Fatalf("RemoveEntryListener: %v", err)
	}
	before := len(log.snapshot())
	putKeys(t, ctx, smap, "removed", listenerKeys)
	time.Sleep(eventQuiet)
	if n := len(log.snapshot()) - before; n > 0 {
		t.Errorf("%d events arrived after RemoveEntryListener", n)
	}
}

// TestListenerReachesMemberThatJoins: 2 members; a unisocket client
// listens; a 3rd member joins and, once it owns partitions, a smart client
// puts keys. Every key gets its event, the new member's among them: it got
// the registration when it joined.
func TestListenerReachesMemberThatJoins(t *testing.T) {
	if !partitionAPIAvailable() {
		t.Skip("needs the client's partition table: go test -tags hazelcastinternal (test/go/run.sh sets it)")
	}
	c := harness.StartCluster(t, harness.ClusterOptions{Size: 2, Slots: 3})
	ctx := harness.Context(t, testLimit)
	smart, view := c.NewClient(t)
	c.WaitMembers(t, view, 0, 1)
	uni, uview := c.NewClient(t, harness.WithAddresses(c.Members[0].Addr), harness.WithUnisocket())
	c.WaitMembers(t, uview, 0, 1)
	waitBalanced(t, ctx, c, c.WaitMembers(t, view, 0, 1))
	name := harness.MapName(t)
	umap := clusterMap(t, ctx, uni, name)
	smap := clusterMap(t, ctx, smart, name)
	log := newEventLog()
	if _, err := umap.AddEntryListener(ctx, addedOnly(), log.handle); err != nil {
		t.Fatalf("AddEntryListener: %v", err)
	}

	c.Members[2].Start(t)
	members := c.WaitMembers(t, view, 0, 1, 2)
	c.WaitMembers(t, uview, 0, 1, 2)
	var joined types.UUID
	for _, m := range members {
		if m.Address.String() == c.Members[2].Addr {
			joined = m.UUID
		}
	}
	// The new member serves its share once the migration is done.
	pt := waitBalanced(t, ctx, c, members)
	keys := putKeys(t, ctx, smap, "joined", listenerKeys)
	owned, onJoined := 0, 0
	for _, u := range pt.owner {
		if u == joined {
			owned++
		}
	}
	for _, k := range keys {
		if p, err := pt.partitionOf(k); err == nil && pt.owner[p] == joined {
			onJoined++
		}
	}
	t.Logf("the new member owns %d partitions, %d of the %d keys", owned, onJoined, len(keys))
	pubs := checkAdded(t, log.waitFor(len(keys), eventLimit), keys, "after a member joined")
	requirePublishers(t, pubs, members, "after a member joined")
}
