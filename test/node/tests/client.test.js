'use strict';
// Integration tests: the official Hazelcast Node.js client 5.7.0 against one
// member (memgrid by default, Hazelcast 5.7 with MEMGRID_TARGET=hazelcast).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Client, IllegalStateError, LifecycleState } = require('hazelcast-client');
const { startMember, target, sleep } = require('../lib/member');
const { startTap } = require('../lib/tap');
const { clientConfig, connectWhenReady, waitUntil } = require('../lib/client');

const CLUSTER = 'node-test';
const T = { timeout: 30000 };

// Request message types (client-protocol.md §6, §13.2).
const MSG = {
    AUTHENTICATION: 0x000100,
    ADD_CLUSTER_VIEW_LISTENER: 0x000300,
    CREATE_PROXY: 0x000400,
    STATISTICS: 0x000C00,
    LOCAL_BACKUP_LISTENER: 0x000F00,
};

describe(`hazelcast-client 5.7.0 (Node) against ${target()}`, { timeout: 180000 }, () => {
    let member;
    let client; // shared by the data tests

    before(async () => {
        member = await startMember(CLUSTER);
        client = await connectWhenReady(member, CLUSTER, target() === 'hazelcast' ? 90000 : 15000);
    }, { timeout: 120000 });

    after(async () => {
        if (client) await client.shutdown().catch(() => {});
        if (member) await member.stop();
    }, { timeout: 20000 });

    it('connects, registers the backup listener, sends statistics and stays connected while idle', T, async () => {
        const tap = await startTap(member.port);
        const states = [];
        let c;
        try {
            c = await Client.newHazelcastClient(clientConfig(tap.address, CLUSTER, {
                lifecycleListeners: [(s) => states.push(s)],
                metrics: { enabled: true, collectionFrequencySeconds: 5 },
            }));
            assert.deepEqual(states, [LifecycleState.STARTING, LifecycleState.STARTED,
                LifecycleState.CONNECTED]);

            const members = c.getCluster().getMembers();
            assert.equal(members.length, 1, 'one member in the cluster view');
            assert.equal(c.getPartitionService().getPartitionCount(), 271);

            // Idle for longer than one statistics period (5 s, the first right
            // after start-up), so the member has to answer at least one more.
            await sleep(6500);

            assert.deepEqual(states, [LifecycleState.STARTING, LifecycleState.STARTED,
                LifecycleState.CONNECTED], 'no lifecycle change while idle');
            assert.equal(c.getLifecycleService().isRunning(), true);

            const seen = tap.types;
            assert.equal(seen[0], MSG.AUTHENTICATION, 'first request is Client.Authentication');
            assert.ok(seen.includes(MSG.ADD_CLUSTER_VIEW_LISTENER), 'AddClusterViewListener sent');
            assert.ok(seen.includes(MSG.LOCAL_BACKUP_LISTENER), 'LocalBackupListener sent');
            const stats = seen.filter((t) => t === MSG.STATISTICS).length;
            assert.ok(stats >= 2, `at least two Client.Statistics sent (saw ${stats})`);

            // Every Statistics and LocalBackupListener request got its own
            // response (type + 1), not an error (type 0) and not silence.
            const wanted = tap.requests.filter((r) =>
                r.type === MSG.STATISTICS || r.type === MSG.LOCAL_BACKUP_LISTENER);
            await waitUntil(() => wanted.every((r) => tap.replyTo(r) !== undefined), 3000);
            for (const r of wanted) {
                assert.equal(tap.replyTo(r), r.type + 1,
                    `reply to 0x${r.type.toString(16)} corr ${r.corr}`);
            }
            assert.equal(tap.broken, false, 'both streams decode as frames');

            // The connection is still usable after the idle period.
            const m = await c.getMap('after-idle');
            await m.put('k', 'v');
            assert.equal(await m.get('k'), 'v');
            assert.ok(tap.types.includes(MSG.CREATE_PROXY), 'CreateProxy sent for getMap');
        } finally {
            if (c) await c.shutdown();
            await tap.close();
        }
    });

    it('refuses a client with a wrong cluster name', T, async () => {
        const t0 = Date.now();
        await assert.rejects(
            Client.newHazelcastClient(clientConfig(member.address, 'not-' + CLUSTER, {
                connectionStrategy: {
                    connectionRetry: { clusterConnectTimeoutMillis: 3000, maxBackoffMillis: 500 },
                },
            })),
            (err) => {
                assert.ok(err instanceof IllegalStateError, `IllegalStateError, got ${err && err.name}`);
                assert.equal(err.message, 'Unable to connect to any cluster.');
                return true;
            },
        );
        const took = Date.now() - t0;
        assert.ok(took < 15000, `gave up after ${took} ms`);
    });

    it('put, get and size', T, async () => {
        const m = await client.getMap('basic');
        assert.equal(await m.size(), 0);
        assert.equal(await m.get('missing'), null);
        assert.equal(await m.put('a', 'one'), null, 'put on a new key returns null');
        assert.equal(await m.put('a', 'uno'), 'one', 'put returns the previous value');
        assert.equal(await m.put('b', 'two'), null);
        assert.equal(await m.get('a'), 'uno');
        assert.equal(await m.get('b'), 'two');
        assert.equal(await m.size(), 2);
        assert.equal(await m.remove('a'), 'uno');
        assert.equal(await m.get('a'), null);
        assert.equal(await m.size(), 1);
        // Maps are independent.
        const other = await client.getMap('basic-other');
        assert.equal(await other.get('b'), null);
        assert.equal(await other.size(), 0);
    });

    it('round-trips strings and numbers (JS numbers are doubles)', T, async () => {
        const m = await client.getMap('types');
        const strings = ['', 'plain', 'héllo wörld', '日本語テキスト', 'emoji 🎉 ok', 'x'.repeat(100000)];
        for (const [i, s] of strings.entries()) {
            await m.put(`s${i}`, s);
            await m.put(s, i); // strings as keys too
        }
        for (const [i, s] of strings.entries()) {
            assert.equal(await m.get(`s${i}`), s);
            assert.equal(await m.get(s), i);
        }
        const numbers = [0, 1, -1, 42, 3.5, -0.25, 2 ** 31, -(2 ** 31) - 1,
            Number.MAX_SAFE_INTEGER, 1e300, Number.MIN_VALUE];
        for (const n of numbers) await m.put(n, n * 2);
        for (const n of numbers) assert.equal(await m.get(n), n * 2, `key ${n}`);
        // A number key and the same digits as a string are different keys.
        assert.equal(await m.get('42'), null);
        await m.put('42', 'string');
        assert.equal(await m.get(42), 84);
        assert.equal(await m.get('42'), 'string');
        assert.equal(await m.size(), 2 * strings.length + numbers.length + 1);
    });

    it('putAll and getAll of 1000 entries', T, async () => {
        const m = await client.getMap('bulk');
        const pairs = [];
        for (let i = 0; i < 1000; i++) pairs.push([`key-${i}`, `value-${i}`]);
        await m.putAll(pairs);
        assert.equal(await m.size(), 1000);

        const keys = pairs.map(([k]) => k);
        keys.push('absent-1', 'absent-2');
        const got = await m.getAll(keys);
        assert.equal(got.length, 1000, 'missing keys are left out');
        const asMap = new Map(got);
        for (let i = 0; i < 1000; i++) assert.equal(asMap.get(`key-${i}`), `value-${i}`);
        assert.equal(asMap.has('absent-1'), false);

        assert.equal(await m.get('key-999'), 'value-999');
        // Overwrite half of them with a second putAll.
        await m.putAll(pairs.slice(0, 500).map(([k]) => [k, 'new']));
        assert.equal(await m.size(), 1000);
        assert.equal(await m.get('key-0'), 'new');
        assert.equal(await m.get('key-500'), 'value-500');
    });

    it('delivers added, updated, removed and mapCleared events', T, async () => {
        const m = await client.getMap('events');
        const events = [];
        const rec = (type) => (e) => events.push({ type, e });
        const id = await m.addEntryListener({
            added: rec('added'),
            updated: rec('updated'),
            removed: rec('removed'),
            mapCleared: rec('mapCleared'),
        }, undefined, true);
        assert.equal(typeof id, 'string');
        // A second registration without values: keys only (§12.2).
        const bare = [];
        const recBare = (type) => (e) => bare.push({ type, key: e.key, value: e.value, oldValue: e.oldValue });
        const bareId = await m.addEntryListener({
            added: recBare('added'), updated: recBare('updated'), removed: recBare('removed'),
        }, undefined, false);
        const memberUuid = client.getCluster().getMembers()[0].uuid.toString();

        // Hazelcast orders events per key only (imap-semantics.md §3.4), so
        // each step waits for its events before the next key is touched.
        await m.put('k1', '1');
        await m.put('k1', '2');
        await m.remove('k1');
        assert.ok(await waitUntil(() => events.length >= 3, 10000), 'k1 events');
        await m.put('k2', 'x');
        await m.put('k3', 'y');
        assert.ok(await waitUntil(() => events.length >= 5, 10000), 'k2/k3 events');
        await m.clear();
        assert.ok(await waitUntil(() => events.length >= 6, 10000), 'clear event');

        assert.deepEqual(events.slice(0, 3).map((x) => x.type), ['added', 'updated', 'removed']);
        assert.deepEqual(events.slice(3, 5).map((x) => x.type), ['added', 'added']);
        assert.equal(events[5].type, 'mapCleared');
        // k2 and k3 live in different partitions: either may come first.
        events.splice(3, 2, ...events.slice(3, 5).sort((a, b) => (a.e.key < b.e.key ? -1 : 1)));

        const entry = (i) => {
            const { e } = events[i];
            return { name: e.name, key: e.key, value: e.value, oldValue: e.oldValue,
                mergingValue: e.mergingValue };
        };
        assert.deepEqual(entry(0), { name: 'events', key: 'k1', value: '1', oldValue: null, mergingValue: null });
        assert.deepEqual(entry(1), { name: 'events', key: 'k1', value: '2', oldValue: '1', mergingValue: null });
        assert.deepEqual(entry(2), { name: 'events', key: 'k1', value: null, oldValue: '2', mergingValue: null });
        assert.deepEqual(entry(3), { name: 'events', key: 'k2', value: 'x', oldValue: null, mergingValue: null });
        assert.deepEqual(entry(4), { name: 'events', key: 'k3', value: 'y', oldValue: null, mergingValue: null });
        for (let i = 0; i < 5; i++) {
            assert.ok(events[i].e.member, `event ${i} names a known member`);
            assert.equal(events[i].e.member.uuid.toString(), memberUuid);
        }
        const cleared = events[5].e;
        assert.equal(cleared.name, 'events');
        assert.equal(cleared.numberOfAffectedEntries, 2);
        assert.equal(cleared.member.uuid.toString(), memberUuid);

        assert.ok(await waitUntil(() => bare.length >= 5, 10000), 'events without values');
        assert.deepEqual(bare.slice(0, 3), [
            { type: 'added', key: 'k1', value: null, oldValue: null },
            { type: 'updated', key: 'k1', value: null, oldValue: null },
            { type: 'removed', key: 'k1', value: null, oldValue: null },
        ]);
        assert.deepEqual(bare.slice(3).map((x) => x.key).sort(), ['k2', 'k3']);

        // Clearing an empty map raises no event.
        await m.clear();
        await sleep(500);
        assert.equal(events.length, 6);
        assert.equal(bare.length, 5, 'mapCleared not wanted by the second listener');
        assert.equal(await m.removeEntryListener(id), true);
        assert.equal(await m.removeEntryListener(bareId), true);
    });

    it('stops delivering events after removeEntryListener', T, async () => {
        const m = await client.getMap('unlisten');
        const seen = [];
        const id = await m.addEntryListener({ added: (e) => seen.push(e.key) }, undefined, true);
        await m.put('before', 1);
        await waitUntil(() => seen.length === 1, 10000);
        assert.deepEqual(seen, ['before']);

        assert.equal(await m.removeEntryListener(id), true);
        await m.put('after', 2);
        await sleep(1000);
        assert.deepEqual(seen, ['before']);
        assert.equal(await m.get('after'), 2);
    });

    it('expires an entry after its TTL', T, async () => {
        const m = await client.getMap('ttl');
        await m.put('short', 'gone soon', 1000); // ttl in ms
        await m.put('forever', 'stays');
        assert.equal(await m.get('short'), 'gone soon');
        const t0 = Date.now();
        const gone = await waitUntil(async () => (await m.get('short')) === null, 10000, 200);
        assert.ok(gone, 'entry with a 1 s TTL still there after 10 s');
        const took = Date.now() - t0;
        assert.ok(took < 5000, `expired after ${took} ms`);
        assert.equal(await m.get('forever'), 'stays');
        assert.equal(await waitUntil(async () => (await m.size()) === 1, 5000, 200), true,
            'size counts only the live entry');
    });
});
