package cluster

// Shared helpers: a load of writers (and readers) that records every
// acknowledged write, and the checks run after it.
//
// Every write puts a distinct string key with a value derived from it, so
// an acknowledged key must read back with exactly that value, and the map
// size is known: the acknowledged keys, plus those failed writes (the call
// returned an error) that the members applied anyway.

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"

	"memgrid.test/go/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	// opTimeout bounds one request, retries included (the client's
	// invocation timeout is 30 s).
	opTimeout = 60 * time.Second
	// maxOpsPerWorker bounds every writer and reader loop.
	maxOpsPerWorker = 5_000_000
	// verifyBatch keys per GetAll when checking.
	verifyBatch = 1000
)

func valueFor(key string) string { return "v|" + key }

// putKeys puts n keys "<prefix>-00000".. with valueFor values, 8 at a time,
// and returns them; any failed Put fails the test.
func putKeys(t *testing.T, ctx context.Context, mp *hazelcast.Map, prefix string, n int) []string {
	t.Helper()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s-%05d", prefix, i)
	}
	forEach(t, 8, keys, func(k string) error {
		_, err := mp.Put(ctx, k, valueFor(k))
		return err
	}, "Put")
	return keys
}

// newClusterMap gives a map of a fresh name through client c.
func newClusterMap(t *testing.T, c *hazelcast.Client) *hazelcast.Map {
	t.Helper()
	ctx := harness.Context(t, 60*time.Second)
	mp, err := c.GetMap(ctx, harness.MapName(t))
	if err != nil {
		t.Fatalf("GetMap: %v", err)
	}
	return mp
}

// ---- load ----

type ackRec struct {
	seq int
	at  time.Duration // since the load started
}

type failRec struct {
	seq int
	at  time.Duration
	err string
}

type writer struct {
	id     int
	mu     sync.Mutex
	acked  []ackRec
	failed []failRec
}

type mark struct {
	at    time.Duration
	label string
}

// load runs writers (and optionally readers) against one map until stop.
type load struct {
	t       *testing.T
	ctx     context.Context
	mp      *hazelcast.Map
	prefix  string
	start   time.Time
	stopCh  chan struct{}
	stopped bool
	wg      sync.WaitGroup
	writers []*writer

	reads      atomic.Int64
	readErrs   atomic.Int64
	readWrong  atomic.Int64
	readMu     sync.Mutex
	readIssues []string // first few read errors / wrong values

	marksMu sync.Mutex
	marks   []mark
}

// startLoad starts n writers putting distinct keys as fast as they can.
func startLoad(t *testing.T, ctx context.Context, mp *hazelcast.Map, n int) *load {
	t.Helper()
	l := &load{t: t, ctx: ctx, mp: mp, prefix: fmt.Sprintf("k%04x", rand.Intn(1<<16)),
		start: time.Now(), stopCh: make(chan struct{})}
	for i := 0; i < n; i++ {
		w := &writer{id: i}
		l.writers = append(l.writers, w)
		l.wg.Add(1)
		go l.runWriter(w)
	}
	t.Cleanup(func() { l.stop() }) // never leave goroutines behind a failed test
	return l
}

func (l *load) key(w, seq int) string { return fmt.Sprintf("%s-w%d-%08d", l.prefix, w, seq) }

func (l *load) since() time.Duration { return time.Since(l.start) }

func (l *load) stopping() bool {
	select {
	case <-l.stopCh:
		return true
	case <-l.ctx.Done():
		return true
	default:
		return false
	}
}

func (l *load) runWriter(w *writer) {
	defer l.wg.Done()
	for seq := 0; seq < maxOpsPerWorker && !l.stopping(); seq++ {
		key := l.key(w.id, seq)
		ctx, cancel := context.WithTimeout(l.ctx, opTimeout)
		_, err := l.mp.Put(ctx, key, valueFor(key))
		cancel()
		at := l.since()
		w.mu.Lock()
		if err == nil {
			w.acked = append(w.acked, ackRec{seq, at})
		} else {
			w.failed = append(w.failed, failRec{seq, at, err.Error()})
		}
		w.mu.Unlock()
	}
}

