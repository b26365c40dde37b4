"""Central ingest benchmark through a real Mosquitto (issue 8, "Numbers").

    .venv/bin/python bench/bench_ingest.py            # full run, writes bench/results/ingest.md
    .venv/bin/python bench/bench_ingest.py --quick    # smaller counts, prints only

Measures, in one run and on one broker:
1. Mosquitto's raw throughput: one publisher process, one subscriber, QoS 1, the same payloads.
2. Central into SQLite and into PostgreSQL: capacity (publish as fast as possible, time to the last
   commit) and a sustained offered rate (default 5,000 events/s) with publish-to-commit latency
   (device ``ts`` stamped at publish, to the commit of the batch holding it).
3. A 150,000-event backlog queued at the broker while central is down, drained while live traffic
   continues.
4. Two central instances on one shared subscription: every event stored exactly once.

Publishers run in their own processes (devices are other machines in production); central runs in this
process exactly as ``python -m central serve`` runs it (paho network thread + batch writer thread).
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import os
import platform
import socket
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgpack
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from central import devices
from central.ingest import Ingest
from central.service import Central
from central.store import Store
from core import wire
from core.wire import Channel
from emulator.broker import BrokerConfig, MosquittoBroker

SITE = "cgk"
GATES = [f"gate-{i:03d}" for i in range(100)]
PG_DSN = os.environ.get("PG_DSN", "postgresql://postgres@127.0.0.1/postgres")
RESULTS = Path(__file__).resolve().parent / "results" / "ingest.md"
# As in deploy/mosquitto.conf.example: persistence on, saved every 30 s (the test fixture's "save on
# every change" is for kill -9 tests and costs a file write per message).
PERSISTENCE = ["autosave_on_changes false", "autosave_interval 30"]
PUBLISHERS = 2  # processes, each speaking for half of the gates


# --- the publisher (a separate process standing in for 100 gates) ----------------------------------


def _crossing(device_id: str, n: int) -> wire.CrossingRecord:
    return wire.CrossingRecord(
        device_id=device_id,
        ts=datetime.now(UTC),
        session_id=wire.new_event_id(),
        site=SITE,
        direction=wire.Direction.DEPARTURE if n % 2 else wire.Direction.ARRIVAL,
        outcome=wire.CrossingOutcome.CROSSED,
        document=wire.DocumentFields(
            document_code="P",
            issuing_state="IDN",
            document_number=f"B{n % 10_000_000:07d}",
            nationality="IDN",
            surname="SANTOSO",
            given_names="BUDI",
            birth_date="1985-03-14",
            sex="M",
            expiry_date="2031-03-13",
        ),
        timings_ms=wire.StepTimings(scan=1800, entry_door=900, face=1300, exit_door=800, total=6100),
        scores=wire.MatchScores(face=0.71, cekal=0.12),
        watchlist_version=42,
    )


# A hand-rolled MQTT 3.1.1 publisher: paho's per-message Python work and wake-ups made the old Python
# publisher, not the broker nor central, the ceiling of the run. The payloads are real wire messages
# (``wire.encode`` of a crossing per gate) whose event id and ``ts`` are patched in place per send: the
# template holds sentinel values whose msgpack bytes occur exactly once (``templates`` checks it and
# decodes a patched copy).
SENTINEL_ID = "00000000-0000-7000-8000-000000000000"
SENTINEL_TS = datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
SEND_BATCH = 100  # PUBLISH packets per socket write
WINDOW = 5000  # unacknowledged QoS 1 messages per publisher process


def _ts_bytes(when: float) -> bytes:
    """The 8-byte msgpack Timestamp (ext -1) for ``when``, as ``wire.encode`` writes a datetime."""
    seconds = int(when)
    micros = min(999_999, max(1, round((when - seconds) * 1e6)))  # never 0: that is the 4-byte form
    return b"\xd7\xff" + ((micros * 1000 << 34) | seconds).to_bytes(8, "big")


SENTINEL_TS_BYTES = b"\xd7\xff" + msgpack.Timestamp.from_datetime(SENTINEL_TS).to_bytes()


def templates(gates: list[str]) -> list[tuple[bytes, bytes]]:
    """(topic, payload template) per gate, checked: both sentinels occur once, and a patched copy
    decodes as the crossing it stands for."""
    out = []
    sentinel_ts = SENTINEL_TS_BYTES
    for n, gate in enumerate(gates):
        msg = dataclasses.replace(_crossing(gate, n), ts=SENTINEL_TS, event_id=SENTINEL_ID)
        payload = wire.encode(msg)
        assert payload.count(SENTINEL_ID.encode()) == 1 and payload.count(sentinel_ts) == 1, gate
        topic = wire.topic_for(SITE, "gate", gate, Channel.EVENT).encode()
        out.append((topic, payload))
    topic, payload = out[0]
    now, event_id = time.time(), wire.new_event_id()
    patched = payload.replace(SENTINEL_ID.encode(), event_id.encode()).replace(sentinel_ts, _ts_bytes(now))
    decoded = wire.decode_from_topic(topic.decode(), patched)
    assert decoded.event_id == event_id and abs(decoded.ts.timestamp() - now) < 0.001, decoded
    return out


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(value: bytes) -> bytes:
    return len(value).to_bytes(2, "big") + value


def _connect(port: int, client_id: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = _string(b"MQTT") + bytes([4, 0x02]) + (60).to_bytes(2, "big") + _string(client_id.encode())
    sock.sendall(b"\x10" + _varint(len(body)) + body)
    connack = sock.recv(4)
    if connack[:1] != b"\x20" or connack[3:4] != b"\x00":
        raise SystemExit(f"the broker refused the benchmark publisher: {connack!r}")
    return sock


class _Acks:
    """Counts the broker's PUBACKs (4-byte packets) arriving on ``sock``."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer, self.count = sock, b"", 0

    def read(self, block: bool) -> None:
        self.sock.setblocking(block)
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        finally:
            self.sock.setblocking(True)
        self.buffer += data
        whole = len(self.buffer) // 4
        self.count += whole
        self.buffer = self.buffer[whole * 4 :]


