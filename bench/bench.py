#!/usr/bin/env python3
"""kmirror vs Apache Kafka MirrorMaker 2 on the same brokers (see docs/benchmarks.md).

Run through bench/run.sh. Starts the two-cluster test bed (tools/kafka/testbed.py), measures the
librdkafka produce-only and consume-only ceilings, then runs each replicator in turn (kmirror,
then MM2 4.1 dedicated mode from tools/kafka/lib) on fresh topics:

  catch-up      N records preloaded on the source before the replicator starts; wall time until
                the target's end offsets hold every record; CPU (user+sys of the process tree,
                /proc) and peak RSS (VmHWM) of the replicator
  steady state  a producer at a fixed rate (default 10 MB/s) for S seconds while replicating;
                end-to-end latency on the target (consume time - CreateTime), CPU, RSS

Writes bench/results/<stamp>-<variant>.{json,md} and bench/results/latest.{json,md}.
Python 3 standard library only. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TESTBED = os.path.join(ROOT, "tools", "kafka", "testbed.py")
KEY_BYTES = 16
HEADER_BYTES = 2 * (len("kmb-a") + 16)  # two headers, see loadgen.cpp
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
CATCHUP_TOPIC = "bench-catchup"

# The seed's connector tuning (Configuration/connectors/no-auth/mm2-msc-no-auth.json), written
# as dedicated-mode keys. Both replicators read the same file, so "same settings where
# comparable" holds by construction. The seed's gzip compression is replaced by --compression.
SEED_TUNING = """\
tasks.max = 4
refresh.topics.interval.seconds = 300
sync.topic.configs.interval.seconds = 600
refresh.groups.interval.seconds = 20
{src}.consumer.max.poll.records = 50000
{src}.consumer.receive.buffer.bytes = 33554432
{src}.consumer.max.partition.fetch.bytes = 33554432
tgt.producer.batch.size = 52428
tgt.producer.buffer.memory = 524288000
tgt.producer.max.request.size = 26214400
tgt.producer.send.buffer.bytes = 33554432
tgt.producer.receive.buffer.bytes = 33554432
tgt.producer.compression.type = {compression}
"""

# connect-mirror-maker.sh's default is -Xms256M -Xmx2G, but with the seed's tuning (4 tasks x
# buffer.memory 500 MB) MM2 runs out of heap during the 2M-record catch-up; the seed budgets 4 GB.
MM2_HEAP = "-Xms1G -Xmx4G"
# JVM options the bench adds to the test bed's for its brokers (none: the test bed's G1 with
# MaxGCPauseMillis=20). On 2 shared cores the brokers' GC makes most of a minute's p99; neither ZGC
# (its concurrent cycles take the cores for ~250 ms every few seconds) nor a lower pause target
# (more pauses, more total pause time) did better: docs/benchmarks.md, "Brokers".
BROKER_JVM_OPTS = ""
MM2_JVM_OPTS = ["-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
                "-XX:MaxInlineLevel=15", "-Djava.awt.headless=true"]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# /proc sampling

def proc_children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(pid: int) -> list[int]:
    kids = proc_children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """user+sys of the processes plus their reaped children."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / CLK_TCK


def status_kb(pids: list[int], key: str) -> int:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


class Sampler:
    """Samples CPU and RSS of a process tree every `interval` seconds on a thread."""

    def __init__(self, pid: int, interval: float = 0.25):
        self.pid = pid
        self.interval = interval
        self.max_rss_kb = 0
        self.last_cpu = 0.0
        self.pids = [pid]
        self.series: list[tuple[float, float]] = []  # (wall time, cpu seconds)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            if n % 8 == 0:
                self.pids = tree(self.pid)
            n += 1
            rss = status_kb(self.pids, "VmRSS")
            cpu = cpu_seconds(self.pids)
            with self._lock:
                self.max_rss_kb = max(self.max_rss_kb, rss)
                self.last_cpu = max(self.last_cpu, cpu)
                self.series.append((time.time(), cpu))
            self._stop.wait(self.interval)

    def cpu_at(self, when: float) -> float:
        """CPU seconds at wall time `when` (last sample at or before it)."""
        with self._lock:
            before = [c for t, c in self.series if t <= when]
        return before[-1] if before else 0.0

    def snapshot(self) -> tuple[float, int, int]:
        """(cpu seconds now, sampled max RSS kB since last reset, VmHWM kB of the tree)"""
        pids = tree(self.pid)
        cpu = max(cpu_seconds(pids), self.last_cpu)
        hwm = status_kb(pids, "VmHWM")
        with self._lock:
            rss = max(self.max_rss_kb, status_kb(pids, "VmRSS"))
        return cpu, rss, hwm

    def reset_peak(self) -> None:
        for p in tree(self.pid):
            try:
                with open(f"/proc/{p}/clear_refs", "w", encoding="ascii") as f:
                    f.write("5")  # resets VmHWM to the current RSS
            except OSError:
                pass
        with self._lock:
            self.max_rss_kb = 0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# Processes

