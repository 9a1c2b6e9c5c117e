# bench/ports.sh - sourced by the benchmark and test scripts that start
# members on fixed loopback ports (a member list needs its ports before the
# members start).
#
#   pick_ports N   sets PICKED to N ports that nothing uses now and this
#                  script did not hand out before (call it directly, not in
#                  $(...): a subshell would forget what it handed out)
#
# The ports come from below the kernel's ephemeral range. A port the kernel
# hands out (bind to port 0) is free only until the next outgoing connection
# or bind(0) takes it, and the members about to start open such connections
# to each other; a port below the range is never handed out that way. Asking
# the kernel for a port and closing it is also racy in a second way: the
# closing process may still hold it when the member binds.

declare -A PORTS_HANDED_OUT=()
PICKED=()

# the local ports of every TCP socket the kernel lists now
ports_in_use() {
    local sl local_addr rest
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | while read -r sl local_addr rest; do
        if [ "$sl" != sl ] && [[ "$local_addr" == *:* ]]; then echo $((16#${local_addr##*:})); fi
    done
    return 0
}

pick_ports() {
    local n=$1 eph_lo eph_hi lo hi used p
    PICKED=()
    read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { eph_lo=32768; eph_hi=60999; }
    hi=$((eph_lo - 1)); lo=$((hi - 12000)); [ $lo -lt 10000 ] && lo=10000
    if [ $((hi - lo)) -lt 1000 ]; then lo=$((eph_hi + 1)); hi=65535; fi   # a range that starts low
    used=" $(ports_in_use | tr '\n' ' ') "
    while [ ${#PICKED[@]} -lt "$n" ]; do
        p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
        [[ "$used" == *" $p "* ]] && continue
        [ -n "${PORTS_HANDED_OUT[$p]:-}" ] && continue
        PORTS_HANDED_OUT[$p]=1
        PICKED+=("$p")
    done
}
