#!/usr/bin/env bash
# Raw client-protocol tests (bad input at the wire).  Standard library + pytest.
set -euo pipefail
cd "$(dirname "$0")"
exec python3 -m pytest -q -p no:cacheprovider .
