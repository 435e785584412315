#!/usr/bin/env bash
# Installs, idempotently, every Debian 12 package that building, testing and the demo need.
# Runs as root, or through sudo otherwise. Safe to run again: apt-get skips what is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  clang-14 clang-format clang-tidy libclang-rt-14-dev lld
  libboost-dev libboost-system-dev
  libpaho-mqttpp-dev libpaho-mqtt-dev
  libopencv-dev opencv-data
  libavformat-dev libavcodec-dev libavdevice-dev libswscale-dev libavutil-dev libturbojpeg0-dev
  libprotobuf-dev protobuf-compiler
  libsodium-dev
  libgtest-dev libgmock-dev googletest
  libbenchmark-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libhowardhinnant-date-dev
  libsystemd-dev libgoogle-perftools-dev libseccomp-dev
  mosquitto mosquitto-clients openssl
  libxml2-utils
  libpq-dev postgresql postgresql-15-postgis-3
  chromium chromium-driver
  python3
  tzdata
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -q
as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
# The Debian mosquitto package enables a system broker; tests and the demo start their own.
# The postgresql package starts a cluster on port 5432; the PostgreSQL sink's test starts its own.
