#!/usr/bin/env bash
# Proves the runtime stage of deploy/docker/Dockerfile without a Docker engine:
#   1. debootstrap --variant=minbase bookworm (the userland debian:12-slim is made from), with
#      the slim image's dpkg path excludes and apt cache settings, so that the size measured
#      below is the size the Dockerfile's runtime layer adds;
#   2. installs exactly the Dockerfile's runtime packages (parsed from the Dockerfile) with
#      apt-get inside a chroot, cleaned as the Dockerfile does, and measures the size delta;
#   3. copies a stripped kmirror in, checks `ldd` finds every library and runs `kmirror --version`;
#   4. starts the test bed's two Kafka clusters (127.0.0.1, shared with the chroot) and runs the
#      image's command inside the chroot as uid 10001 (the image's user): `kmirror worker` with
#      the image's own worker file (deploy/docker/connect-distributed.properties, configured by
#      environment variables only, as ECS and compose do), then PUTs the compose stack's
#      connector JSONs (brokers rewritten to the test bed) with deploy/scripts/apply-connectors.sh,
#      waits for the records on the target and for the seed dashboard's series on /metrics.
#
#   deploy/docker/verify-rootfs.sh [KMIRROR_BINARY]     (root; needs debootstrap, network)
#
# KMIRROR_BINARY defaults to build/src/app/kmirror (scripts/build.sh). ROOTFS (default
# /tmp/kmirror-rootfs) is removed at the end unless KEEP_ROOTFS=1. Takes several minutes:
# not part of scripts/test.sh.
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

# Every mount under the rootfs, deepest first, however often stacked: debootstrap can leave its
# own /proc mount behind, and an `rm -rf` through a bind-mounted /dev would delete the host's.
unmount_all() {
  local m
  while m=$(awk -v r="$rootfs" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts |
    sort -r | head -n1) && [ -n "$m" ]; do
    umount "$m" 2>/dev/null || umount -l "$m" || return 1
  done
}
# --one-file-system: never descend into anything still mounted, whatever happened before.
remove_rootfs() {
  unmount_all || { echo "verify-rootfs: cannot unmount under $rootfs; not removing it" >&2; return 1; }
  rm -rf --one-file-system "$rootfs"
}

cleanup() {
  if [ -n "$kmirror_pid" ] && kill -0 "$kmirror_pid" 2>/dev/null; then
    kill -TERM "$kmirror_pid" 2>/dev/null || true
    wait "$kmirror_pid" 2>/dev/null || true
  fi
  python3 "$root/tools/kafka/testbed.py" down --state-dir "$state/bed" >/dev/null 2>&1 || true
  if [ "${KEEP_ROOTFS:-0}" = 1 ]; then unmount_all || true; else remove_rootfs || true; fi
  rm -rf "$state"
}
trap cleanup EXIT INT TERM

# The runtime stage's package list, straight from the Dockerfile.
# shellcheck disable=SC1003 # tr deletes the backslash of the continuation line
packages=$(sed -n '/^FROM .*-slim/,$p' "$root/deploy/docker/Dockerfile" |
  grep -A1 -- '--no-install-recommends' | tail -n1 | tr -d '\\' | xargs)
[ -n "$packages" ] || { echo "verify-rootfs: no runtime packages found in the Dockerfile" >&2; exit 1; }
echo "== runtime packages (Dockerfile): $packages"

remove_rootfs
echo "== debootstrap --variant=minbase bookworm $rootfs"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$state/debootstrap.log" 2>&1 ||
  { tail -n 30 "$state/debootstrap.log" >&2; exit 1; }
