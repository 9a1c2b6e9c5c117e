#!/usr/bin/env bash
# Runs each unit-test binary given on the command line; fails if any fails
# (or cannot be run), after running all of them so one report shows every
# failure.
set -u

if [ $# -eq 0 ]; then
    echo "usage: $0 TEST_BINARY..." >&2
    exit 2
fi

failed=()
for t in "$@"; do
    echo "== $t"
    if ! "$t"; then
        failed+=("$t")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "run-unit: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "run-unit: all ${#} test binaries passed"
