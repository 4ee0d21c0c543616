#!/usr/bin/env bash
# One command: install what is missing, build, and start teledx on the embedded default (SQLite + files
# under ./var) with the demo consortium seeded. Extra arguments go to the server (see teledx --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh teledx
echo "teledx: starting; open http://localhost:${TELEDX_HTTP_PORT:-8080}/ (Ctrl-C stops it)"
exec build/server/teledx --data-dir var --http-port "${TELEDX_HTTP_PORT:-8080}" --seed-demo "$@"
