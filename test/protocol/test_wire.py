"""Bad input at the wire: the member answers what the clients expect, or
closes that one connection, logs one line, and keeps serving everyone else
without losing acknowledged writes."""
import struct
import threading

import pytest

from wire import (BEGIN, END, NULL, Conn, Member, error_code, request, string_data)

MAP_PUT, MAP_GET, MAP_SIZE = 0x010100, 0x010200, 0x012A00


@pytest.fixture
def member():
    m = Member("hazelcast:\n  cluster-name: dev\n  properties:\n"
               "    memgrid.client.max-message-bytes: 1048576\n")
    yield m
    rc = m.close()
    assert rc == 0, m.logtext()


def put(c, corr, key, value, name="m"):
    c.send(request(MAP_PUT, corr, 0, struct.pack("<qq", 0, -1),
                   [(name.encode(), 0), (string_data(key), 0), (string_data(value), 0)]))
    mtype, rcorr, msg = c.response()
    assert (mtype, rcorr) == (MAP_PUT + 1, corr)


def get(c, corr, key, name="m"):
    c.send(request(MAP_GET, corr, 0, struct.pack("<q", 0), [(name.encode(), 0), (string_data(key), 0)]))
    mtype, rcorr, msg = c.response()
    assert (mtype, rcorr) == (MAP_GET + 1, corr)
    flags, content = msg[1]
    return None if flags & NULL else content


def healthy(member, key="canary"):
    """Another client can still write and read back."""
    c = Conn(member.port)
    assert c.authenticate() == 0
    put(c, 10, key, "alive")
    assert get(c, 11, key) == string_data("alive")
    c.close()


def test_wire_vectors_put_get(member):
    c = Conn(member.port)
    assert c.authenticate() == 0
    put(c, 6, "k", "v")
    assert get(c, 7, "k") == string_data("v")
    c.send(request(MAP_SIZE, 8, -1, b"", [(b"m", 0)]))
    _, _, msg = c.response()
    assert struct.unpack_from("<i", msg[0][1], 13)[0] == 1


def test_wrong_cluster_name_gets_credentials_failed(member):
    c = Conn(member.port)
    assert c.authenticate("not-dev") == 1
    assert "wrong cluster name" in member.logtext()
    healthy(member)


def test_request_before_authentication_is_refused_and_closed(member):
    c = Conn(member.port)
    c.send(request(MAP_SIZE, 3, -1, b"", [(b"m", 0)]))
    mtype, corr, msg = c.response()
    assert (mtype, corr) == (0, 3)
    assert error_code(msg) == 3
    assert c.closed_by_peer()
    healthy(member)


def test_not_cp2_is_closed(member):
    c = Conn(member.port, preface=b"GET / HTTP/1.0\r\n\r\n")
    assert c.closed_by_peer()
    assert "no CP2 preface" in member.logtext()
    healthy(member)


def test_frame_shorter_than_header_closes_only_that_connection(member):
    c = Conn(member.port)
    assert c.authenticate() == 0
    c.send(struct.pack("<iH", 3, 0xE000))
    assert c.closed_by_peer()
    healthy(member)


def test_unknown_message_type_gets_error_61_and_connection_lives(member):
    c = Conn(member.port)
    assert c.authenticate() == 0
    c.send(request(0x7F0100, 5))
    mtype, corr, msg = c.response()
    assert (mtype, corr) == (0, 5)
    assert error_code(msg) == 61
    put(c, 6, "after", "still works")


def test_malformed_put_gets_error_23_and_connection_lives(member):
    c = Conn(member.port)
    assert c.authenticate() == 0
    c.send(request(MAP_PUT, 5, 0, b"\x00" * 4, [(b"m", 0)]))   # fixed params and key missing
    mtype, corr, msg = c.response()
    assert (mtype, corr) == (0, 5)
    assert error_code(msg) == 23
    put(c, 6, "after", "still works")


def test_oversized_message_is_refused_skipped_and_the_connection_goes_on(member):
    keeper = Conn(member.port)
    assert keeper.authenticate() == 0
    put(keeper, 2, "acknowledged", "kept")
    c = Conn(member.port)
    assert c.authenticate() == 0
    big = "x" * (2 << 20)   # 2 MiB value, limit is 1 MiB
    c.send(request(MAP_PUT, 9, 0, struct.pack("<qq", 0, -1),
                   [(b"m", 0), (string_data("big"), 0), (string_data(big), 0)]))
    mtype, corr, msg = c.response()
    assert (mtype, corr) == (0, 9)
    assert error_code(msg) == 23
    put(c, 10, "small", "fits")   # the same connection keeps working
    assert get(c, 11, "small") == string_data("fits")
    assert get(keeper, 3, "acknowledged") == string_data("kept")
    assert get(keeper, 4, "big") is None
    assert "exceeds memgrid.client.max-message-bytes" in member.logtext()
    healthy(member)


def test_impossible_frame_length_closes_only_that_connection(member):
    c = Conn(member.port)
    assert c.authenticate() == 0
    c.send(struct.pack("<iH", -5, 0xE000) + b"\x00" * 32)
    assert c.closed_by_peer()
    healthy(member)


def test_client_vanishing_mid_frame(member):
    c = Conn(member.port)
    assert c.authenticate() == 0
    whole = request(MAP_PUT, 5, 0, struct.pack("<qq", 0, -1),
                    [(b"m", 0), (string_data("k"), 0), (string_data("v"), 0)])
    c.send(whole[:len(whole) // 2])
    c.close()
    healthy(member)


def test_client_that_never_reads_does_not_grow_the_member(member):
    setter = Conn(member.port)
    assert setter.authenticate() == 0
    value = "v" * (512 << 10)
    put(setter, 2, "big", value)
    rss_before = member.rss_bytes()
    hog = Conn(member.port)
    assert hog.authenticate() == 0
    one = request(MAP_GET, 7, 0, struct.pack("<q", 0), [(b"m", 0), (string_data("big"), 0)])
    # 4000 answers of 512 KiB = 2 GiB if the member buffered them all.
    stop = threading.Event()

    def flood():
        hog.s.settimeout(0.5)
        sent = 0
        while not stop.is_set() and sent < 4000:
            try:
                hog.s.sendall(one)
                sent += 1
            except OSError:
                return
    t = threading.Thread(target=flood, daemon=True)
    t.start()
    t.join(timeout=8)
    stop.set()
    healthy(member)
    grown = member.rss_bytes() - rss_before
    assert grown < 400 << 20, f"member grew by {grown >> 20} MiB"
    hog.close()
    healthy(member, "canary2")


def test_closing_connection_does_not_wait_forever_for_a_client_that_never_reads(member):
    import os
    import time
    setter = Conn(member.port)
    assert setter.authenticate() == 0
    put(setter, 2, "big", "v" * (512 << 10))
    fds = lambda: len(os.listdir(f"/proc/{member.proc.pid}/fd"))
    baseline = fds()
    hog = Conn(member.port)
    assert hog.authenticate() == 0
    one = request(MAP_GET, 7, 0, struct.pack("<q", 0), [(b"m", 0), (string_data("big"), 0)])
    hog.send(one * 40)   # ~20 MiB of answers: more than the socket buffers, less than the pause mark
    hog.send(struct.pack("<iH", 3, 0xE000))   # an impossible frame: the member closes after flushing
    assert fds() == baseline + 1
    deadline = time.monotonic() + 15
    while fds() > baseline and time.monotonic() < deadline:
        time.sleep(0.1)
    assert fds() == baseline, "the member kept the socket of a client that never reads"
    assert "malformed frame" in member.logtext()
    hog.close()
    healthy(member)
