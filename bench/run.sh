#!/usr/bin/env bash
# kmirror vs Apache Kafka MirrorMaker 2 on the same brokers. Not part of the test suite.
#
#   bench/run.sh [--records N] [--record-size B] [--partitions P] [--compression none|lz4|zstd]
#                [--rate-mbps R] [--steady-seconds S] [--skip-mm2] [--skip-kmirror] [--quick]
#                [--build-dir DIR] [--build] [--log-dirs DIR]
#
# Needs what scripts/setup.sh installs (Kafka jars in tools/kafka/lib, Java, librdkafka) and
# builds kmirror + bench/kmirror-loadgen into build/ if they are missing. Results: printed, and
# saved under bench/results/. See docs/benchmarks.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec python3 "$here/bench.py" "$@"
