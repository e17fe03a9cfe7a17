#!/usr/bin/env bash
# The test command (README, CI): installs what is missing, builds in ./build (Ninja,
# RelWithDebInfo), then runs every ctest tier once against a fresh pair of real Apache Kafka
# clusters started by tools/kafka/testbed.py (stopped and removed afterwards).
#
#   scripts/test.sh                       everything
#   scripts/test.sh -L unit               extra arguments go to ctest (--label-regex, -R, ...)
#
#   KMIRROR_BUILD_DIR=dir   build directory (default: build)
#   KMIRROR_SKIP_SETUP=1    do not run scripts/setup.sh (machine already set up)
#   KMIRROR_TEST_SOURCE_BOOTSTRAP=...  use your own clusters instead (tools/kafka/README.md)
#
# Exits non-zero if setup, the build, Kafka's start or any test fails.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${KMIRROR_BUILD_DIR:-build}

if [ "${KMIRROR_SKIP_SETUP:-0}" != 1 ]; then
  scripts/setup.sh
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build"
exec python3 tools/kafka/testbed.py exec -- \
  ctest --test-dir "$build" --output-on-failure -j1 "$@"
