"""``FingerprintModule``: a ZhianTec/Grow (R30x, R503) module on a serial URL, command by command.

Every answer is checked: its checksum (a popular open driver skips this), its address and its
confirmation code, which becomes a named ``FingerprintError`` (``hal.codecs.zfm``). A garbled answer
is retried once by resending the command. Verification, as the gate does it (SOP-003-A08 step 5):
download the enrolled template into char buffer 2, capture the finger into buffer 1, Match.

>>> from emulator.devices import register; register()
>>> from emulator.devices.serialdev import device
>>> device("fingerprint", "doctest").place_finger("budi-right-index")
>>> with FingerprintModule("emu://fingerprint/doctest") as module:
...     template = module.enrol()
...     module.verify(template).matched
True
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import serial

from hal.codecs.zfm import (
    DEFAULT_ADDRESS,
    DEFAULT_PASSWORD,
    HANDSHAKE_OK,
    TEMPLATE_SIZE,
    Command,
    Confirmation,
    FingerNotPresentError,
    FingerprintCaptureError,
    FingerprintMismatchError,
    FingerprintNotFoundError,
    Packet,
    PacketType,
    ZfmDecoder,
    command,
    confirmation_error,
    data_packets,
    encode_packet,
)
from hal.errors import DeviceClosedError, DeviceTimeoutError, FingerprintError, FrameError

DEFAULT_BAUDRATE = 57_600  # R503 datasheet: 9600 × 6
DEFAULT_TIMEOUT = 1.0  # seconds per answer; capture < 0.2 s, features < 0.5 s (R503 datasheet)
DEFAULT_FINGER_POLLS = 25  # GenImg attempts while waiting for a finger (each takes the module ~0.2 s)


@dataclass(frozen=True, slots=True)
class VerificationResult:
    matched: bool
    score: int
    attempts: int


@dataclass(frozen=True, slots=True)
class SearchHit:
    slot: int
    score: int


@dataclass(frozen=True, slots=True)
class SystemParameters:
    status: int
    system_id: int
    capacity: int
    security_level: int
    address: int
    packet_size: int
    baudrate: int


class FingerprintModule:
    """One module. Methods are blocking request/response calls; it is safe to share between threads."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = DEFAULT_BAUDRATE,
        address: int = DEFAULT_ADDRESS,
        password: int = DEFAULT_PASSWORD,
        timeout: float = DEFAULT_TIMEOUT,
        packet_size: int = 128,
        verify_password: bool = True,
    ) -> None:
        self.url = url
        self.address = address
        self._timeout = timeout
        self.packet_size = packet_size
        self._decoder = ZfmDecoder()
        self._pending: deque[Packet | FrameError] = deque()
        self._lock = threading.RLock()
        self._closed = False
        self._serial: Any = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout)
        if verify_password:
            self.verify_password(password)

    @property
    def timeout(self) -> float:
        """Seconds to wait for each answer."""
        return self._timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._timeout = seconds
        self._serial.timeout = seconds

    # -- the wire -------------------------------------------------------------------------------------
    def _send(self, packet: Packet) -> None:
        self._serial.write(encode_packet(packet))

    def _receive(self) -> Packet:
        while not self._pending:
            data = self._serial.read(max(1, self._serial.in_waiting))
            if not data:
                self._decoder.reset()
                raise DeviceTimeoutError(
                    f"fingerprint module at {self.url} did not answer within {self.timeout} s "
                    "(check cable, power, baud rate and address)"
                )
            self._pending.extend(self._decoder.feed(data))
        item = self._pending.popleft()
        if isinstance(item, FrameError):
            # What follows a garbled packet cannot be trusted to belong to this exchange.
            self._pending.clear()
            self._decoder.reset()
            raise item
        if item.address != self.address:
            return self._receive()
        return item

    def _transact(self, code: Command, *args: int | bytes) -> bytes:
        """Send a command, return the acknowledge's bytes after the confirmation code."""
        with self._lock:
            if self._closed:
                raise DeviceClosedError(f"fingerprint module {self.url} is closed; open a new one")
            for attempt in (1, 2):
                self._send(command(code, *args, address=self.address))
                try:
                    answer = self._receive()
                except FrameError:
                    self._serial.reset_input_buffer()
                    self._pending.clear()
                    if attempt == 2:
                        raise
                    continue
                if answer.kind is not PacketType.ACK or not answer.payload:
                    raise FingerprintError(f"expected an acknowledge to {code.name}, got {answer.kind.name}")
                confirmation = answer.payload[0]
                if code is Command.HANDSHAKE and confirmation == HANDSHAKE_OK:
                    return answer.payload[1:]
                if confirmation != Confirmation.OK:
                    raise confirmation_error(confirmation, code.name, answer.payload[1:])
                return answer.payload[1:]
            raise AssertionError("unreachable")  # pragma: no cover

    # -- commands ---------------------------------------------------------------------------------------
    def handshake(self) -> bool:
        try:
            self._transact(Command.HANDSHAKE)
        except (FingerprintError, DeviceTimeoutError):
            return False
        return True

    def verify_password(self, password: int = DEFAULT_PASSWORD) -> None:
        self._transact(Command.VFY_PWD, password.to_bytes(4, "big"))

    def read_system_parameters(self) -> SystemParameters:
        raw = self._transact(Command.READ_SYS_PARA)
        words = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, 16, 2)]
        return SystemParameters(
            status=words[0],
            system_id=words[1],
            capacity=words[2],
            security_level=words[3],
            address=int.from_bytes(raw[8:12], "big"),
            packet_size=32 << words[6],
            baudrate=9600 * words[7],
        )

    def capture_image(self) -> None:
        """GenImg: raises ``FingerNotPresentError`` or ``FingerprintCaptureError`` when it fails."""
        self._transact(Command.GEN_IMG)

    def image_to_template(self, buffer: int = 1) -> None:
        self._transact(Command.IMG2TZ, buffer)

    def create_model(self) -> None:
        """RegModel: combine buffers 1 and 2 (two captures of one finger) into one template."""
        self._transact(Command.REG_MODEL)

    def store(self, slot: int, buffer: int = 1) -> None:
        self._transact(Command.STORE, buffer, slot.to_bytes(2, "big"))

    def load(self, slot: int, buffer: int = 1) -> None:
        self._transact(Command.LOAD_CHAR, buffer, slot.to_bytes(2, "big"))

    def match(self) -> int:
        """Match buffers 1 and 2; the score, or ``FingerprintMismatchError``."""
        return int.from_bytes(self._transact(Command.MATCH)[:2], "big")

    def search(self, buffer: int = 1, start: int = 0, count: int = 200) -> SearchHit | None:
        try:
            raw = self._transact(Command.SEARCH, buffer, start.to_bytes(2, "big"), count.to_bytes(2, "big"))
        except FingerprintNotFoundError:
            return None
        return SearchHit(int.from_bytes(raw[:2], "big"), int.from_bytes(raw[2:4], "big"))

    def template_count(self) -> int:
        return int.from_bytes(self._transact(Command.TEMPLATE_NUM)[:2], "big")

    def delete(self, slot: int, count: int = 1) -> None:
        self._transact(Command.DELETE_CHAR, slot.to_bytes(2, "big"), count.to_bytes(2, "big"))

    def empty(self) -> None:
        self._transact(Command.EMPTY)

    def upload_template(self, buffer: int = 1) -> bytes:
        """UpChar: the template in ``buffer`` as bytes (512 on an R503)."""
        with self._lock:
            self._transact(Command.UP_CHAR, buffer)
            data = bytearray()
            while True:
                packet = self._receive()
                data.extend(packet.payload)
                if packet.kind is PacketType.END_DATA:
                    return bytes(data)
                if len(data) > 4 * TEMPLATE_SIZE:
                    raise FingerprintError("UpChar sent more than a template's worth of data; resetting")

    def download_template(self, template: bytes, buffer: int = 2) -> None:
        """DownChar: put ``template`` into ``buffer``."""
        with self._lock:
            self._transact(Command.DOWN_CHAR, buffer)
            for packet in data_packets(template, self.packet_size, address=self.address):
                self._send(packet)

    # -- what the gate and kiosk call ---------------------------------------------------------------------
    def wait_for_finger(self, polls: int = DEFAULT_FINGER_POLLS) -> None:
        """Capture as soon as a finger is on the sensor; the last error after ``polls`` attempts."""
        last: FingerprintError | None = None
        for _ in range(polls):
            try:
                self.capture_image()
                return
            except (FingerNotPresentError, FingerprintCaptureError) as exc:
                last = exc
        assert last is not None
        raise last

    def enrol(self, *, polls: int = DEFAULT_FINGER_POLLS, slot: int | None = None) -> bytes:
        """Two captures → one template (stored at ``slot`` if given); returns the template bytes."""
        self.wait_for_finger(polls)
        self.image_to_template(1)
        self.wait_for_finger(polls)
        self.image_to_template(2)
        self.create_model()
        if slot is not None:
            self.store(slot, 1)
        return self.upload_template(1)

    def verify(
        self, template: bytes, *, attempts: int = 3, polls: int = DEFAULT_FINGER_POLLS
    ) -> VerificationResult:
        """Compare the finger on the sensor with an enrolled ``template`` (1:1), retrying bad captures.

        A capture that fails (wet, dry, lifted finger) or a garbled answer costs one attempt; a clean
        capture that does not match ends verification at once.
        """
        last_error: Exception | None = None
        for attempt in range(1, attempts + 1):
            try:
                self.download_template(template, 2)
                self.wait_for_finger(polls)
                self.image_to_template(1)
                score = self.match()
                return VerificationResult(True, score, attempt)
            except FingerprintMismatchError as exc:
                score = int.from_bytes(exc.payload[:2], "big")
                return VerificationResult(False, score, attempt)
            except (FingerprintCaptureError, FingerNotPresentError, FrameError) as exc:
                last_error = exc
        raise FingerprintCaptureError(
            f"no usable capture in {attempts} attempts ({last_error}); ask the passenger to wipe the finger"
        )

    def close(self) -> None:
        """Close the port. Calling it twice is harmless."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._serial.close()

    def __enter__(self) -> FingerprintModule:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