def child_setup():
    """New process group + SIGKILL when this launcher dies (no orphans)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)

    def setup() -> None:
        os.setpgrp()
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    return setup


def stop_process(p: subprocess.Popen, grace: float = 30.0) -> None:
    if p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log(f"pid {p.pid} did not stop within {grace:.0f} s; killing it")
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


class Tools:
    def __init__(self, loadgen: str, env: dict[str, str]):
        self.loadgen = loadgen
        self.env = env
        self.src = env["KMIRROR_TEST_SOURCE_BOOTSTRAP"]
        self.tgt = env["KMIRROR_TEST_TARGET_BOOTSTRAP"]

    def lg_cmd(self, cmd: str, bootstrap: str, topic: str, *extra: str) -> list[str]:
        return [self.loadgen, cmd, "-b", bootstrap, "-t", topic, *extra]

    def lg(self, cmd: str, bootstrap: str, topic: str, *extra: str, timeout: float = 3600,
           check: bool = True) -> dict:
        argv = self.lg_cmd(cmd, bootstrap, topic, *extra)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           preexec_fn=child_setup())
        if r.stderr.strip():
            log(f"{cmd} {topic}: {r.stderr.strip()[-2000:]}")
        try:
            out = json.loads(r.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            raise BenchError(f"{shlex.join(argv)} failed (exit {r.returncode}): "
                             f"{r.stdout[-500:]} {r.stderr[-1500:]}") from None
        if check and r.returncode != 0:
            raise BenchError(f"{shlex.join(argv)} failed (exit {r.returncode}): {out}")
        return out

    def lg_start(self, cmd: str, bootstrap: str, topic: str, *extra: str) -> subprocess.Popen:
        return subprocess.Popen(self.lg_cmd(cmd, bootstrap, topic, *extra), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, preexec_fn=child_setup())

    @staticmethod
    def lg_result(p: subprocess.Popen, timeout: float) -> dict:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process(p, 5)
            out, err = p.communicate()
        if err.strip():
            log(err.strip()[-2000:])
        try:
            return json.loads(out.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            raise BenchError(f"loadgen failed (exit {p.returncode}): {out[-500:]} {err[-1500:]}") \
                from None

    def create(self, bootstrap: str, topic: str, partitions: int) -> None:
        self.lg("create-topic", bootstrap, topic, "-p", str(partitions))

    def delete(self, bootstrap: str, topic: str) -> None:
        self.lg("delete-topic", bootstrap, topic, check=False)


# ---------------------------------------------------------------------------------------------
# Replicators

def mm2_properties(alias: str, env: dict[str, str], topics: str, compression: str,
                   seed_tuning: bool) -> str:
    text = f"""\
# generated by bench/bench.py
clusters = {alias}, tgt
{alias}.bootstrap.servers = {env['KMIRROR_TEST_SOURCE_BOOTSTRAP']}
tgt.bootstrap.servers = {env['KMIRROR_TEST_TARGET_BOOTSTRAP']}
{alias}->tgt.enabled = true
{alias}->tgt.topics = {topics}
tgt->{alias}.enabled = false
tgt->{alias}.emit.heartbeats.enabled = false
replication.factor = 1
offset-syncs.topic.replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset.storage.replication.factor = 1
status.storage.replication.factor = 1
config.storage.replication.factor = 1
sync.topic.acls.enabled = false
emit.checkpoints.enabled = false
"""
    if seed_tuning:
        text += SEED_TUNING.format(src=alias, compression=compression)
    else:
        text += f"tgt.producer.compression.type = {compression}\n"
    return text


def start_replicator(name: str, props_path: str, work: str, env: dict[str, str],
                     kmirror: str, mm2_heap: str) -> tuple[subprocess.Popen, str]:
    log_path = os.path.join(work, f"{name}.log")
    if name == "kmirror":
        argv = [kmirror, "run", props_path, "--log-level", "warn"]
    else:
        java = env.get("KMIRROR_TEST_JAVA") or shutil.which("java") or "java"
        argv = [java, *mm2_heap.split(), *MM2_JVM_OPTS,
                f"-Dlog4j2.configurationFile={env['KMIRROR_TEST_LOG4J_CONFIG']}",
                "-cp", os.path.join(env["KMIRROR_KAFKA_LIB"], "*"),
                "org.apache.kafka.connect.mirror.MirrorMaker", props_path]
    out = open(log_path, "wb")  # noqa: SIM115 (closed by the caller through the process)
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                         preexec_fn=child_setup(), close_fds=True)
    out.close()
    return p, log_path


PREPARE_RECORDS = 1_000_000


def prepare_clusters(tools: "Tools") -> None:
    """Warms both clusters before anything is measured: a fresh cluster creates its
    transaction-state topic on the first idempotent producer and answers "coordinator load in
    progress" for a while, and fresh broker JVMs run their produce and fetch paths slower until
    compiled (with 1 MB requests the brokers reach their compile thresholds slowly: the first
    2 GB catch-up on a fresh bed ran at ~230 MB/s, later ones at ~390 MB/s); whichever replicator
    (or ceiling) came first would pay for both. PREPARE_RECORDS records are produced
    (idempotent) and consumed twice on each cluster, then deleted."""
    log(f"preparing the clusters ({PREPARE_RECORDS:,} records produced and consumed twice on "
        f"each)")
    for bootstrap in (tools.src, tools.tgt):
        for round_ in range(2):
            topic = f"bench-prepare-{round_}"
            tools.create(bootstrap, topic, 12)
            tools.lg("produce", bootstrap, topic, "-n", str(PREPARE_RECORDS), "-s", "1024",
                     "-X", "enable.idempotence=true")
            tools.lg("consume", bootstrap, topic, "-n", str(PREPARE_RECORDS))
            tools.delete(bootstrap, topic)


def settle_brokers(tools: "Tools", quiet_cores: float = 0.15, quiet_windows: int = 3,
                   max_wait: float = 90.0) -> float:
    """Waits until both brokers used less than `quiet_cores` in each of `quiet_windows`
    consecutive 2-s windows (after a catch-up they stay busy for a while: log deletion, garbage
    collection), at most `max_wait` seconds; returns the time waited."""
    pids = [int(p) for p in tools.env.get("KMIRROR_TESTBED_BROKER_PIDS", "").split() if p]
    t0 = time.time()
    quiet = 0
    while pids and quiet < quiet_windows and time.time() - t0 < max_wait:
        c0 = cpu_seconds(pids)
        time.sleep(2.0)
        quiet = quiet + 1 if (cpu_seconds(pids) - c0) / 2.0 < quiet_cores else 0
    waited = time.time() - t0
    log(f"brokers settled after {waited:.1f} s")
    return waited


def steady_latency(a: argparse.Namespace, tools: Tools, rec_bytes: int, produce_topic: str,
                   consume_topic: str, before_produce=None) -> tuple[dict, dict]:
    """Produce at --rate-mbps for --steady-seconds into produce_topic (source) while measuring
    end-to-end latency on consume_topic (target) and, at the same time, straight on the source
    topic (the floor: what the brokers and clients alone cost under the same load and noise)."""
    n = int(a.rate_mbps * 1e6 * a.steady_seconds / rec_bytes)
    n_warm = int(a.rate_mbps * 1e6 * a.warmup_seconds / rec_bytes)
    timeout = str(a.warmup_seconds + a.steady_seconds + 120)
    settle_brokers(tools, quiet_windows=5)
    # Every measured record's consume time and latency, on the target and on the source: each
    # record is then paired with itself to see what the replication alone added (paired_added).
    dump_dir = a.latency_dump_dir or os.path.join(a.work, "latency")
    os.makedirs(dump_dir, exist_ok=True)
    target_dump = os.path.join(dump_dir, f"{consume_topic}.latency")
    floor_dump = os.path.join(dump_dir, f"{produce_topic}.floor.latency")
    warm = ["--skip-seconds", str(a.warmup_seconds)]
    lat = tools.lg_start("latency", tools.tgt, consume_topic, "-n", str(n_warm + n), "--timeout",
                         timeout, *warm, "--dump", target_dump)
    flo = tools.lg_start("latency", tools.src, produce_topic, "-n", str(n_warm + n), "--timeout",
                         timeout, *warm, "--dump", floor_dump)
    time.sleep(2.0)  # let the latency consumers find the topics and assign
    if before_produce:
        before_produce()
    prod = tools.lg("produce", tools.src, produce_topic, "-n", str(n_warm + n), "-s",
                    str(a.record_size), "-c", a.compression, "--rate-mbps", str(a.rate_mbps),
                    timeout=(a.warmup_seconds + a.steady_seconds) * 3 + 60)
    t_prod_end = time.time()
    floor = tools.lg_result(flo, a.steady_seconds + 120)
    latr = tools.lg_result(lat, a.steady_seconds + 120)
    latr["expected"] = n_warm + n  # warm-up and measured records, all read
    latr["produced_mb_per_s"] = prod["mb_per_s"]
    latr["span_s"] = time.time() - t_prod_end + prod["seconds"]
    latr["paired"] = paired_added(target_dump, floor_dump)
    if not a.latency_dump_dir:
        os.remove(target_dump)
        os.remove(floor_dump)
    return latr, floor


def read_latency_dump(path: str) -> dict[tuple[int, int], tuple[float, float]]:
    """(partition, offset) -> (consume time s, CreateTime ms) of a loadgen --dump file."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            t, lat, part, off = line.split()
            out[(int(part), int(off))] = (float(t), float(t) * 1000.0 - float(lat))
    return out


