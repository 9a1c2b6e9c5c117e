// Package harness starts the member under test (memgrid or a real Hazelcast
// 5.7 member) on 127.0.0.1 and gives tests connected Go clients.
//
// The target comes from the environment:
//
//	MEMGRID_TARGET  memgrid (default) | hazelcast
//	MEMGRID_BIN     memgrid binary; default ../../build/memgrid, relative
//	                paths are taken relative to test/go
//	HAZELCAST_JAR   default ~/.m2/repository/com/hazelcast/hazelcast/5.7.0/hazelcast-5.7.0.jar
//	JAVA            default "java"
//	HZ_CLIENT_LOG_LEVEL  Go client log level (default "error")
//
// memgrid members are started per test. Hazelcast members are slow to start,
// so one member per distinct Options is shared by all tests of a package
// (tests must then use distinct map names, see MapName); the package's
// TestMain must call Main so that shared members are stopped.
package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Target selects what the tests run against.
type Target string

const (
	TargetMemgrid   Target = "memgrid"
	TargetHazelcast Target = "hazelcast"
)

// TargetFromEnv reads MEMGRID_TARGET.
func TargetFromEnv() Target {
	switch v := strings.TrimSpace(os.Getenv("MEMGRID_TARGET")); v {
	case "", string(TargetMemgrid):
		return TargetMemgrid
	case string(TargetHazelcast):
		return TargetHazelcast
	default:
		panic(fmt.Sprintf("MEMGRID_TARGET=%q: want memgrid or hazelcast", v))
	}
}

// Member is a running member.
type Member struct {
	Target      Target
	Addr        string // 127.0.0.1:port
	ClusterName string
	Dir         string // holds the config and the log
	LogPath     string
	ConfigPath  string
	shared      bool
	proc        *process
}

// hazelcastCommand is a Hazelcast 5.7 member reading configPath, with the
// module flags it asks for on JDK 17 and phone-home off.
func hazelcastCommand(configPath, minHeap, maxHeap string) *exec.Cmd {
	cmd := exec.Command(javaBin(),
		"-Xms"+minHeap, "-Xmx"+maxHeap,
		"-Djava.net.preferIPv4Stack=true",
		"-Dhazelcast.phone.home.enabled=false",
		"-Dhazelcast.config="+configPath,
		"--add-modules", "java.se",
		"--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
		"--add-opens", "java.base/java.lang=ALL-UNNAMED",
		"--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
		"--add-opens", "java.management/sun.management=ALL-UNNAMED",
		"--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
		"-cp", HazelcastJar(),
		"com.hazelcast.core.server.HazelcastMemberStarter")
	cmd.Env = append(os.Environ(), "HZ_PHONE_HOME_ENABLED=false")
	return cmd
}

// ModuleRoot is the directory of test/go.
func ModuleRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("harness: cannot locate source file")
	}
	return filepath.Dir(filepath.Dir(file))
}

// MemgridBinary resolves the memgrid binary path.
func MemgridBinary() string {
	bin := os.Getenv("MEMGRID_BIN")
	if bin == "" {
		bin = "../../build/memgrid"
	}
	if !filepath.IsAbs(bin) {
		bin = filepath.Join(ModuleRoot(), bin)
	}
	return filepath.Clean(bin)
}

// CClientBinary resolves memgrid-cli, the command-line tool over memgrid's
// C client: MEMGRID_CLI, else beside the memgrid binary.
func CClientBinary() string {
	if b := os.Getenv("MEMGRID_CLI"); b != "" {
		return b
	}
	return filepath.Join(filepath.Dir(MemgridBinary()), "memgrid-cli")
}

// BenchBinary resolves memgrid-bench, the load generator: MEMGRID_BENCH_BIN,
// else build/memgrid-bench of this tree (it has no sanitizer flavour).
func BenchBinary() string {
	if b := os.Getenv("MEMGRID_BENCH_BIN"); b != "" {
		return b
	}
	return filepath.Join(ModuleRoot(), "../../build/memgrid-bench")
}

// HazelcastJar resolves the Hazelcast jar path.
func HazelcastJar() string {
	if j := os.Getenv("HAZELCAST_JAR"); j != "" {
		return j
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".m2", "repository", "com", "hazelcast", "hazelcast", "5.7.0", "hazelcast-5.7.0.jar")
}

// Available reports whether target can be started here, and why not.
func Available(target Target) (bool, string) {
	switch target {
	case TargetMemgrid:
		bin := MemgridBinary()
		if st, err := os.Stat(bin); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return false, fmt.Sprintf("memgrid binary %s not found or not executable (set MEMGRID_BIN, or build it)", bin)
		}
	case TargetHazelcast:
		if _, err := os.Stat(HazelcastJar()); err != nil {
			return false, fmt.Sprintf("Hazelcast jar %s not found (set HAZELCAST_JAR or run test/go/run.sh)", HazelcastJar())
		}
		if _, err := exec.LookPath(javaBin()); err != nil {
			return false, "java not found"
		}
	}
	return true, ""
}

