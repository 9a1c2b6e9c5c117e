package cluster

// Discovery by multicast: members given no address find each other.

import (
	"fmt"
	"math/rand"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"memgrid.test/go/harness"
)

// TestMulticastDiscovery: three members that share only a multicast group
// (no tcp-ip member list) start at once and form one cluster; a member of
// another cluster on the same group stays out of it; datagrams that are not
// memgrid's, and a malformed memgrid one, are reported and change nothing;
// a fourth member started later joins. Without multicast discovery each
// member would found a cluster of its own and the first wait fails.
func TestMulticastDiscovery(t *testing.T) {
	if harness.TargetFromEnv() != harness.TargetMemgrid {
		t.Skip("the datagrams are memgrid's own; Hazelcast's multicast join is not compared here")
	}
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	group := fmt.Sprintf("239.255.%d.%d", 1+r.Intn(254), 1+r.Intn(254))
	mc := &harness.MulticastJoin{Group: group, Port: 20000 + r.Intn(30000)}
	t.Logf("multicast group %s:%d", mc.Group, mc.Port)

	c := harness.StartCluster(t, harness.ClusterOptions{Size: 3, Slots: 4, Together: true, Multicast: mc})
	ctx := harness.Context(t, testLimit)
	client, view := c.NewClient(t)
	c.WaitMembers(t, view, 0, 1, 2)
	mp := newClusterMap(t, client)
	keys := putKeys(t, ctx, mp, "mcast", 500)

	// Another cluster on the same group.
	other := harness.StartCluster(t, harness.ClusterOptions{Size: 1, Multicast: mc})
	otherClient, otherView := other.NewClient(t)
	other.WaitMembers(t, otherView, 0)
	if got := otherView.Members(); len(got) != 1 {
		t.Errorf("the member of cluster %q sees %s; want itself alone", other.Name, harness.FormatMembers(got))
	}
	if log := readLog(t, other.Members[0].LogPath()); strings.Contains(log, "multicast found") {
		t.Errorf("the member of another cluster took an address of cluster %q as a seed:\n%s", c.Name,
			grepLines(log, "multicast found"))
	}
	shutdownClient(otherClient)

	// Datagrams on the group that are not memgrid's, and one that is
	// memgrid's but cut short.
	sendToGroup(t, mc, []byte("HZC\x01 a datagram of another program"))
	sendToGroup(t, mc, []byte("MGAN\x01\x01\x39"))
	for _, want := range []string{"not memgrid's", "malformed memgrid announcement"} {
		if ok, _ := harness.Eventually(10*time.Second, 50*time.Millisecond, func() (bool, string) {
			return strings.Contains(readLog(t, c.Members[0].LogPath()), want), ""
		}); !ok {
			t.Errorf("member 0 did not log %q after such a datagram", want)
		}
	}

	// A member started later finds the cluster the same way.
	c.Members[3].Start(t)
	c.WaitMembers(t, view, 0, 1, 2, 3)
	if log := readLog(t, c.Members[3].LogPath()); !strings.Contains(log, "multicast found") {
		t.Errorf("member 3 joined without logging a multicast answer:\n%s", log)
	}
	got, errs := getAll(ctx, mp, keys)
	for _, err := range errs {
		t.Errorf("reading the keys back: %v", err)
	}
	for _, k := range keys {
		if got[k] != valueFor(k) {
			t.Errorf("%s = %#v after the join; want %q", k, got[k], valueFor(k))
			break
		}
	}
}

func readLog(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(b)
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// sendToGroup multicasts b on loopback only: out of 127.0.0.1, with TTL 0
// (looped back to this host's sockets, sent to no network).
func sendToGroup(t *testing.T, mc *harness.MulticastJoin, b []byte) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	defer syscall.Close(fd)
	if err := syscall.SetsockoptInet4Addr(fd, syscall.IPPROTO_IP, syscall.IP_MULTICAST_IF, [4]byte{127, 0, 0, 1}); err != nil {
		t.Fatalf("IP_MULTICAST_IF: %v", err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IP, syscall.IP_MULTICAST_TTL, 0); err != nil {
		t.Fatalf("IP_MULTICAST_TTL: %v", err)
	}
	var to syscall.SockaddrInet4
	to.Port = mc.Port
	var a, b2, c, d int
	if _, err := fmt.Sscanf(mc.Group, "%d.%d.%d.%d", &a, &b2, &c, &d); err != nil {
		t.Fatalf("group %q: %v", mc.Group, err)
	}
	to.Addr = [4]byte{byte(a), byte(b2), byte(c), byte(d)}
	if err := syscall.Sendto(fd, b, 0, &to); err != nil {
		t.Fatalf("sendto %s:%d: %v", mc.Group, mc.Port, err)
	}
}
