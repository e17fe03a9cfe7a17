#!/usr/bin/env python3
"""kmirror test bed: independent single-node Apache Kafka (KRaft) clusters on 127.0.0.1.

Each cluster is one JVM (broker + controller) run from the Maven jars in tools/kafka/lib, with four
listeners: PLAINTEXT (unauthenticated super-user backdoor for setup), SASL_PLAINTEXT (SCRAM-SHA-512,
users admin and alice), SSL (client certificate required) and CONTROLLER. See tools/kafka/README.md.

    testbed.py exec [--clusters N] -- CMD...   start, run CMD with KMIRROR_TEST_* set, stop
    testbed.py up --state-dir DIR [--clusters N]   start detached; writes DIR/env.sh
    testbed.py down --state-dir DIR                 stop what `up` started

No orphans: every JVM runs in its own process group with PR_SET_PDEATHSIG=SIGKILL, so it dies with
the launcher even on `kill -9`; SIGINT/SIGTERM/SIGHUP stop the brokers and remove the temporary
directory; each start first reaps directories (and JVMs) left by launchers that no longer exist.

Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import base64
import ctypes
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LIB = os.path.join(HERE, "lib")
LOG4J_CONFIG = os.path.join(HERE, "log4j2-quiet.properties")
# Apache Kafka 3.9.x for clusters named in --kafka-3.9 (pom-3.9.xml; it logs through reload4j).
DEFAULT_LIB_39 = os.path.join(HERE, "lib-3.9")
RELOAD4J_CONFIG = os.path.join(HERE, "log4j-quiet-3.9.properties")

BED_PREFIX = "kmirror-testbed-"
BED_NAME_RE = re.compile(r"^kmirror-testbed-(\d+)-")
READY_TIMEOUT_S = 90.0
FORMAT_TIMEOUT_S = 90.0
STOP_GRACE_S = 20.0
BIND_RETRIES = 2

EXIT_BED_FAILED = 3  # Kafka could not be started (or a usage problem with the bed itself)

SCRAM_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256")
USERS = {"admin": "admin-secret", "alice": "alice-secret"}

BROKER_JVM_OPTS = [
    "-Xms256m", "-Xmx512m",
    "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
]
# One-shot tools (StorageTool format): start fast, no peak performance needed.
TOOL_JVM_OPTS = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"]


class BedError(Exception):
    """The bed could not be started; the message says why and shows the relevant log."""


class Interrupted(BaseException):
    """Raised from the signal handler so that every code path runs its cleanup."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def log(msg: str) -> None:
    print(f"testbed: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Processes: own process group + parent-death signal, and /proc helpers for the reaper.

_libc = ctypes.CDLL(None, use_errno=True)
_prctl = _libc.prctl
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def child_setup(death_signal: int, own_group: bool):
    """preexec_fn: own process group (optional) and PR_SET_PDEATHSIG bound to this launcher."""
    parent = os.getpid()

    def setup() -> None:
        if own_group:
            os.setpgid(0, 0)
        _prctl(PR_SET_PDEATHSIG, death_signal, 0, 0, 0)
        if os.getppid() != parent:  # the launcher died between fork and prctl
            os._exit(127)

    return setup


def become_subreaper() -> None:
    """Orphaned descendants of the command (e.g. what a SIGKILLed test binary had started) are
    re-parented to us instead of init, so kill_adopted() can end them."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def kill_adopted(keep: set[int]) -> None:
    """SIGKILLs and reaps every child of ours except `keep`, until none is left (killing one can
    orphan its own children onto us)."""
    me = str(os.getpid())
    for _ in range(50):
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in keep:
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read().decode(errors="replace")
            except OSError:
                continue
            if stat[stat.rfind(")") + 2:].split()[1] == me:
                found.append(int(entry))
        if not found:
            return
        for pid in found:
            kill_quietly(pid, signal.SIGKILL)
        for pid in found:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def proc_start_time(pid: int) -> str | None:
    """Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat), None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    if len(fields) < 20 or fields[0] == "Z":
        return None
    return fields[19]


