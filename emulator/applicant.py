"""An emulated kiosk applicant: takes a queue number, scans a passport, fills the form, has the documents
photographed, shows a face, gives a finger and submits (SOP-004 step 1 and the permit SOPs' intake).

The applicant does what a person at the kiosk does and nothing else: it touches the kiosk's own web
app over HTTP (the same requests the touch screen's pages send: ``kiosk/app.py``; the face step is the
page's ``faceLoop`` polling ``POST /api/face``) and acts on the emulated board's far end (the passport
on the reader, a photo or a face in front of the camera, a finger on the module), as the browser
journeys in ``tests/kiosk`` do. Nothing here reaches into the kiosk's objects.

    applicants = make_applicants(seed=1, kiosk=0, count=3)
    driver = ApplicantDriver("http://127.0.0.1:8090", far_end, face_pipeline)
    result = driver.apply(applicants[0])       # Applied(number=..., queued=..., ticket=...)
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from core.documents import TravelDocument
from emulator.devices.board import FACES
from kiosk.catalogue import DEFAULT_PATH, Catalogue, FieldSpec, Service

# Stay-permit applicants are foreigners (the four services of kiosk/data/services.toml).
NATIONALITIES = ("AUS", "JPN", "NLD", "USA", "GBR", "DEU", "KOR", "FRA")
SURNAMES = ("SMITH", "TANAKA", "DE VRIES", "JOHNSON", "BROWN", "MUELLER", "KIM", "MARTIN", "SATO", "JANSEN")
GIVEN = ("JANE", "HIROSHI", "SANNE", "MICHAEL", "EMMA", "LUKAS", "MINJI", "CLAIRE", "YUKI", "PIETER")
SPONSORS = ("PT Maju Jaya", "PT Sinar Abadi", "CV Karya Mandiri", "PT Nusantara Teknik")


class ApplicantError(RuntimeError):
    """A step of the journey did not come out as a person at the kiosk would have seen it."""


@dataclass(frozen=True)
class Applicant:
    index: int
    service_code: str
    document: TravelDocument
    face_photo: Path
    finger: str
    values: dict[str, str] = field(default_factory=dict)  # the form as the applicant fills it in


@dataclass
class Applied:
    """What the applicant walks away with: the queue ticket and the application receipt's number."""

    ticket: str
    number: str  # central's application number, or the kiosk's id while central has not answered
    queued: bool  # the kiosk said "kept safely here, sent when central is back"
    steps_s: dict[str, float] = field(default_factory=dict)


def _value(spec: FieldSpec, doc: TravelDocument, rng: random.Random) -> str:
    if spec.from_mrz == "name":
        return f"{doc.given_names} {doc.surname}"
    if spec.from_mrz == "birth_date":
        return doc.birth_date.isoformat() if isinstance(doc.birth_date, date) else ""
    if spec.kind == "choice":
        return rng.choice(spec.choices)
    if spec.kind == "int":
        low = spec.min if spec.min is not None else 1
        high = min(spec.max if spec.max is not None else 90, 90)
        return str(rng.randint(low, max(low, high)))
    if spec.kind == "date":
        return date(2027, 1, 1).isoformat()
    if not spec.required and rng.random() < 0.5:
        return ""
    if spec.name == "sponsor":
        return rng.choice(SPONSORS)
    return f"{spec.label_en} {rng.randint(100, 999)}"


