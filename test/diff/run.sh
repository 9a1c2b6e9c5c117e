#!/usr/bin/env bash
# Differential test: one client scenario against a real Hazelcast 5.7 member
# and against memgrid, transcripts compared line by line. The code lives in
# test/go/diff (scenario program: test/go/diff/scenario; Hazelcast's recorded
# transcript: test/go/diff/testdata/hazelcast-5.7.golden).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec env MEMGRID_TARGET=memgrid "$here/../go/run.sh" ./diff/ "$@"
