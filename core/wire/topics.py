"""The MQTT topic scheme: ``imigrasi/v1/<site>/<device-kind>/<device-id>/<channel>``.

The ``v1`` segment is the *topic* version: it changes only for a breaking change of the scheme itself
or of the codec (see docs/protocol.md, "Versioning"). Message-level changes bump a message's own
``schema`` instead. Site-wide topics have no device part: ``imigrasi/v1/<site>/watchlist/announce``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from core.wire.errors import TopicError

ROOT = "imigrasi"
TOPIC_VERSION = "v1"
NAME_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"
_NAME_RE = re.compile(NAME_PATTERN)


class DeviceKind(StrEnum):
    GATE = "gate"
    KIOSK = "kiosk"
    COUNTER = "counter"
    CCTV = "cctv"
    CENTRAL = "central"


class Channel(StrEnum):
    """What flows on a topic. Device channels sit under a device; site channels under the site."""

    STATUS = "status"  # device -> all, retained; the broker publishes the last will 'offline' here
    EVENT = "event"  # device -> central: facts that go through the outbox
    CMD = "cmd"  # central -> device: supervisor commands
    CMD_ACK = "cmd/ack"  # device -> central: accepted/refused for each command
    ACK = "ack"  # central -> device: event ids committed to the store (the outbox may drop them)
    WATCHLIST_ANNOUNCE = "watchlist/announce"  # central -> site, retained: the current watch-list version

    @property
    def is_site_wide(self) -> bool:
        return self in SITE_CHANNELS

    @property
    def retained(self) -> bool:
        """Whether publishers on this channel set the MQTT retain flag (latest state, not a stream)."""
        return self in (Channel.STATUS, Channel.WATCHLIST_ANNOUNCE)

    @property
    def qos(self) -> int:
        """Every channel is QoS 1: at least once; duplicates are removed by event id downstream."""
        return 1


SITE_CHANNELS = frozenset({Channel.WATCHLIST_ANNOUNCE})
DEVICE_CHANNELS = frozenset(c for c in Channel if c not in SITE_CHANNELS)


def check_name(value: str, what: str) -> str:
    """Return ``value`` when it is a valid site or device id, else raise :class:`TopicError`."""
    if not isinstance(value, str) or _NAME_RE.fullmatch(value) is None:
        raise TopicError(
            f"{what} {value!r} is not allowed: use 1-63 of a-z, 0-9 and '-', starting with a letter or digit"
        )
    return value


@dataclass(frozen=True, slots=True)
class Topic:
    """One concrete topic. ``kind`` and ``device_id`` are ``None`` exactly for site-wide channels."""

    site: str
    channel: Channel
    kind: DeviceKind | None = None
    device_id: str | None = None

    def __post_init__(self) -> None:
        check_name(self.site, "site")
        if self.channel.is_site_wide:
            if self.kind is not None or self.device_id is not None:
                raise TopicError(f"channel {self.channel.value!r} is site-wide: give no device kind or id")
        else:
            if self.kind is None or self.device_id is None:
                raise TopicError(f"channel {self.channel.value!r} belongs to a device: give kind and id")
            check_name(self.device_id, "device id")

    def __str__(self) -> str:
        if self.kind is None:
            return f"{ROOT}/{TOPIC_VERSION}/{self.site}/{self.channel.value}"
        return f"{ROOT}/{TOPIC_VERSION}/{self.site}/{self.kind.value}/{self.device_id}/{self.channel.value}"


def topic_for(site: str, kind: DeviceKind | str, device_id: str, channel: Channel | str) -> str:
    """The topic string of a device channel, e.g. ``topic_for("cgk", "gate", "gate-01", "event")``."""
    return str(Topic(site, _channel(channel), _kind(kind), device_id))


def site_topic_for(site: str, channel: Channel | str = Channel.WATCHLIST_ANNOUNCE) -> str:
    """The topic string of a site-wide channel, e.g. ``imigrasi/v1/cgk/watchlist/announce``."""
    return str(Topic(site, _channel(channel)))


def parse_topic(topic: str) -> Topic:
    """Parse a concrete topic (no wildcards, no ``$share`` prefix) into a :class:`Topic`."""
    if not isinstance(topic, str):
        raise TopicError(f"a topic must be a string, not {type(topic).__name__}")
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != ROOT:
        raise TopicError(f"topic {topic!r} does not start with '{ROOT}/{TOPIC_VERSION}/<site>/'")
    if parts[1] != TOPIC_VERSION:
        raise TopicError(f"topic {topic!r} has version {parts[1]!r}; this build speaks {TOPIC_VERSION!r}")
    site, rest = parts[2], parts[3:]
    site_channel = "/".join(rest)
    if site_channel in {c.value for c in SITE_CHANNELS}:
        return Topic(site, Channel(site_channel))
    if len(rest) < 3:
        raise TopicError(f"topic {topic!r} lacks '<device-kind>/<device-id>/<channel>' after the site")
    kind, device_id, channel = rest[0], rest[1], "/".join(rest[2:])
    try:
        chan = Channel(channel)
    except ValueError:
        raise TopicError(
            f"topic {topic!r}: unknown channel {channel!r}; "
            f"expected one of {', '.join(c.value for c in sorted(DEVICE_CHANNELS))}"
        ) from None
    if chan.is_site_wide:
        raise TopicError(f"topic {topic!r}: {chan.value!r} is a site-wide channel; drop the device part")
    return Topic(site, chan, _kind(kind), device_id)


def subscription(
    channel: Channel | str,
    *,
    site: str = "+",
    kind: DeviceKind | str = "+",
    device_id: str = "+",
    share_group: str | None = None,
) -> str:
    """A subscription filter; ``+`` (the default) is the single-level wildcard for that segment.

    ``subscription("event")`` is ``imigrasi/v1/+/+/+/event``: what central's ingest listens to.
    With ``share_group="ingest"`` it becomes ``$share/ingest/imigrasi/v1/+/+/+/event`` so that several
    central consumers split the load (MQTT 5 shared subscriptions).
    """
    chan = _channel(channel)
    segments = [ROOT, TOPIC_VERSION, _wild(site, "site")]
    if not chan.is_site_wide:
        kind_segment = kind if kind == "+" else _kind(kind).value
        segments += [kind_segment, _wild(device_id, "device id")]
    segments.append(chan.value)
    topic = "/".join(segments)
    if share_group is not None:
        topic = f"$share/{check_name(share_group, 'share group')}/{topic}"
    return topic


def central_subscriptions(share_group: str | None = None) -> list[str]:
    """What central's ingest subscribes to: every device's events, status and command acks."""
    return [
        subscription(channel, share_group=share_group)
        for channel in (Channel.EVENT, Channel.STATUS, Channel.CMD_ACK)
    ]


def device_subscriptions(site: str, kind: DeviceKind | str, device_id: str) -> list[str]:
    """What a device subscribes to: its own commands and acks, and its site's watch-list announcement."""
    return [
        topic_for(site, kind, device_id, Channel.CMD),
        topic_for(site, kind, device_id, Channel.ACK),
        site_topic_for(site, Channel.WATCHLIST_ANNOUNCE),
    ]


def _wild(value: str, what: str) -> str:
    return value if value == "+" else check_name(value, what)


def _kind(kind: DeviceKind | str) -> DeviceKind:
    try:
        return DeviceKind(kind)
    except ValueError:
        raise TopicError(
            f"unknown device kind {kind!r}; expected one of {', '.join(k.value for k in DeviceKind)}"
        ) from None


def _channel(channel: Channel | str) -> Channel:
    try:
        return Channel(channel)
    except ValueError:
        raise TopicError(
            f"unknown channel {channel!r}; expected one of {', '.join(c.value for c in Channel)}"
        ) from None
