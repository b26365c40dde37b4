"""MrzReader contract: the same behaviour over an in-process emu:// port and over a real pseudo-terminal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from core.clock import ManualClock
from core.documents import TravelDocument
from emulator.devices import register
from emulator.devices.mrz_reader import EmulatedMrzReader
from emulator.devices.serialdev import PtyLink, forget_devices, install
from hal.codecs.mrz import Framing
from hal.errors import FrameChecksumError, FrameError
from hal.mrz import MrzReader

Lane = tuple[EmulatedMrzReader, MrzReader, ManualClock]
WAIT = 5.0  # real seconds a test waits for bytes to cross a thread or a pty; never reached when green

DOCUMENT = TravelDocument(
    document_code="P",
    issuing_state="IDN",
    surname="SANTOSO",
    given_names="BUDI",
    document_number="C1234567",
    nationality="IDN",
    birth_date=date(1985, 3, 14),
    sex="M",
    expiry_date=date(2030, 3, 13),
)


@pytest.fixture(params=["emu", "pty"])
def lane(request: pytest.FixtureRequest) -> Iterator[Lane]:
    register()
    forget_devices()
    device = EmulatedMrzReader(seed=7)
    install("mrz", "lane1", device)
    clock = ManualClock()
    if request.param == "emu":
        reader = MrzReader("emu://mrz/lane1", clock=clock)
        yield device, reader, clock
        reader.close()
    else:
        with PtyLink(device) as link:
            reader = MrzReader(link.path, clock=clock)
            yield device, reader, clock
            reader.close()
    forget_devices()


def test_a_presented_passport_is_read_and_valid(
    lane: Lane,
) -> None:
    device, reader, _ = lane
    device.present(DOCUMENT)
    reading = reader.wait_for_document(WAIT)
    assert reading is not None and reading.valid
    assert reading.result is not None and reading.result.surname == "SANTOSO"


def test_line_framing_is_read_too(lane: Lane) -> None:
    device, reader, _ = lane
    device.present(DOCUMENT, framing=Framing.LINES)
    reading = reader.wait_for_document(WAIT)
    assert reading is not None and reading.valid and reading.framing is Framing.LINES


def test_underscore_padded_lines_parse(lane: Lane) -> None:
    device, reader, _ = lane
    device.present(DOCUMENT, pad=True)
    reading = reader.wait_for_document(WAIT)
    assert reading is not None and "_" in reading.lines[0] and reading.valid


def test_ocr_errors_are_caught_by_revalidation(
    lane: Lane,
) -> None:
    device, reader, _ = lane
    sent = device.mrz_lines(DOCUMENT, ocr_errors=3)
    device.present(sent)
    reading = reader.wait_for_document(WAIT)
    assert reading is not None and reading.lines == tuple(sent)
    assert reading.result is None or reading.result.repairs or not reading.valid


def test_a_missing_line_is_reported_as_an_invalid_read(
    lane: Lane,
) -> None:
    device, reader, _ = lane
    device.present(DOCUMENT, missing_line=0)
    reading = reader.wait_for_document(WAIT)
    assert reading is not None and not reading.valid and reading.error
    assert reading.lines[0] == ""


def test_a_bad_bcc_is_a_frame_error_and_the_next_read_succeeds(
    lane: Lane,
) -> None:
    device, reader, _ = lane
    errors: list[FrameError] = []
    reader.when_frame_error = errors.append
    device.present(DOCUMENT, corrupt_bcc=True)
    device.present(DOCUMENT)
    reading = reader.wait_for_document(WAIT)
    assert reading is not None and reading.valid
    assert [type(e) for e in errors] == [FrameChecksumError]


def test_garbage_before_a_frame_does_not_stop_the_read(
    lane: Lane,
) -> None:
    device, reader, _ = lane
    device.present(DOCUMENT, garbage=40)
    reading = reader.wait_for_document(WAIT)
    assert reading is not None and reading.valid


def test_a_lone_line_burst_is_reported_after_the_idle_gap(
    lane: Lane,
) -> None:
    device, reader, clock = lane
    readings: list[object] = []
    reader.when_document_read = readings.append
    device.present(DOCUMENT, framing=Framing.LINES, missing_line=0)
    assert reader.wait_for_document(0.3) is None  # a half burst waits for the reader to go quiet
    clock.advance(reader.idle_gap)
    assert len(readings) == 1


def test_closing_twice_is_harmless(lane: Lane) -> None:
    _, reader, _ = lane
    reader.close()
    reader.close()
    assert reader.wait_for_document(0.01) is None


def test_a_line_cut_short_is_reported_as_an_invalid_read(lane: Lane) -> None:
    device, reader, _ = lane
    device.present(DOCUMENT, cut_line=(1, 20))
    reading = reader.wait_for_document(WAIT)
    assert reading is not None and not reading.valid and len(reading.lines[1]) == 20
