#!/usr/bin/env bash
# One command: install what is missing, build everything and run every test suite (unit, integration
# against a real server process and the real DCMTK tools, and the browser end-to-end tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
export TCP_NODELAY=1
ctest --test-dir "${TELEDX_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
if [ -x tests/e2e/run.sh ]; then
  tests/e2e/run.sh
fi
echo "teledx: all tests passed"
