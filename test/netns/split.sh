#!/usr/bin/env bash
# split.sh — a real network split of a 3-member memgrid cluster, in network
# namespaces this script creates (and always deletes).
#
# usage: sudo test/netns/split.sh [-h]
#
# Topology (nothing is added to the root namespace):
#   namespace <hub>  bridge br0 10.77.0.1/24, ports v1 v2 v3; the clients
#                    (memgrid-bench and a small Python reader) run here
#   namespace <m1>   eth0 10.77.0.2/24  memgrid member 1 (port 5701)
#   namespace <m2>   eth0 10.77.0.3/24  memgrid member 2
#   namespace <m3>   eth0 10.77.0.4/24  memgrid member 3
# Namespace names carry the script's PID: memgrid-split-<pid>-{hub,m1,m2,m3}.
#
# Steps, each wait bounded by a deadline (no fixed sleeps stand in for a check):
#   1. start the members, wait until a client sees 3 members through each one
#   2. load KEYS keys (memgrid-bench set) through member 1; read every key back
#   3. split: take v3 (member 3's bridge port) down. The majority (members 1, 2)
#      must log the removal of member 3 and a 2-member list; every key must
#      read back through members 1 and 2 with no miss and no error; writes
#      through the majority must succeed; member 3 must not install a list,
#      become master or found a cluster while cut off
#   4. heal: v3 up. Member 3 must log "rejoining as a new member" and then a
#      3-member list, and all three the same 3-member list, within HEAL_LIMIT;
#      the partition table must settle on all three; every key (the KEYS
#      loaded before the split and the SPLIT_KEYS written during it) must read
#      back through each member; and until the end member 3 must not be
#      removed again or rejoin a second time (no flapping).
# One PASS/FAIL line per check; exit 0 when all pass, 1 when one fails (the
# tails of the member logs are printed), 2 on a usage or set-up error.
#
# Skip rule: when this process cannot create a network namespace (not root,
# no CAP_NET_ADMIN, as in many CI containers) or iproute2's `ip` is missing,
# it prints "split.sh: SKIP: <reason>" and exits 0 — unless
# SPLIT_REQUIRE=1, which turns the skip into a failure (exit 1).
#
# Environment:
#   MEMGRID_BIN    member binary (default: build/memgrid of this repository)
#   MEMGRID_BENCH  load generator (default: build/memgrid-bench)
#   KEYS           keys loaded before the split (default 20000)
#   SPLIT_KEYS     keys written to a second map during the split (default 5000)
#   SPLIT_HOLD     seconds member 3 stays cut off at least (default 6)
#   HEAL_LIMIT     seconds allowed for member 3's rejoin after the heal (default 20)
#   SPLIT_REQUIRE=1  fail instead of skipping when namespaces cannot be made
#   KEEP_DIR=1     keep the temporary directory (configs, logs); it is kept
#                  anyway when a check failed
set -uo pipefail

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
case "${1:-}" in
-h|--help) usage; exit 0 ;;
"") ;;
*) usage >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${MEMGRID_BIN:-$root/build/memgrid}
bench=${MEMGRID_BENCH:-$root/build/memgrid-bench}
keys=${KEYS:-20000}
split_keys=${SPLIT_KEYS:-5000}
hold=${SPLIT_HOLD:-6}
heal_limit=${HEAL_LIMIT:-20}
cluster="split-$$"
map=split
split_map=split-writes
port=5701
addrs=(10.77.0.2 10.77.0.3 10.77.0.4)
t0=$(date +%s.%N)

NETNS_TEST=split.sh
NETNS_WHAT="the network-split test"
# shellcheck source=lib.sh
. "$root/test/netns/lib.sh"

# ---- prerequisites ---------------------------------------------------------
require_tools
if ! command -v python3 >/dev/null; then
    say "error: python3 is needed for the key-by-key reader" >&2
    exit 2
fi

