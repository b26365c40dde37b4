"""The ZhianTec/Grow (R30x, R503) fingerprint module packet protocol: a pure encoder and decoder.

Packet (datasheet "packet format"): ``EF 01`` start, 4-byte address (default ``FFFFFFFF``), packet
type (``01`` command, ``02`` data, ``07`` acknowledge, ``08`` end of data), 2-byte big-endian length
(payload + checksum), payload, 2-byte checksum = low 16 bits of the sum of type, length and payload
bytes. A popular open driver does not verify checksums; this decoder does, and reports every bad
packet as a typed error (never raises on input) and resynchronises on the next ``EF 01``.

>>> packet = Packet(PacketType.COMMAND, bytes([Command.GEN_IMG]))
>>> encode_packet(packet).hex()
'ef01ffffffff010003010005'
>>> ZfmDecoder().feed(encode_packet(packet)) == [packet]
True
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from hal.errors import FingerprintError, FrameChecksumError, FrameError, FrameTooLongError

START = b"\xef\x01"
DEFAULT_ADDRESS = 0xFFFFFFFF
DEFAULT_PASSWORD = 0x00000000
MAX_PAYLOAD = 256  # the largest data-packet size the module can be set to (SetSysPara, 32…256)
HEADER_LEN = 9  # start 2 + address 4 + type 1 + length 2
TEMPLATE_SIZE = 512  # R503: one character file (UpChar/DownChar) is 512 bytes
HANDSHAKE_OK = 0x55


class PacketType(IntEnum):
    COMMAND = 0x01
    DATA = 0x02
    ACK = 0x07
    END_DATA = 0x08


class Command(IntEnum):
    GEN_IMG = 0x01
    IMG2TZ = 0x02
    MATCH = 0x03
    SEARCH = 0x04
    REG_MODEL = 0x05
    STORE = 0x06
    LOAD_CHAR = 0x07
    UP_CHAR = 0x08
    DOWN_CHAR = 0x09
    UP_IMAGE = 0x0A
    DOWN_IMAGE = 0x0B
    DELETE_CHAR = 0x0C
    EMPTY = 0x0D
    SET_SYS_PARA = 0x0E
    READ_SYS_PARA = 0x0F
    VFY_PWD = 0x13
    HI_SPEED_SEARCH = 0x1B
    TEMPLATE_NUM = 0x1D
    READ_INDEX_TABLE = 0x1F
    AURA_LED_CONFIG = 0x35
    SOFT_RESET = 0x3D
    HANDSHAKE = 0x53


class Confirmation(IntEnum):
    OK = 0x00
    PACKET_ERROR = 0x01
    NO_FINGER = 0x02
    IMAGE_FAILED = 0x03
    IMAGE_MESSY = 0x06
    TOO_FEW_FEATURES = 0x07
    NO_MATCH = 0x08
    NOT_FOUND = 0x09
    ENROL_MISMATCH = 0x0A
    BAD_LOCATION = 0x0B
    UPLOAD_FAILED = 0x0D
    CANNOT_RECEIVE_DATA = 0x0E
    DELETE_FAILED = 0x10
    EMPTY_FAILED = 0x11
    WRONG_PASSWORD = 0x13
    INVALID_IMAGE = 0x15
    FLASH_ERROR = 0x18
    INVALID_REGISTER = 0x1A


@dataclass(frozen=True, slots=True)
class Packet:
    kind: PacketType
    payload: bytes
    address: int = DEFAULT_ADDRESS


def checksum(kind: int, length: int, payload: bytes) -> int:
    return (kind + (length >> 8) + (length & 0xFF) + sum(payload)) & 0xFFFF


def encode_packet(packet: Packet, *, corrupt_checksum: bool = False) -> bytes:
    """The packet's bytes; ``corrupt_checksum`` is for the emulator's fault injection."""
    if len(packet.payload) > MAX_PAYLOAD:
        raise FrameTooLongError(f"payload of {len(packet.payload)} bytes exceeds {MAX_PAYLOAD}; split it")
    length = len(packet.payload) + 2
    total = checksum(packet.kind, length, packet.payload) ^ (0x5A5A if corrupt_checksum else 0)
    return (
        START
        + packet.address.to_bytes(4, "big")
        + bytes([packet.kind])
        + length.to_bytes(2, "big")
        + packet.payload
        + total.to_bytes(2, "big")
    )


def command(code: Command, *args: int | bytes, address: int = DEFAULT_ADDRESS) -> Packet:
    """A command packet; integer ``args`` are single bytes, ``bytes`` args are copied as they are."""
    body = bytearray([code])
    for arg in args:
        body.extend(arg if isinstance(arg, bytes) else bytes([arg]))
    return Packet(PacketType.COMMAND, bytes(body), address)


def ack(code: Confirmation | int, extra: bytes = b"", *, address: int = DEFAULT_ADDRESS) -> Packet:
    return Packet(PacketType.ACK, bytes([code]) + extra, address)


def data_packets(data: bytes, size: int = 128, *, address: int = DEFAULT_ADDRESS) -> list[Packet]:
    """``data`` split into data packets of ``size`` bytes, the last one typed END_DATA."""
    chunks = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    return [
        Packet(PacketType.END_DATA if i == len(chunks) - 1 else PacketType.DATA, chunk, address)
        for i, chunk in enumerate(chunks)
    ]


Decoded = Packet | FrameError


class ZfmDecoder:
    """Incremental packet decoder: ``feed(bytes)`` returns packets and ``FrameError``s in order."""

    def __init__(self, *, max_payload: int = MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held waiting for the rest of a packet."""
        return len(self._buffer)

    def reset(self) -> None:
        self._buffer.clear()

    def feed(self, data: bytes) -> list[Decoded]:
        self._buffer.extend(data)
        out: list[Decoded] = []
        while True:
            start = self._buffer.find(START)
            if start < 0:
                # Keep a trailing 0xEF: it may be the first half of the next start code.
                skipped = len(self._buffer) - (1 if self._buffer.endswith(START[:1]) else 0)
                if skipped:
                    out.append(FrameError(f"{skipped} bytes of line noise before a packet start; dropped"))
                    del self._buffer[:skipped]
                return out
            if start:
                out.append(FrameError(f"{start} bytes of line noise before a packet start; dropped"))
                del self._buffer[:start]
            if len(self._buffer) < HEADER_LEN:
                return out
            kind = self._buffer[6]
            length = int.from_bytes(self._buffer[7:9], "big")
            problem = None
            if kind not in PacketType._value2member_map_:
                problem = FrameError(f"unknown packet type {kind:#04x}; resynchronising")
            elif length < 2 or length - 2 > self.max_payload:
                problem = FrameTooLongError(
                    f"packet length {length} outside 2…{self.max_payload + 2}; resynchronising"
                )
            if problem is not None:
                out.append(problem)
                del self._buffer[:2]  # skip this start code and look for the next
                continue
            if len(self._buffer) < HEADER_LEN + length:
                return out
            payload = bytes(self._buffer[HEADER_LEN : HEADER_LEN + length - 2])
            received = int.from_bytes(self._buffer[HEADER_LEN + length - 2 : HEADER_LEN + length], "big")
            address = int.from_bytes(self._buffer[2:6], "big")
            del self._buffer[: HEADER_LEN + length]
            expected = checksum(kind, length, payload)
            if received != expected:
                out.append(
                    FrameChecksumError(
                        f"packet checksum {received:#06x} != computed {expected:#06x}; dropped"
                    )
                )
                continue
            out.append(Packet(PacketType(kind), payload, address))


