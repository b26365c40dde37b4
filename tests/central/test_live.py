"""The live bus hands every message to every dashboard stream, from any thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, AsyncIterator

from central.live import LiveBus, LiveMessage


async def close(stream: AsyncIterator[LiveMessage | None]) -> None:
    assert isinstance(stream, AsyncGenerator)
    await stream.aclose()


def test_a_message_published_from_another_thread_reaches_a_stream() -> None:
    bus = LiveBus()

    async def receive() -> LiveMessage | None:
        stream = bus.stream(heartbeat=5)
        first = asyncio.ensure_future(stream.__anext__())
        while bus.subscribers == 0:
            await asyncio.sleep(0)
        threading.Thread(target=bus.publish, args=("alert", {"alert_id": 1})).start()
        message = await first
        await close(stream)
        return message

    message = asyncio.run(receive())
    assert message == LiveMessage("alert", {"alert_id": 1})
    assert bus.subscribers == 0


def test_a_silent_stream_yields_a_heartbeat() -> None:
    bus = LiveBus()

    async def receive() -> LiveMessage | None:
        stream = bus.stream(heartbeat=0.01)
        message = await stream.__anext__()
        await close(stream)
        return message

    assert asyncio.run(receive()) is None


def test_a_message_renders_as_one_server_sent_event() -> None:
    assert (
        LiveMessage("device", {"device_id": "gate-01"}).sse()
        == 'event: device\ndata: {"device_id": "gate-01"}\n\n'
    )
