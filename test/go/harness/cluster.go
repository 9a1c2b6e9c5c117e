package harness

// Clusters: N members on 127.0.0.1, each with a fixed port chosen by the
// test, joined by tcp-ip with the list of every slot's address.
//
// memgrid member:  memgrid --config F --port-file P   (port from F)
// Hazelcast:       the jar, with the same network/join/map settings plus
//                  127.0.0.1-only settings, graceful shutdown hook and short
//                  join / split-brain-merge delays (so the tests can be
//                  checked against a real cluster: MEMGRID_TARGET=hazelcast).
//
// A cluster has Slots addresses; StartCluster starts the first Size of them
// (the member of slot 0 first, alone, until a client sees it as a one-member
// cluster; then the others at once) and returns when a client sees exactly
// those members. Slots not started yet (a member that joins later) and
// members that were stopped can be (re)started on their own port with
// ClusterMember.Start. Every process is stopped when the test ends (SIGCONT,
// SIGTERM, then SIGKILL); a member that exited without the test asking for
// it, or that did not exit cleanly at the end, fails the test, and a failed
// test prints the tail of every member's log (every incarnation).
//
// Readiness is a client's view of the member list (membership listener of
// the Go client); waits are bounded and fail with the view, its history and
// the state of every member process.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/cluster"
	"github.com/hazelcast/hazelcast-go-client/logger"
	"github.com/hazelcast/hazelcast-go-client/types"
)

// Time limits of the cluster harness. They are generous: CI runs
// sanitizer builds on slow machines.
const (
	// ClusterFormLimit bounds the start of a cluster: the first member
	// founding it, and the others joining.
	ClusterFormLimit = 45 * time.Second
	// MembershipLimit bounds a wait for a change of the member list
	// (a member removed after a crash, a join, a rejoin).
	MembershipLimit = 45 * time.Second
	// PortFileLimit bounds the wait for a member's port file.
	PortFileLimit = 30 * time.Second
	// TerminateLimit bounds a graceful shutdown (SIGTERM until exit).
	TerminateLimit = 60 * time.Second
	// cleanupTermLimit bounds the SIGTERM of the remaining members when
	// the test ends (all at once).
	cleanupTermLimit = 20 * time.Second
	// logTailBytes of each member log are printed when a test fails.
	logTailBytes = 16 << 10
)

// ClusterOptions describes a cluster started by StartCluster.
type ClusterOptions struct {
	// Name is the cluster name; default "memgrid-c-<random>".
	Name string
	// Size is the number of members StartCluster starts; default 3.
	Size int
	// Slots is the number of member addresses (each member's tcp-ip
	// member-list holds all of them); default Size. Slots beyond Size are
	// members the test starts later.
	Slots int
	// BackupCount is map.default's backup-count; default 1.
	BackupCount *int
	// Maps are written under `map:`. A "default" entry without a
	// BackupCount gets BackupCount; without a "default" entry one is added.
	Maps []MapConfig
	// Properties are added under `properties:` (after the heartbeat ones,
	// which they may override).
	Properties map[string]string
	// FormLimit bounds the start of the cluster; default ClusterFormLimit.
	FormLimit time.Duration
	// Multicast, when set, has the members find each other by multicast
	// on this group instead of a tcp-ip member list. Every member binds
	// 127.0.0.1, so the datagrams stay on loopback.
	Multicast *MulticastJoin
	// Together starts the first Size members at once, instead of slot 0
	// first and the others once it is a cluster of one.
	Together bool
	// NoWait returns once the first Size members listen, without waiting
	// for a client to see them (for clusters that refuse clients at first).
	NoWait bool
}

// MulticastJoin is network.join.multicast for ClusterOptions.
type MulticastJoin struct {
	Group          string // an IPv4 multicast address, e.g. 239.1.2.3
	Port           int
	TimeoutSeconds int // multicast-timeout-seconds; 0 leaves the default
}

// Cluster is a running cluster.
type Cluster struct {
	Target  Target
	Name    string
	Dir     string // configs and logs
	Members []*ClusterMember
	opts    ClusterOptions
	started time.Time
}

// ClusterMember is one slot of a cluster: a fixed port and config, and
// every process (incarnation) started on it.
type ClusterMember struct {
	Slot       int
	Port       int
	Addr       string // 127.0.0.1:Port
	ConfigPath string
	c          *Cluster
	mu         sync.Mutex
	incs       []*incarnation
}

type incarnation struct {
	n         int
	logPath   string
	portFile  string
	proc      *process
	started   time.Time
	paused    bool
	expected  string // why the test ended it ("" while it should run)
	exitState string // filled when it ended
}

// formationFailure remembers that a cluster did not form in this test
// binary: later StartCluster calls fail at once instead of each waiting
// ClusterFormLimit again. Run a test alone (-run) to retry it.
var (
	formationMu      sync.Mutex
	formationFailure string
)

