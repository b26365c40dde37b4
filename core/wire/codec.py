"""msgpack encoding and strict decoding of registered messages.

A payload is one msgpack map: ``{"type": <name>, "schema": <int>, <field>: <value>, ...}``. Datetimes
are msgpack Timestamp extensions (type -1), enums their string values, nested dataclasses maps,
tuples arrays, bytes bin. Decoding checks everything and raises only :class:`WireError` subclasses.
"""

from __future__ import annotations

import base64
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import msgpack

from core.wire.errors import (
    DecodeError,
    EncodeError,
    PayloadTooLarge,
    SchemaVersionError,
    UnknownMessageType,
)
from core.wire.schema import MESSAGE_TYPES, FieldProblem, Message, struct_codec
from core.wire.topics import Topic, parse_topic

MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
"""Default cap on a payload's size: a kiosk application with document photos fits; junk does not."""

SIGNATURE_FIELD = "signature"
M = TypeVar("M", bound=Message)


def _to_raw(msg: Message) -> dict[str, Any]:
    cls = type(msg)
    if cls.TYPE == "" or MESSAGE_TYPES.get(cls.TYPE) is not cls:
        raise EncodeError(f"{cls.__name__} is not a registered message type; decorate it with @message")
    try:
        return struct_codec(cls).encode_fields(msg, {"type": cls.TYPE, "schema": cls.SCHEMA})
    except FieldProblem as exc:
        raise EncodeError(f"cannot encode {cls.TYPE}.{exc.path}: {exc.reason}", field=exc.path) from None


def _pack(raw: Any) -> bytes:
    try:
        packed: bytes = msgpack.packb(raw, use_bin_type=True, datetime=True)
    except (OverflowError, ValueError, TypeError) as exc:
        raise EncodeError(f"cannot encode message: {exc} (integers must fit in 64 bits)") from None
    return packed


def encode(msg: Message) -> bytes:
    """The msgpack payload of ``msg``; :class:`EncodeError` names the field if a value is not allowed."""
    return _pack(_to_raw(msg))


def _sorted(value: Any) -> Any:
    if type(value) is dict:
        return {k: _sorted(value[k]) for k in sorted(value)}
    if type(value) is list:
        return [_sorted(v) for v in value]
    return value


def canonical_bytes(msg: Message) -> bytes:
    """The bytes a signature covers: the payload without its ``signature`` field, every map's keys
    sorted (recursively). Producers sign these bytes; verifiers rebuild them from the decoded message,
    so a signature vouches for exactly the values the receiver acts on."""
    raw = _to_raw(msg)
    raw.pop(SIGNATURE_FIELD, None)
    return _pack(_sorted(raw))


def decode(data: bytes | bytearray | memoryview, *, max_size: int = MAX_PAYLOAD_BYTES) -> Message:
    """Decode and validate one payload into its registered message class."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DecodeError(f"a payload must be bytes, not {type(data).__name__}")
    if len(data) > max_size:
        raise PayloadTooLarge(f"payload of {len(data)} bytes exceeds the {max_size}-byte cap")
    try:
        raw = msgpack.unpackb(data, raw=False, timestamp=3, strict_map_key=True)
    except Exception as exc:  # msgpack raises many kinds (ExtraData, FormatError, StackError, ...)
        raise DecodeError(f"payload is not valid msgpack: {type(exc).__name__}: {exc}"[:300]) from None
    if type(raw) is not dict:
        raise DecodeError(f"payload must be a msgpack map, got {type(raw).__name__}")
    type_name = raw.get("type")
    if type(type_name) is not str:
        raise DecodeError("payload has no string 'type' field", field="type")
    cls = MESSAGE_TYPES.get(type_name)
    if cls is None:
        raise UnknownMessageType(
            f"unknown message type {type_name[:80]!r}; this build knows: {', '.join(sorted(MESSAGE_TYPES))}"
        )
    version = raw.get("schema")
    if type(version) is not int:
        raise SchemaVersionError(f"{type_name}: payload has no integer 'schema' field")
    if not cls.MIN_SCHEMA <= version <= cls.SCHEMA:
        raise SchemaVersionError(
            f"{type_name} schema {version} is not supported; this build reads "
            f"{cls.MIN_SCHEMA}..{cls.SCHEMA} (upgrade the receiver first when bumping a schema)"
        )
    try:
        result: Message = struct_codec(cls).decode_fields(raw, envelope=True)
    except FieldProblem as exc:
        raise DecodeError(f"{type_name}.{exc.path}: {exc.reason}", field=exc.path) from None
    return result


def decode_as(cls: type[M], data: bytes | bytearray | memoryview, *, max_size: int = MAX_PAYLOAD_BYTES) -> M:
    """Decode a payload that must be of message class ``cls`` (e.g. a gate reading its ``cmd`` topic)."""
    msg = decode(data, max_size=max_size)
    if not isinstance(msg, cls):
        raise DecodeError(f"expected a {cls.TYPE} message, got {type(msg).TYPE}", field="type")
    return msg


def decode_from_topic(
    topic: Topic | str, data: bytes | bytearray | memoryview, *, max_size: int = MAX_PAYLOAD_BYTES
) -> Message:
    """Decode a payload received on ``topic`` and check that it belongs there.

    The message type must be one that travels on the topic's channel, and the topic's device must be
    the message's producer (``device_id``) on device-to-central channels, or its ``target`` on
    central-to-device ones. With the broker's per-device ACL (a device may publish only under its own
    prefix) this stops one device from speaking for another.
    """
    where = topic if isinstance(topic, Topic) else parse_topic(topic)
    msg = decode(data, max_size=max_size)
    if type(msg).CHANNEL is not where.channel:
        raise DecodeError(
            f"a {type(msg).TYPE} message does not belong on channel {where.channel.value!r} "
            f"(it travels on {type(msg).CHANNEL.value!r})",
            field="type",
        )
    site = getattr(msg, "site", None)
    if site is not None and site != where.site:
        raise DecodeError(f"site {site!r} does not match the topic's site {where.site!r}", field="site")
    if where.device_id is not None:
        addressed = getattr(msg, "target", None)
        name, value = ("target", addressed) if addressed is not None else ("device_id", msg.device_id)
        if value != where.device_id:
            raise DecodeError(
                f"{name} {value!r} does not match the topic's device {where.device_id!r}", field=name
            )
    return msg


def to_jsonable(value: Any) -> Any:
    """A JSON-ready view of a message (or any field value): datetimes as ISO 8601 with ``Z``, bytes as
    ``{"$base64": ...}``, enums as their values. Used by the CLI and the generated docs."""
    if isinstance(value, Message):
        raw: dict[str, Any] = {"type": type(value).TYPE, "schema": type(value).SCHEMA}
        for info in struct_codec(type(value)).fields:
            raw[info.name] = to_jsonable(getattr(value, info.name))
        return raw
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return {"$base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {
            info.name: to_jsonable(getattr(value, info.name)) for info in struct_codec(type(value)).fields
        }
    return value
