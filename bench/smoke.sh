#!/usr/bin/env bash
# Smoke test of memgrid-bench: starts a memgrid member on a free loopback
# port (port file + a protocol-level readiness check), drives it for about
# two seconds, and fails when nothing was measured or anything went wrong
# (errors, lost or unexpected answers).  Last line: "1 passed, 0 failed"
# or "0 passed, 1 failed".
#
#   bench/smoke.sh          (MEMGRID_BIN / MEMGRID_BENCH_BIN override the binaries)
set -uo pipefail
cd "$(dirname "$0")/.."
member_bin=${MEMGRID_BIN:-build/memgrid}
bench_bin=${MEMGRID_BENCH_BIN:-build/memgrid-bench}

tmp=$(mktemp -d)
member_pid=
cleanup() {
    if [ -n "$member_pid" ] && kill -0 "$member_pid" 2>/dev/null; then
        kill "$member_pid" 2>/dev/null
        # Give it a second to stop cleanly, then make sure.
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$member_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$member_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

verdict() {
    if [ "$1" = pass ]; then echo "1 passed, 0 failed"; exit 0; fi
    echo "smoke: FAILED: $2" >&2
    echo "0 passed, 1 failed"
    exit 1
}

for b in "$member_bin" "$bench_bin"; do
    [ -x "$b" ] || verdict fail "$b is missing (make all build/memgrid-bench)"
done

"$member_bin" --port 0 --port-file "$tmp/port" >"$tmp/member.log" 2>&1 &
member_pid=$!
port=
for _ in $(seq 1 100); do   # up to 10 s for the port file
    if [ -s "$tmp/port" ]; then port=$(cat "$tmp/port"); break; fi
    kill -0 "$member_pid" 2>/dev/null || verdict fail "member exited: $(tail -3 "$tmp/member.log")"
    sleep 0.1
done
[ -n "$port" ] || verdict fail "no port file after 10 s"

# Ready = a client can authenticate and get an answer to Map.Get.
"$bench_bin" --port "$port" --wait-ready --timeout 10 >"$tmp/ready.out" 2>&1 ||
    verdict fail "member not ready: $(cat "$tmp/ready.out")"

timeout 60 "$bench_bin" --port "$port" --keys 10000 --warmup 0.3 --duration 2 --drain 5 \
    --mix get:70,put:10,set:10,remove:10 --connections 2 --depth 8 \
    --json --quiet >"$tmp/result.json" 2>"$tmp/bench.err"
rc=$?
[ -s "$tmp/result.json" ] || verdict fail "no result (exit $rc): $(tail -3 "$tmp/bench.err")"
# Pull the counters out of the one-line JSON without needing jq.
field() { grep -o "\"$1\":[0-9.]*" "$tmp/result.json" | head -1 | cut -d: -f2; }
ops=$(field ops); errors=$(field errors); lost=$(field lost); unexpected=$(field unexpected)
echo "smoke: ops=$ops ops/s=$(field ops_per_s) errors=$errors lost=$lost unexpected=$unexpected (exit $rc)"
[ "${ops:-0}" -gt 0 ] || verdict fail "no operation measured"
[ "${errors:-1}" -eq 0 ] || verdict fail "$errors errors: $(grep -o '"first_error":"[^"]*"' "$tmp/result.json")"
[ "${lost:-1}" -eq 0 ] && [ "${unexpected:-1}" -eq 0 ] || verdict fail "lost or unexpected answers"
[ "$rc" -eq 0 ] || verdict fail "memgrid-bench exited $rc"
kill -0 "$member_pid" 2>/dev/null || verdict fail "member died during the run"
verdict pass
