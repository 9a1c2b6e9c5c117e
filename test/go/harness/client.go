package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/logger"
	"github.com/hazelcast/hazelcast-go-client/types"
)

// ClientOption adjusts the client configuration made by NewClient.
type ClientOption func(*hazelcast.Config)

// WithClusterName sets the cluster name the client authenticates with.
func WithClusterName(name string) ClientOption {
	return func(c *hazelcast.Config) { c.Cluster.Name = name }
}

// WithConfig lets a test change anything else.
func WithConfig(f func(*hazelcast.Config)) ClientOption { return f }

// ClientConfig returns the configuration NewClient uses.
func ClientConfig(addr string, opts ...ClientOption) hazelcast.Config {
	cfg := hazelcast.NewConfig()
	cfg.Cluster.Name = DefaultClusterName
	cfg.Cluster.Network.SetAddresses(addr)
	cfg.Cluster.Network.ConnectionTimeout = types.Duration(5 * time.Second)
	cfg.Cluster.ConnectionStrategy.Timeout = types.Duration(10 * time.Second)
	cfg.Cluster.ConnectionStrategy.Retry.InitialBackoff = types.Duration(100 * time.Millisecond)
	cfg.Cluster.ConnectionStrategy.Retry.MaxBackoff = types.Duration(1 * time.Second)
	cfg.Cluster.InvocationTimeout = types.Duration(30 * time.Second)
	lvl := os.Getenv("HZ_CLIENT_LOG_LEVEL")
	if lvl == "" {
		lvl = string(logger.ErrorLevel)
	}
	cfg.Logger.Level = logger.Level(lvl)
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// NewClient connects a Go client to addr (cluster name DefaultClusterName
// unless an option says otherwise) and shuts it down when the test ends.
func NewClient(t testing.TB, addr string, opts ...ClientOption) *hazelcast.Client {
	t.Helper()
	cfg := ClientConfig(addr, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := hazelcast.StartNewClientWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connecting a client to %s (cluster %q): %v", addr, cfg.Cluster.Name, err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = c.Shutdown(sctx)
	})
	return c
}

// NewClient connects a client to this member with its cluster name.
func (m *Member) NewClient(t testing.TB, opts ...ClientOption) *hazelcast.Client {
	t.Helper()
	return NewClient(t, m.Addr, append([]ClientOption{WithClusterName(m.ClusterName)}, opts...)...)
}

// waitClientReady retries a client connection until one succeeds.
func waitClientReady(m *Member, limit, perAttempt time.Duration) error {
	deadline := time.Now().Add(limit)
	var lastErr error
	for attempt := 0; attempt < 1000 && time.Now().Before(deadline); attempt++ {
		select {
		case <-m.proc.done:
			return &earlyExitError{fmt.Sprintf("member exited before accepting clients: %v", m.proc.waitErr)}
		default:
		}
		cfg := ClientConfig(m.Addr, WithClusterName(m.ClusterName))
		cfg.Cluster.ConnectionStrategy.Timeout = types.Duration(perAttempt)
		cfg.Logger.Level = logger.OffLevel
		ctx, cancel := context.WithTimeout(context.Background(), perAttempt+5*time.Second)
		c, err := hazelcast.StartNewClientWithConfig(ctx, cfg)
		cancel()
		if err == nil {
			sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = c.Shutdown(sctx)
			scancel()
			return nil
		}
		lastErr = err
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("no client could connect to %s within %v: %v", m.Addr, limit, lastErr)
}

// Context returns a context that ends after d or when the test ends.
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

var nonName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// MapName gives a map name unique to this test (and this run).
func MapName(t testing.TB, suffix ...string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := nonName.ReplaceAllString(t.Name(), "-")
	if len(name) > 60 {
		name = name[:60]
	}
	parts := append([]string{"t", name}, suffix...)
	parts = append(parts, hex.EncodeToString(b[:]))
	return strings.Join(parts, "-")
}

// Eventually polls cond every interval until it returns true or limit
// passes; it returns the last description and whether cond held.
func Eventually(limit, interval time.Duration, cond func() (bool, string)) (bool, string) {
	deadline := time.Now().Add(limit)
	max := int(limit/interval) + 2
	var why string
	for i := 0; i < max; i++ {
		var ok bool
		ok, why = cond()
		if ok {
			return true, why
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(interval)
	}
	return false, why
}
