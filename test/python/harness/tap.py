"""A loopback TCP relay between a client and the member that forwards bytes
unchanged and decodes both directions into messages: frames (int32 LE length
including the 6-byte header, uint16 LE flags); a message ends at the frame with
IS_FINAL (0x2000); its initial frame's content starts with the message type
(int32) and the correlation id (int64). The client's stream starts with the
3-byte "CP2" preamble."""

import socket
import struct
import threading

IS_FINAL = 0x2000
IS_EVENT = 0x0200


class _FrameDecoder:
    def __init__(self, preamble, on_message):
        self._on_message = on_message  # (type, corr, flags), or None: not a frame stream
        self._buf = b""
        self._preamble = preamble
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
                self._on_message(None)
                return
            if len(self._buf) < length:
                return
            if self._at_start and length >= 18:
                self._on_message(struct.unpack_from("<iq", self._buf, 6) + (flags,))
            self._at_start = bool(flags & IS_FINAL)
            self._buf = self._buf[length:]


class Tap:
    def __init__(self, upstream_port):
        self._upstream_port = upstream_port
        self._lock = threading.Lock()
        self._requests = []   # (conn, type, corr) in order
        self._replies = {}    # (conn, corr) -> reply type (0 = error)
        self.broken = False
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
        """Request types the clients sent, in order."""
        with self._lock:
            return [t for _, t, _ in self._requests]

    @property
    def requests(self):
        """(conn, type, corr) of every request, in order; corr is per conn."""
        with self._lock:
            return list(self._requests)

    def reply_to(self, request):
        """Reply type for a request from `requests`, None if none seen yet."""
        conn, _, corr = request
        with self._lock:
            return self._replies.get((conn, corr))

    def _on_request(self, conn, m):
        with self._lock:
            if m is None:
                self.broken = True
            else:
                self._requests.append((conn, m[0], m[1]))

    def _on_reply(self, conn, m):
        with self._lock:
            if m is None:
                self.broken = True
            elif not m[2] & IS_EVENT:
                self._replies[(conn, m[1])] = m[0]

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
                conn = self.connections
                self._sockets += [down, up]
            from_client = _FrameDecoder(3, lambda m, c=conn: self._on_request(c, m))
            from_member = _FrameDecoder(0, lambda m, c=conn: self._on_reply(c, m))
            threading.Thread(target=self._pump, args=(down, up, from_client), daemon=True).start()
            threading.Thread(target=self._pump, args=(up, down, from_member), daemon=True).start()

    @staticmethod
    def _pump(src, dst, decoder):
        src.settimeout(None)
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
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
