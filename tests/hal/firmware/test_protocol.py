"""The framed UART protocol shared by the firmware and the HAL."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hal.firmware import protocol as p
from hal.firmware.shim import Shim, load_firmware

payloads = st.binary(max_size=p.MAX_PAYLOAD)
types_ = st.integers(min_value=0, max_value=0xFF)


def test_crc_is_ccitt_false_with_its_published_check_value() -> None:
    assert p.crc16(b"123456789") == 0x29B1


def test_frame_layout_is_start_length_type_payload_crc() -> None:
    frame = p.encode_frame(p.MSG_ACK, b"\x00\x07\x00")
    assert frame[:3] == bytes([p.START, 3, p.MSG_ACK])
    assert frame[3:6] == b"\x00\x07\x00"
    assert int.from_bytes(frame[6:], "big") == p.crc16(frame[1:6])


@settings(max_examples=100)
@given(msg_type=types_, payload=payloads)
def test_any_frame_decodes_to_what_was_encoded(msg_type: int, payload: bytes) -> None:
    assert p.FrameDecoder().feed(p.encode_frame(msg_type, payload)) == [(msg_type, payload)]


@settings(max_examples=50)
@given(
    frames=st.lists(st.tuples(types_, payloads), max_size=5),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_frames_split_anywhere_arrive_whole_and_in_order(
    frames: list[tuple[int, bytes]], cuts: list[int]
) -> None:
    stream = b"".join(p.encode_frame(t, data) for t, data in frames)
    decoder = p.FrameDecoder()
    got: list[tuple[int, bytes]] = []
    start = 0
    for cut in [*sorted(c for c in cuts if c <= len(stream)), len(stream)]:
        got += decoder.feed(stream[start:cut])
        start = cut
    assert got == frames
    assert decoder.errors == 0


@settings(max_examples=50)
@given(noise=st.binary(max_size=40), msg_type=types_, payload=payloads)
def test_decoder_resynchronises_after_line_noise(noise: bytes, msg_type: int, payload: bytes) -> None:
    # Noise may itself contain START bytes and a length that swallows the real frame; that bogus frame
    # fails its CRC once enough bytes follow (here: idle-line zeros), and the real frame is found.
    frame = p.encode_frame(msg_type, payload)
    decoder = p.FrameDecoder()
    got = decoder.feed(noise + frame + bytes(p.MAX_PAYLOAD + p.FRAME_OVERHEAD))
    assert (msg_type, payload) in got


def test_a_corrupted_frame_is_dropped_and_counted() -> None:
    frame = bytearray(p.encode_frame(p.MSG_HEARTBEAT, p.encode_seq(1)))
    frame[3] ^= 0x01
    decoder = p.FrameDecoder()
    assert decoder.feed(bytes(frame)) == []
    assert decoder.errors >= 1


def test_an_impossible_length_is_dropped_and_counted() -> None:
    decoder = p.FrameDecoder()
    assert decoder.feed(bytes([p.START, p.MAX_PAYLOAD + 1, 0x01])) == []
    assert decoder.errors == 1


def test_a_partial_frame_waits_for_its_remaining_bytes() -> None:
    frame = p.encode_frame(p.MSG_HEARTBEAT, p.encode_seq(9))
    decoder = p.FrameDecoder()
    assert decoder.feed(frame[:4]) == []
    assert decoder.pending() == 4


def test_oversized_payload_is_refused_with_a_reason() -> None:
    with pytest.raises(p.ProtocolError, match="exceeds"):
        p.encode_frame(p.MSG_STATE, bytes(p.MAX_PAYLOAD + 1))


@settings(max_examples=50)
@given(
    seq=st.integers(0, 0xFFFF),
    leaf=st.sampled_from([p.LEAF_ENTRANCE, p.LEAF_EXIT]),
    target=st.sampled_from(p.TARGETS),
)
def test_set_leaf_round_trips(seq: int, leaf: int, target: int) -> None:
    assert p.decode_set_leaf(p.encode_set_leaf(seq, leaf, target)) == (seq, leaf, target)


def test_set_leaf_with_an_unknown_leaf_is_a_protocol_error() -> None:
    with pytest.raises(p.ProtocolError, match="out of range"):
        p.decode_set_leaf(p.encode_set_leaf(1, 2, p.TARGET_OPEN))


@settings(max_examples=50)
@given(
    seq=st.integers(0, 0xFFFF),
    hb=st.integers(0, 0xFFFF),
    motor=st.integers(0, 0xFFFF),
    safe=st.tuples(st.sampled_from(p.TARGETS), st.sampled_from(p.TARGETS)),
)
def test_configure_round_trips(seq: int, hb: int, motor: int, safe: tuple[int, int]) -> None:
    assert p.decode_configure(p.encode_configure(seq, hb, motor, *safe)) == (seq, hb, motor, *safe)


@settings(max_examples=50)
@given(
    mode=st.sampled_from([p.MODE_NORMAL, p.MODE_FIRE, p.MODE_FIRE_RESET, p.MODE_FAILSAFE]),
    fire=st.booleans(),
    fault=st.integers(0, 6),
    detail=st.integers(0, 0xFFFFFFFF),
    positions=st.lists(st.integers(0, 5), min_size=2, max_size=2),
    targets=st.lists(st.sampled_from(p.TARGETS), min_size=2, max_size=2),
    flags=st.lists(st.integers(0, 7), min_size=2, max_size=2),
)
def test_state_round_trips(
    mode: int,
    fire: bool,
    fault: int,
    detail: int,
    positions: list[int],
    targets: list[int],
    flags: list[int],
) -> None:
    payload = p.encode_state(mode, fire, fault, p.LEAF_NONE, detail, positions, targets, flags)
    assert len(payload) == p.STATE_LEN
    assert p.decode_state(payload) == (mode, fire, fault, p.LEAF_NONE, detail, positions, targets, flags)


@settings(max_examples=30)
@given(fault=st.integers(0, 0xFF), leaf=st.integers(0, 0xFF), detail=st.integers(0, 0xFFFFFFFF))
def test_fault_round_trips(fault: int, leaf: int, detail: int) -> None:
    assert p.decode_fault(p.encode_fault(fault, leaf, detail)) == (fault, leaf, detail)


def test_short_payloads_are_protocol_errors_naming_the_message() -> None:
    with pytest.raises(p.ProtocolError, match="STATE payload must be 13 bytes"):
        p.decode_state(b"\x00")


def test_firmware_and_hal_import_the_same_codec() -> None:
    # The firmware imports it as plain ``protocol``; the HAL as ``hal.firmware.protocol``.
    firmware_protocol = load_firmware(Shim()).protocol
    assert firmware_protocol.__file__ == p.__file__
    frame = p.encode_frame(p.MSG_SET_LEAF, p.encode_set_leaf(5, p.LEAF_EXIT, p.TARGET_LOCKED))
    assert (
        firmware_protocol.encode_frame(
            p.MSG_SET_LEAF, firmware_protocol.encode_set_leaf(5, p.LEAF_EXIT, p.TARGET_LOCKED)
        )
        == frame
    )
