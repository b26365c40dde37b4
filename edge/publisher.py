"""Outbox first, then the link: the one way gate events leave the board.

``EventPublisher.emit`` appends to the ``Outbox`` (fsynced) and only then hands the message to the
``MqttLink``; it never waits for the network, so the flow is never blocked by a slow or absent broker.
When the link (re)connects, a worker thread replays every stored event in append order, in batches, while
new events wait their turn behind it, so central sees them in order (duplicates only in transport:
central stores by event id). Central's stored-events ack on ``ack_topic`` deletes the events it names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from core.clock import Clock, Timer
from edge.outbox import Outbox, OutboxEntry

AckDecoder = Callable[[bytes], list[str]]


class Link(Protocol):
    """What the publisher needs of ``edge.link.MqttLink`` (a test double may stand in)."""

    @property
    def is_connected(self) -> bool: ...

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool: ...

    def subscribe(self, topic: str, handler: Callable[[str, bytes], None], *, qos: int = 1) -> None: ...


class EventPublisher:
    """Store-and-forward of gate events over one link."""

    def __init__(
        self,
        outbox: Outbox,
        link: Link,
        *,
        ack_topic: str,
        decode_ack: AckDecoder,
        clock: Clock,
        replay_interval_s: float = 60.0,
        batch_size: int = 200,
    ) -> None:
        self.outbox = outbox
        self.link = link
        self.ack_topic = ack_topic
        self.decode_ack = decode_ack
        self.clock = clock
        self.replay_interval_s = replay_interval_s
        self.batch_size = batch_size
        self.when_ack_refused: Callable[[bytes, Exception], None] | None = None
        # Called after the outbox commit and before the publish (tests use it to kill the process there).
        self.after_store: Callable[[OutboxEntry], None] | None = None
        self._emit_lock = threading.RLock()
        self._lock = threading.Lock()
        # Order across a reconnect: once an event could not be handed on (link down, publish refused),
        # newer events wait for a replay to catch up, even when the link already says "connected". The
        # link sets is_connected before its when_connected hook starts the replay; an event emitted in
        # between used to overtake the stored ones (the flaky in-order replay test).
        self._behind = outbox.depth() > 0
        self._replaying = False
        self._cursor = 0
        self._timer: Timer | None = None
        self._closed = False

    def start(self) -> None:
        """Subscribe to acks and start the periodic replay of events central has not acked yet."""
        self.link.subscribe(self.ack_topic, self._on_ack)
        self._schedule()

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()

    def emit(self, topic: str, payload: bytes, *, event_id: str) -> OutboxEntry:
        """Store the event, then publish it unless a replay is running (the replay will reach it).

        Raises ``OutboxFullError`` when the outbox is at its limit: the caller takes the gate out of
        service rather than drop the event.
        """
        try:
            with self._emit_lock:
                # Appended and handed on under one lock: two threads emitting at once are published in
                # their append (seq) order.
                entry = self.outbox.append(topic, payload, event_id=event_id, announce=False)
                if self.after_store is not None:
                    self.after_store(entry)
                self._hand_on(entry)
        finally:
            # The outbox's when_full (the gate then raises an alarm and goes out of service) runs only
            # now: after this event was handed on and with no lock held, so the alarm cannot overtake
            # the event that filled the outbox, and a callback into the flow cannot deadlock with a
            # flow thread emitting at the same time.
            self.outbox.announce()
        return entry

    def _hand_on(self, entry: OutboxEntry) -> None:
        with self._lock:
            if self._replaying:
                return  # the running replay reaches it (its last batch is read under _lock)
            if self._behind or not self.link.is_connected:
                self._behind = True
                return
            if self.link.publish(entry.topic, entry.payload):
                self._cursor = max(self._cursor, entry.seq)
            else:
                self._behind = True

    def replay(self) -> None:
        """Publish every stored event again, in order, on a worker thread (call on every connect)."""
        with self._lock:
            if self._replaying or self._closed:
                return
            self._replaying = True
            self._cursor = 0
        threading.Thread(target=self._replay_worker, name="outbox-replay", daemon=True).start()

    def replay_now(self) -> int:
        """The replay in the calling thread (tests, benchmarks); returns how many were handed on."""
        with self._lock:
            if self._replaying:
                return 0
            self._replaying = True
            self._cursor = 0
        return self._replay_worker()

    def _replay_worker(self) -> int:
        sent = 0
        while True:
            with self._lock:
                batch = self.outbox.pending(after_seq=self._cursor, limit=self.batch_size)
                if not batch or not self.link.is_connected:
                    # Checked under the lock that emit() takes, so no new event slips between the
                    # last batch and the end of the replay.
                    self._replaying = False
                    if not batch and self.link.is_connected:
                        self._behind = False  # caught up: emit may publish directly again
                    return sent
            for entry in batch:
                if not self.link.publish(entry.topic, entry.payload):
                    with self._lock:
                        self._replaying = False
                    return sent
                self.outbox.mark_attempted(entry.event_id)
                sent += 1
                with self._lock:
                    self._cursor = entry.seq

    def _on_ack(self, _topic: str, payload: bytes) -> None:
        try:
            ids = self.decode_ack(payload)
        except (ValueError, TypeError, KeyError) as exc:
            if self.when_ack_refused is not None:
                self.when_ack_refused(payload, exc)
            return
        self.outbox.acknowledge(ids)

    def _schedule(self) -> None:
        if self._closed or self.replay_interval_s <= 0:
            return

        def tick() -> None:
            if self.link.is_connected and self.outbox.depth():
                self.replay()
            self._schedule()

        self._timer = self.clock.call_later(self.replay_interval_s, tick)