func (o ClusterOptions) withDefaults() ClusterOptions {
	if o.Size == 0 {
		o.Size = 3
	}
	if o.Slots < o.Size {
		o.Slots = o.Size
	}
	if o.Name == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		o.Name = "memgrid-c-" + hex.EncodeToString(b[:])
	}
	if o.BackupCount == nil {
		one := 1
		o.BackupCount = &one
	}
	if o.FormLimit == 0 {
		o.FormLimit = ClusterFormLimit
	}
	maps := make([]MapConfig, 0, len(o.Maps)+1)
	haveDefault := false
	for _, m := range o.Maps {
		if m.Name == "default" {
			haveDefault = true
			if m.BackupCount == nil {
				m.BackupCount = o.BackupCount
			}
		}
		maps = append(maps, m)
	}
	if !haveDefault {
		maps = append([]MapConfig{{Name: "default", BackupCount: o.BackupCount}}, maps...)
	}
	o.Maps = maps
	return o
}

// IntPtr is a convenience for MapConfig.BackupCount and friends.
func IntPtr(v int) *int { return &v }

// StartCluster starts a cluster of TargetFromEnv() and waits until a client
// sees exactly its first Size members. Failing is fatal for the test; all
// processes are stopped when the test ends.
func StartCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	target := TargetFromEnv()
	if ok, why := Available(target); !ok {
		t.Fatalf("cannot start a %s cluster: %s", target, why)
	}
	formationMu.Lock()
	prev := formationFailure
	formationMu.Unlock()
	if prev != "" {
		t.Fatalf("not attempted: a cluster already failed to form in this test binary (%s); run this test alone with -run to retry", prev)
	}
	opts = opts.withDefaults()
	dir, keep := clusterDir(t)
	c := &Cluster{Target: target, Name: opts.Name, Dir: dir, opts: opts, started: time.Now()}
	t.Cleanup(func() { c.cleanup(t, keep) })

	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		err := c.form(t, attempt)
		if err == nil {
			return c
		}
		lastErr = err
		var early *earlyExitError
		if !errors.As(err, &early) {
			break
		}
		// A member died before it listened (a reserved port taken in the
		// meantime?): start again on fresh ports.
		t.Logf("cluster start attempt %d: %v; retrying on new ports", attempt, err)
		c.killAll("retrying the cluster start")
	}
	var fe *formationError
	if errors.As(lastErr, &fe) {
		formationMu.Lock()
		if formationFailure == "" {
			formationFailure = fmt.Sprintf("%s: %s", t.Name(), fe.short)
		}
		formationMu.Unlock()
	}
	t.Fatalf("starting a %d-member %s cluster %q: %v\n%s", opts.Size, target, opts.Name, lastErr, c.Status())
	return nil
}

type formationError struct{ short, long string }

func (e *formationError) Error() string { return e.long }

// clusterDir is t.TempDir(), or a kept directory with MEMGRID_KEEP_LOGS.
func clusterDir(t testing.TB) (string, bool) {
	if os.Getenv("MEMGRID_KEEP_LOGS") == "" {
		return t.TempDir(), false
	}
	d, err := os.MkdirTemp("", "memgrid-cluster-*")
	if err != nil {
		t.Fatal(err)
	}
	return d, true
}

// form reserves ports, writes the configs and starts the first Size
// members: slot 0 alone until it is a one-member cluster, then the others.
func (c *Cluster) form(t testing.TB, attempt int) error {
	ports, err := freePorts(c.opts.Slots)
	if err != nil {
		return err
	}
	c.Members = make([]*ClusterMember, c.opts.Slots)
	addrs := make([]string, c.opts.Slots)
	for i, p := range ports {
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", p)
	}
	for i, p := range ports {
		m := &ClusterMember{Slot: i, Port: p, Addr: addrs[i], c: c,
			ConfigPath: filepath.Join(c.Dir, fmt.Sprintf("a%d-member%d-%d.yaml", attempt, i, p))}
		if err := os.WriteFile(m.ConfigPath, []byte(renderClusterYAML(c.Target, c.opts, p, addrs)), 0o644); err != nil {
			return err
		}
		c.Members[i] = m
	}
	deadline := time.Now().Add(c.opts.FormLimit)

	// Slot 0 founds the cluster (unless all start together).
	if err := c.Members[0].start(); err != nil {
		return err
	}
	if !c.opts.Together && !c.opts.NoWait {
		if err := c.waitFormed(deadline, []int{0}); err != nil {
			return err
		}
	}
	// The others join it, all at once.
	for i := 1; i < c.opts.Size; i++ {
		if err := c.Members[i].start(); err != nil {
			return err
		}
	}
	slots := make([]int, c.opts.Size)
	for i := range slots {
		slots[i] = i
	}
	if c.opts.NoWait {
		for _, s := range slots {
			if err := c.Members[s].waitListening(time.Until(deadline)); err != nil {
				return err
			}
		}
		return nil
	}
	return c.waitFormed(deadline, slots)
}

