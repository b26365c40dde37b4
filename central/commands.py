"""Supervisor actions become commands to devices: recorded (who, when), sent, and answered by the device.

A dashboard action is never assumed to have happened: the row stays ``pending`` until the device's
``cmd/ack`` says ``acknowledged`` or ``refused`` (SOP-003-A08 steps 5-7: the supervisor grants a
retry or releases a passenger through the gate; the gate does it and says so).
"""

from __future__ import annotations

from typing import Any, Protocol

from central.errors import Invalid
from central.live import LiveBus
from central.store import Row, Store
from core.clock import Clock
from core.wire import CommandName, new_event_id

# The wire's command names the dashboard offers -> what each does, in the supervisor's words.
ACTIONS: dict[str, str] = {
    CommandName.RELEASE_PASSENGER.value: "unlock and open the entry door for a held passenger (SOP Cekal)",
    CommandName.GRANT_RETRY.value: "let the passenger try the biometric step again (SOP-003-A08 steps 5-6)",
    CommandName.REFUSE_RETRY.value: "end the biometric step; the entry door re-opens (SOP-003-A08 step 7)",
    CommandName.OUT_OF_SERVICE.value: "take the gate out of service after the current passenger",
    CommandName.IN_SERVICE.value: "put the gate back in service",
    CommandName.CLEAR_ALARM.value: "clear an alarm on the device once dealt with",
    CommandName.RESYNC_WATCHLIST.value: "make the device fetch the current watch list again",
}


RESEND_AFTER = 10.0  # seconds without an answer before a command is sent again
GIVE_UP_AFTER = 300.0  # seconds after which an unanswered command is marked failed


class CommandSender(Protocol):
    """Something that delivers a stored command to its device (the MQTT link of the ingest)."""

    def send_command(self, command: Row) -> None: ...


class CommandDeliveryError(Invalid):
    """The command could not be handed to the broker."""


class Commands:
    def __init__(self, store: Store, clock: Clock, bus: LiveBus, sender: CommandSender | None = None) -> None:
        self.store = store
        self.clock = clock
        self.bus = bus
        self.sender = sender

    def issue(
        self,
        device_id: str,
        action: str,
        *,
        by: str,
        alert_id: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> Row:
        if action not in ACTIONS:
            raise Invalid(f"unknown action {action!r}; choose one of: {', '.join(ACTIONS)}")
        self.store.device(device_id)  # NotFound for an unknown gate
        if alert_id is not None:
            self.store.alert(alert_id)
        now = self.clock.now()
        command = self.store.add_command(
            device_id,
            action,
            params=params or {},
            issued_by=by,
            now=now,
            alert_id=alert_id,
            command_id=new_event_id(now),  # the wire's command id is a UUIDv7 event id
        )
        self.store.audit(by, f"command.{action}", now=now, target=device_id, command_id=command["command_id"])
        if self.sender is None:
            command = (
                self.store.answer_command(
                    command["command_id"], "failed", answer="central is not connected to the broker", now=now
                )
                or command
            )
        else:
            try:
                self.sender.send_command(command)
            except (OSError, RuntimeError, ValueError) as exc:
                command = (
                    self.store.answer_command(
                        command["command_id"], "failed", answer=f"not sent: {exc}", now=now
                    )
                    or command
                )
        self.bus.publish("command", _public(command))
        return command

    def resend_pending(self, *, min_age: float = RESEND_AFTER, max_age: float = GIVE_UP_AFTER) -> int:
        """Send unanswered commands again, the *same* message (same id), as docs/protocol.md says: a gate
        that was offline gets it on return, and one that already did it answers again. Commands older
        than ``max_age`` seconds are marked failed: the supervisor must decide again."""
        if self.sender is None:
            return 0
        now = self.clock.now()
        sent = 0
        for command in self.store.commands(state="pending", limit=1000):
            age = (now - command["issued_at"]).total_seconds()
            if age > max_age:
                row = self.store.answer_command(
                    command["command_id"],
                    "failed",
                    answer=f"no answer from the device in {max_age:.0f} s",
                    now=now,
                )
                if row is not None:
                    self.bus.publish("command", _public(row))
            elif age >= min_age:
                try:
                    self.sender.send_command(command)
                    sent += 1
                except (OSError, RuntimeError, ValueError):
                    continue  # the next round tries again
        return sent

    def answered(self, command_id: str, *, accepted: bool, detail: str = "") -> Row | None:
        """The device's ack; a repeated ack changes nothing and returns None."""
        state = "acknowledged" if accepted else "refused"
        row = self.store.answer_command(command_id, state, answer=detail, now=self.clock.now())
        if row is not None:
            self.bus.publish("command", _public(row))
        return row


def _public(command: Row) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in command.items()}
