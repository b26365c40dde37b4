"""Issue 12: the kiosk's outbox (applications with document scans and templates awaiting central's ack) is
sealed with the configured data key, like the gate's; a missing or broken key stops the kiosk at start.

No browser: the application is handed to the kiosk's submitter directly, with a real Mosquitto and a
real central (``central_down``, started once the application waits in the outbox).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from core import wire
from core.wire import DocumentFields, KioskApplication
from edge.errors import OutboxError
from edge.outbox import Outbox
from edge.sealed import Sealer
from kiosk import cli_run
from kiosk.config import KioskConfig
from kiosk.errors import KioskConfigError
from kiosk.runtime import build
from kiosk.submitter import Application
from tests.kiosk.conftest import BOARD
from tests.live_central import CentralUnderTest

SCAN = os.urandom(4096)  # a document scan nobody could guess: found in raw storage only if unsealed
TEMPLATE = os.urandom(512)
DOC = DocumentFields(
    document_code="P",
    issuing_state="AUS",
    document_number="PA1234567",
    nationality="AUS",
    surname="CITIZEN",
    given_names="JANE",
    birth_date="1990-01-01",
    sex="F",
    expiry_date="2031-02-28",
)


def config(tmp_path: Path, central: CentralUnderTest, **options: object) -> KioskConfig:
    return KioskConfig(
        site="jkt",
        device_id="kiosk-01",
        board=BOARD,
        data_dir=tmp_path / "kiosk-data",
        ack_wait_s=0.5,
        central_url=central.url,
        central_token=central.token,
        broker_url=central.broker_url,
        **options,  # type: ignore[arg-type]
    )


def raw(folder: Path, *, but: str = "") -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != but)


def test_applications_wait_sealed_with_the_configured_key(
    tmp_path: Path, central_down: CentralUnderTest
) -> None:
    key = tmp_path / "keys" / "kiosk-data.key"
    key.parent.mkdir()
    key.write_bytes(os.urandom(32))
    kiosk = build(config(tmp_path, central_down, data_key_file=key))
    try:
        submitter = kiosk.submitter
        assert submitter is not None
        application = Application(
            "K-0001",
            "ITK-EXT",
            {"phone": "0812345678"},
            document=DOC,
            photos={"passport_scan": SCAN},
            face_template=TEMPLATE,
            face_model_id="test-model",
        )
        assert submitter.submit(application).queued  # central is down: it waits in the outbox
        data_dir = kiosk.config.data_dir
        assert not (data_dir / "outbox.db.key").exists()  # the configured key, not a default beside it
        stored = raw(data_dir)
        assert SCAN[:64] not in stored and TEMPLATE[:64] not in stored and b"PA1234567" not in stored
        # The configured key opens it; another key does not (and deletes nothing).
        with Outbox(data_dir / "outbox.db", sealer=Sealer.load(default=key)) as box:
            messages = [wire.decode(e.payload) for e in box.pending()]
        [sent] = [m for m in messages if isinstance(m, KioskApplication)]
        assert sent.documents[0].data == SCAN and sent.face_template == TEMPLATE
        with (
            Outbox(data_dir / "outbox.db", sealer=Sealer(os.urandom(32), "another key")) as box,
            pytest.raises(OutboxError, match="not the one it was sealed with"),
        ):
            box.pending()
        # Central comes back: the kiosk opens its sealed rows and they arrive.
        central_down.start()
        submitter.retry_now()
        deadline = time.monotonic() + 30
        while submitter.pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert submitter.pending() == 0
        assert central_down.workflows.case_of_source("K-0001") is not None
    finally:
        kiosk.close()


def test_without_a_key_setting_the_key_is_made_beside_the_data(
    tmp_path: Path, central_down: CentralUnderTest
) -> None:
    kiosk = build(config(tmp_path, central_down))
    try:
        key = kiosk.config.data_dir / "outbox.db.key"
        assert len(key.read_bytes()) == 32 and key.stat().st_mode & 0o077 == 0
    finally:
        kiosk.close()


def test_a_missing_or_broken_key_stops_the_kiosk_with_a_clear_error(
    tmp_path: Path, central_down: CentralUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-such.key"
    with pytest.raises(
        KioskConfigError, match=rf"data key: cannot read the data key {missing}.*data_key_file"
    ):
        build(config(tmp_path, central_down, data_key_file=missing))
    short = tmp_path / "short.key"
    short.write_bytes(b"0123456789")
    with pytest.raises(KioskConfigError, match="must be 32 bytes, it has 10"):
        build(config(tmp_path, central_down, data_key_file=short))
    monkeypatch.setenv("KIOSK_DATA_KEY", "ab" * 16)  # 16 bytes, not 32
    with pytest.raises(KioskConfigError, match=r"\$KIOSK_DATA_KEY must hold 64 hex digits"):
        build(config(tmp_path, central_down, data_key_env="KIOSK_DATA_KEY"))
    assert not (tmp_path / "kiosk-data" / "outbox.db").exists()  # refused before anything was stored


def test_the_config_file_names_the_key_and_the_run_command_reports_a_broken_one(
    tmp_path: Path, central_down: CentralUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = tmp_path / "kiosk.toml"
    toml.write_text(
        f"""
[kiosk]
site = "jkt"
device_id = "kiosk-01"
board = "{BOARD}"
data_dir = "data"
data_key_file = "keys/kiosk.key"
data_key_env = "KIOSK_DATA_KEY_UNSET"

[central]
url = "{central_down.url}"
token = "{central_down.token}"
broker = "{central_down.broker_url}"
""",
        encoding="utf-8",
    )
    loaded = KioskConfig.load(toml)
    assert loaded.data_key_file == tmp_path / "keys" / "kiosk.key"  # relative to the config file
    assert loaded.data_key_env == "KIOSK_DATA_KEY_UNSET"
    with pytest.raises(SystemExit) as exit_:
        cli_run.main(["--config", str(toml)])
    assert exit_.value.code == 2
    assert f"cannot read the data key {tmp_path / 'keys' / 'kiosk.key'}" in capsys.readouterr().err
    toml.write_text(toml.read_text(encoding="utf-8").replace('"keys/kiosk.key"', "7"), encoding="utf-8")
    with pytest.raises(KioskConfigError, match=r"\[kiosk\] data_key_file must be a non-empty string"):
        KioskConfig.load(toml)