// waitFormed waits for the port files of slots, then until a client (given
// the addresses of slots only) sees exactly those members.
func (c *Cluster) waitFormed(deadline time.Time, slots []int) error {
	for _, s := range slots {
		if err := c.Members[s].waitListening(time.Until(deadline)); err != nil {
			return err
		}
	}
	addrs := c.Addrs(slots...)
	want := fmt.Sprintf("exactly the members %v", addrs)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	cfg := c.ClientConfig(WithAddresses(addrs...))
	cfg.Logger.Level = logger.OffLevel
	cfg.Cluster.ConnectionStrategy.Timeout = types.Duration(time.Until(deadline))
	view := NewMemberView()
	view.Attach(&cfg)
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	go func() { // a member that dies ends the wait at once
		for {
			if c.unexpectedExits() != "" {
				cancel()
				return
			}
			select {
			case <-stopWatch:
				return
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	client, err := hazelcast.StartNewClientWithConfig(ctx, cfg)
	if err != nil {
		if ex := c.unexpectedExits(); ex != "" {
			return fmt.Errorf("while the cluster formed:\n%s", ex)
		}
		short := fmt.Sprintf("no client could connect to %v within %v", addrs, c.opts.FormLimit)
		return &formationError{short: short, long: fmt.Sprintf("%s: %v", short, err)}
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = client.Shutdown(sctx)
		scancel()
	}()
	ok, why := view.waitCond(ctx, func(ms []cluster.MemberInfo) bool { return sameAddrs(ms, addrs) })
	if !ok {
		if ex := c.unexpectedExits(); ex != "" {
			return fmt.Errorf("while the cluster formed:\n%s", ex)
		}
		short := fmt.Sprintf("a client given %v never saw %s within %v (last view: %s)", addrs, want, c.opts.FormLimit, why)
		return &formationError{short: short, long: short + "\nmember list history seen by that client:\n" + view.History()}
	}
	return nil
}

// Addrs gives the addresses of the slots (all slots when none are named).
func (c *Cluster) Addrs(slots ...int) []string {
	if len(slots) == 0 {
		out := make([]string, len(c.Members))
		for i, m := range c.Members {
			out[i] = m.Addr
		}
		return out
	}
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = c.Members[s].Addr
	}
	return out
}

// Status describes every member process, for failure messages.
func (c *Cluster) Status() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cluster %q (%s), %v after its start:\n", c.Name, c.Target, time.Since(c.started).Round(time.Millisecond))
	for _, m := range c.Members {
		if m == nil {
			continue
		}
		m.mu.Lock()
		if len(m.incs) == 0 {
			fmt.Fprintf(&b, "  slot %d %s: never started\n", m.Slot, m.Addr)
		}
		for _, inc := range m.incs {
			fmt.Fprintf(&b, "  slot %d %s incarnation %d (pid %d): %s\n", m.Slot, m.Addr, inc.n, inc.proc.cmd.Process.Pid, inc.describe())
		}
		m.mu.Unlock()
	}
	return b.String()
}

// unexpectedExits describes every member process that ended without the
// test asking for it ("" when none did).
func (c *Cluster) unexpectedExits() string {
	var out []string
	for _, m := range c.Members {
		if m == nil {
			continue
		}
		m.mu.Lock()
		for _, inc := range m.incs {
			if inc.expected == "" && inc.exited() {
				out = append(out, fmt.Sprintf("member slot %d (%s) incarnation %d exited without the test asking for it: %s",
					m.Slot, m.Addr, inc.n, inc.describe()))
			}
		}
		m.mu.Unlock()
	}
	return strings.Join(out, "\n")
}

func (c *Cluster) killAll(why string) {
	for _, m := range c.Members {
		if m == nil {
			continue
		}
		m.mu.Lock()
		for _, inc := range m.incs {
			if inc.expected == "" {
				inc.expected = why
			}
			inc.proc.signalGroup(syscall.SIGCONT)
			inc.proc.kill()
		}
		m.mu.Unlock()
	}
}

// cleanup stops every member (SIGCONT, SIGTERM to all at once, SIGKILL
// after cleanupTermLimit), reports unexpected and unclean exits, and prints
// the member logs when the test failed.
func (c *Cluster) cleanup(t testing.TB, keep bool) {
	if ex := c.unexpectedExits(); ex != "" {
		t.Errorf("%s", ex)
	}
	var running []*incarnation
	var owners []*ClusterMember
	for _, m := range c.Members {
		if m == nil {
			continue
		}
		m.mu.Lock()
		for _, inc := range m.incs {
			if !inc.exited() {
				if inc.expected == "" {
					inc.expected = "stopped at the end of the test"
				}
				inc.proc.mu.Lock()
				inc.proc.stopping = true
				inc.proc.mu.Unlock()
				running = append(running, inc)
				owners = append(owners, m)
			}
		}
		m.mu.Unlock()
	}
	for _, inc := range running {
		inc.proc.signalGroup(syscall.SIGCONT)
		inc.proc.signalGroup(syscall.SIGTERM)
	}
	deadline := time.After(cleanupTermLimit)
	for i, inc := range running {
		select {
		case <-inc.proc.done:
			if st := c.exitProblem(inc); st != "" {
				t.Errorf("member slot %d (%s) incarnation %d at the end of the test: %s", owners[i].Slot, owners[i].Addr, inc.n, st)
			}
		case <-deadline:
			deadline = closedTimeChan()
			inc.proc.kill()
			t.Errorf("member slot %d (%s) incarnation %d did not exit within %v of SIGTERM at the end of the test; killed",
				owners[i].Slot, owners[i].Addr, inc.n, cleanupTermLimit)
		}
		_ = syscall.Kill(-inc.proc.cmd.Process.Pid, syscall.SIGKILL) // leftovers in its group
	}
	if t.Failed() {
		t.Logf("%s", c.Status())
		c.dumpLogs(t)
		if keep {
			t.Logf("cluster files kept in %s", c.Dir)
		}
	}
	if keep && !t.Failed() {
		os.RemoveAll(c.Dir)
	}
}

func closedTimeChan() <-chan time.Time {
	ch := make(chan time.Time)
	close(ch)
	return ch
}

// exitProblem describes an unclean end after SIGTERM ("" when clean).
func (c *Cluster) exitProblem(inc *incarnation) string {
	code, sig := exitStatus(inc.proc)
	switch {
	case code == 0:
		return ""
	case sig == syscall.SIGTERM:
		return "" // as the single-member harness: ended by the signal itself
	case c.Target == TargetHazelcast && code == 128+int(syscall.SIGTERM):
		return ""
	}
	return "exited uncleanly after SIGTERM: " + inc.describe()
}

func (c *Cluster) dumpLogs(t testing.TB) {
	for _, m := range c.Members {
		if m == nil {
			continue
		}
		m.mu.Lock()
		for _, inc := range m.incs {
			tail := logTail(inc.logPath, logTailBytes)
			if st, err := os.Stat(inc.logPath); err == nil && st.Size() > logTailBytes {
				tail = "...(cut)...\n" + tail
			}
			t.Logf("---- member slot %d %s incarnation %d (%s) log %s ----\n%s\n---- end of member log ----",
				m.Slot, m.Addr, inc.n, inc.describe(), inc.logPath, tail)
		}
		m.mu.Unlock()
	}
}

// renderClusterYAML writes one member's configuration: its port, the
// tcp-ip member list of every slot, heartbeat properties and the maps.
func renderClusterYAML(target Target, o ClusterOptions, port int, members []string) string {
	var b strings.Builder
	w := func(indent int, format string, args ...interface{}) {
		b.WriteString(strings.Repeat("  ", indent))
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	w(0, "hazelcast:")
	w(1, "cluster-name: %s", yamlString(o.Name))
	w(1, "network:")
	w(2, "port:")
	w(3, "port: %d", port)
	w(3, "auto-increment: false")
	if target == TargetHazelcast {
		w(2, "interfaces:")
		w(3, "enabled: true")
		w(3, "interfaces:")
		w(4, "- 127.0.0.1")
	}
	w(2, "join:")
	if target == TargetHazelcast {
		w(3, "auto-detection:")
		w(4, "enabled: false")
	}
	if mc := o.Multicast; mc != nil {
		w(3, "multicast:")
		w(4, "enabled: true")
		w(4, "multicast-group: %s", mc.Group)
		w(4, "multicast-port: %d", mc.Port)
		// TTL 0: the kernel loops the datagrams back to this host's
		// sockets and sends none to any network.
		w(4, "multicast-time-to-live: 0")
		if mc.TimeoutSeconds > 0 {
			w(4, "multicast-timeout-seconds: %d", mc.TimeoutSeconds)
		}
		w(3, "tcp-ip:")
		w(4, "enabled: false")
	} else {
		w(3, "multicast:")
		w(4, "enabled: false")
		w(3, "tcp-ip:")
		w(4, "enabled: true")
		w(4, "member-list:")
		for _, a := range members {
			w(5, "- %s", a)
		}
	}
	props := map[string]string{
		"hazelcast.heartbeat.interval.seconds": "1",
		"hazelcast.max.no.heartbeat.seconds":   "2",
	}
	if target == TargetHazelcast {
		for k, v := range map[string]string{
			"hazelcast.phone.home.enabled":            "false",
			"hazelcast.local.localAddress":            "127.0.0.1",
			"hazelcast.socket.bind.any":               "false",
			"hazelcast.shutdownhook.policy":           "GRACEFUL",
			"hazelcast.graceful.shutdown.max.wait":    "60",
			"hazelcast.wait.seconds.before.join":      "1",
			"hazelcast.max.wait.seconds.before.join":  "3",
			"hazelcast.merge.first.run.delay.seconds": "5",
			"hazelcast.merge.next.run.delay.seconds":  "5",
			"hazelcast.health.monitoring.level":       "OFF",
		} {
			props[k] = v
		}
	}
	for k, v := range o.Properties {
		props[k] = v
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w(1, "properties:")
	for _, k := range keys {
		w(2, "%s: %s", yamlString(k), yamlString(props[k]))
	}
	if target == TargetHazelcast {
		w(1, "jet:")
		w(2, "enabled: false")
	}
	b.WriteString(renderMapsYAML(o.Maps))
	return b.String()
}

// renderMapsYAML gives the `  map:` section for maps, as the single-member
// harness writes it (renderYAML puts it last).
func renderMapsYAML(maps []MapConfig) string {
	if len(maps) == 0 {
		return ""
	}
	y := renderYAML(TargetMemgrid, Options{Maps: maps}, 0)
	i := strings.Index(y, "\n  map:\n")
	if i < 0 {
		panic("harness: renderYAML wrote no map section:\n" + y)
	}
	return y[i+1:]
}

// ---- members ----

// Start starts a new process (incarnation) of this member on its port with
// its config, and waits for its port file (memgrid). It does not wait for
// it to join: wait for that with a MemberView.
func (m *ClusterMember) Start(t testing.TB) {
	t.Helper()
	if err := m.start(); err != nil {
		t.Fatalf("starting member slot %d (%s): %v", m.Slot, m.Addr, err)
	}
	if err := m.waitListening(PortFileLimit); err != nil {
		t.Fatalf("member slot %d (%s): %v\n%s", m.Slot, m.Addr, err, m.c.Status())
	}
}

func (m *ClusterMember) start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := m.current(); cur != nil && !cur.exited() {
		return fmt.Errorf("slot %d incarnation %d is still running", m.Slot, cur.n)
	}
	n := len(m.incs) + 1
	inc := &incarnation{
		n:        n,
		logPath:  filepath.Join(m.c.Dir, fmt.Sprintf("member%d-%d-inc%d.log", m.Slot, m.Port, n)),
		portFile: filepath.Join(m.c.Dir, fmt.Sprintf("member%d-%d-inc%d.port", m.Slot, m.Port, n)),
		started:  time.Now(),
	}
	var cmd *exec.Cmd
	switch m.c.Target {
	case TargetMemgrid:
		args := []string{"--config", m.ConfigPath, "--port-file", inc.portFile}
		if w := os.Getenv("MEMGRID_WORKERS"); w != "" {
			args = append(args, "--workers", w)
		}
		cmd = exec.Command(MemgridBinary(), args...)
	case TargetHazelcast:
		cmd = hazelcastCommand(m.ConfigPath, "128m", "1g")
	}
	p, err := startProcess(cmd, inc.logPath)
	if err != nil {
		return err
	}
	inc.proc = p
	m.incs = append(m.incs, inc)
	return nil
}

// waitListening waits for the port file of the current incarnation and
// checks it names the member's port. Hazelcast writes none: no wait.
func (m *ClusterMember) waitListening(limit time.Duration) error {
	m.mu.Lock()
	inc := m.current()
	m.mu.Unlock()
	if inc == nil {
		return fmt.Errorf("slot %d was never started", m.Slot)
	}
	if m.c.Target != TargetMemgrid {
		return nil
	}
	if limit > PortFileLimit {
		limit = PortFileLimit
	}
	port, err := waitPortFile(inc.proc, inc.portFile, limit)
	if err != nil {
		tail := logTail(inc.logPath, 4<<10)
		var early *earlyExitError
		if errors.As(err, &early) {
			return &earlyExitError{fmt.Sprintf("slot %d (%s): %v\n---- member log tail ----\n%s", m.Slot, m.Addr, err, tail)}
		}
		return fmt.Errorf("slot %d (%s): %v\n---- member log tail ----\n%s", m.Slot, m.Addr, err, tail)
	}
	if port != m.Port {
		return fmt.Errorf("slot %d: member wrote port %d to its port file, its config says network.port.port %d (auto-increment false)", m.Slot, port, m.Port)
	}
	return nil
}

func (m *ClusterMember) current() *incarnation {
	if len(m.incs) == 0 {
		return nil
	}
	return m.incs[len(m.incs)-1]
}

func (m *ClusterMember) running(t testing.TB, what string) *incarnation {
	t.Helper()
	m.mu.Lock()
	inc := m.current()
	m.mu.Unlock()
	if inc == nil || inc.exited() {
		t.Fatalf("cannot %s member slot %d (%s): not running\n%s", what, m.Slot, m.Addr, m.c.Status())
	}
	return inc
}

// Running reports whether the member's current process is alive.
func (m *ClusterMember) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	inc := m.current()
	return inc != nil && !inc.exited()
}

// Pid is the current process id (0 if never started).
func (m *ClusterMember) Pid() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if inc := m.current(); inc != nil {
		return inc.proc.cmd.Process.Pid
	}
	return 0
}

