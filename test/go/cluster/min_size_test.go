package cluster

// hazelcast.initial.min.cluster.size: clients wait for the cluster.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"

	"memgrid.test/go/harness"
)

// TestInitialMinClusterSize: with hazelcast.initial.min.cluster.size 3, two
// members that formed a cluster refuse clients (the official client cannot
// connect, and a member logs why); once the third joins, clients connect
// and data flows. Without the property the first client would connect.
func TestInitialMinClusterSize(t *testing.T) {
	if harness.TargetFromEnv() != harness.TargetMemgrid {
		t.Skip("Hazelcast blocks its start instead; its timing is not compared here")
	}
	c := harness.StartCluster(t, harness.ClusterOptions{Size: 2, Slots: 3, Together: true, NoWait: true,
		Properties: map[string]string{"hazelcast.initial.min.cluster.size": "3"}})
	for _, s := range []int{0, 1} {
		m := c.Members[s]
		if ok, _ := harness.Eventually(30*time.Second, 100*time.Millisecond, func() (bool, string) {
			return strings.Contains(readLog(t, m.LogPath()), "members [2]"), ""
		}); !ok {
			t.Fatalf("member %d did not log a 2-member list within 30 s:\n%s", s, readLog(t, m.LogPath()))
		}
	}

	cfg := c.ClientConfig(harness.WithAddresses(c.Addrs(0, 1)...))
	cfg.Cluster.ConnectionStrategy.Timeout = types.Duration(4 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	early, err := hazelcast.StartNewClientWithConfig(ctx, cfg)
	cancel()
	if err == nil {
		shutdownClient(early)
		t.Fatalf("a client connected to a 2-member cluster whose initial.min.cluster.size is 3")
	}
	t.Logf("as expected, the client could not connect yet: %v", err)
	refused := false
	for _, s := range []int{0, 1} {
		refused = refused || strings.Contains(readLog(t, c.Members[s].LogPath()), "refused until the cluster has 3 members")
	}
	if !refused {
		t.Errorf("no member logged why it refused the client")
	}

	c.Members[2].Start(t)
	client, view := c.NewClient(t)
	c.WaitMembers(t, view, 0, 1, 2)
	for _, s := range []int{0, 1, 2} {
		if !strings.Contains(readLog(t, c.Members[s].LogPath()), "hazelcast.initial.min.cluster.size is 3: serving clients") {
			t.Errorf("member %d did not log that it serves clients now", s)
		}
	}
	mp := newClusterMap(t, client)
	tctx := harness.Context(t, testLimit)
	keys := putKeys(t, tctx, mp, "minsize", 200)
	got, errs := getAll(tctx, mp, keys)
	for _, err := range errs {
		t.Errorf("reading back: %v", err)
	}
	for _, k := range keys {
		if got[k] != valueFor(k) {
			t.Fatalf("%s = %#v; want %q", k, got[k], valueFor(k))
		}
	}
}
