'use strict';
// A loopback TCP relay placed between a client and the member. It forwards
// bytes unchanged both ways and decodes the client-to-member stream into
// message types (after the 3-byte "CP2" preamble: frames of int32 length,
// uint16 flags; a message ends at the frame with IS_FINAL; the message type is
// the first int32 of the initial frame's content).

const net = require('node:net');

const IS_FINAL = 0x2000;

class FrameCounter {
    constructor(onMessage) {
        this.onMessage = onMessage;
        this.buf = Buffer.alloc(0);
        this.preamble = 3;
        this.atStart = true;
    }

    push(chunk) {
        this.buf = Buffer.concat([this.buf, chunk]);
        if (this.preamble > 0) {
            const n = Math.min(this.preamble, this.buf.length);
            this.buf = this.buf.subarray(n);
            this.preamble -= n;
        }
        while (this.buf.length >= 6) {
            const len = this.buf.readInt32LE(0);
            if (len < 6) { // not a frame stream; stop decoding
                this.buf = Buffer.alloc(0);
                this.onMessage(-1);
                return;
            }
            if (this.buf.length < len) return;
            const flags = this.buf.readUInt16LE(4);
            if (this.atStart && len >= 10) this.onMessage(this.buf.readInt32LE(6));
            this.atStart = (flags & IS_FINAL) !== 0;
            this.buf = this.buf.subarray(len);
        }
    }
}

// Returns { address, types (array of every request type seen, in order),
//           connections (count), close() }.
function startTap(upstreamPort) {
    const state = { types: [], connections: 0, sockets: new Set() };
    const server = net.createServer((down) => {
        state.connections++;
        const up = net.connect(upstreamPort, '127.0.0.1');
        state.sockets.add(down);
        state.sockets.add(up);
        const counter = new FrameCounter((t) => state.types.push(t));
        down.on('data', (d) => { counter.push(d); up.write(d); });
        up.on('data', (d) => down.write(d));
        const done = () => { down.destroy(); up.destroy(); };
        down.on('close', done);
        up.on('close', done);
        down.on('error', done);
        up.on('error', done);
    });
    return new Promise((resolve, reject) => {
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            resolve({
                address: `127.0.0.1:${server.address().port}`,
                get types() { return state.types; },
                get connections() { return state.connections; },
                close: () => new Promise((r) => {
                    for (const s of state.sockets) s.destroy();
                    server.close(() => r());
                }),
            });
        });
    });
}

module.exports = { startTap };
