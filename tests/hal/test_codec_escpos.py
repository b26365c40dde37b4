"""The ESC/POS subset: what the builder writes, the parser reads back; unknown bytes are typed errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hal.codecs.escpos import Align, Bold, Cut, Feed, Init, NewLine, QrCode, Receipt, Size, Text, parse_escpos
from hal.errors import FrameError


def test_a_receipt_starts_with_initialise() -> None:
    assert Receipt().to_bytes() == b"\x1b@"


def test_builder_and_parser_agree_on_every_command() -> None:
    data = (
        Receipt()
        .align("centre")
        .size(2, 2)
        .bold()
        .line("KANTOR IMIGRASI")
        .bold(False)
        .size()
        .align("left")
        .line("No. antrian: A-012")
        .feed(2)
        .qr("IMI-2026-000123")
        .cut()
        .to_bytes()
    )
    assert parse_escpos(data) == [
        Init(),
        Align("centre"),
        Size(2, 2),
        Bold(True),
        Text("KANTOR IMIGRASI"),
        NewLine(),
        Bold(False),
        Size(1, 1),
        Align("left"),
        Text("No. antrian: A-012"),
        NewLine(),
        Feed(2),
        QrCode("IMI-2026-000123"),
        Cut(),
    ]


def test_a_truncated_command_is_a_frame_error() -> None:
    with pytest.raises(FrameError, match="truncated"):
        parse_escpos(b"\x1b@\x1bE")


def test_an_unsupported_command_is_a_frame_error() -> None:
    with pytest.raises(FrameError, match="unsupported"):
        parse_escpos(b"\x1bz\x01")


def test_bad_arguments_to_the_builder_say_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="1…8"):
        Receipt().size(9, 1)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_parse_or_raise_a_frame_error(data: bytes) -> None:
    try:
        ops = parse_escpos(data)
    except FrameError:
        return
    assert isinstance(ops, list)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60))
def test_printable_text_round_trips(value: str) -> None:
    ops = parse_escpos(Receipt().line(value).to_bytes())
    assert "".join(op.value for op in ops if isinstance(op, Text)) == value
