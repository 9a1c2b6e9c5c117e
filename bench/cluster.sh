#!/usr/bin/env bash
# bench/cluster.sh - memgrid as a cluster, on this machine: how fast it heals,
# how fast it moves data, what a join does to latency, and what 3 members
# cost against 1.  Four measurements, each on members this script starts
# itself (127.0.0.1 only, free ports, a cluster name of its own) and kills
# when done, whatever the exit:
#
#   failover    3 members, backup-count 1, 100k keys loaded.  A unisocket
#               client (memgrid-bench --no-smart, open loop, get:90,set:10)
#               drives a surviving member; then kill -9 of one member (a
#               non-master, and in other repetitions the master).  A probe
#               (memgrid-bench --no-load --mix get:100 --ops 20000 over all
#               the keys, smart routing, via the survivor) runs again and
#               again until one run gets every answer, with no error, no
#               miss and nothing lost: kill -> served.  Also from the logs:
#               kill -> "removing member" and kill -> backups re-created
#               ("copies done" after the removal).
#   migration   2 members holding 1M keys x 100 B values (idle); a 3rd
#               starts; from the master's "rebalancing: N copies done in X
#               ms": MB/s = N x (bytes of the data set / 271) / X.  A probe
#               then checks that every key is still there.
#   join        2 members, 1M keys, open loop at 50,000 ops/s for 10 s
#               (get:90,set:10); a 3rd member starts 3 s into the
#               measurement.  Latency percentiles and errors, against the
#               same run without a join just before it on the same members.
#   throughput  closed loop (1 s warm-up run, then 4 s measured), read-mostly
#               (get:90,set:10, uniform) and write-heavy (get:50,set:50,
#               zipfian) against 1 member and against 3 (backup-count 1),
#               1M keys, alternating; server CPU per op = utime + stime of
#               every member (/proc/PID/stat) over the run / ops.
#
# With --target both (the default) every measurement also runs against a
# cluster of Hazelcast 5.7 members (the jar from Maven Central, the same
# hazelcast.yaml plus what a loopback-only Hazelcast needs, the JVM flags of
# bench/compare), with the same clients and the same definitions; figures
# Hazelcast logs differently are read from its own log lines (removal,
# "Repartitioning cluster data" -> "All migration tasks have been
# completed").  A side-by-side table with ratios ends the report.
#
# Every figure is repeated --reps times (default 3) on fresh members; the
# tables show the median and the range.  The machine has 2 cores shared by
# the client and all the members (and maybe other sessions): before each
# timed run the script waits (bounded) for the machine to be quiet, and
# flags runs during which other processes used > 0.15 core (⚠).
#
#   bench/cluster.sh                       # everything, memgrid and Hazelcast, ~15 min
#   bench/cluster.sh --target memgrid      # memgrid alone, ~6 min
#   bench/cluster.sh --quick               # smaller data, 1 repetition
#   bench/cluster.sh --only failover,migration --reps 5
#   bench/cluster.sh --json                # JSON on stdout (tables on stderr)
#   MEMGRID_BIN=... MEMGRID_BENCH_BIN=... HAZELCAST_JAR=... bench/cluster.sh
#
# Writes build/bench/cluster-last-run.md and build/bench/cluster-last-run.json.
# Needs bash 5, GNU coreutils (date -d, timeout), awk; util-linux setpriv is
# used when present so that members die with the script even on SIGKILL.
set -uo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
MEMGRID=${MEMGRID_BIN:-$ROOT/build/memgrid}
BENCH=${MEMGRID_BENCH_BIN:-$ROOT/build/memgrid-bench}

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

# ---- options ------------------------------------------------------------------
REPS=3
QUICK=0
ONLY="failover,migration,join,throughput"
JSON_OUT=0
KEEP=0
TARGET=both
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) REPS=${2:?}; shift ;;
        --quick) QUICK=1 ;;
        --only) ONLY=${2:?}; shift ;;
        --json) JSON_OUT=1 ;;
        --target) TARGET=${2:?}; shift ;;
        --keep) KEEP=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "cluster.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || { echo "cluster.sh: --reps wants a positive integer" >&2; exit 2; }
for t in ${ONLY//,/ }; do
    case "$t" in failover|migration|join|throughput) ;; *) echo "cluster.sh: --only: unknown '$t'" >&2; exit 2 ;; esac
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }
case "$TARGET" in
    memgrid) TARGETS=(memgrid) ;;
    hazelcast) TARGETS=(hazelcast) ;;
    both) TARGETS=(memgrid hazelcast) ;;
    *) echo "cluster.sh: --target: memgrid, hazelcast or both" >&2; exit 2 ;;
esac
TGT=memgrid               # the kind of cluster being measured (memgrid or hazelcast)

VALUE=100                 # value payload, bytes
PARTITIONS=271
FO_KEYS=100000            # failover data set
FO_PROBE_OPS=20000        # gets per probe run (~74 per partition)
FO_BG_RATE=20000          # the unisocket client's rate during a failover
MIG_KEYS=1000000
JOIN_KEYS=1000000
JOIN_RATE=50000
JOIN_WARM=1
JOIN_DUR=20               # long enough for a JVM to start, join and migrate inside it
JOIN_AT=3                 # the 3rd member starts this long into the measurement
TP_KEYS=1000000
TP_WARM=1
TP_DUR=4
TP_WARMUP=10              # unmeasured load on each fresh throughput cluster first
if [ "$QUICK" = 1 ]; then
    [ "$REPS" = 3 ] && REPS=1
    MIG_KEYS=200000; JOIN_KEYS=200000; TP_KEYS=200000; JOIN_DUR=10; TP_DUR=2; TP_WARMUP=3
