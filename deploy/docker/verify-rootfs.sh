#!/usr/bin/env bash
# Proves the runtime package list of deploy/docker/Dockerfile without a Docker engine:
#   1. debootstrap --variant=minbase bookworm (the userland debian:12-slim is made from);
#   2. installs exactly the Dockerfile's runtime packages (parsed from the Dockerfile) with
#      apt-get inside a chroot, cleaned as the Dockerfile does, and measures the size delta;
#   3. copies a stripped kmirror in, checks `ldd` finds every library and runs `kmirror --version`;
#   4. starts the test bed's two Kafka clusters (127.0.0.1, shared with the chroot) and runs a
#      short replication with `kmirror run` inside the chroot as uid 10001 (the image's user),
#      the config using ${ENV} interpolation as the image's config does.
#
#   deploy/docker/verify-rootfs.sh [KMIRROR_BINARY]     (root; needs debootstrap, network)
#
# KMIRROR_BINARY defaults to build/src/app/kmirror (scripts/build.sh). ROOTFS (default
# /tmp/kmirror-rootfs) is removed at the end unless KEEP_ROOTFS=1. Takes several minutes:
# not part of scripts/test.sh. It uses `kmirror run` (dedicated mode); switch to
# `kmirror worker` once that subcommand exists.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
binary=${1:-$root/build/src/app/kmirror}
rootfs=${ROOTFS:-/tmp/kmirror-rootfs}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
state=$(mktemp -d /tmp/kmirror-verify-rootfs.XXXXXX)
kmirror_pid=""

[ "$(id -u)" -eq 0 ] || { echo "verify-rootfs: run as root (debootstrap, chroot)" >&2; exit 2; }
[ -x "$binary" ] || { echo "verify-rootfs: no kmirror binary at $binary" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "verify-rootfs: apt-get install debootstrap" >&2; exit 2; }

cleanup() {
  if [ -n "$kmirror_pid" ] && kill -0 "$kmirror_pid" 2>/dev/null; then
    kill -TERM "$kmirror_pid" 2>/dev/null || true
    wait "$kmirror_pid" 2>/dev/null || true
  fi
  python3 "$root/tools/kafka/testbed.py" down --state-dir "$state/bed" >/dev/null 2>&1 || true
  for m in "$rootfs/dev" "$rootfs/proc"; do
    if mountpoint -q "$m"; then umount -l "$m" || true; fi
  done
  if [ "${KEEP_ROOTFS:-0}" != 1 ]; then rm -rf "$rootfs"; fi
  rm -rf "$state"
}
trap cleanup EXIT INT TERM

# The runtime stage's package list, straight from the Dockerfile.
# shellcheck disable=SC1003 # tr deletes the backslash of the continuation line
packages=$(sed -n '/^FROM .*-slim/,$p' "$root/deploy/docker/Dockerfile" |
  grep -A1 -- '--no-install-recommends' | tail -n1 | tr -d '\\' | xargs)
[ -n "$packages" ] || { echo "verify-rootfs: no runtime packages found in the Dockerfile" >&2; exit 1; }
echo "== runtime packages (Dockerfile): $packages"

rm -rf "$rootfs"
echo "== debootstrap --variant=minbase bookworm $rootfs"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$state/debootstrap.log" 2>&1 ||
  { tail -n 30 "$state/debootstrap.log" >&2; exit 1; }
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
before=$(du -sxk "$rootfs" | cut -f1)

