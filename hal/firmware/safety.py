"""The door controller's own safety loop: a pure step function over sensor snapshots.

No I/O and no clock: ``DoorSafety.step(dt_ms, inputs)`` is called every few milliseconds with the time
since the previous call and the switches as they read now, and leaves the motor and lock outputs in
``outputs``. Board commands arrive through ``set_leaf``/``configure``/``reset_fire``/``clear_fault``
and every valid frame from the board is reported with ``board_seen``. Because nothing here touches
hardware, the same code is unit-tested on CPython and runs unchanged on the RP2040.

The rules, in priority order (docs/door-firmware.md explains each):

1. Fire alarm: while the contact is active both leaves unlock and open, whatever the board says; fire
   mode latches until the contact has cleared and the board resets it, then both leaves close.
2. Obstruction: a closing leaf that meets an obstruction stops and reopens.
3. Interlock: outside fire mode a leaf is only driven open while the other leaf is closed, so both
   leaves are never open at once (the autogate is a mantrap: SOP-003-A08 steps 4 and 8 open the
   entrance and the exit one after the other).
4. Heartbeat: if the board is silent for longer than the configured time, the leaves go to their
   configured safe state; when the board speaks again the outage is reported as a latched fault.
5. Motor protection: a motor that runs longer than the configured time without reaching its switch
   stops, and the leaf holds until a new command.
"""

from protocol import (
    FAULT_FIRE_ALARM,
    FAULT_HEARTBEAT_LOST,
    FAULT_MOTOR_TIMEOUT,
    FAULT_NONE,
    FAULT_OBSTRUCTION,
    FAULT_SWITCH_CONFLICT,
    FLAG_LOCKED,
    FLAG_OBSTRUCTED,
    FLAG_RUNNING,
    LEAF_COUNT,
    LEAF_ENTRANCE,
    LEAF_EXIT,
    LEAF_NONE,
    MODE_FAILSAFE,
    MODE_FIRE,
    MODE_FIRE_RESET,
    MODE_NORMAL,
    POS_CLOSED,
    POS_CLOSING,
    POS_CONFLICT,
    POS_OPEN,
    POS_OPENING,
    POS_STOPPED,
    RESULT_BAD_REQUEST,
    RESULT_FIRE_ACTIVE,
    RESULT_FIRE_MODE,
    RESULT_INTERLOCK,
    RESULT_OK,
    TARGET_CLOSED,
    TARGET_HOLD,
    TARGET_LOCKED,
    TARGET_OPEN,
    TARGETS,
)

# SOP-003-A08 step 7: a passenger whose checks cannot finish is released back through the entrance;
# nobody leaves through the exit unchecked. So by default the entrance opens and the exit stays locked.
DEFAULT_SAFE_TARGETS = (TARGET_OPEN, TARGET_LOCKED)
DEFAULT_HEARTBEAT_TIMEOUT_MS = 1500
DEFAULT_MOTOR_TIMEOUT_MS = 4000
# In fail-safe and fire-reset modes there is no board to re-issue a close after an obstruction, so the
# controller retries by itself once the leaf has reopened and stayed clear this long.
RECLOSE_DELAY_MS = 2000
MIN_HEARTBEAT_TIMEOUT_MS = 100
MIN_MOTOR_TIMEOUT_MS = 100
# Silence is counted up to here only: it stays a small int on MicroPython (no heap allocation).
SILENCE_CAP_MS = 0x3FFFFFFF


class Inputs:
    """One snapshot of the controller's inputs, already converted to "active" booleans."""

    def __init__(self) -> None:
        self.closed = [False] * LEAF_COUNT  # closed-position switch made
        self.opened = [False] * LEAF_COUNT  # open-position switch made
        self.obstructed = [False] * LEAF_COUNT  # safety edge / photo-eye of the leaf interrupted
        self.fire = False  # fire-alarm contact active