unmount_all # anything debootstrap left mounted
# What debian:12-slim carries (debuerreotype --slimify and the image's docker-clean): dpkg does
# not unpack docs, man pages and translations, and apt keeps no package caches. Without these
# settings this script reported 72 MiB instead of 11.5 MiB, counting apt's /var/cache/apt/*.bin
# caches that the image never has.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
DPKG
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/*
# debian:12-slim has no docs, man pages or translations even for its base packages; the
# Dockerfile's rm below would otherwise delete minbase's and make the delta look smaller.
rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/usr/share/locale/*
installed() { # sorted package names in the rootfs
  # shellcheck disable=SC2016 # ${Package} is dpkg-query's format, not the shell's
  chroot "$rootfs" dpkg-query -W -f '${Package}\n' | sort
}
before=$(du -sxk "$rootfs" | cut -f1)
installed >"$state/pkgs-before.txt"

mount -t proc proc "$rootfs/proc"
mount --bind /dev "$rootfs/dev"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
echo "== chroot apt-get install --no-install-recommends $packages"
# Dpkg::Use-Pty=0: the chroot has no /dev/pts (only /dev is bound, not the host's pts).
# shellcheck disable=SC2086 # the package list is split on purpose
chroot "$rootfs" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends $packages >/dev/null && \
  rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/* /usr/share/doc/* /usr/share/man/*"
after=$(du -sxk "$rootfs" | cut -f1)
installed >"$state/pkgs-after.txt"
added=$(comm -13 "$state/pkgs-before.txt" "$state/pkgs-after.txt" | xargs)
# shellcheck disable=SC2016,SC2086 # dpkg-query's format; one argument per package
added_kb=$(chroot "$rootfs" dpkg-query -W -f '${Installed-Size}\n' $added |
  awk '{s += $1} END {print s + 0}')
echo "== packages added (with dependencies): $added"
echo "   their Installed-Size (docs included): ${added_kb} KiB"

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

delta_kb=$((after - before))
echo "== size: minbase (slim settings) ${before} KiB, with runtime packages ${after} KiB:" \
  "packages add ${delta_kb} KiB (~$((delta_kb / 1024)) MiB), kmirror binary ${binary_kb} KiB"
echo "   image estimate: debian:12-slim (~75 MiB) + $(((delta_kb + binary_kb) / 1024)) MiB" \
  "= ~$((75 + (delta_kb + binary_kb) / 1024)) MiB (target <= 120 MB)"

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

# The image's worker file, as the Dockerfile copies it.
install -D -m 0644 "$root/deploy/docker/connect-distributed.properties" \
  "$rootfs/etc/kmirror/connect-distributed.properties"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
echo "== kmirror worker /etc/kmirror/connect-distributed.properties" \
  "(inside the rootfs, uid 10001, port $port)"
# Environment only, as the ECS task definition and the compose file configure the image.
chroot --userspec=10001:10001 "$rootfs" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin \
  TMPDIR=/tmp BROKERS="$KMIRROR_TEST_TARGET_BOOTSTRAP" GROUP="kmirror-rootfs-$$" \
  REPLICATION_FACTOR=1 SECURITY_PROTOCOL=PLAINTEXT KMIRROR_PORT="$port" \
  /usr/local/bin/kmirror worker /etc/kmirror/connect-distributed.properties \
  >"$state/kmirror.log" 2>&1 &
kmirror_pid=$!

fail() {
  echo "verify-rootfs: FAIL: $*; kmirror log:" >&2
  tail -n 40 "$state/kmirror.log" >&2
  exit 1
}
deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null "$url/health" 2>/dev/null; do
  kill -0 "$kmirror_pid" 2>/dev/null || fail "the worker exited"
  [ $SECONDS -lt $deadline ] || fail "/health did not answer 200 within 60 s"
  sleep 1
done

# The compose stack's connector JSONs, pointed at the test bed and at this topic.
mkdir -p "$state/connectors"
for f in "$root"/deploy/compose/connectors/*.json; do
  sed -e "s/kafka-source:9092/$KMIRROR_TEST_SOURCE_BOOTSTRAP/" \
    -e "s/kafka-target:9092/$KMIRROR_TEST_TARGET_BOOTSTRAP/" \
    -e "s/\"topics\": \"[^\"]*\"/\"topics\": \"$topic\"/" "$f" >"$state/connectors/${f##*/}"
done
TIMEOUT=120 "$root/deploy/scripts/apply-connectors.sh" "$state/connectors" "$url" ||
  fail "the connectors did not reach RUNNING"

end_offsets() { # bootstrap topic -> sum of end offsets
  java_tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$1" --topic "$2" --time -1 \
    2>/dev/null | awk -F: '{s += $3} END {print s + 0}'
}
# The connectors use the seed's CustomMM2ReplicationPolicy: the target topic keeps its name.
want=$(end_offsets "$KMIRROR_TEST_SOURCE_BOOTSTRAP" "$topic")
deadline=$((SECONDS + 120))
got=0
while [ "$got" -lt "$want" ] && [ $SECONDS -lt $deadline ]; do
  sleep 3
  kill -0 "$kmirror_pid" 2>/dev/null || break
  got=$(end_offsets "$KMIRROR_TEST_TARGET_BOOTSTRAP" "$topic")
done
[ "$got" -ge "$want" ] || fail "replicated $got of $want records"
echo "== replicated $got/$want records $topic inside the rootfs"
# A series the seed's dashboard reads, served on the REST port as Prometheus scrapes it.
series=kafka_connect_mirror_source_connector_replication_latency_ms_avg
curl -fsS "$url/metrics" | grep -q "^$series" || fail "/metrics has no $series"
echo "== /metrics serves $series"
kill -TERM "$kmirror_pid" 2>/dev/null || true
wait "$kmirror_pid" || true
kmirror_pid=""

echo "verify-rootfs: OK"
