package zprobe

import (
	"context"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"memgrid.test/go/harness"
)

func TestProbe3(t *testing.T) {
	m := harness.Start(t, harness.Options{})
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		cfg := harness.ClientConfig(m.Addr, harness.WithClusterName(m.ClusterName))
		c, err := hazelcast.StartNewClientWithConfig(context.Background(), cfg)
		t1 := time.Now()
		mp, _ := c.GetMap(context.Background(), "x")
		mp.Put(context.Background(), "a", "b")
		t2 := time.Now()
		c.Shutdown(context.Background())
		t.Logf("connect %v (%v) op %v shutdown %v", t1.Sub(t0), err, t2.Sub(t1), time.Since(t2))
	}
}
