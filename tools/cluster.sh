#!/usr/bin/env bash
# cluster.sh — run a local 3-member memgrid cluster on 127.0.0.1:5701-5703.
#
# usage: tools/cluster.sh [-h]
#
# Writes one hazelcast.yaml per member to a temporary directory (tcp-ip join
# with the member list 127.0.0.1:5701, :5702, :5703; multicast off; 1 s
# heartbeats, 2 s no-heartbeat limit; map.default backup-count 1), starts
# the member on 5701, waits until it listens, then starts the other two.
# Each member's log lines are printed prefixed with its port. Ctrl-C or
# SIGTERM stops all three (SIGTERM: graceful shutdown; SIGKILL after
# STOP_TIMEOUT seconds). If a member exits on its own, the others are
# stopped too and the script exits 1.
#
# Environment:
#   MEMGRID_BIN    member binary (default: build/memgrid of this repository)
#   CLUSTER_NAME   cluster name (default: dev, the Go client's default)
#   BACKUP_COUNT   map.default backup-count (default: 1)
#   STOP_TIMEOUT   seconds to wait for the members after SIGTERM (default: 30)
#   KEEP_DIR=1     keep the config/port-file directory
#
# Connect, for example, with the Go client:
#   config.Cluster.Network.SetAddresses("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703")
set -uo pipefail

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
case "${1:-}" in
-h|--help) usage; exit 0 ;;
"") ;;
*) usage >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${MEMGRID_BIN:-$root/build/memgrid}
name=${CLUSTER_NAME:-dev}
backups=${BACKUP_COUNT:-1}
stop_timeout=${STOP_TIMEOUT:-30}
ports=(5701 5702 5703)

if [ ! -x "$bin" ]; then
    echo "cluster.sh: memgrid binary $bin not found or not executable (make, or set MEMGRID_BIN)" >&2
    exit 1
fi
for p in "${ports[@]}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        echo "cluster.sh: 127.0.0.1:$p is already in use" >&2
        exit 1
    fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/memgrid-cluster.XXXXXX")
pids=()

stop_all() {
    local pid p i
    for i in "${!pids[@]}"; do
        pid=${pids[$i]}
        kill -CONT "$pid" 2>/dev/null
        kill -TERM "$pid" 2>/dev/null
    done
    for i in "${!pids[@]}"; do
        pid=${pids[$i]}; p=${ports[$i]}
        local waited=0
        while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((stop_timeout * 10)) ]; do
            sleep 0.1; waited=$((waited + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "cluster.sh: member $p did not stop within ${stop_timeout}s of SIGTERM; killing it" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
        echo "cluster.sh: member $p exited with status $?" >&2
    done
    pids=()
}

cleanup() {
    stop_all
    wait 2>/dev/null # the log prefixers
    if [ "${KEEP_DIR:-}" = 1 ]; then
        echo "cluster.sh: configs kept in $dir" >&2
    else
        rm -rf "$dir"
    fi
}

on_signal() {
    echo "cluster.sh: stopping the cluster" >&2
    cleanup
    trap - EXIT
    exit 0
}
trap on_signal INT TERM
trap cleanup EXIT

write_config() { # port
    local m
    {
        echo "hazelcast:"
        echo "  cluster-name: \"$name\""
        echo "  network:"
        echo "    port:"
        echo "      port: $1"
        echo "      auto-increment: false"
        echo "    join:"
        echo "      multicast:"
        echo "        enabled: false"
        echo "      tcp-ip:"
        echo "        enabled: true"
        echo "        member-list:"
        for m in "${ports[@]}"; do
            echo "          - 127.0.0.1:$m"
        done
        echo "  properties:"
        echo "    hazelcast.heartbeat.interval.seconds: \"1\""
        echo "    hazelcast.max.no.heartbeat.seconds: \"2\""
        echo "  map:"
        echo "    default:"
        echo "      backup-count: $backups"
    } >"$dir/member-$1.yaml"
}

start_member() { # port
    local p=$1
    write_config "$p"
    # Own session (setsid): Ctrl-C reaches the script only, which then
    # stops the members with SIGTERM. The prefixer ignores INT/TERM so the
    # members' last lines are still printed.
    if command -v setsid >/dev/null; then
        setsid "$bin" --config "$dir/member-$p.yaml" --port-file "$dir/port-$p" \
            > >(trap '' INT TERM; exec sed -u "s/^/[$p] /") 2>&1 &
    else
        "$bin" --config "$dir/member-$p.yaml" --port-file "$dir/port-$p" \
            > >(trap '' INT TERM; exec sed -u "s/^/[$p] /") 2>&1 &
    fi
    pids+=($!)
}

wait_listening() { # port pid
    local i
    for ((i = 0; i < 600; i++)); do
        [ -s "$dir/port-$1" ] && return 0
        if ! kill -0 "$2" 2>/dev/null; then
            echo "cluster.sh: member $1 exited before listening" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "cluster.sh: member $1 wrote no port file within 60 s" >&2
    return 1
}

echo "cluster.sh: $bin, cluster '$name', configs in $dir" >&2
# The first member founds the cluster; the others join it.
start_member "${ports[0]}"
wait_listening "${ports[0]}" "${pids[0]}" || exit 1
for p in "${ports[@]:1}"; do
    start_member "$p"
done
for i in 1 2; do
    wait_listening "${ports[$i]}" "${pids[$i]}" || exit 1
done
echo "cluster.sh: members listening on 127.0.0.1:${ports[0]}, :${ports[1]}, :${ports[2]} (cluster '$name'); Ctrl-C stops them" >&2

# Wait for a signal, or for a member to exit on its own.
while :; do
    for i in "${!pids[@]}"; do
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            wait "${pids[$i]}" 2>/dev/null
            echo "cluster.sh: member ${ports[$i]} exited on its own (status $?); stopping the others" >&2
            unset 'pids[i]'
            exit 1
        fi
    done
    sleep 1 &
    wait $! 2>/dev/null
done