func javaBin() string {
	if j := os.Getenv("JAVA"); j != "" {
		return j
	}
	return "java"
}

var (
	sharedMu      sync.Mutex
	sharedMembers = map[string]*sharedEntry{}
)

type sharedEntry struct {
	member *Member
	err    error
}

// Start starts (or, for Hazelcast, reuses) a member of the target named by
// MEMGRID_TARGET. Failing to start is fatal for the test.
func Start(t testing.TB, opts Options) *Member {
	t.Helper()
	return StartTarget(t, TargetFromEnv(), opts)
}

// StartTarget is Start with an explicit target.
func StartTarget(t testing.TB, target Target, opts Options) *Member {
	t.Helper()
	if ok, why := Available(target); !ok {
		t.Fatalf("cannot start %s: %s", target, why)
	}
	if target == TargetHazelcast && !opts.Dedicated {
		m, err := sharedMember(target, opts)
		if err != nil {
			t.Fatalf("starting shared %s member: %v", target, err)
		}
		from := logSize(m.LogPath)
		t.Cleanup(func() { m.checkAfterTest(t, from) })
		return m
	}
	m, err := startMember(target, opts)
	if err != nil {
		t.Fatalf("starting %s member: %v", target, err)
	}
	t.Cleanup(func() {
		m.checkAfterTest(t, 0)
		status := m.stop()
		if status != "" {
			t.Errorf("%s member: %s", target, status)
			m.dumpLog(t, 0)
		}
		if !t.Failed() || os.Getenv("MEMGRID_KEEP_LOGS") == "" {
			os.RemoveAll(m.Dir)
		} else {
			t.Logf("member files kept in %s", m.Dir)
		}
	})
	return m
}

func sharedMember(target Target, opts Options) (*Member, error) {
	key := string(target) + "#" + opts.fingerprint()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if e, ok := sharedMembers[key]; ok {
		return e.member, e.err
	}
	m, err := startMember(target, opts)
	if m != nil {
		m.shared = true
	}
	sharedMembers[key] = &sharedEntry{member: m, err: err}
	return m, err
}

// StopShared stops every shared member. Main calls it.
func StopShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for k, e := range sharedMembers {
		if e.member != nil {
			if st := e.member.stop(); st != "" {
				fmt.Fprintf(os.Stderr, "harness: shared %s member: %s\n", e.member.Target, st)
			}
			os.RemoveAll(e.member.Dir)
		}
		delete(sharedMembers, k)
	}
}

// Main runs the package's tests and stops shared members afterwards.
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	removeBuildDir()
	os.Exit(code)
}

// checkAfterTest reports an unexpected member exit and prints the member's
// log (from byte offset from on) when the test failed.
func (m *Member) checkAfterTest(t testing.TB, from int64) {
	if m.proc.exitedUnexpectedly() {
		t.Errorf("%s member at %s exited during the test: %v", m.Target, m.Addr, m.proc.waitErr)
	}
	if t.Failed() {
		m.dumpLog(t, from)
	}
}

func logSize(path string) int64 {
	if st, err := os.Stat(path); err == nil {
		return st.Size()
	}
	return 0
}

// dumpLog prints the member's log from byte offset from, at most its last
// 32 KiB.
func (m *Member) dumpLog(t testing.TB, from int64) {
	const max = 32 << 10
	data, err := os.ReadFile(m.LogPath)
	if err != nil {
		t.Logf("cannot read member log %s: %v", m.LogPath, err)
		return
	}
	what := "log"
	if from > 0 && from <= int64(len(data)) {
		data = data[from:]
		what = "log written during the test"
	}
	if len(data) > max {
		data = append([]byte("...(cut)...\n"), data[len(data)-max:]...)
	}
	t.Logf("---- %s member %s (%s) ----\n%s\n---- end of member log ----", m.Target, what, m.LogPath, data)
}

// Pid is the member's process id (for reading its memory use).
func (m *Member) Pid() int { return m.proc.cmd.Process.Pid }

// Alive reports whether the member process is still running.
func (m *Member) Alive() bool {
	select {
	case <-m.proc.done:
		return false
	default:
		return true
	}
}

func startMember(target Target, opts Options) (*Member, error) {
	var lastErr error
	// A free port can be taken by someone else between our probe and the
	// member's bind; a member that dies before it is ready is retried.
	for attempt := 0; attempt < 3; attempt++ {
		m, err := startOnce(target, opts)
		if err == nil {
			return m, nil
		}
		lastErr = err
		var early *earlyExitError
		if !errors.As(err, &early) {
			break
		}
	}
	return nil, lastErr
}

type earlyExitError struct{ msg string }

func (e *earlyExitError) Error() string { return e.msg }

