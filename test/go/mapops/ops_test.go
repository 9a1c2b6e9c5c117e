package mapops

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client/types"
)

func TestPutGet(t *testing.T) {
	e := setup(t)
	eq(t, "Put on a new key returns", e.put("k", "v1"), nil)
	eq(t, "Get", e.get("k"), "v1")
	eq(t, "Put on an existing key returns the old value", e.put("k", "v2"), "v1")
	eq(t, "Get after overwrite", e.get("k"), "v2")
	eq(t, "Get of a missing key", e.get("missing"), nil)
	eq(t, "Size", e.size(), 1)
}

// TestValueTypes: keys and values of the client's built-in types round-trip,
// and keys that differ only in type are different keys (the member compares
// serialized bytes).
func TestValueTypes(t *testing.T) {
	e := setup(t)
	cases := []struct {
		key, value interface{}
	}{
		{"s", "string value"},
		{"empty", ""},
		{"unicode", "héllo wörld ✓ 日本"},
		{int64(42), int64(-7)},
		{int32(42), int32(7)},
		{"bytes", []byte{0, 1, 2, 0xfe, 0xff}},
		{"bool", true},
		{"float", 3.25},
		{"42", "the string key 42"},
	}
	for _, c := range cases {
		e.put(c.key, c.value)
	}
	for _, c := range cases {
		eq(t, fmt.Sprintf("Get(%#v)", c.key), e.get(c.key), c.value)
	}
	eq(t, "Size", e.size(), len(cases))
}

func TestRemove(t *testing.T) {
	e := setup(t)
	e.put("k", "v")
	old, err := e.mp.Remove(e.ctx, "k")
	must(t, "Remove", err)
	eq(t, "Remove returns", old, "v")
	old, err = e.mp.Remove(e.ctx, "k")
	must(t, "Remove", err)
	eq(t, "Remove of a missing key returns", old, nil)
	eq(t, "Size", e.size(), 0)
}

func TestRemoveIfSame(t *testing.T) {
	e := setup(t)
	e.put("k", "v")
	ok, err := e.mp.RemoveIfSame(e.ctx, "k", "other")
	must(t, "RemoveIfSame", err)
	eq(t, "RemoveIfSame with another value", ok, false)
	eq(t, "Get after failed RemoveIfSame", e.get("k"), "v")
	ok, err = e.mp.RemoveIfSame(e.ctx, "k", "v")
	must(t, "RemoveIfSame", err)
	eq(t, "RemoveIfSame with the value", ok, true)
	eq(t, "Get after RemoveIfSame", e.get("k"), nil)
	ok, err = e.mp.RemoveIfSame(e.ctx, "k", "v")
	must(t, "RemoveIfSame", err)
	eq(t, "RemoveIfSame of a missing key", ok, false)
}

func TestDelete(t *testing.T) {
	e := setup(t)
	e.put("k", "v")
	must(t, "Delete", e.mp.Delete(e.ctx, "k"))
	eq(t, "Get after Delete", e.get("k"), nil)
	must(t, "Delete of a missing key", e.mp.Delete(e.ctx, "k"))
	eq(t, "Size", e.size(), 0)
}

func TestSet(t *testing.T) {
	e := setup(t)
	must(t, "Set", e.mp.Set(e.ctx, "k", "v1"))
	eq(t, "Get", e.get("k"), "v1")
	must(t, "Set", e.mp.Set(e.ctx, "k", "v2"))
	eq(t, "Get after Set", e.get("k"), "v2")
	eq(t, "version after two Sets", e.viewOf("k").Version, int64(1))
}

func TestSetWithTTL(t *testing.T) {
	e := setup(t)
	must(t, "SetWithTTL", e.mp.SetWithTTL(e.ctx, "k", "v", 30*time.Second))
	eq(t, "Get", e.get("k"), "v")
	v := e.viewOf("k")
	eq(t, "ttl", v.TTL, int64(30000))
	eq(t, "maxIdle", v.MaxIdle, noLimit)
	eq(t, "expirationTime - lastUpdateTime", v.ExpirationTime-v.LastUpdateTime, int64(30000))
}

