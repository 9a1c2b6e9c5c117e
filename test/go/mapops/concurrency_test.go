package mapops

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"
)

// runWorkers runs n workers and fails the test with the first error.
func runWorkers(t *testing.T, n int, limit time.Duration, work func(w int) error) {
	t.Helper()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			if err := work(w); err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("workers did not finish within %v", limit)
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestConcurrentDistinctKeys: many goroutines on two clients write and read
// their own keys; everything written is there afterwards.
func TestConcurrentDistinctKeys(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	const workers, perWorker = 16, 100
	runWorkers(t, workers, 90*time.Second, func(w int) error {
		mp := e.mp
		if w%2 == 1 {
			mp = other
		}
		for i := 0; i < perWorker; i++ {
			k, v := fmt.Sprintf("w%d-k%d", w, i), fmt.Sprintf("w%d-v%d", w, i)
			if _, err := mp.Put(e.ctx, k, v); err != nil {
				return err
			}
			got, err := mp.Get(e.ctx, k)
			if err != nil {
				return err
			}
			if got != v {
				return fmt.Errorf("Get(%s) = %v right after Put(%s)", k, got, v)
			}
		}
		return nil
	})
	eq(t, "Size", e.size(), workers*perWorker)
	keys := make([]interface{}, 0, workers*perWorker)
	for w := 0; w < workers; w++ {
		for i := 0; i < perWorker; i++ {
			keys = append(keys, fmt.Sprintf("w%d-k%d", w, i))
		}
	}
	got, err := e.mp.GetAll(e.ctx, keys...)
	must(t, "GetAll", err)
	eq(t, "GetAll count", len(got), workers*perWorker)
	for _, en := range got {
		var w, i int
		if _, err := fmt.Sscanf(en.Key.(string), "w%d-k%d", &w, &i); err != nil || en.Value != fmt.Sprintf("w%d-v%d", w, i) {
			t.Errorf("entry %v=%v", en.Key, en.Value)
			break
		}
	}
}

// TestConcurrentPutsOneKey: concurrent Puts to one key are applied one at a
// time: exactly one of them sees no previous value, every returned old value
// is a value some Put wrote, and each value is returned as "old" at most once.
func TestConcurrentPutsOneKey(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	const workers, perWorker = 12, 50
	var mu sync.Mutex
	olds := map[interface{}]int{}
	runWorkers(t, workers, 90*time.Second, func(w int) error {
		mp := e.mp
		if w%2 == 1 {
			mp = other
		}
		for i := 0; i < perWorker; i++ {
			old, err := mp.Put(e.ctx, "hot", fmt.Sprintf("%d-%d", w, i))
			if err != nil {
				return err
			}
			mu.Lock()
			olds[old]++
			mu.Unlock()
		}
		return nil
	})
	eq(t, "Puts that found no previous value", olds[nil], 1)
	for v, n := range olds {
		if v != nil && n != 1 {
			t.Errorf("value %v returned as old value %d times", v, n)
		}
	}
	final := e.get("hot")
	if _, seen := olds[final]; seen {
		t.Errorf("final value %v was also returned as an old value", final)
	}
	// nil plus every written value but the final one, each once.
	eq(t, "distinct old values", len(olds), workers*perWorker)
	eq(t, "version after all Puts", e.viewOf("hot").Version, int64(workers*perWorker-1))
}

// TestConcurrentPutIfAbsent: exactly one PutIfAbsent wins, the others get
// the winner's value.
func TestConcurrentPutIfAbsent(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	const workers = 16
	var winners int32
	results := make([]interface{}, workers)
	runWorkers(t, workers, 60*time.Second, func(w int) error {
		mp := e.mp
		if w%2 == 1 {
			mp = other
		}
		old, err := mp.PutIfAbsent(e.ctx, "once", fmt.Sprintf("w%d", w))
		if err != nil {
			return err
		}
		if old == nil {
			atomic.AddInt32(&winners, 1)
		}
		results[w] = old
		return nil
	})
	eq(t, "winners", int(winners), 1)
	final := e.get("once")
	for w, r := range results {
		if r != nil && r != final {
			t.Errorf("worker %d: PutIfAbsent returned %v; the stored value is %v", w, r, final)
		}
	}
}

// TestConcurrentLockedIncrements: a counter incremented under the map lock
// by goroutines of two clients, each goroutine its own lock owner, loses no
// update.
func TestConcurrentLockedIncrements(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	e.put("counter", int64(0))
	const workers, perWorker = 8, 25
	runWorkers(t, workers, 120*time.Second, func(w int) error {
		mp := e.mp
		if w%2 == 1 {
			mp = other
		}
		ctx := mp.NewLockContext(e.ctx)
		for i := 0; i < perWorker; i++ {
			if err := lockedIncrement(ctx, mp); err != nil {
				return err
			}
		}
		return nil
	})
	eq(t, "counter", e.get("counter"), int64(workers*perWorker))
	eq(t, "IsLocked at the end", e.isLocked(e.mp, "counter"), false)
}

func lockedIncrement(ctx context.Context, mp *hazelcast.Map) error {
	if err := mp.Lock(ctx, "counter"); err != nil {
		return err
	}
	v, err := mp.Get(ctx, "counter")
	if err == nil {
		_, err = mp.Put(ctx, "counter", v.(int64)+1)
	}
	if uerr := mp.Unlock(ctx, "counter"); err == nil {
		err = uerr
	}
	return err
}

// TestConcurrentCompareAndSet: ReplaceIfSame as compare-and-set loses no
// update either.
func TestConcurrentCompareAndSet(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	e.put("counter", int64(0))
	const workers, perWorker = 8, 25
	var retries int64
	runWorkers(t, workers, 120*time.Second, func(w int) error {
		mp := e.mp
		if w%2 == 1 {
			mp = other
		}
		for i := 0; i < perWorker; i++ {
			done := false
			for attempt := 0; attempt < 1000 && !done; attempt++ {
				v, err := mp.Get(e.ctx, "counter")
				if err != nil {
					return err
				}
				done, err = mp.ReplaceIfSame(e.ctx, "counter", v, v.(int64)+1)
				if err != nil {
					return err
				}
				if !done {
					atomic.AddInt64(&retries, 1)
				}
			}
			if !done {
				return fmt.Errorf("no successful ReplaceIfSame in 1000 attempts")
			}
		}
		return nil
	})
	eq(t, "counter", e.get("counter"), int64(workers*perWorker))
	t.Logf("%d compare-and-set retries", retries)
}

// TestConcurrentMixedOps: writers, removers, readers and bulk operations on
// a shared key range at once; afterwards every key holds either nothing or
// a value that was written for it, and the bulk views agree with Size.
func TestConcurrentMixedOps(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	const keys = 40
	const workers, perWorker = 10, 60
	runWorkers(t, workers, 120*time.Second, func(w int) error {
		mp := e.mp
		if w%2 == 1 {
			mp = other
		}
		for i := 0; i < perWorker; i++ {
			k := fmt.Sprintf("k%d", (w*7+i*13)%keys)
			var err error
			switch (w + i) % 6 {
			case 0:
				_, err = mp.Put(e.ctx, k, k+"-v")
			case 1:
				_, err = mp.Remove(e.ctx, k)
			case 2:
				var v interface{}
				v, err = mp.Get(e.ctx, k)
				if err == nil && v != nil && v != k+"-v" {
					err = fmt.Errorf("Get(%s) = %v", k, v)
				}
			case 3:
				err = mp.PutAll(e.ctx, types.NewEntry(k, k+"-v"), types.NewEntry("k0", "k0-v"))
			case 4:
				_, err = mp.GetEntrySet(e.ctx)
			case 5:
				_, err = mp.PutIfAbsent(e.ctx, k, k+"-v")
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	es, err := e.mp.GetEntrySet(e.ctx)
	must(t, "GetEntrySet", err)
	for _, en := range es {
		if en.Value != fmt.Sprintf("%v-v", en.Key) {
			t.Errorf("entry %v=%v was never written", en.Key, en.Value)
		}
	}
	eq(t, "Size agrees with GetEntrySet", e.size(), len(es))
	ks, err := e.mp.GetKeySet(e.ctx)
	must(t, "GetKeySet", err)
	eq(t, "GetKeySet agrees with GetEntrySet", len(ks), len(es))
}
