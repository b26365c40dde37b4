"""Issue 12: what central puts on a gate's ``cmd`` topic is signed, and the gate's check accepts it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central import translate
from central.store import Row, Store
from core import wire
from core.clock import ManualClock
from edge.commands_auth import CommandAuthenticator

KEY = Ed25519PrivateKey.generate()


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    s = Store(sqlite_url)
    yield s
    s.close()


def stored_command(store: Store, clock: ManualClock) -> tuple[Row, Row]:
    device = store.add_device("gate-01", kind="gate", site="cgk", now=clock.now())
    row = store.add_command(
        "gate-01",
        "release_passenger",
        params={},
        issued_by="supervisor-1",
        now=clock.now(),
        command_id=wire.new_event_id(clock.now()),
    )
    return row, device


def test_central_signs_the_command_it_publishes_and_the_gate_accepts_it(store: Store) -> None:
    clock = ManualClock()
    row, device = stored_command(store, clock)
    topic, payload = translate.command(row, device, in_reply_to=None, key=KEY)
    gate = CommandAuthenticator(KEY.public_key(), "gate-01", clock)
    assert topic == "imigrasi/v1/cgk/gate/gate-01/cmd"
    assert gate.refusal(wire.decode_as(wire.SupervisorCommand, payload)) is None


def test_a_resend_of_the_same_command_carries_a_new_nonce(store: Store) -> None:
    clock = ManualClock()
    row, device = stored_command(store, clock)
    first, again = (
        wire.decode_as(wire.SupervisorCommand, translate.command(row, device, in_reply_to=None, key=KEY)[1])
        for _ in range(2)
    )
    assert first.command_id == again.command_id
    assert first.nonce != again.nonce


def test_central_without_a_command_key_sends_commands_a_keyed_gate_refuses(store: Store) -> None:
    clock = ManualClock()
    row, device = stored_command(store, clock)
    _, payload = translate.command(row, device, in_reply_to=None)
    gate = CommandAuthenticator(KEY.public_key(), "gate-01", clock)
    assert gate.refusal(wire.decode_as(wire.SupervisorCommand, payload)) == "unsigned"
