#!/usr/bin/env bash
# Installs the Debian packages teledx builds and tests with; a no-op when all are present.
set -euo pipefail
PKGS=(build-essential cmake pkg-config ninja-build
  libboost-dev libboost-program-options-dev libssl-dev libsqlite3-dev sqlite3 nlohmann-json3-dev libsodium-dev
  libdcmtk-dev dcmtk zlib1g-dev libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-dev
  libwebsockets-dev libxml2-dev catch2 libzip-dev zip unzip curl python3 libcairo2-dev libpango1.0-dev fonts-noto-cjk poppler-utils)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "teledx: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
