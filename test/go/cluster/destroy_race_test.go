package cluster

// A destroy racing writes: once the writers and the destroy are done, the
// map holds what the members serve, and a failover changes nothing.

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"

	"memgrid.test/go/harness"
)

const (
	// raceRounds clusters are started, each losing a non-master member.
	raceRounds = 3
	// raceMaps maps are written and destroyed in each round, before the
	// kill: every destroy is one more chance for the race.
	raceMaps = 4
	// raceWriters put distinct keys into a map as fast as they can.
	raceWriters = 8
	// raceBefore the destroy the writers run, and raceAfter after it.
	raceBefore = 250 * time.Millisecond
	raceAfter  = 150 * time.Millisecond
)

// raced is one map of a round: the keys its writers tried (acknowledged
// or not), and what it held before the kill.
type raced struct {
	mp     *hazelcast.Map
	keys   []string
	size   int
	before map[string]bool
}

// TestDestroyRacingWritesStaysDestroyed: 3 members, backup-count 1. Writers
// put keys into a map at full speed through a smart client; meanwhile a
// client on another member destroys it (the writers go on, making the map
// anew). Once the writers stopped and got their answers, the map's size
// and entries are read; a non-master member is killed, and once the other
// two serve every partition they must read the same: no entry comes back
// from a promoted backup, none goes.
//
// The race: the destroy reaches each member as a BULK frame on another
// link than the partitions' replication. A backup that drops the map
// before its primary's records of the writes made just before the destroy
// used to make the map anew from them, holding entries its primary had
// dropped; promoted, it served them again. The destroyer's member runs the
// destroy first, while the others still hear of it: it is the backup of
// many of the victim's partitions. Each map is destroyed through another
// member, so each member is the first in turn.
func TestDestroyRacingWritesStaysDestroyed(t *testing.T) {
	for round := 0; round < raceRounds; round++ {
		victim := 1 + round%2 // slot 0 founded the cluster: it is the master
		t.Run(fmt.Sprintf("round%d-kill-slot%d", round+1, victim), func(t *testing.T) {
			c := harness.StartCluster(t, harness.ClusterOptions{Size: 3})
			ctx := harness.Context(t, testLimit)
			client, view := c.NewClient(t, harness.WithRedoOperation())
			c.WaitMembers(t, view, all(c)...)
			var destroyers []*hazelcast.Client
			for _, m := range c.Members {
				d, v := c.NewClient(t, harness.WithAddresses(m.Addr), harness.WithUnisocket())
				c.WaitMembers(t, v, all(c)...)
				destroyers = append(destroyers, d)
			}

			maps := make([]*raced, raceMaps)
			for i := range maps {
				maps[i] = raceDestroy(t, ctx, client, destroyers[i%len(destroyers)], c.Members[i%len(c.Members)].Addr)
			}
			for i, r := range maps {
				r.size = settledSize(t, ctx, r.mp)
				r.before = present(t, ctx, r.mp, r.keys)
				t.Logf("map %d: %d keys written, %d entries before the kill (size %d)", i, len(r.keys), len(r.before), r.size)
			}

			for _, d := range destroyers {
				shutdownClient(d) // one is connected to the victim only
			}
			c.Members[victim].Kill(t)
			c.WaitMembers(t, view, without(all(c), victim)...)
			for i, r := range maps {
				size := settledSize(t, ctx, r.mp)
				after := present(t, ctx, r.mp, r.keys)
				var back, gone []string
				for k := range after {
					if !r.before[k] {
						back = append(back, k)
					}
				}
				for k := range r.before {
					if after[k] {
						continue
					}
					// GetAll leaves out the keys of a partition changing
					// hands at that moment: read a missing key on its own.
					v, err := retrying(ctx, func() (interface{}, error) { return r.mp.Get(ctx, k) })
					if err != nil || v != valueFor(k) {
						gone = append(gone, fmt.Sprintf("%s = %#v, %v", k, v, err))
					}
				}
				sort.Strings(back)
				sort.Strings(gone)
				if len(back) > 0 || len(gone) > 0 || size != r.size {
					t.Errorf("map %d (%s), after kill -9 of slot %d: size %d, was %d; %d entries came back that "+
						"were gone before the kill, %d entries held before it are gone%s%s", i, r.mp.Name(), victim,
						size, r.size, len(back), len(gone), sample("came back", back, 10), sample("gone", gone, 10))
				}
			}
		})
	}
}

// raceDestroy writes keys into a fresh map through client, destroys the
// map through destroyer (connected to addr only) while the writes go on,
// then stops the writers and waits for their last answers.
func raceDestroy(t *testing.T, ctx context.Context, client, destroyer *hazelcast.Client, addr string) *raced {
	t.Helper()
	mp := newClusterMap(t, client)
	l := startLoad(t, ctx, mp, raceWriters)
	l.waitAcked(raceWriters, 30*time.Second)
	l.runFor(raceBefore)
	dm, err := destroyer.GetMap(ctx, mp.Name())
	if err != nil {
		t.Fatalf("GetMap through %s: %v", addr, err)
	}
	l.mark("destroy through %s", addr)
	if err := dm.Destroy(ctx); err != nil {
		t.Fatalf("Destroy through %s: %v", addr, err)
	}
	l.mark("destroyed")
	l.runFor(raceAfter)
	l.stop()
	t.Logf("%s", l.summary())
	e := newExpectation()
	e.addLoad(l)
	r := &raced{mp: mp}
	for k := range e.acked {
		r.keys = append(r.keys, k)
	}
	for k := range e.failed {
		r.keys = append(r.keys, k)
	}
	sort.Strings(r.keys)
	return r
}

// settledSize reads the map's size until five reads in a row, 200 ms
// apart, agree: after a kill the survivors promote backups and copy
// partitions to new backups, and a size read meanwhile may count a
// partition on two members or on none.
func settledSize(t *testing.T, ctx context.Context, mp *hazelcast.Map) int {
	t.Helper()
	last, same := -1, 0
	for limit := time.Now().Add(30 * time.Second); time.Now().Before(limit); time.Sleep(200 * time.Millisecond) {
		n, err := mp.Size(ctx)
		switch {
		case err != nil:
			same = 0
		case n == last:
			if same++; same == 4 {
				return n
			}
		default:
			last, same = n, 0
		}
	}
	t.Fatalf("the size of %s did not settle within 30 s (last %d)", mp.Name(), last)
	return 0
}

// present gives the keys of keys that the map holds, read with GetAll
// until a read fails none of its batches.
func present(t *testing.T, ctx context.Context, mp *hazelcast.Map, keys []string) map[string]bool {
	t.Helper()
	var got map[string]interface{}
	var errs []error
	for try := 0; try < 20; try++ {
		if got, errs = getAll(ctx, mp, keys); len(errs) == 0 {
			out := make(map[string]bool, len(got))
			for k, v := range got {
				if v != valueFor(k) {
					t.Errorf("%s holds %#v, a value never written", k, v)
				}
				out[k] = true
			}
			return out
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("reading %d keys of %s: %v", len(keys), mp.Name(), errs)
	return nil
}
