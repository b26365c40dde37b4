"""Topics and payload encoding for what the gate sends and receives.

The wire contract belongs in ``core/wire`` (being written in parallel); until it lands this module is
the single place the gate decides topics and bytes, so switching to ``core.wire`` changes only this file.
Payloads are msgpack maps with ``schema``, ``kind``, ``event_id``, ``device_id`` and ``at`` (ISO UTC)
beside the event's own fields.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime
from typing import Any

import msgpack

SCHEMA_VERSION = 1


def event_topic(device_id: str, kind: str) -> str:
    return f"gates/{device_id}/events/{kind}"


def ack_topic(device_id: str) -> str:
    return f"gates/{device_id}/ack"


def command_topic(device_id: str) -> str:
    return f"gates/{device_id}/cmd"


def status_topic(device_id: str) -> str:
    return f"gates/{device_id}/status"


def new_event_id() -> str:
    """A UUIDv7 (RFC 9562): time-ordered, so ids sort like the events they name."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def encode_event(kind: str, event_id: str, device_id: str, at: datetime, body: dict[str, Any]) -> bytes:
    envelope = {
        "schema": SCHEMA_VERSION,
        "kind": kind,
        "event_id": event_id,
        "device_id": device_id,
        "at": at.isoformat(),
        **body,
    }
    packed: bytes = msgpack.packb(envelope, use_bin_type=True)
    return packed


def decode_map(payload: bytes) -> dict[str, Any]:
    """A msgpack map, or ``ValueError`` saying what arrived instead."""
    try:
        value = msgpack.unpackb(payload, raw=False)
    except (msgpack.ExtraData, msgpack.FormatError, msgpack.StackError, ValueError) as exc:
        raise ValueError(f"payload is not msgpack: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"payload must be a msgpack map, got {type(value).__name__}")
    return value


def encode_ack(event_ids: list[str]) -> bytes:
    packed: bytes = msgpack.packb({"schema": SCHEMA_VERSION, "event_ids": event_ids}, use_bin_type=True)
    return packed


def decode_ack(payload: bytes) -> list[str]:
    """The event ids central says it committed."""
    ids = decode_map(payload).get("event_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError("stored-events ack must carry event_ids, a list of strings")
    return ids


def encode_status_offline(device_id: str) -> bytes:
    """The retained last will: central marks the gate offline when the broker loses it."""
    packed: bytes = msgpack.packb(
        {"schema": SCHEMA_VERSION, "kind": "status", "device_id": device_id, "online": False},
        use_bin_type=True,
    )
    return packed