func startOnce(target Target, opts Options) (*Member, error) {
	dir, err := os.MkdirTemp("", "memgrid-harness-*")
	if err != nil {
		return nil, err
	}
	m := &Member{
		Target:      target,
		ClusterName: opts.clusterName(),
		Dir:         dir,
		LogPath:     filepath.Join(dir, "member.log"),
		ConfigPath:  filepath.Join(dir, "hazelcast.yaml"),
	}
	fail := func(err error) (*Member, error) {
		if m.proc != nil {
			m.proc.kill()
		}
		tail := logTail(m.LogPath, 4<<10)
		os.RemoveAll(dir)
		if tail != "" {
			msg := fmt.Sprintf("%v\n---- member log tail ----\n%s", err, tail)
			var early *earlyExitError
			if errors.As(err, &early) {
				return nil, &earlyExitError{msg}
			}
			return nil, errors.New(msg)
		}
		return nil, err
	}
	switch target {
	case TargetMemgrid:
		if err := os.WriteFile(m.ConfigPath, []byte(renderYAML(target, opts, 0)), 0o644); err != nil {
			return fail(err)
		}
		portFile := filepath.Join(dir, "port")
		args := []string{"--config", m.ConfigPath, "--port", "0", "--port-file", portFile}
		// MEMGRID_WORKERS runs the member with that many workers, so the
		// suite also covers requests handed between workers.
		if w := os.Getenv("MEMGRID_WORKERS"); w != "" {
			args = append(args, "--workers", w)
		}
		cmd := exec.Command(MemgridBinary(), args...)
		if m.proc, err = startProcess(cmd, m.LogPath); err != nil {
			return fail(err)
		}
		port, err := waitPortFile(m.proc, portFile, 15*time.Second)
		if err != nil {
			return fail(err)
		}
		m.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		if err := waitClientReady(m, 15*time.Second, 5*time.Second); err != nil {
			return fail(err)
		}
	case TargetHazelcast:
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		if err := os.WriteFile(m.ConfigPath, []byte(renderYAML(target, opts, port)), 0o644); err != nil {
			return fail(err)
		}
		cmd := hazelcastCommand(m.ConfigPath, "256m", "2g")
		if m.proc, err = startProcess(cmd, m.LogPath); err != nil {
			return fail(err)
		}
		m.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		if err := waitClientReady(m, 90*time.Second, 3*time.Second); err != nil {
			return fail(err)
		}
	default:
		return fail(fmt.Errorf("unknown target %q", target))
	}
	return m, nil
}

func waitPortFile(p *process, path string, limit time.Duration) (int, error) {
	deadline := time.Now().Add(limit)
	for i := 0; time.Now().Before(deadline) && i < int(limit/(10*time.Millisecond))+1; i++ {
		if data, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(data), "\n") {
			port, err := strconv.Atoi(strings.TrimSpace(string(data)))
			if err != nil || port <= 0 || port > 65535 {
				return 0, fmt.Errorf("port file %s holds %q, want a port number and a newline", path, data)
			}
			return port, nil
		}
		select {
		case <-p.done:
			return 0, &earlyExitError{fmt.Sprintf("member exited before writing its port file: %v", p.waitErr)}
		case <-time.After(10 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("no port file %s after %v", path, limit)
}

func logTail(path string, max int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(data) > max {
		data = data[len(data)-max:]
	}
	return string(data)
}

// process wraps a child started in its own process group.
type process struct {
	cmd      *exec.Cmd
	logFile  *os.File
	done     chan struct{}
	waitErr  error
	mu       sync.Mutex
	stopping bool
}

func startProcess(cmd *exec.Cmd, logPath string) (*process, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.Stdin = nil
	// Own process group (so the whole group can be killed), and SIGKILL if
	// the test binary dies without running its cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	p := &process{cmd: cmd, logFile: lf, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		lf.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exitedUnexpectedly() bool {
	p.mu.Lock()
	stopping := p.stopping
	p.mu.Unlock()
	if stopping {
		return false
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) signalGroup(sig syscall.Signal) {
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(-pid, sig); err != nil {
		_ = p.cmd.Process.Signal(sig)
	}
}

func (p *process) kill() {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	select {
	case <-p.done:
		return
	default:
	}
	p.signalGroup(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// stop ends the member. memgrid gets SIGTERM first (so a graceful shutdown
// and sanitizer reports run), then SIGKILL after 5 s; Hazelcast is killed.
// It returns a non-empty description when memgrid did not end cleanly.
func (m *Member) stop() string {
	p := m.proc
	p.mu.Lock()
	already := p.stopping
	p.stopping = true
	p.mu.Unlock()
	select {
	case <-p.done:
		if already {
			return ""
		}
		return fmt.Sprintf("had already exited: %v", p.waitErr)
	default:
	}
	if m.Target == TargetHazelcast {
		p.kill()
		return ""
	}
	p.signalGroup(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.kill()
		return "did not exit within 5 s of SIGTERM; killed"
	}
	// Reap any leftovers in the group.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	if p.waitErr == nil {
		return ""
	}
	var ee *exec.ExitError
	if errors.As(p.waitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return ""
		}
	}
	return fmt.Sprintf("exited uncleanly after SIGTERM: %v", p.waitErr)
}
