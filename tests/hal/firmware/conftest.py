"""A door-controller rig (the real firmware on the shim, wired to emulated leaves) and a board for it."""

from __future__ import annotations

import pytest

from emulator.doorctl import DoorControllerRig
from hal.firmware import protocol as p


class Board:
    """The main board's side of the UART, reduced to what the safety tests need."""

    def __init__(self, rig: DoorControllerRig) -> None:
        self.rig = rig
        self.decoder = p.FrameDecoder()
        self.seq = 0
        self.acks: dict[int, int] = {}
        self.faults: list[tuple[int, int, int]] = []
        self.states: list[tuple[int, bool, int, int, int, list[int], list[int], list[int]]] = []

    def send(self, msg_type: int, payload: bytes) -> None:
        self.rig.write(p.encode_frame(msg_type, payload))
        self.collect()

    def command(self, msg_type: int, payload_after_seq: bytes = b"") -> int:
        """Send a command with a fresh sequence number; return the controller's ACK result."""
        self.seq += 1
        self.send(msg_type, p.encode_seq(self.seq) + payload_after_seq)
        return self.acks[self.seq]

    def set_leaf(self, leaf: int, target: int) -> int:
        return self.command(p.MSG_SET_LEAF, bytes([leaf, target]))

    def configure(self, heartbeat_ms: int, motor_ms: int, safe_entrance: int, safe_exit: int) -> int:
        payload = p.encode_configure(0, heartbeat_ms, motor_ms, safe_entrance, safe_exit)[2:]
        return self.command(p.MSG_CONFIGURE, payload)

    def heartbeat(self) -> None:
        self.seq += 1
        self.send(p.MSG_HEARTBEAT, p.encode_seq(self.seq))

    def run_with_heartbeats(self, ms: int, every_ms: int = 200) -> None:
        """Let time pass while the board stays alive."""
        while ms > 0:
            self.heartbeat()
            step = min(every_ms, ms)
            self.rig.run(step)
            self.collect()
            ms -= step

    def collect(self) -> None:
        for msg_type, payload in self.decoder.feed(self.rig.read()):
            if msg_type == p.MSG_ACK:
                seq, result = p.decode_ack(payload)
                self.acks[seq] = result
            elif msg_type == p.MSG_FAULT:
                self.faults.append(p.decode_fault(payload))
            elif msg_type == p.MSG_STATE:
                self.states.append(p.decode_state(payload))

    @property
    def mode(self) -> int:
        self.collect()
        return self.states[-1][0]

    def fault_codes(self) -> list[int]:
        self.collect()
        return [fault for fault, _leaf, _detail in self.faults]


@pytest.fixture
def rig() -> DoorControllerRig:
    return DoorControllerRig()


@pytest.fixture
def board(rig: DoorControllerRig) -> Board:
    """A board that has configured the controller (1 s heartbeat timeout) and seen both leaves closed."""
    b = Board(rig)
    assert b.configure(1000, 2000, p.TARGET_OPEN, p.TARGET_LOCKED) == p.RESULT_OK
    b.run_with_heartbeats(20)
    return b
