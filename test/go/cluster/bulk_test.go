package cluster

// Whole-map operations across members: destroy reaches every member, and
// putAll / clear are confirmed only once their backups hold them.

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"

	"memgrid.test/go/harness"
)

// Slots of the lagging-backup tests: the master (slot 0, it founded the
// cluster) serves the unisocket client, slot 1 owns the keys and is killed,
// slot 2 is paused so that it lags behind as a backup.
const (
	originSlot = 0
	ownerSlot  = 1
	laggerSlot = 2
)

// The lagging-backup tests raise max-no-heartbeat to 10 s: the backup is
// stopped for a few seconds (well under the serving lease, 7.5 s, and
// under half the timeout, which would count as a pause of its own), so it
// stays a member that just lags behind. Backups get 30 s to acknowledge.
var lagProperties = map[string]string{
	"hazelcast.max.no.heartbeat.seconds":        "10",
	"hazelcast.operation.backup.timeout.millis": "30000",
}

const (
	// floodEntries small entries (one PutAll per partition: the client
	// sends a call's partitions one after the other) are written to the
	// owner's partitions while the backup is stopped: about half of them
	// (some 10 MiB of records) queue up for it, many more than the sockets
	// buffer, and a backup takes a while to apply that many.
	floodEntries = 200_000
	// floodLimit bounds the wait for the flood to reach the owner.
	floodLimit = 5 * time.Second
	// resumeAfter: the backup resumes this long after the operation started.
	resumeAfter = 400 * time.Millisecond
)

