package mapops

import (
	"errors"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/hzerrors"
)

func (e *env) isLocked(mp *hazelcast.Map, k interface{}) bool {
	e.t.Helper()
	ok, err := mp.IsLocked(e.ctx, k)
	must(e.t, "IsLocked", err)
	return ok
}

func TestLockUnlockIsLocked(t *testing.T) {
	e := setup(t)
	eq(t, "IsLocked before Lock", e.isLocked(e.mp, "k"), false)
	must(t, "Lock", e.mp.Lock(e.ctx, "k"))
	eq(t, "IsLocked after Lock", e.isLocked(e.mp, "k"), true)
	// A lock on an absent key creates no entry.
	eq(t, "Size with a lock on an absent key", e.size(), 0)
	eq(t, "Get of a locked absent key", e.get("k"), nil)
	_, other := e.other()
	eq(t, "IsLocked seen by another client", e.isLocked(other, "k"), true)
	must(t, "Unlock", e.mp.Unlock(e.ctx, "k"))
	eq(t, "IsLocked after Unlock", e.isLocked(e.mp, "k"), false)
	eq(t, "IsLocked seen by another client after Unlock", e.isLocked(other, "k"), false)
}

func TestLockIsReentrant(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	must(t, "Lock", e.mp.Lock(e.ctx, "k"))
	must(t, "Lock again", e.mp.Lock(e.ctx, "k"))
	ok, err := e.mp.TryLock(e.ctx, "k")
	must(t, "TryLock by the owner", err)
	eq(t, "TryLock by the owner", ok, true)
	// Held 3 times: two unlocks leave it locked.
	must(t, "Unlock 1", e.mp.Unlock(e.ctx, "k"))
	must(t, "Unlock 2", e.mp.Unlock(e.ctx, "k"))
	eq(t, "IsLocked after 2 of 3 unlocks", e.isLocked(e.mp, "k"), true)
	ok, err = other.TryLock(e.ctx, "k")
	must(t, "TryLock by another client", err)
	eq(t, "TryLock by another client while held", ok, false)
	must(t, "Unlock 3", e.mp.Unlock(e.ctx, "k"))
	eq(t, "IsLocked after 3 unlocks", e.isLocked(e.mp, "k"), false)
	ok, err = other.TryLock(e.ctx, "k")
	must(t, "TryLock by another client", err)
	eq(t, "TryLock by another client once free", ok, true)
	must(t, "Unlock by the other client", other.Unlock(e.ctx, "k"))
}

func TestTryLock(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	ok, err := e.mp.TryLock(e.ctx, "k")
	must(t, "TryLock", err)
	eq(t, "TryLock on a free key", ok, true)
	start := time.Now()
	ok, err = other.TryLock(e.ctx, "k")
	must(t, "TryLock", err)
	eq(t, "TryLock on a held key", ok, false)
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("TryLock without timeout took %v; it must answer at once", el)
	}
	must(t, "Unlock", e.mp.Unlock(e.ctx, "k"))
}

func TestTryLockWithTimeout(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	must(t, "Lock", e.mp.Lock(e.ctx, "k"))
	start := time.Now()
	ok, err := other.TryLockWithTimeout(e.ctx, "k", time.Second)
	el := time.Since(start)
	must(t, "TryLockWithTimeout", err)
	eq(t, "TryLockWithTimeout(1s) on a held key", ok, false)
	if el < 800*time.Millisecond || el > 8*time.Second {
		t.Errorf("TryLockWithTimeout(1s) on a held key answered after %v; want about 1 s", el)
	}
	// Released while another client waits: the waiter gets it.
	ch := make(chan bool, 1)
	go func() {
		ok, err := other.TryLockWithTimeout(e.ctx, "k", 20*time.Second)
		if err != nil {
			t.Errorf("TryLockWithTimeout: %v", err)
		}
		ch <- ok
	}()
	time.Sleep(500 * time.Millisecond)
	must(t, "Unlock", e.mp.Unlock(e.ctx, "k"))
	select {
	case ok := <-ch:
		eq(t, "TryLockWithTimeout while the holder unlocks", ok, true)
	case <-time.After(15 * time.Second):
		t.Fatal("waiting TryLockWithTimeout not granted within 15 s of the unlock")
	}
	eq(t, "IsLocked", e.isLocked(e.mp, "k"), true)
	must(t, "Unlock by the new holder", other.Unlock(e.ctx, "k"))
}