def paired_added(target_dump: str, floor_dump: str) -> dict:
    """What replication added to each record: its consume time on the target minus its consume
    time straight from the source topic, both read at the same time. The steady target topic is
    a fresh one-to-one copy, so a record has the same partition and offset on both sides; a
    pair counts only if its CreateTime matches too. Unlike the difference of two p99s, this
    takes the source broker's hiccups (which delay both reads alike) out of the figure."""
    target = read_latency_dump(target_dump)
    floor = read_latency_dump(floor_dump)
    added = []
    mismatched = 0
    for key, (t_target, create_target) in target.items():
        f = floor.get(key)
        if f is None:
            continue
        if abs(f[1] - create_target) > 1.5:  # CreateTime is in ms; the dumps round to 0.01 ms
            mismatched += 1
            continue
        added.append((t_target - f[0]) * 1000.0)
    added.sort()
    if not added:
        return {"pairs": 0, "mismatched": mismatched}

    def q(x: float) -> float:
        return round(added[min(len(added) - 1, int(len(added) * x))], 2)
    return {"pairs": len(added), "mismatched": mismatched, "p50_ms": q(0.5), "p99_ms": q(0.99),
            "p999_ms": q(0.999), "max_ms": round(added[-1], 2)}


def warm_up(plan: list[tuple[str, str]], a: argparse.Namespace, tools: Tools, work: str,
            kmirror: str, rec_bytes: int) -> dict:
    """One unmeasured catch-up by each replicator before anything is measured. The first
    replication load a fresh bed carries runs well below the later ones (broker JIT, heap
    sizing for many concurrent fetch and idempotent produce connections; the preparation's
    single-client traffic does not reach those paths): measured first, it would make whichever
    replicator or ceiling came first look slower. Every measured run then starts from the same
    warmed bed."""
    out = {}
    for name, alias in plan:
        try:
            catchup, proc, sampler, _, _ = catchup_run(name, f"{alias}0", CATCHUP_TOPIC, a,
                                                       tools, work, kmirror, rec_bytes)
        except BenchError as e:  # its measured runs will fail and say so; the others go on
            log(f"{name}: warm-up catch-up failed: {e}")
            continue
        discard_run(proc, sampler, tools, f"{alias}0.{CATCHUP_TOPIC}")
        out[name] = catchup["mb_per_s"]
    log(f"warm-up catch-ups (not measured), MB/s: {out}")
    return out


def measure_ceilings(a: argparse.Namespace, tools: Tools) -> dict:
    """What the brokers allow without a replicator, --runs times each (medians reported):
    produce-only of the same data into a fresh topic on the target cluster (where replicators
    write), and consume-only of the preloaded catch-up topic on the source cluster."""
    prod_runs, cons_runs = [], []
    for i in range(a.runs):
        topic = f"bench-ceiling-{i}"
        tools.create(tools.tgt, topic, a.partitions)
        try:
            r = tools.lg("produce", tools.tgt, topic, "-n", str(a.records), "-s",
                         str(a.record_size), "-c", a.compression)
        finally:
            tools.delete(tools.tgt, topic)
        prod_runs.append(r)
        log(f"produce-only ({i + 1}/{a.runs}): {r['mb_per_s']} MB/s")
        r = tools.lg("consume", tools.src, CATCHUP_TOPIC, "-n", str(a.records))
        cons_runs.append(r)
        log(f"consume-only ({i + 1}/{a.runs}): {r['mb_per_s']} MB/s")
    prod = median_run(prod_runs, "mb_per_s")
    cons = median_run(cons_runs, "mb_per_s")
    return {"produce_mb_per_s": prod["mb_per_s"],
            "produce_records_per_s": prod["records_per_s"],
            "consume_mb_per_s": cons["mb_per_s"],
            "consume_records_per_s": cons["records_per_s"],
            "produce_runs_mb_per_s": [r["mb_per_s"] for r in prod_runs],
            "consume_runs_mb_per_s": [r["mb_per_s"] for r in cons_runs]}


