"""Gate config validation: every error names its key and says what to write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edge.__main__ import main
from edge.config import load_config, parse_config
from edge.errors import ConfigError
from edge.flow import Direction, MiripPolicy

EXAMPLE = Path(__file__).resolve().parents[2] / "edge" / "examples" / "gate.toml"


def minimal(**sections: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {"gate": {"id": "gate-01", "site": "cgk"}, "link": {"url": "mqtt://127.0.0.1:1883"}}
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}
    return raw


def test_the_example_config_is_valid() -> None:
    cfg = load_config(EXAMPLE)
    assert cfg.gate_id == "gate-01"
    assert cfg.link.will_topic == "imigrasi/v1/cgk/gate/gate-01/status"


def test_defaults_are_the_safe_policies() -> None:
    cfg = parse_config(minimal())
    assert cfg.policy.mirip is MiripPolicy.HOLD
    assert cfg.policy.direction is Direction.DEPARTURE
    assert cfg.policy.extra_issuers == frozenset()


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        (minimal(gate={"id": "a/b"}), "gate.id"),
        (minimal(gate={"direction": "sideways"}), "gate.direction"),
        (minimal(policy={"mirip": "ignore"}), "policy.mirip"),
        (minimal(policy={"no_enrolment": "pass"}), "policy.no_enrolment"),
        (minimal(policy={"fingerprint_attempts": 0}), "policy.fingerprint_attempts"),
        (minimal(policy={"extra_issuers": ["malaysia"]}), "policy.extra_issuers"),
        (minimal(timings={"enter_s": -1}), "timings.enter_s"),
        (minimal(timings={"coffee_s": 5}), "timings.coffee_s"),
        (minimal(link={"url": "http://broker"}), "link.url"),
        (minimal(outbox={"max_events": 5}), "outbox.max_events"),
        (minimal(metrics={"port": "9108"}), "metrics.port"),
        ({"gate": {"id": "g", "site": "cgk"}}, "link.url"),
        (minimal(gate={"site": "CGK"}), "gate.site"),
        (minimal(face={"liveness": "maybe"}), "face.liveness"),
        (minimal(board={"pins": 3}), "board has unknown key"),
        (minimal(surprise={}), "unknown section"),
    ],
)
def test_a_bad_value_is_refused_naming_its_key(raw: dict[str, Any], names: str) -> None:
    with pytest.raises(ConfigError, match=names.replace(".", r"\.")):
        parse_config(raw)


def test_a_missing_file_says_to_pass_the_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--config"):
        load_config(tmp_path / "nope.toml")


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "gate.toml"
    bad.write_text("[gate\n")
    with pytest.raises(ConfigError, match=r"gate\.toml: not valid TOML"):
        load_config(bad)


def test_check_config_exits_zero_for_a_good_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", "--config", str(EXAMPLE)]) == 0
    assert "ok" in capsys.readouterr().out


def test_check_config_explains_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "gate.toml"
    bad.write_text('[gate]\nid = "g"\nsite = "cgk"\ndirection = "up"\n[link]\nurl = "mqtt://h"\n')
    assert main(["check-config", "--config", str(bad)]) == 2
    assert "gate.direction must be 'arrival' or 'departure'" in capsys.readouterr().err


def test_status_reads_the_status_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = tmp_path / "status.json"
    status.write_text('{"state": "awaiting_document", "outbox_depth": 3}')
    assert main(["status", "--status-file", str(status)]) == 0
    assert "awaiting_document" in capsys.readouterr().out


def test_status_without_a_running_gate_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--status-file", str(tmp_path / "none.json")]) == 1
    assert "is the gate running" in capsys.readouterr().err
