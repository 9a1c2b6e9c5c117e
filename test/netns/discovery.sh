#!/usr/bin/env bash
# discovery.sh — members that find each other over a real network, in network
# namespaces this script creates (and always deletes): by multicast, and by
# the DNS name of a (simulated) headless Kubernetes service.
#
# usage: test/netns/discovery.sh [-h]      (as root)
#
# Topology (nothing is added to the root namespace's network):
#   namespace <hub>  bridge br0 10.78.0.1/24 (multicast snooping off), ports
#                    v1..v4; the client (memgrid-bench) runs here
#   namespace <mN>   eth0 10.78.0.(N+1)/24, memgrid member N (port 5701)
# Namespace names carry the script's PID: memgrid-disc-<pid>-{hub,m1..m4}.
#
# Steps, each wait bounded by a deadline:
#   1. members 1-3 start at once with multicast discovery only (a group of
#      their own, TTL 1, no tcp-ip member list). They must form one cluster:
#      a client sees 3 members through each of them, and exactly one of
#      them founded it.
#   2. 10,000 keys are written through member 1 and read back (smart
#      routing over all members): no error, no miss.
#   3. member 4 starts with kubernetes discovery only: service-dns names a
#      service whose records are the four members' addresses (the hosts file
#      `ip netns exec` gives its namespace, /etc/netns/<ns>/hosts, created
#      and removed by this script). It must join: 4 members seen through
#      every member, and it must log the lookup; the keys read back again.
#   4. members 1-3 start again with kubernetes discovery and
#      hazelcast.initial.min.cluster.size 3 while each one's name resolves to
#      its own address only: each founds a cluster of one and serves no
#      client.  Then the records list all three: members 2 and 3 start over
#      and join member 1 (the smallest address), and a client sees 3 members
#      through each.
# One PASS/FAIL line per check; exit 0 when all pass, 1 when one fails (the
# tails of the member logs are printed), 2 on a usage or set-up error.
#
# Skip rule: as split.sh (prints SKIP and exits 0 when namespaces cannot be
# made, unless SPLIT_REQUIRE=1).
#
# Environment: MEMGRID_BIN, MEMGRID_BENCH, KEYS (default 10000),
# SPLIT_REQUIRE=1, KEEP_DIR=1 (as split.sh).
set -uo pipefail

case "${1:-}" in
-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${MEMGRID_BIN:-$root/build/memgrid}
bench=${MEMGRID_BENCH:-$root/build/memgrid-bench}
keys=${KEYS:-10000}
cluster="disc-$$"
port=5701
addrs=(10.78.0.2 10.78.0.3 10.78.0.4 10.78.0.5)
group="239.78.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
mport=$((40000 + RANDOM % 20000))
service=memgrid-hz.disc.svc.test
t0=$(date +%s.%N)

NETNS_TEST=discovery.sh
NETNS_WHAT="the discovery test"
# shellcheck source=lib.sh
. "$root/test/netns/lib.sh"

require_tools

ns_hub="memgrid-disc-$$-hub"
ns=("memgrid-disc-$$-m1" "memgrid-disc-$$-m2" "memgrid-disc-$$-m3" "memgrid-disc-$$-m4")
made_ns=()
pids=()
made_etc_netns=0
dir=$(mktemp -d "${TMPDIR:-/tmp}/memgrid-disc.XXXXXX")
failed=0

print_tails() {
    local i
    for i in 1 2 3 4; do
        [ -f "$dir/member$i.log" ] || continue
        echo "----- member $i (${addrs[$((i - 1))]}): last 30 lines of $dir/member$i.log, client lines left out -----"
        grep -v -E "\] client [0-9.:]+ authenticated|\] client connection [0-9.:]+ closed" "$dir/member$i.log" | tail -n 30
    done
    echo "-----"
}

