#!/usr/bin/env bash
# Browser image-delivery benchmark (NOT a test): starts teledx on loopback with the demo consortium and runs
# bench/render/browser.mjs (Chromium via playwright-core from tests/e2e/node_modules) on the ingest benchmark's CT.
# Environment: TELEDX_BIN or TELEDX_BUILD_DIR (build), DATASET (/var/tmp/teledx-ingest-bench/dataset),
# WEB_DIR (the front end to serve, default web/: another copy measures a before/after pair on one server),
# RUNS (1: each run a fresh server, upload and browser; with more, the medians and the load average are printed,
# since a shared machine makes single figures noisy), TIMELINE=1 and PROFILE=1 (see browser.mjs).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BIN=${TELEDX_BIN:-$root/${TELEDX_BUILD_DIR:-build}/server/teledx}
DATA=${DATASET:-/var/tmp/teledx-ingest-bench/dataset}
WEB=${WEB_DIR:-$root/web}
RUNS=${RUNS:-1}
[[ -x $BIN ]] || { echo "no teledx binary at $BIN" >&2; exit 1; }
[[ -d $DATA/ct ]] || { echo "no CT in $DATA: run bench/render/run.sh (or bench/ingest/run.sh) once" >&2; exit 1; }
[[ -d $root/tests/e2e/node_modules/playwright-core ]] || (cd "$root/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

one_run() {
  local HTTP DICOM WORK PID
  HTTP=$(port); DICOM=$(port); WORK=$(mktemp -d /var/tmp/teledx-render-browser.XXXXXX)
  "$BIN" --seed-demo --data-dir "$WORK" --http-address 127.0.0.1 --http-port "$HTTP" --dicom-port "$DICOM" \
    --study-stable-seconds 1 --web-dir "$WEB" > "$WORK/server.log" 2>&1 &
  PID=$!
  trap "kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf '$WORK'" EXIT
  for ((i = 0; i < 600; i++)); do curl -sf -o /dev/null "http://127.0.0.1:$HTTP/healthz" && break; sleep 0.1; done
  TELEDX_URL="http://127.0.0.1:$HTTP" node "$root/bench/render/browser.mjs" "$DATA/ct"
  kill $PID 2>/dev/null; wait $PID 2>/dev/null || true
  rm -rf "$WORK"
  trap - EXIT
}

if ((RUNS == 1)); then one_run; exit; fi
ALL=$(mktemp)
trap 'rm -f "$ALL"' EXIT
for ((r = 1; r <= RUNS; r++)); do
  echo "run $r/$RUNS, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  one_run | tee -a "$ALL"
done
python3 - "$ALL" "$RUNS" <<'PY'
import re, statistics, sys
figures = {}
for line in open(sys.argv[1]):
    m = re.match(r'browser (\w+) ([0-9.]+)(\s|$)', line)
    if m:
        figures.setdefault(m.group(1), []).append(float(m.group(2)))
for name, xs in figures.items():
    print(f"median of {sys.argv[2]}: {name} {statistics.median(xs):.1f} (runs: {', '.join(f'{x:g}' for x in xs)})")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
