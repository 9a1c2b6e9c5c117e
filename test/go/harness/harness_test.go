package harness

import (
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestRenderYAML(t *testing.T) {
	opts := Options{ClusterName: "c1", Maps: []MapConfig{
		{Name: "sessions", TTLSeconds: 1800, MaxIdleSeconds: 300},
		{Name: "default", Eviction: &Eviction{Policy: "LRU", MaxSizePolicy: "PER_NODE", Size: 10000}},
	}}
	for _, target := range []Target{TargetMemgrid, TargetHazelcast} {
		y := renderYAML(target, opts, 15701)
		for _, want := range []string{
			`cluster-name: "c1"`, "multicast:\n        enabled: false", "tcp-ip:",
			`"sessions":`, "time-to-live-seconds: 1800", "max-idle-seconds: 300",
			"eviction-policy: LRU", "max-size-policy: PER_NODE", "size: 10000",
		} {
			if !strings.Contains(y, want) {
				t.Errorf("%s yaml lacks %q:\n%s", target, want, y)
			}
		}
		if target == TargetHazelcast {
			for _, want := range []string{"port: 15701", "auto-increment: false", "- 127.0.0.1:15701", "hazelcast.phone.home.enabled: false", "- 127.0.0.1\n"} {
				if !strings.Contains(y, want) {
					t.Errorf("hazelcast yaml lacks %q:\n%s", want, y)
				}
			}
		}
	}
}

func TestStartAndConnect(t *testing.T) {
	m := Start(t, Options{})
	if !strings.HasPrefix(m.Addr, "127.0.0.1:") {
		t.Fatalf("member address %q is not on 127.0.0.1", m.Addr)
	}
	c := m.NewClient(t)
	ctx := Context(t, 30*time.Second)
	mp, err := c.GetMap(ctx, MapName(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mp.Put(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	v, err := mp.Get(ctx, "k")
	if err != nil || v != "v" {
		t.Fatalf("Get = %v, %v; want v", v, err)
	}
}
