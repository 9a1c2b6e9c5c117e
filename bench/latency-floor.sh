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

tmp=$(mktemp -d)
pid=
stop_server() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"; timeout 10 tail --pid="$pid" -f /dev/null; kill -9 "$pid" 2>/dev/null
    fi
    pid=
}
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

results=()
for rep in $(seq 1 "$REPS"); do
    for s in "${servers[@]}"; do
        start "$s"
        line=$("$BENCH" --protocol "$PROTO" --port "$PORT" --keys 1000000 --no-load --mix get:90,set:10 \
            --threads 1 --connections 4 --rate "$RATE" --warmup 2 --duration 8 --quiet --json \
            --server-pid "$pid" | python3 -c '
import json, sys
r = json.load(sys.stdin); l = r["latency"]
print("%d %.0f %.0f %.0f %.0f %.2f %.2f %d %d" % (r["ops_per_s"], l["p50_us"], l["p99_us"], l["p999_us"],
      (r.get("schedule_lag") or {}).get("p99_us", 0), r["server"]["cpu_us_per_op"], r["client"]["cpu_us_per_op"],
      r["errors"], r["lost"]))')
        stop_server
        # shellcheck disable=SC2086
        set -- $line
        printf '%-9s rep %d: %7d ops/s  p50 %5d us  p99 %5d us  p99.9 %6d us  client lag p99 %5d us  CPU/op server %.2f us, client %.2f us  errors %d lost %d\n' \
            "$s" "$rep" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9"
        results+=("$s $line")
    done
done
for s in "${servers[@]}"; do
    printf '%s\n' "${results[@]}" | awk -v s="$s" '$1 == s { print $3, $4, $5 }' | sort -k2 -n |
        awk -v s="$s" -v rate="$RATE" '{ p50[NR] = $1; p99[NR] = $2; p999[NR] = $3 }
            END { m = int((NR + 1) / 2); printf "median of %d runs, %-9s at %d ops/s: p99 %d us (p50 and p99.9 of that run: %d / %d us)\n", NR, s, rate, p99[m], p50[m], p999[m] }'
done