// startReaders starts n readers that Get random acknowledged keys and
// check the value: an acknowledged write must be readable.
func (l *load) startReaders(n int) {
	for i := 0; i < n; i++ {
		l.wg.Add(1)
		go l.runReader(int64(i))
	}
}

func (l *load) runReader(seed int64) {
	defer l.wg.Done()
	rng := rand.New(rand.NewSource(time.Now().UnixNano() + seed))
	for i := 0; i < maxOpsPerWorker && !l.stopping(); i++ {
		w := l.writers[rng.Intn(len(l.writers))]
		w.mu.Lock()
		if len(w.acked) == 0 {
			w.mu.Unlock()
			select {
			case <-l.stopCh:
			case <-time.After(time.Millisecond):
			}
			continue
		}
		rec := w.acked[rng.Intn(len(w.acked))]
		w.mu.Unlock()
		key := l.key(w.id, rec.seq)
		ctx, cancel := context.WithTimeout(l.ctx, opTimeout)
		v, err := l.mp.Get(ctx, key)
		cancel()
		l.reads.Add(1)
		switch {
		case err != nil:
			l.readErrs.Add(1)
			l.readIssue("%.3fs Get(%s) failed: %v", l.since().Seconds(), key, err)
		case v != valueFor(key):
			l.readWrong.Add(1)
			l.readIssue("%.3fs Get(%s) = %#v, want %q (acknowledged at %.3fs)", l.since().Seconds(), key, v, valueFor(key), rec.at.Seconds())
		}
	}
}

func (l *load) readIssue(format string, args ...interface{}) {
	l.readMu.Lock()
	if len(l.readIssues) < 10 {
		l.readIssues = append(l.readIssues, fmt.Sprintf(format, args...))
	}
	l.readMu.Unlock()
}

// mark records an event on the load's time line (for the report).
func (l *load) mark(format string, args ...interface{}) {
	m := mark{l.since(), fmt.Sprintf(format, args...)}
	l.marksMu.Lock()
	l.marks = append(l.marks, m)
	l.marksMu.Unlock()
	l.t.Logf("%7.3fs %s", m.at.Seconds(), m.label)
}

// counts gives the acknowledged and failed writes so far.
func (l *load) counts() (acked, failed int) {
	for _, w := range l.writers {
		w.mu.Lock()
		acked += len(w.acked)
		failed += len(w.failed)
		w.mu.Unlock()
	}
	return
}

// runFor lets the load run for d (bounded by the test's context).
func (l *load) runFor(d time.Duration) {
	select {
	case <-time.After(d):
	case <-l.ctx.Done():
	}
}

// waitAcked waits until at least n writes were acknowledged.
func (l *load) waitAcked(n int, limit time.Duration) {
	l.t.Helper()
	ok, why := harness.Eventually(limit, 20*time.Millisecond, func() (bool, string) {
		a, f := l.counts()
		return a >= n, fmt.Sprintf("%d acknowledged, %d failed", a, f)
	})
	if !ok {
		l.t.Fatalf("writers did not get %d writes acknowledged within %v: %s%s", n, limit, why, l.failureSample(5))
	}
}

// stop ends the load: no new request starts; requests in flight finish
// (each is bounded by opTimeout).
func (l *load) stop() {
	l.marksMu.Lock()
	already := l.stopped
	l.stopped = true
	l.marksMu.Unlock()
	if !already {
		close(l.stopCh)
	}
	l.wg.Wait()
}

// summary reports what the load did.
func (l *load) summary() string {
	a, f := l.counts()
	s := fmt.Sprintf("writes: %d acknowledged, %d failed over %.1fs (%d writers)", a, f, l.since().Seconds(), len(l.writers))
	if r := l.reads.Load(); r > 0 {
		s += fmt.Sprintf("; reads: %d, %d failed, %d wrong", r, l.readErrs.Load(), l.readWrong.Load())
	}
	return s
}

// failureSample lists the first n failed writes.
func (l *load) failureSample(n int) string {
	var all []string
	for _, w := range l.writers {
		w.mu.Lock()
		for _, f := range w.failed {
			all = append(all, fmt.Sprintf("%8.3fs %s: %s", f.at.Seconds(), l.key(w.id, f.seq), f.err))
		}
		w.mu.Unlock()
	}
	if len(all) == 0 {
		return ""
	}
	sort.Strings(all)
	more := ""
	if len(all) > n {
		more = fmt.Sprintf("\n  ... and %d more", len(all)-n)
		all = all[:n]
	}
	return "\nfailed writes (time since load start):\n  " + strings.Join(all, "\n  ") + more + "\n" + l.timeline()
}

