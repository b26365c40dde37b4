"""Door-controller wire protocol: framing, CRC-16/CCITT-FALSE and compact binary payloads.

One codec for both ends of the UART: the firmware imports it as ``protocol`` under MicroPython, the HAL
imports it as ``hal.firmware.protocol`` under CPython. So it imports nothing and uses only what
MicroPython has (no typing module, no dataclasses, no struct; ``int.to_bytes``/``from_bytes`` with a
positional byte order).

Frame::

    START 0xA5 | LEN (payload bytes, 0..MAX_PAYLOAD) | TYPE | PAYLOAD | CRC hi | CRC lo

The CRC is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor; check value of
``b"123456789"`` is 0x29B1) over LEN, TYPE and PAYLOAD. Multi-byte integers are big-endian.
Commands from the board carry a 16-bit sequence number that the controller echoes in its ACK.
"""

START = 0xA5
MAX_PAYLOAD = 64
HEADER_LEN = 3  # START, LEN, TYPE
FRAME_OVERHEAD = 5  # header + 2 CRC bytes

# Board -> controller ----------------------------------------------------------------------------
MSG_HEARTBEAT = 0x01  # seq u16 (never acknowledged: it only proves the board is alive)
MSG_SET_LEAF = 0x02  # seq u16, leaf u8, target u8
MSG_CONFIGURE = 0x03  # seq u16, heartbeat_timeout_ms u16, motor_timeout_ms u16, safe target u8 x2
MSG_GET_STATE = 0x04  # seq u16 (answered by ACK then STATE)
MSG_RESET_FIRE = 0x05  # seq u16 (leave fire mode after the alarm contact has cleared)
MSG_CLEAR_FAULT = 0x06  # seq u16 (the board has read the latched fault)

# Controller -> board ----------------------------------------------------------------------------
MSG_STATE = 0x81  # see encode_state
MSG_ACK = 0x82  # seq u16, result u8
MSG_FAULT = 0x83  # fault u8, leaf u8, detail u32

# Leaves (an autogate has an entrance and an exit leaf; SOP-003-A08 steps 4 and 8).
LEAF_ENTRANCE = 0
LEAF_EXIT = 1
LEAF_NONE = 0xFF
LEAF_COUNT = 2

# What a leaf should do (commands and configured safe states use the same codes).
TARGET_HOLD = 0  # motor off, lock released: where every leaf starts after power-up
TARGET_OPEN = 1
TARGET_CLOSED = 2  # closed, lock released
TARGET_LOCKED = 3  # closed, lock engaged
TARGETS = (TARGET_HOLD, TARGET_OPEN, TARGET_CLOSED, TARGET_LOCKED)

# Where a leaf is, from its position switches and motor.
POS_STOPPED = 0  # between the switches, motor off
POS_CLOSED = 1
POS_OPENING = 2
POS_OPEN = 3
POS_CLOSING = 4
POS_CONFLICT = 5  # both switches active: a wiring fault

# Controller modes.
MODE_NORMAL = 0  # the board is in command, within the safety rules
MODE_FIRE = 1  # the fire-alarm contact is (or was) active: both leaves open, board commands refused
MODE_FIRE_RESET = 2  # the board reset fire mode: both leaves closing before normal service resumes
MODE_FAILSAFE = 3  # the board's heartbeat stopped: leaves driven to their configured safe state

# ACK results.
RESULT_OK = 0
RESULT_FIRE_MODE = 1  # refused: fire mode overrides the board
RESULT_INTERLOCK = 2  # refused: the other leaf is not closed (both may never open at once)
RESULT_BAD_REQUEST = 3  # refused: unknown leaf/target, short payload or inconsistent configuration
RESULT_FIRE_ACTIVE = 4  # refused: cannot reset fire mode while the alarm contact is still active
RESULT_UNKNOWN_TYPE = 5  # refused: message type not understood

