# bench/hazelcast.sh - sourced by the benchmark and test scripts: how they
# run a Hazelcast 5.7 member beside memgrid, on loopback only.
#
#   HZ_JAR        the jar from Maven Central (HAZELCAST_JAR overrides it)
#   HZ_JVM_FLAGS  the JVM flags bench/compare writes down (no heap size: the
#                 caller sizes the heap for its data)
#   hz_yaml       a hazelcast.yaml that binds and announces 127.0.0.1 only
#
# A Hazelcast member left to itself binds every interface, looks for cloud
# environments and may dial other addresses; the yaml below keeps it on
# 127.0.0.1 with a tcp-ip member list of loopback addresses.

HZ_JAR=${HAZELCAST_JAR:-$HOME/.m2/repository/com/hazelcast/hazelcast/5.7.0/hazelcast-5.7.0.jar}
HZ_JVM_FLAGS=(-Djava.net.preferIPv4Stack=true -Dhazelcast.phone.home.enabled=false
    --add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens java.management/sun.management=ALL-UNNAMED
    --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED)

# hz_yaml CLUSTER PORT "MEMBER_PORT..." [PROPERTIES] [MORE]
#   PROPERTIES: extra "key: value" lines for hazelcast.properties, one per line
#   MORE: yaml appended under "hazelcast:", indented by the caller (e.g. a map section)
hz_yaml() {
    local cluster=$1 port=$2 members=$3 props=${4:-} more=${5:-} m line
    echo "hazelcast:"
    echo "  cluster-name: $cluster"
    echo "  properties:"
    echo "    hazelcast.phone.home.enabled: false"
    echo "    hazelcast.local.localAddress: 127.0.0.1"
    echo "    hazelcast.socket.bind.any: false"
    if [ -n "$props" ]; then
        while IFS= read -r line; do [ -n "$line" ] && echo "    $line"; done <<<"$props"
    fi
    echo "  jet:"
    echo "    enabled: false"
    echo "  network:"
    echo "    port:"
    echo "      port: $port"
    echo "      auto-increment: false"
    echo "    interfaces:"
    echo "      enabled: true"
    echo "      interfaces:"
    echo "        - 127.0.0.1"
    echo "    join:"
    echo "      auto-detection:"
    echo "        enabled: false"
    echo "      multicast:"
    echo "        enabled: false"
    echo "      tcp-ip:"
    echo "        enabled: true"
    echo "        member-list:"
    for m in $members; do echo "          - 127.0.0.1:$m"; done
    [ -n "$more" ] && echo "$more"
    return 0
}