# -- confirmation codes as named errors -------------------------------------------------------------


class FingerNotPresentError(FingerprintError):
    """No finger on the sensor (0x02): ask the passenger to place a finger."""


class FingerprintCaptureError(FingerprintError):
    """The image could not be captured or used (0x03, 0x06, 0x07, 0x15): wipe the finger, try again."""


class FingerprintMismatchError(FingerprintError):
    """The two templates do not match (0x08)."""


class FingerprintNotFoundError(FingerprintError):
    """No stored template matches (0x09)."""


class FingerprintPasswordError(FingerprintError):
    """The module refused the password (0x13): check the board config's ``password``."""


class FingerprintModuleError(FingerprintError):
    """Any other confirmation code (packet, flash, location, register errors)."""


_ERRORS: dict[int, type[FingerprintError]] = {
    Confirmation.NO_FINGER: FingerNotPresentError,
    Confirmation.IMAGE_FAILED: FingerprintCaptureError,
    Confirmation.IMAGE_MESSY: FingerprintCaptureError,
    Confirmation.TOO_FEW_FEATURES: FingerprintCaptureError,
    Confirmation.INVALID_IMAGE: FingerprintCaptureError,
    Confirmation.NO_MATCH: FingerprintMismatchError,
    Confirmation.NOT_FOUND: FingerprintNotFoundError,
    Confirmation.WRONG_PASSWORD: FingerprintPasswordError,
}


def confirmation_error(code: int, during: str, payload: bytes = b"") -> FingerprintError:
    """The named error for a non-OK confirmation ``code`` answered to command ``during``."""
    try:
        name = Confirmation(code).name.lower().replace("_", " ")
    except ValueError:
        name = "undocumented code"
    cls = _ERRORS.get(code, FingerprintModuleError)
    return cls(f"fingerprint module answered {name} ({code:#04x}) to {during}", code, payload)