def make_applicants(
    *, seed: int, kiosk: int, count: int, catalogue: Catalogue | None = None
) -> list[Applicant]:
    """``count`` applicants for kiosk number ``kiosk`` (0-based), deterministic for ``seed``: valid
    foreign passports, the services in turn, the form filled in as the service asks."""
    catalogue = catalogue or Catalogue.load(DEFAULT_PATH)
    rng = random.Random(seed * 1009 + kiosk)
    out = []
    for i in range(count):
        service = catalogue.services[(kiosk + i) % len(catalogue.services)]
        nationality = rng.choice(NATIONALITIES)
        doc = TravelDocument(
            document_code="P",
            issuing_state=nationality,
            surname=rng.choice(SURNAMES),
            given_names=rng.choice(GIVEN),
            document_number=f"K{kiosk + 1:02d}{seed % 100:02d}{i:04d}",
            nationality=nationality,
            birth_date=date(rng.randint(1960, 2002), rng.randint(1, 12), rng.randint(1, 28)),
            sex=rng.choice("MF"),
            expiry_date=date(rng.randint(2029, 2035), rng.randint(1, 12), rng.randint(1, 28)),
        )
        photo = FACES / ("person_a_1.jpg" if (kiosk + i) % 2 == 0 else "person_b_1.jpg")
        values = {spec.name: _value(spec, doc, rng) for spec in service.fields}
        out.append(Applicant(i, service.code, doc, photo, f"finger-{doc.document_number}", values))
    return out


