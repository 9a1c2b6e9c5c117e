'use strict';
// A loopback TCP relay placed between a client and the member. It forwards
// bytes unchanged both ways and decodes both directions into messages: frames
// of int32 LE length (including the 6-byte header) and uint16 LE flags; a
// message ends at the frame with IS_FINAL; its initial frame's content starts
// with the message type (int32) and the correlation id (int64). The client's
// stream starts with the 3-byte "CP2" preamble.

const net = require('node:net');

const IS_FINAL = 0x2000;
const IS_EVENT = 0x0200;

class MessageDecoder {
    constructor(preamble, onMessage) {
        this.onMessage = onMessage; // ({ type, corr, flags }) or null if the stream is not frames
        this.buf = Buffer.alloc(0);
        this.preamble = preamble;
        this.atStart = true;
        this.broken = false;
    }

    push(chunk) {
        if (this.broken) return;
        this.buf = Buffer.concat([this.buf, chunk]);
        if (this.preamble > 0) {
            const n = Math.min(this.preamble, this.buf.length);
            this.buf = this.buf.subarray(n);
            this.preamble -= n;
        }
        while (this.buf.length >= 6) {
            const len = this.buf.readInt32LE(0);
            if (len < 6) {
                this.broken = true;
                this.onMessage(null);
                return;
            }
            if (this.buf.length < len) return;
            const flags = this.buf.readUInt16LE(4);
            if (this.atStart && len >= 18) {
                this.onMessage({
                    type: this.buf.readInt32LE(6),
                    corr: this.buf.readBigInt64LE(10),
                    flags,
                });
            }
            this.atStart = (flags & IS_FINAL) !== 0;
            this.buf = this.buf.subarray(len);
        }
    }
}

// Returns an object with
//   address      where clients should connect
//   types        request types the clients sent, in order
//   requests     [{ type, corr }] in order (all connections)
//   replyTo(req) the reply message type for a request (0 = error), undefined if none yet
//   broken       true if either stream could not be decoded
//   connections  number of accepted connections
//   close()
// Correlation ids are per connection; each connection is numbered.
function startTap(upstreamPort) {
    const requests = [];
    const replies = new Map(); // `${conn}/${corr}` -> reply type
    const sockets = new Set();
    let connections = 0;
    let broken = false;
    const server = net.createServer((down) => {
        const conn = ++connections;
        const up = net.connect(upstreamPort, '127.0.0.1');
        sockets.add(down);
        sockets.add(up);
        const fromClient = new MessageDecoder(3, (m) => {
            if (!m) { broken = true; return; }
            requests.push({ conn, type: m.type, corr: m.corr });
        });
        const fromMember = new MessageDecoder(0, (m) => {
            if (!m) { broken = true; return; }
            if ((m.flags & IS_EVENT) === 0) replies.set(`${conn}/${m.corr}`, m.type);
        });
        down.on('data', (d) => { fromClient.push(d); up.write(d); });
        up.on('data', (d) => { fromMember.push(d); down.write(d); });
        const done = () => { down.destroy(); up.destroy(); };
        for (const s of [down, up]) {
            s.on('close', done);
            s.on('error', done);
        }
    });
    return new Promise((resolve, reject) => {
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            resolve({
                address: `127.0.0.1:${server.address().port}`,
                get types() { return requests.map((r) => r.type); },
                get requests() { return requests.slice(); },
                replyTo: (req) => replies.get(`${req.conn}/${req.corr}`),
                get broken() { return broken; },
                get connections() { return connections; },
                close: () => new Promise((r) => {
                    for (const s of sockets) s.destroy();
                    server.close(() => r());
                }),
            });
        });
    });
}

module.exports = { startTap };
