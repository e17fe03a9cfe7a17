#!/usr/bin/env bash
# Copies the Kafka jars listed in pom.xml into tools/kafka/lib, and those of pom-3.9.xml (Apache
# Kafka 3.9.x, for testbed.py --kafka-3.9) into tools/kafka/lib-3.9 (once each; later runs are
# offline no-ops).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fetch() { # pom lib-dir
  local pom=$1 lib=$2 stamp="$here/$2/.complete"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$here/$pom" ]; then
    return 0
  fi
  echo "setup: fetching Apache Kafka jars ($pom) from Maven Central into $here/$lib"
  rm -rf "${here:?}/$lib"
  (cd "$here" && mvn -q -B -f "$pom" dependency:copy-dependencies)
  ls "$here/$lib"/kafka_2.13-*.jar >/dev/null
  touch "$stamp"
}
fetch pom.xml lib
fetch pom-3.9.xml lib-3.9
