"""The ZFM fingerprint packet codec: real packets, checksums verified, resynchronisation after noise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hal.codecs.zfm import (
    Command,
    Confirmation,
    FingerNotPresentError,
    FingerprintCaptureError,
    FingerprintMismatchError,
    FingerprintModuleError,
    FingerprintPasswordError,
    Packet,
    PacketType,
    ZfmDecoder,
    ack,
    command,
    confirmation_error,
    data_packets,
    encode_packet,
)
from hal.errors import FingerprintError, FrameChecksumError, FrameError, FrameTooLongError

# VfyPwd with password 0, as in the R503 datasheet's example: EF01 FFFFFFFF 01 0007 13 00000000 001B
VFY_PWD = bytes.fromhex("ef01ffffffff010007130000000000 1b".replace(" ", ""))


def test_vfypwd_encodes_as_in_the_datasheet() -> None:
    assert encode_packet(command(Command.VFY_PWD, bytes(4))) == VFY_PWD


def test_an_acknowledge_decodes_with_its_confirmation_code() -> None:
    out = ZfmDecoder().feed(encode_packet(ack(Confirmation.OK)))
    assert out == [Packet(PacketType.ACK, b"\x00")]


def test_a_bad_checksum_is_a_typed_error() -> None:
    out = ZfmDecoder().feed(encode_packet(ack(Confirmation.OK), corrupt_checksum=True))
    assert len(out) == 1 and isinstance(out[0], FrameChecksumError)


def test_a_packet_split_across_reads_waits_for_its_rest() -> None:
    decoder = ZfmDecoder()
    raw = encode_packet(ack(Confirmation.OK, b"\x00\x05"))
    assert decoder.feed(raw[:7]) == []
    assert decoder.feed(raw[7:]) == [Packet(PacketType.ACK, b"\x00\x00\x05")]


def test_an_oversized_length_is_rejected_and_decoding_resumes() -> None:
    bogus = bytes.fromhex("ef01ffffffff02ffff")
    out = ZfmDecoder().feed(bogus + encode_packet(ack(Confirmation.OK)))
    assert isinstance(out[0], FrameTooLongError)
    assert out[-1] == Packet(PacketType.ACK, b"\x00")


def test_an_unknown_packet_type_is_rejected() -> None:
    out = ZfmDecoder().feed(bytes.fromhex("ef01ffffffff09000300000c"))
    assert isinstance(out[0], FrameError)


def test_noise_before_a_packet_is_reported_and_skipped() -> None:
    out = ZfmDecoder().feed(b"\x00\x13\x37" + encode_packet(ack(Confirmation.OK)))
    assert isinstance(out[0], FrameError) and out[-1] == Packet(PacketType.ACK, b"\x00")


def test_a_template_splits_into_data_packets_ending_with_end_of_data() -> None:
    packets = data_packets(bytes(range(256)) * 2, 128)
    assert [p.kind for p in packets] == [PacketType.DATA] * 3 + [PacketType.END_DATA]
    assert b"".join(p.payload for p in packets) == bytes(range(256)) * 2


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (Confirmation.NO_FINGER, FingerNotPresentError),
        (Confirmation.IMAGE_FAILED, FingerprintCaptureError),
        (Confirmation.IMAGE_MESSY, FingerprintCaptureError),
        (Confirmation.NO_MATCH, FingerprintMismatchError),
        (Confirmation.WRONG_PASSWORD, FingerprintPasswordError),
        (Confirmation.FLASH_ERROR, FingerprintModuleError),
        (0x77, FingerprintModuleError),
    ],
)
def test_confirmation_codes_map_to_named_errors(code: int, error: type[FingerprintError]) -> None:
    exc = confirmation_error(code, "GenImg")
    assert isinstance(exc, error) and exc.code == code and "GenImg" in str(exc)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_decode_to_packets_or_typed_errors(data: bytes) -> None:
    out = ZfmDecoder().feed(data)
    assert all(isinstance(item, Packet | FrameError) for item in out)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_the_decoder_resynchronises_after_noise(noise: bytes) -> None:
    decoder = ZfmDecoder()
    decoder.feed(noise)
    decoder.reset()  # the driver drops what it holds when a command times out
    good = Packet(PacketType.ACK, b"\x00\x00\x2a")
    assert decoder.feed(encode_packet(good)) == [good]


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=0, max_size=256), st.sampled_from(list(PacketType)))
def test_encode_then_decode_is_identity(payload: bytes, kind: PacketType) -> None:
    packet = Packet(kind, payload, 0x12345678)
    assert ZfmDecoder().feed(encode_packet(packet)) == [packet]
