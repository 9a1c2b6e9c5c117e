#!/usr/bin/env bash
# The official Java client (inside the Hazelcast 5.7 jar) against memgrid:
# MapTranscript.java runs a fixed sequence of IMap operations and prints one
# line per result; the lines must equal hazelcast-5.7.golden, the transcript
# of the same program against a Hazelcast 5.7 member.  It runs against one
# memgrid member, then against a 3-member memgrid cluster (the smart client
# talks to every member; backup-count 1).
#
#   test/java/run.sh            # memgrid, both topologies, compared with the golden file
#   test/java/run.sh --update   # rewrite the golden file from a Hazelcast 5.7 member
#
# Needs javac/java (17) and the jar (fetched with Maven when missing).
# Members listen on 127.0.0.1 only; every process started here is stopped on
# exit.  Environment: MEMGRID_BIN, HAZELCAST_JAR, KEEP_DIR=1.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${MEMGRID_BIN:-$root/build/memgrid}
golden=$here/hazelcast-5.7.golden
# shellcheck source=../../bench/hazelcast.sh
. "$root/bench/hazelcast.sh"
# shellcheck source=../../bench/ports.sh
. "$root/bench/ports.sh"
update=0
case "${1:-}" in
--update) update=1 ;;
"") ;;
*) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/memgrid-java.XXXXXX")
pids=()
failed=0
cleanup() {
    local rc=$? p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    if [ "${KEEP_DIR:-}" = 1 ] || [ "$rc" != 0 ]; then echo "java: logs kept in $tmp"; else rm -rf "$tmp"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "java: $*"; }

for tool in javac java; do
    command -v "$tool" >/dev/null || { say "FAIL: $tool not found (Debian: openjdk-17-jdk-headless)"; exit 1; }
done
if [ ! -f "$HZ_JAR" ]; then
    say "fetching the Hazelcast 5.7.0 jar with Maven"
    mvn -q dependency:get -Dtransitive=false -Dartifact=com.hazelcast:hazelcast:5.7.0 >&2 ||
        { say "FAIL: cannot fetch the Hazelcast jar"; exit 1; }
fi
mkdir -p "$tmp/classes"
javac -d "$tmp/classes" -cp "$HZ_JAR" "$here/MapTranscript.java" || { say "FAIL: javac"; exit 1; }

# transcript NAME CLUSTER ADDR...: runs the program (at most 120 s); its
# output in $tmp/NAME.txt, 0 when it ended well
transcript() {
    local name=$1; shift
    timeout 120 java -cp "$HZ_JAR:$tmp/classes" MapTranscript "$@" >"$tmp/$name.txt" 2>"$tmp/$name.err"
}

# compare NAME: the transcript against the golden file
compare() {
    if diff -u "$golden" "$tmp/$1.txt" >"$tmp/$1.diff"; then
        say "PASS: $1: $(wc -l <"$tmp/$1.txt") lines, the same as Hazelcast 5.7's"
    else
        say "FAIL: $1: the transcript differs from Hazelcast 5.7's:"
        cat "$tmp/$1.diff"
        tail -n 20 "$tmp/$1.err"
        failed=1
    fi
}

cluster="java-$$"
if [ "$update" = 1 ]; then
    pick_ports 1; port=${PICKED[0]}
    hz_yaml "$cluster" "$port" "$port" >"$tmp/hz.yaml"
    java -Xmx512m "${HZ_JVM_FLAGS[@]}" -Dhazelcast.config="$tmp/hz.yaml" -cp "$HZ_JAR" \
        com.hazelcast.core.server.HazelcastMemberStarter >"$tmp/hz.log" 2>&1 &
    pids+=($!)
    # the client waits (up to 60 s) for the member to accept it: that is the readiness check
    transcript hazelcast "$cluster" "127.0.0.1:$port" || { say "FAIL: against Hazelcast"; tail "$tmp/hazelcast.err"; exit 1; }
    cp "$tmp/hazelcast.txt" "$golden"
    say "wrote $golden ($(wc -l <"$golden") lines)"
    exit 0
fi
[ -x "$bin" ] || { say "FAIL: $bin not found (make, or set MEMGRID_BIN)"; exit 1; }
[ -s "$golden" ] || { say "FAIL: $golden missing (test/java/run.sh --update)"; exit 1; }

# one member
printf 'hazelcast:\n  cluster-name: %s\n' "$cluster" >"$tmp/one.yaml"
"$bin" --config "$tmp/one.yaml" --port 0 --port-file "$tmp/one.port" >"$tmp/one.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do [ -s "$tmp/one.port" ] && break; sleep 0.02; done
if transcript one-member "$cluster" "127.0.0.1:$(cat "$tmp/one.port")"; then
    compare one-member
else
    say "FAIL: one member: the program failed"; tail -n 20 "$tmp/one-member.err"; failed=1
fi

# three members, backup-count 1
pick_ports 3; ports=("${PICKED[@]}")
addrs=()
for p in "${ports[@]}"; do addrs+=("127.0.0.1:$p"); done
for i in 0 1 2; do
    {
        printf 'hazelcast:\n  cluster-name: %s\n  network:\n    port:\n      port: %s\n      auto-increment: false\n' \
            "$cluster-3" "${ports[$i]}"
        printf '    join:\n      tcp-ip:\n        enabled: true\n        member-list:\n'
        for a in "${addrs[@]}"; do printf '          - %s\n' "$a"; done
        printf '  map:\n    default:\n      backup-count: 1\n'
    } >"$tmp/m$i.yaml"
    "$bin" --config "$tmp/m$i.yaml" >"$tmp/m$i.log" 2>&1 &
    pids+=($!)
done
formed() { grep -q "members \[3\]" "$tmp/m0.log" && grep -q "members \[3\]" "$tmp/m1.log" && grep -q "members \[3\]" "$tmp/m2.log"; }
for _ in $(seq 1 300); do formed && break; sleep 0.1; done
formed || { say "FAIL: the 3 members did not form a cluster in 30 s"; tail -n 5 "$tmp"/m*.log; exit 1; }
if transcript three-members "$cluster-3" "${addrs[@]}"; then
    compare three-members
    served=0
    for i in 0 1 2; do grep -q "client .* authenticated (JVM" "$tmp/m$i.log" && served=$((served + 1)); done
    [ "$served" = 3 ] && say "PASS: three-members: the client connected to all 3 members (smart routing)" ||
        { say "FAIL: three-members: the client authenticated on $served of 3 members"; failed=1; }
else
    say "FAIL: three members: the program failed"; tail -n 20 "$tmp/three-members.err"; failed=1
fi
[ "$failed" = 0 ]