def publish(port: int, count: int, rate: float, result: Any, client_id: str, part: int, parts: int) -> None:
    """Publish ``count`` crossing events (QoS 1) round-robin over this part's gates, at ``rate``/s (0:
    as fast as the broker takes them); every payload gets a fresh event id and ``ts`` = now."""
    gates = GATES[part::parts]
    prepared = templates(gates)
    sentinel_id, sentinel_ts = SENTINEL_ID.encode(), SENTINEL_TS_BYTES
    new_id = wire.new_event_id
    sock = _connect(port, client_id)
    acks = _Acks(sock)
    start = time.time()
    sent = 0
    packet_id = 0
    while sent < count:
        n = min(SEND_BATCH, count - sent)
        if rate:
            delay = start + (sent + n) / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        while sent - acks.count > WINDOW:
            acks.read(block=True)
        stamp = _ts_bytes(time.time())
        packets = []
        for i in range(sent, sent + n):
            topic, template = prepared[i % len(prepared)]
            payload = template.replace(sentinel_id, new_id().encode()).replace(sentinel_ts, stamp)
            packet_id = packet_id % 65535 + 1
            body = _string(topic) + packet_id.to_bytes(2, "big") + payload
            packets.append(b"\x32" + _varint(len(body)) + body)
        sock.sendall(b"".join(packets))
        sent += n
        acks.read(block=False)
    while acks.count < count:
        acks.read(block=True)
    result.put({"start": start, "end": time.time(), "count": count})
    sock.sendall(b"\xe0\x00")  # DISCONNECT
    sock.close()


class Publishers:
    """``parts`` processes sharing ``count`` events and the offered ``rate`` between them."""

    def __init__(self, port: int, count: int, rate: float = 0.0, parts: int | None = None) -> None:
        parts = parts or PUBLISHERS
        self.results: Any = mp.Queue()
        share = count // parts
        self.processes = [
            mp.Process(
                target=publish,
                args=(
                    port,
                    share + (count % parts if part == 0 else 0),
                    rate / parts,
                    self.results,
                    f"bench-pub-{uuid.uuid4().hex[:6]}",
                    part,
                    parts,
                ),
            )
            for part in range(parts)
        ]
        for process in self.processes:
            process.start()

    def join(self, timeout: float = 600) -> dict[str, float]:
        """Start of the first publisher, end of the last, and how many were sent."""
        parts = [self.results.get(timeout=timeout) for _ in self.processes]
        for process in self.processes:
            process.join()
        return {
            "start": min(p["start"] for p in parts),
            "end": max(p["end"] for p in parts),
            "count": sum(p["count"] for p in parts),
        }


