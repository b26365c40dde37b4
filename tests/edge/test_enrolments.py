"""Enrolment records from central over HTTP, with the local cache for when central is unreachable."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.enrolments import EnrolmentClient, parse_record
from edge.errors import EnrolmentError
from edge.sealed import Sealer
from tests.edge.http_fake import FakeCentral

RECORD = {
    "type": "enrolment",
    "issuing_state": "IDN",
    "document_number": "X1234567",
    "face_template": {"$base64": base64.b64encode(b"face-bytes").decode()},
    "face_model_id": "sface",
    "fingerprint_template": {"$base64": base64.b64encode(b"finger-bytes").decode()},
}
PATH = "/api/v1/enrolments/IDN/X1234567"


@pytest.fixture
def central() -> Iterator[FakeCentral]:
    server = FakeCentral(token="device-secret")
    server.files[PATH] = RECORD
    yield server
    server.close()


def test_the_record_is_fetched_by_document_with_the_device_token(
    central: FakeCentral, tmp_path: Path
) -> None:
    client = EnrolmentClient(central.url, token="device-secret", cache_dir=tmp_path)
    record = client.fetch("idn", "x1234567")
    assert (record.face_template, record.fingerprint_template) == (b"face-bytes", b"finger-bytes")
    assert central.requests == [(PATH, "Bearer device-secret")]


def test_a_cached_record_is_used_when_central_is_unreachable(central: FakeCentral, tmp_path: Path) -> None:
    EnrolmentClient(central.url, token="device-secret", cache_dir=tmp_path).fetch("IDN", "X1234567")
    url = central.url
    central.close()
    record = EnrolmentClient(url, token="device-secret", timeout_s=0.5, cache_dir=tmp_path).fetch(
        "IDN", "X1234567"
    )
    assert record.face_template == b"face-bytes"


def test_unreachable_and_not_cached_is_no_enrolment(tmp_path: Path) -> None:
    client = EnrolmentClient("http://127.0.0.1:1", timeout_s=0.5, cache_dir=tmp_path)
    with pytest.raises(EnrolmentError, match="manual counter"):
        client.fetch("IDN", "X1234567")


def test_centrals_not_found_is_final_even_with_a_cached_copy(central: FakeCentral, tmp_path: Path) -> None:
    client = EnrolmentClient(central.url, token="device-secret", cache_dir=tmp_path)
    client.fetch("IDN", "X1234567")
    del central.files[PATH]
    with pytest.raises(EnrolmentError, match="no enrolment"):
        client.fetch("IDN", "X1234567")
    assert not list(tmp_path.glob("*.json")) and not list(tmp_path.glob("*.sealed"))


def test_a_record_without_a_face_template_is_refused() -> None:
    with pytest.raises(EnrolmentError, match="face_template"):
        parse_record({**RECORD, "face_template": None})


# -- issue 12: the cache is sealed and has a lifetime ----------------------------------------------------


class HandClock:
    def __init__(self) -> None:
        self.t = 1_900_000_000.0

    def __call__(self) -> float:
        return self.t


def cached_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.name != "cache.key")


def test_cached_templates_are_sealed_on_disk(central: FakeCentral, tmp_path: Path) -> None:
    EnrolmentClient(central.url, token="device-secret", cache_dir=tmp_path).fetch("IDN", "X1234567")
    on_disk = cached_bytes(tmp_path)
    assert on_disk  # something is cached ...
    for secret in (b"face-bytes", b"finger-bytes", base64.b64encode(b"face-bytes"), b"X1234567"):
        assert secret not in on_disk  # ... but neither the templates nor the document number in clear
    assert (tmp_path / "cache.key").stat().st_mode & 0o777 == 0o600


def test_a_cached_record_older_than_its_lifetime_is_deleted_not_used(
    central: FakeCentral, tmp_path: Path
) -> None:
    clock = HandClock()
    EnrolmentClient(
        central.url, token="device-secret", cache_dir=tmp_path, cache_ttl_s=3600, clock=clock
    ).fetch("IDN", "X1234567")
    url = central.url
    central.close()
    offline = EnrolmentClient(url, timeout_s=0.5, cache_dir=tmp_path, cache_ttl_s=3600, clock=clock)
    clock.t += 3000
    assert offline.fetch("IDN", "X1234567").face_template == b"face-bytes"
    clock.t += 700
    with pytest.raises(EnrolmentError, match="nothing cached"):
        offline.fetch("IDN", "X1234567")
    assert not list(tmp_path.glob("*.sealed"))


def test_prune_at_start_deletes_expired_records_and_seals_unsealed_ones(
    central: FakeCentral, tmp_path: Path
) -> None:
    clock = HandClock()
    EnrolmentClient(
        central.url, token="device-secret", cache_dir=tmp_path, cache_ttl_s=60, clock=clock
    ).fetch("IDN", "X1234567")
    (tmp_path / "IDN_BAD.json").write_text('{"face_template": "not base64!"}', encoding="utf-8")
    clock.t += 61
    EnrolmentClient(None, cache_dir=tmp_path, cache_ttl_s=60, clock=clock)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.key"]

    plain = {**RECORD, "document_number": "B7654321"}
    (tmp_path / "IDN_B7654321.json").write_text(json.dumps(plain), encoding="utf-8")
    os.utime(tmp_path / "IDN_B7654321.json", (clock.t, clock.t))
    cache = EnrolmentClient(None, cache_dir=tmp_path, cache_ttl_s=60, clock=clock)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["IDN_B7654321.sealed", "cache.key"]
    assert b"face-bytes" not in cached_bytes(tmp_path)
    assert cache.fetch("IDN", "B7654321").face_template == b"face-bytes"


def test_a_wrong_key_does_not_use_the_record_and_keeps_it(central: FakeCentral, tmp_path: Path) -> None:
    EnrolmentClient(central.url, token="device-secret", cache_dir=tmp_path).fetch("IDN", "X1234567")
    url = central.url
    central.close()
    wrong = Sealer(bytes(32), "a test key")
    with pytest.raises(EnrolmentError, match="nothing cached"):
        EnrolmentClient(url, timeout_s=0.5, cache_dir=tmp_path, sealer=wrong).fetch("IDN", "X1234567")
    assert list(tmp_path.glob("*.sealed"))  # kept
    record = EnrolmentClient(url, timeout_s=0.5, cache_dir=tmp_path).fetch("IDN", "X1234567")
    assert record.face_template == b"face-bytes"
