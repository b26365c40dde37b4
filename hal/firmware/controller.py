"""The door controller: pins and UART around the pure safety loop.

``DoorController.poll()`` is one turn of the main loop: read the UART and act on each frame, read the
inputs, step the safety loop with the time since the last turn (``utime.ticks_diff``, so the 30-bit
tick wrap-around is harmless), write the outputs and send fault events and state reports.
``main.py`` calls it forever; the CPython tests and the emulator call it with a hand-advanced clock.

Wiring (RP2040 GPIO numbers; change the ``PIN*`` constants for another board). Inputs use the
internal pull-ups:

* position switches are normally open to ground: active when the pin reads 0;
* the obstruction sensors and the fire-alarm contact are normally closed to ground: active when the
  pin reads 1, so a cut wire counts as "obstructed" / "fire" (fail-safe);
* outputs are active-high and start low: motors off, locks in their unpowered state (a fail-safe
  lock is then free, a fail-secure lock engaged until the first loop releases it).

The lock type is hardware, like the pins: ``LOCK_FAIL_SECURE`` says per leaf whether the lock is
fail-secure (an electric strike: engaged without power), whose output is therefore inverted. It is a
constant rather than a board setting because it must be right from power-up, before any board has
spoken: in a fire the controller must *release* a strike by energising it.
"""

import machine
import protocol
import safety
import utime

PIN_UART_TX = 0
PIN_UART_RX = 1
PIN_FIRE = 2
# Per leaf: (entrance, exit).
PINS_MOTOR_ON = (6, 10)
PINS_MOTOR_OPEN = (7, 11)
PINS_LOCK = (8, 12)
PINS_CLOSED = (14, 18)
PINS_OPENED = (15, 19)
PINS_OBSTRUCTION = (16, 20)
UART_ID = 0
BAUDRATE = 115200
# Per leaf (entrance, exit): True for a fail-secure lock (energised = released), False for a fail-safe
# maglock (energised = engaged). Sent to the board in every STATE so it can check its own setting.
LOCK_FAIL_SECURE = (False, False)
REPORT_INTERVAL_MS = 250  # a state report at least this often, and at once on any change


def open_uart() -> machine.UART:
    """The board link on UART0 (GP0/GP1), 115200 8N1."""
    return machine.UART(UART_ID, baudrate=BAUDRATE, tx=machine.Pin(PIN_UART_TX), rx=machine.Pin(PIN_UART_RX))


def _outs(numbers: tuple[int, int]) -> list[machine.Pin]:
    return [machine.Pin(n, machine.Pin.OUT, value=0) for n in numbers]


def _ins(numbers: tuple[int, int]) -> list[machine.Pin]:
    return [machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_UP) for n in numbers]


