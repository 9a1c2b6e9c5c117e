//go:build hazelcastinternal

package cluster

import (
	"fmt"
	"testing"
	"time"

	"memgrid.test/go/harness"
)

// TestTwoViewListenersOnOneConnection: a second ClientAddClusterViewListener
// on the connection the client already listens on (here the test's own,
// through the internal API) must not take the first one's events away:
// every registration gets every view. The client's own
// listener is what tells it that a member joined, so without that it never
// sees the second member. Hazelcast 5.7 keeps one registration per
// connection (the newest takes the events), so this runs against memgrid
// only; the official clients register once per connection either way.
func TestTwoViewListenersOnOneConnection(t *testing.T) {
	c := harness.StartCluster(t, harness.ClusterOptions{Size: 1, Slots: 2})
	if c.Target == harness.TargetHazelcast {
		t.Skip("Hazelcast 5.7 sends cluster views to the newest registration of a connection only")
	}
	ctx := harness.Context(t, testLimit)
	client, view := c.NewClient(t)
	c.WaitMembers(t, view, 0)
	// Hazelcast assigns partitions on first use; a put makes it send a table.
	putKeys(t, ctx, newClusterMap(t, client), "view", 1)

	latest, err := watchPartitionTable(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	if ok, why := harness.Eventually(10*time.Second, 50*time.Millisecond, func() (bool, string) {
		return latest() != nil, "no partitions view on the second registration"
	}); !ok {
		t.Fatal(why)
	}

	c.Members[1].Start(t)
	c.WaitMembers(t, view, 0, 1) // the client's own registration still gets member lists

	// ... and the second registration gets the table that gives the new
	// member its partitions.
	if ok, why := harness.Eventually(30*time.Second, 100*time.Millisecond, func() (bool, string) {
		pt := latest()
		owners := map[string]bool{}
		for _, u := range pt.owner {
			owners[u.String()] = true
		}
		return len(owners) == 2, fmt.Sprintf("the second registration's table has the partitions on %d member(s)", len(owners))
	}); !ok {
		t.Fatal(why)
	}
}