ns_hub="memgrid-split-$$-hub"
ns=("memgrid-split-$$-m1" "memgrid-split-$$-m2" "memgrid-split-$$-m3")
made_ns=()
pids=()
dir=$(mktemp -d "${TMPDIR:-/tmp}/memgrid-split.XXXXXX")
failed=0
tails_printed=0

print_tails() {
    [ "$tails_printed" = 1 ] && return
    tails_printed=1
    local i
    [ -f "$dir/member1.log" ] || return
    for i in 0 1 2; do
        [ -f "$dir/member$((i + 1)).log" ] || continue
        echo "----- member $((i + 1)) (${addrs[$i]}): last 40 lines of $dir/member$((i + 1)).log, client connect/close lines left out -----"
        grep -v -E "\] client [0-9.:]+ authenticated|\] client connection [0-9.:]+ closed" "$dir/member$((i + 1)).log" | tail -n 40
    done
    echo "-----"
}

# Members are killed (SIGKILL): a graceful leave would wait for data to
# move, which is not what this test is about.
stop_members() {
    local pid n
    for pid in "${pids[@]}"; do
        kill -KILL "$pid"
    done
    for pid in "${pids[@]}"; do
        for ((n = 0; n < 50; n++)); do
            kill -0 "$pid" || break
            sleep 0.1
        done
        wait "$pid"
    done
}

