#!/usr/bin/env bash
# ECG evaluation over the development data (not a timed test): `teledx-ecg eval` scores QRS detection per EC57 with
# its own scorer, cross-checked here against the reference scorer ../shared/tools/qrs_score.py on the same
# detections; then beat typing and AF statements (MIT-BIH .atr), delineation (QTDB, LUDB), rhythm (LUDB) and the
# detector and flags under synthetic noise (MIT-BIH, LUDB).
# Usage: bench/ecg_qrs_eval.sh [BUILD_DIR] [DATA_DIR]   (defaults: build-ecg, ../shared/data/ecg)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-ecg}"
data="${2:-${TELEDX_ECG_DATA:-$root/../shared/data/ecg}}"
scorer="$root/../shared/tools/qrs_score.py"
tool="$build/ecg/teledx-ecg"
[[ -x "$tool" ]] || { echo "build first: ninja -C $build teledx-ecg" >&2; exit 2; }
[[ -d "$data/mitdb" ]] || { echo "skipped: $data/mitdb not present" >&2; exit 0; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$tool" eval qrs "$data/mitdb" --out "$out/qrs" | tee "$out/ours.txt"
if [[ -f "$scorer" ]]; then
  # The records teledx-ecg scored (a split's RECORDS may list records that are not in the folder).
  mapfile -t scored < <(cd "$out/qrs" && ls -- *.txt | sed 's/\.txt$//' | sort -V)
  python3 "$scorer" --ref-dir "$data/mitdb" --test-dir "$out/qrs" --test-ext txt --records "${scored[@]}" > "$out/ref.txt"
  # Per-record TP FN FP of both scorers, side by side: they must agree to the beat.
  ours="$(awk '$1 ~ /^[0-9]+$/ || $1 == "Gross" {print $1, $3, $4, $5}' "$out/ours.txt" | sort)"
  theirs="$(awk '$1 ~ /^[0-9]+$/ || $1 == "Gross" {print $1, $3, $4, $5}' "$out/ref.txt" | sort)"
  if [[ "$ours" == "$theirs" ]]; then echo "cross-check: qrs_score.py gives the same TP/FN/FP for every record"
  else echo "cross-check FAILED: qrs_score.py disagrees"; diff <(echo "$ours") <(echo "$theirs") || true; exit 1; fi
fi
echo
"$tool" eval beats "$data/mitdb"
if [[ -d "$data/qtdb" || -d "$data/ludb" ]]; then
  echo
  "$tool" eval delineation "$data"
fi
if [[ -d "$data/ludb" ]]; then
  echo
  "$tool" eval rhythm "$data"
fi
# Detection and flags under synthetic noise (about a minute for MIT-BIH's ten records, seconds for LUDB's 51).
echo
"$tool" eval noise "$data/mitdb"
if [[ -d "$data/ludb" ]]; then
  echo
  "$tool" eval noise "$data/ludb"
fi
