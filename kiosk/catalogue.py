"""The kiosk's service information (``kiosk/data/services.toml``): services, fees, fields, FAQ.

One bilingual data file drives both the digital receptionist and the application forms, so what the
applicant is told and what the form asks stay in step.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.errors import KioskConfigError

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "services.toml"
FIELD_KINDS = ("text", "int", "date", "choice")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label_id: str
    label_en: str
    kind: str = "text"
    required: bool = True
    from_mrz: str = ""
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None

    def label(self, lang: str) -> str:
        return self.label_id if lang == "id" else self.label_en


@dataclass(frozen=True)
class Service:
    code: str
    title_id: str
    title_en: str
    fee: int
    duration_id: str
    duration_en: str
    requirements_id: tuple[str, ...]
    requirements_en: tuple[str, ...]
    documents: tuple[str, ...]
    fields: tuple[FieldSpec, ...]

    def title(self, lang: str) -> str:
        return self.title_id if lang == "id" else self.title_en

    def requirements(self, lang: str) -> tuple[str, ...]:
        return self.requirements_id if lang == "id" else self.requirements_en

    def duration(self, lang: str) -> str:
        return self.duration_id if lang == "id" else self.duration_en


@dataclass(frozen=True)
class Catalogue:
    currency: str
    hours_id: str
    hours_en: str
    services: tuple[Service, ...]
    documents: dict[str, tuple[str, str]] = field(default_factory=dict)
    faq: tuple[dict[str, str], ...] = ()

    def service(self, code: str) -> Service:
        for s in self.services:
            if s.code == code:
                return s
        raise KeyError(
            f"no service {code!r} on this kiosk; known: {', '.join(s.code for s in self.services)}"
        )

    def document_label(self, name: str, lang: str) -> str:
        label_id, label_en = self.documents.get(name, (name, name))
        return label_id if lang == "id" else label_en

    def hours(self, lang: str) -> str:
        return self.hours_id if lang == "id" else self.hours_en

    @classmethod
    def load(cls, path: Path | str = DEFAULT_PATH) -> Catalogue:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise KioskConfigError(f"{path}: cannot read the service data file ({exc})") from exc
        try:
            return _build(data, path)
        except KeyError as exc:
            raise KioskConfigError(f"{path}: missing key {exc}; see kiosk/data/services.toml") from exc


def _build(data: dict[str, Any], path: Path) -> Catalogue:
    specs: dict[str, FieldSpec] = {}
    for name, f in data.get("fields", {}).items():
        if f.get("kind", "text") not in FIELD_KINDS:
            raise KioskConfigError(f"{path}: fields.{name}.kind must be one of {', '.join(FIELD_KINDS)}")
        specs[name] = FieldSpec(
            name=name,
            label_id=f["label_id"],
            label_en=f["label_en"],
            kind=f.get("kind", "text"),
            required=bool(f.get("required", True)),
            from_mrz=f.get("from_mrz", ""),
            choices=tuple(f.get("choices", ())),
            min=f.get("min"),
            max=f.get("max"),
        )
    documents = {n: (d["label_id"], d["label_en"]) for n, d in data.get("documents", {}).items()}
    services = []
    for s in data.get("services", []):
        for name in s.get("fields", []):
            if name not in specs:
                raise KioskConfigError(
                    f"{path}: service {s['code']} names field {name!r}; add [fields.{name}]"
                )
        for name in s.get("documents", []):
            if name not in documents:
                raise KioskConfigError(
                    f"{path}: service {s['code']} names document {name!r}; add [documents.{name}]"
                )
        services.append(
            Service(
                code=s["code"],
                title_id=s["title_id"],
                title_en=s["title_en"],
                fee=int(s["fee"]),
                duration_id=s.get("duration_id", ""),
                duration_en=s.get("duration_en", ""),
                requirements_id=tuple(s.get("requirements_id", ())),
                requirements_en=tuple(s.get("requirements_en", ())),
                documents=tuple(s.get("documents", ())),
                fields=tuple(specs[n] for n in s.get("fields", [])),
            )
        )
    return Catalogue(
        currency=data.get("currency", "IDR"),
        hours_id=data.get("hours_id", ""),
        hours_en=data.get("hours_en", ""),
        services=tuple(services),
        documents=documents,
        faq=tuple(data.get("faq", ())),
    )
