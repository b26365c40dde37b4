"""Message classes, their registry, and the per-class field codecs compiled from type hints.

A message type is a frozen, slotted, keyword-only dataclass that subclasses :class:`Message` and is
registered with :func:`message`. Its field types may be ``str``, ``int``, ``float``, ``bool``,
``bytes``, ``datetime`` (UTC-aware), ``StrEnum`` subclasses, ``tuple[T, ...]`` / ``list[T]``,
``dict[str, T]``, ``T | None``, unions of scalars, other (plain frozen) dataclasses, and any of these
wrapped in ``Annotated[T, Pattern(...) | Range(...) | MaxLen(...)]``. Each class's fields are compiled
once, at registration, into closures that validate and convert in both directions, so decoding does no
type-hint introspection per message, and an unsupported field type fails at import time.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, ClassVar, NamedTuple, TypeVar, dataclass_transform

from core.wire.ids import UUID7_PATTERN, new_event_id
from core.wire.topics import NAME_PATTERN, Channel

# --- constraints usable in Annotated[...] ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pattern:
    """The string must match ``regex`` in full; ``name`` is how docs call such strings."""

    regex: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Range:
    """The number must lie in ``[min, max]`` (either bound may be ``None``)."""

    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class MaxLen:
    """The string, bytes, list or dict may hold at most ``n`` items (characters, bytes)."""

    n: int


EventId = Annotated[str, Pattern(UUID7_PATTERN, "UUIDv7, lowercase")]
DeviceId = Annotated[str, Pattern(NAME_PATTERN, "device id `[a-z0-9][a-z0-9-]{0,62}`")]
SiteId = Annotated[str, Pattern(NAME_PATTERN, "site id `[a-z0-9][a-z0-9-]{0,62}`")]
Sha256Hex = Annotated[str, Pattern(r"[0-9a-f]{64}", "64 lowercase hex digits")]
Scalar = str | int | float | bool | None
"""Values allowed in free-form dicts (command args, applicant fields, alarm details)."""

ENVELOPE_KEYS = ("type", "schema")
_MISSING = object()

# --- compiled converters --------------------------------------------------------------------------


class FieldProblem(Exception):
    """Raised inside converters; the codec turns it into EncodeError/DecodeError with the full path."""

    def __init__(self, reason: str, path: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path

    def under(self, prefix: str) -> FieldProblem:
        """The same problem seen from the enclosing container (``prefix`` is ``name`` or ``[3]``)."""
        if not self.path:
            self.path = prefix
        elif self.path.startswith("["):
            self.path = prefix + self.path
        else:
            self.path = f"{prefix}.{self.path}"
        return self


Convert = Callable[[Any], Any]


class Conv(NamedTuple):
    """Both directions for one type: ``dec`` wire value -> Python, ``enc`` Python -> wire value."""

    dec: Convert
    enc: Convert
    label: str


def _type_name(value: object) -> str:
    return "nil" if value is None else type(value).__name__


def _scalar(kind: type, label: str) -> Conv:
    def check(value: Any) -> Any:
        if type(value) is not kind:
            raise FieldProblem(f"expected {label}, got {_type_name(value)}")
        return value

    return Conv(check, check, label)


def _float_conv() -> Conv:
    def check(value: Any) -> Any:
        kind = type(value)
        if kind is float:
            if not math.isfinite(value):
                raise FieldProblem(f"expected a finite float, got {value!r}")
            return value
        if kind is int:
            return float(value)
        raise FieldProblem(f"expected float, got {_type_name(value)}")

    return Conv(check, check, "float")


def _datetime_conv() -> Conv:
    def dec(value: Any) -> Any:
        if type(value) is not datetime:
            raise FieldProblem(f"expected a msgpack timestamp, got {_type_name(value)}")
        return value

    def enc(value: Any) -> Any:
        if type(value) is not datetime:
            raise FieldProblem(f"expected a UTC datetime, got {_type_name(value)}")
        offset = value.utcoffset()
        if offset is None:
            raise FieldProblem("datetime is naive; use clock.now() (timezone-aware UTC)")
        return value if not offset else value.astimezone(UTC)

    return Conv(dec, enc, "timestamp")


def _enum_conv(enum: type[Enum]) -> Conv:
    by_value = {member.value: member for member in enum}
    if not all(isinstance(v, str) for v in by_value):
        raise TypeError(f"{enum.__name__}: only enums with string values can go on the wire")
    allowed = ", ".join(by_value)

    def dec(value: Any) -> Any:
        try:
            return by_value[value]
        except (KeyError, TypeError):
            raise FieldProblem(f"expected one of {allowed}, got {value!r}"[:300]) from None

    def enc(value: Any) -> Any:
        if type(value) is not enum:
            raise FieldProblem(f"expected {enum.__name__}, got {_type_name(value)}")
        return value.value

    return Conv(dec, enc, f"{enum.__name__} ({' | '.join(by_value)})")


def _optional_conv(inner: Conv) -> Conv:
    idec, ienc = inner.dec, inner.enc

    def dec(value: Any) -> Any:
        return None if value is None else idec(value)

    def enc(value: Any) -> Any:
        return None if value is None else ienc(value)

    return Conv(dec, enc, f"{inner.label} or nil")


_SCALARS: dict[type, str] = {str: "str", int: "int", float: "float", bool: "bool", type(None): "nil"}


def _scalar_union_conv(members: tuple[type, ...]) -> Conv:
    allowed = frozenset(members)
    label = " | ".join(_SCALARS[m] for m in members)

    def check(value: Any) -> Any:
        kind = type(value)
        if kind in allowed:
            if kind is float and not math.isfinite(value):
                raise FieldProblem(f"expected a finite float, got {value!r}")
            return value
        if kind is int and float in allowed:
            return float(value)
        raise FieldProblem(f"expected {label}, got {_type_name(value)}")

    return Conv(check, check, label)


def _sequence_conv(item: Conv, out: type) -> Conv:
    idec, ienc = item.dec, item.enc

    def dec(value: Any) -> Any:
        if type(value) is not list:
            raise FieldProblem(f"expected an array, got {_type_name(value)}")
        try:
            return out(idec(v) for v in value)
        except FieldProblem:
            for i, v in enumerate(value):
                try:
                    idec(v)
                except FieldProblem as exc:
                    raise exc.under(f"[{i}]") from None
            raise

    def enc(value: Any) -> Any:
        if type(value) is not tuple and type(value) is not list:
            raise FieldProblem(f"expected a tuple or list, got {_type_name(value)}")
        result = []
        for i, v in enumerate(value):
            try:
                result.append(ienc(v))
            except FieldProblem as exc:
                raise exc.under(f"[{i}]") from None
        return result

    return Conv(dec, enc, f"array of {item.label}")


def _dict_conv(val: Conv) -> Conv:
    vdec, venc = val.dec, val.enc

    def convert(value: Any, one: Convert, what: str) -> Any:
        if type(value) is not dict:
            raise FieldProblem(f"expected a map, got {_type_name(value)}")
        result = {}
        for k, v in value.items():
            if type(k) is not str:
                raise FieldProblem(f"{what} keys must be strings, got {_type_name(k)}")
            try:
                result[k] = one(v)
            except FieldProblem as exc:
                raise exc.under(f"[{k!r}]") from None
        return result

    return Conv(
        lambda v: convert(v, vdec, "map"), lambda v: convert(v, venc, "dict"), f"map of str to {val.label}"
    )


def _constrained(inner: Conv, constraints: list[object]) -> Conv:
    checks: list[Callable[[Any], None]] = []
    notes: list[str] = []
    for c in constraints:
        if isinstance(c, Pattern):
            regex = re.compile(c.regex)

            def check_pattern(v: Any, regex: re.Pattern[str] = regex) -> None:
                if regex.fullmatch(v) is None:
                    raise FieldProblem(f"{v!r} does not match {regex.pattern}"[:300])

            checks.append(check_pattern)
            notes.append(c.name or f"matching `{c.regex}`")
        elif isinstance(c, Range):

            def check_range(v: Any, lo: float | None = c.min, hi: float | None = c.max) -> None:
                if (lo is not None and v < lo) or (hi is not None and v > hi):
                    raise FieldProblem(f"{v!r} is outside {lo}..{hi}")

            checks.append(check_range)
            notes.append(
                f"≥ {c.min}" if c.max is None else f"≤ {c.max}" if c.min is None else f"{c.min}..{c.max}"
            )
        elif isinstance(c, MaxLen):

            def check_len(v: Any, n: int = c.n) -> None:
                if len(v) > n:
                    raise FieldProblem(f"holds {len(v)} items; at most {n} allowed")

            checks.append(check_len)
            notes.append(f"at most {c.n} long")
    if not checks:
        return inner
    idec, ienc = inner.dec, inner.enc
    first = checks[0]
    rest = tuple(checks[1:])

    # One constraint is the common case (ids, counts): call it directly, loop only for the rest.
    def dec(value: Any) -> Any:
        value = idec(value)
        if value is not None:
            first(value)
            for check in rest:
                check(value)
        return value

    def enc(value: Any) -> Any:
        if value is not None:
            first(value)
            for check in rest:
                check(value)
        return ienc(value)

    return Conv(dec, enc, f"{inner.label} ({', '.join(notes)})")


def compile_type(tp: Any, where: str) -> Conv:
    """The converter for one field type; ``TypeError`` naming ``where`` for an unsupported type."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Annotated:
        return _constrained(compile_type(args[0], where), list(tp.__metadata__))
    if origin is typing.Union or origin is types.UnionType:
        members = tuple(args)
        non_none = tuple(a for a in members if a is not type(None))
        if len(non_none) == 1:
            return _optional_conv(compile_type(non_none[0], where))
        if all(m in _SCALARS for m in members):
            return _scalar_union_conv(members)
        raise TypeError(f"{where}: unions may only be 'T | None' or of str/int/float/bool/None, not {tp}")
    if origin is tuple:
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"{where}: use tuple[T, ...] (variable length), not {tp}")
        return _sequence_conv(compile_type(args[0], where), tuple)
    if origin is list:
        return _sequence_conv(compile_type(args[0], where), list)
    if origin is dict:
        if args[0] is not str:
            raise TypeError(f"{where}: dict keys must be str, not {args[0]}")
        return _dict_conv(compile_type(args[1], where))
    if tp is float:
        return _float_conv()
    if tp in (str, int, bool, bytes):
        return _scalar(tp, tp.__name__)
    if tp is datetime:
        return _datetime_conv()
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _enum_conv(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return struct_codec(tp).conv
    raise TypeError(f"{where}: field type {tp!r} cannot go on the wire (see core.wire.schema)")


# --- per-class codecs -----------------------------------------------------------------------------


class FieldInfo(NamedTuple):
    name: str
    conv: Conv
    required: bool
    type: Any


class StructCodec:
    """Validating converters for one dataclass, between instances and msgpack maps."""

    def __init__(self, cls: type) -> None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} is not a dataclass")
        params = cls.__dataclass_params__  # type: ignore[attr-defined]
        if not params.frozen:
            raise TypeError(f"{cls.__name__} must be a frozen dataclass to go on the wire")
        hints = typing.get_type_hints(cls, include_extras=True)
        self.cls = cls
        self.fields: tuple[FieldInfo, ...] = tuple(
            FieldInfo(
                f.name,
                compile_type(hints[f.name], f"{cls.__name__}.{f.name}"),
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                hints[f.name],
            )
            for f in dataclasses.fields(cls)
        )
        for info in self.fields:
            if info.name in ENVELOPE_KEYS:
                raise TypeError(f"{cls.__name__}: field name {info.name!r} is reserved for the envelope")
        self.names = frozenset(info.name for info in self.fields)
        self._envelope = frozenset(ENVELOPE_KEYS)
        self._with_envelope = self.names | self._envelope
        self._required = frozenset(info.name for info in self.fields if info.required)
        self._decoders = tuple((info.name, info.conv.dec) for info in self.fields)
        self.conv = Conv(self._dec, self._enc, cls.__name__)

    def decode_fields(self, raw: dict[str, Any], envelope: bool = False) -> Any:
        """An instance from a decoded map (``envelope``: the map also holds ``type`` and ``schema``)."""
        if not raw.keys() <= (self._with_envelope if envelope else self.names):
            extra = raw.keys() - self.names - (self._envelope if envelope else frozenset())
            name = sorted(map(str, extra))[0]
            raise FieldProblem(f"unknown field {name!r} for {self.cls.__name__}", name)
        kwargs = {}
        name = ""
        try:
            for name, dec in self._decoders:
                value = raw.get(name, _MISSING)
                if value is _MISSING:
                    if name in self._required:
                        raise FieldProblem(f"required field {name!r} of {self.cls.__name__} is missing")
                    continue
                kwargs[name] = dec(value)
        except FieldProblem as exc:
            raise exc.under(name) from None
        return self.cls(**kwargs)

    def encode_fields(self, obj: Any, into: dict[str, Any]) -> dict[str, Any]:
        if type(obj) is not self.cls:
            raise FieldProblem(f"expected {self.cls.__name__}, got {_type_name(obj)}")
        for name, conv, _, _ in self.fields:
            try:
                into[name] = conv.enc(getattr(obj, name))
            except FieldProblem as exc:
                raise exc.under(name) from None
        return into

    def _dec(self, value: Any) -> Any:
        if type(value) is not dict:
            raise FieldProblem(f"expected a map ({self.cls.__name__}), got {_type_name(value)}")
        return self.decode_fields(value)

    def _enc(self, value: Any) -> Any:
        return self.encode_fields(value, {})


