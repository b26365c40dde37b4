"""Prometheus metrics: ingest rate and lag, quarantine, devices online, alerts open.

Each central instance has its own registry (tests build many apps in one process); the gauges that
describe the database are read from the store when Prometheus scrapes, so they are true for every
instance sharing that database.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from central.store import Store
from central.store import schema as t

LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class _StoreGauges(Collector):
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.store.engine.connect() as conn:
            online = conn.execute(
                sa.select(sa.func.count()).select_from(t.devices).where(t.devices.c.online.is_(True))
            ).scalar()
            alerts = conn.execute(
                sa.select(sa.func.count()).select_from(t.alerts).where(t.alerts.c.status != "closed")
            ).scalar()
            quarantined = conn.execute(sa.select(sa.func.count()).select_from(t.quarantine)).scalar()
        yield GaugeMetricFamily(
            "central_devices_online", "Devices whose last status said online", online or 0
        )
        yield GaugeMetricFamily("central_alerts_open", "Alerts not yet closed", alerts or 0)
        yield GaugeMetricFamily("central_quarantine_rows", "Messages kept in quarantine", quarantined or 0)


class Metrics:
    def __init__(self, store: Store) -> None:
        self.registry = CollectorRegistry()
        self.events_stored = Counter("central_events_stored", "Events newly stored", registry=self.registry)
        self.events_duplicate = Counter(
            "central_events_duplicate",
            "Events received again and ignored (already stored)",
            registry=self.registry,
        )
        self.quarantined = Counter(
            "central_messages_quarantined", "Malformed messages put in quarantine", registry=self.registry
        )
        self.batches = Counter(
            "central_ingest_batches", "Transactions committed by the ingest", registry=self.registry
        )
        self.lag = Histogram(
            "central_ingest_lag_seconds",
            "From the event's time on the device to its commit here",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_StoreGauges(store))

    def render(self) -> bytes:
        return generate_latest(self.registry)
