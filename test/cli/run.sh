#!/usr/bin/env bash
# The memgrid program: options, configuration errors with file:line and exit
# status 2, start-up on a free port, readiness by a protocol ping, clean stop
# on SIGTERM and SIGINT, refusal of a port in use.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${MEMGRID_BIN:-$root/build/memgrid}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "ok   $1"; }
bad()  { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && tail -n 20 "$2" | sed 's/^/     /'; }

# ping PORT: authenticate and ping over the client protocol (the readiness check)
ping_member() {
    python3 -c "import sys; sys.path.insert(0, '$root/test/protocol'); import wire
c = wire.Conn($1); assert c.authenticate('${PING_CLUSTER:-dev}') == 0
c.send(wire.request(0x000B00, 2)); assert c.response()[0] == 0x000B01" 2>/dev/null
}

# start NAME ARGS...: starts a member, waits for its port file and a ping
start() {
    local name=$1; shift
    rm -f "$tmp/$name.port"
    "$bin" --port-file "$tmp/$name.port" "$@" >"$tmp/$name.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    eval "${name}_pid=$pid"
    for _ in $(seq 1 500); do
        if [ -s "$tmp/$name.port" ]; then
            eval "${name}_port=$(cat "$tmp/$name.port")"
            ping_member "$(cat "$tmp/$name.port")" && return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}

# wait_exit PID: exit status, or 124 after 10 s
wait_exit() {
    for _ in $(seq 1 1000); do
        kill -0 "$1" 2>/dev/null || { wait "$1"; return $?; }
        sleep 0.01
    done
    return 124
}

"$bin" --version | grep -q '^memgrid [0-9]' && ok "--version" || bad "--version"
"$bin" --help | grep -q -- '--check-config' && ok "--help" || bad "--help"
"$bin" --bogus >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown option exits 2" || bad "unknown option exits 2"

out="$tmp/check.out"
"$bin" --check-config "$root/test/config/article.yaml" >"$out" 2>&1
if [ $? -eq 0 ] && grep -q 'article.yaml:21\].*max-size' "$out" && grep -q 'my-distributed-cache' "$out"; then
    ok "the article's hazelcast.yaml is valid (max-size warned with its line)"
else
    bad "the article's hazelcast.yaml is valid" "$out"
fi

for f in "$root"/test/config/bad-*.yaml; do
    name=$(basename "$f")
    line=$(sed -n 's/^#.*line \([0-9]*\).*/\1/p' "$f" | head -1)
    "$bin" --check-config "$f" >"$out" 2>&1
    rc=$?
    if [ $rc -eq 2 ] && grep -q "\[$f:${line:-[0-9]*}" "$out"; then
        ok "$name: exit 2 with file:line"
    else
        bad "$name: exit 2 with file:line (rc=$rc, line=${line:-?})" "$out"
    fi
done

"$bin" --config "$root/test/config/bad-size.yaml" >"$out" 2>&1
[ $? -eq 2 ] && grep -q 'bad-size.yaml:9' "$out" && ok "start with an invalid config exits 2" \
    || bad "start with an invalid config exits 2" "$out"

if start a --port 0; then
    grep -q "listening on 127.0.0.1:$a_port" "$tmp/a.log" && grep -q 'built-in defaults' "$tmp/a.log" \
        && ok "starts on a free port and logs where and with which config" \
        || bad "start log" "$tmp/a.log"
    # a second member on the same port without auto-increment must refuse
    printf 'hazelcast:\n  network:\n    port:\n      port: %s\n      auto-increment: false\n' "$a_port" >"$tmp/busy.yaml"
    "$bin" --config "$tmp/busy.yaml" >"$out" 2>&1 &
    busy=$!; pids+=("$busy")
    wait_exit "$busy"; rc=$?
    [ $rc -eq 1 ] && grep -q 'cannot listen' "$out" && ok "port in use: clear error, exit 1" \
        || bad "port in use (rc=$rc)" "$out"
    # multicast on an interface this machine does not have (192.0.2.1 is a
    # documentation address; joining the group fails before anything is sent)
    printf 'hazelcast:\n  network:\n    join:\n      multicast:\n        enabled: true\n        multicast-time-to-live: 0\n' >"$tmp/mcast.yaml"
    "$bin" --config "$tmp/mcast.yaml" --host 192.0.2.1 --port 0 >"$out" 2>&1 &
    mc=$!; pids+=("$mc")
    wait_exit "$mc"; rc=$?
    [ $rc -eq 1 ] && grep -q 'multicast discovery cannot start: 224.2.2.3:54327 on interface 192.0.2.1' "$out" \
        && ok "multicast that cannot start: clear error, exit 1" || bad "multicast that cannot start (rc=$rc)" "$out"
    kill -TERM "$a_pid"; wait_exit "$a_pid"; rc=$?
    [ $rc -eq 0 ] && grep -q 'stopped' "$tmp/a.log" && ok "SIGTERM stops cleanly" || bad "SIGTERM (rc=$rc)" "$tmp/a.log"
else
    bad "member starts" "$tmp/a.log"
fi

mkdir -p "$tmp/cwd"
printf 'hazelcast:\n  cluster-name: from-cwd\n' >"$tmp/cwd/hazelcast.yaml"
if cd "$tmp/cwd" && PING_CLUSTER=from-cwd start b --port 0; then
    cd "$here"
    grep -q "cluster 'from-cwd'" "$tmp/b.log" && ok "reads ./hazelcast.yaml by default" || bad "reads ./hazelcast.yaml" "$tmp/b.log"
    kill -INT "$b_pid"; wait_exit "$b_pid"; rc=$?
    [ $rc -eq 0 ] && ok "SIGINT stops cleanly" || bad "SIGINT (rc=$rc)" "$tmp/b.log"
else
    bad "member starts from ./hazelcast.yaml" "$tmp/b.log"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
