"""Enrolment records: the holder's reference data a gate compares the live face with.

Records travel as the wire's enrolment record; central keys them by issuing state and document number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from central.errors import Invalid
from central.store import Store


def register(store: Store, record: dict[str, Any], *, by: str, now: datetime) -> dict[str, Any]:
    state = str(record.get("issuing_state", "")).upper()
    number = str(record.get("document_number", "")).upper()
    if len(state) != 3 or not number or len(number) > 32:
        raise Invalid("an enrolment record needs issuing_state (3 letters) and document_number (1-32 chars)")
    store.put_enrolment(state, number, record, now=now)
    store.audit(by, "enrolment.put", now=now, target=f"{state}/{number}")
    return {"issuing_state": state, "document_number": number}


def fetch(store: Store, issuing_state: str, document_number: str) -> dict[str, Any]:
    return store.enrolment(issuing_state, document_number)