mount -t proc proc "$rootfs/proc"
mount --bind /dev "$rootfs/dev"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
echo "== chroot apt-get install --no-install-recommends $packages"
# shellcheck disable=SC2086 # the package list is split on purpose
chroot "$rootfs" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends $packages >/dev/null && \
  rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/* /usr/share/doc/* /usr/share/man/*"
after=$(du -sxk "$rootfs" | cut -f1)

chroot "$rootfs" groupadd --system --gid 10001 kmirror
chroot "$rootfs" useradd --system --uid 10001 --gid kmirror --home-dir /nonexistent \
  --no-create-home --shell /usr/sbin/nologin kmirror
install -m 0755 "$binary" "$rootfs/usr/local/bin/kmirror"
strip --strip-unneeded "$rootfs/usr/local/bin/kmirror"
binary_kb=$(du -k "$rootfs/usr/local/bin/kmirror" | cut -f1)

echo "== ldd /usr/local/bin/kmirror (inside the rootfs)"
chroot "$rootfs" ldd /usr/local/bin/kmirror | tee "$state/ldd.txt"
if grep -q 'not found' "$state/ldd.txt"; then
  echo "verify-rootfs: FAIL: a shared library is missing from the runtime packages" >&2
  exit 1
fi
echo "== kmirror --version (inside the rootfs, uid 10001)"
chroot --userspec=10001:10001 "$rootfs" /usr/local/bin/kmirror --version

echo "== test bed up"
python3 "$root/tools/kafka/testbed.py" up --state-dir "$state/bed" >"$state/testbed.log" 2>&1 ||
  { tail -n 30 "$state/testbed.log" >&2; exit 1; }
# shellcheck disable=SC1091 # written by testbed.py up
source "$state/bed/env.sh"
lib="$KMIRROR_KAFKA_LIB"
java_tool() {
  java -Xmx256m -Dlog4j2.configurationFile="$root/tools/kafka/log4j2-quiet.properties" \
    -cp "$lib/*" "$@"
}
topic=RootfsCheck
java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KMIRROR_TEST_SOURCE_BOOTSTRAP" \
  --create --topic "$topic" --partitions 2 --replication-factor 1 >/dev/null
java_tool org.apache.kafka.tools.ProducerPerformance --topic "$topic" --num-records 2000 \
  --record-size 100 --throughput -1 \
  --producer-props bootstrap.servers="$KMIRROR_TEST_SOURCE_BOOTSTRAP" acks=all | tail -n1

mkdir -p "$rootfs/etc/kmirror"
cat >"$rootfs/etc/kmirror/mm2.properties" <<'PROPS'
clusters = source, target
source.bootstrap.servers = ${SOURCE_BROKERS}
target.bootstrap.servers = ${TARGET_BROKERS}
source->target.enabled = true
source->target.topics = ${TOPICS:-RootfsCheck}
replication.factor = 1
offset-syncs.topic.replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
refresh.topics.interval.seconds = 5
PROPS
echo "== kmirror run /etc/kmirror/mm2.properties (inside the rootfs, uid 10001)"
chroot --userspec=10001:10001 "$rootfs" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin \
  SOURCE_BROKERS="$KMIRROR_TEST_SOURCE_BOOTSTRAP" TARGET_BROKERS="$KMIRROR_TEST_TARGET_BOOTSTRAP" \
  /usr/local/bin/kmirror run /etc/kmirror/mm2.properties >"$state/kmirror.log" 2>&1 &
kmirror_pid=$!

end_offsets() { # bootstrap topic -> sum of end offsets
  java_tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$1" --topic "$2" --time -1 \
    2>/dev/null | awk -F: '{s += $3} END {print s + 0}'
}
want=$(end_offsets "$KMIRROR_TEST_SOURCE_BOOTSTRAP" "$topic")
deadline=$((SECONDS + 120))
got=0
while [ "$got" -lt "$want" ] && [ $SECONDS -lt $deadline ]; do
  sleep 3
  kill -0 "$kmirror_pid" 2>/dev/null || break
  got=$(end_offsets "$KMIRROR_TEST_TARGET_BOOTSTRAP" "source.$topic")
done
kill -TERM "$kmirror_pid" 2>/dev/null || true
wait "$kmirror_pid" || true
kmirror_pid=""
if [ "$got" -lt "$want" ]; then
  echo "verify-rootfs: FAIL: replicated $got of $want records; kmirror log:" >&2
  tail -n 40 "$state/kmirror.log" >&2
  exit 1
fi
echo "== replicated $got/$want records source.$topic inside the rootfs"

delta_kb=$((after - before))
echo "== size: minbase ${before} KiB, with runtime packages ${after} KiB:" \
  "packages add $((delta_kb / 1024)) MiB, kmirror binary $((binary_kb / 1024)) MiB"
echo "   image estimate: debian:12-slim (~75 MiB) + $(((delta_kb + binary_kb) / 1024)) MiB" \
  "= ~$((75 + (delta_kb + binary_kb) / 1024)) MiB (target <= 120 MB)"
echo "verify-rootfs: OK"
