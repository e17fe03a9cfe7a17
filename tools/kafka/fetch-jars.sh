#!/usr/bin/env bash
# Copies the Kafka jars listed in pom.xml into tools/kafka/lib (once; later runs are offline no-ops).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stamp="$here/lib/.complete"
if [ -f "$stamp" ] && [ "$stamp" -nt "$here/pom.xml" ]; then
  exit 0
fi
echo "setup: fetching Apache Kafka jars from Maven Central into $here/lib"
rm -rf "$here/lib"
(cd "$here" && mvn -q -B dependency:copy-dependencies)
ls "$here"/lib/kafka_2.13-*.jar >/dev/null
touch "$stamp"
