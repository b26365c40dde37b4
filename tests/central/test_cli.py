"""``python -m central``: users from stdin, devices with credentials, and a helpful first start."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from central.__main__ import main
from central.store import Store


def run(argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(argv)


def test_a_user_is_added_with_the_password_from_stdin(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(
        ["user", "add", "sari", "--role", "supervisor", "--db", sqlite_url],
        monkeypatch,
        "long password 123\n",
    )
    assert code == 0
    user = Store(sqlite_url).user("sari")
    assert user is not None and user["role"] == "supervisor"
    assert "long password" not in user["password_hash"]


def test_a_short_password_is_refused_with_the_rule(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["user", "add", "sari", "--role", "officer", "--db", sqlite_url], monkeypatch, "short\n")
    assert code == 1
    assert "at least 10 characters" in capsys.readouterr().err


def test_device_add_prints_its_credentials_once(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(
        [
            "device",
            "add",
            "gate-01",
            "--site",
            "cgk",
            "--direction",
            "departure",
            "--json",
            "--db",
            sqlite_url,
        ],
        monkeypatch,
    )
    creds = json.loads(capsys.readouterr().out)
    assert code == 0
    assert creds["mqtt_username"] == "gate-01" and len(creds["mqtt_password"]) >= 24
    assert Store(sqlite_url).device("gate-01")["site"] == "cgk"


def test_adding_a_device_twice_fails_with_a_message(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["device", "add", "gate-01", "--db", sqlite_url], monkeypatch)
    code = run(["device", "add", "gate-01", "--db", sqlite_url], monkeypatch)
    assert code == 1
    assert "already exists" in capsys.readouterr().err


def test_serve_with_no_users_explains_how_to_add_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["serve", "--db", f"sqlite:///{tmp_path / 'c.db'}", "--no-ingest"], monkeypatch)
    assert code == 2
    assert "python -m central user add" in capsys.readouterr().err