// TestDestroyIsClusterWide: after Destroy through one client, no member
// holds an entry of the map - neither through a client connected to it
// alone nor after a member is killed and backups are promoted.
func TestDestroyIsClusterWide(t *testing.T) {
	c := harness.StartCluster(t, harness.ClusterOptions{Size: 3})
	ctx := harness.Context(t, testLimit)
	client, view := c.NewClient(t, harness.WithRedoOperation())
	c.WaitMembers(t, view, all(c)...)
	mp := newClusterMap(t, client)
	keys := putKeys(t, ctx, mp, "destroy", 2000)
	if err := mp.Destroy(ctx); err != nil {
		t.Fatalf("Destroy: %v", err)
	}

	for _, m := range c.Members {
		cl, v := c.NewClient(t, harness.WithAddresses(m.Addr), harness.WithUnisocket())
		c.WaitMembers(t, v, all(c)...)
		ump, err := cl.GetMap(ctx, mp.Name())
		if err != nil {
			t.Fatalf("GetMap through %s: %v", m.Addr, err)
		}
		expectEmpty(t, ctx, ump, keys, "through "+m.Addr+" after Destroy")
		shutdownClient(cl)
	}

	const victim = 2
	c.Members[victim].Kill(t)
	c.WaitMembers(t, view, without(all(c), victim)...)
	again, err := client.GetMap(ctx, mp.Name())
	if err != nil {
		t.Fatalf("GetMap: %v", err)
	}
	// Promoted backups and the copies made for new backups must not bring
	// anything back; reads may fail while the table switches, not return
	// entries.
	settled := time.Now().Add(5 * time.Second)
	for time.Now().Before(settled) {
		expectEmpty(t, ctx, again, keys, fmt.Sprintf("after kill -9 of slot %d", victim))
		if t.Failed() {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// expectEmpty fails the test when the map has a size or any of keys.
func expectEmpty(t *testing.T, ctx context.Context, mp *hazelcast.Map, keys []string, when string) {
	t.Helper()
	if size, err := retrying(ctx, func() (int, error) { return mp.Size(ctx) }); err != nil || size != 0 {
		t.Errorf("%s: Size = %d, %v; want 0", when, size, err)
	}
	var mu sync.Mutex
	var back []string
	forEach(t, 8, keys, func(k string) error {
		v, err := retrying(ctx, func() (interface{}, error) { return mp.Get(ctx, k) })
		if err == nil && v != nil {
			mu.Lock()
			back = append(back, fmt.Sprintf("%s = %#v", k, v))
			mu.Unlock()
		}
		return err
	}, "Get")
	if len(back) > 0 {
		t.Errorf("%s: %d of %d keys still read back%s", when, len(back), len(keys), sample("keys", back, 5))
	}
}

// retrying runs f until it succeeds, at most 20 times: requests may be
// refused with a retryable error while a member's partitions move.
func retrying[T any](ctx context.Context, f func() (T, error)) (T, error) {
	var v T
	var err error
	for try := 0; try < 20; try++ {
		if v, err = f(); err == nil || ctx.Err() != nil {
			return v, err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return v, err
}

// TestPutAllSurvivesKillOfPrimary: a putAll is confirmed only once the
// backups of its partitions hold it. The owner's backup lags behind (it
// is paused while large writes queue up for it), the putAll goes through
// another member, and the owner is killed as soon as the putAll returns:
// every entry must read back from the promoted backups.
func TestPutAllSurvivesKillOfPrimary(t *testing.T) {
	s := startLagging(t)
	// Batches of 250 entries for 8 of the owner's partitions (about half of
	// them back up to the lagger), one PutAll each, all at once: the client
	// sends the partitions of one call one after the other, each once the
	// previous was confirmed, and only the last would still be queued.
	var keys []string
	var batches [][]string
	for _, batch := range s.byPartition(t, s.ownedKeys(t, "putall", 40_000)) {
		if len(batches) < 8 && len(batch) >= 250 {
			batches = append(batches, batch[:250])
			keys = append(keys, batch[:250]...)
		}
	}
	s.whileLagging(t, "PutAll", func(ctx context.Context) error {
		var wg sync.WaitGroup
		errs := make(chan error, len(batches))
		for _, batch := range batches {
			entries := make([]types.Entry, len(batch))
			for i, k := range batch {
				entries[i] = types.NewEntry(k, valueFor(k))
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.viaOrigin.PutAll(ctx, entries...); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		return <-errs
	})

	got := s.readAll(t, keys)
	var lost []string
	for _, k := range keys {
		if got[k] == valueFor(k) {
			continue
		}
		// GetAll leaves out the keys of a partition that is changing
		// hands at that moment: read a missing key on its own.
		v, err := retrying(s.ctx, func() (interface{}, error) { return s.smart.Get(s.ctx, k) })
		if err != nil || v != valueFor(k) {
			lost = append(lost, fmt.Sprintf("%s = %#v, %v", k, v, err))
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d entries of the acknowledged PutAll are lost after kill -9 of their owner%s",
			len(lost), len(keys), sample("keys", lost, 10))
	}
	s.checkFlood(t)
}

// TestClearSurvivesKillOfPrimary: the same for clear: once clear returned,
// no cleared entry may come back from a promoted backup.
func TestClearSurvivesKillOfPrimary(t *testing.T) {
	s := startLagging(t)
	keys := s.ownedKeys(t, "clear", 2000)
	forEach(t, 8, keys, func(k string) error {
		_, err := s.smart.Put(s.ctx, k, valueFor(k))
		return err
	}, "Put")
	s.whileLagging(t, "Clear", func(ctx context.Context) error { return s.viaOrigin.Clear(ctx) })

	got := s.readAll(t, keys)
	var back []string
	for _, k := range keys {
		if v, ok := got[k]; ok {
			back = append(back, fmt.Sprintf("%s = %#v", k, v))
		}
	}
	if len(back) > 0 {
		t.Errorf("%d of %d entries removed by the acknowledged Clear came back after kill -9 of their owner%s",
			len(back), len(keys), sample("keys", back, 10))
	}
}

// lagging is a 3-member cluster whose owner slot's replication to the
// lagger slot can be made to fall far behind.
type lagging struct {
	c         *harness.Cluster
	ctx       context.Context
	view      *harness.MemberView
	smart     *hazelcast.Map
	viaOrigin *hazelcast.Map // a unisocket client on the origin slot
	table     func() *partitionTable
	owner     types.UUID

	floodMu    sync.Mutex
	floodAcked []string
}

func startLagging(t *testing.T) *lagging {
	t.Helper()
	if !partitionAPIAvailable() {
		t.Skip("needs the partition table: go test -tags hazelcastinternal")
	}
	c := harness.StartCluster(t, harness.ClusterOptions{Size: 3, Properties: lagProperties})
	s := &lagging{c: c, ctx: harness.Context(t, testLimit)}
	client, view := c.NewClient(t, harness.WithRedoOperation())
	s.view = view
	c.WaitMembers(t, view, all(c)...)
	s.smart = newClusterMap(t, client)
	uni, uv := c.NewClient(t, harness.WithAddresses(c.Members[originSlot].Addr), harness.WithUnisocket(),
		harness.WithRedoOperation())
	c.WaitMembers(t, uv, all(c)...)
	var err error
	if s.viaOrigin, err = uni.GetMap(s.ctx, s.smart.Name()); err != nil {
		t.Fatalf("GetMap: %v", err)
	}
	if s.table, err = watchPartitionTable(s.ctx, client); err != nil {
		t.Fatal(err)
	}
	owner, ok := view.UUIDAt(c.Members[ownerSlot].Addr)
	if !ok {
		t.Fatalf("no UUID for %s", c.Members[ownerSlot].Addr)
	}
	s.owner = owner
	// Hazelcast assigns the partitions on the first use of a map.
	if _, err := s.smart.Put(s.ctx, "warm-up", "x"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	s.waitStableTable(t)
	return s
}

// waitStableTable waits until the partition table has not changed for a
// second (the rebalancing after the members joined is over).
func (s *lagging) waitStableTable(t *testing.T) {
	t.Helper()
	var last int32 = -1
	since := time.Now()
	for limit := time.Now().Add(30 * time.Second); time.Now().Before(limit); time.Sleep(100 * time.Millisecond) {
		pt := s.table()
		if pt == nil {
			continue
		}
		if pt.version != last {
			last, since = pt.version, time.Now()
		} else if time.Since(since) > time.Second {
			return
		}
	}
	t.Fatalf("the partition table did not settle within 30 s")
}

// byPartition groups keys by partition.
func (s *lagging) byPartition(t *testing.T, keys []string) map[int32][]string {
	t.Helper()
	pt := s.table()
	out := map[int32][]string{}
	for _, k := range keys {
		p, err := pt.partitionOf(k)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = append(out[p], k)
	}
	return out
}

// ownedKeys gives n keys whose partitions the owner slot is primary of.
func (s *lagging) ownedKeys(t *testing.T, prefix string, n int) []string {
	t.Helper()
	pt := s.table()
	var keys []string
	for i := 0; len(keys) < n; i++ {
		k := fmt.Sprintf("%s-%06d", prefix, i)
		p, err := pt.partitionOf(k)
		if err != nil {
			t.Fatal(err)
		}
		if pt.owner[p] == s.owner {
			keys = append(keys, k)
		}
	}
	return keys
}

// whileLagging pauses the lagger, has many writes to the owner's
// partitions queue up for it (about half of them back up there), runs op
// through the origin member, resumes the lagger, and kills the owner the
// moment op returns. op's records to the lagger are queued behind the
// others: a member that confirmed op before its backup acknowledged it
// loses them with the owner.
func (s *lagging) whileLagging(t *testing.T, what string, op func(context.Context) error) {
	t.Helper()
	lagger, owner := s.c.Members[laggerSlot], s.c.Members[ownerSlot]
	flood := s.ownedKeys(t, "flood", floodEntries)

	lagger.Pause(t)
	paused := time.Now()
	var wg sync.WaitGroup
	for _, keys := range s.byPartition(t, flood) {
		keys := keys
		wg.Add(1)
		go func() {
			defer wg.Done()
			entries := make([]types.Entry, len(keys))
			for i, k := range keys {
				entries[i] = types.NewEntry(k, valueFor(k))
			}
			// It returns once the lagger answered: after the kill, maybe
			// with an error (then nothing is known of it).
			if err := s.smart.PutAll(s.ctx, entries...); err == nil {
				s.floodMu.Lock()
				s.floodAcked = append(s.floodAcked, keys...)
				s.floodMu.Unlock()
			}
		}()
	}
	s.waitFloodLanded(t, flood)
	resumed := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(resumed)
		time.Sleep(resumeAfter)
		lagger.Resume(t)
	}()
	err := op(s.ctx)
	took := time.Since(start)
	owner.Kill(t)
	<-resumed
	if err != nil {
		t.Fatalf("%s through %s while %s lagged: %v", what, s.c.Members[originSlot].Addr, lagger.Addr, err)
	}
	t.Logf("the owner held the %d flood entries %v after the pause; %s returned %v after it started (the "+
		"backup resumed after %v, paused %v in all); killed the owner %s", floodEntries,
		start.Sub(paused).Round(time.Millisecond), what, took.Round(time.Millisecond), resumeAfter,
		(start.Sub(paused) + resumeAfter).Round(time.Millisecond), owner.Addr)
	wg.Wait()
	s.c.WaitMembers(t, s.view, without(all(s.c), ownerSlot)...)
	s.waitStableTable(t) // new backups copied, primaries moved
}

// waitFloodLanded waits until the owner holds every flood entry (Get of
// a sample: reads go to the owner, which does not wait for backups).
func (s *lagging) waitFloodLanded(t *testing.T, flood []string) {
	t.Helper()
	deadline := time.Now().Add(floodLimit)
	for i := 0; i < len(flood); i += len(flood) / 97 {
		for {
			v, err := s.smart.Get(s.ctx, flood[i])
			if err == nil && v != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the flood did not reach the owner within %v (Get(%s) = %#v, %v)", floodLimit, flood[i], v, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// readAll reads keys through the smart client once the survivors serve
// every partition again.
func (s *lagging) readAll(t *testing.T, keys []string) map[string]interface{} {
	t.Helper()
	var got map[string]interface{}
	var errs []error
	for try := 0; try < 20; try++ {
		if got, errs = getAll(s.ctx, s.smart, keys); len(errs) == 0 {
			return got
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("reading %d keys after the kill: %v", len(keys), errs)
	return nil
}

// checkFlood: acknowledged flood entries survive the kill too (a sample).
func (s *lagging) checkFlood(t *testing.T) {
	t.Helper()
	s.floodMu.Lock()
	acked := s.floodAcked
	s.floodMu.Unlock()
	var keys []string
	for i := 0; i < len(acked); i += 97 {
		keys = append(keys, acked[i])
	}
	got := s.readAll(t, keys)
	for _, k := range keys {
		if got[k] != valueFor(k) {
			t.Errorf("the acknowledged flood entry %s reads back %#v", k, got[k])
		}
	}
	t.Logf("checked %d of the %d acknowledged flood entries", len(keys), len(acked))
}