def pids_referencing(path: str) -> list[int]:
    """Our own processes whose command line mentions path/ (the JVMs of one bed)."""
    needle = (path.rstrip("/") + "/").encode()
    me, uid, found = os.getpid(), os.getuid(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid != uid:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if needle in f.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def kill_quietly(pid: int, sig: int, group: bool = False) -> None:
    try:
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def bed_bases() -> list[str]:
    bases = []
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
        bases.append("/dev/shm")
    tmp = tempfile.gettempdir()
    if tmp not in bases:
        bases.append(tmp)
    return bases


def owner_alive(bed_dir: str, pid: int) -> bool:
    started = proc_start_time(pid)
    if started is None:
        return False
    try:
        with open(os.path.join(bed_dir, "owner"), encoding="ascii") as f:
            owner_pid, owner_start = f.read().split()
        return int(owner_pid) == pid and owner_start == started
    except (OSError, ValueError):
        return True  # being created right now, or unreadable: leave it alone


def reap_bed_dir(bed_dir: str) -> None:
    for pid in pids_referencing(bed_dir):
        kill_quietly(pid, signal.SIGKILL)
    shutil.rmtree(bed_dir, ignore_errors=True)


def reap_stale() -> None:
    """Removes bed directories whose launcher is dead, killing JVMs that still point into them."""
    uid = os.getuid()
    for base in bed_bases():
        try:
            entries = os.listdir(base)
        except OSError:
            continue
        for entry in entries:
            m = BED_NAME_RE.match(entry)
            path = os.path.join(base, entry)
            if not m or not os.path.isdir(path):
                continue
            try:
                if os.stat(path).st_uid != uid:
                    continue
            except OSError:
                continue
            if not owner_alive(path, int(m.group(1))):
                log(f"reaping stale test bed {path} (launcher pid {m.group(1)} is gone)")
                reap_bed_dir(path)


# ---------------------------------------------------------------------------------------------
# Prerequisites, ports, TLS material.

def find_java() -> str:
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(os.path.join(os.environ["JAVA_HOME"], "bin", "java"))
    candidates.append("/usr/lib/jvm/java-17-openjdk-amd64/bin/java")
    which = shutil.which("java")
    if which:
        candidates.append(which)
    for c in candidates:
        if os.access(c, os.X_OK):
            return c
    raise BedError("no java found (need OpenJDK 17: run scripts/setup.sh, or set JAVA_HOME)")


def check_lib(lib: str) -> None:
    if not os.path.isdir(lib) or not any(
            n.startswith("kafka_2.13-") and n.endswith(".jar") for n in os.listdir(lib)):
        raise BedError(f"the Kafka jars are missing from {lib}: run scripts/setup.sh "
                       "(or tools/kafka/fetch-jars.sh), or set KMIRROR_KAFKA_LIB")
    if not shutil.which("openssl"):
        raise BedError("openssl is not installed: run scripts/setup.sh")


def free_ports(count: int) -> list[int]:
    """Distinct free TCP ports on 127.0.0.1 (all held open together so that none repeats)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def random_cluster_id() -> str:
    """Same shape as `StorageTool random-uuid`: base64url of 16 random bytes, no leading '-'."""
    while True:
        cid = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def make_tls(d: str) -> None:
    """CA, broker cert (SAN IP:127.0.0.1), trusted client CN=alice, untrusted client (other CA).
    PEM everywhere, PKCS#8 keys (genpkey always writes PKCS#8), EC P-256 for speed."""
    os.makedirs(d)
    cnf = os.path.join(d, "openssl.cnf")
    with open(cnf, "w", encoding="ascii") as f:
        f.write(OPENSSL_CNF)

    def openssl(*args: str) -> None:
        r = subprocess.run(["openssl", *args], cwd=d, capture_output=True, text=True,
                           env={**os.environ, "OPENSSL_CONF": cnf}, check=False)
        if r.returncode != 0:
            raise BedError(f"openssl {' '.join(args)} failed:\n{r.stdout}{r.stderr}")

    def key(name: str) -> None:
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", f"{name}.key")

    def ca(name: str, cn: str) -> None:
        key(name)
        openssl("req", "-config", cnf, "-x509", "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}",
                "-days", "30", "-sha256", "-extensions", "ca", "-out", f"{name}.pem")

    def leaf(name: str, cn: str, ca_name: str, section: str) -> None:
        key(name)
        openssl("req", "-config", cnf, "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}",
                "-out", f"{name}.csr")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca_name}.pem", "-CAkey",
                f"{ca_name}.key", "-set_serial", "0x" + secrets.token_hex(8), "-days", "30",
                "-sha256", "-extfile", cnf, "-extensions", section, "-out", f"{name}.crt")
        os.remove(os.path.join(d, f"{name}.csr"))

    def cat(out: str, *parts: str) -> None:
        with open(os.path.join(d, out), "w", encoding="ascii") as o:
            for p in parts:
                with open(os.path.join(d, p), encoding="ascii") as i:
                    o.write(i.read())

    ca("ca", "kmirror-test-ca")
    ca("untrusted-ca", "kmirror-untrusted-ca")
    leaf("broker", "broker", "ca", "server")
    leaf("client", "alice", "ca", "client")
    leaf("untrusted-client", "alice", "untrusted-ca", "client")
    cat("broker.pem", "broker.key", "broker.crt", "ca.pem")
    cat("client.pem", "client.key", "client.crt")
    cat("untrusted-client.pem", "untrusted-client.key", "untrusted-client.crt")


