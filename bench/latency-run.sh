# bench/latency-run.sh - sourced by latency-pinned.sh and latency-floor.sh:
# one fixed-rate memgrid-bench run reported as a row, and the medians.
#
#   latency_run LABEL REP CMD...   runs CMD (a memgrid-bench --json run with
#                                  --server-pid), prints its row and keeps
#                                  it in LATENCY_RESULTS
#   latency_medians LABEL...       per label: the run with the median p99
#   stop_pid PID                   SIGTERM, up to 10 s, then SIGKILL

LATENCY_RESULTS=()

latency_run() {
    local label=$1 rep=$2 line; shift 2
    line=$("$@" | python3 -c '
import json, sys
r = json.load(sys.stdin); l = r["latency"]
print("%d %.0f %.0f %.0f %.0f %.2f %.2f %d %d" % (r["ops_per_s"], l["p50_us"], l["p99_us"], l["p999_us"],
      (r.get("schedule_lag") or {}).get("p99_us", 0), r["server"]["cpu_us_per_op"], r["client"]["cpu_us_per_op"],
      r["errors"], r["lost"]))')
    # shellcheck disable=SC2086
    set -- $line
    printf '%-9s rep %d: %7d ops/s  p50 %5d us  p99 %5d us  p99.9 %6d us  client lag p99 %5d us  CPU/op server %.2f us, client %.2f us  errors %d lost %d\n' \
        "$label" "$rep" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9"
    LATENCY_RESULTS+=("$label $line")
}

latency_medians() {
    local label
    for label in "$@"; do
        printf '%s\n' "${LATENCY_RESULTS[@]}" | awk -v s="$label" '$1 == s { print $3, $4, $5 }' | sort -k2 -n |
            awk -v s="$label" -v rate="$RATE" '{ p50[NR] = $1; p99[NR] = $2; p999[NR] = $3 }
                END { m = int((NR + 1) / 2); printf "median of %d runs, %-9s at %d ops/s: p99 %d us (p50 and p99.9 of that run: %d / %d us)\n", NR, s, rate, p99[m], p50[m], p999[m] }'
    done
}

stop_pid() {
    if [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; then
        kill "$1"; timeout 10 tail --pid="$1" -f /dev/null; kill -9 "$1" 2>/dev/null
    fi
    return 0
}