func TestSetWithTTLAndMaxIdle(t *testing.T) {
	e := setup(t)
	must(t, "SetWithTTLAndMaxIdle", e.mp.SetWithTTLAndMaxIdle(e.ctx, "k", "v", 30*time.Second, 10*time.Second))
	eq(t, "Get", e.get("k"), "v")
	v := e.viewOf("k")
	eq(t, "ttl", v.TTL, int64(30000))
	eq(t, "maxIdle", v.MaxIdle, int64(10000))
	// Whichever limit comes first decides the expiration time.
	eq(t, "expirationTime - lastUpdateTime", v.ExpirationTime-v.LastUpdateTime, int64(10000))
	// An existing entry is overwritten and gets the new limits.
	must(t, "SetWithTTLAndMaxIdle", e.mp.SetWithTTLAndMaxIdle(e.ctx, "k", "v2", 40*time.Second, 0))
	v = e.viewOf("k")
	eq(t, "value", v.Value, "v2")
	eq(t, "ttl", v.TTL, int64(40000))
	eq(t, "maxIdle 0 means none", v.MaxIdle, noLimit)
	eq(t, "version", v.Version, int64(1))
}

func TestPutWithTTL(t *testing.T) {
	e := setup(t)
	old, err := e.mp.PutWithTTL(e.ctx, "k", "v1", 30*time.Second)
	must(t, "PutWithTTL", err)
	eq(t, "PutWithTTL on a new key returns", old, nil)
	old, err = e.mp.PutWithTTL(e.ctx, "k", "v2", 20*time.Second)
	must(t, "PutWithTTL", err)
	eq(t, "PutWithTTL returns the old value", old, "v1")
	v := e.viewOf("k")
	eq(t, "value", v.Value, "v2")
	eq(t, "ttl", v.TTL, int64(20000))
	eq(t, "maxIdle", v.MaxIdle, noLimit)
	// TTLs are kept in whole seconds, truncated.
	_, err = e.mp.PutWithTTL(e.ctx, "frac", "v", 10500*time.Millisecond)
	must(t, "PutWithTTL", err)
	eq(t, "ttl of 10.5 s", e.viewOf("frac").TTL, int64(10000))
	// TTL 0 means "never expires".
	_, err = e.mp.PutWithTTL(e.ctx, "zero", "v", 0)
	must(t, "PutWithTTL", err)
	v = e.viewOf("zero")
	eq(t, "ttl 0", v.TTL, noLimit)
	eq(t, "expirationTime with ttl 0", v.ExpirationTime, noLimit)
}

func TestPutWithMaxIdle(t *testing.T) {
	e := setup(t)
	old, err := e.mp.PutWithMaxIdle(e.ctx, "k", "v1", 10*time.Second)
	must(t, "PutWithMaxIdle", err)
	eq(t, "PutWithMaxIdle on a new key returns", old, nil)
	old, err = e.mp.PutWithMaxIdle(e.ctx, "k", "v2", 20*time.Second)
	must(t, "PutWithMaxIdle", err)
	eq(t, "PutWithMaxIdle returns", old, "v1")
	v := e.viewOf("k")
	eq(t, "ttl", v.TTL, noLimit)
	eq(t, "maxIdle", v.MaxIdle, int64(20000))
	eq(t, "expirationTime - lastUpdateTime", v.ExpirationTime-v.LastUpdateTime, int64(20000))
}

func TestPutWithTTLAndMaxIdle(t *testing.T) {
	e := setup(t)
	old, err := e.mp.PutWithTTLAndMaxIdle(e.ctx, "k", "v1", 20*time.Second, 10*time.Second)
	must(t, "PutWithTTLAndMaxIdle", err)
	eq(t, "returns", old, nil)
	old, err = e.mp.PutWithTTLAndMaxIdle(e.ctx, "k", "v2", 5*time.Second, 10*time.Second)
	must(t, "PutWithTTLAndMaxIdle", err)
	eq(t, "returns", old, "v1")
	v := e.viewOf("k")
	eq(t, "ttl", v.TTL, int64(5000))
	eq(t, "maxIdle", v.MaxIdle, int64(10000))
	eq(t, "expirationTime - lastUpdateTime", v.ExpirationTime-v.LastUpdateTime, int64(5000))
}

