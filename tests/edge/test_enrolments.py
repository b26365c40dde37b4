"""Enrolment records from central over HTTP, with the local cache for when central is unreachable."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.enrolments import EnrolmentClient, parse_record
from edge.errors import EnrolmentError
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
    assert not list(tmp_path.glob("*.json"))


def test_a_record_without_a_face_template_is_refused() -> None:
    with pytest.raises(EnrolmentError, match="face_template"):
        parse_record({**RECORD, "face_template": None})
