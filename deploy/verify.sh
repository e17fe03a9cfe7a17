#!/usr/bin/env bash
# Static checks of deploy/ (no Docker, no AWS): python-hcl2 parses every .tf, checkov over the
# Terraform and the Dockerfiles (every skip carries a reason in the code), shellcheck on every
# script, promtool on the Prometheus configs, every JSON parses, and the compose stack against
# the compose-spec JSON schema (the copy check-jsonschema ships) plus
# deploy/compose/check_compose.py (build contexts, mounted files, depends_on, ports, Prometheus
# targets, connector brokers).
#
#   deploy/verify.sh          # creates a throwaway venv in ${VENV:-/tmp/kmirror-deploy-venv}
#
# Needs python3-venv, shellcheck and prometheus (promtool) from Debian. Not part of
# scripts/test.sh (network for pip, ~1 min).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-/tmp/kmirror-deploy-venv}
if [ ! -x "$venv/bin/checkov" ] || [ ! -x "$venv/bin/check-jsonschema" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q checkov python-hcl2 pyyaml check-jsonschema
fi

echo "== python-hcl2: parse every .tf"
"$venv/bin/python" - "$root/deploy/terraform" <<'PY'
import pathlib, sys, hcl2
files = sorted(pathlib.Path(sys.argv[1]).rglob("*.tf"))
for f in files:
    with open(f) as fh:
        hcl2.load(fh)
print(f"parsed {len(files)} files")
PY

echo "== checkov (terraform)"
"$venv/bin/checkov" -d "$root/deploy/terraform" --framework terraform --quiet --compact --skip-download
echo "== checkov (dockerfile)"
"$venv/bin/checkov" -d "$root/deploy/docker" --framework dockerfile --quiet --compact --skip-download

echo "== shellcheck"
shellcheck "$root"/deploy/verify.sh "$root"/deploy/docker/*.sh "$root"/deploy/scripts/*.sh

echo "== promtool"
promtool check config "$root/deploy/prometheus/prometheus.yml"
promtool check config "$root/deploy/docker/prometheus/prometheus-ecs.yml"
promtool check config "$root/deploy/compose/prometheus.yml"

echo "== json (dashboards, connectors)"
find "$root/deploy" -name '*.json' -print0 |
  xargs -0 -n1 "$venv/bin/python" -c 'import json, sys; json.load(open(sys.argv[1]))'
echo "ok"

echo "== grafana provisioning"
# Grafana expands $VAR and ${VAR} only; ${VAR:-default} silently becomes an empty value.
# shellcheck disable=SC2016 # a regular expression, not a shell expansion
if grep -rnE -- '^[^#]*\$\{[A-Za-z_][A-Za-z0-9_]*:-' "$root/deploy/grafana/provisioning"; then
  echo "grafana provisioning: \${VAR:-default} is not supported by Grafana" >&2
  exit 1
fi
echo "ok"

echo "== compose"
# --builtin-schema uses the schema vendored in the package: no network at check time.
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$root/deploy/compose/compose.yaml"
"$venv/bin/python" "$root/deploy/compose/check_compose.py" "$root/deploy/compose/compose.yaml"
echo "verify: OK"
