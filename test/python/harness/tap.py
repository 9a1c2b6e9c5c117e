"""A loopback TCP relay between a client and the member that forwards bytes
unchanged and decodes the client-to-member stream into message types: after the
3-byte "CP2" preamble come frames (int32 LE length including the 6-byte header,
uint16 LE flags); a message ends at the frame with IS_FINAL (0x2000) and its type
is the first int32 of its initial frame's content."""

import socket
import struct
import threading

IS_FINAL = 0x2000


class _FrameDecoder:
    def __init__(self, on_message):
        self._on_message = on_message
        self._buf = b""
        self._preamble = 3
        self._at_start = True
        self._broken = False

    def feed(self, chunk):
        if self._broken:
            return
        self._buf += chunk
        if self._preamble:
            n = min(self._preamble, len(self._buf))
            self._buf = self._buf[n:]
            self._preamble -= n
        while len(self._buf) >= 6:
            length, flags = struct.unpack_from("<iH", self._buf, 0)
            if length < 6:
                self._broken = True
                self._on_message(-1)
                return
            if len(self._buf) < length:
                return
            if self._at_start and length >= 10:
                self._on_message(struct.unpack_from("<i", self._buf, 6)[0])
            self._at_start = bool(flags & IS_FINAL)
            self._buf = self._buf[length:]


class Tap:
    def __init__(self, upstream_port):
        self._upstream_port = upstream_port
        self._lock = threading.Lock()
        self._types = []
        self.connections = 0
        self._sockets = []
        self._closed = False
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(8)
        self._server.settimeout(0.2)
        self.address = f"127.0.0.1:{self._server.getsockname()[1]}"
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    @property
    def types(self):
        with self._lock:
            return list(self._types)

    def _record(self, t):
        with self._lock:
            self._types.append(t)

    def _accept_loop(self):
        while not self._closed:
            try:
                down, _ = self._server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                up = socket.create_connection(("127.0.0.1", self._upstream_port), timeout=5)
            except OSError:
                down.close()
                continue
            with self._lock:
                self.connections += 1
                self._sockets += [down, up]
            decoder = _FrameDecoder(self._record)
            threading.Thread(target=self._pump, args=(down, up, decoder), daemon=True).start()
            threading.Thread(target=self._pump, args=(up, down, None), daemon=True).start()

    @staticmethod
    def _pump(src, dst, decoder):
        src.settimeout(None)
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if decoder:
                    decoder.feed(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self._closed = True
        self._server.close()
        with self._lock:
            socks = list(self._sockets)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self._acceptor.join(timeout=2)