func (l *load) timeline() string {
	l.marksMu.Lock()
	defer l.marksMu.Unlock()
	if len(l.marks) == 0 {
		return ""
	}
	parts := make([]string, len(l.marks))
	for i, m := range l.marks {
		parts[i] = fmt.Sprintf("%8.3fs %s", m.at.Seconds(), m.label)
	}
	return "time line:\n  " + strings.Join(parts, "\n  ")
}

// requireNoFailures fails the test if any request failed or read a wrong
// value.
func (l *load) requireNoFailures() {
	l.t.Helper()
	_, f := l.counts()
	if f > 0 {
		l.t.Errorf("%d writes failed; none may (client with RedoOperation, no member crashed)%s", f, l.failureSample(10))
	}
	l.checkReads()
}

// checkReads fails the test if a reader's Get failed or returned a value
// other than the acknowledged one.
func (l *load) checkReads() {
	l.t.Helper()
	if e, w := l.readErrs.Load(), l.readWrong.Load(); e > 0 || w > 0 {
		l.readMu.Lock()
		issues := strings.Join(l.readIssues, "\n  ")
		l.readMu.Unlock()
		l.t.Errorf("of %d reads of acknowledged keys, %d failed and %d returned another value:\n  %s\n%s",
			l.reads.Load(), e, w, issues, l.timeline())
	}
}

// ---- checks after the load ----

// expectation is what the map must hold.
type expectation struct {
	acked  map[string]ackInfo // key -> when acknowledged
	failed map[string]string  // key -> error (may or may not be applied)
	pre    int                // how many of acked were preloaded
	l      *load
}

type ackInfo struct {
	at  time.Duration
	pre bool
}

func newExpectation() *expectation {
	return &expectation{acked: map[string]ackInfo{}, failed: map[string]string{}}
}

// addLoad adds a stopped load's writes.
func (e *expectation) addLoad(l *load) {
	e.l = l
	for _, w := range l.writers {
		w.mu.Lock()
		for _, a := range w.acked {
			e.acked[l.key(w.id, a.seq)] = ackInfo{at: a.at}
		}
		for _, f := range w.failed {
			e.failed[l.key(w.id, f.seq)] = f.err
		}
		w.mu.Unlock()
	}
}

// addPreloaded adds keys written (and acknowledged) before the load.
func (e *expectation) addPreloaded(keys []string) {
	for _, k := range keys {
		e.acked[k] = ackInfo{pre: true}
	}
	e.pre += len(keys)
}

// verify reads every acknowledged key back (GetAll in batches) and checks
// its value, reads the failed keys (they may be there, with their value,
// or absent), then checks the map size: exactly the acknowledged count
// when no write failed, else within [acked, acked+failed].
func (e *expectation) verify(t *testing.T, ctx context.Context, mp *hazelcast.Map) {
	t.Helper()
	e.verifyWithin(t, ctx, mp, 0)
}

// verifyWithin is verify for a cluster that may still be converging (a
// member that rejoined merges its entries back asynchronously): keys
// missing at the first read, and a size out of range, are read again
// until settle has passed.
func (e *expectation) verifyWithin(t *testing.T, ctx context.Context, mp *hazelcast.Map, settle time.Duration) {
	t.Helper()
	ackedKeys := make([]string, 0, len(e.acked))
	for k := range e.acked {
		ackedKeys = append(ackedKeys, k)
	}
	sort.Strings(ackedKeys)
	first := time.Now()
	got, errs := getAll(ctx, mp, ackedKeys)
	for _, err := range errs {
		t.Errorf("reading back acknowledged writes: %v", err)
	}
	var missing, wrong []string
	for _, k := range ackedKeys {
		v, ok := got[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case v != valueFor(k):
			wrong = append(wrong, fmt.Sprintf("%s = %#v, want %q", k, v, valueFor(k)))
		}
	}
	if settle > 0 && len(errs) == 0 && len(missing) > 0 {
		initially := len(missing)
		deadline := first.Add(settle)
		for i := 0; i < int(settle/(200*time.Millisecond))+1 && len(missing) > 0 && time.Now().Before(deadline); i++ {
			time.Sleep(200 * time.Millisecond)
			again, aerrs := getAll(ctx, mp, missing)
			if len(aerrs) > 0 {
				continue
			}
			var still []string
			for _, k := range missing {
				v, ok := again[k]
				switch {
				case !ok:
					still = append(still, k)
				case v != valueFor(k):
					wrong = append(wrong, fmt.Sprintf("%s = %#v, want %q (appeared late)", k, v, valueFor(k)))
				}
			}
			missing = still
		}
		t.Logf("%d acknowledged entries were missing at the first read; %d still missing %v later",
			initially, len(missing), time.Since(first).Round(time.Millisecond))
	}
	if len(errs) == 0 && (len(missing) > 0 || len(wrong) > 0) {
		t.Errorf("of %d acknowledged writes (%d preloaded), %d are missing and %d have another value\n%s%s%s",
			len(ackedKeys), e.pre, len(missing), len(wrong), e.describeMissing(missing), sample("wrong values", wrong, 10),
			recheckMissing(ctx, mp, missing))
	}

	failedKeys := make([]string, 0, len(e.failed))
	for k := range e.failed {
		failedKeys = append(failedKeys, k)
	}
	sort.Strings(failedKeys)
	applied := 0
	if len(failedKeys) > 0 {
		fgot, ferrs := getAll(ctx, mp, failedKeys)
		for _, err := range ferrs {
			t.Errorf("reading back failed writes: %v", err)
		}
		var bad []string
		for _, k := range failedKeys {
			if v, ok := fgot[k]; ok {
				applied++
				if v != valueFor(k) {
					bad = append(bad, fmt.Sprintf("%s = %#v, want %q or no entry", k, v, valueFor(k)))
				}
			}
		}
		if len(bad) > 0 {
			t.Errorf("%d keys of failed writes hold a value never written%s", len(bad), sample("wrong values", bad, 10))
		}
	}

	lo, hi := len(e.acked), len(e.acked)+len(e.failed)
	size, err := mp.Size(ctx)
	for i := 0; settle > 0 && i < int(settle/(200*time.Millisecond))+1 && time.Since(first) < settle &&
		(err != nil || size < lo || size > hi); i++ {
		time.Sleep(200 * time.Millisecond)
		size, err = mp.Size(ctx)
	}
	if err != nil {
		t.Errorf("Size: %v", err)
	} else {
		if size < lo || size > hi {
			what := fmt.Sprintf("exactly %d (every write was acknowledged)", lo)
			if hi > lo {
				what = fmt.Sprintf("within [%d, %d] (%d acknowledged, %d failed of which %d are readable)", lo, hi, lo, hi-lo, applied)
			}
			t.Errorf("map size is %d, want %s", size, what)
		}
	}
	t.Logf("verified: %d acknowledged entries (%d preloaded) read back: %d missing, %d wrong; %d failed writes, %d of them applied; map size %d",
		len(ackedKeys), e.pre, len(missing), len(wrong), len(e.failed), applied, size)
}

// describeMissing lists missing keys with when they were acknowledged,
// counted per interval of the load's time line.
func (e *expectation) describeMissing(missing []string) string {
	if len(missing) == 0 {
		return ""
	}
	var b strings.Builder
	pre := 0
	var times []time.Duration
	for _, k := range missing {
		a := e.acked[k]
		if a.pre {
			pre++
			continue
		}
		times = append(times, a.at)
	}
	if pre > 0 {
		fmt.Fprintf(&b, "%d missing keys were preloaded before the load\n", pre)
	}
	if e.l != nil && len(times) > 0 {
		e.l.marksMu.Lock()
		marks := append([]mark(nil), e.l.marks...)
		e.l.marksMu.Unlock()
		bounds := []mark{{0, "load start"}}
		bounds = append(bounds, marks...)
		for i, m := range bounds {
			var end time.Duration = 1<<63 - 1
			endLabel := "the end"
			if i+1 < len(bounds) {
				end, endLabel = bounds[i+1].at, bounds[i+1].label
			}
			n := 0
			for _, at := range times {
				if at >= m.at && at < end {
					n++
				}
			}
			fmt.Fprintf(&b, "  %6d missing keys acknowledged between %q (%.3fs) and %q\n", n, m.label, m.at.Seconds(), endLabel)
		}
	}
	var lines []string
	for _, k := range missing {
		a := e.acked[k]
		if a.pre {
			lines = append(lines, k+" (preloaded)")
		} else {
			lines = append(lines, fmt.Sprintf("%s (acknowledged at %.3fs)", k, a.at.Seconds()))
		}
	}
	return b.String() + sample("missing keys", lines, 20)
}

