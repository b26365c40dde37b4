"""Where alarms go. Only alarms: no sink is ever given a frame that did not raise one.

The production sink is ``edge.cctv.sender.LinkedAlarmSink`` (the durable outbox, then MQTT to central);
``AlarmDirectory`` keeps alarms as sealed files for a stand-alone watcher; ``AlarmList`` is for tests.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from core.wire.cctv import CctvFaceAlarm, CctvWireError
from edge.cctv.errors import CctvError
from edge.sealed import Sealer, SealError

log = logging.getLogger("edge.cctv.sinks")
SEALED = ".alarm.sealed"
KEY_NAME = "alarms.key"


class AlarmSink(Protocol):
    def raise_alarm(self, alarm: CctvFaceAlarm) -> None: ...


class AlarmList:
    """Alarms kept in memory, in the order raised."""

    def __init__(self) -> None:
        self.alarms: list[CctvFaceAlarm] = []

    def raise_alarm(self, alarm: CctvFaceAlarm) -> None:
        self.alarms.append(alarm)


class AlarmDirectory:
    """Each alarm as ``<alarm_id>.alarm.sealed``: its message with the face snapshot, sealed (issue 12).

    AES-256-GCM (``edge.sealed``) with the alarm id bound as associated data; the key from ``sealer``,
    else ``alarms.key`` in the directory (made on first use, mode 0600: a baseline, see
    docs/security.md). ``alarms()`` opens them again (``python -m edge.cctv alarms`` lists them). Plain
    ``<alarm_id>.json`` + ``.jpg`` pairs written before sealing are sealed, then deleted, when the
    directory is opened.
    """

    def __init__(self, path: Path, *, sealer: Sealer | None = None) -> None:
        self.path = path
        try:
            self.sealer = sealer or Sealer.load(default=path / KEY_NAME)
        except SealError as exc:
            raise CctvError(f"alarm directory {path}: {exc}") from exc
        self._seal_plain_copies()

    def raise_alarm(self, alarm: CctvFaceAlarm) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        sealed = self.sealer.seal(json.dumps(alarm.to_dict()).encode(), context=alarm.alarm_id.encode())
        tmp = self.path / f".{alarm.alarm_id}{SEALED}.tmp"
        with open(tmp, "wb") as out:
            out.write(sealed)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path / f"{alarm.alarm_id}{SEALED}")

    def alarms(self) -> Iterator[CctvFaceAlarm]:
        """The stored alarms, oldest first (alarm ids are time-ordered UUIDv7s)."""
        for path in sorted(self.path.glob(f"*{SEALED}")):
            yield self.read(path.name.removesuffix(SEALED))

    def read(self, alarm_id: str) -> CctvFaceAlarm:
        path = self.path / f"{alarm_id}{SEALED}"
        try:
            plain = self.sealer.open(path.read_bytes(), context=alarm_id.encode())
            return CctvFaceAlarm.from_dict(json.loads(plain))
        except OSError as exc:
            raise CctvError(f"cannot read alarm {alarm_id} in {self.path}: {exc}") from exc
        except SealError as exc:
            raise CctvError(f"alarm {alarm_id} in {self.path}: {exc}") from exc
        except (ValueError, CctvWireError) as exc:
            raise CctvError(f"alarm {alarm_id} in {self.path} is damaged: {exc}") from exc

    def _seal_plain_copies(self) -> None:
        if not self.path.is_dir():
            return
        for plain in sorted(self.path.glob("*.json")):
            try:
                alarm = CctvFaceAlarm.from_dict(json.loads(plain.read_text(encoding="utf-8")))
            except (OSError, ValueError, CctvWireError) as exc:
                log.warning("unsealed alarm file %s left as it is: not an alarm (%s)", plain.name, exc)
                continue
            self.raise_alarm(alarm)
            plain.unlink()
            (self.path / f"{alarm.alarm_id}.jpg").unlink(missing_ok=True)
            log.info("alarm %s written before sealing: sealed, plain copy deleted", alarm.alarm_id)