# --- measurements ----------------------------------------------------------------------------------


def _raw_subscriber(port: int, expected: int, ready: threading.Event, out: dict[str, float]) -> None:
    """A socket-level MQTT 3.1.1 subscriber (QoS 1, PUBACK for every message, sent in batches): what
    the broker itself delivers, without a Python client library's cost per message."""
    sock = _connect(port, f"bench-raw-{uuid.uuid4().hex[:6]}")
    filt = wire.subscription(Channel.EVENT).encode()
    body = (1).to_bytes(2, "big") + _string(filt) + b"\x01"
    sock.sendall(b"\x82" + _varint(len(body)) + body)
    buffer = sock.recv(5)  # SUBACK
    ready.set()
    buffer, received, last = b"", 0, 0.0
    sock.settimeout(60)
    while received < expected:
        buffer += sock.recv(1 << 20)
        pos, acks = 0, []
        while True:
            if len(buffer) - pos < 2:
                break
            length, shift, i = 0, 0, pos + 1
            while i < len(buffer):
                byte = buffer[i]
                length |= (byte & 0x7F) << shift
                shift += 7
                i += 1
                if not byte & 0x80:
                    break
            else:
                break
            if len(buffer) - i < length or (buffer[i - 1] & 0x80):
                break
            if buffer[pos] & 0xF0 == 0x30:
                topic_len = int.from_bytes(buffer[i : i + 2], "big")
                acks.append(b"\x40\x02" + buffer[i + 2 + topic_len : i + 4 + topic_len])
                received += 1
            pos = i + length
        buffer = buffer[pos:]
        if acks:
            sock.sendall(b"".join(acks))
            last = time.time()
    out.update(count=received, last=last)
    sock.close()


def raw_throughput(broker: MosquittoBroker, count: int, *, paho_subscriber: bool = False) -> dict[str, float]:
    """Mosquitto alone, fed by the same publishers: a socket-level subscriber (``paho_subscriber``:
    a paho subscriber, the Python client library's own ceiling)."""
    if not paho_subscriber:
        ready, out = threading.Event(), dict[str, float]()
        thread = threading.Thread(target=_raw_subscriber, args=(broker.port, count, ready, out))
        thread.start()
        ready.wait(10)
        publishers = Publishers(broker.port, count)
        thread.join(300)
        info = publishers.join()
        elapsed = out["last"] - info["start"]
        return {"count": out["count"], "seconds": elapsed, "rate": out["count"] / elapsed}
    received = 0
    last = 0.0
    done = threading.Event()

    def on_message(_c: mqtt.Client, _u: Any, _m: mqtt.MQTTMessage) -> None:
        nonlocal received, last
        received += 1
        last = time.time()
        if received == count:
            done.set()

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw-sub", protocol=mqtt.MQTTv5)
    sub.on_message = on_message
    sub.connect(broker.host, broker.port)
    sub.subscribe(wire.subscription(Channel.EVENT), qos=1)
    sub.loop_start()
    time.sleep(0.5)
    publishers = Publishers(broker.port, count)
    done.wait(300)
    info = publishers.join()
    sub.disconnect()
    sub.loop_stop()
    elapsed = last - info["start"]
    return {"count": received, "seconds": elapsed, "rate": received / elapsed}


def pg_url() -> tuple[str, str] | None:
    try:
        import psycopg

        name = f"bench_ingest_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        print(f"PostgreSQL not reachable ({exc}); skipping its runs", file=sys.stderr)
        return None
    base = PG_DSN.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+psycopg://{base}/{name}", name