func TestPutIfAbsent(t *testing.T) {
	e := setup(t)
	old, err := e.mp.PutIfAbsent(e.ctx, "k", "v1")
	must(t, "PutIfAbsent", err)
	eq(t, "PutIfAbsent on a new key returns", old, nil)
	old, err = e.mp.PutIfAbsent(e.ctx, "k", "v2")
	must(t, "PutIfAbsent", err)
	eq(t, "PutIfAbsent on an existing key returns", old, "v1")
	eq(t, "Get", e.get("k"), "v1")
	eq(t, "version (failed PutIfAbsent is no write)", e.viewOf("k").Version, int64(0))

	old, err = e.mp.PutIfAbsentWithTTL(e.ctx, "t", "v1", 30*time.Second)
	must(t, "PutIfAbsentWithTTL", err)
	eq(t, "PutIfAbsentWithTTL on a new key returns", old, nil)
	eq(t, "ttl", e.viewOf("t").TTL, int64(30000))
	old, err = e.mp.PutIfAbsentWithTTL(e.ctx, "t", "v2", 10*time.Second)
	must(t, "PutIfAbsentWithTTL", err)
	eq(t, "PutIfAbsentWithTTL on an existing key returns", old, "v1")
	eq(t, "ttl unchanged by a failed PutIfAbsentWithTTL", e.viewOf("t").TTL, int64(30000))

	old, err = e.mp.PutIfAbsentWithTTLAndMaxIdle(e.ctx, "tm", "v1", 30*time.Second, 10*time.Second)
	must(t, "PutIfAbsentWithTTLAndMaxIdle", err)
	eq(t, "PutIfAbsentWithTTLAndMaxIdle on a new key returns", old, nil)
	v := e.viewOf("tm")
	eq(t, "ttl", v.TTL, int64(30000))
	eq(t, "maxIdle", v.MaxIdle, int64(10000))
	old, err = e.mp.PutIfAbsentWithTTLAndMaxIdle(e.ctx, "tm", "v2", 5*time.Second, 5*time.Second)
	must(t, "PutIfAbsentWithTTLAndMaxIdle", err)
	eq(t, "PutIfAbsentWithTTLAndMaxIdle on an existing key returns", old, "v1")
	v = e.viewOf("tm")
	eq(t, "value", v.Value, "v1")
	eq(t, "ttl unchanged", v.TTL, int64(30000))
	eq(t, "maxIdle unchanged", v.MaxIdle, int64(10000))
}

func TestPutTransient(t *testing.T) {
	e := setup(t)
	must(t, "PutTransient", e.mp.PutTransient(e.ctx, "k", "v1"))
	eq(t, "Get", e.get("k"), "v1")
	must(t, "PutTransient", e.mp.PutTransient(e.ctx, "k", "v2"))
	eq(t, "Get", e.get("k"), "v2")
	v := e.viewOf("k")
	eq(t, "version", v.Version, int64(1))
	eq(t, "ttl", v.TTL, noLimit)

	must(t, "PutTransientWithTTL", e.mp.PutTransientWithTTL(e.ctx, "t", "v", 30*time.Second))
	v = e.viewOf("t")
	eq(t, "PutTransientWithTTL ttl", v.TTL, int64(30000))
	eq(t, "PutTransientWithTTL maxIdle", v.MaxIdle, noLimit)

	must(t, "PutTransientWithMaxIdle", e.mp.PutTransientWithMaxIdle(e.ctx, "m", "v", 10*time.Second))
	v = e.viewOf("m")
	eq(t, "PutTransientWithMaxIdle ttl", v.TTL, noLimit)
	eq(t, "PutTransientWithMaxIdle maxIdle", v.MaxIdle, int64(10000))

	must(t, "PutTransientWithTTLAndMaxIdle", e.mp.PutTransientWithTTLAndMaxIdle(e.ctx, "tm", "v", 30*time.Second, 10*time.Second))
	v = e.viewOf("tm")
	eq(t, "PutTransientWithTTLAndMaxIdle ttl", v.TTL, int64(30000))
	eq(t, "PutTransientWithTTLAndMaxIdle maxIdle", v.MaxIdle, int64(10000))
	eq(t, "Size", e.size(), 4)
}

