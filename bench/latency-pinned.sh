#!/usr/bin/env bash
# bench/latency-pinned.sh - where a memgrid member's p99 at a fixed rate goes
# on this 2-core machine: the same open-loop run (memgrid-bench, get:90,
# set:10, 1M keys of 100 B, one loop thread, 4 connections) once with the
# member and the load generator free to share both cores, as bench/compare
# runs them, and once with the member pinned to core 0 and the load
# generator to core 1 (taskset), alternating, --reps times each.  Prints
# p50 / p99 / p99.9, the load generator's own lag p99 and both processes'
# CPU per op, then the medians.
#
#   bench/latency-pinned.sh                 # 123,000 ops/s, 3 reps, ~2 min
#   bench/latency-pinned.sh --rate 60000 --reps 5
#
# Loopback only; the member gets a free port and is killed on exit.
set -uo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 2
MEMGRID=${MEMGRID_BIN:-build/memgrid}
BENCH=${MEMGRID_BENCH_BIN:-build/memgrid-bench}
RATE=123000
REPS=3
while [ $# -gt 0 ]; do
    case "$1" in
        --rate) RATE=${2:?}; shift ;;
        --reps) REPS=${2:?}; shift ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "latency-pinned.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
command -v taskset >/dev/null || { echo "latency-pinned.sh: needs taskset (util-linux)" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "latency-pinned.sh: needs 2 cores" >&2; exit 2; }

. bench/latency-run.sh
tmp=$(mktemp -d)
pid=
stop_member() { stop_pid "$pid"; pid=; }
trap 'stop_member; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# start_member PIN: a fresh member (pinned to core 0 or not), loaded with the keys.
start_member() {
    rm -f "$tmp/port"
    if [ "$1" = pinned ]; then
        taskset -c 0 "$MEMGRID" --port 0 --port-file "$tmp/port" >"$tmp/member.log" 2>&1 &
    else
        "$MEMGRID" --port 0 --port-file "$tmp/port" >"$tmp/member.log" 2>&1 &
    fi
    pid=$!
    for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
    PORT=$(cat "$tmp/port")
    "$BENCH" --port "$PORT" --wait-ready --timeout 10 >/dev/null || { echo "member not ready" >&2; exit 1; }
    "$BENCH" --port "$PORT" --keys 1000000 --mix set:100 --ops 1 --warmup 0 --quiet --json >/dev/null
}

for rep in $(seq 1 "$REPS"); do
    for mode in shared pinned; do
        start_member "$mode"
        run=("$BENCH" --port "$PORT" --keys 1000000 --no-load --mix get:90,set:10 --threads 1 --connections 4
             --rate "$RATE" --warmup 2 --duration 8 --quiet --json --server-pid "$pid")
        [ "$mode" = pinned ] && run=(taskset -c 1 "${run[@]}")
        latency_run "$mode" "$rep" "${run[@]}"
        stop_member
    done
done
latency_medians shared pinned
