#!/usr/bin/env bash
# Makes the seeds of the dicom_file fuzz target in dicom_file/ with DCMTK's own tools: 16x16 images, 8-bit
# MONOCHROME2, 16-bit signed two-frame with rescale and window, RGB; the 16-bit one also JPEG lossless and RLE, the
# RGB one JPEG baseline and RLE, the 8-bit one JPEG-LS. Pixel values are LUDB record 3's first bytes. The first byte
# of each seed is the viewer's request (tests/fuzz/dicom_fuzz_targets.hpp). Run from the repository's root.
set -euo pipefail
out=tests/data/dicom/fuzz/dicom_file
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
head -c 256 tests/data/ecg/ludb/3.dat >"$tmp/p8.raw"
head -c 1024 tests/data/ecg/ludb/3.dat >"$tmp/p16.raw"
head -c 768 tests/data/ecg/ludb/3.dat >"$tmp/rgb.raw"
image() {  # image NAME UID_SUFFIX SAMPLES PHOTOMETRIC BITS STORED SIGNED FRAMES VR RAW [EXTRA_LINES]
  printf '%s\n' "(0002,0010) UI =LittleEndianExplicit" "(0008,0016) UI =SecondaryCaptureImageStorage" \
    "(0008,0018) UI [1.2.826.0.1.3680043.2.1125.9.1.$2]" "(0008,0060) CS [OT]" "(0010,0010) PN [FUZZ^SEED]" \
    "(0010,0020) LO [F1]" "(0020,000d) UI [1.2.826.0.1.3680043.2.1125.9.2]" \
    "(0020,000e) UI [1.2.826.0.1.3680043.2.1125.9.3]" "(0028,0002) US $3" "(0028,0004) CS [$4]" \
    "(0028,0008) IS [$8]" "(0028,0010) US 16" "(0028,0011) US 16" "(0028,0100) US $5" "(0028,0101) US $6" \
    "(0028,0102) US $(($6 - 1))" "(0028,0103) US $7" "${11:-(0028,0006) US 0}" "(7fe0,0010) $9 =$tmp/${10}" >"$tmp/$1.txt"
  dump2dcm -q "$tmp/$1.txt" "$tmp/$1.dcm"
}
image m8 1 1 MONOCHROME2 8 8 0 1 OB p8.raw
image m16 2 1 MONOCHROME2 16 12 1 2 OW p16.raw $'(0028,1052) DS [-1024]\n(0028,1053) DS [1]\n(0028,1050) DS [40]\n(0028,1051) DS [400]'
image rgb 3 3 RGB 8 8 0 1 OB rgb.raw
dcmcjpeg "$tmp/m16.dcm" "$tmp/m16-jpeg-lossless.dcm"
dcmcjpeg +eb "$tmp/rgb.dcm" "$tmp/rgb-jpeg-baseline.dcm"
dcmcrle "$tmp/m16.dcm" "$tmp/m16-rle.dcm"
dcmcrle "$tmp/rgb.dcm" "$tmp/rgb-rle.dcm"
dcmcjpls "$tmp/m8.dcm" "$tmp/m8-jpeg-ls.dcm"
# Request bytes: JPEG / PNG, with and without a viewport and a window, frames 1 and 2.
n=0
for f in "$tmp"/*.dcm; do
  { printf "\\$(printf '%03o' $(( (n * 5) % 32 )))"; cat "$f"; } >"$out/seed-$(basename "$f" .dcm)"
  n=$((n + 1))
done
