#!/usr/bin/env bash
# Builds every fuzz target with libFuzzer + ASan + UBSan and runs each for a
# bounded time (FUZZ_TIME seconds each, default 15).  Exits non-zero when a
# build fails or a fuzzer finds a crash, leak or sanitizer report.
#
#   fuzz_frame   client-protocol frames and every generated request decoder
#   fuzz_config  the hazelcast.yaml loader
#   fuzz_member_proto  memgrid's member-to-member messages and multicast announcements
#   fuzz_kvproto memgrid-bench's scanner of Redis and memcached answers
#
# Committed seeds (fuzz/corpus/<target>/, test/config/*.yaml) are only read;
# inputs the fuzzer discovers go to fuzz/corpus-tmp/<target>/ (ignored by git)
# and crash reproducers to build/fuzz/.
set -euo pipefail

cd "$(dirname "$0")/.."

CLANG=${CLANG:-clang}
FUZZ_TIME=${FUZZ_TIME:-15}
OUT=build/fuzz
SAN=address,undefined
CFLAGS=(-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
        -fno-sanitize-recover=undefined -I include -I src)

# build NAME "SRC_DIRS..." EXTRA_LIBS: objects go into an archive so that
# only what the target needs is linked.
build() {
    local name=$1 dirs=$2 libs=$3
    local obj="$OUT/obj-$name"
    mkdir -p "$obj"
    rm -f "$obj"/*.o "$OUT/lib$name.a"
    local src
    for src in $(find $dirs -name '*.c' | sort); do
        "$CLANG" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link,$SAN -c "$src" \
            -o "$obj/$(echo "${src%.c}" | tr / _).o"
    done
    ar rcs "$OUT/lib$name.a" "$obj"/*.o
    # shellcheck disable=SC2086
    "$CLANG" "${CFLAGS[@]}" -fsanitize=fuzzer,$SAN "fuzz/fuzz_$name.c" "$OUT/lib$name.a" $libs \
        -o "$OUT/fuzz_$name"
}

# run NAME SEED_DIRS...
run() {
    local name=$1; shift
    mkdir -p "fuzz/corpus-tmp/$name"
    echo "fuzz: $name for ${FUZZ_TIME}s"
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$OUT/fuzz_$name" -max_total_time="$FUZZ_TIME" -timeout=10 -max_len=4096 \
        -artifact_prefix="$OUT/" -print_final_stats=1 \
        "fuzz/corpus-tmp/$name" "$@" 2>"$OUT/fuzz_$name.log" || {
            tail -n 60 "$OUT/fuzz_$name.log"
            echo "fuzz: $name FAILED"
            return 1
        }
    grep -E '^(stat::number_of_executed_units|Done)' "$OUT/fuzz_$name.log" | sed "s/^/fuzz: $name: /"
}

mkdir -p "$OUT"
build frame "src/util src/proto" ""
build config "src/util src/config" "-lyaml"
build member_proto "src/util src/cluster" ""
build kvproto "src/util bench/loadgen/kvproto.c" ""
run frame fuzz/corpus/frame
run config test/config
run member_proto
run kvproto
echo "fuzz: all targets ran clean"
