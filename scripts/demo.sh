#!/usr/bin/env bash
# The main job on a local default: two local Kafka clusters, demo data on the source,
# kmirror replicating it to the target, and a look at what arrived. Cleans up after itself.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

"$root/scripts/setup.sh"
"$root/scripts/build.sh"

state="$root/run/demo"
rm -rf "$state"
mkdir -p "$state"
kmirror_pid=""
cleanup() {
  if [ -n "$kmirror_pid" ] && kill -0 "$kmirror_pid" 2>/dev/null; then
    kill -TERM "$kmirror_pid" 2>/dev/null || true
    wait "$kmirror_pid" 2>/dev/null || true
  fi
  python3 "$root/tools/kafka/testbed.py" down --state-dir "$state/bed" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

echo "== starting two local Kafka clusters (source, target)"
python3 "$root/tools/kafka/testbed.py" up --state-dir "$state/bed"
# shellcheck disable=SC1091
source "$state/bed/env.sh"
lib="$KMIRROR_KAFKA_LIB"
java_tool() { java -Xmx256m -Dlog4j2.configurationFile="$root/tools/kafka/log4j2-quiet.properties" -cp "$lib/*" "$@"; }

echo "== creating demo topics on the source and producing 30,000 records"
for t in ExampleTopicOrders ExampleTopicPayments; do
  java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KMIRROR_TEST_SOURCE_BOOTSTRAP" \
    --create --topic "$t" --partitions 3 --replication-factor 1 --config retention.ms=604800000
  java_tool org.apache.kafka.tools.ProducerPerformance --topic "$t" --num-records 15000 \
    --record-size 200 --throughput -1 --producer-props bootstrap.servers="$KMIRROR_TEST_SOURCE_BOOTSTRAP" \
    acks=all | tail -1
done

cat > "$state/mm2.properties" <<PROPS
# Same format as connect-mirror-maker.sh
clusters = source, target
source.bootstrap.servers = $KMIRROR_TEST_SOURCE_BOOTSTRAP
target.bootstrap.servers = $KMIRROR_TEST_TARGET_BOOTSTRAP
source->target.enabled = true
source->target.topics = ^ExampleTopic[\\\\w]*
# keep topic names, as the seed's CustomMM2ReplicationPolicy does
replication.policy.class = com.amazonaws.kafka.samples.CustomMM2ReplicationPolicy
replication.factor = 1
offset-syncs.topic.replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
refresh.topics.interval.seconds = 10
PROPS
echo "== kmirror run $state/mm2.properties"
cat "$state/mm2.properties"
"$root/build/src/app/kmirror" run "$state/mm2.properties" >"$state/kmirror.log" 2>&1 &
kmirror_pid=$!

end_offsets() { # bootstrap topic -> sum of end offsets
  java_tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$1" --topic "$2" --time -1 2>/dev/null |
    awk -F: '{s += $3} END {print s + 0}'
}
deadline=$((SECONDS + 120))
for t in ExampleTopicOrders ExampleTopicPayments; do
  want=$(end_offsets "$KMIRROR_TEST_SOURCE_BOOTSTRAP" "$t")
  while :; do
    got=$(end_offsets "$KMIRROR_TEST_TARGET_BOOTSTRAP" "$t")
    [ "$got" = "$want" ] && break
    if [ $SECONDS -gt $deadline ] || ! kill -0 "$kmirror_pid" 2>/dev/null; then
      echo "replication did not complete: $t has $got of $want records on the target" >&2
      cat "$state/kmirror.log" >&2
      exit 1
    fi
    sleep 2
  done
  echo "== $t: source $want records, target $got records"
done
echo "== kmirror log (first lines)"
head -20 "$state/kmirror.log"
echo "== target topics"
java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KMIRROR_TEST_TARGET_BOOTSTRAP" --describe --topic 'ExampleTopic.*' | grep -v '^\s*Topic:.*Partition:' || true
echo "== stopping kmirror (SIGTERM)"
kill -TERM "$kmirror_pid"
wait "$kmirror_pid"
kmirror_pid=""
echo "== kmirror verify: did every record arrive, in order?"
"$root/build/src/app/kmirror" verify "$state/mm2.properties" --topics 'ExampleTopic.*'

echo "== a consumer group at 2000 of each ExampleTopicOrders partition on the source"
java_tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
  --bootstrap-server "$KMIRROR_TEST_SOURCE_BOOTSTRAP" --group demo-orders-app \
  --topic ExampleTopicOrders --reset-offsets --to-offset 2000 --execute >/dev/null
echo "== kmirror cutover --group demo-orders-app --commit"
"$root/build/src/app/kmirror" cutover "$state/mm2.properties" --group demo-orders-app --commit
echo "== the group on the target"
java_tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
  --bootstrap-server "$KMIRROR_TEST_TARGET_BOOTSTRAP" --group demo-orders-app --describe 2>/dev/null |
  awk 'NF >= 4 {print $1, $2, $3, $4}'
echo "== demo complete: every record replicated and verified, the group moved"