# ---------------------------------------------------------------------------------------------
# Clusters.

def cluster_names(n: int) -> list[str]:
    return (["source", "target"] + [f"c{i}" for i in range(2, n)])[:n]


def env_prefix(name: str) -> str:
    return f"KMIRROR_TEST_{name.upper()}_"


def tail(path: str, lines: int = 40) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            content = f.readlines()
    except OSError as e:
        return f"(cannot read {path}: {e})"
    return "".join(content[-lines:]) or "(empty)\n"


def kafka_version(lib: str) -> str:
    """The version of the kafka_2.13-<version>.jar in lib ("" if there is none)."""
    for f in sorted(os.listdir(lib)) if os.path.isdir(lib) else []:
        m = re.fullmatch(r"kafka_2\.13-(\d[^-]*)\.jar", f)
        if m:
            return m.group(1)
    return ""


class Cluster:
    def __init__(self, name: str, bed_dir: str, lib: str):
        self.name = name
        self.lib = lib
        self.version = kafka_version(lib)
        self.dir = os.path.join(bed_dir, name)
        self.data = os.path.join(self.dir, "data")
        self.config = os.path.join(self.dir, "server.properties")
        self.log_path = os.path.join(self.dir, "broker.log")
        self.ports: dict[str, int] = {}
        self.proc: subprocess.Popen | None = None
        self.attempt = 0
        os.makedirs(os.path.join(self.dir, "logs"))

    def endpoint(self, listener: str) -> str:
        return f"127.0.0.1:{self.ports[listener]}"

    def write_config(self, tls_dir: str, ports: list[int]) -> None:
        self.ports = dict(zip(("plaintext", "scram", "ssl", "controller"), ports))
        p = self.ports
        jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        lines = [
            "# Generated by tools/kafka/testbed.py",
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{p['controller']}",
            f"listeners=PLAINTEXT://127.0.0.1:{p['plaintext']},SASL_PLAINTEXT://127.0.0.1:{p['scram']},"
            f"SSL://127.0.0.1:{p['ssl']},CONTROLLER://127.0.0.1:{p['controller']}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{p['plaintext']},"
            f"SASL_PLAINTEXT://127.0.0.1:{p['scram']},SSL://127.0.0.1:{p['ssl']}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,"
            "SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL",
            f"log.dirs={self.data}",
            "num.partitions=1",
            "default.replication.factor=1",
            "min.insync.replicas=1",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=5",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "transaction.state.log.num.partitions=5",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "share.coordinator.state.topic.num.partitions=5",
            "group.initial.rebalance.delay.ms=0",
            "log.cleaner.dedupe.buffer.size=2097152",
            # Compaction tests (offset syncs) wait for the cleaner; 15 s pauses between its
            # passes make them slow and their timing loose.
            "log.cleaner.backoff.ms=1000",
            # Deleted topics' files go after 1 s instead of 60 s: the log dirs are on tmpfs (RAM),
            # and back-to-back benchmark runs of 2 GB topics otherwise pile up until the kernel
            # kills a broker.
            "log.segment.delete.delay.ms=1000",
            "num.network.threads=2",
            "num.io.threads=2",
            "background.threads=2",
            "num.replica.fetchers=1",
            "num.recovery.threads.per.data.dir=1",
            # ACLs
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found=false",
            "super.users=User:ANONYMOUS;User:admin",
            # SASL_PLAINTEXT: SCRAM (credentials are created at format time)
            "sasl.enabled.mechanisms=" + ",".join(SCRAM_MECHANISMS),
        ]
        lines += [f"listener.name.sasl_plaintext.{m.lower()}.sasl.jaas.config={jaas}"
                  for m in SCRAM_MECHANISMS]
        lines += [
            # SSL with client authentication required; CN=alice -> User:alice
            "listener.name.ssl.ssl.keystore.type=PEM",
            f"listener.name.ssl.ssl.keystore.location={tls_dir}/broker.pem",
            "listener.name.ssl.ssl.truststore.type=PEM",
            f"listener.name.ssl.ssl.truststore.location={tls_dir}/ca.pem",
            "listener.name.ssl.ssl.client.auth=required",
            "ssl.principal.mapping.rules=RULE:^CN=([^,]+).*$/$1/,DEFAULT",
        ]
        with open(self.config, "w", encoding="ascii") as f:
            f.write("\n".join(lines) + "\n")


