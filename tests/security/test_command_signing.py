"""Issue 12: a gate acts only on supervisor commands that central signed, for it, recently, once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from core import wire
from core.clock import ManualClock
from core.signing import sign_command, signature_valid
from edge.commands_auth import CommandAuthenticator
from tests.edge.rig import Rig

CENTRAL_KEY = Ed25519PrivateKey.generate()


def command(
    clock: ManualClock, *, target: str = "gate-01", name: str = "out_of_service"
) -> wire.SupervisorCommand:
    now = clock.now()
    return wire.SupervisorCommand(
        event_id=wire.new_event_id(now),
        ts=now,
        device_id="central",
        target=target,
        name=wire.CommandName(name),
        issued_by="supervisor-1",
    )


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    pem = CENTRAL_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "command.pub").write_bytes(pem)
    gate = Rig(
        tmp_path, watchlist=[], central={"command_public_key": "command.pub", "command_max_skew_s": 30}
    )
    yield gate
    gate.close()


def rejection_alarms(rig: Rig) -> list[wire.Alarm]:
    return [
        m for m in rig.messages(wire.Alarm) if m.kind is wire.AlarmKind.COMMAND_REJECTED and not m.cleared
    ]


# -- core.signing -------------------------------------------------------------------------------------


def test_a_signed_command_verifies_with_centrals_public_key() -> None:
    signed = sign_command(command(ManualClock()), CENTRAL_KEY)
    assert signature_valid(signed, CENTRAL_KEY.public_key())


def test_each_signing_draws_a_fresh_nonce() -> None:
    cmd = command(ManualClock())
    assert sign_command(cmd, CENTRAL_KEY).nonce != sign_command(cmd, CENTRAL_KEY).nonce


def test_a_signature_survives_the_wire_round_trip() -> None:
    signed = sign_command(command(ManualClock()), CENTRAL_KEY)
    decoded = wire.decode_as(wire.SupervisorCommand, wire.encode(signed))
    assert signature_valid(decoded, CENTRAL_KEY.public_key())


@settings(max_examples=25, deadline=None)
@given(field=st.sampled_from(["target", "name", "issued_by", "nonce"]))
def test_changing_any_signed_field_breaks_the_signature(field: str) -> None:
    signed = sign_command(command(ManualClock()), CENTRAL_KEY)
    changed_value: Any = {
        "target": "gate-02",
        "name": wire.CommandName.RELEASE_PASSENGER,
        "issued_by": "intruder",
        "nonce": b"\x00" * 16,
    }[field]
    assert not signature_valid(
        dataclasses.replace(signed, **{field: changed_value}), CENTRAL_KEY.public_key()
    )


def test_a_signature_by_another_key_does_not_verify() -> None:
    forged = sign_command(command(ManualClock()), Ed25519PrivateKey.generate())
    assert not signature_valid(forged, CENTRAL_KEY.public_key())


# -- edge.commands_auth -------------------------------------------------------------------------------


def test_the_nonce_memory_forgets_nonces_older_than_twice_the_skew() -> None:
    clock = ManualClock()
    auth = CommandAuthenticator(CENTRAL_KEY.public_key(), "gate-01", clock, max_skew_s=10)
    assert auth.refusal(sign_command(command(clock), CENTRAL_KEY)) is None
    clock.advance(21)
    assert auth.refusal(sign_command(command(clock), CENTRAL_KEY)) is None
    assert len(auth._nonces) == 1


def test_the_nonce_memory_is_bounded() -> None:
    clock = ManualClock()
    auth = CommandAuthenticator(CENTRAL_KEY.public_key(), "gate-01", clock, max_nonces=3)
    for _ in range(5):
        assert auth.refusal(sign_command(command(clock), CENTRAL_KEY)) is None
    assert len(auth._nonces) == 3


# -- the gate runtime ---------------------------------------------------------------------------------


def test_a_good_signed_command_is_carried_out(rig: Rig) -> None:
    accepted, reason = rig.runtime.apply_command(sign_command(command(rig.clock), CENTRAL_KEY))
    assert (accepted, reason) == (True, "")
    assert rig.flow.state == "out_of_service"
    assert rejection_alarms(rig) == []


def test_an_unsigned_command_is_refused_and_raises_an_alarm(rig: Rig) -> None:
    accepted, reason = rig.runtime.apply_command(command(rig.clock))
    assert (accepted, reason) == (False, "unsigned")
    assert rig.flow.state == "awaiting_document"
    assert len(rejection_alarms(rig)) == 1


def test_a_forged_command_is_refused_and_raises_an_alarm(rig: Rig) -> None:
    forged = sign_command(command(rig.clock), Ed25519PrivateKey.generate())
    assert rig.runtime.apply_command(forged) == (False, "bad_signature")
    assert rig.flow.state == "awaiting_document"
    assert len(rejection_alarms(rig)) == 1


def test_a_replayed_command_is_refused_and_raises_an_alarm(rig: Rig) -> None:
    signed = sign_command(command(rig.clock, name="in_service"), CENTRAL_KEY)
    rig.runtime.apply_command(signed)
    assert rig.runtime.apply_command(signed) == (False, "replayed")
    assert len(rejection_alarms(rig)) == 1


def test_an_expired_command_is_refused_and_raises_an_alarm(rig: Rig) -> None:
    signed = sign_command(command(rig.clock), CENTRAL_KEY)
    rig.clock.advance(31)
    assert rig.runtime.apply_command(signed) == (False, "stale")
    assert rig.flow.state == "awaiting_document"
    assert len(rejection_alarms(rig)) == 1


def test_a_command_stamped_too_far_in_the_future_is_refused(rig: Rig) -> None:
    early = dataclasses.replace(command(rig.clock), ts=rig.clock.now() + timedelta(seconds=31))
    assert rig.runtime.apply_command(sign_command(early, CENTRAL_KEY)) == (False, "stale")


def test_a_command_for_another_gate_is_refused_and_raises_an_alarm(rig: Rig) -> None:
    signed = sign_command(command(rig.clock, target="gate-02"), CENTRAL_KEY)
    assert rig.runtime.apply_command(signed) == (False, "wrong_target")
    assert rig.flow.state == "awaiting_document"
    assert len(rejection_alarms(rig)) == 1


def test_a_gate_without_a_command_key_still_acts_on_unsigned_commands(tmp_path: Path) -> None:
    gate = Rig(tmp_path, watchlist=[])
    try:
        assert gate.runtime.command_auth is None
        assert gate.runtime.apply_command(command(gate.clock)) == (True, "")
    finally:
        gate.close()
