"""The live feed: ingest and commands publish here, each dashboard's server-sent-event stream reads.

Publishers run in any thread (the batch writer, the MQTT network thread); each subscriber is an asyncio
queue on the server's event loop, fed with ``call_soon_threadsafe``. A slow or gone browser only loses
its own oldest messages (bounded queue); the store, not this bus, is the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

QUEUE_SIZE = 1000


@dataclass(frozen=True)
class LiveMessage:
    kind: str  # "device", "event", "alert", "command"
    data: dict[str, Any]

    def sse(self) -> str:
        return f"event: {self.kind}\ndata: {json.dumps(self.data, default=str)}\n\n"


class LiveBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[LiveMessage]]] = []

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        message = LiveMessage(kind, data)
        with self._lock:
            targets = list(self._subscribers)
        for loop, queue in targets:
            with contextlib.suppress(RuntimeError):  # the loop closed under us: that browser is gone
                loop.call_soon_threadsafe(_offer, queue, message)

    async def stream(self, *, heartbeat: float = 15.0) -> AsyncIterator[LiveMessage | None]:
        """Messages as they come; ``None`` every ``heartbeat`` seconds of silence (keeps proxies open)."""
        queue: asyncio.Queue[LiveMessage] = asyncio.Queue(QUEUE_SIZE)
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._subscribers.append(entry)
        try:
            while True:
                try:
                    yield await asyncio.wait_for(queue.get(), heartbeat)
                except TimeoutError:
                    yield None
        finally:
            with self._lock:
                self._subscribers.remove(entry)


def _offer(queue: asyncio.Queue[LiveMessage], message: LiveMessage) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(message)
