"""core/wire/cctv.py: the signed gallery envelope and the face alarm message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from core.wire.cctv import (
    CctvFaceAlarm,
    CctvWireError,
    GalleryEntry,
    GallerySnapshot,
    sign_snapshot,
    verify_snapshot,
)

KEY = Ed25519PrivateKey.generate()
ALARM = CctvFaceAlarm(
    event_id="019aaa50-7b1f-7b0e-9d59-4c1c3f7f2a10",  # the alarm id
    device_id="cctv-t2-01",  # the camera
    ts=datetime(2026, 11, 22, 8, 30, tzinfo=UTC),
    entry_id="alert-a",
    watchlist_id="W-0001",
    label="x",
    score=0.71,
    threshold=0.363,
    track_id=4,
    snapshot_jpeg=b"\xff\xd8jpeg\xff\xd9",
)

entries = st.lists(
    st.builds(
        GalleryEntry,
        st.text(min_size=1, max_size=12),
        st.none() | st.text(max_size=12),
        st.text(max_size=20),
        st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=3).map(tuple),
    ),
    max_size=4,
).map(tuple)


@settings(max_examples=40, deadline=None)
@given(version=st.integers(0, 2**31), items=entries)
def test_a_signed_snapshot_verifies_back_to_itself(version: int, items: tuple[GalleryEntry, ...]) -> None:
    snapshot = GallerySnapshot(version, "2026-11-22T00:00:00+00:00", items)
    assert verify_snapshot(sign_snapshot(snapshot, KEY), KEY.public_key()) == snapshot


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_never_verify_as_a_snapshot(data: bytes) -> None:
    with pytest.raises(CctvWireError):
        verify_snapshot(data, KEY.public_key())


def test_an_alarm_survives_msgpack_and_json_forms() -> None:
    assert CctvFaceAlarm.from_bytes(ALARM.to_bytes()) == ALARM
    assert CctvFaceAlarm.from_dict(ALARM.to_dict()) == ALARM


def test_an_alarm_without_a_utc_offset_is_refused() -> None:
    with pytest.raises(CctvWireError, match="UTC offset"):
        CctvFaceAlarm.from_dict(ALARM.to_dict() | {"occurred_at": "2026-11-22T08:30:00"})


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.sampled_from(sorted(ALARM.to_dict())), st.none() | st.integers() | st.text(max_size=8))
)
def test_a_malformed_alarm_is_refused_with_a_wire_error(fields: dict[str, object]) -> None:
    try:
        CctvFaceAlarm.from_dict(ALARM.to_dict() | fields)
    except CctvWireError:
        return
    # The only survivors are changes that keep the alarm valid (e.g. a new label).
    assert set(fields) <= {"label", "watchlist_id", "type", "track_id", "score", "threshold"}
