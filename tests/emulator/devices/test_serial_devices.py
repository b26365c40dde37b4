"""The emulator's serial far ends on their own: URL handling, fault injection, the finger model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import serial

from emulator.devices import register, serialdev
from emulator.devices.fingerprint import EmulatedFingerprintModule, synthetic_template, template_identity
from emulator.devices.mrz_reader import LOOKALIKES, EmulatedMrzReader
from emulator.devices.serialdev import forget_devices
from hal.codecs.zfm import TEMPLATE_SIZE, Confirmation, Packet, PacketType, ZfmDecoder, command, encode_packet
from hal.codecs.zfm import Command as Cmd

TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    register()
    forget_devices()
    yield
    forget_devices()


def test_an_unknown_url_option_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(serial.SerialException, match="allowed: bcc, framing"):
        serial.serial_for_url("emu://mrz/x?speed=fast")


def test_an_unknown_device_kind_is_refused() -> None:
    with pytest.raises(serial.SerialException, match="no emulated device kind 'scale'"):
        serial.serial_for_url("emu://scale/x")


def test_url_options_configure_the_device() -> None:
    serial.serial_for_url("emu://mrz/opts?framing=lines&bcc=0", timeout=0).close()
    device = serialdev.device("mrz", "opts")
    assert isinstance(device, EmulatedMrzReader) and device.framing.value == "lines" and not device.with_bcc


def test_ocr_errors_swap_lookalike_characters_only() -> None:
    reader = EmulatedMrzReader(seed=1)
    damaged = reader.mrz_lines(TD3, ocr_errors=3)
    diffs = [
        (a, b)
        for line, bad in zip(TD3, damaged, strict=True)
        for a, b in zip(line, bad, strict=True)
        if a != b
    ]
    assert 1 <= len(diffs) <= 3 and all(LOOKALIKES[a] == b for a, b in diffs)


def test_the_same_seed_injects_the_same_errors() -> None:
    assert EmulatedMrzReader(seed=5).mrz_lines(TD3, ocr_errors=4) == EmulatedMrzReader(seed=5).mrz_lines(
        TD3, ocr_errors=4
    )


def test_captures_of_one_finger_differ_but_share_an_identity() -> None:
    one, two = synthetic_template("f", 1), synthetic_template("f", 2)
    assert len(one) == TEMPLATE_SIZE and one != two and template_identity(one) == template_identity(two)


def talk(module: EmulatedFingerprintModule, data: bytes) -> list[Packet]:
    replies: list[bytes] = []
    disconnect = module.connect(replies.append)
    module.receive(data)
    disconnect()
    out = ZfmDecoder().feed(b"".join(replies))
    return [p for p in out if isinstance(p, Packet)]


def test_a_garbled_command_is_answered_with_a_packet_error() -> None:
    module = EmulatedFingerprintModule()
    bad = encode_packet(command(Cmd.TEMPLATE_NUM), corrupt_checksum=True)
    assert talk(module, bad) == [Packet(PacketType.ACK, bytes([Confirmation.PACKET_ERROR]))]


def test_a_command_for_another_address_is_ignored() -> None:
    module = EmulatedFingerprintModule()
    assert talk(module, encode_packet(command(Cmd.TEMPLATE_NUM, address=0x1))) == []


def test_an_unplugged_module_is_silent() -> None:
    module = EmulatedFingerprintModule()
    module.unplug()
    assert talk(module, encode_packet(command(Cmd.TEMPLATE_NUM))) == []


def test_wet_fingers_fail_to_capture_at_the_configured_rate() -> None:
    module = EmulatedFingerprintModule(seed=11, poor_capture_rate=0.5)
    module.place_finger("f", "wet")
    codes = [talk(module, encode_packet(command(Cmd.GEN_IMG)))[0].payload[0] for _ in range(200)]
    failures = codes.count(Confirmation.IMAGE_MESSY)
    assert set(codes) <= {Confirmation.OK, Confirmation.IMAGE_MESSY} and 60 <= failures <= 140