cleanup() {
    local rc=$? n pid k
    trap - EXIT INT TERM
    [ "$failed" != 0 ] || [ "$rc" != 0 ] && print_tails
    {
        for pid in "${pids[@]}"; do kill -KILL "$pid"; done
        for pid in "${pids[@]}"; do
            for ((k = 0; k < 50; k++)); do kill -0 "$pid" || break; sleep 0.1; done
            wait "$pid"
        done
    } 2>/dev/null   # (no "Killed" job notices)
    for n in "${made_ns[@]}"; do
        ip netns del "$n" 2>/dev/null || say "warning: could not delete namespace $n"
    done
    for n in "${ns[@]}"; do rm -rf "/etc/netns/$n"; done
    [ "$made_etc_netns" = 1 ] && rmdir /etc/netns 2>/dev/null
    if [ "${KEEP_DIR:-}" = 1 ] || [ "$rc" != 0 ]; then
        say "configs and logs kept in $dir"
    else
        rm -rf "$dir"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# ---- namespaces, bridge, veths ---------------------------------------------
make_network 10.78.0.1/24 mcast_snooping 0
say "namespaces ${ns_hub} m1..m4; bridge br0 10.78.0.1/24; multicast $group:$mport; logs in $dir"

# ---- members ----------------------------------------------------------------
write_config() { # index join-section-lines...
    local i=$1; shift
    {
        echo "hazelcast:"
        echo "  cluster-name: \"$cluster\""
        echo "  network:"
        echo "    port:"
        echo "      port: $port"
        echo "      auto-increment: false"
        echo "    join:"
        printf '      %s\n' "$@"
        echo "  properties:"
        echo "    hazelcast.heartbeat.interval.seconds: \"1\""
        echo "    hazelcast.max.no.heartbeat.seconds: \"2\""
    } >"$dir/member$((i + 1)).yaml"
}
start_member() { # index
    local i=$1
    ip netns exec "${ns[$i]}" "$bin" --config "$dir/member$((i + 1)).yaml" --host "${addrs[$i]}" \
        --port "$port" >"$dir/member$((i + 1)).log" 2>&1 &
    pids+=($!)
}
all_see() { # count members...
    local n=$1 i; shift
    for i in "$@"; do sees_members "${addrs[$i]}" "$n" || return 1; done
}
read_back() { # what
    local out errors misses ops
    out=$(bench_json "${addrs[0]}" --map disc --keys "$keys" --mix get:100 --ops "$keys" --warmup 0 --no-load)
    errors=$(jfield "$out" errors); misses=$(jfield "$out" misses); ops=$(jfield "$out" ops)
    if [ -n "$ops" ] && [ "${errors:-1}" = 0 ] && [ "${misses:-1}" = 0 ]; then
        pass "$1: $ops reads over every member, no error, no miss"
    else
        fail "$1: reads gave errors=${errors:-?} misses=${misses:-?} ops=${ops:-?}"
    fi
}

multicast=("multicast:" "  enabled: true" "  multicast-group: $group" "  multicast-port: $mport"
    "  multicast-time-to-live: 1" "tcp-ip:" "  enabled: false")
for i in 0 1 2; do
    write_config "$i" "${multicast[@]}"
    start_member "$i"
done

# 1. multicast
if wait_until 30 all_see 3 0 1 2; then
    pass "members 1-3 formed one cluster by multicast in $(elapsed) s: a client sees 3 members through each"
else
    abort "members 1-3 did not form one 3-member cluster by multicast within 30 s"
fi
founders=$(grep -l "starting the cluster, as its master" "$dir"/member[123].log | wc -l)
[ "$founders" = 1 ] && pass "exactly one member founded the cluster" ||
    fail "$founders members founded a cluster (want 1)"
grep -q "multicast found" "$dir/member2.log" && pass "member 2 logs the addresses multicast gave it" ||
    fail "member 2 has no 'multicast found' line"

# 2. data
out=$(bench_json "${addrs[0]}" --map disc --keys "$keys" --mix set:100 --ops 1 --warmup 0)
[ "$(jfield "$out" errors)" = 0 ] && pass "$keys keys loaded through member 1" || fail "loading: $out"
read_back "after the multicast join"

# 3. kubernetes DNS
[ -d /etc/netns ] || made_etc_netns=1
mkdir -p "/etc/netns/${ns[3]}"
for a in "${addrs[@]}"; do echo "$a $service"; done >"/etc/netns/${ns[3]}/hosts"
write_config 3 "kubernetes:" "  enabled: true" "  service-dns: $service" "  service-port: $port"
t4=$(date +%s.%N)
start_member 3
if wait_until 30 all_see 4 0 1 2 3; then
    pass "member 4 joined through kubernetes DNS ($service) in $(awk -v a="$t4" -v b="$(date +%s.%N)" \
        'BEGIN { printf "%.1f", b - a }') s: a client sees 4 members through each"
else
    fail "member 4 did not join through kubernetes DNS within 30 s"
fi
grep -q "kubernetes discovery: $service has 4 addresses" "$dir/member4.log" &&
    pass "member 4 logs the lookup: $service has 4 addresses" ||
    fail "member 4 does not log '$service has 4 addresses'"
read_back "after the DNS join"

# 4. clusters that formed apart become one: members 1-3 start again with
# kubernetes DNS and initial.min.cluster.size 3, while each one's name
# resolves to its own address only (DNS not caught up); each founds a
# cluster of one, which refuses clients.  Then the records list all three.
{
    for pid in "${pids[@]}"; do kill -KILL "$pid"; done
    for pid in "${pids[@]}"; do wait "$pid"; done
} 2>/dev/null
pids=()
for i in 0 1 2; do
    mkdir -p "/etc/netns/${ns[$i]}"
    echo "${addrs[$i]} $service" >"/etc/netns/${ns[$i]}/hosts"
    write_config "$i" "kubernetes:" "  enabled: true" "  service-dns: $service" "  service-port: $port"
    printf '    hazelcast.initial.min.cluster.size: "3"\n' >>"$dir/member$((i + 1)).yaml"
    start_member "$i"
done
founded() { [ "$(grep -l "starting the cluster, as its master" "$dir"/member[123].log | wc -l)" = 3 ]; }
if wait_until 20 founded; then
    pass "with DNS behind, members 1-3 each founded a cluster of one"
else
    abort "members 1-3 did not each found a cluster while DNS listed only themselves"
fi
sees_members "${addrs[0]}" 1 && fail "a client was served by a cluster below initial.min.cluster.size" ||
    pass "no client is served below initial.min.cluster.size"
t5=$(date +%s.%N)
for i in 0 1 2; do
    # in place: `ip netns exec` bind-mounted this very file over /etc/hosts
    for a in "${addrs[@]:0:3}"; do echo "$a $service"; done >"/etc/netns/${ns[$i]}/hosts"
done
if wait_until 60 all_see 3 0 1 2; then
    pass "once DNS listed all three, they became one cluster in $(awk -v a="$t5" -v b="$(date +%s.%N)" \
        'BEGIN { printf "%.1f", b - a }') s: a client sees 3 members through each"
else
    fail "the three clusters of one did not become one within 60 s"
fi
over=$(grep -l "starting over" "$dir"/member[123].log | wc -l)
[ "$over" = 2 ] && ! grep -q "starting over" "$dir/member1.log" &&
    pass "members 2 and 3 started over; member 1 (the smallest address) stayed" ||
    fail "$over members started over (want members 2 and 3)"

say "done in $(elapsed) s"
[ "$failed" = 0 ]
