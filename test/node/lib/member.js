'use strict';
// Starts one member for a test suite: either a memgrid binary or a real
// Hazelcast 5.7 member (MEMGRID_TARGET=hazelcast). Everything listens on
// 127.0.0.1 only; every process started here is killed by stop().

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const DEFAULT_JAR = path.join(os.homedir(), '.m2', 'repository', 'com', 'hazelcast',
    'hazelcast', '5.7.0', 'hazelcast-5.7.0.jar');

function target() {
    const t = (process.env.MEMGRID_TARGET || 'memgrid').toLowerCase();
    if (t !== 'memgrid' && t !== 'hazelcast') {
        throw new Error(`MEMGRID_TARGET must be "memgrid" or "hazelcast", got "${t}"`);
    }
    return t;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Asks the kernel for a free loopback port. The port is released before the
// member binds it, so another process could grab it in between; that race is
// accepted for tests.
function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

// YAML shared by both targets. memgrid reads the same hazelcast.yaml keys.
function memberYaml(clusterName, port) {
    const lines = [
        'hazelcast:',
        `  cluster-name: ${clusterName}`,
    ];
    if (port !== undefined) {
        // Hazelcast only: pin the address to loopback, never phone home.
        lines.push(
            '  properties:',
            '    hazelcast.local.localAddress: 127.0.0.1',
            '    hazelcast.socket.bind.any: false',
            '    hazelcast.phone.home.enabled: false',
            '  network:',
            '    port:',
            '      auto-increment: false',
            `      port: ${port}`,
            '    join:',
            '      auto-detection:',
            '        enabled: false',
            '      multicast:',
            '        enabled: false',
            '      tcp-ip:',
            '        enabled: true',
            '        member-list:',
            `          - 127.0.0.1:${port}`,
        );
    } else {
        lines.push(
            '  network:',
            '    join:',
            '      multicast:',
            '        enabled: false',
            '      tcp-ip:',
            '        enabled: true',
            '        member-list:',
            '          - 127.0.0.1',
        );
    }
    return lines.join('\n') + '\n';
}

function tail(file, max = 4000) {
    try {
        const s = fs.readFileSync(file, 'utf8');
        return s.length > max ? '…' + s.slice(-max) : s;
    } catch (e) {
        return `(no log: ${e.message})`;
    }
}

class Member {
    constructor(kind, proc, port, dir, logFile) {
        this.kind = kind;
        this.proc = proc;
        this.port = port;
        this.address = `127.0.0.1:${port}`;
        this.dir = dir;
        this.logFile = logFile;
        this.exited = false;
        proc.on('exit', () => { this.exited = true; });
    }

    logTail() {
        return tail(this.logFile);
    }

    async stop() {
        if (!this.exited) {
            try { process.kill(-this.proc.pid, 'SIGTERM'); } catch (_) { /* gone */ }
            for (let i = 0; i < 50 && !this.exited; i++) await sleep(100);
            if (!this.exited) {
                try { process.kill(-this.proc.pid, 'SIGKILL'); } catch (_) { /* gone */ }
                for (let i = 0; i < 20 && !this.exited; i++) await sleep(100);
            }
        }
        if (!process.env.MEMGRID_KEEP_LOGS) {
            fs.rmSync(this.dir, { recursive: true, force: true });
        }
    }
}

// Processes started by this module, killed on exit even if a test crashed.
const live = new Set();
function killAll() {
    for (const p of live) {
        try { process.kill(-p.pid, 'SIGKILL'); } catch (_) { /* gone */ }
    }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
        killAll();
        process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
}

function launch(cmd, args, dir, env) {
    const logFile = path.join(dir, 'member.log');
    const fd = fs.openSync(logFile, 'a');
    const proc = spawn(cmd, args, {
        cwd: dir,
        env: { ...process.env, ...env },
        stdio: ['ignore', fd, fd],
        detached: true, // own process group: stop() kills the whole group
    });
    fs.closeSync(fd);
    live.add(proc);
    proc.on('exit', () => live.delete(proc));
    return { proc, logFile };
}

async function startMemgrid(clusterName, dir) {
    const bin = process.env.MEMGRID_BIN || path.join(REPO_ROOT, 'build', 'memgrid');
    if (!fs.existsSync(bin)) {
        throw new Error(`memgrid binary not found at ${bin} (set MEMGRID_BIN or build it)`);
    }
    const cfg = path.join(dir, 'member.yaml');
    const portFile = path.join(dir, 'port');
    fs.writeFileSync(cfg, memberYaml(clusterName));
    const { proc, logFile } = launch(bin,
        ['--config', cfg, '--port', '0', '--port-file', portFile], dir, {});
    let exited = null;
    proc.on('exit', (code, sig) => { exited = `exit code ${code}, signal ${sig}`; });
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
        if (exited) break;
        let text = '';
        try { text = fs.readFileSync(portFile, 'utf8'); } catch (_) { /* not yet */ }
        if (/^\d+\n/.test(text)) {
            const port = Number.parseInt(text, 10);
            return new Member('memgrid', proc, port, dir, logFile);
        }
        await sleep(50);
    }
    const m = new Member('memgrid', proc, 0, dir, logFile);
    const why = exited ? `memgrid ${exited}` : 'port file not written within 15 s';
    const log = m.logTail();
    await m.stop();
    throw new Error(`${why}; log:\n${log}`);
}

async function startHazelcast(clusterName, dir) {
    const jar = process.env.HAZELCAST_JAR || DEFAULT_JAR;
    if (!fs.existsSync(jar)) {
        throw new Error(`Hazelcast jar not found at ${jar}; run: mvn -q dependency:get ` +
            '-Dtransitive=false -Dartifact=com.hazelcast:hazelcast:5.7.0');
    }
    const port = await freePort();
    const cfg = path.join(dir, 'hazelcast.yaml');
    fs.writeFileSync(cfg, memberYaml(clusterName, port));
    const { proc, logFile } = launch('java', [
        '-Xms64m', '-Xmx512m',
        `-Dhazelcast.config=${cfg}`,
        '-Dhazelcast.local.localAddress=127.0.0.1',
        '-Dhazelcast.phone.home.enabled=false',
        '-cp', jar, 'com.hazelcast.core.server.HazelcastMemberStarter',
    ], dir, { HZ_PHONE_HOME_ENABLED: 'false' });
    return new Member('hazelcast', proc, port, dir, logFile);
}

// Starts a member; readiness (a client can connect) is checked by the caller
// with waitReady(), because only a real client connection proves it.
async function startMember(clusterName) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `memgrid-node-${clusterName}-`));
    return target() === 'hazelcast'
        ? startHazelcast(clusterName, dir)
        : startMemgrid(clusterName, dir);
}

module.exports = { startMember, target, sleep, freePort };