// LogPath is the log of the current incarnation.
func (m *ClusterMember) LogPath() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if inc := m.current(); inc != nil {
		return inc.logPath
	}
	return ""
}

// AsMember gives a Member value for helpers that take one (RunProgram):
// address, cluster name, config and current log.
func (m *ClusterMember) AsMember() *Member {
	m.mu.Lock()
	defer m.mu.Unlock()
	mem := &Member{Target: m.c.Target, Addr: m.Addr, ClusterName: m.c.Name, Dir: m.c.Dir, ConfigPath: m.ConfigPath}
	if inc := m.current(); inc != nil {
		mem.LogPath = inc.logPath
		mem.proc = inc.proc
	}
	return mem
}

// Kill crashes the member: SIGKILL, and waits until the process is gone.
func (m *ClusterMember) Kill(t testing.TB) {
	t.Helper()
	inc := m.running(t, "kill")
	m.mu.Lock()
	inc.expected = "killed (SIGKILL) by the test"
	m.mu.Unlock()
	inc.proc.kill()
	select {
	case <-inc.proc.done:
	default:
		t.Fatalf("member slot %d (%s) still running 10 s after SIGKILL", m.Slot, m.Addr)
	}
}

// Terminate sends SIGTERM (graceful shutdown) and waits up to limit for
// the exit. It returns the exit code (-1 when ended by a signal) and a
// description; when the member does not exit within limit it is killed
// and the test fails.
func (m *ClusterMember) Terminate(t testing.TB, limit time.Duration) (code int, desc string) {
	t.Helper()
	inc := m.running(t, "terminate")
	m.mu.Lock()
	inc.expected = "terminated (SIGTERM) by the test"
	m.mu.Unlock()
	inc.proc.mu.Lock()
	inc.proc.stopping = true
	inc.proc.mu.Unlock()
	sent := time.Now()
	inc.proc.signalGroup(syscall.SIGTERM)
	select {
	case <-inc.proc.done:
	case <-time.After(limit):
		inc.proc.kill()
		t.Fatalf("member slot %d (%s) did not exit within %v of SIGTERM (graceful shutdown); killed\n%s",
			m.Slot, m.Addr, limit, m.c.Status())
	}
	code, _ = exitStatus(inc.proc)
	return code, fmt.Sprintf("%s, %v after SIGTERM", inc.describe(), time.Since(sent).Round(time.Millisecond))
}