class Bed:
    """Owns the temporary directory and the broker JVMs. Lives on the launcher's main thread
    (PR_SET_PDEATHSIG fires when the spawning thread exits)."""

    def __init__(self, clusters: int, lib: str, kafka39: str = "", lib39: str = DEFAULT_LIB_39):
        self.names = cluster_names(clusters)
        self.lib = os.path.abspath(lib)
        self.lib39 = os.path.abspath(lib39)
        self.kafka39 = [n for n in kafka39.replace(",", " ").split() if n]
        unknown = [n for n in self.kafka39 if n not in self.names]
        if unknown:
            raise BedError(f"--kafka-3.9 names unknown cluster(s) {', '.join(unknown)}; "
                           f"the clusters are {', '.join(self.names)}")
        self.java = ""
        self.dir: str | None = None
        self.tls_dir = ""
        self.clusters: list[Cluster] = []
        self.hurry = False  # a second signal: skip the graceful wait
        self.started_in = 0.0
        self.extra_jvm_opts = shlex.split(os.environ.get("KMIRROR_TESTBED_JVM_OPTS", ""))

    # -- start ---------------------------------------------------------------------------------
    def start(self) -> None:
        t0 = time.monotonic()
        self.java = find_java()
        check_lib(self.lib)
        if self.kafka39:
            check_lib(self.lib39)
        reap_stale()
        base = os.environ.get("KMIRROR_TESTBED_BASE_DIR") or bed_bases()[0]
        self.dir = tempfile.mkdtemp(prefix=f"{BED_PREFIX}{os.getpid()}-", dir=base)
        with open(os.path.join(self.dir, "owner"), "w", encoding="ascii") as f:
            f.write(f"{os.getpid()} {proc_start_time(os.getpid())}\n")
        self.tls_dir = os.path.join(self.dir, "tls")
        make_tls(self.tls_dir)
        self.clusters = [Cluster(n, self.dir, self.lib39 if n in self.kafka39 else self.lib)
                         for n in self.names]
        ports = free_ports(4 * len(self.clusters))
        for i, c in enumerate(self.clusters):
            c.write_config(self.tls_dir, ports[4 * i:4 * i + 4])
        self._format_all()
        for c in self.clusters:
            self._launch(c)
        self._wait_ready()
        self.started_in = time.monotonic() - t0
        log(f"{len(self.clusters)} cluster(s) ready in {self.started_in:.1f} s: " + ", ".join(
            f"{c.name}={c.endpoint('plaintext')}" for c in self.clusters))

    def _java_cmd(self, c: Cluster, jvm_opts: list[str], main: str, *args: str) -> list[str]:
        logging = (f"-Dlog4j.configuration=file:{RELOAD4J_CONFIG}" if c.lib == self.lib39
                   else f"-Dlog4j2.configurationFile={LOG4J_CONFIG}")
        return [self.java, *jvm_opts, *self.extra_jvm_opts, logging,
                "-cp", os.path.join(c.lib, "*"), main, *args]

    def _spawn(self, cmd: list[str], out_path: str) -> subprocess.Popen:
        with open(out_path, "ab") as out:
            return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    preexec_fn=child_setup(signal.SIGKILL, own_group=True),
                                    close_fds=True)

    def _format_all(self) -> None:
        procs = []
        for c in self.clusters:
            scram = [a for m in SCRAM_MECHANISMS for u, pw in USERS.items()
                     for a in ("--add-scram", f"{m}=[name={u},password={pw}]")]
            cmd = self._java_cmd(c, TOOL_JVM_OPTS, "kafka.tools.StorageTool", "format",
                                 "-t", random_cluster_id(), "-c", c.config, *scram)
            out = os.path.join(c.dir, "format.log")
            procs.append((c, out, self._spawn(cmd, out)))
        deadline = time.monotonic() + FORMAT_TIMEOUT_S
        for c, out, p in procs:
            try:
                rc = p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise BedError(f"formatting cluster '{c.name}' took more than {FORMAT_TIMEOUT_S:.0f} s; "
                               f"{out}:\n{tail(out)}") from None
            if rc != 0:
                raise BedError(f"formatting cluster '{c.name}' failed (exit {rc}); {out}:\n{tail(out)}")

    def _launch(self, c: Cluster) -> None:
        c.attempt += 1
        with open(c.log_path, "ab") as f:
            f.write(f"==== testbed: starting broker '{c.name}' (attempt {c.attempt})\n".encode())
        cmd = self._java_cmd(c, BROKER_JVM_OPTS, "kafka.Kafka", c.config)
        cmd.insert(1, f"-Dkafka.logs.dir={os.path.join(c.dir, 'logs')}")
        c.proc = self._spawn(cmd, c.log_path)

    def _relaunch_on_new_ports(self, c: Cluster) -> None:
        log(f"broker '{c.name}' lost a port race; retrying on fresh ports")
        c.write_config(self.tls_dir, free_ports(4))
        self._launch(c)

    def _wait_ready(self) -> None:
        pending = list(self.clusters)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while pending:
            for c in list(pending):
                assert c.proc is not None
                rc = c.proc.poll()
                if rc is not None:
                    text = tail(c.log_path, 400)
                    if ("Address already in use" in text or "BindException" in text) \
                            and c.attempt <= BIND_RETRIES:
                        self._relaunch_on_new_ports(c)
                        continue
                    raise BedError(f"broker '{c.name}' exited with status {rc} before it was ready; "
                                   f"last lines of {c.log_path}:\n{tail(c.log_path)}")
                try:
                    with socket.create_connection(("127.0.0.1", c.ports["plaintext"]), timeout=0.5):
                        pending.remove(c)
                except OSError:
                    pass
            if not pending:
                break
            if time.monotonic() > deadline:
                c = pending[0]
                raise BedError(f"broker '{c.name}' did not open {c.endpoint('plaintext')} within "
                               f"{READY_TIMEOUT_S:.0f} s; last lines of {c.log_path}:\n{tail(c.log_path)}")
            time.sleep(0.1)

    # -- stop ----------------------------------------------------------------------------------
    def stop(self) -> None:
        """SIGTERM every broker (controlled shutdown), SIGKILL after 20 s, remove the directory.
        Idempotent."""
        procs = [c.proc for c in self.clusters if c.proc is not None and c.proc.poll() is None]
        for p in procs:
            kill_quietly(p.pid, signal.SIGTERM, group=True)
        deadline = time.monotonic() + STOP_GRACE_S
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline and not self.hurry:
            time.sleep(0.05)
        for p in procs:
            if p.poll() is None:
                log(f"broker pid {p.pid} did not stop within {STOP_GRACE_S:.0f} s; killing it")
                kill_quietly(p.pid, signal.SIGKILL, group=True)
                p.wait()
        if self.dir:
            reap_bed_dir(self.dir)  # also anything spawned but not yet tracked
            self.dir = None
        for c in self.clusters:
            c.proc = None

    # -- environment ---------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        assert self.dir
        e = {
            "KMIRROR_TEST_CLUSTERS": ",".join(self.names),
            "KMIRROR_TEST_TLS_DIR": self.tls_dir,
            "KMIRROR_TEST_SCRAM_USER": "alice",
            "KMIRROR_TEST_SCRAM_PASSWORD": USERS["alice"],
            "KMIRROR_TEST_ADMIN_USER": "admin",
            "KMIRROR_TEST_ADMIN_PASSWORD": USERS["admin"],
            "KMIRROR_TEST_SCRAM_MECHANISM": SCRAM_MECHANISMS[0],
            "KMIRROR_KAFKA_LIB": self.lib,
            "KMIRROR_TEST_LOG4J_CONFIG": LOG4J_CONFIG,
            "KMIRROR_TEST_JAVA": self.java,
            "KMIRROR_TEST_STATE_DIR": self.dir,
        }
        for c in self.clusters:
            pre = env_prefix(c.name)
            e[pre + "BOOTSTRAP"] = c.endpoint("plaintext")
            e[pre + "SCRAM_BOOTSTRAP"] = c.endpoint("scram")
            e[pre + "SSL_BOOTSTRAP"] = c.endpoint("ssl")
            e[pre + "BROKER_LOG"] = c.log_path
            e[pre + "KAFKA_VERSION"] = c.version
            if c.proc is not None:  # lets a test freeze a broker (SIGSTOP/SIGCONT) for a moment
                e[pre + "BROKER_PID"] = str(c.proc.pid)
        return e

    def broker_pids(self) -> list[int]:
        return [c.proc.pid for c in self.clusters if c.proc is not None]