class DoorController:
    """The safety loop wired to pins and a UART; see the module docstring."""

    def __init__(self, uart: machine.UART, lock_fail_secure: tuple[bool, bool] = LOCK_FAIL_SECURE) -> None:
        self.uart = uart
        self.lock_fail_secure = lock_fail_secure
        self._lock_types = 0
        for leaf in range(protocol.LEAF_COUNT):
            if lock_fail_secure[leaf]:
                self._lock_types |= 1 << leaf
        self.safety = safety.DoorSafety()
        self.decoder = protocol.FrameDecoder()
        self._motor_on = _outs(PINS_MOTOR_ON)
        self._motor_open = _outs(PINS_MOTOR_OPEN)
        self._lock = _outs(PINS_LOCK)
        self._closed = _ins(PINS_CLOSED)
        self._opened = _ins(PINS_OPENED)
        self._obstruction = _ins(PINS_OBSTRUCTION)
        self._fire = machine.Pin(PIN_FIRE, machine.Pin.IN, machine.Pin.PULL_UP)
        self._last_ticks = utime.ticks_ms()
        self._since_report = 0
        self._last_state = b""
        self._reported_errors = 0

    def poll(self) -> None:
        """One turn of the main loop."""
        now = utime.ticks_ms()
        dt = utime.ticks_diff(now, self._last_ticks)
        self._last_ticks = now
        # Inputs are read before the commands so that the interlock checks see the leaves as they are.
        inputs = self._read_inputs()
        self.safety.sense(inputs)
        data = self.uart.read()
        if data:
            for msg_type, payload in self.decoder.feed(data):
                self._handle(msg_type, payload)
        self.safety.step(dt, inputs)
        self._write_outputs()
        for fault, leaf, detail in self.safety.take_events():
            self._send(protocol.MSG_FAULT, protocol.encode_fault(fault, leaf, detail))
        if self.decoder.errors != self._reported_errors:
            self._reported_errors = self.decoder.errors
            self._send(
                protocol.MSG_FAULT,
                protocol.encode_fault(protocol.FAULT_FRAME_ERROR, protocol.LEAF_NONE, self.decoder.errors),
            )
        self._since_report += dt
        state = self.state_payload()
        if state != self._last_state or self._since_report >= REPORT_INTERVAL_MS:
            self._send(protocol.MSG_STATE, state)

    def state_payload(self) -> bytes:
        s = self.safety
        return protocol.encode_state(
            s.mode,
            s.inputs.fire,
            s.fault,
            s.fault_leaf,
            s.fault_detail,
            s.positions,
            s.targets,
            [s.leaf_flags(leaf) for leaf in range(protocol.LEAF_COUNT)],
            self._lock_types,
        )

    def _send(self, msg_type: int, payload: bytes) -> None:
        if msg_type == protocol.MSG_STATE:
            self._last_state = payload
            self._since_report = 0
        self.uart.write(protocol.encode_frame(msg_type, payload))

    def _handle(self, msg_type: int, payload: bytes) -> None:
        s = self.safety
        s.board_seen()
        seq = protocol.decode_seq(payload)
        if msg_type == protocol.MSG_HEARTBEAT:
            return
        result = protocol.RESULT_OK
        try:
            if msg_type == protocol.MSG_SET_LEAF:
                seq, leaf, target = protocol.decode_set_leaf(payload)
                result = s.set_leaf(leaf, target)
            elif msg_type == protocol.MSG_CONFIGURE:
                seq, hb_ms, motor_ms, safe_entrance, safe_exit = protocol.decode_configure(payload)
                result = s.configure(hb_ms, motor_ms, [safe_entrance, safe_exit])
            elif msg_type == protocol.MSG_RESET_FIRE:
                result = s.reset_fire()
            elif msg_type == protocol.MSG_CLEAR_FAULT:
                result = s.clear_fault()
            elif msg_type != protocol.MSG_GET_STATE:
                result = protocol.RESULT_UNKNOWN_TYPE
        except protocol.ProtocolError:
            result = protocol.RESULT_BAD_REQUEST
        self._send(protocol.MSG_ACK, protocol.encode_ack(seq, result))
        if msg_type == protocol.MSG_GET_STATE:
            self._send(protocol.MSG_STATE, self.state_payload())

    def _read_inputs(self) -> safety.Inputs:
        inputs = safety.Inputs()
        for leaf in range(protocol.LEAF_COUNT):
            inputs.closed[leaf] = self._closed[leaf].value() == 0
            inputs.opened[leaf] = self._opened[leaf].value() == 0
            inputs.obstructed[leaf] = self._obstruction[leaf].value() == 1
        inputs.fire = self._fire.value() == 1
        return inputs

    def _write_outputs(self) -> None:
        out = self.safety.outputs
        for leaf in range(protocol.LEAF_COUNT):
            # Direction is set before enable so a reversing motor never runs the wrong way briefly.
            self._motor_open[leaf].value(1 if out.motor_opening[leaf] else 0)
            self._motor_on[leaf].value(1 if out.motor_on[leaf] else 0)
            # The safety loop speaks of the lock as engaged or not; a fail-secure lock engages unpowered.
            energise = not out.locked[leaf] if self.lock_fail_secure[leaf] else out.locked[leaf]
            self._lock[leaf].value(1 if energise else 0)


WATCHDOG_MS = 500


def run(loop_ms: int = 5) -> None:
    """The firmware's main loop (never returns on the device).

    The hardware watchdog resets the controller if this loop ever stalls; after a reset every output
    starts low (motors off), and the heartbeat rule takes over if the board is silent too.
    """
    controller = DoorController(open_uart())
    watchdog = machine.WDT(timeout=WATCHDOG_MS)
    while True:
        controller.poll()
        watchdog.feed()
        utime.sleep_ms(loop_ms)
