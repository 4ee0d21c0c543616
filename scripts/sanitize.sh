#!/usr/bin/env bash
# Builds the test programs with clang, AddressSanitizer and UBSan into build-asan and runs them; the server and agent
# tests start the sanitized server. Not part of scripts/test.sh: a clean build takes most of an hour on two cores.
# Usage: scripts/sanitize.sh [MODULE...]   (modules: core dicom ecg worklist server; default all of them)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${TELEDX_ASAN_BUILD_DIR:-build-asan}
MODULES=("$@")
[ ${#MODULES[@]} -gt 0 ] || MODULES=(core dicom ecg worklist server)
command -v clang++ >/dev/null || apt-get install -y --no-install-recommends clang >/dev/null
# The ECG reader tests replace operator new with malloc to watch allocation sizes, which makes every delete in DCMTK
# a "mismatch" to ASan; leaks are not checked (the server's process-lifetime singletons).
export ASAN_OPTIONS=${ASAN_OPTIONS:-alloc_dealloc_mismatch=0:detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export TELEDX_ECG_DATA=${TELEDX_ECG_DATA:-$PWD/../shared/data/ecg}
if [ ! -f "$B/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
fi
ninja -C "$B" "${MODULES[@]/%/_tests}" 2>&1 | tail -1
for m in "${MODULES[@]}"; do
  echo "sanitize: ${m}_tests"
  "$B/tests/${m}_tests"
done
echo "sanitize: no sanitizer report, every test passed"