# ---------------------------------------------------------------------------------------------
# Signals.

class SignalGuard:
    """First SIGINT/SIGTERM/SIGHUP raises Interrupted (so cleanup runs); later ones only make the
    shutdown skip its graceful wait. Call quiet() before cleanup so nothing is raised inside it."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self, bed: Bed | None = None):
        self.bed = bed
        self.signum: int | None = None
        self.raising = True
        for s in self.SIGNALS:
            signal.signal(s, self._handle)

    def _handle(self, signum: int, _frame) -> None:
        first = self.signum is None
        if first:
            self.signum = signum
        if first and self.raising:
            raise Interrupted(signum)
        if self.bed is not None:
            self.bed.hurry = True

    def quiet(self) -> None:
        self.raising = False


# ---------------------------------------------------------------------------------------------
# Subcommands.

def cmd_exec(args: argparse.Namespace) -> int:
    cmd = args.cmd
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        log("exec needs a command: testbed.py exec [--clusters N] -- CMD...")
        return 2
    if os.environ.get("KMIRROR_TEST_SOURCE_BOOTSTRAP"):
        log("KMIRROR_TEST_SOURCE_BOOTSTRAP is set: using your clusters, not starting Kafka")
        env = dict(os.environ)
        env.setdefault("KMIRROR_KAFKA_LIB", os.path.abspath(args.lib))
        env.setdefault("KMIRROR_TEST_LOG4J_CONFIG", LOG4J_CONFIG)
        try:
            os.execvpe(cmd[0], cmd, env)
        except OSError as e:
            log(f"cannot run {cmd[0]}: {e}")
            return 127

    try:
        bed = Bed(args.clusters, args.lib, args.kafka39, args.lib39)
    except BedError as e:
        log(str(e))
        return EXIT_BED_FAILED
    guard = SignalGuard(bed)
    child: subprocess.Popen | None = None
    become_subreaper()
    try:
        try:
            bed.start()
        except BedError as e:
            log(f"Kafka could not be started, not running {shlex.join(cmd)}:\n{e}")
            return EXIT_BED_FAILED
        env = {**os.environ, **bed.env()}
        t0 = time.monotonic()
        try:
            child = subprocess.Popen(cmd, env=env,
                                     preexec_fn=child_setup(signal.SIGTERM, own_group=False))
        except OSError as e:
            log(f"cannot run {cmd[0]}: {e}")
            return 127
        rc = child.wait()
        rc = 128 - rc if rc < 0 else rc
        log(f"command exited with status {rc} after {time.monotonic() - t0:.1f} s")
        return rc
    except Interrupted as e:
        guard.quiet()
        log(f"got signal {signal.Signals(e.signum).name}; stopping")
        if child is not None and child.poll() is None:
            kill_quietly(child.pid, e.signum)
            try:
                child.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                kill_quietly(child.pid, signal.SIGKILL)
                child.wait()
        return 128 + e.signum
    finally:
        guard.quiet()
        t1 = time.monotonic()
        kill_adopted(keep=set(bed.broker_pids()))  # leftovers of the command, if any
        bed.stop()
        log(f"stopped in {time.monotonic() - t1:.1f} s")


def state_files(state_dir: str) -> dict[str, str]:
    return {k: os.path.join(state_dir, f) for k, f in (
        ("env", "env.sh"), ("pid", "supervisor.pid"), ("bed", "bed-dir"), ("log", "testbed.log"))}


def read_supervisor(state_dir: str) -> tuple[int, str] | None:
    try:
        with open(state_files(state_dir)["pid"], encoding="ascii") as f:
            pid, start = f.read().split()
        return int(pid), start
    except (OSError, ValueError):
        return None


def supervisor_alive(state_dir: str) -> int | None:
    sup = read_supervisor(state_dir)
    if sup and proc_start_time(sup[0]) == sup[1]:
        return sup[0]
    return None


def cmd_up(args: argparse.Namespace) -> int:
    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    files = state_files(state_dir)
    pid = supervisor_alive(state_dir)
    if pid:
        log(f"already up (supervisor pid {pid}); source {files['env']}")
        return 0
    for k in ("env", "pid", "bed"):
        if os.path.exists(files[k]):
            os.remove(files[k])
    with open(files["log"], "wb") as out:
        sup = subprocess.Popen([sys.executable, os.path.abspath(__file__), "_supervise",
                                "--state-dir", state_dir, "--clusters", str(args.clusters),
                                "--lib", args.lib, "--kafka-3.9", args.kafka39, "--lib-3.9", args.lib39],
                               stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True, close_fds=True)
    deadline = time.monotonic() + FORMAT_TIMEOUT_S + READY_TIMEOUT_S + 30
    try:
        while not os.path.exists(files["env"]):
            if sup.poll() is not None:
                log(f"the test bed failed to start (exit {sup.returncode}); {files['log']}:\n"
                    f"{tail(files['log'], 60)}")
                return EXIT_BED_FAILED
            if time.monotonic() > deadline:
                kill_quietly(sup.pid, signal.SIGTERM)
                log(f"the test bed did not come up in time; {files['log']}:\n"
                    f"{tail(files['log'], 60)}")
                return EXIT_BED_FAILED
            time.sleep(0.1)
    except KeyboardInterrupt:
        kill_quietly(sup.pid, signal.SIGTERM)  # the supervisor stops its brokers and cleans up
        sup.wait()
        return 128 + signal.SIGINT
    print(f"test bed up (supervisor pid {sup.pid}); run:  source {files['env']}")
    print(f"stop it with:  {sys.argv[0]} down --state-dir {shlex.quote(state_dir)}")
    return 0


def cmd_supervise(args: argparse.Namespace) -> int:
    """Detached owner of a bed started by `up`; stops it on SIGTERM (sent by `down`)."""
    state_dir = os.path.abspath(args.state_dir)
    files = state_files(state_dir)
    with open(files["pid"], "w", encoding="ascii") as f:
        f.write(f"{os.getpid()} {proc_start_time(os.getpid())}\n")
    try:
        bed = Bed(args.clusters, args.lib, args.kafka39, args.lib39)
    except BedError as e:
        log(str(e))
        return EXIT_BED_FAILED
    guard = SignalGuard(bed)
    try:
        try:
            bed.start()
        except BedError as e:
            log(str(e))
            return EXIT_BED_FAILED
        with open(files["bed"], "w", encoding="utf-8") as f:
            f.write(f"{bed.dir}\n")
        env = bed.env()
        lines = [f"# kmirror test bed, written by {os.path.abspath(__file__)} up",
                 f"# stop: {os.path.abspath(__file__)} down --state-dir {shlex.quote(state_dir)}"]
        lines += [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
        lines.append(f"export KMIRROR_TESTBED_SUPERVISOR_PID={os.getpid()}")
        lines.append("export KMIRROR_TESTBED_BROKER_PIDS="
                     + shlex.quote(" ".join(str(p) for p in bed.broker_pids())))
        tmp = files["env"] + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, files["env"])
        while True:
            for c in bed.clusters:
                if c.proc is not None and c.proc.poll() is not None:
                    log(f"broker '{c.name}' exited unexpectedly (status {c.proc.returncode}); "
                        f"stopping the bed. {c.log_path}:\n{tail(c.log_path)}")
                    return 1
            time.sleep(1.0)
    except Interrupted as e:
        log(f"got signal {signal.Signals(e.signum).name}; stopping")
        return 0
    finally:
        guard.quiet()
        if os.path.exists(files["env"]):
            os.remove(files["env"])
        bed.stop()
        for k in ("pid", "bed"):
            if os.path.exists(files[k]):
                os.remove(files[k])
        log("stopped")


def cmd_down(args: argparse.Namespace) -> int:
    state_dir = os.path.abspath(args.state_dir)
    files = state_files(state_dir)
    pid = supervisor_alive(state_dir)
    if pid:
        kill_quietly(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S + 15
        while proc_start_time(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        if proc_start_time(pid) is not None:
            log(f"supervisor {pid} did not stop; killing it (its brokers die with it)")
            kill_quietly(pid, signal.SIGKILL)
    try:
        with open(files["bed"], encoding="utf-8") as f:
            reap_bed_dir(f.read().strip())
    except OSError:
        pass
    for f in files.values():
        if os.path.exists(f):
            os.remove(f)
    try:
        os.rmdir(state_dir)
    except OSError:
        pass
    print("test bed down" if pid else "test bed was not running")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="testbed.py", description="Single-node Apache Kafka KRaft clusters for kmirror tests.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--clusters", type=int, default=2,
                       help="number of clusters: source, target, c2, c3, ... (default 2)")
        p.add_argument("--lib", default=os.environ.get("KMIRROR_KAFKA_LIB", DEFAULT_LIB),
                       help="directory with the Kafka jars (default tools/kafka/lib)")
        p.add_argument("--kafka-3.9", dest="kafka39", metavar="NAME[,NAME]",
                       default=os.environ.get("KMIRROR_TESTBED_KAFKA39_CLUSTERS", ""),
                       help="clusters that run Apache Kafka 3.9.x from --lib-3.9 instead, e.g. "
                            "'source' (librdkafka < 2.6.1 can log in over SCRAM only to 3.9.x)")
        p.add_argument("--lib-3.9", dest="lib39",
                       default=os.environ.get("KMIRROR_KAFKA39_LIB", DEFAULT_LIB_39),
                       help="directory with the Kafka 3.9.x jars (default tools/kafka/lib-3.9)")

    p_exec = sub.add_parser("exec", help="start, run CMD with KMIRROR_TEST_* set, stop")
    common(p_exec)
    p_exec.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    p_up = sub.add_parser("up", help="start detached; writes STATE_DIR/env.sh")
    common(p_up)
    p_up.add_argument("--state-dir", required=True)
    p_down = sub.add_parser("down", help="stop a bed started with up")
    p_down.add_argument("--state-dir", required=True)
    p_sup = sub.add_parser("_supervise")  # internal: the detached owner started by `up`
    common(p_sup)
    p_sup.add_argument("--state-dir", required=True)

    args = parser.parse_args(argv)
    if getattr(args, "clusters", 1) < 1:
        parser.error("--clusters must be at least 1")
    return {"exec": cmd_exec, "up": cmd_up, "down": cmd_down, "_supervise": cmd_supervise}[
        args.command](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
