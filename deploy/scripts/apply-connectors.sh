#!/usr/bin/env bash
# PUTs every *.json in DIR to URL/connectors/{name}/config and waits until each connector and
# its tasks are RUNNING (the seed's curl + jq steps, repeatable; JSON parsed with python3).
#
#   deploy/scripts/apply-connectors.sh DIR [URL]      URL default http://kafkaconnect.migration:8083
#   TIMEOUT=300 deploy/scripts/apply-connectors.sh ./connectors http://localhost:8083
#
# A file may be {"name": ..., <config>} (the seed's format) or {"name": ..., "config": {...}}.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: $0 DIR [URL]" >&2; exit 2; fi
dir=$1
url=${2:-http://kafkaconnect.migration:8083}
timeout=${TIMEOUT:-300}
shopt -s nullglob
files=("$dir"/*.json)
[ ${#files[@]} -gt 0 ] || { echo "no *.json in $dir" >&2; exit 2; }

# The response body goes to a file and then to stdout: `curl -o /dev/stderr` would reopen (and
# truncate) a log file that stderr is redirected to.
response=$(mktemp)
trap 'rm -f "$response"' EXIT
for f in "${files[@]}"; do
  name=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("name") or d["config"]["name"])' "$f")
  body=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d.get("config", d); c.setdefault("name", d.get("name")); print(json.dumps(c))' "$f")
  echo "PUT $url/connectors/$name/config ($f)"
  code=$(curl -sS -o "$response" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    --data "$body" "$url/connectors/$name/config")
  cat "$response"
  echo
  case $code in 200 | 201) ;; *) echo "PUT $name failed: HTTP $code" >&2; exit 1 ;; esac
done

deadline=$((SECONDS + timeout))
for f in "${files[@]}"; do
  name=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("name") or d["config"]["name"])' "$f")
  while :; do
    state=$(curl -sS "$url/connectors/$name/status" | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
except ValueError:
    print("UNKNOWN"); sys.exit()
states = [s.get("connector", {}).get("state", "UNKNOWN")] + [t.get("state") for t in s.get("tasks", [])]
print("FAILED" if "FAILED" in states else "RUNNING" if s.get("tasks") and set(states) == {"RUNNING"} else states[0])' || echo UNKNOWN)
    [ "$state" = RUNNING ] && { echo "$name: RUNNING"; break; }
    [ "$state" = FAILED ] && { echo "$name: FAILED" >&2; curl -sS "$url/connectors/$name/status" >&2; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "$name: $state after ${timeout}s" >&2; exit 1; }
    sleep 3
  done
done
echo "all connectors RUNNING"
