'use strict';
const { Client } = require('hazelcast-client');
const { sleep } = require('./member');

const LOG_LEVEL = process.env.HZ_CLIENT_LOG_LEVEL || 'OFF';

// A client configuration aimed at exactly one address, with short timeouts.
function clientConfig(address, clusterName, extra = {}) {
    return {
        clusterName,
        network: {
            clusterMembers: [address],
            connectionTimeout: 3000,
        },
        connectionStrategy: {
            connectionRetry: {
                clusterConnectTimeoutMillis: 5000,
                initialBackoffMillis: 200,
                maxBackoffMillis: 1000,
            },
        },
        properties: {
            'hazelcast.logging.level': LOG_LEVEL,
            'hazelcast.client.invocation.timeout.millis': 20000,
        },
        ...extra,
    };
}

// Connects a client, retrying until the member answers (a Hazelcast JVM opens
// its port before it accepts clients). Bounded by deadlineMs.
async function connectWhenReady(member, clusterName, deadlineMs) {
    const end = Date.now() + deadlineMs;
    let lastErr;
    while (Date.now() < end) {
        if (member.exited) break;
        try {
            return await Client.newHazelcastClient(clientConfig(member.address, clusterName, {
                connectionStrategy: {
                    connectionRetry: { clusterConnectTimeoutMillis: 2000, maxBackoffMillis: 500 },
                },
            }));
        } catch (e) {
            lastErr = e;
            await sleep(300);
        }
    }
    throw new Error(`no client could connect to ${member.kind} at ${member.address}` +
        ` (${member.exited ? 'member exited' : 'deadline passed'}): ${lastErr && lastErr.message}` +
        `\nmember log:\n${member.logTail()}`);
}

// Polls fn() every stepMs until it returns a truthy value or timeoutMs passes.
async function waitUntil(fn, timeoutMs, stepMs = 50) {
    const end = Date.now() + timeoutMs;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() >= end) return v;
        await sleep(stepMs);
    }
}

module.exports = { clientConfig, connectWhenReady, waitUntil };
