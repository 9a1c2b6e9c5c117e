# test/netns/lib.sh - sourced by the namespace tests (split.sh, discovery.sh):
# reporting, bounded waits, the hub-and-bridge network, and memgrid-bench
# probes from the hub.  The script sets, before sourcing:
#   NETNS_TEST  its name for messages ("split.sh")
#   NETNS_WHAT  what did not run when it skips ("the network-split test")
# and, before using the network and probe helpers: ns_hub, ns (member
# namespaces), addrs (their addresses), made_ns (namespaces to delete),
# bench, port, cluster, dir, t0.

say() { echo "$NETNS_TEST: $*"; }
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# Skip rule: no namespaces here (not root, no CAP_NET_ADMIN) is a visible
# SKIP, or a failure with SPLIT_REQUIRE=1.
skip() {
    if [ "${SPLIT_REQUIRE:-}" = 1 ]; then
        say "FAIL: cannot run (SPLIT_REQUIRE=1): $*"
        exit 1
    fi
    say "SKIP: $*"
    say "SKIP: $NETNS_WHAT did NOT run (set SPLIT_REQUIRE=1 to make this a failure)"
    exit 0
}

# require_tools: the member and load generator binaries ($bin, $bench; exit
# 2 when missing) and iproute2 (a skip when missing).
require_tools() {
    local f
    for f in "$bin" "$bench"; do
        if [ ! -x "$f" ]; then
            say "error: $f not found or not executable (run make, or set MEMGRID_BIN / MEMGRID_BENCH)" >&2
            exit 2
        fi
    done
    command -v ip >/dev/null || skip "iproute2 'ip' command not found"
}

pass() { say "PASS: $*"; }
fail() { say "FAIL: $*"; failed=1; }
# A failed check the later steps cannot do without.
abort() { fail "$*"; say "stopping after $(elapsed) s: later checks depend on this one"; exit 1; }

# wait_until SECONDS CMD...: run CMD every 0.2 s until it succeeds; 1 at the deadline.
wait_until() {
    local limit=$1; shift
    local end=$(($(date +%s%N) + limit * 1000000000))
    while :; do
        "$@" && return 0
        [ "$(date +%s%N)" -ge "$end" ] && return 1
        sleep 0.2
    done
}

# make_network HUB_CIDR [BRIDGE_OPTIONS...]: the hub namespace with bridge br0
# (HUB_CIDR, e.g. 10.77.0.1/24), and one namespace per entry of ns, joined to
# it by a veth pair: vN in the hub, eth0 with addrs[N-1]/24 in the member's.
# Both ends are made inside namespaces: the root namespace is untouched.
# Skips when namespaces cannot be made; returns once br0 forwards.
make_network() {
    local cidr=$1 err i; shift
    if ! err=$(ip netns add "$ns_hub" 2>&1); then
        skip "cannot create a network namespace (needs root / CAP_NET_ADMIN): ${err:-ip netns add failed}"
    fi
    made_ns+=("$ns_hub")
    {
        ip -n "$ns_hub" link set lo up &&
            ip -n "$ns_hub" link add br0 type bridge "$@" &&
            ip -n "$ns_hub" addr add "$cidr" dev br0 &&
            ip -n "$ns_hub" link set br0 up
    } || skip "namespace $ns_hub was created but the bridge set-up failed (see the ip errors above)"
    for i in "${!ns[@]}"; do
        ip netns add "${ns[$i]}" || skip "cannot create namespace ${ns[$i]}"
        made_ns+=("${ns[$i]}")
        {
            ip -n "$ns_hub" link add "v$((i + 1))" type veth peer name eth0 netns "${ns[$i]}" &&
                ip -n "$ns_hub" link set "v$((i + 1))" master br0 &&
                ip -n "$ns_hub" link set "v$((i + 1))" up &&
                ip -n "${ns[$i]}" link set lo up &&
                ip -n "${ns[$i]}" addr add "${addrs[$i]}/24" dev eth0 &&
                ip -n "${ns[$i]}" link set eth0 up
        } || skip "the veth set-up of ${ns[$i]} failed (see the ip errors above)"
    done
    # The bridge ports must forward before the members look for each other.
    bridge_ready() { ip -n "$ns_hub" -o link show br0 | grep -q 'state UP'; }
    wait_until 5 bridge_ready || abort "bridge br0 did not come up within 5 s"
}

# bench_json HOST ARGS...: one memgrid-bench run from the hub, its JSON on stdout
bench_json() {
    local host=$1; shift
    ip netns exec "$ns_hub" "$bench" --host "$host" --port "$port" --cluster "$cluster" \
        --quiet --json --timeout 3 --drain 3 "$@" 2>>"$dir/bench.err"
}
# jfield JSON NAME: a number field of memgrid-bench's JSON (first occurrence)
jfield() { sed -n "s/.*\"$2\":\([0-9][0-9]*\).*/\1/p" <<<"$1" | head -n 1; }
# jstr JSON NAME: a string field
jstr() { sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" <<<"$1" | head -n 1; }

members_seen() { # host: member count a fresh client sees through it, or -1
    local out n
    out=$(bench_json "$1" --map probe --keys 100 --mix get:100 --ops 100 --warmup 0 --no-load) || true
    n=$(jfield "$out" members)
    echo "${n:--1}"
}
sees_members() { # host count
    [ "$(members_seen "$1")" = "$2" ]
}
