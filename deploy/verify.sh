#!/usr/bin/env bash
# Static checks of deploy/ (no Docker, no AWS): python-hcl2 parses every .tf, checkov over the
# Terraform and the Dockerfiles (every skip carries a reason in the code), shellcheck on every
# script, promtool on the Prometheus configs, PyYAML on the compose file.
#
#   deploy/verify.sh          # creates a throwaway venv in ${VENV:-/tmp/kmirror-deploy-venv}
#
# Needs python3-venv, shellcheck and prometheus (promtool) from Debian. Not part of
# scripts/test.sh (network for pip, ~1 min).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-/tmp/kmirror-deploy-venv}
if [ ! -x "$venv/bin/checkov" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q checkov python-hcl2 pyyaml
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
if [ -f "$root/deploy/compose/prometheus.yml" ]; then
  promtool check config "$root/deploy/compose/prometheus.yml"
fi

echo "== yaml"
"$venv/bin/python" -c 'import sys, yaml; [yaml.safe_load(open(f)) for f in sys.argv[1:]]; print("ok")' \
  "$root"/deploy/compose/*.yml
echo "verify: OK"
