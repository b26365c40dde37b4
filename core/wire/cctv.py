"""The CCTV watch's wire contract (SOP-003-D05): the signed alert-gallery snapshot and the face alarm.

Central signs a snapshot of the alert gallery (the faces of persons in the "alert system") with
Ed25519; every watcher verifies it before use and keeps the verified bytes on disk, so it keeps
watching from its last copy while central is away. A watcher that recognises a face sends one
``CctvFaceAlarm``, a registered wire message (type ``cctv_alarm``) on the camera's ``event`` topic;
nothing else about the camera feed ever leaves the watcher. Errors are ``CctvWireError``, a
``WireError``, so central's ingest quarantines a bad alarm like any other bad message.

Templates travel as the opaque bytes ``models.FaceTemplate.to_bytes()`` makes (core does not import
``models``); the watcher decodes them.

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> key = Ed25519PrivateKey.generate()
>>> snap = GallerySnapshot(3, "2026-11-22T08:00:00+00:00", (GalleryEntry("g1", "W-7", "X", (b"t",)),))
>>> verify_snapshot(sign_snapshot(snap, key), key.public_key()) == snap
True
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import msgpack
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.wire.codec import decode_as, encode
from core.wire.errors import WireError
from core.wire.schema import MaxLen, Message, Range, message
from core.wire.topics import Channel, DeviceKind, topic_for

SNAPSHOT_FORMAT = 1
ALARM_TYPE = "cctv_alarm"
SNAPSHOT_TOPIC = "cctv/gallery/snapshot"


def alarm_topic(site: str, camera_id: str) -> str:
    """The MQTT topic a watcher publishes its alarms on: the camera's ``event`` channel."""
    return topic_for(site, DeviceKind.CCTV, camera_id, Channel.EVENT)


class CctvWireError(WireError):
    """A gallery snapshot or a CCTV alarm that cannot be trusted or read; the message says why."""


@dataclass(frozen=True)
class GalleryEntry:
    """One person in the alert gallery: one or more face templates, and the watch-list entry if any."""

    entry_id: str
    watchlist_id: str | None
    label: str
    templates: tuple[bytes, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "watchlist_id": self.watchlist_id,
            "label": self.label,
            "templates": list(self.templates),
        }

    @classmethod
    def from_dict(cls, data: Any) -> GalleryEntry:
        if not isinstance(data, dict):
            raise CctvWireError("a gallery entry is not a map; central must re-publish the snapshot")
        entry_id, watchlist_id, label = data.get("entry_id"), data.get("watchlist_id"), data.get("label")
        templates = data.get("templates")
        if not isinstance(entry_id, str) or not entry_id:
            raise CctvWireError("a gallery entry lacks its entry_id; central must re-publish the snapshot")
        if watchlist_id is not None and not isinstance(watchlist_id, str):
            raise CctvWireError(f"gallery entry {entry_id}: watchlist_id must be a string or absent")
        if not isinstance(label, str):
            raise CctvWireError(f"gallery entry {entry_id}: label must be a string")
        if (
            not isinstance(templates, list)
            or not templates
            or not all(isinstance(t, bytes) and t for t in templates)
        ):
            raise CctvWireError(f"gallery entry {entry_id}: needs one or more templates as bytes")
        return cls(entry_id, watchlist_id, label, tuple(templates))


@dataclass(frozen=True)
class GallerySnapshot:
    """The whole alert gallery at one version; versions only grow."""

    version: int
    issued_at: str
    entries: tuple[GalleryEntry, ...]

    def body(self) -> bytes:
        """The exact bytes that are signed (msgpack, fixed key order)."""
        payload = {
            "format": SNAPSHOT_FORMAT,
            "version": self.version,
            "issued_at": self.issued_at,
            "entries": [e.to_dict() for e in self.entries],
        }
        data: bytes = msgpack.packb(payload, use_bin_type=True)
        return data

    @classmethod
    def from_body(cls, body: bytes) -> GallerySnapshot:
        try:
            payload = msgpack.unpackb(body, raw=False)
        except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
            raise CctvWireError(f"gallery snapshot body is not msgpack ({exc})") from exc
        if not isinstance(payload, dict) or payload.get("format") != SNAPSHOT_FORMAT:
            raise CctvWireError(f"not a gallery snapshot of format {SNAPSHOT_FORMAT}; update the watcher")
        version, issued_at, entries = payload.get("version"), payload.get("issued_at"), payload.get("entries")
        if not isinstance(version, int) or version < 0 or not isinstance(issued_at, str):
            raise CctvWireError("gallery snapshot lacks a version number or issue time")
        if not isinstance(entries, list):
            raise CctvWireError("gallery snapshot entries are not a list")
        return cls(version, issued_at, tuple(GalleryEntry.from_dict(e) for e in entries))


def sign_snapshot(snapshot: GallerySnapshot, key: Ed25519PrivateKey) -> bytes:
    """The signed envelope central distributes: msgpack ``{"body": bytes, "signature": bytes}``."""
    body = snapshot.body()
    data: bytes = msgpack.packb({"body": body, "signature": key.sign(body)}, use_bin_type=True)
    return data


