#!/usr/bin/env bash
# Browser end-to-end tests: Debian's Chromium driven by playwright-core against the real teledx server.
# Starts the server built by scripts/test.sh (build/server/teledx) on free loopback ports with a temporary data
# directory and the demo consortium, runs the tests with node's test runner, and stops the server.
# Screenshots go to $TELEDX_E2E_SHOTS (default: a new temporary directory, printed at the end).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${TELEDX_BIN:-$ROOT/${TELEDX_BUILD_DIR:-build}/server/teledx}"

if [ ! -x "$BIN" ]; then
  echo "e2e: server binary $BIN not found; build it first (scripts/build.sh)" >&2
  exit 1
fi
apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null; }
}
if [ ! -x /usr/bin/chromium ]; then
  echo "e2e: installing chromium"
  apt_install chromium
fi
# Chinese text in screenshots needs a CJK font (the app itself falls back to any font).
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then apt_install fonts-wqy-microhei || true; fi
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
  (cd "$HERE" && { npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error; })
fi

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
HTTP_PORT="$(free_port)"
DICOM_PORT="$(free_port)"
DATA="$(mktemp -d /tmp/teledx-e2e-data.XXXXXX)"
SHOTS="${TELEDX_E2E_SHOTS:-$(mktemp -d /tmp/teledx-e2e-shots.XXXXXX)}"
mkdir -p "$SHOTS"
LOG="$DATA/server.log"

"$BIN" --seed-demo --data-dir "$DATA" --http-address 127.0.0.1 --http-port "$HTTP_PORT" --dicom-port "$DICOM_PORT" \
  --study-stable-seconds 1 --web-dir "$ROOT/web" >"$LOG" 2>&1 &
SERVER_PID=$!
stop_server() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_server
  if [ $rc -ne 0 ]; then
    echo "e2e: FAILED; last server log lines:" >&2
    tail -n 40 "$LOG" >&2 || true
  fi
  rm -rf "$DATA"
  echo "e2e: screenshots in $SHOTS"
  exit $rc
}
trap cleanup EXIT INT TERM

URL="http://127.0.0.1:$HTTP_PORT"
for _ in $(seq 1 100); do
  if curl -fsS "$URL/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "e2e: the server exited at start" >&2; exit 1; fi
  sleep 0.1
done
curl -fsS "$URL/healthz" >/dev/null

export TELEDX_URL="$URL" TELEDX_E2E_SHOTS="$SHOTS" TELEDX_SERVER_LOG="$LOG"
cd "$HERE"
node --test --test-concurrency=1 --test-reporter=spec "${@:-tests/}"