func TestReplace(t *testing.T) {
	e := setup(t)
	old, err := e.mp.Replace(e.ctx, "k", "v")
	must(t, "Replace", err)
	eq(t, "Replace of a missing key returns", old, nil)
	eq(t, "Get after Replace of a missing key", e.get("k"), nil)
	eq(t, "Size", e.size(), 0)

	_, err = e.mp.PutWithTTLAndMaxIdle(e.ctx, "k", "v1", 30*time.Second, 20*time.Second)
	must(t, "PutWithTTLAndMaxIdle", err)
	old, err = e.mp.Replace(e.ctx, "k", "v2")
	must(t, "Replace", err)
	eq(t, "Replace returns", old, "v1")
	v := e.viewOf("k")
	eq(t, "value", v.Value, "v2")
	eq(t, "version", v.Version, int64(1))
	// Replace carries no TTL, so the map's defaults (none here) apply again.
	eq(t, "ttl after Replace", v.TTL, noLimit)
	eq(t, "maxIdle after Replace", v.MaxIdle, noLimit)
}

func TestReplaceIfSame(t *testing.T) {
	e := setup(t)
	ok, err := e.mp.ReplaceIfSame(e.ctx, "k", "v", "w")
	must(t, "ReplaceIfSame", err)
	eq(t, "ReplaceIfSame of a missing key", ok, false)
	eq(t, "Get", e.get("k"), nil)
	e.put("k", "v1")
	ok, err = e.mp.ReplaceIfSame(e.ctx, "k", "other", "v2")
	must(t, "ReplaceIfSame", err)
	eq(t, "ReplaceIfSame with another old value", ok, false)
	eq(t, "Get", e.get("k"), "v1")
	ok, err = e.mp.ReplaceIfSame(e.ctx, "k", "v1", "v2")
	must(t, "ReplaceIfSame", err)
	eq(t, "ReplaceIfSame with the old value", ok, true)
	eq(t, "Get", e.get("k"), "v2")
	eq(t, "version", e.viewOf("k").Version, int64(1))
}

func TestTryPut(t *testing.T) {
	e := setup(t)
	ok, err := e.mp.TryPut(e.ctx, "k", "v1")
	must(t, "TryPut", err)
	eq(t, "TryPut on a free key", ok, true)
	ok, err = e.mp.TryPutWithTimeout(e.ctx, "k", "v2", time.Second)
	must(t, "TryPutWithTimeout", err)
	eq(t, "TryPutWithTimeout on a free key", ok, true)
	eq(t, "Get", e.get("k"), "v2")
}

func TestTryRemove(t *testing.T) {
	e := setup(t)
	e.put("k", "v")
	r, err := e.mp.TryRemove(e.ctx, "k")
	must(t, "TryRemove", err)
	eq(t, "TryRemove of an existing key", r, true)
	eq(t, "Get", e.get("k"), nil)
	r, err = e.mp.TryRemove(e.ctx, "k")
	must(t, "TryRemove", err)
	eq(t, "TryRemove of a missing key", r, false)
	e.put("k2", "v")
	r, err = e.mp.TryRemoveWithTimeout(e.ctx, "k2", time.Second)
	must(t, "TryRemoveWithTimeout", err)
	eq(t, "TryRemoveWithTimeout of an existing key", r, true)
}

func TestContainsKeyContainsValue(t *testing.T) {
	e := setup(t)
	e.put("k", "v")
	ok, err := e.mp.ContainsKey(e.ctx, "k")
	must(t, "ContainsKey", err)
	eq(t, "ContainsKey(k)", ok, true)
	ok, err = e.mp.ContainsKey(e.ctx, "nope")
	must(t, "ContainsKey", err)
	eq(t, "ContainsKey(nope)", ok, false)
	ok, err = e.mp.ContainsValue(e.ctx, "v")
	must(t, "ContainsValue", err)
	eq(t, "ContainsValue(v)", ok, true)
	ok, err = e.mp.ContainsValue(e.ctx, "w")
	must(t, "ContainsValue", err)
	eq(t, "ContainsValue(w)", ok, false)
	// Values are compared as serialized bytes: int64(1) is not "1".
	e.put("n", int64(1))
	ok, err = e.mp.ContainsValue(e.ctx, "1")
	must(t, "ContainsValue", err)
	eq(t, `ContainsValue("1") with int64(1) stored`, ok, false)
	ok, err = e.mp.ContainsValue(e.ctx, int64(1))
	must(t, "ContainsValue", err)
	eq(t, "ContainsValue(int64(1))", ok, true)
}