// Pause stops the member's process group (SIGSTOP).
func (m *ClusterMember) Pause(t testing.TB) {
	t.Helper()
	inc := m.running(t, "pause")
	inc.proc.signalGroup(syscall.SIGSTOP)
	m.mu.Lock()
	inc.paused = true
	m.mu.Unlock()
}

// Resume continues a paused member (SIGCONT).
func (m *ClusterMember) Resume(t testing.TB) {
	t.Helper()
	inc := m.running(t, "resume")
	inc.proc.signalGroup(syscall.SIGCONT)
	m.mu.Lock()
	inc.paused = false
	m.mu.Unlock()
}

func (inc *incarnation) exited() bool {
	select {
	case <-inc.proc.done:
		return true
	default:
		return false
	}
}

// describe gives the state of the process: running / paused / how it
// ended, and whether the test ended it.
func (inc *incarnation) describe() string {
	up := time.Since(inc.started).Round(time.Millisecond)
	if !inc.exited() {
		if inc.paused {
			return fmt.Sprintf("paused (SIGSTOP), started %v ago", up)
		}
		return fmt.Sprintf("running, started %v ago", up)
	}
	code, sig := exitStatus(inc.proc)
	var how string
	switch {
	case sig != 0:
		how = "ended by signal " + sig.String()
	default:
		how = "exited with status " + strconv.Itoa(code)
	}
	if inc.proc.waitErr != nil && sig == 0 && code == -1 {
		how = inc.proc.waitErr.Error()
	}
	if inc.expected != "" {
		how += " (" + inc.expected + ")"
	} else {
		how += " (NOT asked by the test)"
	}
	return how
}

