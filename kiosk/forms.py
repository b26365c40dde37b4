"""Pre-fill an application form from the passport's MRZ and validate what the applicant typed.

SOP-004 (d) and the permit SOPs' intake steps: receive the application, check it is complete, enter the
data. The passport must be valid (``core.documents``) and, for a stay-permit service, valid for at
least six more months is *advised*, not enforced here: the officer decides (the SOPs leave it to them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from core.documents import MrzResult
from core.documents.rules import expires_within, is_expired
from core.wire import DocumentFields
from kiosk.catalogue import FieldSpec, Service
from kiosk.errors import FormError

Value = str | int


@dataclass(frozen=True)
class PassportCheck:
    """What the kiosk tells the applicant about the scanned passport: ``problem`` is a message key."""

    ok: bool
    problem: str | None = None
    expires_soon: bool = False


def check_passport(result: MrzResult, today: date) -> PassportCheck:
    """A damaged or unreadable MRZ, or an expired passport, stops the application with guidance."""
    if not result.valid:
        return PassportCheck(False, "mrz_damaged")
    if is_expired(result, today):
        return PassportCheck(False, "passport_expired")
    return PassportCheck(True, None, expires_within(result, 6, today))


def mrz_values(result: MrzResult) -> dict[str, str]:
    """The form values an MRZ gives, by ``from_mrz`` key."""
    birth = result.birth_date.isoformat() if result.birth_date is not None else ""
    return {
        "name": " ".join(p for p in (result.given_names, result.surname) if p),
        "birth_date": birth if result.birth_date is not None and not result.birth_date.is_partial else "",
        "passport_no": result.document_number,
        "nationality": result.nationality,
    }


def document_fields(result: MrzResult) -> DocumentFields:
    """The passport as the wire contract carries it."""
    return DocumentFields(
        document_code=result.document_code,
        issuing_state=result.issuing_state,
        document_number=result.document_number,
        nationality=result.nationality,
        surname=result.surname,
        given_names=result.given_names,
        birth_date=result.birth_date.isoformat() if result.birth_date else "",
        sex=result.sex,
        expiry_date=result.expiry_date.isoformat() if result.expiry_date else "",
        optional_data=result.optional_data,
    )


def prefill(service: Service, result: MrzResult | None) -> dict[str, str]:
    """Initial form values: the MRZ's where the service's fields take them, else empty."""
    known = mrz_values(result) if result is not None else {}
    return {f.name: known.get(f.from_mrz, "") if f.from_mrz else "" for f in service.fields}


def clean_field(spec: FieldSpec, raw: str) -> Value | None:
    """One field's value, typed; ``None`` for an empty optional field. Raises ``FormError``."""
    text = " ".join(raw.split())
    if not text:
        if spec.required:
            raise FormError(spec.name, f"{spec.label_en} is required: fill it in")
        return None
    if spec.kind == "int":
        try:
            number = int(text)
        except ValueError:
            raise FormError(spec.name, f"{spec.label_en} must be a whole number, not {text!r}") from None
        if (spec.min is not None and number < spec.min) or (spec.max is not None and number > spec.max):
            raise FormError(spec.name, f"{spec.label_en} must be between {spec.min} and {spec.max}")
        return number
    if spec.kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise FormError(
                spec.name, f"{spec.label_en} must be a date written YYYY-MM-DD, not {text!r}"
            ) from None
    if spec.kind == "choice" and text not in spec.choices:
        raise FormError(spec.name, f"{spec.label_en} must be one of {', '.join(spec.choices)}")
    if len(text) > 200:
        raise FormError(spec.name, f"{spec.label_en} is too long: at most 200 characters")
    return text


def validate(service: Service, raw: Mapping[str, str]) -> tuple[dict[str, Value], dict[str, str]]:
    """``(values, errors)``: typed values of the fields that passed, and a message per field that did not."""
    values: dict[str, Value] = {}
    errors: dict[str, str] = {}
    for spec in service.fields:
        try:
            value = clean_field(spec, raw.get(spec.name, ""))
        except FormError as exc:
            errors[spec.name] = str(exc)
            continue
        if value is not None:
            values[spec.name] = value
    return values, errors
