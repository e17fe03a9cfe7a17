#!/usr/bin/env bash
# Installs everything kmirror needs to build, test and demo on Debian 12. Idempotent:
# a second run installs nothing and needs no network once the Maven jars are cached.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config
  librdkafka-dev nlohmann-json3-dev libcpp-httplib-dev libpcre2-dev libssl-dev
  libgtest-dev googletest
  openjdk-17-jdk-headless maven openssl curl python3 python3-venv
  clang-format
  prometheus shellcheck debootstrap
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

# AWS's own MSK IAM signer: tests/unit/msk_iam_test.cpp checks our token against it byte for byte.
signer_venv="$here/tools/msk-signer-venv"
if ! "$signer_venv/bin/python" -c 'import aws_msk_iam_sasl_signer' 2>/dev/null; then
  echo "setup: installing aws-msk-iam-sasl-signer-python into $signer_venv"
  python3 -m venv "$signer_venv"
  "$signer_venv/bin/pip" install -q 'aws-msk-iam-sasl-signer-python==1.0.2'
fi
