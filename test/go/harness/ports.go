package harness

import (
	"fmt"
	"math/rand"
	"net"
	"os"
	"strings"
	"sync"
)

// Ports for members that must know their addresses before they start (a
// tcp-ip member list). They come from below the kernel's ephemeral range: a
// port the kernel hands out (listen on port 0, then close) stays free only
// until the next outgoing connection takes it, and members that are about to
// start open such connections to each other, so a member could find its own
// port taken. No connection and no bind to port 0 is ever given a port below
// the range. A port is handed out once per test binary.
var portPicker struct {
	sync.Mutex
	given map[int]bool
}

// freePorts returns n distinct loopback ports that are free now.
func freePorts(n int) ([]int, error) {
	lo, hi := pickRange()
	portPicker.Lock()
	defer portPicker.Unlock()
	if portPicker.given == nil {
		portPicker.given = map[int]bool{}
	}
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 10000 {
			return nil, fmt.Errorf("no free loopback port in %d-%d", lo, hi)
		}
		p := lo + rand.Intn(hi-lo)
		if portPicker.given[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		portPicker.given[p] = true
		ports = append(ports, p)
	}
	return ports, nil
}

// freePort is freePorts(1).
func freePort() (int, error) {
	ports, err := freePorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// pickRange: up to 12000 ports just below the ephemeral range, or above it
// when the range starts too low to leave room.
func pickRange() (lo, hi int) {
	ephLo, ephHi := 32768, 60999
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		fmt.Sscan(strings.TrimSpace(string(b)), &ephLo, &ephHi)
	}
	hi = ephLo - 1
	lo = hi - 12000
	if lo < 10000 {
		lo = 10000
	}
	if hi-lo < 1000 {
		lo, hi = ephHi+1, 65535
	}
	return lo, hi
}
