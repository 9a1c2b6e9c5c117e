#!/usr/bin/env bash
# Builds the proto-layer fuzz target with libFuzzer + ASan + UBSan and runs it
# for a bounded time (FUZZ_TIME seconds, default 20).  Exits non-zero when the
# build fails or the fuzzer finds a crash, leak or sanitizer report.
#
# The committed seeds in fuzz/corpus/frame/ are only read; inputs the fuzzer
# discovers go to fuzz/corpus-tmp/frame/ (ignored by git) and crash
# reproducers to build/fuzz/.
set -euo pipefail

cd "$(dirname "$0")/.."

CLANG=${CLANG:-clang}
FUZZ_TIME=${FUZZ_TIME:-20}
OUT=build/fuzz
SAN=address,undefined
CFLAGS=(-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
        -fno-sanitize-recover=undefined -I include -I src)

mkdir -p "$OUT/obj" fuzz/corpus-tmp/frame
rm -f "$OUT/obj/"*.o "$OUT/libproto.a"

# The library goes into an archive so that only the objects the target
# needs are linked: other util files may depend on libraries we skip here.
mapfile -t srcs < <( (ls src/util/*.c; find src/proto -name '*.c') | sort)
for src in "${srcs[@]}"; do
    obj="$OUT/obj/$(echo "${src%.c}" | tr / _).o"
    "$CLANG" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link,$SAN -c "$src" -o "$obj"
done
ar rcs "$OUT/libproto.a" "$OUT"/obj/*.o
"$CLANG" "${CFLAGS[@]}" -fsanitize=fuzzer,$SAN fuzz/fuzz_frame.c "$OUT/libproto.a" \
    -o "$OUT/fuzz_frame"

UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
"$OUT/fuzz_frame" -max_total_time="$FUZZ_TIME" -timeout=10 -max_len=4096 \
    -artifact_prefix="$OUT/" -print_final_stats=1 \
    fuzz/corpus-tmp/frame fuzz/corpus/frame
