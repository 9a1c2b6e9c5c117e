#!/usr/bin/env bash
# Runs the Go acceptance/integration suite against the member chosen by
# MEMGRID_TARGET: memgrid (default; binary from MEMGRID_BIN, default
# build/memgrid) or hazelcast (a real Hazelcast 5.7 member from its jar).
#
#   test/go/run.sh                 # everything: go test ./... -count=1 -timeout 600s
#   test/go/run.sh ./mapops/ -run Lock -v   # any go test arguments
#   test/go/run.sh -v                       # (./... is added when no package is named)
#
# The Hazelcast 5.7 jar is fetched with Maven when the target is hazelcast,
# and when it is missing for the differential test (which then is skipped
# if the download fails).
set -euo pipefail
cd "$(dirname "$0")"

export PATH="/usr/local/go/bin:$PATH"
target=${MEMGRID_TARGET:-memgrid}
jar=${HAZELCAST_JAR:-$HOME/.m2/repository/com/hazelcast/hazelcast/5.7.0/hazelcast-5.7.0.jar}

if [ ! -f "$jar" ]; then
    echo "run.sh: fetching the Hazelcast 5.7.0 jar with Maven" >&2
    if ! mvn -q dependency:get -Dtransitive=false -Dartifact=com.hazelcast:hazelcast:5.7.0 >&2; then
        if [ "$target" = hazelcast ]; then
            echo "run.sh: cannot fetch the Hazelcast jar; set HAZELCAST_JAR" >&2
            exit 1
        fi
        echo "run.sh: no Hazelcast jar: the differential test will be skipped" >&2
    fi
fi

case "$target" in
memgrid)
    bin=${MEMGRID_BIN:-../../build/memgrid}
    case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
    if [ ! -x "$bin" ]; then
        echo "run.sh: memgrid binary $bin not found: build it (make) or set MEMGRID_BIN" >&2
        exit 1
    fi
    ;;
hazelcast) ;;
*)
    echo "run.sh: MEMGRID_TARGET must be memgrid or hazelcast, not '$target'" >&2
    exit 2
    ;;
esac

# Without a package argument, test every package.
have_pkg=no
for a in "$@"; do
    case "$a" in ./*|memgrid.test/*) have_pkg=yes ;; esac
done
if [ $have_pkg = no ]; then
    set -- ./... "$@"
fi
echo "run.sh: go test against $target" >&2
# hazelcastinternal: lets the cluster tests read the client's partition table
exec go test -count=1 -timeout 600s -tags hazelcastinternal "$@"