# Fault codes (FAULT frames and the latched fault in STATE).
FAULT_NONE = 0
FAULT_HEARTBEAT_LOST = 1  # detail: how long the board was silent, in ms (0 while still silent)
FAULT_OBSTRUCTION = 2  # a closing leaf met an obstruction and reopened
FAULT_MOTOR_TIMEOUT = 3  # detail: ms the motor ran without reaching its switch
FAULT_SWITCH_CONFLICT = 4  # both position switches of a leaf active
FAULT_FIRE_ALARM = 5  # the fire-alarm contact opened
FAULT_FRAME_ERROR = 6  # detail: frames dropped for bad CRC/length since power-up

STATE_LEN = 13

_CRC_POLY = 0x1021


class ProtocolError(ValueError):
    """A payload that does not match its message type (length or value out of range)."""


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE of ``data``, continuing from ``crc``."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ _CRC_POLY) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def encode_frame(msg_type: int, payload: bytes = b"") -> bytes:
    """One frame carrying ``payload`` as message ``msg_type``."""
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}; split it")
    if not 0 <= msg_type <= 0xFF:
        raise ProtocolError(f"message type {msg_type} is not a byte")
    body = bytes([len(payload), msg_type]) + payload
    crc = crc16(body)
    return bytes([START]) + body + bytes([crc >> 8, crc & 0xFF])


