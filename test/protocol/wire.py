"""A minimal client-protocol speaker for tests that must send what official
clients never send: malformed frames, oversized messages, requests before
authentication.  Layout per client-protocol.md §3-8."""
import os
import signal
import socket
import struct
import subprocess
import tempfile
import time
import uuid as uuidlib

BEGIN, END, FINAL, NULL, UNFRAG, EVENT = 0x1000, 0x0800, 0x2000, 0x0400, 0xC000, 0x0200


def frame(content: bytes, flags: int = 0) -> bytes:
    return struct.pack("<iH", 6 + len(content), flags) + content


def request(mtype: int, corr: int, partition: int = -1, fixed: bytes = b"", frames=()) -> bytes:
    """A whole message: initial frame + variable frames, FINAL on the last."""
    initial = struct.pack("<iqi", mtype, corr, partition) + fixed
    parts = [(initial, UNFRAG)] + [(c, f) for c, f in frames]
    out = b""
    for i, (c, f) in enumerate(parts):
        out += frame(c, f | (FINAL if i == len(parts) - 1 else 0))
    return out


def string_data(s: str) -> bytes:
    """Serialized Data of a Java/Go string: partition hash 0, type -11, length, bytes."""
    b = s.encode()
    return struct.pack(">iii", 0, -11, len(b)) + b


def uuid_bytes(u: uuidlib.UUID) -> bytes:
    msb, lsb = struct.unpack(">qq", u.bytes)
    return b"\x00" + struct.pack("<qq", msb, lsb)


def auth_request(corr: int, cluster: str = "dev") -> bytes:
    return request(0x000100, corr, -1, uuid_bytes(uuidlib.uuid4()) + b"\x01", [
        (cluster.encode(), 0), (b"", NULL), (b"", NULL), (b"PYW", 0), (b"5.7.0", 0),
        (b"wire-test", 0), (b"", BEGIN), (b"", END)])


class Conn:
    def __init__(self, port: int, preface: bytes = b"CP2"):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        if preface:
            self.s.sendall(preface)

    def send(self, data: bytes):
        self.s.sendall(data)

    def read_message(self, timeout: float = 10.0):
        """Returns a list of (flags, content) frames of one message, or None on EOF."""
        self.s.settimeout(timeout)
        frames = []
        while True:
            while len(self.buf) < 6:
                chunk = self.s.recv(65536)
                if not chunk:
                    return None
                self.buf += chunk
            length, flags = struct.unpack_from("<iH", self.buf)
            while len(self.buf) < length:
                chunk = self.s.recv(1 << 20)
                if not chunk:
                    return None
                self.buf += chunk
            frames.append((flags, self.buf[6:length]))
            self.buf = self.buf[length:]
            if flags & FINAL:
                return frames

    def response(self, timeout: float = 10.0):
        """Skips events; returns (type, corr, frames) of the next response."""
        while True:
            msg = self.read_message(timeout)
            if msg is None:
                return None
            flags, c = msg[0]
            if flags & EVENT:
                continue
            mtype, corr = struct.unpack_from("<iq", c)
            return mtype, corr, msg

    def closed_by_peer(self, timeout: float = 5.0) -> bool:
        self.s.settimeout(timeout)
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def authenticate(self, cluster: str = "dev"):
        self.send(auth_request(1, cluster))
        mtype, corr, msg = self.response()
        assert mtype == 0x000101, hex(mtype)
        return msg[0][1][13]  # status byte

    def close(self):
        self.s.close()


def error_code(msg) -> int:
    """Error code of an error message (type 0): list BEGIN, holder BEGIN, [code]."""
    assert struct.unpack_from("<i", msg[0][1])[0] == 0
    return struct.unpack_from("<i", msg[3][1])[0]


class Member:
    """A memgrid member on an ephemeral loopback port, stopped on close()."""

    def __init__(self, yaml_text: str = None):
        self.dir = tempfile.mkdtemp(prefix="mg-wire-")
        binary = os.environ.get("MEMGRID_BIN") or os.path.join(
            os.path.dirname(__file__), "..", "..", "build", "memgrid")
        args = [binary, "--port", "0", "--port-file", os.path.join(self.dir, "port")]
        if os.environ.get("MEMGRID_WORKERS"):   # cover hand-offs between workers too
            args += ["--workers", os.environ["MEMGRID_WORKERS"]]
        if yaml_text:
            path = os.path.join(self.dir, "hazelcast.yaml")
            with open(path, "w") as f:
                f.write(yaml_text)
            args += ["--config", path]
        self.log = open(os.path.join(self.dir, "member.log"), "w+")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        portfile = os.path.join(self.dir, "port")
        while not os.path.exists(portfile):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("member did not start:\n" + self.logtext())
            time.sleep(0.01)
        self.port = int(open(portfile).read())
        self.ping()   # readiness: a protocol-level round trip

    def ping(self):
        c = Conn(self.port)
        assert c.authenticate() == 0
        c.send(request(0x000B00, 2))
        mtype, corr, _ = c.response()
        assert (mtype, corr) == (0x000B01, 2)
        c.close()

    def logtext(self) -> str:
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.proc.pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def close(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode
