#!/usr/bin/env bash
# bench/memory/run.sh - what holding the same entries costs memgrid, Redis 7,
# memcached 1.6 and Hazelcast 5.7, in bytes per entry beside the payload.
#
#   bench/memory/run.sh [-n ENTRIES] [--only memgrid,redis,memcached,hazelcast]
#
# Every server gets N entries: a 16-character string key and a 100-byte
# value, as the Go client serializes them (28 + 112 = 140 payload bytes per
# entry; Redis and memcached get exactly those bytes as key and value, see
# loader/main.go).  Each server is started here on 127.0.0.1 (a free port),
# measured twice with the loader connected - before the load and after it -
# and stopped:
#   memgrid, Redis, memcached   RSS delta (VmRSS) / N
#   Hazelcast                   used heap after a full GC (jcmd GC.run, then
#                               GC.heap_info) delta / N; RSS delta is shown too
# and the per-entry figure minus 140 is the overhead.  Needs: build/memgrid
# (make), redis-server and memcached (apt-get install -y redis-server
# memcached), java and the Hazelcast 5.7.0 jar (test/go/run.sh fetches it).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

N=1000000
ONLY=memgrid,redis,memcached,hazelcast
while [ $# -gt 0 ]; do
    case "$1" in
    -n) N=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
PAYLOAD=140
. bench/hazelcast.sh
. bench/ports.sh
JAR=$HZ_JAR
export PATH="/usr/local/go/bin:$PATH"

work=$(mktemp -d /tmp/memgrid-membench.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

(cd bench/memory && go build -o "$work/loader" ./loader)

wait_port() {
    for _ in $(seq 1 1200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "run.sh: nothing listens on port $1" >&2
    return 1
}
rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }
heap_used() {   # bytes of Java heap in use after a full GC
    jcmd "$1" GC.run >/dev/null
    sleep 1
    jcmd "$1" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K.*/, "", v); print v * 1024; exit } }'
}
stop() {
    kill "$1" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$1" 2>/dev/null || true
}

results=()
# run_loader NAME MEASURE_FN LOADER_ARGS...: measure, load, measure.
run_loader() {
    local name=$1 fn=$2
    shift 2
    coproc LD { "$work/loader" "$@"; }
    local ld_pid=$LD_PID line before after
    read -r line <&"${LD[0]}"
    [ "$line" = ready ] || { echo "run.sh: loader: $line" >&2; return 1; }
    sleep 1
    before=$($fn)
    echo go >&"${LD[1]}"
    read -r line <&"${LD[0]}"
    sleep 2
    after=$($fn)
    echo done >&"${LD[1]}"
    wait "$ld_pid" || true
    local per
    per=$(awk -v a="$after" -v b="$before" -v n="$N" -v p="$PAYLOAD" \
        'BEGIN { printf "%.1f %.1f %.1f", (a - b) / 1048576, (a - b) / n, (a - b) / n - p }')
    results+=("$name $per")
    printf '%-10s delta %8.1f MiB  %7.1f B/entry  %6.1f B beside the payload\n' "$name" $per
}

want() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

echo "entries: $N (key 28 B + value 112 B = $PAYLOAD B of payload each, Go client serialized form)"

if want memgrid; then
    pick_ports 1; port=${PICKED[0]}
    cat >"$work/memgrid.yaml" <<EOF
hazelcast:
  cluster-name: bench
  properties:
    memgrid.memory.max-size: 16g
EOF
    "$root/build/memgrid" --config "$work/memgrid.yaml" --port "$port" >"$work/memgrid.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_port "$port"
    echo "memgrid $("$root/build/memgrid" --version 2>&1 | head -1) (pid $pid, 127.0.0.1:$port)"
    measure() { rss "$pid"; }
    run_loader memgrid measure -target member -addr "127.0.0.1:$port" -cluster bench -n "$N"
    stop "$pid"
fi

if want redis; then
    pick_ports 1; port=${PICKED[0]}
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --protected-mode no \
        --daemonize no >"$work/redis.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_port "$port"
    echo "$(redis-server --version) (pid $pid, 127.0.0.1:$port)"
    measure() { rss "$pid"; }
    run_loader redis measure -target redis -addr "127.0.0.1:$port" -n "$N"
    redis-cli -p "$port" info memory | grep -E '^(used_memory|used_memory_rss|mem_fragmentation_ratio|mem_allocator):' || true
    redis-cli -p "$port" dbsize || true
    stop "$pid"
fi

if want memcached; then
    pick_ports 1; port=${PICKED[0]}
    # memcached refuses to run as root without -u
    user=()
    [ "$(id -u)" = 0 ] && user=(-u root)
    memcached "${user[@]}" -l 127.0.0.1 -p "$port" -U 0 -m 65536 -t 2 -c 64 >"$work/memcached.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_port "$port"
    echo "memcached $(memcached -V | awk '{ print $2 }') (pid $pid, 127.0.0.1:$port)"
    measure() { rss "$pid"; }
    run_loader memcached measure -target memcached -addr "127.0.0.1:$port" -n "$N"
    python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"stats\r\nquit\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b: break
    data += b
for line in data.decode().splitlines():
    if any(k in line for k in (" curr_items ", " bytes ", " limit_maxbytes ", " hash_bytes ", " total_malloced ")):
        print(line)
' "$port" || true
    stop "$pid"
fi

if want hazelcast; then
    if [ ! -f "$JAR" ]; then
        echo "run.sh: no Hazelcast jar at $JAR (set HAZELCAST_JAR or run test/go/run.sh once)" >&2
        exit 1
    fi
    pick_ports 1; port=${PICKED[0]}
    hz_yaml bench "$port" "$port" >"$work/hazelcast.yaml"
    heap=$((N / 1000000 * 6 / 10 + 3))   # GiB: ~270 B/entry plus room to load
    java -Xms1g "-Xmx${heap}g" "${HZ_JVM_FLAGS[@]}" "-Dhazelcast.config=$work/hazelcast.yaml" \
        -cp "$JAR" com.hazelcast.core.server.HazelcastMemberStarter >"$work/hazelcast.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_port "$port"
    echo "Hazelcast $(unzip -p "$JAR" META-INF/MANIFEST.MF 2>/dev/null | awk -F': ' '/Implementation-Version/ { print $2 }' | tr -d '\r') on $(java -version 2>&1 | head -1), -Xmx${heap}g (pid $pid, 127.0.0.1:$port)"
    rss_before=$(rss "$pid")
    measure() { heap_used "$pid"; }
    run_loader hazelcast measure -target member -addr "127.0.0.1:$port" -cluster bench -n "$N"
    rss_after=$(rss "$pid")
    awk -v a="$rss_after" -v b="$rss_before" -v n="$N" \
        'BEGIN { printf "hazelcast  RSS delta %.1f MiB (%.1f B/entry; the JVM keeps its heap, so RSS is not the data)\n", (a - b) / 1048576, (a - b) / n }'
    stop "$pid"
fi

echo
echo "| server | memory for $N entries | bytes per entry | beside the $PAYLOAD B payload |"
echo "|---|---|---|---|"
for r in "${results[@]}"; do
    set -- $r
    printf '| %s | %s MiB | %s | **%s** |\n' "$1" "$2" "$3" "$4"
done