def verify_snapshot(data: bytes, public_key: Ed25519PublicKey) -> GallerySnapshot:
    """The snapshot inside a signed envelope, only when central's key signed exactly these bytes."""
    try:
        envelope = msgpack.unpackb(data, raw=False)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
        raise CctvWireError(f"gallery snapshot is not a signed envelope ({exc}); fetch it again") from exc
    if not isinstance(envelope, dict):
        raise CctvWireError("gallery snapshot is not a signed envelope; fetch it again")
    body, signature = envelope.get("body"), envelope.get("signature")
    if not isinstance(body, bytes) or not isinstance(signature, bytes):
        raise CctvWireError("gallery snapshot lacks its body or signature; fetch it again")
    try:
        public_key.verify(signature, body)
    except InvalidSignature as exc:
        raise CctvWireError(
            "gallery snapshot signature does not verify with central's key; it was altered or signed by "
            "another key; check the watcher's configured public key"
        ) from exc
    return GallerySnapshot.from_body(body)


ShortId = Annotated[str, MaxLen(64)]


@message(ALARM_TYPE, channel=Channel.EVENT)
class CctvFaceAlarm(Message):
    """A face on a camera resembled an alert-gallery entry (SOP-003-D05 step 2: notification and sound).

    A camera's watcher publishes it through its outbox on ``imigrasi/v1/<site>/cctv/<camera>/event``;
    ``event_id`` is the alarm's id (central stores it once however often it arrives), ``ts`` is when
    the face was seen and ``device_id`` is the camera. ``snapshot_jpeg`` is the face crop the watcher
    kept for this track; nothing else of the camera feed is ever sent.

    Fields:
        entry_id: the alert-gallery entry the face resembled.
        watchlist_id: the watch-list entry that gallery entry belongs to, if any.
        label: the gallery entry's label (a name or case number), for the desk.
        score: cosine similarity of the face to the entry's best template.
        threshold: the threshold the score passed on this watcher.
        track_id: the watcher's track number (one alarm per track at most).
        snapshot_jpeg: the face crop (JPEG) shown beside the reference photo.
    """

    entry_id: ShortId
    watchlist_id: ShortId | None = None
    label: Annotated[str, MaxLen(128)] = ""
    score: float
    threshold: float
    track_id: Annotated[int, Range(0, None)]
    snapshot_jpeg: bytes

    @property
    def alarm_id(self) -> str:
        """The alarm's id: its event id."""
        return self.event_id

    @property
    def camera_id(self) -> str:
        """The camera that saw the face: the producing device."""
        return self.device_id

    @property
    def occurred_at(self) -> datetime:
        return self.ts

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the JPEG as base64), for HTTP and for the alarm directory."""
        return {
            "type": ALARM_TYPE,
            "alarm_id": self.alarm_id,
            "camera_id": self.camera_id,
            "occurred_at": self.occurred_at.isoformat(),
            "entry_id": self.entry_id,
            "watchlist_id": self.watchlist_id,
            "label": self.label,
            "score": self.score,
            "threshold": self.threshold,
            "track_id": self.track_id,
            "snapshot_jpeg": base64.b64encode(self.snapshot_jpeg).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: Any) -> CctvFaceAlarm:
        if not isinstance(data, dict) or data.get("type", ALARM_TYPE) != ALARM_TYPE:
            raise CctvWireError(f"not a {ALARM_TYPE} message")
        try:
            occurred_at = datetime.fromisoformat(str(data["occurred_at"]))
            if occurred_at.tzinfo is None:
                raise CctvWireError("alarm occurred_at must carry a UTC offset")
            watchlist_id = data.get("watchlist_id")
            alarm = cls(
                event_id=_text(data["alarm_id"], "alarm_id", 36),
                device_id=_text(data["camera_id"], "camera_id", 63),
                ts=occurred_at.astimezone(UTC),
                entry_id=_text(data["entry_id"], "entry_id", 64),
                watchlist_id=None if watchlist_id is None else _text(watchlist_id, "watchlist_id", 64),
                label=str(data.get("label", ""))[:128],
                score=float(data["score"]),
                threshold=float(data["threshold"]),
                track_id=int(data["track_id"]),
                snapshot_jpeg=base64.b64decode(
                    _text(data["snapshot_jpeg"], "snapshot_jpeg", 8_000_000), validate=True
                ),
            )
            if not alarm.snapshot_jpeg.startswith(b"\xff\xd8"):
                raise CctvWireError("alarm snapshot_jpeg must be a JPEG image (base64 in JSON)")
            encode(alarm)  # the wire's own checks: UUIDv7 alarm id, device-id camera name, ranges
        except CctvWireError:
            raise
        except WireError as exc:
            raise CctvWireError(f"{ALARM_TYPE} message is not valid: {exc}") from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise CctvWireError(f"{ALARM_TYPE} message is incomplete or malformed: {exc!r}") from exc
        return alarm

    def to_bytes(self) -> bytes:
        """The wire form (``core.wire.encode``) for the outbox and MQTT; the JPEG stays binary."""
        return encode(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> CctvFaceAlarm:
        try:
            return decode_as(cls, data)
        except CctvWireError:
            raise
        except WireError as exc:
            raise CctvWireError(f"{ALARM_TYPE} payload does not decode: {exc}") from exc


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise CctvWireError(f"alarm {name} must be a non-empty string of at most {limit} characters")
    return value


__all__ = [
    "ALARM_TYPE",
    "SNAPSHOT_FORMAT",
    "SNAPSHOT_TOPIC",
    "CctvFaceAlarm",
    "CctvWireError",
    "GalleryEntry",
    "GallerySnapshot",
    "alarm_topic",
    "sign_snapshot",
    "verify_snapshot",
]