func TestPutAllGetAll(t *testing.T) {
	e := setup(t)
	const n = 300
	entries := make([]types.Entry, n)
	keys := make([]interface{}, 0, n+50)
	want := make([]string, n)
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("key-%03d", i)
		entries[i] = types.NewEntry(k, fmt.Sprintf("value-%03d", i))
		keys = append(keys, k)
		want[i] = fmt.Sprintf("%s=value-%03d", k, i)
	}
	must(t, "PutAll", e.mp.PutAll(e.ctx, entries...))
	eq(t, "Size", e.size(), n)
	for i := 0; i < 50; i++ {
		keys = append(keys, fmt.Sprintf("missing-%d", i))
	}
	got, err := e.mp.GetAll(e.ctx, keys...)
	must(t, "GetAll", err)
	eq(t, "GetAll (missing keys left out)", entriesString(got), entriesString(entries))
	// PutAll overwrites.
	must(t, "PutAll", e.mp.PutAll(e.ctx, types.NewEntry("key-000", "new"), types.NewEntry("extra", "x")))
	eq(t, "Get(key-000)", e.get("key-000"), "new")
	eq(t, "Size", e.size(), n+1)
	eq(t, "version of an entry PutAll overwrote", e.viewOf("key-000").Version, int64(1))
	got, err = e.mp.GetAll(e.ctx, "missing-1")
	must(t, "GetAll", err)
	eq(t, "GetAll of only missing keys", len(got), 0)
	must(t, "PutAll with nothing", e.mp.PutAll(e.ctx))
}

func TestSizeIsEmptyClear(t *testing.T) {
	e := setup(t)
	empty, err := e.mp.IsEmpty(e.ctx)
	must(t, "IsEmpty", err)
	eq(t, "IsEmpty on a new map", empty, true)
	eq(t, "Size on a new map", e.size(), 0)
	for i := 0; i < 100; i++ {
		e.put(i, i)
	}
	eq(t, "Size", e.size(), 100)
	empty, err = e.mp.IsEmpty(e.ctx)
	must(t, "IsEmpty", err)
	eq(t, "IsEmpty", empty, false)
	must(t, "Clear", e.mp.Clear(e.ctx))
	eq(t, "Size after Clear", e.size(), 0)
	empty, err = e.mp.IsEmpty(e.ctx)
	must(t, "IsEmpty", err)
	eq(t, "IsEmpty after Clear", empty, true)
	eq(t, "Get after Clear", e.get(5), nil)
	must(t, "Clear of an empty map", e.mp.Clear(e.ctx))
}

func TestKeySetValuesEntrySet(t *testing.T) {
	e := setup(t)
	ks, err := e.mp.GetKeySet(e.ctx)
	must(t, "GetKeySet", err)
	eq(t, "GetKeySet of an empty map", len(ks), 0)
	var wantKeys, wantValues, wantEntries []string
	for i := 0; i < 60; i++ {
		k, v := fmt.Sprintf("k%02d", i), fmt.Sprintf("v%d", i%7) // values repeat
		e.put(k, v)
		wantKeys = append(wantKeys, k)
		wantValues = append(wantValues, v)
		wantEntries = append(wantEntries, k+"="+v)
	}
	ks, err = e.mp.GetKeySet(e.ctx)
	must(t, "GetKeySet", err)
	eq(t, "GetKeySet", sortedStrings(ks), sortedStrings(toIface(wantKeys)))
	vs, err := e.mp.GetValues(e.ctx)
	must(t, "GetValues", err)
	eq(t, "GetValues (a multiset)", sortedStrings(vs), sortedStrings(toIface(wantValues)))
	es, err := e.mp.GetEntrySet(e.ctx)
	must(t, "GetEntrySet", err)
	eq(t, "GetEntrySet", entriesString(es), sortedStrings(toIface(wantEntries)))
}