// recheckMissing reads up to 20 keys that GetAll did not return with a
// single Get each, to tell a lost entry from a GetAll that misses it.
func recheckMissing(ctx context.Context, mp *hazelcast.Map, missing []string) string {
	if len(missing) == 0 {
		return ""
	}
	var lines []string
	absent, tried := 0, 0
	for _, k := range missing {
		if tried == 20 {
			break
		}
		tried++
		gctx, cancel := context.WithTimeout(ctx, opTimeout)
		v, err := mp.Get(gctx, k)
		cancel()
		switch {
		case err != nil:
			lines = append(lines, fmt.Sprintf("Get(%s): %v", k, err))
		case v == nil:
			absent++
		default:
			lines = append(lines, fmt.Sprintf("Get(%s) = %#v (GetAll did not return it)", k, v))
		}
	}
	return fmt.Sprintf("\nre-read with Get: %d of the first %d missing keys absent", absent, tried) + sample("other results", lines, 20)
}

func sample(what string, items []string, n int) string {
	if len(items) == 0 {
		return ""
	}
	more := ""
	if len(items) > n {
		more = fmt.Sprintf("\n  ... and %d more", len(items)-n)
		items = items[:n]
	}
	return fmt.Sprintf("\n%s:\n  %s%s", what, strings.Join(items, "\n  "), more)
}

// getAll reads keys with GetAll in batches, 4 batches at a time.
func getAll(ctx context.Context, mp *hazelcast.Map, keys []string) (map[string]interface{}, []error) {
	out := make(map[string]interface{}, len(keys))
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := 0; i < len(keys); i += verifyBatch {
		j := i + verifyBatch
		if j > len(keys) {
			j = len(keys)
		}
		batch := make([]interface{}, j-i)
		for n, k := range keys[i:j] {
			batch[n] = k
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(first string, batch []interface{}) {
			defer wg.Done()
			defer func() { <-sem }()
			bctx, cancel := context.WithTimeout(ctx, opTimeout)
			defer cancel()
			entries, err := mp.GetAll(bctx, batch...)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if len(errs) < 5 {
					errs = append(errs, fmt.Errorf("GetAll of %d keys from %s: %w", len(batch), first, err))
				}
				return
			}
			for _, e := range entries {
				if k, ok := e.Key.(string); ok {
					out[k] = e.Value
				}
			}
		}(keys[i], batch)
	}
	wg.Wait()
	return out, errs
}

// preload puts n entries with PutAll in batches and returns their keys.
func preload(t *testing.T, ctx context.Context, mp *hazelcast.Map, prefix string, n int) []string {
	t.Helper()
	keys := make([]string, n)
	const batch = 1000
	start := time.Now()
	for i := 0; i < n; i += batch {
		j := i + batch
		if j > n {
			j = n
		}
		entries := make([]types.Entry, 0, j-i)
		for k := i; k < j; k++ {
			keys[k] = fmt.Sprintf("%s-%07d", prefix, k)
			entries = append(entries, types.NewEntry(keys[k], valueFor(keys[k])))
		}
		bctx, cancel := context.WithTimeout(ctx, opTimeout)
		err := mp.PutAll(bctx, entries...)
		cancel()
		if err != nil {
			t.Fatalf("preloading: PutAll of entries %d..%d: %v", i, j-1, err)
		}
	}
	t.Logf("preloaded %d entries with PutAll in %v", n, time.Since(start).Round(time.Millisecond))
	return keys
}
