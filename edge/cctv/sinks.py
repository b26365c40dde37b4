"""Where alarms go. Only alarms: no sink is ever given a frame that did not raise one.

The production sink is ``edge.cctv.sender.LinkedAlarmSink`` (the durable outbox, then MQTT to central);
``AlarmDirectory`` keeps alarms as files for a stand-alone watcher; ``AlarmList`` is for tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Protocol

from core.wire.cctv import CctvFaceAlarm


class AlarmSink(Protocol):
    def raise_alarm(self, alarm: CctvFaceAlarm) -> None: ...


class AlarmList:
    """Alarms kept in memory, in the order raised."""

    def __init__(self) -> None:
        self.alarms: list[CctvFaceAlarm] = []

    def raise_alarm(self, alarm: CctvFaceAlarm) -> None:
        self.alarms.append(alarm)


class AlarmDirectory:
    """Each alarm as ``<alarm_id>.json`` (the message) and ``<alarm_id>.jpg`` (its snapshot)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def raise_alarm(self, alarm: CctvFaceAlarm) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / f"{alarm.alarm_id}.jpg").write_bytes(alarm.snapshot_jpeg)
        tmp = self.path / f".{alarm.alarm_id}.json.tmp"
        tmp.write_text(json.dumps(alarm.to_dict(), indent=1), encoding="utf-8")
        os.replace(tmp, self.path / f"{alarm.alarm_id}.json")
