"""Integration tests: the official Hazelcast Python client 5.7.0 against one
member (memgrid by default, Hazelcast 5.7 with MEMGRID_TARGET=hazelcast)."""

import threading
import time

import pytest
import hazelcast
from hazelcast.errors import (HazelcastSerializationError, IllegalMonitorStateError,
                              IllegalStateError)
from hazelcast.lifecycle import LifecycleState
from hazelcast.proxy.base import EntryEventType

from harness.tap import Tap
from harness.clientcfg import CLUSTER, client_config

# Request message types (client-protocol.md §6, §13.3).
AUTHENTICATION = 0x000100
ADD_CLUSTER_VIEW_LISTENER = 0x000300
CREATE_PROXY = 0x000400
STATISTICS = 0x000C00
LOCAL_BACKUP_LISTENER = 0x000F00


def wait_until(fn, timeout, step=0.05):
    """Poll fn() until truthy or timeout seconds passed; returns the last value."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def test_connect_backup_listener_statistics_and_idle(member, client):
    # `client` ensures the member is ready. This one goes through a tap that
    # records the request types the client sends.
    tap = Tap(member.port)
    states = []
    c = None
    try:
        c = hazelcast.HazelcastClient(**client_config(
            tap.address,
            lifecycle_listeners=[states.append],
            statistics_enabled=True,   # off by default in Python
            statistics_period=2.0,
        ))
        assert states == [LifecycleState.STARTING, LifecycleState.STARTED,
                          LifecycleState.CONNECTED]
        assert len(c.cluster_service.get_members()) == 1
        assert c.partition_service.get_partition_count() == 271

        time.sleep(6.5)  # idle: several statistics rounds, heartbeat checks

        assert states == [LifecycleState.STARTING, LifecycleState.STARTED,
                          LifecycleState.CONNECTED], "no lifecycle change while idle"
        assert c.lifecycle_service.is_running()

        seen = tap.types
        assert seen[0] == AUTHENTICATION
        assert ADD_CLUSTER_VIEW_LISTENER in seen
        assert LOCAL_BACKUP_LISTENER in seen
        assert seen.count(STATISTICS) >= 2, f"statistics sent {seen.count(STATISTICS)} times"

        # Each Statistics / LocalBackupListener request got its own response
        # (type + 1): not an error (type 0), not silence.
        wanted = [r for r in tap.requests if r[1] in (STATISTICS, LOCAL_BACKUP_LISTENER)]
        wait_until(lambda: all(tap.reply_to(r) is not None for r in wanted), 3)
        for r in wanted:
            assert tap.reply_to(r) == r[1] + 1, f"reply to {r[1]:#08x} corr {r[2]}"
        assert not tap.broken, "both streams decode as frames"

        m = c.get_map("after-idle").blocking()
        m.put("k", "v")
        assert m.get("k") == "v"
        assert CREATE_PROXY in tap.types
    finally:
        if c is not None:
            c.shutdown()
        tap.close()


def test_wrong_cluster_name_is_refused(member, client):
    t0 = time.monotonic()
    with pytest.raises(IllegalStateError) as info:
        hazelcast.HazelcastClient(**client_config(
            member.address, cluster_name="not-" + CLUSTER,
            cluster_connect_timeout=3.0, retry_max_backoff=0.5))
    assert "Unable to connect to any cluster" in str(info.value)
    took = time.monotonic() - t0
    assert took < 15, f"gave up after {took:.1f} s"


def test_put_get_size(client):
    m = client.get_map("basic").blocking()
    assert m.size() == 0
    assert m.get("missing") is None
    assert m.put("a", "one") is None
    assert m.put("a", "uno") == "one"
    assert m.put("b", "two") is None
    assert m.get("a") == "uno"
    assert m.get("b") == "two"
    assert m.size() == 2
    assert m.remove("a") == "uno"
    assert m.get("a") is None
    assert m.size() == 1
    other = client.get_map("basic-other").blocking()
    assert other.get("b") is None
    assert other.size() == 0


def test_strings_and_numbers(client):
    m = client.get_map("types").blocking()
    strings = ["", "plain", "héllo wörld", "日本語テキスト", "emoji 🎉 ok", "x" * 100000]
    for i, s in enumerate(strings):
        m.put(f"s{i}", s)
        m.put(s, i)
    for i, s in enumerate(strings):
        assert m.get(f"s{i}") == s
        assert m.get(s) == i

    # With the default int type (INT) Python ints serialize as Integer (type
    # -7) and anything outside int32 is refused by the client itself; floats are
    # Double (-10).
    ser = client._serialization_service  # private, only to document the wire type
    assert ser.to_data(7).get_type() == -7
    assert ser.to_data(7.0).get_type() == -10
    with pytest.raises(HazelcastSerializationError):
        m.put(2 ** 31, "too big for int32")

    ints = [0, 1, -1, 42, 2 ** 31 - 1, -(2 ** 31)]
    for n in ints:
        m.put(n, n // 7)
    for n in ints:
        assert m.get(n) == n // 7, f"key {n}"
    floats = [0.5, -2.25, 1e300]
    for f in floats:
        m.put(f, f / 2)
    for f in floats:
        assert m.get(f) == f / 2

    # Same digits, different types: different keys.
    assert m.get("42") is None
    assert m.get(42.0) is None
    m.put("42", "string")
    m.put(42.0, "double")
    assert m.get(42) == 6
    assert m.get("42") == "string"
    assert m.get(42.0) == "double"
    assert m.size() == 2 * len(strings) + len(ints) + len(floats) + 2


def test_put_all_get_all_1000(client):
    m = client.get_map("bulk").blocking()
    entries = {f"key-{i}": f"value-{i}" for i in range(1000)}
    m.put_all(entries)
    assert m.size() == 1000

    got = m.get_all(list(entries) + ["absent-1", "absent-2"])
    assert got == entries, "all 1000 back, missing keys left out"

    int_entries = {i: i * i for i in range(1000)}
    m.put_all(int_entries)
    assert m.size() == 2000
    assert m.get_all(list(range(1000))) == int_entries

    m.put_all({k: "new" for k in list(entries)[:500]})
    assert m.size() == 2000
    assert m.get("key-0") == "new"
    assert m.get("key-500") == "value-500"


def test_entry_listener_events(client):
    m = client.get_map("events").blocking()
    events = []
    lock = threading.Lock()

    def rec(kind):
        def handler(e):
            with lock:
                events.append((kind, e))
        return handler

    reg = m.add_entry_listener(include_value=True, added_func=rec("added"),
                               updated_func=rec("updated"), removed_func=rec("removed"),
                               clear_all_func=rec("cleared"))
    # A second registration without values: keys only (client-protocol.md §12.2).
    bare = []
    bare_reg = m.add_entry_listener(
        include_value=False,
        added_func=lambda e: bare.append((e.event_type, e.key, e.value, e.old_value)),
        updated_func=lambda e: bare.append((e.event_type, e.key, e.value, e.old_value)),
        removed_func=lambda e: bare.append((e.event_type, e.key, e.value, e.old_value)))
    member_uuid = client.cluster_service.get_members()[0].uuid

    # Hazelcast orders events per key only (imap-semantics.md §3.4), so each
    # step waits for its events before the next key is touched.
    m.put("k1", "1")
    m.put("k1", "2")
    m.remove("k1")
    assert wait_until(lambda: len(events) >= 3, 10), "k1 events"
    m.put("k2", "x")
    m.put("k3", "y")
    assert wait_until(lambda: len(events) >= 5, 10), "k2/k3 events"
    m.clear()
    assert wait_until(lambda: len(events) >= 6, 10), "clear event"

    assert [k for k, _ in events] == ["added", "updated", "removed", "added", "added", "cleared"]
    # k2 and k3 sit in different partitions: either may come first.
    events[3:5] = sorted(events[3:5], key=lambda ke: ke[1].key)

    def fields(i):
        e = events[i][1]
        return (e.event_type, e.key, e.value, e.old_value, e.merging_value,
                e.number_of_affected_entries)

    assert fields(0) == (EntryEventType.ADDED, "k1", "1", None, None, 1)
    assert fields(1) == (EntryEventType.UPDATED, "k1", "2", "1", None, 1)
    assert fields(2) == (EntryEventType.REMOVED, "k1", None, "2", None, 1)
    assert fields(3) == (EntryEventType.ADDED, "k2", "x", None, None, 1)
    assert fields(4) == (EntryEventType.ADDED, "k3", "y", None, None, 1)
    assert fields(5) == (EntryEventType.CLEAR_ALL, None, None, None, None, 2)
    for _, e in events:
        assert e.uuid == member_uuid

    assert wait_until(lambda: len(bare) >= 5, 10), "events without values"
    assert bare[:3] == [(EntryEventType.ADDED, "k1", None, None),
                        (EntryEventType.UPDATED, "k1", None, None),
                        (EntryEventType.REMOVED, "k1", None, None)]
    assert sorted(bare[3:]) == [(EntryEventType.ADDED, "k2", None, None),
                                (EntryEventType.ADDED, "k3", None, None)]

    m.clear()  # empty map: no event
    time.sleep(0.5)
    assert len(events) == 6
    assert len(bare) == 5, "CLEAR_ALL not wanted by the second listener"
    assert m.remove_entry_listener(reg) is True
    assert m.remove_entry_listener(bare_reg) is True


def test_remove_entry_listener(client):
    m = client.get_map("unlisten").blocking()
    seen = []
    reg = m.add_entry_listener(include_value=True, added_func=lambda e: seen.append(e.key))
    m.put("before", 1)
    assert wait_until(lambda: len(seen) == 1, 10)
    assert seen == ["before"]

    assert m.remove_entry_listener(reg) is True
    m.put("after", 2)
    time.sleep(1.0)
    assert seen == ["before"]
    assert m.get("after") == 2


def test_ttl_expiry(client):
    m = client.get_map("ttl").blocking()
    m.put("short", "gone soon", ttl=1)  # seconds in the Python API
    m.put("forever", "stays")
    assert m.get("short") == "gone soon"
    t0 = time.monotonic()
    assert wait_until(lambda: m.get("short") is None, 10, 0.2), "still there after 10 s"
    took = time.monotonic() - t0
    assert took < 5, f"expired after {took:.1f} s"
    assert m.get("forever") == "stays"
    assert wait_until(lambda: m.size() == 1, 5, 0.2), "size counts only the live entry"


def test_lock_smoke(client, make_client):
    m = client.get_map("locks").blocking()
    other = make_client().get_map("locks").blocking()

    assert m.is_locked("k") is False
    m.lock("k")
    assert m.is_locked("k") is True
    assert other.is_locked("k") is True
    assert other.try_lock("k") is False, "another client cannot take it"
    assert m.size() == 0, "locking an absent key creates no entry"

    m.lock("k")  # re-entrant for the same owner (client, thread)
    m.unlock("k")
    assert m.is_locked("k") is True
    m.unlock("k")
    assert m.is_locked("k") is False

    with pytest.raises(IllegalMonitorStateError):
        m.unlock("k")

    assert other.try_lock("k") is True
    assert m.is_locked("k") is True
    with pytest.raises(IllegalMonitorStateError):
        m.unlock("k")  # not the owner
    other.unlock("k")
    assert m.is_locked("k") is False

    # A lease releases the lock by itself.
    m.lock("leased", lease_time=1)
    assert m.is_locked("leased") is True
    assert wait_until(lambda: not m.is_locked("leased"), 10, 0.2), "lease did not run out"