// exitStatus gives the exit code (-1 if none) and the terminating signal
// (0 if none) of an ended process.
func exitStatus(p *process) (int, syscall.Signal) {
	select {
	case <-p.done:
	default:
		return -1, 0
	}
	if p.waitErr == nil {
		return 0, 0
	}
	var ee *exec.ExitError
	if errors.As(p.waitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			if ws.Signaled() {
				return -1, ws.Signal()
			}
			return ws.ExitStatus(), 0
		}
		return ee.ExitCode(), 0
	}
	return -1, 0
}

// ---- clients and the member list they see ----

// WithAddresses sets the member addresses the client starts from, in
// order (the client tries them in that order).
func WithAddresses(addrs ...string) ClientOption {
	return func(c *hazelcast.Config) { c.Cluster.Network.SetAddresses(addrs...) }
}

// WithRedoOperation makes the client retry requests whose member
// connection was lost (Cluster.RedoOperation).
func WithRedoOperation() ClientOption {
	return func(c *hazelcast.Config) { c.Cluster.RedoOperation = true }
}

// WithUnisocket turns smart routing off: the client talks to one member
// only, which must forward key operations to their partition owners.
func WithUnisocket() ClientOption {
	return func(c *hazelcast.Config) { c.Cluster.Unisocket = true }
}

