"""An emulated ZhianTec/Grow (R503-class) fingerprint module: the real packet protocol, a template
store, and a finger model.

Templates are synthetic 512-byte character files: an 8-byte header, a 16-byte identity derived from
the finger id, and capture-specific filler, so two captures of one finger differ byte-wise but match.
The finger model: the same finger matches with a score drawn from 50…250, a different finger scores
0…30 and answers "no match" (0x08); a wet or dry finger fails to capture (0x03 or 0x06) with
``poor_capture_rate``; all draws come from a seeded RNG. Faults: ``unplug()`` (silence),
``corrupt_checksums(n)`` (the next n answers carry a bad checksum, which a careless driver would miss).

URL options (``emu://fingerprint/NAME?...``): none.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Literal

from emulator.devices.serialdev import SerialDevice, register_kind
from hal.codecs.zfm import (
    DEFAULT_ADDRESS,
    DEFAULT_PASSWORD,
    HANDSHAKE_OK,
    TEMPLATE_SIZE,
    Command,
    Confirmation,
    Packet,
    PacketType,
    ZfmDecoder,
    ack,
    data_packets,
    encode_packet,
)
from hal.errors import FrameError

Condition = Literal["normal", "wet", "dry"]
_MAGIC = b"ZFMTPL01"
MATCH_SCORES = (50, 250)
NON_MATCH_SCORES = (0, 30)
CAPACITY = 200  # R503: 200 templates
PACKET_SIZE = 128
_PACKET_SIZE_CODE = {32: 0, 64: 1, 128: 2, 256: 3}


def identity(finger_id: str) -> bytes:
    return hashlib.sha256(finger_id.encode()).digest()[:16]


def synthetic_template(finger_id: str, capture: int = 0) -> bytes:
    """A 512-byte character file of ``finger_id``; ``capture`` varies the bytes, not the identity."""
    filler = bytearray()
    counter = 0
    while len(filler) < TEMPLATE_SIZE - len(_MAGIC) - 16:
        filler.extend(hashlib.sha256(f"{finger_id}/{capture}/{counter}".encode()).digest())
        counter += 1
    return (_MAGIC + identity(finger_id) + bytes(filler))[:TEMPLATE_SIZE]


def template_identity(template: bytes) -> bytes | None:
    if len(template) != TEMPLATE_SIZE or not template.startswith(_MAGIC):
        return None
    return template[len(_MAGIC) : len(_MAGIC) + 16]


@dataclass
class Finger:
    finger_id: str
    condition: Condition = "normal"


class EmulatedFingerprintModule(SerialDevice):
    kind = "fingerprint"

    def __init__(
        self,
        *,
        address: int = DEFAULT_ADDRESS,
        password: int = DEFAULT_PASSWORD,
        capacity: int = CAPACITY,
        poor_capture_rate: float = 0.5,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.address = address
        self.password = password
        self.capacity = capacity
        self.poor_capture_rate = poor_capture_rate
        self.rng = random.Random(seed)
        self.finger: Finger | None = None
        self.plugged_in = True
        self.store: dict[int, bytes] = {}
        self.buffers: dict[int, bytes | None] = {1: None, 2: None}
        self.commands: list[Command | int] = []
        self._image: str | None = None
        self._captures = 0
        self._corrupt = 0
        self._decoder = ZfmDecoder()
        self._download: tuple[int, bytearray] | None = None

    # -- the test/emulator's hands ----------------------------------------------------------------------
    def place_finger(self, finger_id: str, condition: Condition = "normal") -> None:
        self.finger = Finger(finger_id, condition)

    def lift_finger(self) -> None:
        self.finger = None

    def unplug(self) -> None:
        """The module stops answering (cable pulled, no power)."""
        self.plugged_in = False

    def plug_in(self) -> None:
        self.plugged_in = True

    def corrupt_checksums(self, count: int = 1) -> None:
        """The next ``count`` packets the module sends carry a wrong checksum."""
        self._corrupt += count

    def enrol(self, slot: int, finger_id: str) -> None:
        """Store ``finger_id``'s template at ``slot`` directly (as if enrolled earlier)."""
        self.store[slot] = synthetic_template(finger_id, capture=-1 - slot)

    # -- the wire ---------------------------------------------------------------------------------------
    def receive(self, data: bytes) -> None:
        with self.lock:
            if not self.plugged_in:
                return
            for item in self._decoder.feed(data):
                if isinstance(item, FrameError):
                    self._answer(ack(Confirmation.PACKET_ERROR, address=self.address))
                elif item.address == self.address:
                    self._packet(item)

    def _answer(self, packet: Packet) -> None:
        corrupt = self._corrupt > 0
        self._corrupt -= int(corrupt)
        self.send(encode_packet(packet, corrupt_checksum=corrupt))

    def _ok(self, extra: bytes = b"") -> None:
        self._answer(ack(Confirmation.OK, extra, address=self.address))

    def _fail(self, code: Confirmation) -> None:
        self._answer(ack(code, address=self.address))

    def _packet(self, packet: Packet) -> None:
        if packet.kind in (PacketType.DATA, PacketType.END_DATA):
            if self._download is not None:
                buffer, data = self._download
                data.extend(packet.payload)
                if packet.kind is PacketType.END_DATA:
                    self.buffers[buffer] = bytes(data)
                    self._download = None
            return
        if packet.kind is not PacketType.COMMAND or not packet.payload:
            self._fail(Confirmation.PACKET_ERROR)
            return
        code, args = packet.payload[0], packet.payload[1:]
        try:
            command = Command(code)
        except ValueError:
            self.commands.append(code)
            self._fail(Confirmation.PACKET_ERROR)
            return
        self.commands.append(command)
        handler = getattr(self, f"_cmd_{command.name.lower()}", None)
        if handler is None:
            self._fail(Confirmation.PACKET_ERROR)
        else:
            handler(args)

    def _buffer_arg(self, args: bytes) -> int | None:
        if not args or args[0] not in (1, 2):
            self._fail(Confirmation.INVALID_REGISTER)
            return None
        return args[0]

    def _slot(self, raw: bytes) -> int | None:
        slot = int.from_bytes(raw, "big")
        if len(raw) != 2 or slot >= self.capacity:
            self._fail(Confirmation.BAD_LOCATION)
            return None
        return slot

    # -- commands ---------------------------------------------------------------------------------------
    def _cmd_handshake(self, args: bytes) -> None:
        self._answer(ack(HANDSHAKE_OK, address=self.address))

    def _cmd_vfy_pwd(self, args: bytes) -> None:
        if int.from_bytes(args[:4], "big") == self.password and len(args) == 4:
            self._ok()
        else:
            self._fail(Confirmation.WRONG_PASSWORD)

    def _cmd_read_sys_para(self, args: bytes) -> None:
        params = (
            (0).to_bytes(2, "big")  # status register
            + (9).to_bytes(2, "big")  # system identifier code
            + self.capacity.to_bytes(2, "big")
            + (3).to_bytes(2, "big")  # security level
            + self.address.to_bytes(4, "big")
            + _PACKET_SIZE_CODE[PACKET_SIZE].to_bytes(2, "big")
            + (6).to_bytes(2, "big")  # baud = 9600 × 6
        )
        self._ok(params)

    def _cmd_gen_img(self, args: bytes) -> None:
        if self.finger is None:
            self._fail(Confirmation.NO_FINGER)
            return
        if self.finger.condition != "normal" and self.rng.random() < self.poor_capture_rate:
            # A wet finger smears (image too messy), a dry one leaves too little (capture failed).
            self._image = None
            self._fail(
                Confirmation.IMAGE_MESSY if self.finger.condition == "wet" else Confirmation.IMAGE_FAILED
            )
            return
        self._image = self.finger.finger_id
        self._ok()

    def _cmd_img2tz(self, args: bytes) -> None:
        buffer = self._buffer_arg(args)
        if buffer is None:
            return
        if self._image is None:
            self._fail(Confirmation.INVALID_IMAGE)
            return
        self._captures += 1
        self.buffers[buffer] = synthetic_template(self._image, capture=self._captures)
        self._ok()

    def _identities(self) -> tuple[bytes | None, bytes | None]:
        one, two = self.buffers[1], self.buffers[2]
        return (template_identity(one) if one else None, template_identity(two) if two else None)

    def _cmd_match(self, args: bytes) -> None:
        one, two = self._identities()
        if one is not None and one == two:
            self._ok(self.rng.randint(*MATCH_SCORES).to_bytes(2, "big"))
        else:
            score = self.rng.randint(*NON_MATCH_SCORES).to_bytes(2, "big")
            self._answer(ack(Confirmation.NO_MATCH, score, address=self.address))

    def _cmd_reg_model(self, args: bytes) -> None:
        one, two = self._identities()
        if one is None or one != two:
            self._fail(Confirmation.ENROL_MISMATCH)
            return
        self.buffers[2] = self.buffers[1]
        self._ok()

    def _cmd_store(self, args: bytes) -> None:
        buffer = self._buffer_arg(args)
        slot = None if buffer is None else self._slot(args[1:3])
        if buffer is None or slot is None:
            return
        template = self.buffers[buffer]
        if template is None:
            self._fail(Confirmation.INVALID_REGISTER)
            return
        self.store[slot] = template
        self._ok()

    def _cmd_load_char(self, args: bytes) -> None:
        buffer = self._buffer_arg(args)
        slot = None if buffer is None else self._slot(args[1:3])
        if buffer is None or slot is None:
            return
        if slot not in self.store:
            self._fail(Confirmation.NOT_FOUND)
            return
        self.buffers[buffer] = self.store[slot]
        self._ok()

    def _cmd_up_char(self, args: bytes) -> None:
        buffer = self._buffer_arg(args)
        if buffer is None:
            return
        template = self.buffers[buffer]
        if template is None:
            self._fail(Confirmation.UPLOAD_FAILED)
            return
        self._ok()
        for packet in data_packets(template, PACKET_SIZE, address=self.address):
            self._answer(packet)

    def _cmd_down_char(self, args: bytes) -> None:
        buffer = self._buffer_arg(args)
        if buffer is None:
            return
        self._download = (buffer, bytearray())
        self._ok()

    def _cmd_search(self, args: bytes) -> None:
        buffer = self._buffer_arg(args)
        if buffer is None:
            return
        start = int.from_bytes(args[1:3], "big")
        count = int.from_bytes(args[3:5], "big")
        probe = self.buffers[buffer]
        wanted = template_identity(probe) if probe else None
        for slot in sorted(self.store):
            if start <= slot < start + count and wanted and template_identity(self.store[slot]) == wanted:
                self._ok(slot.to_bytes(2, "big") + self.rng.randint(*MATCH_SCORES).to_bytes(2, "big"))
                return
        self._fail(Confirmation.NOT_FOUND)

    _cmd_hi_speed_search = _cmd_search

    def _cmd_template_num(self, args: bytes) -> None:
        self._ok(len(self.store).to_bytes(2, "big"))

    def _cmd_delete_char(self, args: bytes) -> None:
        slot = self._slot(args[:2])
        if slot is None:
            return
        count = int.from_bytes(args[2:4], "big") or 1
        for index in range(slot, slot + count):
            self.store.pop(index, None)
        self._ok()

    def _cmd_empty(self, args: bytes) -> None:
        self.store.clear()
        self._ok()

    def _cmd_soft_reset(self, args: bytes) -> None:
        self.buffers = {1: None, 2: None}
        self._ok()


register_kind("fingerprint", EmulatedFingerprintModule)
