"""watchlist_announce schema 2 adds the optional prepared snapshot; schema 1 payloads still decode."""

from __future__ import annotations

import dataclasses

import msgpack
import pytest

from core.wire import (
    PreparedOffer,
    SchemaVersionError,
    WatchlistAnnouncement,
    canonical_bytes,
    decode,
    encode,
)
from core.wire.examples import examples


def _example() -> WatchlistAnnouncement:
    message = examples()["watchlist_announce"]
    assert isinstance(message, WatchlistAnnouncement)
    return message


def test_the_prepared_offer_round_trips() -> None:
    message = _example()
    assert isinstance(message.prepared, PreparedOffer)
    assert decode(encode(message)) == message
    assert WatchlistAnnouncement.SCHEMA == 2


def test_a_schema_1_announcement_without_the_field_still_decodes() -> None:
    raw = msgpack.unpackb(encode(dataclasses.replace(_example(), prepared=None)), timestamp=3)
    del raw["prepared"]
    raw["schema"] = 1
    old = decode(msgpack.packb(raw, datetime=True))
    assert isinstance(old, WatchlistAnnouncement)
    assert old.prepared is None and old.version == 1842 and old.delta is not None


def test_the_signature_covers_the_offer() -> None:
    message = _example()
    assert message.prepared is not None
    other = dataclasses.replace(message, prepared=dataclasses.replace(message.prepared, version=1841))
    assert canonical_bytes(message) != canonical_bytes(other)


def test_a_newer_schema_is_refused() -> None:
    raw = msgpack.unpackb(encode(_example()), timestamp=3)
    raw["schema"] = 3
    with pytest.raises(SchemaVersionError):
        decode(msgpack.packb(raw, datetime=True))