// ClientConfig is the configuration of a cluster client: the cluster's
// name, every slot's address (slot order), smart routing, 1 s heartbeats
// with a 5 s timeout (a dead or paused member's connection is dropped),
// 30 s invocation timeout, and 60 s to (re)connect to the cluster.
func (c *Cluster) ClientConfig(opts ...ClientOption) hazelcast.Config {
	base := []ClientOption{
		WithClusterName(c.Name),
		WithAddresses(c.Addrs()...),
		func(cfg *hazelcast.Config) {
			cfg.Cluster.Unisocket = false
			cfg.Cluster.HeartbeatInterval = types.Duration(1 * time.Second)
			cfg.Cluster.HeartbeatTimeout = types.Duration(5 * time.Second)
			cfg.Cluster.InvocationTimeout = types.Duration(30 * time.Second)
			cfg.Cluster.ConnectionStrategy.Timeout = types.Duration(60 * time.Second)
		},
	}
	return ClientConfig(c.Members[0].Addr, append(base, opts...)...)
}

// NewClient connects a client to the cluster (see ClientConfig) with a
// MemberView attached before it starts; it is shut down when the test ends
// (before the members are stopped).
func (c *Cluster) NewClient(t testing.TB, opts ...ClientOption) (*hazelcast.Client, *MemberView) {
	t.Helper()
	cfg := c.ClientConfig(opts...)
	view := NewMemberView()
	view.Attach(&cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, err := hazelcast.StartNewClientWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connecting a client to cluster %q at %v: %v\n%s", c.Name, cfg.Cluster.Network.Addresses, err, c.Status())
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = client.Shutdown(sctx)
	})
	return client, view
}

// WaitMembers waits until the view holds exactly the members of slots
// (by address) and returns them.
func (c *Cluster) WaitMembers(t testing.TB, v *MemberView, slots ...int) []cluster.MemberInfo {
	t.Helper()
	addrs := c.Addrs(slots...)
	return c.WaitView(t, v, MembershipLimit, fmt.Sprintf("exactly the members %v", addrs),
		func(ms []cluster.MemberInfo) bool { return sameAddrs(ms, addrs) })
}

// WaitRejoined waits until the view holds exactly the members of slots and
// the member at slot's address has a UUID other than old (it came back as
// a new member).
func (c *Cluster) WaitRejoined(t testing.TB, v *MemberView, slot int, old types.UUID, slots ...int) []cluster.MemberInfo {
	t.Helper()
	addrs := c.Addrs(slots...)
	addr := c.Members[slot].Addr
	return c.WaitView(t, v, MembershipLimit,
		fmt.Sprintf("exactly the members %v, %s with a UUID other than its former %s", addrs, addr, old),
		func(ms []cluster.MemberInfo) bool {
			if !sameAddrs(ms, addrs) {
				return false
			}
			for _, m := range ms {
				if m.Address.String() == addr {
					return m.UUID != old
				}
			}
			return false
		})
}

