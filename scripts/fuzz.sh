#!/usr/bin/env bash
# Fuzzes the ECG readers and analysis, the DICOM ingest check and renderer, and the STOW multipart splitter
# (tests/fuzz) with libFuzzer under AddressSanitizer and UBSan, for a bounded time per target.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET (default 120)] [TARGET...]
# Targets: ecg_file (every upload format), wfdb_record (a .hea with its .dat), ecg_signal (analyze() on raw signals),
# dicom_file (the ingest check on a Part 10 file, then its frames, bulk data and rendered image), stow_multipart (a
# STOW-RS body split whole and in pieces).
# Builds into build-fuzz (clang); corpora grow in build-fuzz/corpus/<target>, crashes land in build-fuzz/crashes.
# A crash found here gets its fix and, where its bytes may be committed (tests/data/<module>/README.md), a copy in
# tests/data/<module>/fuzz/<target>/ (module ecg, dicom or server), which that module's ordinary tests replay.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-120}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(ecg_file wfdb_record ecg_signal dicom_file stow_multipart)
B=${TELEDX_FUZZ_BUILD_DIR:-build-fuzz}
if ! command -v clang++ >/dev/null || [ ! -e "$(clang++ -print-runtime-dir)/libclang_rt.fuzzer-x86_64.a" ]; then
  apt-get install -y --no-install-recommends clang libclang-rt-dev >/dev/null
fi
if [ ! -f "$B/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTELEDX_BUILD_TESTS=OFF \
    -DTELEDX_FUZZ=ON \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
fi
ninja -C "$B" "${TARGETS[@]/#/fuzz_}"

# Seeds: the committed samples and regression inputs, the shared development formats when present, a first byte
# choosing the upload's file name for ecg_file (0 .xml, 1 .scp, 2 .dcm, 3 .csv, 4 .ECG; plus 128: also store,
# analyse and draw what was read; ecg_fuzz_targets.cpp).
SHARED=${TELEDX_ECG_DATA:-../shared/data/ecg}
seed() {  # seed TARGET NAME FIRST_BYTE_OCTAL FILE [BYTES]
  local dir="$B/corpus/$1"
  mkdir -p "$dir"
  [ -e "$4" ] || return 0
  { [ -z "$3" ] || printf "\\$3"; if [ -n "${5:-}" ]; then head -c "$5" "$4"; else cat "$4"; fi; } >"$dir/seed-$2"
}
seed ecg_file aecg 000 tests/data/ecg/Example_aECG.xml
seed ecg_file aecg-min 000 tests/data/ecg/minimum_aecg.xml
seed ecg_file philips 000 tests/data/ecg/philips_129DYPRG.xml
seed ecg_file dicom 002 tests/data/ecg/waveform_ecg.dcm
seed ecg_file scp 001 "$SHARED/formats/scp-ecg/Example.scp"
seed ecg_file muse 000 "$SHARED/formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml"
seed ecg_file contec 004 "$SHARED/formats/contec/0000037.ECG"
seed ecg_file scp-deep 201 "$SHARED/formats/scp-ecg/Example.scp"
seed ecg_file philips-deep 200 tests/data/ecg/philips_129DYPRG.xml
seed ecg_file dicom-deep 202 tests/data/ecg/waveform_ecg.dcm
seed ecg_file contec-deep 204 "$SHARED/formats/contec/0000037.ECG"
printf '\203# sample_rate=500\nI,II,V1\n10,20,-5\n40,80,-20\n200,400,-100\n30,60,-10\n0,0,0\n' >"$B/corpus/ecg_file/seed-csv"
# WFDB: header, a zero byte, the signal file's first 2 s (format 16 at 500 Hz, 12 leads; 212 at 360 Hz, 2 leads).
seed wfdb_record ludb3 "" <(cat tests/data/ecg/ludb/3.hea; printf '\000'; head -c 48000 tests/data/ecg/ludb/3.dat)
seed wfdb_record ludb3-deep "" <(printf '# deep\n'; cat tests/data/ecg/ludb/3.hea; printf '\000'; head -c 48000 tests/data/ecg/ludb/3.dat)
seed wfdb_record mit100 "" <(cat "$SHARED/mitdb/100.hea" 2>/dev/null && printf '\000' && head -c 2160 "$SHARED/mitdb/100.dat")
# ecg_signal: 12 leads (byte 11), 500 Hz (9), 1 uV per unit (1), then LUDB 3's samples.
seed ecg_signal ludb3 "" <(printf '\013\011\001'; head -c 24000 tests/data/ecg/ludb/3.dat)
# dicom_file: the committed seeds (tests/data/dicom/fuzz: small images in each transfer syntax the renderer decodes)
# and the ECG waveform sample (no pixel data); stow_multipart: tests/data/server/fuzz.
seed dicom_file ecg-waveform 000 tests/data/ecg/waveform_ecg.dcm
for t in "${TARGETS[@]}"; do
  for d in ecg dicom server; do
    [ -d "tests/data/$d/fuzz/$t" ] && mkdir -p "$B/corpus/$t" && cp -n tests/data/$d/fuzz/$t/* "$B/corpus/$t/" 2>/dev/null || true
  done
done

mkdir -p "$B/crashes"
status=0
for t in "${TARGETS[@]}"; do
  # Inputs as long as the seeds: whole sample files; 2 s of 12 leads for the raw-signal analysis (slow under ASan).
  case $t in ecg_signal) max_len=40000 ;; wfdb_record | stow_multipart) max_len=100000 ;; *) max_len=600000 ;; esac
  echo "fuzz: $t for ${SECONDS_PER_TARGET} s (corpus $B/corpus/$t)"
  if ! "$B/tests/fuzz/fuzz_$t" "$B/corpus/$t" -max_total_time="$SECONDS_PER_TARGET" -max_len=$max_len -rss_limit_mb=4096 \
      -timeout=20 -artifact_prefix="$B/crashes/$t-" -print_final_stats=1 2>"$B/fuzz-$t.log"; then
    echo "fuzz: $t FAILED: see $B/fuzz-$t.log and $B/crashes/"
    grep -E "ERROR|fuzz:|SUMMARY" "$B/fuzz-$t.log" | head -5
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$B/fuzz-$t.log" | tail -2
  fi
done
exit $status