def tail(path: str, n: int = 30) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def catchup_run(name: str, run_alias: str, topics: str, a: argparse.Namespace, tools: Tools,
                work: str, kmirror: str, rec_bytes: int) -> tuple[dict, subprocess.Popen, "Sampler",
                                                                   str, str]:
    """Starts the replicator on a fresh source alias (so fresh target and internal topics) and
    waits until the target holds every catch-up record. Returns the catch-up figures and the
    still-running replicator, its sampler, log and properties."""
    props = mm2_properties(run_alias, tools.env, topics, a.compression, not a.no_seed_tuning)
    props_path = os.path.join(work, f"{name}-{run_alias}.properties")
    with open(props_path, "w", encoding="utf-8") as f:
        f.write(props)
    target_catchup = f"{run_alias}.{CATCHUP_TOPIC}"
    log(f"{name} ({run_alias}): starting (catch-up of {a.records} records)")
    t0 = time.time()
    proc, log_path = start_replicator(name, props_path, work, tools.env, kmirror, a.mm2_heap)
    sampler = Sampler(proc.pid)
    try:
        wait = tools.lg_start("wait", tools.tgt, target_catchup, "-n", str(a.records),
                              "--interval-ms", "50",
                              "--timeout", str(a.catchup_timeout))
        while wait.poll() is None:
            if proc.poll() is not None:
                stop_process(wait, 5)
                raise BenchError(f"{name} exited with status {proc.returncode} during catch-up; "
                                 f"{log_path}:\n{tail(log_path)}")
            time.sleep(0.1)
        w = tools.lg_result(wait, 10)
        cpu, rss_kb, hwm_kb = sampler.snapshot()
        if not w.get("done"):
            raise BenchError(f"{name}: catch-up did not finish within {a.catchup_timeout} s "
                             f"({w}); {log_path}:\n{tail(log_path)}")
    except BaseException:
        sampler.stop()
        stop_process(proc)
        tools.delete(tools.tgt, target_catchup)
        raise
    wall = w["done_at"] - t0
    copy = w["done_at"] - w["first_at"] if w["first_at"] > 0 else wall
    gb = a.records * rec_bytes / 1e9
    cpu_start = sampler.cpu_at(w["first_at"]) if w["first_at"] > 0 else 0.0
    catchup = {
        "alias": run_alias,
        "wall_s": round(wall, 2),
        "copy_s": round(copy, 2),
        "startup_s": round(wall - copy, 2),
        "mb_per_s": round(a.records * rec_bytes / 1e6 / wall, 1),
        "copy_mb_per_s": round(a.records * rec_bytes / 1e6 / copy, 1),
        "records_per_s": round(a.records / wall),
        "cpu_s": round(cpu, 2),
        "cpu_s_per_gb": round(cpu / gb, 2),
        "startup_cpu_s": round(cpu_start, 2),
        "copy_cpu_s_per_gb": round((cpu - cpu_start) / gb, 2),
        "peak_rss_mb": round(max(rss_kb, hwm_kb) / 1024, 1),
    }
    log(f"{name} ({run_alias}): catch-up {catchup}")
    return catchup, proc, sampler, log_path, props


def discard_run(proc: subprocess.Popen, sampler: "Sampler", tools: Tools, target: str) -> None:
    """Ends a catch-up run that has nothing more to measure: stops the replicator, deletes its
    target topic, waits for quiet brokers before the next run."""
    sampler.stop()
    stop_process(proc)
    tools.delete(tools.tgt, target)
    settle_brokers(tools)


