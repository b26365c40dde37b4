"""FingerprintModule contract: the ZFM protocol against the emulated module, in-process and over a pty."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.devices import register
from emulator.devices.fingerprint import MATCH_SCORES, NON_MATCH_SCORES, EmulatedFingerprintModule
from emulator.devices.serialdev import PtyLink, forget_devices, install
from hal.codecs.zfm import (
    TEMPLATE_SIZE,
    Command,
    FingerNotPresentError,
    FingerprintCaptureError,
    FingerprintPasswordError,
)
from hal.errors import DeviceTimeoutError, FrameChecksumError
from hal.fingerprint import FingerprintModule

Rig = tuple[EmulatedFingerprintModule, FingerprintModule]


@pytest.fixture(params=["emu", "pty"])
def url_for(request: pytest.FixtureRequest) -> Iterator[tuple[EmulatedFingerprintModule, str]]:
    register()
    forget_devices()
    device = EmulatedFingerprintModule(seed=3, password=0x1234)
    install("fingerprint", "lane1", device)
    if request.param == "emu":
        yield device, "emu://fingerprint/lane1"
    else:
        with PtyLink(device) as link:
            yield device, link.path
    forget_devices()


@pytest.fixture
def rig(url_for: tuple[EmulatedFingerprintModule, str]) -> Iterator[Rig]:
    device, url = url_for
    module = FingerprintModule(url, password=0x1234, timeout=0.5)
    yield device, module
    module.close()


def test_a_wrong_password_is_refused_by_name(url_for: tuple[EmulatedFingerprintModule, str]) -> None:
    _, url = url_for
    with pytest.raises(FingerprintPasswordError, match="wrong password"):
        FingerprintModule(url, password=0x9999, timeout=0.5)


def test_system_parameters_describe_an_r503(rig: Rig) -> None:
    _, module = rig
    params = module.read_system_parameters()
    assert (params.capacity, params.packet_size, params.baudrate) == (200, 128, 57_600)


def test_the_same_finger_verifies_with_a_realistic_score(rig: Rig) -> None:
    device, module = rig
    device.place_finger("budi-right-index")
    template = module.enrol()
    result = module.verify(template)
    assert result.matched and MATCH_SCORES[0] <= result.score <= MATCH_SCORES[1]


def test_verification_uses_download_capture_and_match(rig: Rig) -> None:
    device, module = rig
    device.place_finger("budi-right-index")
    template = module.enrol()
    device.commands.clear()
    module.verify(template)
    assert device.commands == [Command.DOWN_CHAR, Command.GEN_IMG, Command.IMG2TZ, Command.MATCH]


def test_a_different_finger_does_not_verify(rig: Rig) -> None:
    device, module = rig
    device.place_finger("budi-right-index")
    template = module.enrol()
    device.place_finger("someone-else")
    result = module.verify(template)
    assert not result.matched and NON_MATCH_SCORES[0] <= result.score <= NON_MATCH_SCORES[1]


def test_no_finger_is_reported_by_name(rig: Rig) -> None:
    _, module = rig
    with pytest.raises(FingerNotPresentError):
        module.capture_image()


def test_a_finger_that_never_captures_fails_after_the_allowed_attempts(rig: Rig) -> None:
    device, module = rig
    device.place_finger("budi-right-index")
    template = module.enrol()
    device.poor_capture_rate = 1.0
    device.place_finger("budi-right-index", "wet")
    with pytest.raises(FingerprintCaptureError, match="3 attempts"):
        module.verify(template, attempts=3, polls=2)


def test_a_dry_finger_sometimes_fails_and_verification_retries(rig: Rig) -> None:
    device, module = rig
    device.place_finger("budi-right-index")
    template = module.enrol()
    device.place_finger("budi-right-index", "dry")
    results = [module.verify(template, polls=1, attempts=10) for _ in range(5)]
    assert all(r.matched for r in results)
    assert any(r.attempts > 1 for r in results)


def test_templates_are_512_bytes_and_round_trip(rig: Rig) -> None:
    device, module = rig
    device.place_finger("budi-right-index")
    template = module.enrol()
    module.download_template(template, 1)
    assert len(template) == TEMPLATE_SIZE and module.upload_template(1) == template


def test_stored_templates_are_found_by_search(rig: Rig) -> None:
    device, module = rig
    device.place_finger("budi-right-index")
    module.enrol(slot=7)
    module.wait_for_finger()
    module.image_to_template(1)
    hit = module.search()
    assert hit is not None and hit.slot == 7 and module.template_count() == 1


def test_delete_and_empty_clear_the_store(rig: Rig) -> None:
    device, module = rig
    device.enrol(1, "a")
    device.enrol(2, "b")
    module.delete(1)
    assert module.template_count() == 1
    module.empty()
    assert module.template_count() == 0


def test_one_bad_checksum_is_retried_transparently(rig: Rig) -> None:
    device, module = rig
    device.corrupt_checksums(1)
    assert module.template_count() == 0


def test_repeated_bad_checksums_raise_a_typed_error(rig: Rig) -> None:
    device, module = rig
    device.corrupt_checksums(2)
    with pytest.raises(FrameChecksumError):
        module.template_count()


def test_an_unplugged_module_times_out(rig: Rig) -> None:
    device, module = rig
    device.unplug()
    with pytest.raises(DeviceTimeoutError, match="did not answer"):
        module.template_count()
    assert module.handshake() is False


def test_handshake_answers_when_plugged_in(rig: Rig) -> None:
    _, module = rig
    assert module.handshake() is True
