"""The MRZ reader codec: both framings, padding, missing lines, and resynchronisation after noise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hal.codecs.mrz import ETX, STX, Framing, MrzFrame, MrzFrameDecoder, bcc, encode_frame
from hal.errors import FrameChecksumError, FrameError, FrameTooLongError

# ICAO Doc 9303 Part 4 specimen (TD3) and Part 5 specimen (TD1).
TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
TD1 = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
]
GOOD_FRAME = encode_frame(TD3, Framing.STX_ETX)


def frames(items: list[MrzFrame | FrameError]) -> list[MrzFrame]:
    return [item for item in items if isinstance(item, MrzFrame)]


def test_an_stx_frame_with_bcc_yields_its_lines() -> None:
    assert MrzFrameDecoder().feed(GOOD_FRAME) == [MrzFrame(tuple(TD3), Framing.STX_ETX)]


def test_a_3m_preamble_before_stx_is_ignored() -> None:
    preamble = b"\x01\x00\x5bOU"
    assert MrzFrameDecoder().feed(preamble + GOOD_FRAME) == [MrzFrame(tuple(TD3), Framing.STX_ETX)]


def test_underscore_padding_is_kept_raw() -> None:
    padded = [line.replace("<", "_") for line in TD3]
    assert frames(MrzFrameDecoder().feed(encode_frame(padded, Framing.STX_ETX)))[0].lines == tuple(padded)


def test_a_missing_line_arrives_as_an_empty_line() -> None:
    data = encode_frame(["", TD3[1]], Framing.STX_ETX)
    assert frames(MrzFrameDecoder().feed(data))[0].lines == ("", TD3[1])


def test_a_frame_without_bcc_is_read_when_configured_so() -> None:
    data = encode_frame(TD3, Framing.STX_ETX, with_bcc=False)
    assert frames(MrzFrameDecoder(with_bcc=False).feed(data))[0].lines == tuple(TD3)


def test_a_bad_bcc_is_a_checksum_error_and_the_frame_is_dropped() -> None:
    data = GOOD_FRAME[:-1] + bytes([GOOD_FRAME[-1] ^ 0xFF])
    out = MrzFrameDecoder().feed(data)
    assert len(out) == 1 and isinstance(out[0], FrameChecksumError)


def test_bcc_is_the_xor_of_the_body_and_etx() -> None:
    body = GOOD_FRAME[1:-1]
    assert body[-1] == ETX and GOOD_FRAME[-1] == bcc(body)


def test_crlf_line_bursts_complete_on_a_whole_td3() -> None:
    out = MrzFrameDecoder().feed(encode_frame(TD3, Framing.LINES))
    assert out == [MrzFrame(tuple(TD3), Framing.LINES)]


def test_cr_only_line_bursts_complete_on_a_whole_td1() -> None:
    out = MrzFrameDecoder().feed(encode_frame(TD1, Framing.LINES, line_end=b"\r"))
    assert out == [MrzFrame(tuple(TD1), Framing.LINES)]


def test_a_lone_line_is_emitted_as_a_partial_burst_on_flush() -> None:
    decoder = MrzFrameDecoder()
    assert decoder.feed(TD3[1].encode() + b"\r\n") == []
    assert decoder.pending
    assert decoder.flush() == [MrzFrame((TD3[1],), Framing.LINES)]


def test_an_earlier_partial_burst_is_reported_before_the_next_whole_one() -> None:
    data = b"L898902C\r\n" + encode_frame(TD3, Framing.LINES)
    out = MrzFrameDecoder().feed(data)
    assert out == [MrzFrame(("L898902C",), Framing.LINES), MrzFrame(tuple(TD3), Framing.LINES)]


def test_an_oversized_frame_is_dropped_and_the_next_frame_decodes() -> None:
    decoder = MrzFrameDecoder(max_frame=100)
    out = decoder.feed(bytes([STX]) + b"A" * 200 + GOOD_FRAME)
    assert isinstance(out[0], FrameTooLongError)
    assert frames(out) == [MrzFrame(tuple(TD3), Framing.STX_ETX)]


def test_an_oversized_line_is_dropped_until_its_end() -> None:
    out = MrzFrameDecoder().feed(b"X" * 500 + b"\r\n" + encode_frame(TD3, Framing.LINES))
    assert isinstance(out[0], FrameTooLongError)
    assert frames(out) == [MrzFrame(tuple(TD3), Framing.LINES)]


def test_a_frame_cut_short_by_a_new_stx_is_reported() -> None:
    out = MrzFrameDecoder().feed(GOOD_FRAME[:20] + GOOD_FRAME)
    assert isinstance(out[0], FrameError)
    assert frames(out) == [MrzFrame(tuple(TD3), Framing.STX_ETX)]


def test_flush_reports_a_frame_that_never_ended() -> None:
    decoder = MrzFrameDecoder()
    decoder.feed(GOOD_FRAME[:30])
    out = decoder.flush()
    assert len(out) == 1 and isinstance(out[0], FrameError)
    assert not decoder.pending


def test_noise_bytes_in_a_line_are_reported_not_passed_on() -> None:
    out = MrzFrameDecoder().feed(b"\x00\xff\x13garbage\r\n")
    assert len(out) == 1 and isinstance(out[0], FrameError)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_decode_to_frames_or_typed_errors(data: bytes) -> None:
    decoder = MrzFrameDecoder()
    out = decoder.feed(data) + decoder.flush()
    assert all(isinstance(item, MrzFrame | FrameError) for item in out)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_the_decoder_resynchronises_on_the_next_good_frame_after_noise(noise: bytes) -> None:
    decoder = MrzFrameDecoder()
    decoder.feed(noise)
    # A BCC wait may swallow one STX (1 in 256); the reader's next frame then decodes.
    out = decoder.feed(GOOD_FRAME + GOOD_FRAME)
    assert any(item.lines == tuple(TD3) for item in frames(out))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=1, max_value=40))
def test_chunking_does_not_change_what_is_decoded(noise: bytes, chunk: int) -> None:
    data = noise + GOOD_FRAME + encode_frame(TD1, Framing.LINES)
    whole = MrzFrameDecoder()
    pieces = MrzFrameDecoder()
    expected = whole.feed(data) + whole.flush()
    got = [item for i in range(0, len(data), chunk) for item in pieces.feed(data[i : i + chunk])]
    got += pieces.flush()
    assert [repr(item) for item in got] == [repr(item) for item in expected]