class Outputs:
    """What the safety loop wants on the pins: per leaf motor enable, direction and lock."""

    def __init__(self) -> None:
        self.motor_on = [False] * LEAF_COUNT
        self.motor_opening = [False] * LEAF_COUNT  # direction: True opens, False closes
        self.locked = [False] * LEAF_COUNT


class DoorSafety:
    """The controller's state and rules; see the module docstring."""

    def __init__(self) -> None:
        self.mode = MODE_NORMAL
        self.targets = [TARGET_HOLD] * LEAF_COUNT
        self.safe_targets = list(DEFAULT_SAFE_TARGETS)
        self.heartbeat_timeout_ms = DEFAULT_HEARTBEAT_TIMEOUT_MS
        self.motor_timeout_ms = DEFAULT_MOTOR_TIMEOUT_MS
        self.outputs = Outputs()
        self.inputs = Inputs()
        self.positions = [POS_STOPPED] * LEAF_COUNT
        # Latched fault: stays in every state report until the board clears it.
        self.fault = FAULT_NONE
        self.fault_leaf = LEAF_NONE
        self.fault_detail = 0
        # Fault events not yet sent to the board: (fault, leaf, detail).
        self.events: list[tuple[int, int, int]] = []
        self._silence_ms = 0
        self._board_lost = False
        self._run_ms = [0] * LEAF_COUNT
        self._reopened = [False] * LEAF_COUNT
        self._clear_ms = [0] * LEAF_COUNT
        self._conflict = [False] * LEAF_COUNT

    # Board side ---------------------------------------------------------------------------------

    def board_seen(self) -> None:
        """Any valid frame from the board: it is alive. Reports the outage if it had been lost."""
        if self._board_lost:
            self._board_lost = False
            # The issue: "the controller reports why when the board returns".
            self._raise(FAULT_HEARTBEAT_LOST, LEAF_NONE, self._silence_ms)
            if self.mode == MODE_FAILSAFE:
                # The board is back in command; the leaves stay in their safe state until it acts.
                self.mode = MODE_NORMAL
        self._silence_ms = 0

    def set_leaf(self, leaf: int, target: int) -> int:
        """A board command for one leaf; returns an ACK result code."""
        if leaf >= LEAF_COUNT or target not in TARGETS:
            return RESULT_BAD_REQUEST
        if self.mode in (MODE_FIRE, MODE_FIRE_RESET):
            return RESULT_FIRE_MODE
        if target == TARGET_OPEN:
            other = 1 - leaf
            if self.positions[other] != POS_CLOSED or self.targets[other] == TARGET_OPEN:
                return RESULT_INTERLOCK
        self.targets[leaf] = target
        self._reopened[leaf] = False
        self._run_ms[leaf] = 0
        return RESULT_OK

    def configure(self, heartbeat_timeout_ms: int, motor_timeout_ms: int, safe: list[int]) -> int:
        """New timeouts and safe state; refused if the safe state would open both leaves."""
        if heartbeat_timeout_ms < MIN_HEARTBEAT_TIMEOUT_MS or motor_timeout_ms < MIN_MOTOR_TIMEOUT_MS:
            return RESULT_BAD_REQUEST
        if len(safe) != LEAF_COUNT or safe[0] not in TARGETS or safe[1] not in TARGETS:
            return RESULT_BAD_REQUEST
        if safe[0] == TARGET_OPEN and safe[1] == TARGET_OPEN:
            return RESULT_INTERLOCK
        self.heartbeat_timeout_ms = heartbeat_timeout_ms
        self.motor_timeout_ms = motor_timeout_ms
        self.safe_targets = list(safe)
        if self.mode == MODE_FAILSAFE:
            self.targets = list(safe)
        return RESULT_OK

    def reset_fire(self) -> int:
        """Leave fire mode (only once the contact has cleared): both leaves close, then normal."""
        if self.mode != MODE_FIRE:
            return RESULT_OK
        if self.inputs.fire:
            return RESULT_FIRE_ACTIVE
        self.mode = MODE_FIRE_RESET
        self.targets = [TARGET_CLOSED] * LEAF_COUNT
        self._reopened = [False] * LEAF_COUNT
        self._run_ms = [0] * LEAF_COUNT
        return RESULT_OK

    def clear_fault(self) -> int:
        self.fault = FAULT_NONE
        self.fault_leaf = LEAF_NONE
        self.fault_detail = 0
        return RESULT_OK

    def take_events(self) -> list[tuple[int, int, int]]:
        events = self.events
        self.events = []
        return events

    def leaf_flags(self, leaf: int) -> int:
        flags = 0
        if self.outputs.locked[leaf]:
            flags |= FLAG_LOCKED
        if self.inputs.obstructed[leaf]:
            flags |= FLAG_OBSTRUCTED
        if self.outputs.motor_on[leaf]:
            flags |= FLAG_RUNNING
        return flags

    # The loop -----------------------------------------------------------------------------------

    def sense(self, inputs: Inputs) -> None:
        """Take a fresh input snapshot (positions follow), without running the rules."""
        self.inputs = inputs
        self._update_positions()

    def step(self, dt_ms: int, inputs: Inputs) -> None:
        """Advance the rules by ``dt_ms`` with the inputs as they read now; updates ``outputs``."""
        if dt_ms < 0:
            dt_ms = 0
        self.sense(inputs)
        self._silence_ms = min(self._silence_ms + dt_ms, SILENCE_CAP_MS)

        if inputs.fire and self.mode != MODE_FIRE:
            self._enter_fire()
        if not self._board_lost and self._silence_ms > self.heartbeat_timeout_ms:
            self._board_lost = True
            if self.mode == MODE_NORMAL:
                self._enter_failsafe()
            else:
                # Fire modes keep precedence; the outage is still latched and reported on return.
                self._latch(FAULT_HEARTBEAT_LOST, LEAF_NONE, 0)
        if self.mode == MODE_FIRE_RESET and self._all_closed():
            self.mode = MODE_FAILSAFE if self._board_lost else MODE_NORMAL
            if self.mode == MODE_FAILSAFE:
                self.targets = list(self.safe_targets)

        for leaf in range(LEAF_COUNT):
            self._drive(leaf, dt_ms)
        self._update_positions()

    # Rules --------------------------------------------------------------------------------------

    def _enter_fire(self) -> None:
        self.mode = MODE_FIRE
        self.targets = [TARGET_OPEN] * LEAF_COUNT
        self._reopened = [False] * LEAF_COUNT
        self._run_ms = [0] * LEAF_COUNT
        self._raise(FAULT_FIRE_ALARM, LEAF_NONE, 0)

    def _enter_failsafe(self) -> None:
        self.mode = MODE_FAILSAFE
        self.targets = list(self.safe_targets)
        self._reopened = [False] * LEAF_COUNT
        self._run_ms = [0] * LEAF_COUNT
        # Latched now (detail 0: still silent); the event with the outage length goes out on return.
        self._latch(FAULT_HEARTBEAT_LOST, LEAF_NONE, 0)

    def _may_open(self, leaf: int) -> bool:
        if self.mode in (MODE_FIRE, MODE_FIRE_RESET):
            return True
        other = 1 - leaf
        # The other leaf's motor is checked too: it may have started opening earlier in this step.
        starting = self.outputs.motor_on[other] and self.outputs.motor_opening[other]
        return self.positions[other] == POS_CLOSED and not starting

    def _drive(self, leaf: int, dt_ms: int) -> None:
        inputs = self.inputs
        closed = inputs.closed[leaf]
        opened = inputs.opened[leaf]
        if closed and opened:
            # Contradictory switches: the leaf's position is unknown, so nothing may move it.
            self._stop(leaf)
            self.outputs.locked[leaf] = False
            if not self._conflict[leaf]:
                self._conflict[leaf] = True
                self._raise(FAULT_SWITCH_CONFLICT, leaf, 0)
            return
        self._conflict[leaf] = False
        target = self.targets[leaf]

        if target == TARGET_OPEN:
            self.outputs.locked[leaf] = False
            if opened:
                self._stop(leaf)
                self._maybe_reclose(leaf, dt_ms)
            elif self._may_open(leaf):
                self._run(leaf, True, dt_ms)
            else:
                self._stop(leaf)  # waits for the other leaf to close (interlock)
        elif target in (TARGET_CLOSED, TARGET_LOCKED):
            if closed:
                self._stop(leaf)
                self.outputs.locked[leaf] = target == TARGET_LOCKED
            else:
                self.outputs.locked[leaf] = False
                if inputs.obstructed[leaf]:
                    self._obstructed(leaf)
                else:
                    self._run(leaf, False, dt_ms)
        else:
            self._stop(leaf)
            self.outputs.locked[leaf] = False

    def _obstructed(self, leaf: int) -> None:
        """A leaf that should close meets an obstruction: stop, and reopen if it was closing."""
        was_closing = self.outputs.motor_on[leaf] and not self.outputs.motor_opening[leaf]
        self._stop(leaf)
        if was_closing:
            self._raise(FAULT_OBSTRUCTION, leaf, 0)
        # Reopen whether it was moving or about to move: a person is in the leaf's path either way.
        # In normal mode the other leaf is closed (interlock), so reopening cannot open both.
        self.targets[leaf] = TARGET_OPEN
        self._reopened[leaf] = True
        self._clear_ms[leaf] = 0

    def _maybe_reclose(self, leaf: int, dt_ms: int) -> None:
        if not self._reopened[leaf] or self.mode not in (MODE_FAILSAFE, MODE_FIRE_RESET):
            return
        if self.inputs.obstructed[leaf]:
            self._clear_ms[leaf] = 0
            return
        self._clear_ms[leaf] += dt_ms
        if self._clear_ms[leaf] >= RECLOSE_DELAY_MS:
            self._reopened[leaf] = False
            self.targets[leaf] = self.safe_targets[leaf] if self.mode == MODE_FAILSAFE else TARGET_CLOSED

    def _run(self, leaf: int, opening: bool, dt_ms: int) -> None:
        outputs = self.outputs
        if outputs.motor_on[leaf] and outputs.motor_opening[leaf] == opening:
            self._run_ms[leaf] += dt_ms
            if self._run_ms[leaf] > self.motor_timeout_ms:
                # Motor protection: a jammed leaf must not burn its motor; it holds until commanded.
                self._raise(FAULT_MOTOR_TIMEOUT, leaf, self._run_ms[leaf])
                self._stop(leaf)
                self.targets[leaf] = TARGET_HOLD
            return
        outputs.motor_opening[leaf] = opening
        outputs.motor_on[leaf] = True
        self._run_ms[leaf] = 0

    def _stop(self, leaf: int) -> None:
        self.outputs.motor_on[leaf] = False
        self._run_ms[leaf] = 0

    def _update_positions(self) -> None:
        inputs = self.inputs
        outputs = self.outputs
        for leaf in range(LEAF_COUNT):
            closed = inputs.closed[leaf]
            opened = inputs.opened[leaf]
            if closed and opened:
                pos = POS_CONFLICT
            elif closed:
                pos = POS_CLOSED
            elif opened:
                pos = POS_OPEN
            elif outputs.motor_on[leaf]:
                pos = POS_OPENING if outputs.motor_opening[leaf] else POS_CLOSING
            else:
                pos = POS_STOPPED
            self.positions[leaf] = pos

    def _all_closed(self) -> bool:
        return self.positions[LEAF_ENTRANCE] == POS_CLOSED and self.positions[LEAF_EXIT] == POS_CLOSED

    def _latch(self, fault: int, leaf: int, detail: int) -> None:
        self.fault = fault
        self.fault_leaf = leaf
        self.fault_detail = detail

    def _raise(self, fault: int, leaf: int, detail: int) -> None:
        self._latch(fault, leaf, detail)
        self.events.append((fault, leaf, detail))