class FrameDecoder:
    """Splits a byte stream into ``(type, payload)`` frames; resynchronises after noise or bad CRCs.

    Bytes before a START byte are skipped; a frame with a bad length or CRC costs only its START byte,
    so a real frame hidden inside a corrupt one is still found. ``errors`` counts dropped frames.
    """

    def __init__(self) -> None:
        self._buf = b""
        self.errors = 0

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Add received bytes; return every complete, valid frame now available, in order."""
        buf = self._buf + bytes(data)
        frames: list[tuple[int, bytes]] = []
        while True:
            start = buf.find(bytes([START]))
            if start < 0:
                buf = b""
                break
            if start:
                buf = buf[start:]
            if len(buf) < 2:
                break
            length = buf[1]
            if length > MAX_PAYLOAD:
                self.errors += 1
                buf = buf[1:]
                continue
            total = length + FRAME_OVERHEAD
            if len(buf) < total:
                break
            body = buf[1 : HEADER_LEN + length]
            if crc16(body) != (buf[total - 2] << 8) | buf[total - 1]:
                self.errors += 1
                buf = buf[1:]
                continue
            frames.append((buf[2], bytes(buf[HEADER_LEN : HEADER_LEN + length])))
            buf = buf[total:]
        self._buf = buf
        return frames

    def pending(self) -> int:
        """How many received bytes wait for the rest of their frame."""
        return len(self._buf)


def _u16(value: int) -> bytes:
    return (value & 0xFFFF).to_bytes(2, "big")


def _u32(value: int) -> bytes:
    return (value & 0xFFFFFFFF).to_bytes(4, "big")


def _int(data: bytes) -> int:
    return int.from_bytes(data, "big")


def _expect(payload: bytes, length: int, what: str) -> None:
    if len(payload) != length:
        raise ProtocolError(f"{what} payload must be {length} bytes, got {len(payload)}")


# Board -> controller payloads --------------------------------------------------------------------


def encode_seq(seq: int) -> bytes:
    """Payload of HEARTBEAT, GET_STATE, RESET_FIRE and CLEAR_FAULT: just the sequence number."""
    return _u16(seq)


def decode_seq(payload: bytes) -> int:
    """The sequence number that starts every board command (0 if the payload is too short)."""
    if len(payload) < 2:
        return 0
    return _int(payload[0:2])


def encode_set_leaf(seq: int, leaf: int, target: int) -> bytes:
    return _u16(seq) + bytes([leaf, target])


def decode_set_leaf(payload: bytes) -> tuple[int, int, int]:
    """``(seq, leaf, target)``; raises ProtocolError on a bad length, leaf or target."""
    _expect(payload, 4, "SET_LEAF")
    leaf, target = payload[2], payload[3]
    if leaf >= LEAF_COUNT or target not in TARGETS:
        raise ProtocolError(f"SET_LEAF leaf {leaf} / target {target} out of range")
    return _int(payload[0:2]), leaf, target


def encode_configure(
    seq: int, heartbeat_timeout_ms: int, motor_timeout_ms: int, safe_entrance: int, safe_exit: int
) -> bytes:
    return _u16(seq) + _u16(heartbeat_timeout_ms) + _u16(motor_timeout_ms) + bytes([safe_entrance, safe_exit])


def decode_configure(payload: bytes) -> tuple[int, int, int, int, int]:
    """``(seq, heartbeat_timeout_ms, motor_timeout_ms, safe_entrance, safe_exit)``."""
    _expect(payload, 8, "CONFIGURE")
    safe_entrance, safe_exit = payload[6], payload[7]
    if safe_entrance not in TARGETS or safe_exit not in TARGETS:
        raise ProtocolError(f"CONFIGURE safe targets {safe_entrance}/{safe_exit} out of range")
    return _int(payload[0:2]), _int(payload[2:4]), _int(payload[4:6]), safe_entrance, safe_exit


# Controller -> board payloads --------------------------------------------------------------------


def encode_ack(seq: int, result: int) -> bytes:
    return _u16(seq) + bytes([result])


def decode_ack(payload: bytes) -> tuple[int, int]:
    """``(seq, result)``."""
    _expect(payload, 3, "ACK")
    return _int(payload[0:2]), payload[2]


def encode_fault(fault: int, leaf: int, detail: int) -> bytes:
    return bytes([fault, leaf]) + _u32(detail)


def decode_fault(payload: bytes) -> tuple[int, int, int]:
    """``(fault, leaf, detail)``."""
    _expect(payload, 6, "FAULT")
    return payload[0], payload[1], _int(payload[2:6])


def encode_state(
    mode: int,
    fire_input: bool,
    fault: int,
    fault_leaf: int,
    fault_detail: int,
    positions: list[int],
    targets: list[int],
    leaf_flags: list[int],
    lock_types: int = 0,
) -> bytes:
    """STATE payload: mode, inputs, latched fault (code, leaf, detail u32), then per leaf
    position, target and flags (bit 0 locked, bit 1 obstructed, bit 2 motor running), then the
    lock types (bit ``leaf`` set: that leaf's lock is fail-secure)."""
    out = bytes([mode, 1 if fire_input else 0, fault, fault_leaf]) + _u32(fault_detail)
    for i in range(LEAF_COUNT):
        out += bytes([positions[i]])
    for i in range(LEAF_COUNT):
        out += bytes([(targets[i] & 0x0F) | ((leaf_flags[i] & 0x0F) << 4)])
    # The last byte was spare; lock types use its low bits (older firmware sends 0: all fail-safe).
    return out + bytes([lock_types & 0xFF])


def decode_lock_types(payload: bytes) -> int:
    """The lock-type bits of a STATE payload: bit ``leaf`` set means that leaf's lock is fail-secure."""
    _expect(payload, STATE_LEN, "STATE")
    return payload[STATE_LEN - 1]


FLAG_LOCKED = 0x01
FLAG_OBSTRUCTED = 0x02
FLAG_RUNNING = 0x04


def decode_state(
    payload: bytes,
) -> tuple[int, bool, int, int, int, list[int], list[int], list[int]]:
    """``(mode, fire_input, fault, fault_leaf, fault_detail, positions, targets, leaf_flags)``."""
    _expect(payload, STATE_LEN, "STATE")
    positions = [payload[8 + i] for i in range(LEAF_COUNT)]
    packed = [payload[8 + LEAF_COUNT + i] for i in range(LEAF_COUNT)]
    return (
        payload[0],
        payload[1] != 0,
        payload[2],
        payload[3],
        _int(payload[4:8]),
        positions,
        [p & 0x0F for p in packed],
        [p >> 4 for p in packed],
    )