_STRUCTS: dict[type, StructCodec] = {}


def struct_codec(cls: type) -> StructCodec:
    """The (cached) codec of a dataclass used as a message or nested inside one."""
    codec = _STRUCTS.get(cls)
    if codec is None:
        codec = _STRUCTS[cls] = StructCodec(cls)
    return codec


# --- messages and their registry ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """Fields every message carries (the envelope adds ``type`` and ``schema``).

    Fields:
        event_id: UUIDv7 of this message, time-ordered; the idempotency key of central's store.
        ts: when the fact happened (UTC, msgpack timestamp, microsecond precision).
        device_id: the producer: a device id, or central's own id for messages central sends.
    """

    TYPE: ClassVar[str] = ""
    SCHEMA: ClassVar[int] = 0
    MIN_SCHEMA: ClassVar[int] = 0
    CHANNEL: ClassVar[Channel] = Channel.EVENT

    event_id: EventId = field(default_factory=new_event_id)
    ts: datetime
    device_id: DeviceId


M = TypeVar("M", bound=Message)
_REGISTRY: dict[str, type[Message]] = {}
MESSAGE_TYPES: Mapping[str, type[Message]] = types.MappingProxyType(_REGISTRY)
"""Every registered message type by its wire name (read-only view; grows as modules register)."""


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(field,))
def message(
    type_name: str, *, channel: Channel, schema: int = 1, min_schema: int | None = None
) -> Callable[[type[M]], type[M]]:
    """Make ``cls`` a frozen slotted keyword-only dataclass and register it under ``type_name``.

    ``schema`` is the version this build writes; decoders accept ``min_schema..schema`` (default: only
    ``schema``). See docs/protocol.md "Versioning" for when to bump which.
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", type_name):
        raise TypeError(f"message type name {type_name!r} must be lower_snake_case")
    low = schema if min_schema is None else min_schema
    if not 1 <= low <= schema:
        raise TypeError(f"{type_name}: need 1 <= min_schema <= schema, got {low}..{schema}")

    def register(cls: type[M]) -> type[M]:
        if not issubclass(cls, Message):
            raise TypeError(f"{cls.__name__} must subclass core.wire.Message")
        if type_name in _REGISTRY:
            raise TypeError(f"message type {type_name!r} is already registered by {_REGISTRY[type_name]}")
        new = dataclass(frozen=True, slots=True, kw_only=True)(cls)
        new.TYPE = type_name
        new.SCHEMA = schema
        new.MIN_SCHEMA = low
        new.CHANNEL = channel
        struct_codec(new)  # compile now: an unsupported field type fails at import, not at run time
        _REGISTRY[type_name] = new
        return new

    return register


def message_class(type_name: str) -> type[Message]:
    """The registered class for a wire ``type`` name (``KeyError`` if none)."""
    return _REGISTRY[type_name]
