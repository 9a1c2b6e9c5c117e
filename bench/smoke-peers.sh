#!/usr/bin/env bash
# Smoke test of memgrid-bench's peer protocols: starts Redis and memcached
# (the Debian packages) on loopback ports, drives each for about a second
# with --protocol redis / memcache, and fails on any error, lost or
# unexpected answer.  Then it reads one key back with the server's own
# client tool, so a request that the server stored wrongly shows too.
# A peer that is not installed is skipped, visibly.  Last line:
# "N passed, M failed".
#
#   bench/smoke-peers.sh    (MEMGRID_BENCH_BIN overrides the binary)
set -uo pipefail
cd "$(dirname "$0")/.."
bench_bin=${MEMGRID_BENCH_BIN:-build/memgrid-bench}
. bench/ports.sh
. bench/peers.sh

tmp=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0 failed=0
say() { echo "smoke-peers: $*"; }
fail() { say "FAIL: $*"; failed=$((failed + 1)); }

# peer NAME MIX: start it, drive it, read a key back
peer() {
    local name=$1 mix=$2 proto
    proto=$(peer_protocol "$name")
    pick_ports 1
    local port=${PICKED[0]}
    if ! peer_start "$name" "$port" "$tmp/$name.log"; then
        pids+=("$PEER_PID")
        fail "$name did not answer its ping: $(tail -2 "$tmp/$name.log")"
        return
    fi
    pids+=("$PEER_PID")
    timeout 60 "$bench_bin" --protocol "$proto" --port "$port" --keys 5000 --warmup 0.2 --duration 1 \
        --mix "$mix" --connections 2 --depth 8 --json --quiet >"$tmp/$name.json" 2>"$tmp/$name.err"
    local rc=$? f
    f() { grep -o "\"$1\":[0-9.]*" "$tmp/$name.json" | head -1 | cut -d: -f2; }
    [ -s "$tmp/$name.json" ] || { fail "$name: no result (exit $rc): $(tail -2 "$tmp/$name.err")"; return; }
    say "$name: ops=$(f ops) errors=$(f errors) lost=$(f lost) unexpected=$(f unexpected) misses=$(f misses) (exit $rc)"
    if [ "$(f ops)" -gt 0 ] 2>/dev/null && [ "$(f errors)" = 0 ] && [ "$(f lost)" = 0 ] &&
        [ "$(f unexpected)" = 0 ] && [ $rc = 0 ]; then
        passed=$((passed + 1))
    else
        fail "$name: $(grep -o '"first_error":"[^"]*"' "$tmp/$name.json")"
        return
    fi
    # What the server holds: key:1 was set in the load phase with a 100-byte value
    # (unless a remove took it since; then ask another).
    local k len=
    for k in 1 2 3 4 5 6 7 8 9 10; do
        case $proto in
        redis) len=$(peer_ask "$port" "STRLEN key:$k\r\n" | sed -n 's/^:\([0-9]*\)$/\1/p') ;;
        memcache) len=$(peer_ask "$port" "mg key:$k s\r\n" | sed -n 's/^HD s\([0-9]*\).*/\1/p') ;;
        esac
        [ -n "$len" ] && [ "$len" != 0 ] && break
    done
    if [ "$len" = 100 ]; then
        say "$name: key:$k holds 100 bytes, as memgrid-bench wrote it"
        passed=$((passed + 1))
    else
        fail "$name: the server holds '${len}' bytes under key:$k, not 100"
    fi
}

[ -x "$bench_bin" ] || { fail "$bench_bin is missing (make build/memgrid-bench)"; echo "0 passed, 1 failed"; exit 1; }
for name in redis memcached; do
    if peer_installed "$name"; then
        if [ "$name" = redis ]; then peer redis get:60,put:10,set:20,remove:10
        else peer memcached get:70,set:20,remove:10; fi
    else
        say "SKIP: $name not installed (Debian: $([ "$name" = redis ] && echo redis-server || echo memcached))"
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
