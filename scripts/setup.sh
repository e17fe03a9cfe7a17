#!/usr/bin/env bash
# Installs everything kmirror needs to build, test and demo on Debian 12. Idempotent:
# a second run installs nothing and needs no network once the Maven jars are cached.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config
  librdkafka-dev nlohmann-json3-dev libcpp-httplib-dev libpcre2-dev libssl-dev
  libgtest-dev googletest
  openjdk-17-jre-headless maven openssl curl python3
  clang-format
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Apache Kafka jars for the test bed (and real MM2 for comparisons), cached under tools/kafka/lib.
"$here/tools/kafka/fetch-jars.sh"