def drop_pg(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_central(url: str) -> Central:
    store = Store(url)
    central = Central(store)
    for gate in GATES:
        devices.add_device(store, gate, kind="gate", site=SITE, now=central.clock.now())
    return central


STALL = 30.0  # seconds without a new stored event before a run is given up


def wait_stored(central: Central, expected: int, timeout: float) -> float:
    """Wall time when ``expected`` events are in the store (polls the count; fails after ``timeout``,
    or after ``STALL`` seconds without progress: the benchmark's publishers do not re-send, so events
    the broker handed to a session nobody reads never arrive)."""
    deadline = time.time() + timeout
    last, progressed = -1, time.time()
    while time.time() < deadline:
        stored = central.store.count("events")
        if stored >= expected:
            return time.time()
        if stored != last:
            last, progressed = stored, time.time()
        elif time.time() - progressed > STALL:
            raise SystemExit(
                f"stuck at {stored} of {expected} events stored for {STALL:.0f} s: did a stopped "
                "ingest's persistent session stay in the shared group (the broker queues its share)?"
            )
        time.sleep(0.05)
    raise SystemExit(f"only {central.store.count('events')} of {expected} events stored after {timeout} s")


@dataclass
class Run:
    label: str
    count: int
    seconds: float
    latencies: list[float]
    cpu: float = 0.0  # CPU seconds of the ingest process(es), every thread, for the whole run
    procs: int = 1

    @property
    def cpu_per_event_us(self) -> float:
        return self.cpu / self.count * 1e6

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def _ingest_worker(
    url: str, broker_url: str, client_id: str, keep: int, ready: Any, stop: Any, out: Any, leave: bool
) -> None:
    """One central ingest process (as ``serve`` runs it) on the shared subscription; reports its stats
    and its CPU seconds (all threads) when told to stop. ``leave``: unsubscribe when stopping (a run's
    instances leave the group, so that the next run's are its only members); otherwise the broker
    keeps the session and queues its share, as for a central that restarts."""
    central = Central(Store(url, create=False))
    ingest = Ingest(central, broker_url, client_id=client_id, keep_latencies=keep).start()
    ready.set()
    cpu = time.process_time()
    stop.wait(900)
    cpu = time.process_time() - cpu
    ingest.stop(leave_group=leave)
    central.store.close()
    stats = ingest.stats
    out.put(
        {
            "stored": stats.stored,
            "duplicates": stats.duplicates,
            "cpu": cpu,
            "latencies": stats.commit_latencies,
            "batches": stats.batches,
        }
    )


class Ingests:
    """``n`` central ingest processes on one shared subscription (``n == 1``: the single process)."""

    def __init__(
        self, url: str, broker_url: str, n: int, keep: int, prefix: str = "central", leave: bool = True
    ) -> None:
        self.stop = mp.Event()
        self.out: mp.Queue[dict[str, Any]] = mp.Queue()
        self.processes = []
        for i in range(n):
            ready = mp.Event()
            process = mp.Process(
                target=_ingest_worker,
                args=(url, broker_url, f"{prefix}-{i}", keep, ready, self.stop, self.out, leave),
            )
            process.start()
            if not ready.wait(60):
                raise SystemExit("an ingest process did not connect in 60 s")
            self.processes.append(process)

    def finish(self) -> list[dict[str, Any]]:
        self.stop.set()
        results = [self.out.get(timeout=120) for _ in self.processes]
        for process in self.processes:
            process.join(60)
        return results


def ingest_run(broker: MosquittoBroker, url: str, label: str, count: int, rate: float, procs: int = 1) -> Run:
    central = new_central(url)
    ingests = Ingests(url, broker.url, procs, keep=count, prefix=f"central-{uuid.uuid4().hex[:6]}")
    try:
        info = Publishers(broker.port, count, rate).join()
        done = wait_stored(central, count, timeout=600)
    finally:
        results = ingests.finish()
        central.store.close()
    latencies = [x for r in results for x in r["latencies"]]
    cpu = sum(r["cpu"] for r in results)
    return Run(label, count, done - info["start"], latencies, cpu, procs)


def backlog_run(
    tmp: Path, url: str, backlog: int, live_rate: float, live_seconds: float, procs: int
) -> dict[str, float]:
    broker = MosquittoBroker(
        tmp / "backlog-broker", BrokerConfig(max_queued_messages=backlog + 50_000, extra=PERSISTENCE)
    ).start()
    try:
        central = new_central(url)
        # Central runs once so that the broker knows its (persistent, shared) subscriptions, then goes down.
        # (Without leaving the group: the broker must keep the sessions and queue the backlog for them.)
        Ingests(url, broker.url, procs, keep=0, prefix="central-backlog", leave=False).finish()
        Publishers(broker.port, backlog).join()
        live_count = int(live_rate * live_seconds)
        live = Publishers(broker.port, live_count, live_rate)
        start = time.time()
        ingests = Ingests(url, broker.url, procs, keep=0, prefix="central-backlog")
        try:
            done = wait_stored(central, backlog + live_count, timeout=600)
            live.join()
        finally:
            cpu = sum(r["cpu"] for r in ingests.finish())
        stored = central.store.count("events")
        central.store.close()
        return {
            "backlog": backlog,
            "live": live_count,
            "seconds": done - start,
            "stored": stored,
            "cpu_us": cpu / (backlog + live_count) * 1e6,
        }
    finally:
        broker.kill()


def shared_run(broker: MosquittoBroker, url: str, count: int) -> dict[str, int]:
    first = new_central(url)
    second = Central(Store(url, create=False))
    a = Ingest(first, broker.url, client_id="central-a").start()
    b = Ingest(second, broker.url, client_id="central-b").start()
    try:
        Publishers(broker.port, count).join()
        wait_stored(first, count, timeout=600)
        time.sleep(1.0)  # let any straggler re-delivery land before counting
        return {
            "sent": count,
            "rows": first.store.count("events"),
            "instance_a": a.stats.stored,
            "instance_b": b.stats.stored,
            "duplicates_seen": a.stats.duplicates + b.stats.duplicates,
        }
    finally:
        a.stop(leave_group=True)
        b.stop(leave_group=True)
        first.store.close()
        second.store.close()


# --- the report ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small counts; print, do not write results")
    parser.add_argument("--rate", type=float, default=5000.0, help="offered rate of the sustained run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the sustained run")
    parser.add_argument("--procs", default="1,2", help="ingest process counts to compare (shared sub)")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    capacity_n = 10_000 if args.quick else 30_000
    sustained_s = 4 if args.quick else args.seconds
    backlog_n = 20_000 if args.quick else 150_000
    shared_n = 5_000 if args.quick else 20_000
    procs_list = [int(p) for p in args.procs.split(",")]
    out: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        out.append(text)

    say("# Central ingest benchmark")
    say()
    say(f"- {time.strftime('%Y-%m-%d %H:%M %Z')}; load average before: {os.getloadavg()[0]:.2f}; ")
    say(
        f"  {os.cpu_count()} CPUs; Python {platform.python_version()}; "
        f"`bench/bench_ingest.py {' '.join(sys.argv[1:])}`"
    )
    say(f"- Publishers: {PUBLISHERS} processes, socket-level MQTT 3.1.1, QoS 1, window {WINDOW}, real")
    say("  `crossing` wire messages (fresh event id and `ts` per send). Central: paho MQTT 5, manual")
    say("  PUBACK after commit, `events_ack` to each gate after commit, N processes on `$share/central/...`.")
    say()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        broker = MosquittoBroker(
            tmp / "broker", BrokerConfig(max_queued_messages=500_000, extra=PERSISTENCE)
        ).start()
        pg_names: list[str] = []

        def fresh(kind: str, name: str) -> str | None:
            if kind == "sqlite":
                return f"sqlite:///{tmp / (name + '.db')}"
            created = pg_url()
            if created is None:
                return None
            pg_names.append(created[1])
            return created[0]

        try:
            raw = raw_throughput(broker, capacity_n)
            raw_paho = raw_throughput(broker, capacity_n, paho_subscriber=True)
            say("## Mosquitto alone (same publishers, same run)")
            say()
            say(
                f"- socket-level subscriber: **{raw['rate']:,.0f} messages/s** "
                f"({raw['count']:,} in {raw['seconds']:.2f} s)"
            )
            say(
                f"- paho subscriber (the Python client library's ceiling): {raw_paho['rate']:,.0f} messages/s"
            )
            say()
            kinds = ["sqlite"] if args.skip_pg else ["sqlite", "postgresql"]
            say("## Throughput (flat out) and latency (offered rate)")
            say()
            say("| store | ingest procs | offered | stored | of raw | CPU/event (ingest) | p50 | p99 | max |")
            say("|---|---|---|---|---|---|---|---|---|")
            best: dict[str, Run] = {}
            sustained: dict[str, Run] = {}
            for kind in kinds:
                label = "SQLite (WAL)" if kind == "sqlite" else "PostgreSQL"

                def row(run: Run, offered: str, label: str = label) -> None:
                    lat = (
                        f"{run.pct(50) * 1000:.0f} ms | {run.pct(99) * 1000:.0f} ms | "
                        f"{max(run.latencies) * 1000:.0f} ms"
                        if offered != "flat out"
                        else "– | – | –"
                    )
                    say(
                        f"| {label} | {run.procs} | {offered} | {run.rate:,.0f}/s | "
                        f"{run.rate / raw['rate']:.0%} | "
                        f"{run.cpu_per_event_us:.0f} µs | {lat} |"
                    )

                for procs in procs_list:
                    url = fresh(kind, f"capacity-{procs}")
                    if url is None:
                        break
                    run = ingest_run(broker, url, label, capacity_n, 0.0, procs)
                    row(run, "flat out")
                    if kind not in best or run.rate > best[kind].rate:
                        best[kind] = run
                if kind not in best:
                    continue
                procs = best[kind].procs
                for rate in (args.rate, round(best[kind].rate * 0.6, -1)):
                    url = fresh(kind, f"sustained-{rate:.0f}")
                    assert url is not None
                    run = ingest_run(broker, url, label, int(rate * sustained_s), rate, procs)
                    row(run, f"{rate:,.0f}/s")
                    sustained.setdefault(kind, run)
            say()
            backlog_procs = best["sqlite"].procs
            backlog = backlog_run(
                tmp, f"sqlite:///{tmp / 'backlog.db'}", backlog_n, 100.0, 20.0, backlog_procs
            )
            say("## Backlog")
            say()
            say(
                f"{backlog['backlog']:,} events queued at the broker while central was down, then "
                f"{backlog_procs} ingest process(es) started while live traffic went on at 100 events/s: "
                f"**{backlog['seconds']:.1f} s** until all {backlog['backlog'] + backlog['live']:,} were "
                f"stored in SQLite ({backlog['stored']:,} rows; {backlog['cpu_us']:.0f} µs CPU per event)."
            )
            say()
            shared_url = fresh(kinds[-1] if kinds[-1] in best else "sqlite", "shared")
            assert shared_url is not None
            shared = shared_run(broker, shared_url, shared_n)
            say("## Two instances on one shared subscription")
            say()
            say(
                f"sent {shared['sent']:,}, rows {shared['rows']:,}; instance A stored "
                f"{shared['instance_a']:,}, instance B {shared['instance_b']:,}; duplicates seen "
                f"{shared['duplicates_seen']}."
            )
            say()
        finally:
            broker.kill()
            for name in pg_names:
                drop_pg(name)
    say("## Against the targets")
    say()
    say("| target | measured | met? |")
    say("|---|---|---|")
    for kind, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        if kind in best:
            b, r = best[kind], sustained[kind]
            say(
                f"| ≥ 5,000 events/s into {label} | {b.rate:,.0f}/s flat out ({b.procs} proc, "
                f"{b.rate / raw['rate']:.0%} of raw); all {r.count:,} stored at {args.rate:,.0f}/s offered "
                f"({r.rate:,.0f}/s counted to the last commit, so the drain tail included) | "
                # Capacity above the target, and the offered target rate kept up with: every event of
                # the sustained run stored (the run fails otherwise) with p99 within the latency target.
                f"{'yes' if b.rate >= 5000 and args.rate >= 5000 and r.pct(99) <= 0.5 else '**no**'} |"
            )
            say(
                f"| p99 publish-to-commit ≤ 500 ms ({label}, {args.rate:,.0f}/s offered) | "
                f"{r.pct(99) * 1000:.0f} ms | {'yes' if r.pct(99) <= 0.5 else '**no**'} |"
            )
    say(
        f"| {backlog_n:,}-event backlog drained ≤ 60 s with live traffic | {backlog['seconds']:.1f} s | "
        f"{'yes' if backlog['seconds'] <= 60 else '**no**'} |"
    )
    once = shared["rows"] == shared["sent"] == shared["instance_a"] + shared["instance_b"]
    say(
        f"| two instances, one shared subscription, exactly once | {shared['rows']:,} rows of "
        f"{shared['sent']:,} sent | {'yes' if once else '**no**'} |"
    )
    say()
    say(f"Load average after: {os.getloadavg()[0]:.2f}.")
    if not args.quick:
        RESULTS.write_text("\n".join(out) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
