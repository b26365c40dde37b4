"""docs/protocol.md is generated from the code, and the CLI shows the same contract."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from core.wire import MESSAGE_TYPES, encode
from core.wire.cli import main
from core.wire.docs import field_docs, render_reference, splice
from core.wire.examples import examples
from core.wire.schema import struct_codec

PROTOCOL = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"


def test_every_registered_type_has_an_example() -> None:
    assert set(examples()) == set(MESSAGE_TYPES)


@pytest.mark.parametrize("type_name", list(MESSAGE_TYPES))
def test_every_field_of_every_type_is_described(type_name: str) -> None:
    cls = MESSAGE_TYPES[type_name]
    described = field_docs(cls)
    assert [i.name for i in struct_codec(cls).fields if not described.get(i.name)] == []


def test_the_protocol_document_is_current_with_the_code() -> None:
    text = PROTOCOL.read_text(encoding="utf-8")
    assert splice(text, render_reference()) == text, "run: python -m core wire docs --write docs/protocol.md"


@pytest.mark.parametrize("type_name", list(MESSAGE_TYPES))
def test_every_registered_type_appears_in_the_protocol_document(type_name: str) -> None:
    assert f"### `{type_name}`" in PROTOCOL.read_text(encoding="utf-8")


def test_cli_types_lists_every_type_and_its_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["types"]) == 0
    out = capsys.readouterr().out
    for name, cls in MESSAGE_TYPES.items():
        assert f"{name}  ({cls.__name__}" in out
    assert "    document_number: str" in out


def test_cli_topics_shows_the_scheme(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["topics"]) == 0
    out = capsys.readouterr().out
    assert "imigrasi/v1/<site>/<device-kind>/<device-id>/<channel>" in out
    assert "imigrasi/v1/<site>/watchlist/announce" in out


def test_cli_decode_prints_a_payload_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = tmp_path / "crossing.msgpack"
    payload.write_bytes(encode(examples()["crossing"]))
    assert main(["decode", str(payload)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["type"], shown["outcome"], shown["document"]["surname"]) == (
        "crossing",
        "crossed",
        "SANTOSO",
    )


def test_cli_decode_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(encode(examples()["door"]))))
    assert main(["decode", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "locked"


def test_cli_decode_of_bad_input_exits_1_with_the_typed_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = tmp_path / "junk.bin"
    payload.write_bytes(b"\x81\xa4type\xa8teleport")
    assert main(["decode", str(payload)]) == 1
    assert "UnknownMessageType (field: type)" in capsys.readouterr().err


def test_cli_docs_check_reports_a_stale_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "protocol.md"
    stale.write_text(
        splice(PROTOCOL.read_text(encoding="utf-8"), render_reference().replace("crossing", "x"))
    )
    assert main(["docs", "--check", str(stale)]) == 1
    assert main(["docs", "--write", str(stale)]) == 0
    assert main(["docs", "--check", str(stale)]) == 0
