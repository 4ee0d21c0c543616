#!/usr/bin/env bash
# Browser image-delivery benchmark (NOT a test): starts teledx on loopback with the demo consortium and runs
# bench/render/browser.mjs (Chromium via playwright-core from tests/e2e/node_modules) on the ingest benchmark's CT.
# Environment: TELEDX_BIN or TELEDX_BUILD_DIR (build), DATASET (/var/tmp/teledx-ingest-bench/dataset).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BIN=${TELEDX_BIN:-$root/${TELEDX_BUILD_DIR:-build}/server/teledx}
DATA=${DATASET:-/var/tmp/teledx-ingest-bench/dataset}
[[ -x $BIN ]] || { echo "no teledx binary at $BIN" >&2; exit 1; }
[[ -d $DATA/ct ]] || { echo "no CT in $DATA: run bench/render/run.sh (or bench/ingest/run.sh) once" >&2; exit 1; }
[[ -d $root/tests/e2e/node_modules/playwright-core ]] || (cd "$root/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HTTP=$(port); DICOM=$(port); WORK=$(mktemp -d /var/tmp/teledx-render-browser.XXXXXX)
"$BIN" --seed-demo --data-dir "$WORK" --http-address 127.0.0.1 --http-port "$HTTP" --dicom-port "$DICOM" \
  --study-stable-seconds 1 --web-dir "$root/web" > "$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for ((i = 0; i < 600; i++)); do curl -sf -o /dev/null "http://127.0.0.1:$HTTP/healthz" && break; sleep 0.1; done
TELEDX_URL="http://127.0.0.1:$HTTP" node "$root/bench/render/browser.mjs" "$DATA/ct"
