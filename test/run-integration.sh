#!/usr/bin/env bash
# Integration tests: real member processes on loopback, driven by the
# official Hazelcast clients.  The Go suite runs against the sanitizer build
# (a memory error in the member fails it); the Node.js and Python suites run
# against the release build; the differential test runs one scenario against
# memgrid and a real Hazelcast 5.7 member.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
failed=()
failed_logs=()
passed=()
logs=$(mktemp -d "${TMPDIR:-/tmp}/memgrid-integration.XXXXXX")
trap 'rm -rf "$logs"' EXIT

# Each suite's output goes to the terminal and to a log; the summary at the
# end repeats the failure lines of the suites that failed, so that the last
# lines of a long run say why.
run() {
    local name=$1 log="$logs/$((${#failed[@]} + ${#passed[@]})).log"; shift
    echo "=== integration: $name"
    # (tee runs in a process substitution, so that a process a suite leaves
    # behind cannot hold the run open; it gets 5 s to finish the log)
    local rc=0 out tee_pid _
    exec {out}> >(tee "$log")
    tee_pid=$!
    "$@" >&"$out" 2>&1 || rc=$?
    exec {out}>&-
    for _ in $(seq 1 50); do kill -0 "$tee_pid" 2>/dev/null || break; sleep 0.1; done   # the log is whole
    if [ $rc = 0 ]; then passed+=("$name"); else failed+=("$name"); failed_logs+=("$log"); fi
}

export MEMGRID_TARGET=memgrid
run "cli" env MEMGRID_BIN="$root/build/memgrid" test/cli/run.sh
if [ -x test/go/run.sh ]; then
    run "go: article, map operations, cluster, differential vs Hazelcast 5.7 (sanitizer build, 2 workers)" \
        env MEMGRID_BIN="$root/build-san/memgrid" MEMGRID_WORKERS=2 MEMGRID_BENCH_BIN="$root/build/memgrid-bench" \
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        test/go/run.sh
fi
run "wire protocol (sanitizer build, 2 workers)" env MEMGRID_BIN="$root/build-san/memgrid" MEMGRID_WORKERS=2 \
    ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=32 test/protocol/run.sh
run "load generator smoke (memgrid-bench, 2 s)" env MEMGRID_BIN="$root/build/memgrid" \
    MEMGRID_BENCH_BIN="$root/build/memgrid-bench" bench/smoke.sh
run "load generator against Redis and memcached in their own protocols (memgrid-bench --protocol)" \
    env MEMGRID_BENCH_BIN="$root/build/memgrid-bench" bench/smoke-peers.sh
run "load generator and a Hazelcast 5.7 member joining mid-run (memgrid-bench retries it)" \
    env MEMGRID_BENCH_BIN="$root/build/memgrid-bench" bench/smoke-join.sh
if [ -x test/node/run.sh ]; then
    run "node" env MEMGRID_BIN="$root/build/memgrid" test/node/run.sh
fi
if [ -x test/python/run.sh ]; then
    run "python" env MEMGRID_BIN="$root/build/memgrid" test/python/run.sh
fi
run "java (the client in the Hazelcast 5.7 jar; transcript equal to Hazelcast's)" \
    env MEMGRID_BIN="$root/build/memgrid" test/java/run.sh

# Needs root and network namespaces; prints SKIP (visibly) where it cannot make them.
run "network split in namespaces (3 members, 1 | 2)" env MEMGRID_BIN="$root/build/memgrid" \
    MEMGRID_BENCH="$root/build/memgrid-bench" test/netns/split.sh
run "discovery in namespaces (multicast over a bridge, kubernetes DNS)" env MEMGRID_BIN="$root/build/memgrid" \
    MEMGRID_BENCH="$root/build/memgrid-bench" test/netns/discovery.sh

echo "integration suites: ${#passed[@]} passed, ${#failed[@]} failed"
for i in "${!failed[@]}"; do
    echo "  FAILED: ${failed[$i]}"
    grep -E 'FAIL|panic|ERROR|[Ee]rror:|not found|timed out' "${failed_logs[$i]}" | grep -v -e '--- PASS' -e '^ *[0-9]\{4\}/[0-9][0-9]/[0-9][0-9] ' |
        tail -n 15 | cut -c1-300 | sed 's/^/    /'
done
[ ${#failed[@]} -eq 0 ]
