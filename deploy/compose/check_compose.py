"""Cross-reference checks of deploy/compose that a JSON schema cannot make (no Docker needed).

    python3 deploy/compose/check_compose.py [deploy/compose/compose.yaml]

Run by deploy/verify.sh after the compose-spec schema check. Fails (exit 1, one line per
problem) when a service has neither image nor build, a build context or Dockerfile is missing,
a bind-mounted file or directory does not exist in the repository, a named volume is not
declared, depends_on names an unknown service or waits for health of a service without a
healthcheck, a host port is published twice or on all interfaces, a Prometheus target is not
a service of the stack, or a connector JSON points at a broker that is not.
"""
import json
import pathlib
import sys

import yaml

here = pathlib.Path(__file__).resolve().parent
compose_file = pathlib.Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else here / "compose.yaml"
base = compose_file.parent
doc = yaml.safe_load(compose_file.read_text())  # safe_load resolves the <<: merge keys
services = doc.get("services") or {}
volumes = doc.get("volumes") or {}
problems = []


def bad(msg):
    problems.append(f"{compose_file.name}: {msg}")


def container_ports(svc):
    out = {int(str(p).split("/")[0]) for p in svc.get("expose", [])}
    for p in svc.get("ports", []):
        out.add(int(str(p).rsplit(":", 1)[-1].split("/")[0]))
    return out


published = {}
for name, svc in services.items():
    if "image" not in svc and "build" not in svc:
        bad(f"service {name}: neither image nor build")
    build = svc.get("build")
    if build is not None:
        ctx = base / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = "Dockerfile"
        if isinstance(build, dict):
            dockerfile = build.get("dockerfile", "Dockerfile")
        if not ctx.is_dir():
            bad(f"service {name}: build context {ctx} does not exist")
        elif not (ctx / dockerfile).is_file():
            bad(f"service {name}: Dockerfile {ctx / dockerfile} does not exist")
    for v in svc.get("volumes", []):
        source = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
        if source.startswith((".", "/")):
            if not (base / source).exists():
                bad(f"service {name}: mounted path {source} does not exist")
        elif source and source not in volumes:
            bad(f"service {name}: named volume {source} not declared under volumes:")
    deps = svc.get("depends_on") or {}
    for dep in deps:
        if dep not in services:
            bad(f"service {name}: depends_on unknown service {dep}")
            continue
        cond = deps[dep].get("condition") if isinstance(deps, dict) else None
        if cond == "service_healthy" and "healthcheck" not in services[dep]:
            bad(f"service {name}: waits for {dep} to be healthy but {dep} has no healthcheck")
    for p in svc.get("ports", []):
        parts = str(p).split(":")
        if len(parts) != 3 or parts[0] != "127.0.0.1":
            bad(f"service {name}: port {p} must be published as 127.0.0.1:HOST:CONTAINER")
            continue
        if parts[1] in published:
            bad(f"service {name}: host port {parts[1]} also published by {published[parts[1]]}")
        published[parts[1]] = name


def check_address(where, address):
    host, _, port = address.rpartition(":")
    if host in ("localhost", "127.0.0.1"):
        return
    if host not in services:
        bad(f"{where}: {address}: {host} is not a service of the stack")
    elif int(port) not in container_ports(services[host]):
        bad(f"{where}: {address}: {host} does not listen on {port}")


# Prometheus mounted into the stack: static targets must be services.
for name, svc in services.items():
    for v in svc.get("volumes", []):
        if isinstance(v, str) and v.split(":")[1] == "/etc/prometheus/prometheus.yml":
            if not (base / v.split(":")[0]).is_file():
                continue  # reported above as a missing mounted path
            prom = yaml.safe_load((base / v.split(":")[0]).read_text())
            for job in prom.get("scrape_configs", []):
                for sc in job.get("static_configs", []):
                    for t in sc.get("targets", []):
                        check_address(f"prometheus job {job['job_name']}", t)

# Connector JSONs: brokers must be services of the stack.
for f in sorted((base / "connectors").glob("*.json")):
    c = json.loads(f.read_text())
    for key in ("source.cluster.bootstrap.servers", "target.cluster.bootstrap.servers"):
        for address in c.get(key, "").split(","):
            if not address:
                bad(f"{f.name}: {key} is missing")
            else:
                check_address(f"{f.name} {key}", address.strip())

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{compose_file.name}: {len(services)} services, {len(published)} host ports, "
      "cross-references ok")
