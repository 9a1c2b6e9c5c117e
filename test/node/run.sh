#!/usr/bin/env bash
# Runs the Node.js client integration tests.
#   MEMGRID_TARGET=memgrid (default) | hazelcast
#   MEMGRID_BIN      memgrid binary (default: <repo>/build/memgrid)
#   HAZELCAST_JAR    Hazelcast 5.7.0 jar (default: ~/.m2/.../hazelcast-5.7.0.jar)
#   HZ_CLIENT_LOG_LEVEL  client log level (default OFF)
#   MEMGRID_KEEP_LOGS=1  keep the member's temp dir (config + log)
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null; then
    echo "run.sh: node is not installed" >&2
    exit 2
fi

# Install the pinned client when missing or when the lock file changed.
if [ ! -f node_modules/hazelcast-client/package.json ] ||
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
fi

if [ "${MEMGRID_TARGET:-memgrid}" = hazelcast ]; then
    jar="${HAZELCAST_JAR:-$HOME/.m2/repository/com/hazelcast/hazelcast/5.7.0/hazelcast-5.7.0.jar}"
    if [ ! -f "$jar" ] && [ -z "${HAZELCAST_JAR:-}" ]; then
        mvn -q dependency:get -Dtransitive=false -Dartifact=com.hazelcast:hazelcast:5.7.0
    fi
fi

exec node --test --test-concurrency=1 tests/*.test.js
