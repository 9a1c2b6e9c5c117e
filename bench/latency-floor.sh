#!/usr/bin/env bash
# bench/latency-floor.sh - is a memgrid member's p99 at a fixed rate its own,
# or this machine's?  The same open-loop run (memgrid-bench, get:90,set:10,
# 1M keys of 100 B, one loop thread, 4 connections, 2 s warm-up, 8 s
# measured) against a memgrid member, Redis and memcached (Debian's
# packages, in their own protocols), one server at a time and in turns,
# --reps times each.  Redis and memcached are mature servers in C with
# nothing left to gain on this path, so their tail under the same load
# generator is the floor the machine sets.  Prints every run, then the
# medians per server.
#
#   bench/latency-floor.sh                   # 100,000 ops/s, 5 reps, ~4 min
#   bench/latency-floor.sh --rate 50000 --reps 3
#
# Loopback only; every server is killed on exit.
set -uo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 2
MEMGRID=${MEMGRID_BIN:-build/memgrid}
BENCH=${MEMGRID_BENCH_BIN:-build/memgrid-bench}
RATE=100000
REPS=5
while [ $# -gt 0 ]; do
    case "$1" in
        --rate) RATE=${2:?}; shift ;;
        --reps) REPS=${2:?}; shift ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "latency-floor.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
. bench/ports.sh
. bench/peers.sh
. bench/latency-run.sh

tmp=$(mktemp -d)
pid=
stop_server() { stop_pid "$pid"; pid=; }
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

servers=(memgrid)
for p in redis memcached; do
    if peer_installed "$p"; then servers+=("$p"); else echo "latency-floor.sh: $p not installed; skipped" >&2; fi
done

# start NAME: a fresh server, loaded with the keys; sets pid, PORT, PROTO
start() {
    if [ "$1" = memgrid ]; then
        rm -f "$tmp/port"
        "$MEMGRID" --port 0 --port-file "$tmp/port" >"$tmp/memgrid.log" 2>&1 &
        pid=$!
        for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
        PORT=$(cat "$tmp/port")
        PROTO=hazelcast
        "$BENCH" --port "$PORT" --wait-ready --timeout 10 >/dev/null || { echo "memgrid not ready" >&2; exit 1; }
    else
        pick_ports 1
        PORT=${PICKED[0]}
        PROTO=$(peer_protocol "$1")
        peer_start "$1" "$PORT" "$tmp/$1.log" || { echo "$1 did not start: $(tail -2 "$tmp/$1.log")" >&2; exit 1; }
        pid=$PEER_PID
    fi
    "$BENCH" --protocol "$PROTO" --port "$PORT" --keys 1000000 --mix set:100 --ops 1 --warmup 0 \
        --quiet --json >/dev/null
}

for rep in $(seq 1 "$REPS"); do
    for s in "${servers[@]}"; do
        start "$s"
        latency_run "$s" "$rep" "$BENCH" --protocol "$PROTO" --port "$PORT" --keys 1000000 --no-load \
            --mix get:90,set:10 --threads 1 --connections 4 --rate "$RATE" --warmup 2 --duration 8 --quiet --json \
            --server-pid "$pid"
        stop_server
    done
done
latency_medians "${servers[@]}"