func toIface(xs []string) []interface{} {
	out := make([]interface{}, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func TestEvict(t *testing.T) {
	e := setup(t)
	e.put("k", "v")
	ok, err := e.mp.Evict(e.ctx, "k")
	must(t, "Evict", err)
	eq(t, "Evict of an existing key", ok, true)
	eq(t, "Get after Evict", e.get("k"), nil)
	ok, err = e.mp.Evict(e.ctx, "k")
	must(t, "Evict", err)
	eq(t, "Evict of a missing key", ok, false)
}

func TestEvictAll(t *testing.T) {
	e := setup(t)
	for i := 0; i < 50; i++ {
		e.put(i, "v")
	}
	must(t, "EvictAll", e.mp.EvictAll(e.ctx))
	eq(t, "Size after EvictAll", e.size(), 0)
	eq(t, "Get after EvictAll", e.get(1), nil)
	must(t, "EvictAll of an empty map", e.mp.EvictAll(e.ctx))
}

func TestFlush(t *testing.T) {
	e := setup(t)
	e.put("k", "v")
	must(t, "Flush (no MapStore: a no-op)", e.mp.Flush(e.ctx))
	eq(t, "Get after Flush", e.get("k"), "v")
	eq(t, "Size after Flush", e.size(), 1)
}

func TestSetTTL(t *testing.T) {
	e := setup(t)
	e.put("k", "v")
	must(t, "SetTTL", e.mp.SetTTL(e.ctx, "k", 30*time.Second))
	v := e.viewOf("k")
	eq(t, "value after SetTTL", v.Value, "v")
	eq(t, "ttl after SetTTL", v.TTL, int64(30000))
	eq(t, "SetTTL counts as a write: version", v.Version, int64(1))
	eq(t, "expirationTime - lastUpdateTime", v.ExpirationTime-v.LastUpdateTime, int64(30000))

	ok, err := e.mp.SetTTLAffected(e.ctx, "k", 40*time.Second)
	must(t, "SetTTLAffected", err)
	eq(t, "SetTTLAffected on an existing key", ok, true)
	eq(t, "ttl", e.viewOf("k").TTL, int64(40000))
	ok, err = e.mp.SetTTLAffected(e.ctx, "missing", 40*time.Second)
	must(t, "SetTTLAffected", err)
	eq(t, "SetTTLAffected on a missing key", ok, false)
	must(t, "SetTTL on a missing key", e.mp.SetTTL(e.ctx, "missing", time.Second))
	eq(t, "SetTTL creates nothing: Size", e.size(), 1)

	// SetTTL 0: never expires.
	must(t, "SetTTL 0", e.mp.SetTTL(e.ctx, "k", 0))
	v = e.viewOf("k")
	eq(t, "ttl after SetTTL 0", v.TTL, noLimit)
	eq(t, "expirationTime after SetTTL 0", v.ExpirationTime, noLimit)

	// SetTTL carries no max-idle: an entry's own max-idle is replaced by the
	// map's default (none here).
	_, err = e.mp.PutWithTTLAndMaxIdle(e.ctx, "m", "v", 30*time.Second, 10*time.Second)
	must(t, "PutWithTTLAndMaxIdle", err)
	must(t, "SetTTL", e.mp.SetTTL(e.ctx, "m", 50*time.Second))
	v = e.viewOf("m")
	eq(t, "ttl", v.TTL, int64(50000))
	eq(t, "maxIdle after SetTTL", v.MaxIdle, noLimit)
}

// TestGetEntryViewDefaults: with the default map configuration
// (per-entry-stats-enabled false) Hazelcast 5.7 reports -1 for hits and for
// creation / last-access / last-stored time, and fills last-update time only
// for entries that have an expiry. Cost is an implementation's heap
// estimate: it is only required to be positive.
func TestGetEntryViewDefaults(t *testing.T) {
	e := setup(t)
	eq(t, "GetEntryView of a missing key", e.view("k"), (*types.SimpleEntryView)(nil))
	e.put("k", "v")
	v := e.viewOf("k")
	eq(t, "key", v.Key, "k")
	eq(t, "value", v.Value, "v")
	eq(t, "version", v.Version, int64(0))
	eq(t, "hits", v.Hits, int64(-1))
	eq(t, "creationTime", v.CreationTime, int64(-1))
	eq(t, "lastAccessTime", v.LastAccessTime, int64(-1))
	eq(t, "lastStoredTime", v.LastStoredTime, int64(-1))
	eq(t, "lastUpdateTime", v.LastUpdateTime, int64(-1))
	eq(t, "ttl", v.TTL, noLimit)
	eq(t, "maxIdle", v.MaxIdle, noLimit)
	eq(t, "expirationTime", v.ExpirationTime, noLimit)
	if v.Cost <= 0 {
		t.Errorf("cost = %d; want > 0", v.Cost)
	}
	e.get("k")
	e.get("k")
	e.put("k", "v2")
	e.put("k", "v3")
	v = e.viewOf("k")
	eq(t, "version after two overwrites", v.Version, int64(2))
	eq(t, "hits after gets (stats off)", v.Hits, int64(-1))
	// Remove and put again: a new record, version from 0.
	_, err := e.mp.Remove(e.ctx, "k")
	must(t, "Remove", err)
	e.put("k", "v4")
	eq(t, "version after remove + put", e.viewOf("k").Version, int64(0))

	// An entry with a TTL has a last-update time (whole seconds) and an
	// expiration time of lastUpdate + ttl.
	before := time.Now().UnixMilli()
	_, err = e.mp.PutWithTTL(e.ctx, "t", "v", 30*time.Second)
	must(t, "PutWithTTL", err)
	after := time.Now().UnixMilli()
	v = e.viewOf("t")
	if v.LastUpdateTime%1000 != 0 || v.LastUpdateTime < before-1000 || v.LastUpdateTime > after {
		t.Errorf("lastUpdateTime = %d; want whole seconds within [%d, %d]", v.LastUpdateTime, before-1000, after)
	}
	eq(t, "expirationTime - lastUpdateTime", v.ExpirationTime-v.LastUpdateTime, int64(30000))
	eq(t, "creationTime with ttl (stats off)", v.CreationTime, int64(-1))
	eq(t, "hits with ttl (stats off)", v.Hits, int64(-1))
}

// TestGetEntryViewPerEntryStats: with per-entry-stats-enabled the member
// keeps creation, update and access times (whole seconds) and counts hits.
// Reads that touch an entry (Get, ContainsKey, GetAll) add a hit; GetEntryView,
// ContainsValue, GetKeySet/GetValues/GetEntrySet do not.
func TestGetEntryViewPerEntryStats(t *testing.T) {
	e := setup(t, mapCfgStats)
	before := time.Now().UnixMilli()
	e.put("k", "v")
	after := time.Now().UnixMilli()
	v := e.viewOf("k")
	if v.CreationTime%1000 != 0 || v.CreationTime < before-1000 || v.CreationTime > after {
		t.Errorf("creationTime = %d; want whole seconds within [%d, %d]", v.CreationTime, before-1000, after)
	}
	eq(t, "lastUpdateTime at creation", v.LastUpdateTime, v.CreationTime)
	eq(t, "hits at creation", v.Hits, int64(0))
	// Hazelcast 5.7 reports 0 (not -1, not the creation time) until the
	// first access, and 0 for lastStoredTime without a MapStore.
	eq(t, "lastAccessTime before any access", v.LastAccessTime, int64(0))
	eq(t, "lastStoredTime", v.LastStoredTime, int64(0))
	eq(t, "version", v.Version, int64(0))

	hits := func(what string, want int64) {
		t.Helper()
		eq(t, "hits after "+what, e.viewOf("k").Hits, want)
	}
	hits("GetEntryView", 0)
	e.get("k")
	hits("Get", 1)
	_, err := e.mp.ContainsKey(e.ctx, "k")
	must(t, "ContainsKey", err)
	hits("ContainsKey", 2)
	_, err = e.mp.GetAll(e.ctx, "k")
	must(t, "GetAll", err)
	hits("GetAll", 3)
	_, err = e.mp.ContainsValue(e.ctx, "v")
	must(t, "ContainsValue", err)
	_, err = e.mp.GetKeySet(e.ctx)
	must(t, "GetKeySet", err)
	_, err = e.mp.GetValues(e.ctx)
	must(t, "GetValues", err)
	_, err = e.mp.GetEntrySet(e.ctx)
	must(t, "GetEntrySet", err)
	hits("ContainsValue, GetKeySet, GetValues, GetEntrySet", 3)
	v = e.viewOf("k")
	if v.LastAccessTime%1000 != 0 || v.LastAccessTime < before-1000 || v.LastAccessTime > time.Now().UnixMilli() {
		t.Errorf("lastAccessTime after Get = %d; want whole seconds since the put", v.LastAccessTime)
	}
}

// TestDestroy: Destroy drops the data and the locks; the name can be used
// again and starts empty.
func TestDestroy(t *testing.T) {
	e := setup(t)
	for i := 0; i < 20; i++ {
		e.put(i, i)
	}
	must(t, "Lock", e.mp.Lock(e.ctx, 1))
	must(t, "Destroy", e.mp.Destroy(e.ctx))
	mp, err := e.c.GetMap(e.ctx, e.mp.Name())
	must(t, "GetMap after Destroy", err)
	n, err := mp.Size(e.ctx)
	must(t, "Size", err)
	eq(t, "Size after Destroy", n, 0)
	v, err := mp.Get(e.ctx, 1)
	must(t, "Get", err)
	eq(t, "Get after Destroy", v, nil)
	locked, err := mp.IsLocked(e.ctx, 1)
	must(t, "IsLocked", err)
	eq(t, "IsLocked after Destroy", locked, false)
	_, err = mp.Put(e.ctx, "again", "v")
	must(t, "Put after Destroy", err)
	n, err = mp.Size(e.ctx)
	must(t, "Size", err)
	eq(t, "Size after a put into the re-created map", n, 1)
}

func TestMapsAreIndependent(t *testing.T) {
	e := setup(t)
	other, err := e.c.GetMap(e.ctx, e.mp.Name()+"-other")
	must(t, "GetMap", err)
	e.put("k", "a")
	_, err = other.Put(e.ctx, "k", "b")
	must(t, "Put", err)
	eq(t, "Get from the first map", e.get("k"), "a")
	v, err := other.Get(e.ctx, "k")
	must(t, "Get", err)
	eq(t, "Get from the second map", v, "b")
	must(t, "Clear", other.Clear(e.ctx))
	eq(t, "first map after clearing the second", e.size(), 1)
}

// TestLargeValue: an 8 MiB value makes the round trip intact.
func TestLargeValue(t *testing.T) {
	e := setup(t)
	big := make([]byte, 8<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>13)
	}
	eq(t, "Put of 8 MiB returns", e.put("big", big), nil)
	got, ok := e.get("big").([]byte)
	if !ok || len(got) != len(big) || string(got) != string(big) {
		t.Fatalf("Get of the 8 MiB value: %d bytes, equal=%v", len(got), string(got) == string(big))
	}
	big2 := append([]byte(nil), big...)
	big2[len(big2)-1] ^= 0xff
	old, ok := e.put("big", big2).([]byte)
	if !ok || string(old) != string(big) {
		t.Fatalf("Put over the 8 MiB value did not return it intact (%d bytes)", len(old))
	}
	es, err := e.mp.GetEntrySet(e.ctx)
	must(t, "GetEntrySet", err)
	if len(es) != 1 || string(es[0].Value.([]byte)) != string(big2) {
		t.Fatalf("GetEntrySet with an 8 MiB value: %d entries", len(es))
	}
	removed, err := e.mp.Remove(e.ctx, "big")
	must(t, "Remove", err)
	if r, ok := removed.([]byte); !ok || string(r) != string(big2) {
		t.Fatalf("Remove did not return the 8 MiB value intact")
	}
	// A big string too.
	s := strings.Repeat("memgrid-large-string-", (3<<20)/21)
	e.put("str", s)
	if g, _ := e.get("str").(string); g != s {
		t.Fatalf("3 MiB string changed in the round trip")
	}
}