fi
# memgrid-bench's saturation settings (bench/compare): one thread, 4
# connections per member, depth 64 (256 requests in flight against one
# member).  With 3 members it opens 4 connections to each; they are measured
# twice: at depth 21 (the same 252 requests in flight as against 1 member)
# and at depth 64 (the same depth per connection, 768 in flight).
TP_FLAGS=(--threads 1 --connections 4)
TP_DEPTH_1=64
TP_DEPTH_3=21
TP_DEPTH_3D=64
TP_VARIANTS=(tp1 tp3 tp3d)   # tp3d: the 3-member cluster at TP_DEPTH_3D
OTHER_LIMIT=0.15          # cores of other processes that flag a run as disturbed
PATIENCE_MS=90000         # total time the run may spend waiting for a quiet machine
DEADLINE_MS=$((${#TARGETS[@]} * 1200000))   # the whole run gives up after 20 minutes per target

# ---- processes and clean-up -------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/memgrid-cluster.XXXXXX")
declare -a OWN_PIDS=()    # every process started in the background by this script
FAILED=0
cleanup() {
    local p
    for p in "${OWN_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    for p in "${OWN_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    if [ "$KEEP" = 1 ] || [ "$FAILED" = 1 ]; then
        echo "cluster.sh: logs kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'FAILED=1; exit 130' INT TERM HUP
forget_pid() {
    local p keep=()
    for p in "${OWN_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    OWN_PIDS=("${keep[@]}")
}
PDEATH=()
if command -v setpriv >/dev/null 2>&1 && setpriv --pdeathsig KILL true 2>/dev/null; then
    PDEATH=(setpriv --pdeathsig KILL --)
fi

say() { echo "$*" >&2; }
die() { FAILED=1; say "cluster.sh: FAILED: $*"; exit 1; }

for b in "$MEMGRID" "$BENCH"; do
    [ -x "$b" ] || die "$b is missing (make -j2)"
done
# Hazelcast 5.7: the jar from Maven Central (as bench/compare), and the JVM
# flags of bench/compare plus log lines with milliseconds in UTC, which the
# log-based figures need.
. "$ROOT/bench/hazelcast.sh"
. "$ROOT/bench/ports.sh"
JAR=$HZ_JAR
JVM_FLAGS=(-Xmx2g "${HZ_JVM_FLAGS[@]}" -Duser.timezone=UTC '-Djava.util.logging.SimpleFormatter.format=%1$tFT%1$tT.%1$tLZ %4$s %3$s %5$s%6$s%n')
if [[ " ${TARGETS[*]} " == *" hazelcast "* ]]; then
    command -v java >/dev/null || die "needs java for --target ${TARGET} (or --target memgrid)"
    if [ ! -f "$JAR" ]; then
        say "cluster.sh: fetching the Hazelcast 5.7.0 jar with Maven"
        mvn -q dependency:get -Dtransitive=false -Dartifact=com.hazelcast:hazelcast:5.7.0 >&2 ||
            die "mvn could not fetch com.hazelcast:hazelcast:5.7.0"
        [ -f "$JAR" ] || die "no jar at $JAR after mvn dependency:get"
    fi
fi
for c in awk date timeout; do command -v "$c" >/dev/null || die "needs $c"; done

now_ms() { local t=$EPOCHREALTIME; t=${t/./}; echo $((10#$t / 1000)); }
T0=$(now_ms)
past_deadline() { [ $(($(now_ms) - T0)) -gt $DEADLINE_MS ]; }
sleep_ms() { sleep "$(awk -v m="$1" 'BEGIN{printf "%.3f", m/1000}')"; }

# Epoch ms of a member log line ("2026-11-25T20:37:09.921Z INFO ...").
log_ms() { date -u -d "${1%% *}" +%s%3N; }

TICKS=$(getconf CLK_TCK)
# utime + stime of the given pids, in clock ticks (dead pids count 0).
cpu_ticks() {
    local p s sum=0 rest
    for p in "$@"; do
        s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        rest=${s##*) }
        read -r -a f <<<"$rest"
        sum=$((sum + f[11] + f[12]))
    done
    echo "$sum"
}
rss_mib() { awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null; }

# Busy cores of the whole machine over ms milliseconds, minus the given pids'.
other_busy() {
    local ms=$1; shift
    local a b c0 c1
    a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
    c0=$(cpu_ticks "$@")
    sleep_ms "$ms"
    b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
    c1=$(cpu_ticks "$@")
    awk -v a="$a" -v b="$b" -v c0="$c0" -v c1="$c1" -v n="$(nproc)" -v ms="$ms" -v hz="$TICKS" 'BEGIN{
        split(a, x, " "); split(b, y, " ");
        tot = y[2] - x[2]; if (tot <= 0) { print 0; exit }
        busy = (y[1] - x[1]) / tot * n - (c1 - c0) / hz / (ms / 1000);
        printf "%.3f", busy < 0 ? 0 : busy }'
}
PATIENCE_LEFT=$PATIENCE_MS
# Waits (at most 10 s, within the run's patience) until processes other than
# the given pids use less than OTHER_LIMIT cores.
wait_quiet() {
    local start b
    start=$(now_ms)
    while :; do
        b=$(other_busy 400 "$@")
        awk -v b="$b" -v l="$OTHER_LIMIT" 'BEGIN{exit !(b <= l)}' && break
        [ $(($(now_ms) - start)) -gt 10000 ] && break
        [ $((PATIENCE_LEFT - ($(now_ms) - start))) -le 0 ] && break
    done
    PATIENCE_LEFT=$((PATIENCE_LEFT - ($(now_ms) - start)))
    [ "$PATIENCE_LEFT" -lt 0 ] && PATIENCE_LEFT=0
}

# ---- one-line JSON of memgrid-bench, without jq ---------------------------------------
# jnum FILE KEY: the first "KEY":number (top level keys come before nested ones
# of the same name in memgrid-bench's output, except those read with jsub).
jnum() { grep -o "\"$2\":-\{0,1\}[0-9.]*" "$1" 2>/dev/null | head -1 | cut -d: -f2; }
# jsub FILE OBJECT KEY: KEY inside the flat object "OBJECT":{...}.
jsub() { grep -o "\"$2\":{[^}]*}" "$1" 2>/dev/null | head -1 | grep -o "\"$3\":-\{0,1\}[0-9.]*" | head -1 | cut -d: -f2; }
jstr() { grep -o "\"$2\":\"[^\"]*\"" "$1" 2>/dev/null | head -1 | cut -d: -f2- | sed 's/^"//; s/"$//'; }

# ---- statistics and formatting ---------------------------------------------------------
# Values that are not numbers (a failed repetition: "-") are left out.
nums() { local v; for v in "$@"; do [[ "$v" =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]] && echo "$v"; done; }
median() { nums "$@" | sort -g | awk '{a[NR]=$1} END{if(!NR){print "-";exit} print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
vmin() { nums "$@" | sort -g | head -1; }
vmax() { nums "$@" | sort -g | tail -1; }
# fmt VALUE DECIMALS: thousands separators; "-" stays "-".
fmt() {
    [[ "${1:-}" =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || { echo "-"; return; }
    awk -v v="$1" -v d="${2:-0}" 'BEGIN{
        s = sprintf("%." d "f", v); neg = (s ~ /^-/); if (neg) s = substr(s, 2);
        i = index(s, "."); ip = i ? substr(s, 1, i-1) : s; fp = i ? substr(s, i) : "";
        o = ""; while (length(ip) > 3) { o = "," substr(ip, length(ip)-2) o; ip = substr(ip, 1, length(ip)-3) }
        print (neg ? "-" : "") ip o fp }'
}
# medr DECIMALS VALUES...: "median (min–max)", or the value alone for one.
medr() {
    local d=$1; shift
    local m; m=$(median "$@")
    [ "$m" = "-" ] && { echo "-"; return; }
    local n; n=$(nums "$@" | wc -l)
    if [ "$n" -gt 1 ]; then echo "$(fmt "$m" "$d") ($(fmt "$(vmin "$@")" "$d")–$(fmt "$(vmax "$@")" "$d"))"
    else fmt "$m" "$d"; fi
}
calc() { awk "BEGIN{v = $1; printf \"%.10g\", v}" 2>/dev/null || echo "-"; }
jv() { [[ "${1:-}" =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]] && echo "$1" || echo null; }
# Mean serialized size of key:0 .. key:N-1 as a String Data (12 + chars).
key_bytes() { awk -v n="$1" 'BEGIN{t=0; lo=0; hi=10; d=1; while (lo < n) { top = hi < n ? hi : n; t += (top-lo)*d; lo = hi; hi *= 10; d++ } printf "%.3f", 12 + 4 + t/n }'; }

# ---- clusters ----------------------------------------------------------------------------
# A cluster CL has NSLOTS addresses; every member's tcp-ip member-list holds all
# of them.  Its members are memgrid or Hazelcast processes (the current
# $TGT when it is made).  State: C_NAME[CL], C_SLOTS[CL], C_KIND[CL],
# PORT[CL.s], PID[CL.s], LOG[CL.s].
declare -A C_NAME=() C_SLOTS=() C_KIND=() PORT=() PID=() LOG=() CFG=()
is_hz() { [ "${C_KIND[$1]}" = hazelcast ]; }
cluster_new() {   # cluster_new CL NSLOTS BACKUPS
    local cl=$1 n=$2 backups=$3 s p ports
    pick_ports "$n"; ports=("${PICKED[@]}")
    C_NAME[$cl]="mgbench-$cl-$$"
    C_SLOTS[$cl]=$n
    C_KIND[$cl]=$TGT
    mkdir -p "$WORK/$cl"
    for ((s = 0; s < n; s++)); do PORT[$cl.$s]=${ports[$s]}; done
    local props="hazelcast.heartbeat.interval.seconds: 1
hazelcast.max.no.heartbeat.seconds: 2"
    local map="  map:
    default:
      backup-count: $backups"
    for ((s = 0; s < n; s++)); do
        CFG[$cl.$s]="$WORK/$cl/m$s.yaml"
        if [ "$TGT" = hazelcast ]; then   # loopback only (bench/hazelcast.sh)
            hz_yaml "${C_NAME[$cl]}" "${PORT[$cl.$s]}" "${ports[*]}" "$props" "$map" >"${CFG[$cl.$s]}"
            continue
        fi
        {
            echo "hazelcast:"
            echo "  cluster-name: ${C_NAME[$cl]}"
            echo "  network:"
            echo "    port:"
            echo "      port: ${PORT[$cl.$s]}"
            echo "      auto-increment: false"
            echo "    join:"
            echo "      multicast:"
            echo "        enabled: false"
            echo "      tcp-ip:"
            echo "        enabled: true"
            echo "        member-list:"
            for ((p = 0; p < n; p++)); do echo "          - 127.0.0.1:${PORT[$cl.$p]}"; done
            echo "  properties:"
            while IFS= read -r p; do echo "    $p"; done <<<"$props"
            echo "$map"
        } >"${CFG[$cl.$s]}"
    done
}
member_start() {   # member_start CL SLOT: starts it and waits for its port file
    local cl=$1 s=$2 i pf
    pf="$WORK/$cl/m$s.port"; rm -f "$pf"
    LOG[$cl.$s]="$WORK/$cl/m$s.log"
    if is_hz "$cl"; then   # the JVM runs; cluster_start waits for its log lines
        "${PDEATH[@]}" java "${JVM_FLAGS[@]}" "-Dhazelcast.config=${CFG[$cl.$s]}" -cp "$JAR" \
            com.hazelcast.core.server.HazelcastMemberStarter >>"${LOG[$cl.$s]}" 2>&1 &
        PID[$cl.$s]=$!
        OWN_PIDS+=("${PID[$cl.$s]}")
        return 0
    fi
    "${PDEATH[@]}" "$MEMGRID" --config "${CFG[$cl.$s]}" --port-file "$pf" >>"${LOG[$cl.$s]}" 2>&1 &
    PID[$cl.$s]=$!
    OWN_PIDS+=("${PID[$cl.$s]}")
    for ((i = 0; i < 500; i++)); do
        [ -s "$pf" ] && return 0
        kill -0 "${PID[$cl.$s]}" 2>/dev/null || { say "member $cl/$s exited: $(tail -3 "${LOG[$cl.$s]}")"; return 1; }
        sleep 0.02
    done
    say "member $cl/$s: no port file after 10 s"; return 1
}
member_kill9() {
    local pid=${PID[$1.$2]:-}
    [ -n "$pid" ] || return 0
    kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; forget_pid "$pid"
    PID[$1.$2]=""
}
cluster_kill() {
    local cl=$1 s
    for ((s = 0; s < ${C_SLOTS[$cl]}; s++)); do member_kill9 "$cl" "$s"; done
}
cluster_pids() {
    local cl=$1 s out=()
    for ((s = 0; s < ${C_SLOTS[$cl]}; s++)); do [ -n "${PID[$cl.$s]:-}" ] && out+=("${PID[$cl.$s]}"); done
    echo "${out[@]}"
}
# wait_log FILE REGEX TIMEOUT_MS
wait_log() {
    local end=$(($(now_ms) + $3))
    while [ "$(now_ms)" -lt "$end" ]; do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.02; done
    return 1
}
# The member count of the last membership line of a log: memgrid's
# "members [N]", Hazelcast's "Members {size:N".
last_count() { grep -oE 'members \[[0-9]+\]|Members \{size:[0-9]+' "$1" 2>/dev/null | tail -1 | tr -dc 0-9; }
# Lines that end a rebalancing round: memgrid's "N copies done in X ms",
# Hazelcast's "All migration tasks have been completed".
ROUND_DONE='copies done in|All migration tasks have been completed'
# round_of LOG FROM: the copies (or migrations) and ms of the rebalancing
# round(s) that ended in LOG after line FROM, as "COPIES MS"; Hazelcast's
# rounds are summed from "Repartitioning cluster data" to the last "All
# migration tasks have been completed" and their completedMigrations.
round_of() {
    local log=$1 from=$2 line first last
    if grep -q 'Hazelcast Platform' "$log"; then
        first=$(tail -n +"$((from + 1))" "$log" | grep -m1 'Repartitioning cluster data') || return 1
        last=$(tail -n +"$((from + 1))" "$log" | grep 'All migration tasks have been completed' | tail -1)
        [ -n "$last" ] || return 1
        echo "$(tail -n +"$((from + 1))" "$log" | grep -oE 'completedMigrations=[0-9]+' | cut -d= -f2 | awk '{s+=$1} END{print s+0}') $(($(log_ms "$last") - $(log_ms "$first")))"
    else
        line=$(tail -n +"$((from + 1))" "$log" | grep 'copies done in' | tail -1)
        [ -n "$line" ] || return 1
        echo "$(echo "$line" | grep -oE '[0-9]+ copies done' | cut -d' ' -f1) $(echo "$line" | grep -oE 'in [0-9]+ ms' | tr -dc 0-9)"
    fi
}
# balanced LOG N: the master's log shows N members and no rebalancing round
# open since the last membership change.
balanced() {
    local log=$1 n=$2 lm ld
    [ "$(last_count "$log")" = "$n" ] || return 1
    [ "$n" -le 1 ] && return 0
    if grep -q 'Hazelcast Platform' "$log"; then
        # Hazelcast assigns partitions at the first operation: an unused
        # cluster has no round to wait for.
        [ "$(grep -c 'Repartitioning cluster data' "$log")" -eq "$(grep -c 'All migration tasks have been completed' "$log")" ]
        return
    fi
    lm=$(grep -n 'members \[' "$log" | tail -1 | cut -d: -f1)
    ld=$(grep -n 'copies done in' "$log" | tail -1 | cut -d: -f1)
    [ -n "$ld" ] && [ "$ld" -gt "$lm" ] || return 1
    [ "$(grep -c 'rebalancing: copying' "$log")" -eq $(($(grep -c 'copies done in' "$log") + $(grep -c 'round abandoned' "$log"))) ]
}
# cluster_start CL N: slot 0 founds the cluster, then slots 1..N-1 join one
# at a time, each 0.5 s after the previous change is published (a join
# within a few ms of the previous table change often stalls its rebalancing
# round for 10 s, the master's resend timeout for a copy it never hears back
# about);
# returns when every member sees N members and the master is balanced.
SETUP_ROUNDS=()   # "copies done" times (ms) of the joins made while setting up
cluster_start() {
    local cl=$1 n=$2 s j end ok line
    member_start "$cl" 0 || return 1
    wait_log "${LOG[$cl.0]}" 'joined the cluster| is STARTED' 90000 || { say "$cl: slot 0 did not found a cluster"; return 1; }
    for ((j = 1; j < n; j++)); do
        sleep 0.5
        member_start "$cl" "$j" || return 1
        end=$(($(now_ms) + 90000))
        ok=0
        while [ "$(now_ms)" -lt "$end" ]; do
            ok=1
            for ((s = 0; s <= j; s++)); do [ "$(last_count "${LOG[$cl.$s]}")" = $((j + 1)) ] || ok=0; done
            [ $ok = 1 ] && balanced "${LOG[$cl.0]}" $((j + 1)) && break
            ok=0; sleep 0.02
        done
        [ $ok = 1 ] || { say "$cl: member $j did not join and balance within 90 s"; return 1; }
        is_hz "$cl" && continue
        line=$(grep 'copies done in' "${LOG[$cl.0]}" | tail -1)
        SETUP_ROUNDS+=("$(echo "$line" | grep -oE 'in [0-9]+ ms' | tr -dc 0-9)")
    done
}

# ---- memgrid-bench -------------------------------------------------------------------------
# bench CL SLOT OUT TIMEOUT_S ARGS...: memgrid-bench against member SLOT of CL,
# JSON into OUT, stderr into OUT.err; returns its exit code.
bench() {
    local cl=$1 s=$2 out=$3 to=$4; shift 4
    timeout -k 2 "$to" "$BENCH" --port "${PORT[$cl.$s]}" --cluster "${C_NAME[$cl]}" --json --quiet "$@" \
        >"$out" 2>"$out.err"
}
# load CL KEYS OUT: sets every key once (memgrid-bench's load phase).
load() {
    local cl=$1 keys=$2 out=$3
    bench "$cl" 0 "$out" 300 --keys "$keys" --value-size "$VALUE" --ops 1 --warmup 0 --mix get:100 \
        --connections 4 --depth 64 --drain 5
    local loaded; loaded=$(jnum "$out" loaded)
    [ "${loaded:-0}" -ge "$keys" ] || { say "$cl: load set ${loaded:-0} of $keys keys: $(jstr "$out" failure) $(tail -2 "$out.err")"; return 1; }
}
# probe CL SLOT KEYS OUT: $FO_PROBE_OPS gets over the whole key space; 0 when
# every one was answered with a value.
probe() {
    local cl=$1 s=$2 keys=$3 out=$4
    bench "$cl" "$s" "$out" 10 --no-load --mix get:100 --ops "$FO_PROBE_OPS" --keys "$keys" --warmup 0 \
        --drain 2 --timeout 2 --connections 1 --depth 64 || return 1
    [ "$(jnum "$out" ops)" = "$FO_PROBE_OPS" ] && [ "$(jnum "$out" errors)" = 0 ] &&
        [ "$(jnum "$out" misses)" = 0 ] && [ "$(jnum "$out" lost)" = 0 ]
}

JSON_RUNS=()   # one JSON object per repetition, for cluster-last-run.json

# ==== 1. failover ===========================================================================
declare -A FO=()   # FO[kind.rep.field]
failover_rep() {   # failover_rep KIND(nonmaster|master) REP
    local kind=$1 rep=$2 cl="$TGT-fo-$1-$2" victim survivor=1 vport
    [ "$kind" = master ] && victim=0 || victim=2
    cluster_new "$cl" 3 1
    cluster_start "$cl" 3 || return 1
    load "$cl" "$FO_KEYS" "$WORK/$cl/load.json" || return 1
    vport=${PORT[$cl.$victim]}
    # How the survivors log the victim's removal: memgrid "removing member
    # ADDR"; Hazelcast "Removing Member [ADDR]" (a non-master) or, when the
    # master died, "... while removing UUID U" with the victim's UUID.
    local rm_pat="removing member 127.0.0.1:$vport|Removing Member \[127.0.0.1\]:$vport " vuuid
    if is_hz "$cl"; then
        vuuid=$(grep -m1 -oE "Member \[127.0.0.1\]:$vport - [0-9a-f-]+ this" "${LOG[$cl.$victim]}" | awk '{print $4}')
        [ -n "$vuuid" ] && rm_pat+="|while removing UUID $vuuid"
    fi
    # The unisocket client: open loop at a survivor, outlives the kill.
    "$BENCH" --port "${PORT[$cl.$survivor]}" --cluster "${C_NAME[$cl]}" --no-smart --no-load \
        --keys "$FO_KEYS" --value-size "$VALUE" --rate "$FO_BG_RATE" --mix get:90,set:10 --connections 1 \
        --warmup 0 --duration 5 --drain 3 --json --quiet >"$WORK/$cl/bg.json" 2>"$WORK/$cl/bg.err" &
    local bg=$!; OWN_PIDS+=("$bg")
    sleep 1
    local tk; tk=$(now_ms)
    member_kill9 "$cl" "$victim"
    local n=0 served="-" served_from="-" conn_fail=0 data_fail=0 misses_seen=0 s e
    while [ $(($(now_ms) - tk)) -lt 25000 ]; do
        s=$(now_ms)
        n=$((n + 1))
        if probe "$cl" "$survivor" "$FO_KEYS" "$WORK/$cl/probe.json"; then
            e=$(now_ms); served=$((e - tk)); served_from=$((s - tk)); break
        fi
        if [ "$(jnum "$WORK/$cl/probe.json" ops)" = 0 ] || [ ! -s "$WORK/$cl/probe.json" ]; then
            conn_fail=$((conn_fail + 1))
        else
            data_fail=$((data_fail + 1))
            misses_seen=$((misses_seen + $(jnum "$WORK/$cl/probe.json" misses)))
            cp "$WORK/$cl/probe.json" "$WORK/$cl/probe-fail-$data_fail.json"
        fi
        sleep 0.02
    done
    # From the logs: who removed the victim, when; when its backups were re-created.
    local logs=() sl
    for ((sl = 0; sl < 3; sl++)); do [ "$sl" != "$victim" ] && logs+=("${LOG[$cl.$sl]}"); done
    local rm_line="" rm_log="" redo="-" elected="-" removal="-" l
    local end=$(($(now_ms) + 15000))
    while [ "$(now_ms)" -lt "$end" ]; do
        for l in "${logs[@]}"; do
            rm_line=$(grep -m1 -E "$rm_pat" "$l") && { rm_log=$l; break; }
        done
        [ -n "$rm_line" ] && break
        sleep 0.05
    done
    if [ -n "$rm_line" ]; then
        removal=$(($(log_ms "$rm_line") - tk))
        # the first "copies done" after the removal line in the remover's log
        local rn done_line
        rn=$(grep -n -m1 -E "$rm_pat" "$rm_log" | cut -d: -f1)
        end=$(($(now_ms) + 20000))
        while [ "$(now_ms)" -lt "$end" ]; do
            done_line=$(tail -n +"$rn" "$rm_log" | grep -m1 -E "$ROUND_DONE") && break
            sleep 0.05
        done
        [ -n "$done_line" ] && redo=$(($(log_ms "$done_line") - tk))
        if [ "$kind" = master ]; then
            l=$(grep -m1 -E 'this member is (now )?the master' "$rm_log") && elected=$(($(log_ms "$l") - tk))
        fi
        FO[$TGT.$kind.$rep.redo_copies]=$(echo "$done_line" | grep -oE '[0-9]+ copies done|completedMigrations=[0-9]+' | tr -dc 0-9)
    fi
    # the unisocket client ends by itself (5 s + drain)
    local i
    for ((i = 0; i < 150; i++)); do kill -0 "$bg" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$bg" 2>/dev/null; wait "$bg" 2>/dev/null; forget_pid "$bg"
    local bj="$WORK/$cl/bg.json"
    FO[$TGT.$kind.$rep.removal]=$removal
    FO[$TGT.$kind.$rep.served]=$served
    FO[$TGT.$kind.$rep.served_from]=$served_from
    FO[$TGT.$kind.$rep.redo]=$redo
    FO[$TGT.$kind.$rep.elected]=$elected
    FO[$TGT.$kind.$rep.probes]=$n
    FO[$TGT.$kind.$rep.misses_seen]=$misses_seen
    FO[$TGT.$kind.$rep.bg_errors]=$(jnum "$bj" errors)
    FO[$TGT.$kind.$rep.bg_lost]=$(jnum "$bj" lost)
    FO[$TGT.$kind.$rep.bg_misses]=$(jnum "$bj" misses)
    FO[$TGT.$kind.$rep.bg_ops]=$(jnum "$bj" ops)
    FO[$TGT.$kind.$rep.bg_max_ms]=$(calc "$(jsub "$bj" latency max_us) / 1000")
    FO[$TGT.$kind.$rep.bg_first_error]=$(jstr "$bj" first_error)
    say "  failover ($kind killed) $rep: removal logged +${removal} ms, served +${served} ms (probe $served_from..$served," \
        "$n probes: $conn_fail refused/unconnectable, $data_fail with errors or misses), backups re-created +${redo} ms;" \
        "unisocket client: ${FO[$TGT.$kind.$rep.bg_errors]:-?} errors, max ${FO[$TGT.$kind.$rep.bg_max_ms]} ms"
    [ "$misses_seen" -gt 0 ] && say "    note: probes saw $misses_seen misses (keys without their value) before being served"
    JSON_RUNS+=("{\"target\":\"$TGT\",\"test\":\"failover\",\"killed\":\"$kind\",\"rep\":$rep,\"kill_to_removal_ms\":$(jv "$removal"),\"kill_to_elected_ms\":$(jv "$elected"),\"kill_to_served_ms\":$(jv "$served"),\"served_probe_started_ms\":$(jv "$served_from"),\"kill_to_backups_recreated_ms\":$(jv "$redo"),\"probes\":$n,\"probe_misses_seen\":$misses_seen,\"client\":$(cat "$bj" 2>/dev/null || echo null)}")
    cluster_kill "$cl"
}

# ==== 2. migration rate =======================================================================
declare -A MG=()
migration_rep() {
    local rep=$1 cl="$TGT-mig-$1"
    cluster_new "$cl" 3 1
    cluster_start "$cl" 2 || return 1
    load "$cl" "$MIG_KEYS" "$WORK/$cl/load.json" || return 1
    MG[$TGT.$rep.load_s]=$(jnum "$WORK/$cl/load.json" load_s)
    sleep 0.5
    local m="${LOG[$cl.0]}" before t_start line
    before=$(wc -l <"$m")
    t_start=$(now_ms)
    member_start "$cl" 2 || return 1
    local end=$(($(now_ms) + 120000))
    while [ "$(now_ms)" -lt "$end" ]; do
        line=$(tail -n +"$((before + 1))" "$m" | grep -E 'members \[3\]|Members \{size:3' -A100000 | grep -E "$ROUND_DONE" | tail -1)
        [ -n "$line" ] && balanced "$m" 3 && break
        line=""; sleep 0.05
    done
    [ -n "$line" ] || { say "$cl: no rebalancing round ended after the join within 120 s"; return 1; }
    local copies ms abandoned round
    round=$(round_of "$m" "$before") || { say "$cl: no rebalancing round in the master's log"; return 1; }
    read -r copies ms <<<"$round"
    abandoned=$(tail -n +"$((before + 1))" "$m" | grep -c 'round abandoned')
    local kb entry mb
    kb=$(key_bytes "$MIG_KEYS")
    entry=$(calc "$kb + 12 + $VALUE")
    mb=$(calc "$copies * $MIG_KEYS * $entry / $PARTITIONS / 1e6")
    MG[$TGT.$rep.copies]=$copies
    MG[$TGT.$rep.ms]=$ms
    MG[$TGT.$rep.mb]=$mb
    MG[$TGT.$rep.mbps]=$(calc "$mb / ($ms / 1000)")
    MG[$TGT.$rep.entry]=$entry
    MG[$TGT.$rep.abandoned]=$abandoned
    MG[$TGT.$rep.join_to_published]=$(($(log_ms "$line") - t_start))
    MG[$TGT.$rep.rss_new]=$(rss_mib "${PID[$cl.2]}")
    MG[$TGT.$rep.rss_old]=$(rss_mib "${PID[$cl.1]}")
    # Every partition still answers with its data (through the new member).
    if probe "$cl" 2 "$MIG_KEYS" "$WORK/$cl/check.json"; then MG[$TGT.$rep.check]=ok
    else MG[$TGT.$rep.check]="FAILED: errors $(jnum "$WORK/$cl/check.json" errors), misses $(jnum "$WORK/$cl/check.json" misses), $(jstr "$WORK/$cl/check.json" failure)"; fi
    say "  migration $rep: $copies copies in $ms ms (${abandoned} rounds abandoned) = ${MG[$TGT.$rep.mb]} MB, ${MG[$TGT.$rep.mbps]} MB/s;" \
        "start -> table published ${MG[$TGT.$rep.join_to_published]} ms; new member RSS ${MG[$TGT.$rep.rss_new]} MiB; check ${MG[$TGT.$rep.check]}"
    local check_json=${MG[$TGT.$rep.check]//[\"\\]/ }
    JSON_RUNS+=("{\"target\":\"$TGT\",\"test\":\"migration\",\"rep\":$rep,\"keys\":$MIG_KEYS,\"value_bytes\":$VALUE,\"entry_bytes\":$(jv "$entry"),\"copies\":$(jv "$copies"),\"copy_ms\":$(jv "$ms"),\"mb_moved\":$(jv "$mb"),\"mb_per_s\":$(jv "${MG[$TGT.$rep.mbps]}"),\"rounds_abandoned\":$(jv "$abandoned"),\"start_to_published_ms\":$(jv "${MG[$TGT.$rep.join_to_published]}"),\"load_s\":$(jv "${MG[$TGT.$rep.load_s]:-}"),\"rss_new_mib\":$(jv "${MG[$TGT.$rep.rss_new]:-}"),\"check\":\"${check_json}\"}")
    cluster_kill "$cl"
}

# ==== 3. latency while a member joins ===========================================================
declare -A JN=()
# join_run CL KIND(base|join) REP: one open-loop run; KIND join starts slot 2.
join_run() {
    local cl=$1 kind=$2 rep=$3 out="$WORK/$1/$2.json" pids c0 c1 t_launch
    read -r -a pids <<<"$(cluster_pids "$cl")"
    wait_quiet "${pids[@]}"
    local before; before=$(wc -l <"${LOG[$cl.0]}")
    t_launch=$(now_ms)
    bench "$cl" 0 "$out" $((JOIN_WARM + JOIN_DUR + 30)) --no-load --keys "$JOIN_KEYS" --value-size "$VALUE" \
        --rate "$JOIN_RATE" --mix get:90,set:10 --threads 1 --connections 4 --warmup "$JOIN_WARM" \
        --duration "$JOIN_DUR" --drain 5 &
    local b=$!; OWN_PIDS+=("$b")
    # servers' CPU over the measured window: from the end of the warm-up
    # (connecting takes a few ms) to the end of the run
    sleep_ms $((JOIN_WARM * 1000 + 20))
    c0=$(cpu_ticks "${pids[@]}"); local t_c0; t_c0=$(now_ms)
    if [ "$kind" = join ]; then
        local wait_ms=$(((JOIN_WARM + JOIN_AT) * 1000 - ($(now_ms) - t_launch)))
        [ "$wait_ms" -gt 0 ] && sleep_ms "$wait_ms"
        member_start "$cl" 2 || say "$cl: the joining member did not start"
    fi
    wait "$b"; forget_pid "$b"
    read -r -a pids <<<"$(cluster_pids "$cl")"
    c1=$(cpu_ticks "${pids[@]}"); local t_c1; t_c1=$(now_ms)
    local k="$TGT.$kind.$rep" ops
    ops=$(jnum "$out" ops)
    JN[$k.ops_s]=$(jnum "$out" ops_per_s)
    JN[$k.p50]=$(jsub "$out" latency p50_us)
    JN[$k.p99]=$(jsub "$out" latency p99_us)
    JN[$k.p999]=$(jsub "$out" latency p999_us)
    JN[$k.max]=$(jsub "$out" latency max_us)
    JN[$k.lag99]=$(jsub "$out" schedule_lag p99_us)
    JN[$k.errors]=$(jnum "$out" errors)
    JN[$k.lost]=$(jnum "$out" lost)
    JN[$k.misses]=$(jnum "$out" misses)
    JN[$k.first_error]=$(jstr "$out" first_error)
    JN[$k.failure]=$(jstr "$out" failure)
    JN[$k.client]=$(jsub "$out" client cores)
    JN[$k.machine]=$(jnum "$out" machine_cores)
    local window; window=$(jnum "$out" window_s)
    JN[$k.srv_cores]=$(calc "($c1 - $c0) / $TICKS / ($t_c1 - $t_c0) * 1000")
    JN[$k.srv_us_op]=$(calc "($c1 - $c0) / $TICKS * 1e6 / $ops")
    JN[$k.other]=$(calc "${JN[$k.machine]:-0} - ${JN[$k.client]:-0} - ${JN[$k.srv_cores]}")
    JN[$k.copies]="-"; JN[$k.copy_ms]="-"
    if [ "$kind" = join ]; then
        local line end=$(($(now_ms) + 60000))
        while [ "$(now_ms)" -lt "$end" ]; do
            line=$(tail -n +"$((before + 1))" "${LOG[$cl.0]}" | grep -E "$ROUND_DONE" | tail -1)
            [ -n "$line" ] && balanced "${LOG[$cl.0]}" 3 && break
            line=""; sleep 0.05
        done
        local round
        if [ -n "$line" ] && round=$(round_of "${LOG[$cl.0]}" "$before"); then
            read -r "JN[$k.copies]" "JN[$k.copy_ms]" <<<"$round"
            # when the round ended, from the start of the measured window:
            # a join that ends after the window was not measured
            JN[$k.round_end_s]=$(calc "($(log_ms "$line") - $t_c0) / 1000")
        fi
    fi
    say "  join latency $rep ($kind): ${JN[$k.ops_s]} ops/s, p50 ${JN[$k.p50]} p99 ${JN[$k.p99]} p99.9 ${JN[$k.p999]} max ${JN[$k.max]} us;" \
        "errors ${JN[$k.errors]} lost ${JN[$k.lost]}${JN[$k.first_error]:+ (first: ${JN[$k.first_error]})};" \
        "join round ${JN[$k.copies]} copies in ${JN[$k.copy_ms]} ms, ended ${JN[$k.round_end_s]:-?} s into the ${JOIN_DUR} s window; other load ${JN[$k.other]} cores"
    JSON_RUNS+=("{\"target\":\"$TGT\",\"test\":\"join-latency\",\"kind\":\"$kind\",\"rep\":$rep,\"join_copies\":$(jv "${JN[$k.copies]}"),\"join_copy_ms\":$(jv "${JN[$k.copy_ms]}"),\"servers_cpu_us_per_op\":$(jv "${JN[$k.srv_us_op]}"),\"other_cores\":$(jv "${JN[$k.other]}"),\"bench\":$(cat "$out" 2>/dev/null || echo null)}")
}
join_rep() {
    local rep=$1 cl="$TGT-join-$1"
    cluster_new "$cl" 3 1
    cluster_start "$cl" 2 || return 1
    load "$cl" "$JOIN_KEYS" "$WORK/$cl/load.json" || return 1
    join_run "$cl" base "$rep"
    join_run "$cl" join "$rep"
    cluster_kill "$cl"
}

# ==== 4. throughput, 1 member against 3 ===========================================================
declare -A TP=()
WORKLOADS=("read-mostly:get:90,set:10:uniform" "write-heavy:get:50,set:50:zipfian")
tp_run() {   # tp_run VARIANT(tp1|tp3|tp3d, hz1|hz3|hz3d for Hazelcast) WORKLOAD-INDEX REP
    local var=$1 wi=$2 rep=$3 w name mix dist depth pids c0 c1 t0 t1 out cl=${1:0:3}
    w=${WORKLOADS[$wi]}; name=${w%%:*}; w=${w#*:}; dist=${w##*:}; mix=${w%:*}
    case "${var:2}" in 1) depth=$TP_DEPTH_1 ;; 3) depth=$TP_DEPTH_3 ;; *) depth=$TP_DEPTH_3D ;; esac
    read -r -a pids <<<"$(cluster_pids "$cl")"
    local args=(--no-load --keys "$TP_KEYS" --value-size "$VALUE" --mix "$mix" --dist "$dist" "${TP_FLAGS[@]}" --depth "$depth")
    local k="$var.$wi.$rep" ops rc attempt ta
    # A run during which other processes used the CPU is repeated (at most
    # twice, within the run's patience); the last attempt counts.
    for ((attempt = 0; attempt < 3; attempt++)); do
        wait_quiet "${pids[@]}"
        ta=$(now_ms)
        bench "$cl" 0 "$WORK/$cl/warm.json" 60 "${args[@]}" --warmup 0 --duration "$TP_WARM" --drain 5
        out="$WORK/$cl/$name-$rep-d$depth.json"
        c0=$(cpu_ticks "${pids[@]}"); t0=$(now_ms)
        bench "$cl" 0 "$out" 60 "${args[@]}" --warmup 0 --duration "$TP_DUR" --drain 5 --server-pid "${pids[0]}" --label "$var $name"
        rc=$?
        c1=$(cpu_ticks "${pids[@]}"); t1=$(now_ms)
        TP[$k.other]=$(calc "$(jnum "$out" machine_cores) - $(jsub "$out" client cores) - ($c1 - $c0) / $TICKS / (($t1 - $t0) / 1000)")
        TP[$k.attempts]=$((attempt + 1))
        awk -v v="${TP[$k.other]}" -v l="$OTHER_LIMIT" 'BEGIN{exit !(v+0 <= l)}' && break
        [ "$attempt" -lt 2 ] && [ "$PATIENCE_LEFT" -gt 0 ] || break
        PATIENCE_LEFT=$((PATIENCE_LEFT - ($(now_ms) - ta)))
        say "    disturbed by other processes (${TP[$k.other]} cores); repeating"
    done
    ops=$(jnum "$out" ops)
    TP[$k.ops_s]=$(jnum "$out" ops_per_s)
    TP[$k.errors]=$(jnum "$out" errors)
    TP[$k.lost]=$(jnum "$out" lost)
    TP[$k.rc]=$rc
    TP[$k.srv_us_op]=$(calc "($c1 - $c0) / $TICKS * 1e6 / $ops")
    TP[$k.srv_cores]=$(calc "($c1 - $c0) / $TICKS / (($t1 - $t0) / 1000)")
    TP[$k.m0_us_op]=$(jsub "$out" server cpu_us_per_op)
    TP[$k.client]=$(jsub "$out" client cores)
    TP[$k.machine]=$(jnum "$out" machine_cores)
    TP[$k.other]=$(calc "${TP[$k.machine]:-0} - ${TP[$k.client]:-0} - ${TP[$k.srv_cores]}")
    say "  throughput $rep $name, ${cl:2} member(s), depth $depth: ${TP[$k.ops_s]} ops/s, servers ${TP[$k.srv_us_op]} us/op" \
        "(${TP[$k.srv_cores]} cores), client ${TP[$k.client]} cores, machine ${TP[$k.machine]} cores," \
        "other ${TP[$k.other]}$([ "${TP[$k.attempts]}" -gt 1 ] && echo " (attempt ${TP[$k.attempts]})"); errors ${TP[$k.errors]} lost ${TP[$k.lost]}$([ "$rc" = 0 ] || echo " (exit $rc: $(jstr "$out" first_error)$(jstr "$out" failure))")"
    JSON_RUNS+=("{\"target\":\"$TGT\",\"test\":\"throughput\",\"members\":${cl:2},\"depth\":$depth,\"workload\":\"$name\",\"rep\":$rep,\"servers_cpu_us_per_op\":$(jv "${TP[$k.srv_us_op]}"),\"servers_cores\":$(jv "${TP[$k.srv_cores]}"),\"other_cores\":$(jv "${TP[$k.other]}"),\"bench\":$(cat "$out" 2>/dev/null || echo null)}")
}

# ==== run =========================================================================================
say "cluster.sh: memgrid $("$MEMGRID" --version 2>&1 | head -1), reps $REPS$([ "$QUICK" = 1 ] && echo ", quick"); logs in $WORK"
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M UTC')

# Repetitions alternate between the targets, so that a slow spell of the
# machine falls on both.
if want failover; then
    say "failover: 3 members, backup-count 1, $FO_KEYS keys; kill -9 of a non-master / the master"
    for ((r = 1; r <= REPS; r++)); do
        for TGT in "${TARGETS[@]}"; do
            past_deadline && die "out of time"
            failover_rep nonmaster "$r" || die "$TGT: failover (non-master) repetition $r"
            failover_rep master "$r" || die "$TGT: failover (master) repetition $r"
        done
    done
fi
if want migration; then
    say "migration: 2 members with $MIG_KEYS keys x $VALUE B, a 3rd joins"
    for ((r = 1; r <= REPS; r++)); do
        for TGT in "${TARGETS[@]}"; do
            past_deadline && die "out of time"
            migration_rep "$r" || die "$TGT: migration repetition $r"
        done
    done
fi
if want join; then
    say "join latency: 2 members, $JOIN_KEYS keys, open loop $JOIN_RATE ops/s for $JOIN_DUR s; a 3rd member joins ${JOIN_AT} s in"
    for ((r = 1; r <= REPS; r++)); do
        for TGT in "${TARGETS[@]}"; do
            past_deadline && die "out of time"
            join_rep "$r" || die "$TGT: join repetition $r"
        done
    done
fi
# The throughput clusters of one target at a time: idle JVMs next to the
# measured memgrid members (or the reverse) would disturb the measurement.
tp_prefix() { [ "$1" = hazelcast ] && echo hz || echo tp; }
if want throughput; then
    say "throughput: 1 member and 3 members (backup-count 1), $TP_KEYS keys, closed loop"
    for TGT in "${TARGETS[@]}"; do
        P=$(tp_prefix "$TGT")
        cluster_new "${P}1" 1 1
        cluster_new "${P}3" 3 1
        cluster_start "${P}1" 1 || die "$TGT: one-member cluster"
        cluster_start "${P}3" 3 || die "$TGT: three-member cluster"
        load "${P}1" "$TP_KEYS" "$WORK/${P}1/load.json" || die "$TGT: load of 1 member"
        load "${P}3" "$TP_KEYS" "$WORK/${P}3/load.json" || die "$TGT: load of 3 members"
        TP[$P.load1]=$(jnum "$WORK/${P}1/load.json" load_s); TP[$P.load3]=$(jnum "$WORK/${P}3/load.json" load_s)
        TP[$P.rss1]=$(rss_mib "${PID[${P}1.0]}")
        TP[$P.rss3]=$(( $(rss_mib "${PID[${P}3.0]}") + $(rss_mib "${PID[${P}3.1]}") + $(rss_mib "${PID[${P}3.2]}") ))
        say "  $TGT: loaded $TP_KEYS keys: 1 member ${TP[$P.load1]} s, 3 members ${TP[$P.load3]} s; RSS ${TP[$P.rss1]} MiB / ${TP[$P.rss3]} MiB (sum)"
        # warm both up (unmeasured; a JVM's JIT needs it, memgrid gets the
        # same), then alternate 1 and 3 members
        bench "${P}1" 0 "$WORK/${P}1/warmup.json" 60 --no-load --keys "$TP_KEYS" --warmup 0 --duration "$TP_WARMUP" "${TP_FLAGS[@]}" --depth $TP_DEPTH_1
        bench "${P}3" 0 "$WORK/${P}3/warmup.json" 60 --no-load --keys "$TP_KEYS" --warmup 0 --duration "$TP_WARMUP" "${TP_FLAGS[@]}" --depth $TP_DEPTH_3
        for ((r = 1; r <= REPS; r++)); do
            for wi in 0 1; do
                past_deadline && die "out of time"
                for v in "${TP_VARIANTS[@]}"; do tp_run "$P${v#tp}" "$wi" "$r"; done
            done
        done
        cluster_kill "${P}1"
        cluster_kill "${P}3"
    done
fi

# ==== report ======================================================================================
collect() {   # collect ARRAYNAME PREFIX SUFFIX: values ARRAY[PREFIX<rep>SUFFIX] for every rep
    local -n arr=$1; local r out=()
    for ((r = 1; r <= REPS; r++)); do out+=("${arr[$2$r$3]:-}"); done
    echo "${out[@]}"
}
flag_other() {   # " ⚠ n/N" when n repetitions had other load above the limit
    local v n=0
    for v in "$@"; do awk -v v="$v" -v l="$OTHER_LIMIT" 'BEGIN{exit !(v+0 > l)}' && n=$((n + 1)); done
    [ "$n" -gt 0 ] && echo " ⚠ $n/$#"
}
who_limits() {   # who_limits CLIENT_CORES MACHINE_CORES
    awk -v c="$1" -v m="$2" 'BEGIN{ if (c >= 0.9) print "client-bound"; else if (m >= 1.8) print "machine full"; else print "neither saturated" }'
}

report() {
    echo "### Cluster run of $STARTED_AT"
    echo
    echo "Command: \`bench/cluster.sh$([ "$QUICK" = 1 ] && echo " --quick")$([ "$REPS" != 3 ] && [ "$QUICK" = 0 ] && echo " --reps $REPS")$([ "$ONLY" != failover,migration,join,throughput ] && echo " --only $ONLY")$([ "$TARGET" != both ] && echo " --target $TARGET")\`  "
    echo "Machine: $(nproc) cores ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, Linux $(uname -r)  "
    echo "memgrid: $("$MEMGRID" --version 2>&1 | head -1) (tree $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ', with local changes')); $REPS repetition(s) per figure on fresh members, median (min–max); heartbeat 1 s, max-no-heartbeat 2 s, backup-count 1, 271 partitions, values $VALUE B.  "
    [[ " ${TARGETS[*]} " == *" hazelcast "* ]] &&
        echo "Hazelcast: $(basename "$JAR"), $(java -version 2>&1 | head -1), \`java -Xmx2g -Djava.net.preferIPv4Stack=true -Dhazelcast.phone.home.enabled=false …\` (the flags of bench/compare), the same hazelcast.yaml plus loopback-only interfaces and Jet off."
    echo
    for TGT in "${TARGETS[@]}"; do
        [ ${#TARGETS[@]} -gt 1 ] && { echo "#### $([ "$TGT" = hazelcast ] && echo "Hazelcast 5.7" || echo memgrid)"; echo; }
        report_target
    done
    [ ${#TARGETS[@]} -gt 1 ] && report_compare
    if [ ${#SETUP_ROUNDS[@]} -gt 0 ]; then
        local slow=() v
        for v in "${SETUP_ROUNDS[@]}"; do [ "${v:-0}" -gt 1000 ] && slow+=("$v"); done
        echo "Setting up memgrid: ${#SETUP_ROUNDS[@]} joins into empty clusters, one at a time; rebalancing rounds median $(fmt "$(median "${SETUP_ROUNDS[@]}")") ms, max $(fmt "$(vmax "${SETUP_ROUNDS[@]}")") ms$([ ${#slow[@]} -gt 0 ] && echo "; ${#slow[@]} took more than 1 s (${slow[*]} ms: ~10 s is the master's resend timeout for a copy it never heard back about, src/partition/migration.c)")."
    fi
}

# cmp_row LABEL DECIMALS "MEMGRID VALUES" "HAZELCAST VALUES": medians and their ratio.
cmp_row() {
    local a b ratio="–"
    a=$(median $3); b=$(median $4)
    [[ "$a" =~ ^[0-9.]+$ ]] && [[ "$b" =~ ^[0-9.]+$ ]] && awk -v b="$b" 'BEGIN{exit !(b > 0)}' &&
        ratio="$(awk -v a="$a" -v b="$b" 'BEGIN{ r = a / b; d = r >= 0.1 ? 2 : r >= 0.01 ? 3 : 4; printf "%.*f", d, r }')×"
    echo "| $1 | $(fmt "$a" "$2") | $(fmt "$b" "$2") | $ratio |"
}
# Side by side: the medians of both targets, memgrid / Hazelcast.
report_compare() {
    local k wi name v
    echo "#### Side by side"
    echo
    echo "Medians of the tables above; ratio = memgrid / Hazelcast (below 1 is better for times and CPU, above 1 for throughput)."
    echo
    echo "| | memgrid | Hazelcast 5.7 | memgrid / Hazelcast |"
    echo "|---|---:|---:|---:|"
    if want failover; then
        for k in nonmaster master; do
            v=$([ $k = master ] && echo "the master" || echo "a non-master")
            cmp_row "failover, $v killed: kill → all partitions served, ms" 0 "$(collect FO "memgrid.$k." .served)" "$(collect FO "hazelcast.$k." .served)"
            cmp_row "failover, $v killed: kill → removal logged, ms" 0 "$(collect FO "memgrid.$k." .removal)" "$(collect FO "hazelcast.$k." .removal)"
            cmp_row "failover, $v killed: kill → backups re-created, ms" 0 "$(collect FO "memgrid.$k." .redo)" "$(collect FO "hazelcast.$k." .redo)"
            cmp_row "failover, $v killed: errors the client saw" 0 "$(collect FO "memgrid.$k." .bg_errors)" "$(collect FO "hazelcast.$k." .bg_errors)"
        done
    fi
    if want migration; then
        cmp_row "a 3rd member joins 2 holding $(fmt $MIG_KEYS) keys: rebalancing, ms" 0 "$(collect MG memgrid. .ms)" "$(collect MG hazelcast. .ms)"
        cmp_row "… member start → rebalanced, ms" 0 "$(collect MG memgrid. .join_to_published)" "$(collect MG hazelcast. .join_to_published)"
        cmp_row "… partition replicas moved (Hazelcast: completed migrations)" 0 "$(collect MG memgrid. .copies)" "$(collect MG hazelcast. .copies)"
        cmp_row "… MB/s (replicas moved × partition size / time)" 1 "$(collect MG memgrid. .mbps)" "$(collect MG hazelcast. .mbps)"
        cmp_row "… loading the 2 members, s" 2 "$(collect MG memgrid. .load_s)" "$(collect MG hazelcast. .load_s)"
    fi
    if want join; then
        cmp_row "$(fmt $JOIN_RATE) ops/s on 2 members: p99, µs" 0 "$(collect JN memgrid.base. .p99)" "$(collect JN hazelcast.base. .p99)"
        cmp_row "… while a 3rd member joins: p99, µs" 0 "$(collect JN memgrid.join. .p99)" "$(collect JN hazelcast.join. .p99)"
        cmp_row "… while a 3rd member joins: p99.9, µs" 0 "$(collect JN memgrid.join. .p999)" "$(collect JN hazelcast.join. .p999)"
        cmp_row "… while a 3rd member joins: errors" 0 "$(collect JN memgrid.join. .errors)" "$(collect JN hazelcast.join. .errors)"
    fi
    if want throughput; then
        for wi in 0 1; do
            name=${WORKLOADS[$wi]%%:*}
            cmp_row "$name, 1 member: ops/s" 0 "$(collect TP "tp1.$wi." .ops_s)" "$(collect TP "hz1.$wi." .ops_s)"
            cmp_row "$name, 3 members, $((TP_DEPTH_3 * 12)) in flight: ops/s" 0 "$(collect TP "tp3.$wi." .ops_s)" "$(collect TP "hz3.$wi." .ops_s)"
            cmp_row "$name, 3 members, $((TP_DEPTH_3D * 12)) in flight: ops/s" 0 "$(collect TP "tp3d.$wi." .ops_s)" "$(collect TP "hz3d.$wi." .ops_s)"
            cmp_row "$name, 3 members, $((TP_DEPTH_3D * 12)) in flight: servers' CPU per op, µs" 2 "$(collect TP "tp3d.$wi." .srv_us_op)" "$(collect TP "hz3d.$wi." .srv_us_op)"
        done
        cmp_row "RSS of 3 members after loading $(fmt $TP_KEYS) keys (sum), MiB" 0 "${TP[tp.rss3]:-}" "${TP[hz.rss3]:-}"
    fi
    echo
}

# The figures of one target ($TGT).
report_target() {
    local r k v
    if want failover; then
        echo "**Failover** (3 members, $(fmt $FO_KEYS) keys, \`kill -9\` of one member; a unisocket client at $(fmt $FO_BG_RATE) ops/s, get:90,set:10, on a survivor). *Served* = end of the first probe run (memgrid-bench, $(fmt $FO_PROBE_OPS) gets spread over every key, smart routing, via a survivor) with every answer a hit; probes run back to back (~50 ms apart)."
        echo
        echo "| member killed | kill → removal logged, ms | kill → new master, ms | kill → all partitions served, ms | … that probe started at, ms | kill → backups re-created, ms | client errors during failover | client max latency, ms |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|"
        for k in nonmaster master; do
            echo "| $([ $k = master ] && echo "the master" || echo "a non-master") | $(medr 0 $(collect FO "$TGT.$k." .removal)) | $([ $k = master ] && medr 0 $(collect FO "$TGT.$k." .elected) || echo "–") | $(medr 0 $(collect FO "$TGT.$k." .served)) | $(medr 0 $(collect FO "$TGT.$k." .served_from)) | $(medr 0 $(collect FO "$TGT.$k." .redo)) | $(medr 0 $(collect FO "$TGT.$k." .bg_errors)) | $(medr 0 $(collect FO "$TGT.$k." .bg_max_ms)) |"
        done
        v=""; for k in nonmaster master; do for ((r = 1; r <= REPS; r++)); do
            [ "${FO[$TGT.$k.$r.misses_seen]:-0}" != 0 ] && v+=" $k#$r: ${FO[$TGT.$k.$r.misses_seen]} misses;"
            [ "${FO[$TGT.$k.$r.bg_misses]:-0}" != 0 ] && v+=" $k#$r: client saw ${FO[$TGT.$k.$r.bg_misses]} misses;"
            [ "${FO[$TGT.$k.$r.bg_lost]:-0}" != 0 ] && v+=" $k#$r: client lost ${FO[$TGT.$k.$r.bg_lost]};"
        done; done
        local fe; fe=$(for k in nonmaster master; do for ((r = 1; r <= REPS; r++)); do echo "${FO[$TGT.$k.$r.bg_first_error]:-}"; done; done | grep -v '^$' | sed 's/: .*//' | sort -u | paste -sd';')
        echo
        echo "Client errors are answers with an error code (first: ${fe:-none}); no data lost:${v:- probes and client saw no miss and nothing lost}."
        echo
    fi
    if want migration; then
        local e; e=$(median $(collect MG "$TGT." .entry))
        echo "**Migration rate** (2 members holding $(fmt $MIG_KEYS) keys, idle; a 3rd member starts). MB moved = copies × keys × bytes per entry / 271, with $(fmt "$e" 1) bytes per entry (the key and the value as the client serializes them: 12 + $(fmt "$(calc "$e - 12 - $VALUE - 12")" 1) bytes of key, 12 + $VALUE of value; the store's own per-entry overhead is not counted); a copy is one partition replica, of $((PARTITIONS * 2)) in all. MB = 10^6 bytes."
        echo
        echo "| copies | copy round, ms | MB moved | MB/s | member start → new table, ms | RSS of the new member, MiB | every key there after |"
        echo "|---:|---:|---:|---:|---:|---:|---|"
        echo "| $(medr 0 $(collect MG "$TGT." .copies)) | $(medr 0 $(collect MG "$TGT." .ms)) | $(medr 1 $(collect MG "$TGT." .mb)) | **$(medr 1 $(collect MG "$TGT." .mbps))** | $(medr 0 $(collect MG "$TGT." .join_to_published)) | $(medr 0 $(collect MG "$TGT." .rss_new)) | $(collect MG "$TGT." .check | tr ' ' '\n' | sort | uniq -c | awk '{printf "%s%s ×%s", (NR > 1 ? ", " : ""), $2, $1}') |"
        echo
        [ "$TGT" = hazelcast ] && { echo "Hazelcast: *copies* are the completedMigrations of its \"All migration tasks have been completed\" lines and the round runs from its \"Repartitioning cluster data\" line to the last of those (its log, ms timestamps); a Hazelcast migration may also move a replica within the same member's slots, so MB/s counts every migration as a full copy."; echo; }
        local r10=0; [ "$TGT" = memgrid ] && for v in $(collect MG "$TGT." .ms); do [ "${v:-0}" -ge 9000 ] && r10=$((r10 + 1)); done
        [ "$r10" -gt 0 ] && { echo "$r10 of the measured rounds took ≥ 9 s: the master's 10 s resend of a copy it never heard back about, not the copying; look at the fastest figure."; echo; }
        echo "Loading the data set into the 2 members (memgrid-bench's load phase, synchronous backups): $(medr 2 $(collect MG "$TGT." .load_s)) s."
        echo
    fi
    if want join; then
        echo "**Latency while a member joins** (2 members, $(fmt $JOIN_KEYS) keys, memgrid-bench open loop at $(fmt $JOIN_RATE) ops/s, get:90,set:10, smart routing, ${JOIN_DUR} s measured after ${JOIN_WARM} s; *join*: a 3rd member starts ${JOIN_AT} s into the measurement; *no join*: the same run on the same members just before). Latency from each request's scheduled time, µs."
        echo
        echo "| run | ops/s | p50 | p99 | p99.9 | max | errors | lost | join round | client lag p99 | servers' CPU per op, µs |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"
        for k in base join; do
            echo "| $([ $k = base ] && echo "no join" || echo "join")$(flag_other $(collect JN "$TGT.$k." .other)) | $(fmt "$(median $(collect JN "$TGT.$k." .ops_s))") | $(medr 0 $(collect JN "$TGT.$k." .p50)) | $(medr 0 $(collect JN "$TGT.$k." .p99)) | $(medr 0 $(collect JN "$TGT.$k." .p999)) | $(medr 0 $(collect JN "$TGT.$k." .max)) | $(medr 0 $(collect JN "$TGT.$k." .errors)) | $(medr 0 $(collect JN "$TGT.$k." .lost)) | $([ $k = join ] && echo "$(median $(collect JN "$TGT.join." .copies)) copies in $(medr 0 $(collect JN "$TGT.join." .copy_ms)) ms" || echo "–") | $(medr 0 $(collect JN "$TGT.$k." .lag99)) | $(medr 1 $(collect JN "$TGT.$k." .srv_us_op)) |"
        done
        local je; je=$(for ((r = 1; r <= REPS; r++)); do for k in base join; do echo "${JN[$TGT.$k.$r.first_error]:-}"; done; done | grep -v '^$' | sed 's/: .*//' | sort -u | paste -sd';')
        echo
        echo "Errors: ${je:-none}. memgrid-bench does not retry; the official clients retry error 46 (RetryableHazelcastException)."
        local jf; jf=$(for ((r = 1; r <= REPS; r++)); do for k in base join; do [ -n "${JN[$TGT.$k.$r.failure]:-}" ] && echo "$k #$r: ${JN[$TGT.$k.$r.failure]}"; done; done | paste -sd';')
        [ -n "$jf" ] && echo "**Runs that broke off** (their figures cover only the time before): $jf."
        local jl; jl=$(for ((r = 1; r <= REPS; r++)); do v=${JN[$TGT.join.$r.round_end_s]:-}; [ -n "$v" ] && awk -v v="$v" -v d="$JOIN_DUR" 'BEGIN{exit !(v > d)}' && echo "#$r (${v} s)"; done | paste -sd' ')
        [ -n "$jl" ] && echo "The join's rebalancing ended after the ${JOIN_DUR} s window in $jl: part of it was not measured."
        echo
    fi
    if want throughput; then
        echo "**Throughput, 3 members against 1** ($(fmt $TP_KEYS) keys, backup-count 1, memgrid-bench closed loop, one thread, 4 connections per member at depth $TP_DEPTH_1 (256 requests in flight) against 1 member; against 3 members at depth $TP_DEPTH_3 (the same $((TP_DEPTH_3 * 12)) in flight in all) and at depth $TP_DEPTH_3D (the same depth per connection, $((TP_DEPTH_3D * 12)) in flight), ${TP_WARM} s warm-up run then $TP_DUR s measured; server CPU = utime + stime of every member over the measured run / ops)."
        echo
        echo "| workload | members, in flight | ops/s | servers' CPU per op, µs | servers, cores | client, cores | machine busy, cores | who limits |"
        echo "|---|---:|---:|---:|---:|---:|---:|---|"
        local wi name c P; P=$(tp_prefix "$TGT")
        for wi in 0 1; do
            name=${WORKLOADS[$wi]%%:*}
            for c in "${TP_VARIANTS[@]}"; do
                local cc mc inflight
                c=$P${c#tp}
                case "${c:2}" in 1) inflight="1, $((TP_DEPTH_1 * 4))" ;; 3) inflight="3, $((TP_DEPTH_3 * 12))" ;; *) inflight="3, $((TP_DEPTH_3D * 12))" ;; esac
                cc=$(median $(collect TP "$c.$wi." .client)); mc=$(median $(collect TP "$c.$wi." .machine))
                echo "| $name ($(echo "${WORKLOADS[$wi]#*:}" | sed 's/:\([a-z]*\)$/, \1/'))$(flag_other $(collect TP "$c.$wi." .other)) | $inflight | $(medr 0 $(collect TP "$c.$wi." .ops_s)) | $(medr 2 $(collect TP "$c.$wi." .srv_us_op)) | $(fmt "$(median $(collect TP "$c.$wi." .srv_cores))" 2) | $(fmt "$cc" 2) | $(fmt "$mc" 2) | $(who_limits "$cc" "$mc") |"
            done
            local a b v3
            a=$(median $(collect TP "${P}1.$wi." .ops_s))
            for v3 in ${P}3 ${P}3d; do
                b=$(median $(collect TP "$v3.$wi." .ops_s))
                echo "| | 3 / 1$([ $v3 = ${P}3d ] && echo ", depth $TP_DEPTH_3D" || echo ", same in flight") | $(fmt "$(calc "$b / $a")" 2)× | $(fmt "$(calc "$(median $(collect TP "$v3.$wi." .srv_us_op)) / $(median $(collect TP "${P}1.$wi." .srv_us_op))")" 2)× | | | | |"
            done
        done
        local errs; errs=$(for c in "${TP_VARIANTS[@]}"; do c=$P${c#tp}; for wi in 0 1; do for ((r = 1; r <= REPS; r++)); do echo "${TP[$c.$wi.$r.errors]:-0}"; echo "${TP[$c.$wi.$r.lost]:-0}"; done; done; done | awk '{s+=$1} END{print s+0}')
        echo
        echo "Loading $(fmt $TP_KEYS) keys: 1 member $(fmt "${TP[$P.load1]}" 2) s, 3 members $(fmt "${TP[$P.load3]}" 2) s; RSS after loading $(fmt "${TP[$P.rss1]}") MiB (1 member) and $(fmt "${TP[$P.rss3]}") MiB (3 members, sum). Errors + lost answers in the throughput runs: $errs."
        echo
    fi
}

mkdir -p "$ROOT/build/bench"
MD="$ROOT/build/bench/cluster-last-run.md"
JS="$ROOT/build/bench/cluster-last-run.json"
report >"$MD"
if grep -q '⚠' "$MD"; then
    { echo; echo "⚠ = during at least one repetition processes other than the client and the members used more than $OTHER_LIMIT core (the machine has $(nproc) cores, shared)."; } >>"$MD"
fi
{
    printf '{"tool":"bench/cluster.sh","started":"%s","reps":%d,"quick":%s,"runs":[' "$STARTED_AT" "$REPS" "$([ "$QUICK" = 1 ] && echo true || echo false)"
    (IFS=,; printf '%s' "${JSON_RUNS[*]}")
    printf ']}\n'
} >"$JS"
if [ "$JSON_OUT" = 1 ]; then
    cat "$MD" >&2
    cat "$JS"
else
    cat "$MD"
fi
say "cluster.sh: done in $(( ($(now_ms) - T0) / 1000 )) s; $MD, $JS"
