#!/usr/bin/env bash
# Runs the Python client integration tests; extra arguments go to pytest.
#   MEMGRID_TARGET=memgrid (default) | hazelcast
#   MEMGRID_BIN      memgrid binary (default: <repo>/build/memgrid)
#   HAZELCAST_JAR    Hazelcast 5.7.0 jar (default: ~/.m2/.../hazelcast-5.7.0.jar)
#   HZ_CLIENT_LOG_LEVEL  client log level (default CRITICAL)
#   MEMGRID_KEEP_LOGS=1  keep the member's temp dir (config + log)
set -euo pipefail
cd "$(dirname "$0")"

PY="${PYTHON:-python3}"
stamp=.venv/.requirements-installed
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
    touch "$stamp"
fi

if [ "${MEMGRID_TARGET:-memgrid}" = hazelcast ]; then
    jar="${HAZELCAST_JAR:-$HOME/.m2/repository/com/hazelcast/hazelcast/5.7.0/hazelcast-5.7.0.jar}"
    if [ ! -f "$jar" ] && [ -z "${HAZELCAST_JAR:-}" ]; then
        mvn -q dependency:get -Dtransitive=false -Dartifact=com.hazelcast:hazelcast:5.7.0
    fi
fi

exec .venv/bin/python -m pytest "$@"
