"""Listeners on the gate flow: outbox writes, structured logs and Prometheus metrics.

The flow only decides (STYLE.md); what it decided reaches central, the log and the metrics here.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from core import wire
from edge import codec
from edge.errors import OutboxFullError
from edge.flow import Fact, GateFlow
from edge.machine import TransitionRecord
from edge.publisher import EventPublisher

log = logging.getLogger("edge.flow")


class OutboxWriter:
    """Every fact becomes a ``core.wire`` event in the outbox (then MQTT); a full outbox stops the gate.

    ``ledger`` (optional) is an append-only file of every event id written, one per line, appended
    *after* the outbox commit: every id in it is durable, which is what the site emulator's no-loss
    reconciliation against central's store relies on.
    """

    def __init__(
        self,
        publisher: EventPublisher,
        device_id: str,
        *,
        site: str,
        direction: str = "departure",
        watchlist_version: Callable[[], int | None] = lambda: None,
        ledger: Path | None = None,
    ) -> None:
        self.publisher = publisher
        self.device_id = device_id
        self.site = site
        self.direction = direction
        self.watchlist_version = watchlist_version
        self.ledger = ledger
        self.topic = codec.event_topic(site, device_id)
        self.when_full: Callable[[], None] | None = None
        # Told (event id, seconds) after each event is stored: the outbox write and the hand-off to MQTT,
        # the controller's own share of a passage (the site emulator reports it as ``controller_ms``).
        self.when_emitted: Callable[[str, float], None] | None = None
        self._ledger_lock = threading.Lock()

    def on_fact(self, flow: GateFlow, fact: Fact) -> None:
        message = codec.fact_to_message(
            fact.kind,
            fact.fields,
            device_id=self.device_id,
            site=self.site,
            at=flow.clock.now(),
            direction=self.direction,
            watchlist_version=self.watchlist_version(),
        )
        if message is not None:
            self.emit(message)

    def emit(self, message: wire.Message) -> None:
        """Store one wire event (and publish it when the link is up)."""
        started = time.perf_counter()
        try:
            self.publisher.emit(self.topic, wire.encode(message), event_id=message.event_id)
        except OutboxFullError:
            # The reserve below the hard limit should make this unreachable; never drop silently.
            log.critical(
                json.dumps(
                    {"msg": "outbox full, event not stored", "type": message.TYPE, "id": message.event_id}
                )
            )
            if self.when_full is not None:
                self.when_full()
            return
        if self.ledger is not None:
            with self._ledger_lock, self.ledger.open("a", encoding="ascii") as out:
                out.write(message.event_id + "\n")
        if self.when_emitted is not None:
            self.when_emitted(message.event_id, time.perf_counter() - started)


class JsonLog:
    """One JSON line per transition and fact (SOP A08 SLA: every stage is timestamped)."""

    def on_transition(self, flow: GateFlow, record: TransitionRecord) -> None:
        log.info(
            json.dumps(
                {
                    "gate": flow.gate_id,
                    "event": record.event,
                    "from": record.source,
                    "to": record.target,
                    "t": round(record.at, 4),
                }
            )
        )

    def on_fact(self, flow: GateFlow, fact: Fact) -> None:
        log.info(json.dumps({"gate": flow.gate_id, "fact": fact.kind, **_jsonable(dict(fact.fields))}))


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(fields, default=str))  # type: ignore[no-any-return]


class Metrics:
    """Passengers, outcomes, step durations, state, alarms; outbox depth and link state are gauges
    the runtime sets. Registered on its own registry so several gates can run in one process."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.passengers = Counter("gate_passengers", "passengers by outcome", ["outcome"], registry=r)
        self.rejected = Counter(
            "gate_rejected_documents", "documents refused at the scan", ["reason"], registry=r
        )
        self.alarms = Counter("gate_alarms", "alarms raised", ["alarm"], registry=r)
        self.steps = Histogram(
            "gate_step_seconds", "seconds from document read to each step", ["step"],
            buckets=(0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60), registry=r,
        )  # fmt: skip
        self.state = Gauge("gate_state", "1 for the current flow state", ["state"], registry=r)
        self.outbox_depth = Gauge("gate_outbox_depth", "events waiting for central's ack", registry=r)
        self.link_up = Gauge("gate_link_connected", "1 when the MQTT link is connected", registry=r)
        self.watchlist_age = Gauge("gate_watchlist_age_seconds", "age of the watch-list snapshot", registry=r)
        self._current = ""

    def on_transition(self, flow: GateFlow, record: TransitionRecord) -> None:
        if self._current:
            self.state.labels(self._current).set(0)
        self._current = record.target
        self.state.labels(record.target).set(1)

    def on_fact(self, flow: GateFlow, fact: Fact) -> None:
        if fact.kind == "crossing":
            self.passengers.labels(fact.fields["outcome"]).inc()
            for step, seconds in dict(fact.fields.get("timings", {})).items():
                self.steps.labels(step).observe(float(seconds))
        elif fact.kind == "rejected_attempt":
            self.rejected.labels(fact.fields["reason"]).inc()
        elif fact.kind == "alarm" and fact.fields.get("raised"):
            self.alarms.labels(fact.fields["alarm"]).inc()