// TestLockLease: a lock taken with a lease is released when the lease ends,
// and whoever waits for it gets it then.
func TestLockLease(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_, other := e.other()
	start := time.Now()
	must(t, "LockWithLease(2s)", e.mp.LockWithLease(e.ctx, "k", 2*time.Second))
	eq(t, "IsLocked", e.isLocked(e.mp, "k"), true)
	ok, err := other.TryLockWithTimeout(e.ctx, "k", 20*time.Second)
	must(t, "TryLockWithTimeout", err)
	el := time.Since(start)
	eq(t, "TryLockWithTimeout after the lease ends", ok, true)
	if el < 1500*time.Millisecond || el > 15*time.Second {
		t.Errorf("lock with a 2 s lease passed to the waiter after %v; want about 2 s", el)
	}
	must(t, "Unlock", other.Unlock(e.ctx, "k"))

	// TryLockWithLease: acquired at once, released by the lease.
	ok, err = e.mp.TryLockWithLease(e.ctx, "k2", 2*time.Second)
	must(t, "TryLockWithLease", err)
	eq(t, "TryLockWithLease on a free key", ok, true)
	ok2, why := waitUnlocked(e, other, "k2", 15*time.Second)
	if !ok2 {
		t.Fatalf("lock with a 2 s lease still held after 15 s: %s", why)
	}
	// TryLockWithLeaseAndTimeout by a waiter.
	must(t, "Lock", e.mp.LockWithLease(e.ctx, "k3", time.Second))
	ok, err = other.TryLockWithLeaseAndTimeout(e.ctx, "k3", 5*time.Second, 20*time.Second)
	must(t, "TryLockWithLeaseAndTimeout", err)
	eq(t, "TryLockWithLeaseAndTimeout after the first lease", ok, true)
	must(t, "Unlock", other.Unlock(e.ctx, "k3"))
}