def document_page(name: str, seed: int = 0) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A supporting document held up to the camera: a white page with its title and a few lines."""
    page = np.full((420, 300, 3), 245, dtype=np.uint8)
    title = name.replace("_", " ").upper()
    cv2.putText(page, title, (16, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (20, 20, 20), 2)
    rng = random.Random(f"{name}-{seed}")
    for row in range(8):
        width = rng.randint(150, 270)
        cv2.line(page, (16, 80 + row * 36), (16 + width, 80 + row * 36), (90, 90, 90), 2)
    return page


def _find(html: str, element_id: str) -> str | None:
    match = re.search(rf'id="{re.escape(element_id)}"[^>]*>([^<]*)<', html)
    return unescape(match.group(1)).strip() if match else None


class ApplicantDriver:
    """Plays applicants on one kiosk: its web app at ``url``, its board's far end in ``far``."""

    def __init__(
        self,
        url: str,
        far: Any,
        face_pipeline: Any,
        *,
        catalogue: Catalogue | None = None,
        pace_s: float = 0.2,
        submit_timeout_s: float = 60.0,
    ) -> None:
        self.far = far
        self.face = face_pipeline
        self.catalogue = catalogue or Catalogue.load(DEFAULT_PATH)
        self.pace_s = pace_s
        # The submit waits for central's ack (the kiosk's ack_wait_s) and its status read.
        self.http = httpx.Client(base_url=url.rstrip("/"), follow_redirects=True, timeout=submit_timeout_s)
        self._closer: dict[Path, np.ndarray[Any, np.dtype[np.uint8]]] = {}

    def close(self) -> None:
        self.http.close()

    # -- one applicant ----------------------------------------------------------------------------------

    def apply(self, applicant: Applicant) -> Applied:
        service = self.catalogue.service(applicant.service_code)
        steps: dict[str, float] = {}
        began = time.monotonic()
        ticket = self.take_ticket(service)
        steps["ticket"] = time.monotonic() - began
        mark = time.monotonic()
        self.scan(service, applicant)
        steps["scan"] = time.monotonic() - mark
        mark = time.monotonic()
        self.fill_form(applicant)
        self.photograph_documents(service)
        steps["form_documents"] = time.monotonic() - mark
        mark = time.monotonic()
        self.show_face(applicant)
        self.give_finger(applicant)
        steps["biometrics"] = time.monotonic() - mark
        mark = time.monotonic()
        number, queued = self.submit()
        steps["submit"] = time.monotonic() - mark
        self._get("/reset")  # "Finish": the kiosk wipes the session
        return Applied(ticket, number, queued, {k: round(v, 3) for k, v in steps.items()})

    def take_ticket(self, service: Service) -> str:
        """SOP-004 step 1: the queue machine prints a number for the service."""
        self._get("/")
        html = self._post("/ticket", data={"service": service.code}).text
        number = _find(html, "ticket-number")
        if not number:
            raise ApplicantError(f"no ticket number on the ticket page for {service.code}")
        self._get("/reset")
        return number

    def scan(self, service: Service, applicant: Applicant) -> None:
        page = self._post("/apply", data={"service": service.code})
        if not str(page.url).endswith("/apply/scan"):
            raise ApplicantError(f"choosing {service.code} led to {page.url}, not the scan page")
        self._pause()
        self.far.mrz.present(applicant.document)
        deadline = time.monotonic() + 15.0
        while time.monotonic() < deadline:
            state = self._get("/api/scan").json()
            if state["done"]:
                return
            if state["problem"]:
                raise ApplicantError(f"the kiosk refused the passport: {state['problem']}")
            time.sleep(0.1)
        raise ApplicantError("the kiosk did not read the passport within 15 s")

    def fill_form(self, applicant: Applicant) -> None:
        self._get("/apply/form")
        self._pause()
        page = self._post("/apply/form", data=applicant.values)
        if not str(page.url).endswith("/apply/documents"):
            errors = re.findall(r'id="error-([a-z_]+)"', page.text)
            raise ApplicantError(f"the form was refused (fields {errors}): {applicant.values}")

    def photograph_documents(self, service: Service) -> None:
        for name in service.documents:
            self.far.camera.present(document_page(name))
            self._pause()
            self._post(f"/apply/documents/{name}")
        self.far.camera.empty()

    def show_face(self, applicant: Applicant, tries: int = 20) -> None:
        """The face page's guidance loop: the applicant steps closer and looks at the camera."""
        self._get("/apply/face")
        self.far.camera.present(self.closer(applicant.face_photo))
        hints = []
        for _ in range(tries):
            answer = self._post("/api/face").json()
            if answer["done"]:
                self.far.camera.empty()
                return
            hints.append(answer.get("hint"))
            time.sleep(0.1)
        raise ApplicantError(f"the kiosk never accepted the face after {tries} frames: hints {hints[-3:]}")

    def give_finger(self, applicant: Applicant) -> None:
        self._get("/apply/finger")
        self.far.fingerprint.place_finger(applicant.finger)
        self._pause()
        page = self._post("/apply/finger")
        self.far.fingerprint.lift_finger()
        if not str(page.url).endswith("/apply/review"):
            raise ApplicantError("the kiosk did not take the fingerprint")

    def submit(self) -> tuple[str, bool]:
        self._get("/apply/review")
        self._pause()
        html = self._post("/apply/submit").text
        number = _find(html, "application-no")
        if not number:
            raise ApplicantError("no application number on the done page")
        return number, 'id="queued"' in html

    # -- helpers ------------------------------------------------------------------------------------------

    def closer(self, photo: Path) -> np.ndarray[Any, np.dtype[np.uint8]]:
        """The applicant stepping closer: the photo cropped to the face with a third of its size around
        it, so the face fills the frame as enrolment quality asks (as in tests/kiosk)."""
        if photo not in self._closer:
            image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
            if image is None:
                raise ApplicantError(f"cannot read face photo {photo}; set IMIGRASI_FACE_FIXTURES")
            found = self.face.detect(image)
            if not found:
                raise ApplicantError(f"no face found in {photo}")
            x, y, w, h = (int(v) for v in found[0].box[:4])
            m = 0.35
            top, left = max(0, int(y - m * h)), max(0, int(x - m * w))
            crop = image[top : int(y + h * (1 + m)), left : int(x + w * (1 + m))]
            self._closer[photo] = np.ascontiguousarray(crop)
        return self._closer[photo]

    def _pause(self) -> None:
        if self.pace_s > 0:
            time.sleep(self.pace_s)

    def _get(self, path: str) -> httpx.Response:
        response = self.http.get(path)
        if response.status_code >= 400:
            raise ApplicantError(f"GET {path}: {response.status_code} {response.text[:200]}")
        return response

    def _post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        response = self.http.post(path, data=data)
        if response.status_code >= 400:
            raise ApplicantError(f"POST {path}: {response.status_code} {response.text[:200]}")
        return response
