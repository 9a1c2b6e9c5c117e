package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	hzcluster "github.com/hazelcast/hazelcast-go-client/cluster"
	"github.com/hazelcast/hazelcast-go-client/types"

	"memgrid.test/go/harness"
)

// testLimit bounds the requests of one test (cluster start and waits have
// their own limits, see harness.ClusterFormLimit and MembershipLimit).
const testLimit = 3 * time.Minute

// writersPerTest is the number of writer goroutines of the load tests.
const writersPerTest = 4

// pauseSettle bounds how long, after the paused member rejoined, entries
// it acknowledged may take to become readable (split-brain merge).
const pauseSettle = 20 * time.Second

func all(c *harness.Cluster) []int {
	s := make([]int, len(c.Members))
	for i := range s {
		s[i] = i
	}
	return s
}

func without(slots []int, drop int) []int {
	var out []int
	for _, s := range slots {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func uuidSet(ms []hzcluster.MemberInfo) map[types.UUID]string {
	out := map[types.UUID]string{}
	for _, m := range ms {
		out[m.UUID] = m.Address.String()
	}
	return out
}

func shutdownClient(c *hazelcast.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.Shutdown(ctx)
}

// TestClusterForms: three members form one cluster; every member gives a
// client the same member list; 2000 entries round-trip through a smart
// client and through a unisocket client on each member (which must forward
// to the partition owners); the partitions, and the keys, are spread over
// all three members (with -tags hazelcastinternal, see
// partitions_internal_test.go).
func TestClusterForms(t *testing.T) {
	c := harness.StartCluster(t, harness.ClusterOptions{Size: 3})
	ctx := harness.Context(t, testLimit)
	client, view := c.NewClient(t)
	ms := c.WaitMembers(t, view, all(c)...)
	ids := uuidSet(ms)
	if len(ids) != 3 {
		t.Fatalf("the 3 members do not have 3 distinct UUIDs: %s", harness.FormatMembers(ms))
	}
	t.Logf("cluster: %s", harness.FormatMembers(ms))

	// Each member, asked alone, gives the same member list.
	for _, m := range c.Members {
		cl, v := c.NewClient(t, harness.WithAddresses(m.Addr))
		got := c.WaitMembers(t, v, all(c)...)
		for _, g := range got {
			if ids[g.UUID] != g.Address.String() {
				t.Errorf("a client bootstrapped from %s sees %s; the first client saw %s",
					m.Addr, harness.FormatMembers(got), harness.FormatMembers(ms))
				break
			}
		}
		shutdownClient(cl)
	}

	mp := newClusterMap(t, client)
	const n = 2000
	keys := putKeys(t, ctx, mp, "form", n)
	var wrong []string
	var mu sync.Mutex
	forEach(t, 8, keys, func(k string) error {
		v, err := mp.Get(ctx, k)
		if err == nil && v != valueFor(k) {
			mu.Lock()
			wrong = append(wrong, fmt.Sprintf("%s = %#v", k, v))
			mu.Unlock()
		}
		return err
	}, "Get")
	if len(wrong) > 0 {
		sort.Strings(wrong)
		t.Errorf("%d of %d keys read back another value than put%s", len(wrong), n, sample("keys", wrong, 10))
	}
	if size, err := mp.Size(ctx); err != nil || size != n {
		t.Errorf("Size = %d, %v; want %d", size, err, n)
	}

	t.Run("partitions-spread", func(t *testing.T) {
		checkSpread(t, ctx, client, view, keys)
	})

	// A unisocket client talks to one member only: that member must
	// serve the other members' partitions by forwarding.
	t.Run("unisocket-per-member", func(t *testing.T) {
		for _, m := range c.Members {
			cl, v := c.NewClient(t, harness.WithAddresses(m.Addr), harness.WithUnisocket())
			c.WaitMembers(t, v, all(c)...)
			ump, err := cl.GetMap(ctx, mp.Name())
			if err != nil {
				t.Fatalf("GetMap through %s: %v", m.Addr, err)
			}
			got, errs := getAll(ctx, ump, keys)
			for _, err := range errs {
				t.Errorf("unisocket client on %s: %v", m.Addr, err)
			}
			bad := 0
			for _, k := range keys {
				if got[k] != valueFor(k) {
					bad++
				}
			}
			if len(errs) == 0 && bad > 0 {
				t.Errorf("unisocket client on %s: %d of %d keys missing or wrong via GetAll", m.Addr, bad, n)
			}
			// Single-key operations, both ways, through this member.
			for i := 0; i < 50; i++ {
				k := fmt.Sprintf("uni-%d-%03d", m.Slot, i)
				if _, err := ump.Put(ctx, k, valueFor(k)); err != nil {
					t.Fatalf("unisocket client on %s: Put(%s): %v", m.Addr, k, err)
				}
				if v, err := mp.Get(ctx, k); err != nil || v != valueFor(k) {
					t.Fatalf("after Put(%s) through %s only, the smart client reads %#v, %v", k, m.Addr, v, err)
				}
				if v, err := ump.Get(ctx, keys[i*37%n]); err != nil || v != valueFor(keys[i*37%n]) {
					t.Fatalf("unisocket client on %s: Get(%s) = %#v, %v", m.Addr, keys[i*37%n], v, err)
				}
			}
			shutdownClient(cl)
		}
	})
}

// forEach runs f on every key with par goroutines; the first errors fail
// the test.
func forEach(t *testing.T, par int, keys []string, f func(string) error, what string) {
	t.Helper()
	var mu sync.Mutex
	var errs []string
	nerr := 0
	var wg sync.WaitGroup
	ch := make(chan string)
	for i := 0; i < par; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range ch {
				if err := f(k); err != nil {
					mu.Lock()
					nerr++
					if len(errs) < 10 {
						errs = append(errs, fmt.Sprintf("%s(%s): %v", what, k, err))
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, k := range keys {
		ch <- k
	}
	close(ch)
	wg.Wait()
	if nerr > 0 {
		t.Fatalf("%d of %d %s calls failed:\n  %s", nerr, len(keys), what, strings.Join(errs, "\n  "))
	}
}

// checkSpread: every partition has an owner among the members; every
// member owns partitions, and at least a sixth of the keys (a third each
// when balanced).
func checkSpread(t *testing.T, ctx context.Context, client *hazelcast.Client, view *harness.MemberView, keys []string) {
	if !partitionAPIAvailable() {
		t.Skip("the Go client v1.4.2 exposes no partition table without -tags hazelcastinternal; run: go test -tags hazelcastinternal ./cluster/ -run TestClusterForms")
	}
	latest, err := watchPartitionTable(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	members := view.Members()
	var why string
	ok, _ := harness.Eventually(30*time.Second, 200*time.Millisecond, func() (bool, string) {
		pt := latest()
		if pt == nil {
			why = "no partition table received"
			return false, why
		}
		why = spreadProblem(pt, members, keys)
		return why == "", why
	})
	if !ok {
		t.Fatalf("partition spread over %s, 30 s after the cluster formed: %s", harness.FormatMembers(members), why)
	}
	t.Logf("partition spread: %s", spreadSummary(latest(), members, keys))
}

func spreadProblem(pt *partitionTable, members []hzcluster.MemberInfo, keys []string) string {
	isMember := uuidSet(members)
	perMember := map[types.UUID]int{}
	for p := int32(0); p < pt.count; p++ {
		o, ok := pt.owner[p]
		if !ok {
			return fmt.Sprintf("partition %d of %d has no owner", p, pt.count)
		}
		if _, ok := isMember[o]; !ok {
			return fmt.Sprintf("partition %d is owned by %s, not a member", p, o)
		}
		perMember[o]++
	}
	keysPer := map[types.UUID]int{}
	for _, k := range keys {
		p, err := pt.partitionOf(k)
		if err != nil {
			return fmt.Sprintf("partition of %s: %v", k, err)
		}
		keysPer[pt.owner[p]]++
	}
	for _, m := range members {
		if perMember[m.UUID] == 0 {
			return fmt.Sprintf("member %s owns no partition (%s)", m.Address, spreadSummary(pt, members, keys))
		}
		if keysPer[m.UUID] < len(keys)/(2*len(members)) {
			return fmt.Sprintf("member %s owns only %d of %d keys (%s)", m.Address, keysPer[m.UUID], len(keys), spreadSummary(pt, members, keys))
		}
	}
	return ""
}

func spreadSummary(pt *partitionTable, members []hzcluster.MemberInfo, keys []string) string {
	if pt == nil {
		return "no table"
	}
	parts := map[types.UUID]int{}
	for _, o := range pt.owner {
		parts[o]++
	}
	keysPer := map[types.UUID]int{}
	for _, k := range keys {
		if p, err := pt.partitionOf(k); err == nil {
			keysPer[pt.owner[p]]++
		}
	}
	var out []string
	for _, m := range members {
		out = append(out, fmt.Sprintf("%s: %d partitions, %d keys", m.Address, parts[m.UUID], keysPer[m.UUID]))
	}
	return strings.Join(out, "; ")
}

// TestKillMemberLosesNoAckedWrite: 3 members, backup-count 1, writers at
// full speed; one member (never the client's first address; a different
// one in each run) is killed with SIGKILL after ~1 s, writes go on ~2 s.
// Every acknowledged write must read back with its value and the map size
// must lie within [acked, acked+failed].
func TestKillMemberLosesNoAckedWrite(t *testing.T) {
	for run := 0; run < 3; run++ {
		first, victim := run, (run+1)%3
		t.Run(fmt.Sprintf("run%d-kill-slot%d", run+1, victim), func(t *testing.T) {
			c := harness.StartCluster(t, harness.ClusterOptions{Size: 3})
			ctx := harness.Context(t, testLimit)
			order := []int{first, (first + 1) % 3, (first + 2) % 3}
			client, view := c.NewClient(t, harness.WithAddresses(c.Addrs(order...)...), harness.WithRedoOperation())
			c.WaitMembers(t, view, all(c)...)
			mp := newClusterMap(t, client)

			l := startLoad(t, ctx, mp, writersPerTest)
			l.runFor(time.Second)
			l.waitAcked(100, 30*time.Second)
			l.mark("kill -9 member slot %d (%s); client's first address is %s", victim, c.Members[victim].Addr, c.Members[first].Addr)
			c.Members[victim].Kill(t)
			l.runFor(2 * time.Second)
			l.mark("stopping writers")
			l.stop()
			l.mark("writers stopped")
			c.WaitMembers(t, view, without(all(c), victim)...)
			l.mark("client sees 2 members")
			t.Logf("%s", l.summary())
			if _, f := l.counts(); f > 0 {
				t.Logf("failed writes are tolerated here (not acknowledged):%s", l.failureSample(5))
			}
			e := newExpectation()
			e.addLoad(l)
			e.verify(t, ctx, mp)
		})
	}
}

// TestJoinUnderLoad: 2 members, writers and readers running; a 3rd member
// joins. No request may fail, every read of an acknowledged key returns
// its value, every acknowledged write reads back, the size is exact.
func TestJoinUnderLoad(t *testing.T) {
	c := harness.StartCluster(t, harness.ClusterOptions{Size: 2, Slots: 3})
	ctx := harness.Context(t, testLimit)
	client, view := c.NewClient(t, harness.WithRedoOperation())
	c.WaitMembers(t, view, 0, 1)
	mp := newClusterMap(t, client)

	l := startLoad(t, ctx, mp, writersPerTest)
	l.startReaders(2)
	l.runFor(time.Second)
	l.waitAcked(100, 30*time.Second)
	l.mark("starting member slot 2 (%s)", c.Members[2].Addr)
	c.Members[2].Start(t)
	l.mark("member slot 2 listening")
	c.WaitMembers(t, view, 0, 1, 2)
	l.mark("client sees 3 members")
	l.runFor(2 * time.Second)
	l.mark("stopping load")
	l.stop()
	t.Logf("%s", l.summary())
	l.requireNoFailures()
	e := newExpectation()
	e.addLoad(l)
	e.verify(t, ctx, mp)
}

// TestKillDuringMigration: 2 members hold 50k entries (PutAll); a 3rd
// member joins and, as soon as the client sees it, the oldest member
// (slot 0, which coordinates the migration) is killed with SIGKILL while
// writers run. Every preloaded and acknowledged entry must read back; the
// size is exact when no write failed (else within [acked, acked+failed]).
func TestKillDuringMigration(t *testing.T) {
	c := harness.StartCluster(t, harness.ClusterOptions{Size: 2, Slots: 3})
	ctx := harness.Context(t, testLimit)
	client, view := c.NewClient(t, harness.WithRedoOperation())
	c.WaitMembers(t, view, 0, 1)
	mp := newClusterMap(t, client)
	pre := preload(t, ctx, mp, "pre", 50000)

	l := startLoad(t, ctx, mp, writersPerTest)
	l.waitAcked(100, 30*time.Second)
	l.mark("starting member slot 2 (%s)", c.Members[2].Addr)
	c.Members[2].Start(t)
	c.WaitMembers(t, view, 0, 1, 2)
	l.mark("client sees 3 members; kill -9 member slot 0 (%s)", c.Members[0].Addr)
	c.Members[0].Kill(t)
	c.WaitMembers(t, view, 1, 2)
	l.mark("client sees 2 members")
	l.runFor(time.Second)
	l.mark("stopping writers")
	l.stop()
	t.Logf("%s", l.summary())
	if _, f := l.counts(); f > 0 {
		t.Logf("failed writes (not acknowledged):%s", l.failureSample(5))
	}
	e := newExpectation()
	e.addPreloaded(pre)
	e.addLoad(l)
	e.verify(t, ctx, mp)
}

// gracefulExitOK: memgrid exits 0 after SIGTERM; a Hazelcast JVM exits
// 143 (128+SIGTERM) after its graceful shutdown hook.
func gracefulExitOK(target harness.Target, code int) bool {
	return code == 0 || (target == harness.TargetHazelcast && code == 143)
}

// TestRollingRestart: 3 members, writers running; each member in turn gets
// SIGTERM (graceful shutdown: exit status 0), and is restarted on the same
// port with the same config once the client sees it gone; it must come
// back as a new member. No request may fail; every acknowledged write
// reads back; the size is exact.
func TestRollingRestart(t *testing.T) {
	c := harness.StartCluster(t, harness.ClusterOptions{Size: 3})
	ctx := harness.Context(t, testLimit)
	client, view := c.NewClient(t, harness.WithRedoOperation())
	c.WaitMembers(t, view, all(c)...)
	mp := newClusterMap(t, client)

	l := startLoad(t, ctx, mp, writersPerTest)
	l.runFor(time.Second)
	l.waitAcked(100, 30*time.Second)
	for slot, m := range c.Members {
		old, ok := view.UUIDAt(m.Addr)
		if !ok {
			t.Fatalf("the client's member list has no %s: %s", m.Addr, harness.FormatMembers(view.Members()))
		}
		l.mark("SIGTERM member slot %d (%s)", slot, m.Addr)
		code, desc := m.Terminate(t, harness.TerminateLimit)
		l.mark("member slot %d %s", slot, desc)
		if !gracefulExitOK(c.Target, code) {
			t.Errorf("member slot %d (%s): graceful shutdown ended with %s; want exit status 0", slot, m.Addr, desc)
		}
		c.WaitMembers(t, view, without(all(c), slot)...)
		l.mark("client sees 2 members")
		m.Start(t)
		l.mark("member slot %d restarted on %s", slot, m.Addr)
		c.WaitRejoined(t, view, slot, old, all(c)...)
		l.mark("client sees 3 members, slot %d as a new member", slot)
	}
	l.runFor(time.Second)
	l.mark("stopping writers")
	l.stop()
	t.Logf("%s", l.summary())
	l.requireNoFailures()
	e := newExpectation()
	e.addLoad(l)
	e.verify(t, ctx, mp)
}

// TestPausedMemberRejoins: 3 members, writers running; one member is
// stopped (SIGSTOP) for 4 s, twice the no-heartbeat limit, so the others
// remove it; after SIGCONT it must come back as a new member (new UUID at
// the same address). Every acknowledged write reads back; the size lies
// within [acked, acked+failed], allowing pauseSettle for the rejoined
// member's entries to be merged back.
func TestPausedMemberRejoins(t *testing.T) {
	c := harness.StartCluster(t, harness.ClusterOptions{Size: 3})
	ctx := harness.Context(t, testLimit)
	client, view := c.NewClient(t, harness.WithRedoOperation())
	c.WaitMembers(t, view, all(c)...)
	mp := newClusterMap(t, client)
	const victim = 2
	m := c.Members[victim]
	old, ok := view.UUIDAt(m.Addr)
	if !ok {
		t.Fatalf("the client's member list has no %s: %s", m.Addr, harness.FormatMembers(view.Members()))
	}

	l := startLoad(t, ctx, mp, writersPerTest)
	l.runFor(time.Second)
	l.waitAcked(100, 30*time.Second)
	l.mark("SIGSTOP member slot %d (%s)", victim, m.Addr)
	m.Pause(t)
	l.runFor(4 * time.Second)
	l.mark("SIGCONT member slot %d", victim)
	m.Resume(t)
	c.WaitRejoined(t, view, victim, old, all(c)...)
	l.mark("client sees 3 members, slot %d as a new member", victim)
	l.runFor(time.Second)
	l.mark("stopping writers")
	l.stop()
	t.Logf("%s\nmember list history:\n%s", l.summary(), view.History())
	if _, f := l.counts(); f > 0 {
		t.Logf("failed writes (not acknowledged):%s", l.failureSample(5))
	}
	e := newExpectation()
	e.addLoad(l)
	// A put in flight to the paused member is applied and acknowledged by
	// it after SIGCONT, before it learns it was removed; Hazelcast 5.7
	// merges such entries into the cluster after the member rejoins,
	// asynchronously (seen: up to a second after the client sees the new
	// member). So keys missing at the first read are read again for a
	// while before they count as lost.
	e.verifyWithin(t, ctx, mp, pauseSettle)
}
