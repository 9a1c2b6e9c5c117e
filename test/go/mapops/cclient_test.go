package mapops

// memgrid's C client (include/memgrid_client.h), through memgrid-cli, and
// the official Go client on the same map: each reads what the other wrote.

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"memgrid.test/go/harness"
)

type cliResult struct {
	out, err string
	code     int
}

func runCLI(t *testing.T, m *harness.Member, cluster string, args ...string) cliResult {
	t.Helper()
	bin := harness.CClientBinary()
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("memgrid-cli not found at %s (make builds it; or set MEMGRID_CLI)", bin)
	}
	host, port, _ := strings.Cut(m.Addr, ":")
	full := append([]string{"--host", host, "--port", port, "--cluster", cluster, "--timeout", "10000"}, args...)
	cmd := exec.Command(bin, full...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running memgrid-cli: %v", err)
	}
	return cliResult{strings.TrimSuffix(so.String(), "\n"), se.String(), code}
}

// TestCClientInterop: strings written by memgrid's C client read back as
// strings through the official Go client and the other way round; put
// returns the old value, remove the removed one, size agrees, a TTL
// expires, a value that is not a string and a wrong cluster name are
// reported with exit status 1. Runs against Hazelcast 5.7 too: the C client
// speaks the same protocol.
func TestCClientInterop(t *testing.T) {
	e := setup(t)
	m, name := e.m, e.mp.Name()
	cli := func(args ...string) cliResult { return runCLI(t, m, m.ClusterName, args...) }
	ok := func(what string, r cliResult, want string) {
		t.Helper()
		if r.code != 0 || r.out != want {
			t.Errorf("%s: exit %d, out %q, err %q; want exit 0, out %q", what, r.code, r.out, r.err, want)
		}
	}

	ok("put k1 from C", cli("put", name, "k1", "hello, wörld"), "(nil)")
	eq(t, "Go Get(k1)", mustGet(e, "k1"), "hello, wörld")

	if _, err := e.mp.Put(e.ctx, "k2", "from Go"); err != nil {
		t.Fatal(err)
	}
	ok("get k2 from C", cli("get", name, "k2"), "from Go")
	ok("put k2 again from C: the old value", cli("put", name, "k2", "again"), "from Go")
	eq(t, "Go Get(k2)", mustGet(e, "k2"), "again")

	ok("remove k1 from C: the removed value", cli("remove", name, "k1"), "hello, wörld")
	eq(t, "Go Get(k1) after the remove", mustGet(e, "k1"), nil)
	ok("get of an absent key", cli("get", name, "k1"), "(nil)")

	for _, k := range []string{"a", "b", "c"} {
		ok("put "+k, cli("put", name, k, "v-"+k), "(nil)")
	}
	size, err := e.mp.Size(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	ok("size from C", cli("size", name), strconv.Itoa(size))

	if _, err := e.mp.Put(e.ctx, "n", int64(7)); err != nil {
		t.Fatal(err)
	}
	if r := cli("get", name, "n"); r.code != 1 || !strings.Contains(r.err, "not a string") {
		t.Errorf("get of an int64 value: exit %d, err %q; want exit 1 and 'not a string'", r.code, r.err)
	}

	ok("put with a TTL of 1 s", cli("put", name, "ttl", "short", "1000"), "(nil)")
	eq(t, "Go Get(ttl) at once", mustGet(e, "ttl"), "short")
	if gone, _ := harness.Eventually(10*time.Second, 100*time.Millisecond, func() (bool, string) {
		return mustGet(e, "ttl") == nil, ""
	}); !gone {
		t.Errorf("the entry put with a 1 s TTL by the C client is still there after 10 s")
	}

	if r := runCLI(t, m, m.ClusterName+"-not", "get", name, "k2"); r.code != 1 || !strings.Contains(r.err, "authentication refused") {
		t.Errorf("a wrong cluster name: exit %d, err %q; want exit 1 and 'authentication refused'", r.code, r.err)
	}
}

func mustGet(e *env, k string) interface{} {
	e.t.Helper()
	v, err := e.mp.Get(e.ctx, k)
	if err != nil {
		e.t.Fatalf("Go Get(%s): %v", k, err)
	}
	return v
}