func waitUnlocked(e *env, mp *hazelcast.Map, k interface{}, limit time.Duration) (bool, string) {
	deadline := time.Now().Add(limit)
	for i := 0; i < 10000 && time.Now().Before(deadline); i++ {
		locked, err := mp.IsLocked(e.ctx, k)
		if err != nil {
			return false, err.Error()
		}
		if !locked {
			return true, ""
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false, "still locked"
}

// TestLockBlocksWritesFromOthers: while one client holds a key's lock, every
// lock-aware write from another client waits until the lock is released;
// reads do not wait.
func TestLockBlocksWritesFromOthers(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	ctx := e.ctx
	ops := []struct {
		name string
		op   func(k string) error
	}{
		{"Put", func(k string) error { _, err := other.Put(ctx, k, "B"); return err }},
		{"Set", func(k string) error { return other.Set(ctx, k, "B") }},
		{"PutWithTTL", func(k string) error { _, err := other.PutWithTTL(ctx, k, "B", time.Hour); return err }},
		{"PutTransient", func(k string) error { return other.PutTransient(ctx, k, "B") }},
		{"Replace", func(k string) error { _, err := other.Replace(ctx, k, "B"); return err }},
		{"ReplaceIfSame", func(k string) error { _, err := other.ReplaceIfSame(ctx, k, "A", "B"); return err }},
		{"Remove", func(k string) error { _, err := other.Remove(ctx, k); return err }},
		{"RemoveIfSame", func(k string) error { _, err := other.RemoveIfSame(ctx, k, "A"); return err }},
		{"Delete", func(k string) error { return other.Delete(ctx, k) }},
		{"Evict", func(k string) error { _, err := other.Evict(ctx, k); return err }},
		{"SetTTL", func(k string) error { return other.SetTTL(ctx, k, time.Hour) }},
		{"Lock", func(k string) error { return other.Lock(ctx, k) }},
	}
	chans := make([]<-chan error, len(ops))
	for _, o := range ops {
		k := "key-" + o.name
		e.put(k, "A")
		must(t, "Lock "+k, e.mp.Lock(ctx, k))
	}
	for i, o := range ops {
		o := o
		chans[i] = async(func() error { return o.op("key-" + o.name) })
	}
	time.Sleep(1500 * time.Millisecond)
	for i, o := range ops {
		if !pending(chans[i], 0) {
			t.Errorf("%s by another client finished while the key was locked", o.name)
		}
	}
	// Reads are not blocked by the lock.
	for _, o := range ops {
		k := "key-" + o.name
		v, err := other.Get(ctx, k)
		must(t, "Get of a locked key by another client", err)
		eq(t, "Get of a locked key by another client", v, "A")
		ok, err := other.ContainsKey(ctx, k)
		must(t, "ContainsKey", err)
		eq(t, "ContainsKey of a locked key", ok, true)
	}
	if t.Failed() {
		return
	}
	for _, o := range ops {
		must(t, "Unlock", e.mp.Unlock(ctx, "key-"+o.name))
	}
	for i, o := range ops {
		waitDone(t, o.name+" after Unlock", chans[i], 15*time.Second)
	}
	eq(t, "Get after the blocked Put ran", e.get("key-Put"), "B")
	eq(t, "Get after the blocked Remove ran", e.get("key-Remove"), nil)
	eq(t, "IsLocked by the other client's Lock", e.isLocked(e.mp, "key-Lock"), true)
	must(t, "Unlock", other.Unlock(ctx, "key-Lock"))
}

func TestLockOwnerWritesFreely(t *testing.T) {
	e := setup(t)
	must(t, "Lock", e.mp.Lock(e.ctx, "k"))
	done := async(func() error { _, err := e.mp.Put(e.ctx, "k", "mine"); return err })
	waitDone(t, "Put by the lock owner", done, 5*time.Second)
	eq(t, "Get", e.get("k"), "mine")
	must(t, "Unlock", e.mp.Unlock(e.ctx, "k"))
}

// TestLockContexts: in one Go client, each lock context is its own lock owner
// (the client sends a different thread id); without a context all calls of a
// client share one owner.
func TestLockContexts(t *testing.T) {
	e := setup(t)
	ctx1 := e.mp.NewLockContext(e.ctx)
	ctx2 := e.mp.NewLockContext(e.ctx)
	must(t, "Lock in context 1", e.mp.Lock(ctx1, "k"))
	ok, err := e.mp.TryLock(ctx2, "k")
	must(t, "TryLock in context 2", err)
	eq(t, "TryLock in another lock context", ok, false)
	err = e.mp.Unlock(ctx2, "k")
	if !errors.Is(err, hzerrors.ErrIllegalMonitorState) {
		t.Errorf("Unlock from another lock context: %v; want ErrIllegalMonitorState", err)
	}
	ok, err = e.mp.TryPutWithTimeout(ctx2, "k", "v", 200*time.Millisecond)
	must(t, "TryPutWithTimeout", err)
	eq(t, "TryPutWithTimeout from another lock context", ok, false)
	must(t, "Unlock in context 1", e.mp.Unlock(ctx1, "k"))
	ok, err = e.mp.TryLock(ctx2, "k")
	must(t, "TryLock", err)
	eq(t, "TryLock in context 2 once free", ok, true)
	must(t, "Unlock in context 2", e.mp.Unlock(ctx2, "k"))
}

func TestUnlockByNonOwnerFails(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	err := e.mp.Unlock(e.ctx, "free")
	if !errors.Is(err, hzerrors.ErrIllegalMonitorState) {
		t.Errorf("Unlock of an unlocked key: %v; want ErrIllegalMonitorState", err)
	}
	must(t, "Lock", e.mp.Lock(e.ctx, "k"))
	err = other.Unlock(e.ctx, "k")
	if !errors.Is(err, hzerrors.ErrIllegalMonitorState) {
		t.Errorf("Unlock by another client: %v; want ErrIllegalMonitorState", err)
	}
	eq(t, "IsLocked after a foreign Unlock", e.isLocked(e.mp, "k"), true)
	must(t, "Unlock by the owner", e.mp.Unlock(e.ctx, "k"))
}

func TestForceUnlock(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	must(t, "Lock", e.mp.Lock(e.ctx, "k"))
	must(t, "Lock again", e.mp.Lock(e.ctx, "k"))
	must(t, "ForceUnlock by another client", other.ForceUnlock(e.ctx, "k"))
	eq(t, "IsLocked after ForceUnlock (of a lock held twice)", e.isLocked(e.mp, "k"), false)
	err := e.mp.Unlock(e.ctx, "k")
	if !errors.Is(err, hzerrors.ErrIllegalMonitorState) {
		t.Errorf("Unlock by the former owner after ForceUnlock: %v; want ErrIllegalMonitorState", err)
	}
	must(t, "ForceUnlock of an unlocked key", other.ForceUnlock(e.ctx, "free"))
}

func TestTryPutTryRemoveOnLockedKey(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	e.put("k", "A")
	must(t, "Lock", e.mp.Lock(e.ctx, "k"))
	start := time.Now()
	ok, err := other.TryPutWithTimeout(e.ctx, "k", "B", 500*time.Millisecond)
	el := time.Since(start)
	must(t, "TryPutWithTimeout", err)
	eq(t, "TryPutWithTimeout on a key locked by another client", ok, false)
	if el < 400*time.Millisecond || el > 8*time.Second {
		t.Errorf("TryPutWithTimeout(500ms) answered after %v", el)
	}
	ok, err = other.TryPut(e.ctx, "k", "B")
	must(t, "TryPut", err)
	eq(t, "TryPut on a key locked by another client", ok, false)
	r, err := other.TryRemoveWithTimeout(e.ctx, "k", 500*time.Millisecond)
	must(t, "TryRemoveWithTimeout", err)
	eq(t, "TryRemoveWithTimeout on a key locked by another client", r, false)
	r, err = other.TryRemove(e.ctx, "k")
	must(t, "TryRemove", err)
	eq(t, "TryRemove on a key locked by another client", r, false)
	eq(t, "value after the failed tries", e.get("k"), "A")
	// The owner's own tries succeed.
	ok, err = e.mp.TryPut(e.ctx, "k", "C")
	must(t, "TryPut by the owner", err)
	eq(t, "TryPut by the owner", ok, true)
	must(t, "Unlock", e.mp.Unlock(e.ctx, "k"))
	// A TryPut waiting for the lock succeeds when it is released in time.
	must(t, "Lock", e.mp.Lock(e.ctx, "k"))
	ch := async(func() error {
		ok, err := other.TryPutWithTimeout(e.ctx, "k", "D", 20*time.Second)
		if err == nil && !ok {
			err = errors.New("TryPutWithTimeout returned false")
		}
		return err
	})
	time.Sleep(500 * time.Millisecond)
	must(t, "Unlock", e.mp.Unlock(e.ctx, "k"))
	waitDone(t, "TryPutWithTimeout while the lock is released", ch, 15*time.Second)
	eq(t, "value", e.get("k"), "D")
}

// TestLocksReleasedWhenClientLeaves: a client's locks are released after it
// disconnects. Hazelcast 5.7 does it at its next client-cleanup tick (every
// 10 s); memgrid may do it sooner.
func TestLocksReleasedWhenClientLeaves(t *testing.T) {
	t.Parallel()
	e := setup(t)
	leaver, lm := e.other()
	must(t, "Lock", lm.Lock(e.ctx, "k"))
	must(t, "Lock", lm.Lock(e.ctx, "k2"))
	eq(t, "IsLocked", e.isLocked(e.mp, "k"), true)
	start := time.Now()
	must(t, "Shutdown", leaver.Shutdown(e.ctx))
	ok, why := waitUnlocked(e, e.mp, "k", 25*time.Second)
	if !ok {
		t.Fatalf("lock of a client that left still held after 25 s: %s", why)
	}
	t.Logf("locks released %v after the client left", time.Since(start))
	eq(t, "IsLocked(k2)", e.isLocked(e.mp, "k2"), false)
	ok2, err := e.mp.TryLock(e.ctx, "k")
	must(t, "TryLock", err)
	eq(t, "TryLock after release", ok2, true)
}

// TestClearAndEvictAllKeepLockedEntries: Clear and EvictAll remove every
// entry except locked ones, and keep the locks.
func TestClearAndEvictAllKeepLockedEntries(t *testing.T) {
	e := setup(t)
	_, other := e.other()
	for _, k := range []string{"a", "b", "c"} {
		e.put(k, "v-"+k)
	}
	must(t, "Lock", e.mp.Lock(e.ctx, "a"))
	must(t, "Clear by another client", other.Clear(e.ctx))
	eq(t, "Size after Clear with one locked entry", e.size(), 1)
	eq(t, "Get of the locked entry", e.get("a"), "v-a")
	eq(t, "IsLocked after Clear", e.isLocked(e.mp, "a"), true)
	e.put("b", "v-b")
	must(t, "EvictAll by another client", other.EvictAll(e.ctx))
	eq(t, "Size after EvictAll with one locked entry", e.size(), 1)
	eq(t, "Get of the locked entry", e.get("a"), "v-a")
	must(t, "Unlock", e.mp.Unlock(e.ctx, "a"))
	must(t, "Clear", other.Clear(e.ctx))
	eq(t, "Size after Clear", e.size(), 0)
}

// TestLockedEntryDoesNotExpire: an entry whose key is locked outlives its
// TTL; it expires once unlocked.
func TestLockedEntryDoesNotExpire(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_, other := e.other()
	_, err := e.mp.PutWithTTL(e.ctx, "k", "v", 2*time.Second)
	must(t, "PutWithTTL", err)
	must(t, "Lock", e.mp.Lock(e.ctx, "k"))
	time.Sleep(4 * time.Second)
	v, err := other.Get(e.ctx, "k")
	must(t, "Get", err)
	eq(t, "Get of a locked entry past its TTL", v, "v")
	must(t, "Unlock", e.mp.Unlock(e.ctx, "k"))
	if _, ok := e.waitGone("k", time.Now(), 15*time.Second); !ok {
		t.Fatal("entry past its TTL still present 15 s after Unlock")
	}
}

// TestLeaseExpiryWakesBlockedWrite: a write blocked by a leased lock runs
// when the lease ends.
func TestLeaseExpiryWakesBlockedWrite(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_, other := e.other()
	start := time.Now()
	must(t, "LockWithLease", e.mp.LockWithLease(e.ctx, "k", 2*time.Second))
	ch := async(func() error { _, err := other.Put(e.ctx, "k", "B"); return err })
	waitDone(t, "Put blocked by a 2 s lease", ch, 20*time.Second)
	if el := time.Since(start); el < 1500*time.Millisecond {
		t.Errorf("Put blocked by a 2 s lease finished after %v", el)
	}
	eq(t, "Get", e.get("k"), "B")
	eq(t, "IsLocked", e.isLocked(e.mp, "k"), false)
}
