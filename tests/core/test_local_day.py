"""The checkpoint's day is the office's local day (WIB by default), never the UTC date: at 18:00 UTC it is
already tomorrow in Jakarta. Ticket numbers, expiry and overstay days all follow it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from core.clock import SITE_ZONE, ManualClock, local_date, zone
from counter.config import load_config
from counter.errors import CounterConfigError
from edge.config import ConfigError
from edge.config import load_config as load_gate_config
from kiosk.config import KioskConfig
from kiosk.errors import KioskConfigError
from kiosk.queueing import QueueMachine

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("utc", "zone_name", "day"),
    [
        (datetime(2026, 12, 2, 16, 59, tzinfo=UTC), "Asia/Jakarta", date(2026, 12, 2)),
        (datetime(2026, 12, 2, 17, 0, tzinfo=UTC), "Asia/Jakarta", date(2026, 12, 3)),
        (datetime(2026, 12, 2, 16, 0, tzinfo=UTC), "Asia/Makassar", date(2026, 12, 3)),  # WITA, UTC+8
        (datetime(2026, 12, 2, 14, 59, tzinfo=UTC), "Asia/Jayapura", date(2026, 12, 2)),  # WIT, UTC+9
        (datetime(2026, 12, 2, 23, 0, tzinfo=UTC), "UTC", date(2026, 12, 2)),
    ],
)
def test_the_local_day_follows_the_office_s_zone(utc: datetime, zone_name: str, day: date) -> None:
    assert local_date(ManualClock(utc), zone_name) == day


def test_the_default_zone_is_wib_and_an_unknown_zone_is_named() -> None:
    assert SITE_ZONE == "Asia/Jakarta"
    with pytest.raises(ValueError, match="Asia/Atlantis"):
        zone("Asia/Atlantis")


def test_ticket_numbers_restart_at_the_office_s_midnight_not_utc_midnight() -> None:
    clock = ManualClock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))  # 16:00 WIB
    queue = QueueMachine(clock, {"PASPOR": "A"})
    assert queue.take("PASPOR").number == "A001"
    clock.advance(7.5 * 3600)  # 16:30 UTC: 23:30 WIB, the same office day
    assert queue.take("PASPOR").number == "A002"
    clock.advance(3600)  # 17:30 UTC: 00:30 WIB the next day (the UTC date has not changed)
    assert queue.take("PASPOR").number == "A001"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_each_device_config_takes_a_zone_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    kiosk = 'site = "dps"\ndevice_id = "kiosk-01"\nboard = "b.toml"\n'
    config = KioskConfig.load(write(tmp_path / "k.toml", f'[kiosk]\n{kiosk}timezone = "Asia/Makassar"\n'))
    assert config.timezone == "Asia/Makassar"
    assert KioskConfig.load(write(tmp_path / "k2.toml", f"[kiosk]\n{kiosk}")).timezone == SITE_ZONE
    with pytest.raises(KioskConfigError, match="timezone"):
        KioskConfig.load(write(tmp_path / "k3.toml", f'[kiosk]\n{kiosk}timezone = "Bali"\n'))

    station = '[station]\ndevice_id = "counter-01"\nsite = "dps"\ntariffs = "t.toml"\n'
    assert load_config(write(tmp_path / "c.toml", station)).timezone == SITE_ZONE
    with pytest.raises(CounterConfigError, match="timezone"):
        load_config(write(tmp_path / "c2.toml", station + 'timezone = "WITA"\n'))

    gate = (REPO / "edge" / "examples" / "gate.toml").read_text(encoding="utf-8")
    assert 'timezone = "Asia/Jakarta"' in gate
    with pytest.raises(ConfigError, match=r"policy\.timezone"):
        load_gate_config(write(tmp_path / "gate.toml", gate.replace('"Asia/Jakarta"', '"Jakarta"')))
