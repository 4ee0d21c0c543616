#!/usr/bin/env bash
# QRS detection benchmark (not a timed test): runs bench/ecg_qrs_eval over the MIT-BIH development records and
# scores the detections with the EC57 reference scorer (150 ms window, first 5 minutes excluded), then scores
# ventricular-beat typing and false AF statements against the same records' .atr labels.
# Usage: bench/ecg_qrs_eval.sh [BUILD_DIR] [DATA_DIR]   (defaults: build-ecg, ../shared/data/ecg)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-ecg}"
data="${2:-${TELEDX_ECG_DATA:-$root/../shared/data/ecg}}"
scorer="$root/../shared/tools/qrs_score.py"
[[ -x "$build/bench/ecg_qrs_eval" ]] || { echo "build first: ninja -C $build ecg_qrs_eval" >&2; exit 2; }
[[ -d "$data/mitdb" && -f "$scorer" ]] || { echo "skipped: $data/mitdb or $scorer not present" >&2; exit 0; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "== QRS detection, MIT-BIH dev records (all leads, best lead chosen per record)"
"$build/bench/ecg_qrs_eval" qrs "$data/mitdb" "$out/qrs"
python3 "$scorer" --ref-dir "$data/mitdb" --test-dir "$out/qrs" --test-ext txt --json "$out/score.json"
echo
echo "== Beat typing, MIT-BIH dev records (V Se/+P against the .atr labels, false AF; 10-s windows and whole records)"
"$build/bench/ecg_qrs_eval" beats "$data/mitdb"
if [[ -d "$data/qtdb" || -d "$data/ludb" ]]; then
  echo
  echo "== Delineation and measurements (QTDB q1c, LUDB per-lead annotations)"
  "$build/bench/ecg_qrs_eval" delineation "$data" || true
fi