cleanup() {
    local rc=$? i pid n
    trap - EXIT INT TERM
    if [ "$failed" != 0 ] || [ "$rc" != 0 ]; then
        print_tails
    fi
    stop_members 2>/dev/null   # (no "Killed" job notices)
    # Deleting a namespace deletes the veth ends and the bridge inside it
    # (and with them the peer ends in the other namespaces).
    for n in "${made_ns[@]}"; do
        ip netns del "$n" 2>/dev/null || say "warning: could not delete namespace $n"
    done
    if [ "${KEEP_DIR:-}" = 1 ] || { [ "$rc" != 0 ] && [ -f "$dir/member1.log" ]; }; then
        say "configs and logs kept in $dir"
    else
        rm -rf "$dir"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# ---- namespaces, bridge, veths ---------------------------------------------
make_network 10.77.0.1/24
say "namespaces ${ns_hub} ${ns[*]}; bridge br0 10.77.0.1/24; members ${addrs[*]}; logs in $dir"

# ---- members ----------------------------------------------------------------
write_config() { # index
    local i=$1 a
    {
        echo "hazelcast:"
        echo "  cluster-name: \"$cluster\""
        echo "  network:"
        echo "    public-address: ${addrs[$i]}"
        echo "    port:"
        echo "      port: $port"
        echo "      auto-increment: false"
        echo "    join:"
        echo "      multicast:"
        echo "        enabled: false"
        echo "      tcp-ip:"
        echo "        enabled: true"
        echo "        member-list:"
        for a in "${addrs[@]}"; do
            echo "          - $a:$port"
        done
        echo "  properties:"
        echo "    hazelcast.heartbeat.interval.seconds: \"1\""
        echo "    hazelcast.max.no.heartbeat.seconds: \"2\""
        echo "  map:"
        echo "    default:"
        echo "      backup-count: 1"
    } >"$dir/member$((i + 1)).yaml"
}

for i in 0 1 2; do
    write_config "$i"
    # `ip netns exec` execs the program: $! is the member's PID.
    ip netns exec "${ns[$i]}" "$bin" --config "$dir/member$((i + 1)).yaml" --host "${addrs[$i]}" \
        --port "$port" --port-file "$dir/port$((i + 1))" >"$dir/member$((i + 1)).log" 2>&1 &
    pids+=($!)
done

members_alive() {
    local i
    for i in 0 1 2; do
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            fail "member $((i + 1)) (${addrs[$i]}) exited unexpectedly"
            return 1
        fi
    done
}

log() { cat "$dir/member$1.log"; }
# since N K: member N's log after its first K lines
since() { tail -n "+$(($2 + 1))" "$dir/member$1.log"; }
lines() { wc -l <"$dir/member$1.log"; }

# ---- clients, all from the hub namespace ------------------------------------
cat >"$dir/reader.py" <<'PY'
"""Reads every key "key:0".."key:N-1" of a map (as memgrid-bench writes them)
exactly once, Map.Get over one unisocket connection to the given member, so
every read goes through that member (forwarded when it is not the owner).
Retryable errors are retried (as the official clients do) within a deadline.
Prints: keys=N present=P misses=M errors=E retried=R"""
import socket, struct, sys, time, uuid

host, port, cluster, name, nkeys = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
deadline = time.monotonic() + float(sys.argv[6]) if len(sys.argv) > 6 else time.monotonic() + 20
BEGIN, END, FINAL, NULL, UNFRAG, EVENT = 0x1000, 0x0800, 0x2000, 0x0400, 0xC000, 0x0200

def frame(content, flags=0):
    return struct.pack("<iH", 6 + len(content), flags) + content

def request(mtype, corr, partition, fixed=b"", frames=()):
    parts = [(struct.pack("<iqi", mtype, corr, partition) + fixed, UNFRAG)] + list(frames)
    return b"".join(frame(c, f | (FINAL if i == len(parts) - 1 else 0)) for i, (c, f) in enumerate(parts))

def murmur3(data, seed=0x01000193):
    c1, c2, h, n = 0xcc9e2d51, 0x1b873593, seed, len(data)
    for i in range(0, n - n % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * c1) & 0xffffffff; k = ((k << 15) | (k >> 17)) & 0xffffffff; k = (k * c2) & 0xffffffff
        h ^= k; h = ((h << 13) | (h >> 19)) & 0xffffffff; h = (h * 5 + 0xe6546b64) & 0xffffffff
    tail, k = data[n - n % 4:], 0
    if len(tail) >= 3: k ^= tail[2] << 16
    if len(tail) >= 2: k ^= tail[1] << 8
    if len(tail) >= 1:
        k ^= tail[0]; k = (k * c1) & 0xffffffff; k = ((k << 15) | (k >> 17)) & 0xffffffff
        k = (k * c2) & 0xffffffff; h ^= k
    h ^= n; h ^= h >> 16; h = (h * 0x85ebca6b) & 0xffffffff; h ^= h >> 13
    h = (h * 0xc2b2ae35) & 0xffffffff; h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h

class Conn:
    def __init__(self):
        self.s = socket.create_connection((host, port), timeout=5)
        self.s.sendall(b"CP2")
        self.buf = b""
    def message(self):
        frames = []
        while True:
            while len(self.buf) < 6 or len(self.buf) < struct.unpack_from("<i", self.buf)[0]:
                chunk = self.s.recv(1 << 20)
                if not chunk:
                    raise EOFError("connection closed by the member")
                self.buf += chunk
            length, flags = struct.unpack_from("<iH", self.buf)
            frames.append((flags, self.buf[6:length]))
            self.buf = self.buf[length:]
            if flags & FINAL:
                return frames

def key_data(i):
    s = b"key:%d" % i
    return struct.pack(">iii", 0, -11, len(s)) + s   # String Data, as memgrid-bench

c = Conn()
u = uuid.uuid4().bytes
c.s.sendall(request(0x000100, 1, -1, b"\x00" + u[:8][::-1] + u[8:][::-1] + b"\x01", [
    (cluster.encode(), 0), (b"", NULL), (b"", NULL), (b"PYS", 0), (b"5.7.0", 0),
    (b"split-reader", 0), (b"", BEGIN), (b"", END)]))
while True:
    m = c.message()
    if not m[0][0] & EVENT:
        break
f0 = m[0][1]
if struct.unpack_from("<i", f0)[0] != 0x000101 or f0[13] != 0:
    print("keys=%d present=0 misses=0 errors=%d retried=0 (authentication failed)" % (nkeys, nkeys))
    sys.exit(1)
partitions = struct.unpack_from("<i", f0, 13 + 19)[0]

pending, present, misses, retried, last_err = list(range(nkeys)), 0, 0, 0, ""
corr = 10
while pending and time.monotonic() < deadline:
    again = []
    for lo in range(0, len(pending), 500):
        batch, sent = pending[lo:lo + 500], {}
        out = []
        for i in batch:
            kd = key_data(i)
            h = murmur3(kd[8:])
            p = 0 if h == -(1 << 31) else abs(h) % partitions
            corr += 1
            sent[corr] = i
            out.append(request(0x010200, corr, p, struct.pack("<q", 1), [(name.encode(), 0), (kd, 0)]))
        c.s.sendall(b"".join(out))
        while sent:
            m = c.message()
            if m[0][0] & EVENT:
                continue
            mtype, rc = struct.unpack_from("<iq", m[0][1])
            i = sent.pop(rc)
            if mtype == 0:          # error: retried below
                code = struct.unpack_from("<i", m[3][1])[0] if len(m) > 3 else -1
                last_err = "error code %d on key:%d" % (code, i)
                again.append(i)
            elif len(m) > 1 and not m[1][0] & NULL and len(m[1][1]) > 8:
                present += 1
            else:
                misses += 1
    retried += len(again)
    pending = again
    if pending:
        time.sleep(0.2)
print("keys=%d present=%d misses=%d errors=%d retried=%d%s" % (
    nkeys, present, misses, len(pending), retried, (" last error: " + last_err) if last_err else ""))
sys.exit(0 if present == nkeys else 1)
PY

# read_all MEMBER_INDEX MAP COUNT LABEL: every key through that member; PASS/FAIL
read_all() {
    local i=$1 m=$2 n=$3 label=$4 out
    out=$(ip netns exec "$ns_hub" python3 "$dir/reader.py" "${addrs[$i]}" "$port" "$cluster" "$m" "$n" 15 2>&1)
    local rc=$?
    if [ "$rc" = 0 ] && grep -q "present=$n misses=0 errors=0" <<<"$out"; then
        pass "$label: all $n keys of map '$m' read through member $((i + 1)) (${addrs[$i]}): $out"
    else
        fail "$label: key-by-key read of map '$m' through member $((i + 1)) (${addrs[$i]}): $out"
    fi
}

# bench_check LABEL HOST EXPECT_MEMBERS ARGS...: a memgrid-bench run that
# must report 0 errors/lost/unexpected/overload/misses (and the member count)
bench_check() {
    local label=$1 host=$2 want=$3; shift 3
    local out
    out=$(bench_json "$host" "$@")
    local ok errors lost misses unexpected overload members ops loaded
    ops=$(jfield "$out" ops); errors=$(jfield "$out" errors); lost=$(jfield "$out" lost)
    misses=$(jfield "$out" misses); unexpected=$(jfield "$out" unexpected)
    overload=$(jfield "$out" overload); members=$(jfield "$out" members); loaded=$(jfield "$out" loaded)
    local summary="members=${members:-?} loaded=${loaded:-?} ops=${ops:-?} errors=${errors:-?} lost=${lost:-?} misses=${misses:-?} unexpected=${unexpected:-?} overload=${overload:-?}"
    if [ -n "$ops" ] && [ "${ops:-0}" -gt 0 ] && [ "$errors" = 0 ] && [ "$lost" = 0 ] && [ "$misses" = 0 ] &&
        [ "$unexpected" = 0 ] && [ "$overload" = 0 ] && [ "$members" = "$want" ]; then
        pass "$label: $summary"
        return 0
    fi
    local why
    why=$(jstr "$out" failure); [ -n "$why" ] && summary="$summary failure='$why'"
    why=$(jstr "$out" first_error); [ -n "$why" ] && summary="$summary first_error='$why'"
    fail "$label: $summary (want members=$want and no errors/misses)"
    return 1
}

# ---- 1. formation -----------------------------------------------------------
formed() {
    members_alive || return 2
    local i
    for i in 0 1 2; do
        sees_members "${addrs[$i]}" 3 || return 1
    done
}
if wait_until 20 formed; then
    pass "cluster formed: a client sees 3 members through each of ${addrs[*]} ($(elapsed) s)"
else
    abort "no 3-member cluster within 20 s (members seen through ${addrs[0]}: $(members_seen "${addrs[0]}"))"
fi
# The partition table settles (the first joins move data) before the load.
# latest_table N: "version primaries backups" of member N's last table line
latest_table() {
    sed -n 's/.*partition table \([0-9]*\.[0-9]*\): \([0-9]*\) primaries and \([0-9]*\) backups here.*/\1 \2 \3/p' \
        "$dir/member$1.log" | tail -n 1
}
balanced() { # every member on the same table version, primaries summing to 271, none empty
    local v="" sum_p=0 sum_b=0 n t
    for n in 1 2 3; do
        t=$(latest_table "$n")
        [ -n "$t" ] || return 1
        set -- $t
        [ -z "$v" ] && v=$1
        [ "$1" = "$v" ] && [ "$2" -gt 0 ] || return 1
        sum_p=$((sum_p + $2)); sum_b=$((sum_b + $3))
    done
    [ "$sum_p" = 271 ] && [ "$sum_b" = 271 ]
}
if wait_until 15 balanced; then
    pass "partition table settled on 3 members at $(elapsed) s (version, primaries, backups): $(for n in 1 2 3; do echo -n "m$n=[$(latest_table $n)] "; done)"
else
    fail "partition table did not settle within 15 s: $(for n in 1 2 3; do echo -n "m$n=[$(latest_table $n)] "; done)"
fi

# Not a check of this test, but worth seeing: a join's rebalancing normally
# takes milliseconds; a round that waited for its 10 s lost-copy resend shows here.
slow=$(grep -h -E "rebalancing: [0-9]+ copies done in [0-9]{4,} ms" "$dir"/member[123].log | sed 's/^/    /')
[ -n "$slow" ] && say "NOTE: slow rebalancing while the cluster formed (normally a few ms):" && echo "$slow"

# ---- 2. load -----------------------------------------------------------------
bench_check "load $keys keys through member 1" "${addrs[0]}" 3 \
    --map "$map" --keys "$keys" --mix set:100 --ops 100 --warmup 0 ||
    abort "loading failed"
read_all 0 "$map" "$keys" "before the split"

# ---- 3. split ------------------------------------------------------------------
for n in 1 2 3; do eval "split_at_$n=$(lines $n)"; done
ip -n "$ns_hub" link set v3 down || abort "could not take v3 down"
split_t=$(date +%s%N)
say "split at $(elapsed) s: v3 (member 3, ${addrs[2]}) down on the bridge"

removal_logged() { # the master (member 1 or 2) logs removing member 3
    since 1 "$split_at_1" | grep -q "removing member ${addrs[2]}:$port: no heartbeat within max-no-heartbeat" ||
        since 2 "$split_at_2" | grep -q "removing member ${addrs[2]}:$port: no heartbeat within max-no-heartbeat"
}
two_list() { # member N logs a 2-member list without member 3
    local n=$1 at
    eval "at=\$split_at_$n"
    since "$n" "$at" | grep "members \[2\] version" | grep -q "${addrs[0]}:$port.*${addrs[1]}:$port"
}
majority_changed() { members_alive && removal_logged && two_list 1 && two_list 2; }
if wait_until 10 majority_changed; then
    pass "majority removed member 3: $( { since 1 "$split_at_1"; since 2 "$split_at_2"; } | grep -m1 "removing member ${addrs[2]}" | sed 's/^[[:space:]]*//') ($(awk -v a="$split_t" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s after the split)"
    pass "members 1 and 2 hold a 2-member list: $(since 1 "$split_at_1" | grep "members \[2\]" | tail -n 1 | sed 's/.*\(members \[2\]\)/\1/')"
else
    removal_logged && pass "majority logged the removal of member 3" ||
        fail "no 'removing member ${addrs[2]}:$port: no heartbeat within max-no-heartbeat' on member 1 or 2 within 10 s"
    two_list 1 || fail "member 1 logged no 2-member list without member 3 within 10 s"
    two_list 2 || fail "member 2 logged no 2-member list without member 3 within 10 s"
    abort "the majority did not change its list"
fi
if wait_until 5 sees_members "${addrs[0]}" 2; then
    pass "a client sees 2 members through member 1"
else
    fail "a client through member 1 sees $(members_seen "${addrs[0]}") members, want 2"
fi
read_all 0 "$map" "$keys" "during the split"
read_all 1 "$map" "$keys" "during the split"
bench_check "during the split: random reads (get:100, smart) through member 1" "${addrs[0]}" 2 \
    --map "$map" --keys "$keys" --mix get:100 --ops 40000 --warmup 0 --no-load
bench_check "during the split: writes ($split_keys keys of map '$split_map') through member 2" "${addrs[1]}" 2 \
    --map "$split_map" --keys "$split_keys" --mix set:100 --ops 2000 --warmup 0
read_all 0 "$split_map" "$split_keys" "during the split"

# Member 3 is kept apart at least SPLIT_HOLD s past the removal: time for it
# to try (and fail) to elect itself or found a cluster.
hold_end=$(($(date +%s%N) + hold * 1000000000))
while [ "$(date +%s%N)" -lt "$hold_end" ]; do
    members_alive || break
    sleep 0.2
done
isolated=$(since 3 "$split_at_3")
isolated_bad=$(grep -E "members \[[0-9]+\] version|this member is now the master|won the vote|starting the cluster|rejoining as a new member" <<<"$isolated")
if [ -z "$isolated_bad" ]; then
    pass "isolated member 3 changed nothing for $(awk -v a="$split_t" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s: no member list, no mastership, no new cluster; its log while cut off:"
    grep . <<<"$isolated" | sed 's/^/    /' | head -n 10
else
    fail "isolated member 3 acted on its own while cut off:"
    sed 's/^/    /' <<<"$isolated_bad"
fi
members_alive || abort "a member died during the split"

# ---- 4. heal -----------------------------------------------------------------
for n in 1 2 3; do eval "heal_at_$n=$(lines $n)"; done
ip -n "$ns_hub" link set v3 up || abort "could not bring v3 up"
heal_t=$(date +%s%N)
say "heal at $(elapsed) s: v3 up"

rejoined() { # member 3: "rejoining as a new member", then a 3-member list
    since 3 "$heal_at_3" | awk '/rejoining as a new member/ { r = 1 } r && /members \[3\] version/ { ok = 1 } END { exit !ok }'
}
# last_list N: member N's newest "members [..] version a.b: ..." (from "members" on)
last_list() { grep "members \[[0-9]*\] version" "$dir/member$1.log" | tail -n 1 | sed 's/.*\(members \[\)/\1/'; }
same_three() { # all three members' newest lists: 3 members, one version, all three addresses
    local n l v="" a
    for n in 1 2 3; do
        l=$(last_list "$n")
        [[ $l == "members [3] version "* ]] || return 1
        [ -z "$v" ] && v=${l%%:*}
        [ "${l%%:*}" = "$v" ] || return 1
        for a in "${addrs[@]}"; do
            [[ $l == *"$a:$port"* ]] || return 1
        done
    done
}
healed() { members_alive && rejoined && same_three; }
secs_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
if wait_until "$heal_limit" healed; then
    pass "member 3 rejoined: $(since 3 "$heal_at_3" | grep -m1 "rejoining as a new member" | sed 's/.*: \([^:]*: rejoining\)/\1/') ($(secs_since "$heal_t") s after the heal)"
    pass "all three hold the same 3-member list: $(last_list 1)"
    healed_ok=1
else
    healed_ok=0
    since 3 "$heal_at_3" | grep -q "rejoining as a new member" && pass "member 3 logged 'rejoining as a new member'" ||
        fail "member 3 did not log 'rejoining as a new member' within $heal_limit s of the heal"
    rejoined || fail "member 3 logged no 3-member list after rejoining within $heal_limit s of the heal"
    same_three || fail "the members' newest lists differ or do not hold all three within $heal_limit s of the heal:
    member 1: $(last_list 1)
    member 2: $(last_list 2)
    member 3: $(last_list 3)"
fi
if [ "$healed_ok" != 1 ]; then
    { since 1 "$heal_at_1"; since 2 "$heal_at_2"; since 3 "$heal_at_3"; } |
        grep -E "removing member|admitting member|rejoining as a new member" | sort | head -n 12 | sed 's/^/    /'
    abort "the cluster did not heal within $heal_limit s"
fi
if wait_until 15 balanced; then
    pass "partition table settled on 3 members $(secs_since "$heal_t") s after the heal: $(for n in 1 2 3; do echo -n "m$n=[$(latest_table $n)] "; done)"
else
    fail "partition table did not settle within 15 s of the rejoin: $(for n in 1 2 3; do echo -n "m$n=[$(latest_table $n)] "; done)"
fi
for i in 0 1 2; do
    if wait_until 5 sees_members "${addrs[$i]}" 3; then
        pass "a client sees 3 members through member $((i + 1))"
    else
        fail "a client through member $((i + 1)) sees $(members_seen "${addrs[$i]}") members, want 3"
    fi
done
for i in 0 1 2; do
    read_all "$i" "$map" "$keys" "after the heal"
    read_all "$i" "$split_map" "$split_keys" "after the heal"
    bench_check "after the heal: random reads (get:100, smart) through member $((i + 1))" "${addrs[$i]}" 3 \
        --map "$map" --keys "$keys" --mix get:100 --ops 20000 --warmup 0 --no-load
done
members_alive || fail "a member died"
# Over the whole time since the heal: one rejoin, no removal (no flapping),
# and the lists still agree.
rejoins=$(since 3 "$heal_at_3" | grep -c "rejoining as a new member")
removals=$( { since 1 "$heal_at_1"; since 2 "$heal_at_2"; } | grep -c "removing member ${addrs[2]}:$port")
admissions=$( { since 1 "$heal_at_1"; since 2 "$heal_at_2"; } | grep -c "admitting member ${addrs[2]}:$port")
if [ "$rejoins" -le 1 ] && [ "$removals" = 0 ]; then
    pass "no flapping after the heal: member 3 rejoined $rejoins time(s), was admitted $admissions time(s), removed 0 times"
else
    fail "member 3 flapped after the heal: it rejoined $rejoins times under new UUIDs, the master admitted it $admissions times and removed it $removals times:"
    { since 1 "$heal_at_1"; since 2 "$heal_at_2"; since 3 "$heal_at_3"; } |
        grep -E "removing member|admitting member|rejoining as a new member" | sort | head -n 12 | sed 's/^/    /'
fi
if same_three; then
    pass "at the end all three still hold the same 3-member list: $(last_list 1)"
else
    fail "at the end the members' newest lists differ:
    member 1: $(last_list 1)
    member 2: $(last_list 2)
    member 3: $(last_list 3)"
fi

if [ "$failed" = 0 ]; then
    say "PASS: network split and heal ($(elapsed) s)"
    exit 0
fi
say "FAIL: network split and heal ($(elapsed) s)"
exit 1
