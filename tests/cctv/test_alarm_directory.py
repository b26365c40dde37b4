"""Issue 12: a stand-alone watcher's alarm directory is sealed at rest (AES-GCM, ``edge.sealed``).

``watch --alarms DIR`` seals each alarm with its face snapshot under the configured data key
(``--data-key-file`` / ``--data-key-env``, else ``DIR/alarms.key``); ``alarms`` opens them with the same
key; a missing or broken key stops the command with a clear error before the camera opens; a wrong key
or a moved file does not open and deletes nothing; plain alarms written before sealing are sealed, then
deleted, when the directory opens.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import cv2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from core.wire import new_event_id
from core.wire.cctv import CctvFaceAlarm
from edge.cctv import cli_alarms, cli_watch
from edge.cctv.errors import CctvError
from edge.cctv.gallery import AlertGallery
from edge.cctv.sinks import KEY_NAME, AlarmDirectory
from edge.sealed import Sealer
from tests.cctv.video import photo, walk_video

LABEL = "SITI AMINAH case 2026/114"


def an_alarm(n: int = 1) -> CctvFaceAlarm:
    ok, jpeg = cv2.imencode(".jpg", photo("person_a_2")[:200, :200])
    assert ok
    return CctvFaceAlarm(
        event_id=new_event_id(datetime(2026, 12, 1, 8, n, tzinfo=UTC)),
        ts=datetime(2026, 12, 1, 8, n, tzinfo=UTC),
        device_id="cctv-t2-01",
        entry_id="alert-a",
        watchlist_id="W-0001",
        label=LABEL,
        score=0.71,
        threshold=0.5,
        track_id=n,
        snapshot_jpeg=jpeg.tobytes(),
    )


def test_an_alarm_is_sealed_on_disk_and_opens_again(tmp_path: Path) -> None:
    directory = AlarmDirectory(tmp_path)
    alarm = an_alarm()
    directory.raise_alarm(alarm)
    (sealed,) = tmp_path.glob("*.alarm.sealed")
    raw = sealed.read_bytes()
    assert alarm.snapshot_jpeg[:64] not in raw and LABEL.encode() not in raw and b"W-0001" not in raw
    assert (tmp_path / KEY_NAME).stat().st_mode & 0o077 == 0  # the default key is 0600
    assert list(AlarmDirectory(tmp_path).alarms()) == [alarm]


def test_a_wrong_key_or_a_moved_file_does_not_open_and_deletes_nothing(tmp_path: Path) -> None:
    first, second = an_alarm(1), an_alarm(2)
    AlarmDirectory(tmp_path).raise_alarm(first)
    wrong = AlarmDirectory(tmp_path, sealer=Sealer(os.urandom(32), "a test key"))
    with pytest.raises(
        CctvError, match=rf"{first.alarm_id}.*not the one it was sealed with.*nothing was deleted"
    ):
        list(wrong.alarms())
    # The ciphertext of one alarm under another's name: the alarm id is bound to it.
    (tmp_path / f"{first.alarm_id}.alarm.sealed").rename(tmp_path / f"{second.alarm_id}.alarm.sealed")
    with pytest.raises(CctvError, match=second.alarm_id):
        AlarmDirectory(tmp_path).read(second.alarm_id)
    assert [p.name for p in tmp_path.glob("*.alarm.sealed")] == [f"{second.alarm_id}.alarm.sealed"]


def test_plain_alarms_from_before_sealing_are_sealed_then_deleted(tmp_path: Path) -> None:
    alarm = an_alarm()
    (tmp_path / f"{alarm.alarm_id}.json").write_text(json.dumps(alarm.to_dict()), encoding="utf-8")
    (tmp_path / f"{alarm.alarm_id}.jpg").write_bytes(alarm.snapshot_jpeg)
    (tmp_path / "notes.json").write_text("{}", encoding="utf-8")  # not an alarm: left alone
    directory = AlarmDirectory(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{alarm.alarm_id}.alarm.sealed", KEY_NAME, "notes.json"]
    )
    assert list(directory.alarms()) == [alarm]


@pytest.fixture
def watch_args(gallery: AlertGallery, signing_key: Ed25519PrivateKey, tmp_path: Path) -> list[str]:
    """``watch`` on a video of a listed walker, against the gallery copy the ``gallery`` fixture wrote."""
    public = tmp_path / "central-cctv.pub.pem"
    public.write_bytes(signing_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    video = walk_video(tmp_path / "walk.avi", "person_a_2")
    return [
        "--camera-id", "cctv-t2-01", "--source", str(video), "--gallery", str(tmp_path / "gallery.bin"),
        "--public-key", str(public),
    ]  # fmt: skip


def test_the_watch_command_seals_alarms_with_the_configured_key_and_alarms_lists_them(
    watch_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, key = tmp_path / "alarms", tmp_path / "keys" / "data.key"
    key.parent.mkdir()
    key.write_bytes(os.urandom(32))
    assert cli_watch.main([*watch_args, "--alarms", str(out), "--data-key-file", str(key)]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["alarms"] == 1
    (sealed,) = out.glob("*.alarm.sealed")
    assert not (out / KEY_NAME).exists()  # the configured key, not a default made beside the data
    alarm_id = sealed.name.removesuffix(".alarm.sealed")
    alarm = AlarmDirectory(out, sealer=Sealer.load(default=key)).read(alarm_id)
    assert alarm.entry_id == "alert-a" and alarm.snapshot_jpeg.startswith(b"\xff\xd8")

    export = tmp_path / "export"
    args = ["--alarms", str(out), "--data-key-file", str(key), "--export", str(export)]
    assert cli_alarms.main(args) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(a["alarm_id"], a["entry_id"]) for a in listed] == [(alarm_id, "alert-a")]
    assert "snapshot_jpeg" not in listed[0]
    assert (export / f"{alarm_id}.jpg").read_bytes() == alarm.snapshot_jpeg
    # Without the key: a clear error, no key made, files kept; with another key: it does not open.
    assert cli_alarms.main(["--alarms", str(out)]) == 1
    assert f"no data key: {out / KEY_NAME} does not exist" in capsys.readouterr().err
    assert not (out / KEY_NAME).exists()
    other = tmp_path / "keys" / "other.key"
    other.write_bytes(os.urandom(32))
    assert cli_alarms.main(["--alarms", str(out), "--data-key-file", str(other)]) == 1
    assert "not the one it was sealed with" in capsys.readouterr().err
    assert sealed.exists()


def test_a_missing_or_broken_key_stops_the_watcher_before_it_starts(
    watch_args: list[str], tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "alarms"
    missing = tmp_path / "no-such.key"
    assert cli_watch.main([*watch_args, "--alarms", str(out), "--data-key-file", str(missing)]) == 1
    assert f"cannot read the data key {missing}" in caplog.text
    short = tmp_path / "short.key"
    short.write_bytes(b"0123456789")
    assert cli_watch.main([*watch_args, "--alarms", str(out), "--data-key-file", str(short)]) == 1
    assert "must be 32 bytes, it has 10" in caplog.text
    monkeypatch.setenv("CCTV_DATA_KEY", "not hex")
    assert cli_watch.main([*watch_args, "--alarms", str(out), "--data-key-env", "CCTV_DATA_KEY"]) == 1
    assert "$CCTV_DATA_KEY must hold 64 hex digits" in caplog.text
    assert not out.exists()  # nothing was watched or written
