# bench/peers.sh - sourced by the scripts that run Redis and memcached beside
# memgrid (Debian's packages), on loopback only, as a cache is run: no
# persistence, memcached with a thread per core.
#
#   peer_installed NAME          redis | memcached: its server binary is here
#   peer_start NAME PORT LOG     starts it in the background (PEER_PID) and
#                                waits (at most 10 s) for its own protocol's
#                                ping; non-zero if it does not answer
#   peer_protocol NAME           memgrid-bench's --protocol for it
#   peer_ask PORT REQUEST        one request over bash's /dev/tcp; prints the
#                                first answer line (at most 1 s)

peer_installed() {
    case $1 in
    redis) command -v redis-server >/dev/null ;;
    memcached) command -v memcached >/dev/null ;;
    *) return 1 ;;
    esac
}

peer_protocol() { [ "$1" = redis ] && echo redis || echo memcache; }

peer_ask() {
    timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "$2" >&3 && head -1 <&3' _ "$1" "$2" 2>/dev/null |
        tr -d '\r'
}

peer_start() {
    local name=$1 port=$2 log=$3 ask want user=()
    case $name in
    redis)
        redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no >"$log" 2>&1 &
        ask='PING\r\n' want=+PONG ;;
    memcached)
        [ "$(id -u)" = 0 ] && user=(-u nobody)   # it refuses to run as root otherwise
        memcached "${user[@]}" -l 127.0.0.1 -p "$port" -U 0 -t "$(nproc)" -m 4096 >"$log" 2>&1 &
        ask='mn\r\n' want=MN ;;
    *) return 1 ;;
    esac
    PEER_PID=$!
    for _ in $(seq 1 200); do
        [ "$(peer_ask "$port" "$ask")" = "$want" ] && return 0
        kill -0 "$PEER_PID" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}
