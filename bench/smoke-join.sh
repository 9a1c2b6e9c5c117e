#!/usr/bin/env bash
# Smoke test of memgrid-bench against a member that joins during a run, with
# real Hazelcast 5.7 members: a joining Hazelcast member is announced to the
# clients before it accepts them (it answers the authentication with error
# 19, "Hazelcast instance is not ready yet!").  memgrid-bench must then try
# again, as the official clients do, instead of ending the run.
#
# Starts one Hazelcast member on a free loopback port (readiness: a client
# authenticates and gets an answer), drives it with memgrid-bench at a fixed
# rate, starts a second member 1 s in, and fails when the run broke off or
# lost, mixed up or errored any answer.  It says whether the not-ready
# refusal happened this time (it depends on timing; in every run seen so
# far it did).  Skips, visibly, without java or the jar.  Last line:
# "1 passed, 0 failed" or "0 passed, 1 failed" (or "0 passed, 0 failed
# (skipped)").
#
#   bench/smoke-join.sh     (MEMGRID_BENCH_BIN, HAZELCAST_JAR override the defaults)
set -uo pipefail
cd "$(dirname "$0")/.."
bench_bin=${MEMGRID_BENCH_BIN:-build/memgrid-bench}
. bench/hazelcast.sh
. bench/ports.sh
jar=$HZ_JAR

tmp=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

verdict() {
    case "$1" in
        pass) echo "1 passed, 0 failed"; exit 0 ;;
        skip) echo "smoke-join: SKIP: $2" >&2; echo "0 passed, 0 failed (skipped)"; exit 0 ;;
    esac
    echo "smoke-join: FAILED: $2" >&2
    for f in "$tmp"/m*.log; do [ -f "$f" ] && { echo "--- $f" >&2; grep -E 'SEVERE|ERROR' "$f" | tail -5 >&2; }; done
    echo "0 passed, 1 failed"
    exit 1
}

[ -x "$bench_bin" ] || verdict fail "$bench_bin is missing (make build/memgrid-bench)"
command -v java >/dev/null || verdict skip "no java"
[ -f "$jar" ] || verdict skip "no Hazelcast jar at $jar"

pick_ports 2; p0=${PICKED[0]} p1=${PICKED[1]}
cluster="smoke-join-$$"
for i in 0 1; do
    hz_yaml "$cluster" "$([ $i = 0 ] && echo "$p0" || echo "$p1")" "$p0 $p1" >"$tmp/m$i.yaml"
done
start_member() {
    java -Xmx512m "${HZ_JVM_FLAGS[@]}" "-Dhazelcast.config=$tmp/m$1.yaml" -cp "$jar" com.hazelcast.core.server.HazelcastMemberStarter \
        >"$tmp/m$1.log" 2>&1 &
    pids+=($!)
}

start_member 0
# Ready = a client can authenticate and get an answer to Map.Get (the port
# opens before that).
"$bench_bin" --port "$p0" --cluster "$cluster" --wait-ready --timeout 90 >"$tmp/ready.out" 2>&1 ||
    verdict fail "first member not ready: $(cat "$tmp/ready.out")"

timeout 90 "$bench_bin" --port "$p0" --cluster "$cluster" --keys 2000 --rate 2000 --warmup 0 \
    --duration 15 --drain 10 --connections 1 --json --quiet >"$tmp/result.json" 2>"$tmp/bench.err" &
bench_pid=$!
pids+=("$bench_pid")
sleep 1
start_member 1
wait "$bench_pid"
rc=$?

[ -s "$tmp/result.json" ] || verdict fail "no result (exit $rc): $(tail -3 "$tmp/bench.err")"
field() { grep -o "\"$1\":[0-9.]*" "$tmp/result.json" | head -1 | cut -d: -f2; }
ops=$(field ops); errors=$(field errors); lost=$(field lost); unexpected=$(field unexpected)
window=$(field window_s)
joined=no
grep -q 'Members {size:2' "$tmp/m0.log" && joined=yes
retried=no
grep -q 'new in the cluster, refused a connection' "$tmp/bench.err" && retried=yes
echo "smoke-join: ops=$ops window=${window}s errors=$errors lost=$lost unexpected=$unexpected (exit $rc);" \
    "second member joined: $joined; not-ready refusal seen and retried: $retried"
[ "$joined" = yes ] || verdict fail "the second member did not join within the run"
grep -q '"failure":"[^"]' "$tmp/result.json" && verdict fail "the run broke off: $(grep -o '"failure":"[^"]*"' "$tmp/result.json")"
[ "$rc" -eq 0 ] || verdict fail "memgrid-bench exited $rc: $(tail -3 "$tmp/bench.err")"
[ "${ops:-0}" -gt 0 ] || verdict fail "no operation measured"
[ "${errors:-1}" -eq 0 ] || verdict fail "$errors errors: $(grep -o '"first_error":"[^"]*"' "$tmp/result.json")"
[ "${lost:-1}" -eq 0 ] && [ "${unexpected:-1}" -eq 0 ] || verdict fail "lost or unexpected answers"
verdict pass