def median_run(runs: list[dict], key: str) -> dict:
    """The run whose `key` is the median (the lower middle one for an even count): its figures
    stay one consistent set."""
    ordered = sorted(runs, key=lambda r: r[key])
    return ordered[(len(ordered) - 1) // 2]


def run_replicator(name: str, alias: str, a: argparse.Namespace, tools: Tools, work: str,
                   kmirror: str, rec_bytes: int) -> dict:
    """--runs catch-ups, each by a fresh replicator process on fresh target topics (the figures
    reported are those of the median run by wall throughput; the bed's run-to-run spread is
    wide), then the steady state on the last run's process: --steady-windows windows, each on
    fresh topics; the figures reported are those of the median window by p99 (a minute's p99
    follows that minute's broker pauses)."""
    steady_topics = [f"bench-steady-{alias}-{k}" for k in range(1, a.steady_windows + 1)]
    for t in steady_topics:
        tools.create(tools.src, t, a.partitions)
    res: dict = {"name": name, "catchup_runs": []}
    targets = []
    try:
        for i in range(a.runs):
            last = i == a.runs - 1
            run_alias = alias if last else f"{alias}{i + 1}"
            topics = "|".join([CATCHUP_TOPIC, *steady_topics]) if last else CATCHUP_TOPIC
            targets.append(f"{run_alias}.{CATCHUP_TOPIC}")
            catchup, proc, sampler, log_path, props = catchup_run(
                name, run_alias, topics, a, tools, work, kmirror, rec_bytes)
            res["catchup_runs"].append(catchup)
            if not last:
                discard_run(proc, sampler, tools, targets[-1])
        res["properties"] = props
        res["catchup"] = dict(median_run(res["catchup_runs"], "mb_per_s"))
        res["catchup"]["peak_rss_mb_of_runs"] = max(r["peak_rss_mb"] for r in res["catchup_runs"])
        log(f"{name}: catch-up MB/s of the {a.runs} run(s): "
            f"{[r['mb_per_s'] for r in res['catchup_runs']]}; median {res['catchup']['mb_per_s']}")
        try:
            if a.steady_seconds > 0:
                windows = []
                for k, t in enumerate(steady_topics, 1):
                    log(f"{name}: steady window {k} of {len(steady_topics)}")
                    windows.append(steady_state(name, a, tools, rec_bytes, sampler, t,
                                                f"{alias}.{t}"))
                res["steady_windows"] = windows
                res["steady"] = dict(median_run(windows, "p99_ms"))
                log(f"{name}: steady p99 of the {len(windows)} window(s): "
                    f"{[w['p99_ms'] for w in windows]}; median {res['steady']['p99_ms']}")
            if proc.poll() is not None:
                raise BenchError(f"{name} exited with status {proc.returncode}; "
                                 f"{log_path}:\n{tail(log_path)}")
        finally:
            sampler.stop()
            stop_process(proc)
            res["log_tail"] = tail(log_path, 15)
    finally:
        for t in (*targets, *(f"{alias}.{t}" for t in steady_topics)):
            tools.delete(tools.tgt, t)
        for t in steady_topics:
            tools.delete(tools.src, t)
    return res


def steady_state(name: str, a: argparse.Namespace, tools: Tools, rec_bytes: int,
                 sampler: "Sampler", steady_topic: str, target_steady: str) -> dict:
    base: dict = {}

    def mark() -> None:
        sampler.reset_peak()
        base["cpu0"] = sampler.snapshot()[0]
    log(f"{name}: steady state, {a.rate_mbps} MB/s for {a.steady_seconds} s")
    latr, floor = steady_latency(a, tools, rec_bytes, steady_topic, target_steady,
                                 before_produce=mark)
    cpu0 = base["cpu0"]
    cpu1, rss_kb, hwm_kb = sampler.snapshot()
    n = latr["expected"]  # CPU and RSS cover the warm-up too
    span = latr["span_s"]
    received = latr["records"] + latr.get("warmup", 0)
    steady = {
        "records": n,
        "measured": latr["records"],
        "produced_mb_per_s": latr["produced_mb_per_s"],
        "received": received,
        "p50_ms": latr["p50_ms"],
        "p99_ms": latr["p99_ms"],
        "p999_ms": latr["p999_ms"],
        "max_ms": latr["max_ms"],
        "floor_p50_ms": floor["p50_ms"],
        "floor_p99_ms": floor["p99_ms"],
        "floor_max_ms": floor["max_ms"],
        # What the replicator adds to the same minute's floor (the p99 of a 60-s window follows
        # the brokers' hiccups of that minute; this difference is the steadier figure).
        "added_p50_ms": round(latr["p50_ms"] - floor["p50_ms"], 2),
        "added_p99_ms": round(latr["p99_ms"] - floor["p99_ms"], 2),
        # The same, record by record (paired_added): the replication's own share.
        "paired_added": latr["paired"],
        "added_per_record_p50_ms": latr["paired"].get("p50_ms"),
        "added_per_record_p99_ms": latr["paired"].get("p99_ms"),
        "added_per_record_p999_ms": latr["paired"].get("p999_ms"),
        "cpu_s": round(cpu1 - cpu0, 2),
        "cpu_cores": round((cpu1 - cpu0) / span, 3),
        "cpu_s_per_gb": round((cpu1 - cpu0) / (n * rec_bytes / 1e9), 2),
        "peak_rss_mb": round(max(rss_kb, hwm_kb) / 1024, 1),
    }
    if received < n:
        steady["note"] = f"only {received} of {n} records arrived"
    log(f"{name}: steady {steady}")
    return steady


# ---------------------------------------------------------------------------------------------
# Machine / versions

def machine_info(env: dict[str, str], kmirror: str) -> dict:
    info: dict = {"cores": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            info["memory_gb"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            info["cpu"] = m.group(1).strip() if m else "?"
    except OSError:
        pass
    lib = env.get("KMIRROR_KAFKA_LIB", "")
    jars = [j for j in os.listdir(lib) if j.startswith("kafka-clients-")] if lib else []
    info["kafka"] = jars[0][len("kafka-clients-"):-4] if jars else "?"
    try:
        info["librdkafka"] = subprocess.run(["pkg-config", "--modversion", "rdkafka"],
                                            capture_output=True, text=True).stdout.strip()
    except OSError:
        info["librdkafka"] = "?"
    try:
        r = subprocess.run([env.get("KMIRROR_TEST_JAVA", "java"), "-version"],
                           capture_output=True, text=True)
        info["java"] = (r.stderr.splitlines() or ["?"])[0]
    except OSError:
        info["java"] = "?"
    try:
        info["kmirror"] = subprocess.run([kmirror, "--version"], capture_output=True,
                                         text=True).stdout.strip()
    except OSError:
        info["kmirror"] = "?"
    try:
        info["git"] = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                     capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return info


# ---------------------------------------------------------------------------------------------
# Report

def fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def evaluate(result: dict) -> list[dict]:
    """The issue's targets, as ratios to MM2 (and to the lower ceiling)."""
    km = result["replicators"].get("kmirror", {})
    mm = result["replicators"].get("mm2", {})
    ceil = result["ceilings"]
    lower = min(ceil["produce_mb_per_s"], ceil["consume_mb_per_s"])
    out = []

    def g(r, phase, key):
        return r.get(phase, {}).get(key)

    r = ratio(g(km, "catchup", "cpu_s_per_gb"), g(mm, "catchup", "cpu_s_per_gb"))
    out.append({"target": "catch-up CPU-s/GB ≤ 1/5 of MM2", "value": r,
                "met": None if r is None else r <= 0.2})
    r = ratio(g(km, "catchup", "peak_rss_mb_of_runs"), g(mm, "catchup", "peak_rss_mb_of_runs"))
    out.append({"target": "peak RSS ≤ 1/10 of MM2", "value": r,
                "met": None if r is None else r <= 0.1})
    r = ratio(g(km, "catchup", "mb_per_s"), lower)
    out.append({"target": "catch-up MB/s ≥ 80% of the lower ceiling", "value": r,
                "met": None if r is None else r >= 0.8})
    r = ratio(g(km, "steady", "p99_ms"), g(mm, "steady", "p99_ms"))
    p99 = {"target": f"p99 latency at {result['params']['rate_mbps']} MB/s ≤ 1/2 of MM2",
           "value": r, "met": None if r is None else r <= 0.5}
    # No replicator reads a record on the target before it could be read on the source, so the
    # floor of kmirror's own minutes bounds its p99 from below: when that floor alone is above
    # half of MM2's p99, even a replicator adding nothing would miss the target in this run.
    floor, mm2_p99 = g(km, "steady", "floor_p99_ms"), g(mm, "steady", "p99_ms")
    if floor is not None and mm2_p99:
        p99["reachable"] = floor <= mm2_p99 / 2
        p99["floor_p99_ms"] = floor
        p99["half_mm2_p99_ms"] = round(mm2_p99 / 2, 2)
    out.append(p99)
    return out


def markdown(result: dict) -> str:
    m = result["machine"]
    p = result["params"]
    c = result["ceilings"]
    km = result["replicators"].get("kmirror", {})
    mm = result["replicators"].get("mm2", {})
    lower = min(c["produce_mb_per_s"], c["consume_mb_per_s"])
    lines = [
        f"### kmirror vs MirrorMaker 2 — {result['started']}",
        "",
        f"Machine: {m.get('cores')} cores ({m.get('cpu', '?')}), {m.get('memory_gb')} GB RAM, "
        f"Linux {m.get('kernel')}; Kafka {m.get('kafka')} (2 single-node KRaft clusters, log dirs "
        f"on {p['log_dirs']}, broker JVM options added to the test bed's: "
        f"`{p.get('broker_jvm_opts') or 'none'}`); librdkafka {m.get('librdkafka')}; {m.get('java')}; "
        f"{m.get('kmirror')} (git {m.get('git', '?')}).",
        "",
        f"Data: {p['records']:,} records × {p['record_size']} B values, 16 B keys, 2 headers "
        f"({p['record_bytes']} B of record data each, random/incompressible), {p['partitions']} "
        f"partitions, compression {p['compression']}; steady state {p['rate_mbps']} MB/s for "
        f"{p['steady_seconds']} s measured after {p.get('warmup_seconds', 0)} s of warm-up. "
        f"MB = 10⁶ bytes of record data. MM2: dedicated mode, "
        f"heap `{p['mm2_heap']}`; both replicators read the same mm2.properties "
        f"({'seed mm2-msc tuning' if p['seed_tuning'] else 'defaults'}). Catch-up figures are "
        f"those of the median of {p.get('runs', 1)} catch-up run(s) by wall throughput, each by a "
        f"fresh replicator process on fresh target topics; the steady state runs on the last "
        f"one's process, in {p.get('steady_windows', 1)} window(s) on fresh topics, and its "
        f"figures are those of the median window by p99. Ceilings are medians of as many runs.",
        "",
        "| figure | kmirror | MM2 | kmirror / MM2 |",
        "|---|---:|---:|---:|",
    ]

    def row(label, phase, key):
        a = km.get(phase, {}).get(key)
        b = mm.get(phase, {}).get(key)
        lines.append(f"| {label} | {fmt(a)} | {fmt(b)} | {fmt(ratio(a, b))} |")

    row("catch-up wall time, s (start → target complete)", "catchup", "wall_s")
    row("  of which start-up, s (start → first record on target)", "catchup", "startup_s")
    row("catch-up throughput, MB/s (wall)", "catchup", "mb_per_s")
    row("catch-up throughput, MB/s (first → last record)", "catchup", "copy_mb_per_s")
    row("catch-up CPU, s (user+sys)", "catchup", "cpu_s")
    row("  of which start-up CPU, s", "catchup", "startup_cpu_s")
    row("catch-up CPU-s per GB (incl. start-up)", "catchup", "cpu_s_per_gb")
    row("catch-up CPU-s per GB (first → last record)", "catchup", "copy_cpu_s_per_gb")
    row("catch-up peak RSS, MB (highest of the runs)", "catchup", "peak_rss_mb_of_runs")
    lines.append("| catch-up MB/s (wall) of each run | "
                 + " | ".join(", ".join(fmt(r["mb_per_s"]) for r in x.get("catchup_runs", []))
                              or "—" for x in (km, mm)) + " | |")
    lines.append("| steady latency p99, ms, of each window | "
                 + " | ".join(", ".join(fmt(w["p99_ms"]) for w in x.get("steady_windows", []))
                              or "—" for x in (km, mm)) + " | |")
    row("steady latency p50, ms", "steady", "p50_ms")
    row("steady latency p99, ms", "steady", "p99_ms")
    row("steady latency max, ms", "steady", "max_ms")
    row("  floor p50, ms (source topic, same run)", "steady", "floor_p50_ms")
    row("  floor p99, ms (source topic, same run)", "steady", "floor_p99_ms")
    row("  added over the floor at p50, ms", "steady", "added_p50_ms")
    row("  added over the floor at p99, ms", "steady", "added_p99_ms")
    row("  added per record (target read − source read of the same record), p50, ms", "steady",
        "added_per_record_p50_ms")
    row("  added per record, p99, ms", "steady", "added_per_record_p99_ms")
    row("  added per record, p99.9, ms", "steady", "added_per_record_p999_ms")
    row("steady CPU, cores (average)", "steady", "cpu_cores")
    row("steady CPU-s per GB", "steady", "cpu_s_per_gb")
    row("steady peak RSS, MB", "steady", "peak_rss_mb")
    lines += [
        "",
        "| ceiling (librdkafka, same brokers, no replicator) | MB/s | kmirror catch-up / ceiling "
        "| MM2 catch-up / ceiling |",
        "|---|---:|---:|---:|",
    ]
    for label, key in (("produce-only", "produce_mb_per_s"), ("consume-only", "consume_mb_per_s")):
        v = c[key]
        lines.append(f"| {label} | {fmt(v)} | "
                     f"{fmt(ratio(km.get('catchup', {}).get('mb_per_s'), v))} | "
                     f"{fmt(ratio(mm.get('catchup', {}).get('mb_per_s'), v))} |")
    runs_of = ", ".join(fmt(v) for v in c.get("produce_runs_mb_per_s", []))
    cons_of = ", ".join(fmt(v) for v in c.get("consume_runs_mb_per_s", []))
    warm = result.get("warmup_catchups") or {}
    if warm:
        lines += ["", "Before the ceilings and the measured runs, one unmeasured warm-up catch-up "
                  "by each replicator: " + ", ".join(
                      f"{'kmirror' if n == 'kmirror' else 'MM2'} {fmt(v)} MB/s"
                      for n, v in warm.items()) + "."]
    lines += ["", f"Lower ceiling: {fmt(lower)} MB/s. Produce-only runs (into the target cluster): "
              f"{runs_of or '—'}; consume-only runs (from the source cluster): {cons_of or '—'}; "
              f"the preload of the catch-up topic ran at {fmt(c.get('preload_mb_per_s'))} MB/s. "
              "Latency floor: the same steady records "
              "consumed straight from the source topic at the same time (brokers + clients + "
              "machine noise, no replication). Added per record: each measured record's read on "
              "the target minus its own read from the source topic (paired by partition, offset "
              "and CreateTime); unlike the difference of two p99s it leaves out what delays both "
              "reads alike, such as the source broker's pauses.", "",
              "| target (issue 8) | kmirror value | met? |", "|---|---:|---|"]
    for t in result["targets"]:
        met = "—" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['target']} | {fmt(t['value'])} | {met} |")
    for t in result["targets"]:
        if "reachable" in t:
            lines += ["", f"p99 bound: the floor p99 of kmirror's own minutes, "
                      f"{fmt(t['floor_p99_ms'])} ms, is the p99 a replicator adding nothing would "
                      f"show; half of MM2's p99 is {fmt(t['half_mm2_p99_ms'])} ms, so the p99 "
                      f"target was {'reachable' if t['reachable'] else '**not reachable**'} "
                      "in this run."]
    notes = [f"{n}: {r['steady']['note']}" for n, r in result["replicators"].items()
             if r.get("steady", {}).get("note")]
    notes += [f"{n}: {r['error']}" for n, r in result["replicators"].items() if r.get("error")]
    if notes:
        lines += ["", "Notes: " + "; ".join(notes)]
    lines += ["", f"Command: `{result['command']}`", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Main

def ensure_binaries(a: argparse.Namespace) -> tuple[str, str]:
    build = os.path.abspath(a.build_dir)
    kmirror = os.path.join(build, "src", "app", "kmirror")
    loadgen = os.path.join(build, "bench", "kmirror-loadgen")
    if a.build or not (os.access(kmirror, os.X_OK) and os.access(loadgen, os.X_OK)):
        log(f"building kmirror and kmirror-loadgen in {build}")
        if not os.path.exists(os.path.join(build, "build.ninja")):
            subprocess.run(["cmake", "-S", ROOT, "-B", build, "-G", "Ninja",
                            "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DKMIRROR_BENCH=ON"], check=True,
                           stdout=subprocess.DEVNULL)
        subprocess.run(["ninja", "-C", build, "kmirror", "kmirror-loadgen"], check=True)
    return kmirror, loadgen


def bed_up(state: str, broker_jvm_opts: str) -> dict[str, str]:
    bed_env = dict(os.environ, KMIRROR_TESTBED_JVM_OPTS=broker_jvm_opts)
    r = subprocess.run([sys.executable, TESTBED, "up", "--state-dir", state], env=bed_env)
    if r.returncode != 0:
        raise BenchError("the test bed did not start")
    env = dict(os.environ)
    with open(os.path.join(state, "env.sh"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("export "):
                k, v = line[len("export "):].rstrip("\n").split("=", 1)
                env[k] = shlex.split(v)[0] if v else ""
    return env


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=2_000_000)
    ap.add_argument("--record-size", type=int, default=1024, help="value bytes (default 1024)")
    ap.add_argument("--partitions", type=int, default=12)
    ap.add_argument("--compression", default="none", choices=["none", "gzip", "snappy", "lz4", "zstd"],
                    help="codec of the loaded data and of both replicators' producers")
    ap.add_argument("--rate-mbps", type=float, default=10.0, help="steady-state rate (MB/s)")
    ap.add_argument("--steady-seconds", type=int, default=60)
    ap.add_argument("--steady-windows", type=int, default=3,
                    help="steady-state windows per replicator, each on fresh topics; the median "
                         "window by p99 is reported (default 3)")
    ap.add_argument("--warmup-seconds", type=int, default=45,
                    help="steady state: the rate runs this long before the measured seconds "
                         "(records of the warm-up are not measured; fresh broker JVMs take about "
                         "a minute of small produce requests before their latency settles)")
    ap.add_argument("--latency-dump-dir", default="",
                    help="write every steady-state record's consume time, latency, partition and "
                         "offset to DIR/<topic>.latency (diagnostics)")
    ap.add_argument("--quick", action="store_true",
                    help="100k records and 20 s steady state (for development)")
    ap.add_argument("--skip-mm2", action="store_true")
    ap.add_argument("--skip-kmirror", action="store_true")
    ap.add_argument("--mm2-first", action="store_true",
                    help="run MM2 before kmirror (the first replicator's steady phase runs on "
                         "colder brokers)")
    ap.add_argument("--no-seed-tuning", action="store_true",
                    help="leave client settings at their defaults instead of the seed's mm2-msc tuning")
    ap.add_argument("--mm2-heap", default=MM2_HEAP, help=f"MM2 JVM heap options (default '{MM2_HEAP}')")
    ap.add_argument("--broker-jvm-opts", default=BROKER_JVM_OPTS,
                    help="JVM options added to the test bed's for the brokers (default: none, "
                         "the test bed's G1), e.g. '-XX:-UseG1GC -XX:-UseSerialGC -XX:+UseZGC "
                         "-Xms1g -Xmx1g -Xlog:gc:file=/tmp/gc-%%p.log:utctime'")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--build", action="store_true", help="(re)build the binaries first")
    ap.add_argument("--log-dirs", default=os.environ.get("KMIRROR_TESTBED_BASE_DIR", "/dev/shm"),
                    help="where the brokers' log dirs go (default /dev/shm, tmpfs)")
    ap.add_argument("--results-dir", default=os.path.join(HERE, "results"))
    ap.add_argument("--catchup-timeout", type=int, default=1800)
    ap.add_argument("--no-warmup-catchup", action="store_true",
                    help="skip the unmeasured catch-up by each replicator that warms the bed "
                         "before the ceilings and the measured runs")
    ap.add_argument("--runs", type=int, default=3,
                    help="catch-ups per replicator and runs of each ceiling; the median is "
                         "reported (on 2 shared cores one run can land anywhere in ±30%%)")
    a = ap.parse_args(argv)
    if a.quick:
        a.records = min(a.records, 100_000)
        a.steady_seconds = min(a.steady_seconds, 20)
        a.warmup_seconds = min(a.warmup_seconds, 5)
    if a.runs < 1:
        raise SystemExit("--runs must be at least 1")
    if a.steady_windows < 1:
        raise SystemExit("--steady-windows must be at least 1")

    rec_bytes = a.record_size + KEY_BYTES + HEADER_BYTES
    data_gb = a.records * rec_bytes / 1e9
    steady_gb = a.rate_mbps * (a.warmup_seconds + a.steady_seconds) / 1e3 * a.steady_windows
    # source: catch-up + steady; target: one replicator's copy at a time (deleted after), x1.1
    need_gb = (2 * data_gb + 2 * steady_gb) * 1.1 + 0.5
    free_gb = shutil.disk_usage(a.log_dirs).free / 1e9
    log(f"log dirs on {a.log_dirs}: {free_gb:.1f} GB free, about {need_gb:.1f} GB needed")
    if free_gb < need_gb:
        raise SystemExit(f"not enough space in {a.log_dirs}: {free_gb:.1f} GB free, "
                         f"{need_gb:.1f} GB needed (use --log-dirs DIR)")

    kmirror, loadgen = ensure_binaries(a)
    state = tempfile.mkdtemp(prefix="kmirror-bench-")
    os.rmdir(state)
    os.environ["KMIRROR_TESTBED_BASE_DIR"] = a.log_dirs

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    result: dict = {
        "started": started,
        "command": "bench/run.sh " + shlex.join(argv),
        "params": {"records": a.records, "record_size": a.record_size, "record_bytes": rec_bytes,
                   "partitions": a.partitions, "compression": a.compression,
                   "rate_mbps": a.rate_mbps, "steady_seconds": a.steady_seconds,
                   "steady_windows": a.steady_windows,
                   "warmup_seconds": a.warmup_seconds, "runs": a.runs,
                   "mm2_heap": a.mm2_heap, "seed_tuning": not a.no_seed_tuning,
                   "broker_jvm_opts": a.broker_jvm_opts,
                   "log_dirs": ("tmpfs " if a.log_dirs.startswith("/dev/shm") else "")
                   + a.log_dirs},
        "replicators": {},
    }
    rc = 0
    try:
        log("starting the test bed")
        env = bed_up(state, a.broker_jvm_opts)
        result["machine"] = machine_info(env, kmirror)
        tools = Tools(loadgen, env)
        prepare_clusters(tools)
        with tempfile.TemporaryDirectory(prefix="kmirror-bench-work-") as work:
            a.work = work
            tools.create(tools.src, CATCHUP_TOPIC, a.partitions)
            log(f"preloading {a.records} records ({data_gb:.2f} GB)")
            pre = tools.lg("produce", tools.src, CATCHUP_TOPIC, "-n", str(a.records), "-s",
                           str(a.record_size), "-c", a.compression)
            log(f"preload: {pre['mb_per_s']} MB/s")
            plan = [("kmirror", "km")] if not a.skip_kmirror else []
            plan += [("mm2", "mm")] if not a.skip_mm2 else []
            if a.mm2_first:
                plan.reverse()
            if not a.no_warmup_catchup:
                result["warmup_catchups"] = warm_up(plan, a, tools, work, kmirror, rec_bytes)
            result["ceilings"] = measure_ceilings(a, tools)
            result["ceilings"]["preload_mb_per_s"] = pre["mb_per_s"]
            for name, alias in plan:
                try:
                    result["replicators"][name] = run_replicator(name, alias, a, tools, work,
                                                                 kmirror, rec_bytes)
                except BenchError as e:
                    log(f"{name}: {e}")
                    result["replicators"][name] = {"name": name, "error": str(e)[:2000]}
                    rc = 1
            tools.delete(tools.src, CATCHUP_TOPIC)
    except KeyboardInterrupt:
        log("interrupted; stopping")
        rc = 130
    except BenchError as e:
        log(str(e))
        rc = 1
    finally:
        subprocess.run([sys.executable, TESTBED, "down", "--state-dir", state],
                       stdout=subprocess.DEVNULL)
    if "ceilings" not in result:
        return rc or 1
    result["targets"] = evaluate(result)
    md = markdown(result)
    print(md)
    os.makedirs(a.results_dir, exist_ok=True)
    variant = f"{a.records}x{a.record_size}B-p{a.partitions}-{a.compression}"
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for base in (f"{stamp}-{variant}", "latest"):
        with open(os.path.join(a.results_dir, base + ".json"), "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        with open(os.path.join(a.results_dir, base + ".md"), "w", encoding="utf-8") as f:
            f.write(md)
    log(f"saved {os.path.join(a.results_dir, stamp + '-' + variant)}.{{json,md}} and latest.*")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