// WaitView waits until cond holds for the view's members. It fails the
// test when limit passes, or at once when a member process exits without
// the test asking, with the view, its history and the member states.
func (c *Cluster) WaitView(t testing.TB, v *MemberView, limit time.Duration, want string, cond func([]cluster.MemberInfo) bool) []cluster.MemberInfo {
	t.Helper()
	start := time.Now()
	deadline := start.Add(limit)
	for i := 0; i < 4*int(limit/(50*time.Millisecond))+10; i++ { // events end a round early: 4x
		ms := v.Members()
		if cond(ms) {
			return ms
		}
		if ex := c.unexpectedExits(); ex != "" {
			t.Fatalf("waiting for the client to see %s:\n%s\nclient sees: %s\nmember list history:\n%s\n%s",
				want, ex, FormatMembers(ms), v.History(), c.Status())
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-v.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
	ms := v.Members()
	if cond(ms) {
		return ms
	}
	t.Fatalf("the client did not see %s within %v\nclient sees: %s\nmember list history:\n%s\n%s",
		want, limit, FormatMembers(ms), v.History(), c.Status())
	return nil
}

// MemberView is the member list a client sees, kept from its membership
// events (registered before the client starts). It mirrors the client's
// own list: a member added at the address of another replaces it (the
// client does that without a "removed" event).
type MemberView struct {
	mu      sync.Mutex
	members map[types.UUID]cluster.MemberInfo
	history []string
	start   time.Time
	changed chan struct{}
}

// NewMemberView makes an empty view; Attach it to a config.
func NewMemberView() *MemberView {
	return &MemberView{members: map[types.UUID]cluster.MemberInfo{}, start: time.Now(),
		changed: make(chan struct{}, 1)}
}

// Attach registers the view as a membership listener of cfg.  The client
// forgets its member list when it loses its last connection and, once
// reconnected, reports every member as added again (no "removed" for those
// that left meanwhile), so the view starts over on a disconnect too.
func (v *MemberView) Attach(cfg *hazelcast.Config) {
	cfg.AddMembershipListener(v.handle)
	cfg.AddLifecycleListener(func(e hazelcast.LifecycleStateChanged) {
		if e.State != hazelcast.LifecycleStateDisconnected {
			return
		}
		v.mu.Lock()
		v.members = map[types.UUID]cluster.MemberInfo{}
		v.note("%7.3fs client disconnected: its member list starts over", time.Since(v.start).Seconds())
		v.mu.Unlock()
	})
}

func (v *MemberView) handle(e cluster.MembershipStateChanged) {
	v.mu.Lock()
	at := time.Since(v.start).Seconds()
	switch e.State {
	case cluster.MembershipStateAdded:
		for id, m := range v.members {
			if id != e.Member.UUID && m.Address.String() == e.Member.Address.String() {
				delete(v.members, id)
				v.note("%7.3fs replaced %s %s", at, m.Address, id)
			}
		}
		v.members[e.Member.UUID] = e.Member
		v.note("%7.3fs added    %s %s", at, e.Member.Address, e.Member.UUID)
	case cluster.MembershipStateRemoved:
		delete(v.members, e.Member.UUID)
		v.note("%7.3fs removed  %s %s", at, e.Member.Address, e.Member.UUID)
	}
	v.mu.Unlock()
	select {
	case v.changed <- struct{}{}:
	default:
	}
}

func (v *MemberView) note(format string, args ...interface{}) {
	if len(v.history) < 500 {
		v.history = append(v.history, fmt.Sprintf(format, args...))
	}
}

// Members gives the current list, in address order.
func (v *MemberView) Members() []cluster.MemberInfo {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]cluster.MemberInfo, 0, len(v.members))
	for _, m := range v.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address.String() < out[j].Address.String() })
	return out
}

// UUIDAt gives the UUID of the member at addr, if the view has one.
func (v *MemberView) UUIDAt(addr string) (types.UUID, bool) {
	for _, m := range v.Members() {
		if m.Address.String() == addr {
			return m.UUID, true
		}
	}
	return types.UUID{}, false
}

// History lists the membership events, with seconds since the view was
// made.
func (v *MemberView) History() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.history) == 0 {
		return "  (no membership event)"
	}
	return "  " + strings.Join(v.history, "\n  ")
}

func (v *MemberView) waitCond(ctx context.Context, cond func([]cluster.MemberInfo) bool) (bool, string) {
	for i := 0; i < 100000; i++ {
		ms := v.Members()
		if cond(ms) {
			return true, FormatMembers(ms)
		}
		select {
		case <-ctx.Done():
			return false, FormatMembers(v.Members())
		case <-v.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false, FormatMembers(v.Members())
}

// FormatMembers prints a member list: count, then address/UUID pairs.
func FormatMembers(ms []cluster.MemberInfo) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.Address.String() + " " + m.UUID.String()
	}
	return fmt.Sprintf("%d member(s) [%s]", len(ms), strings.Join(parts, ", "))
}

func sameAddrs(ms []cluster.MemberInfo, addrs []string) bool {
	if len(ms) != len(addrs) {
		return false
	}
	want := map[string]bool{}
	for _, a := range addrs {
		want[a] = true
	}
	for _, m := range ms {
		if !want[m.Address.String()] {
			return false
		}
		delete(want, m.Address.String())
	}
	return len(want) == 0
}
