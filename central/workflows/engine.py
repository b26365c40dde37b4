"""The workflow engine: cases move through their SOP's steps; no HTTP here.

Every transition records the SOP id and step number, who, when, the decision and its reason. Steps of
kind "auto" run their actions on entry and move on by themselves; "task" steps wait in their role's work
queue and run their actions when completed. Each step entered opens a task row whose ``due_at`` is the
entry time plus the step's time standard; a timer on the injected clock records the breach at exactly
``due_at`` if the step is still open then (``sweep()`` catches up after a restart).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from central.store import Row, Store, utc
from central.workflows import schema as t
from central.workflows.definitions import OUTCOMES, Catalogue, Sop, Step, split_link
from central.workflows.documents import TITLES, render_pdf
from central.workflows.errors import ActionRefused, BadAction, CaseNotFound
from central.workflows.tariffs import Tariffs, billing_code
from core.clock import Clock

SYSTEM = "system"
ACTIONS = ("approve", "decide", "reject", "return", "assign")
OVERSTAY_LIMIT_DAYS = 60  # SOP-003-A07 covers overstays of no more than 60 days


@dataclass(frozen=True)
class CekalHit:
    entry_id: str
    verdict: str  # "identik" or "mirip", as the watch-list engine says


class CekalChecker(Protocol):
    """What the cekal step needs of the watch-list engine (core/watchlist) for one applicant."""

    def check(self, applicant: Mapping[str, Any], today: date) -> list[CekalHit]: ...


class NoCekal:
    """A checker that never hits: for offices without a watch-list replica (and most tests)."""

    def check(self, applicant: Mapping[str, Any], today: date) -> list[CekalHit]:
        return []


class Workflows:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        catalogue: Catalogue,
        tariffs: Tariffs,
        *,
        cekal: CekalChecker | None = None,
        office: str = "Kantor Imigrasi",
        timezone: str = "Asia/Jakarta",
    ) -> None:
        self.store = store
        self.clock = clock
        self.catalogue = catalogue
        self.tariffs = tariffs
        self.cekal: CekalChecker = cekal or NoCekal()
        self.office = office
        self.zone = ZoneInfo(timezone)
        self._timers: list[tuple[int, float]] = []
        self._local = threading.local()

    # -- opening and acting -----------------------------------------------------------------------------

    def open_case(
        self,
        applicant: Mapping[str, Any],
        *,
        by: str,
        service_code: str = "",
        sop_id: str = "",
        data: Mapping[str, Any] | None = None,
        source_ref: str | None = None,
    ) -> Row:
        """Open a case (kiosk submission, counter intake, gate alarm) and run it to its first task.

        ``source_ref`` names the submission (a kiosk's application id): a second call with the same
        reference opens nothing and returns the case the first one opened."""
        sop = self.catalogue.sop(sop_id) if sop_id else self.catalogue.for_service(service_code)
        name = str(applicant.get("name", "")).strip()
        if not name:
            raise BadAction("the applicant has no name; send applicant.name")
        ref = (source_ref or "").strip()[:64]
        with self._tx() as conn:
            known = self._case_of_source(conn, ref) if ref else None
            if known is None:
                case_id = self._insert_case(conn, sop, applicant, data or {}, by=by, parent=None)
                if ref:
                    conn.execute(t.wf_case_sources.insert().values(source_ref=ref, case_id=case_id))
                self._enter(conn, case_id, sop, sop.first.no, by)
            else:
                case_id = known
        self._arm_timers()
        return self.case(case_id)

    def case_of_source(self, source_ref: str) -> int | None:
        """The case a submission (a kiosk's application id) opened, if it has arrived."""
        with self.store.engine.connect() as conn:
            return self._case_of_source(conn, source_ref.strip()[:64])

    @staticmethod
    def _case_of_source(conn: sa.Connection, ref: str) -> int | None:
        found = conn.execute(
            sa.select(t.wf_case_sources.c.case_id).where(t.wf_case_sources.c.source_ref == ref)
        ).scalar()
        return None if found is None else int(found)

    def status_by_number(self, number: str) -> Row:
        """What an applicant may learn at a kiosk: only the state, the current step and what is still
        needed, by central's application number or the kiosk's application id. No personal data."""
        number = number.strip()[:64]
        with self.store.engine.connect() as conn:
            case_id = conn.execute(
                sa.select(t.wf_cases.c.case_id).where(t.wf_cases.c.application_no == number)
            ).scalar()
            if case_id is None:
                case_id = self._case_of_source(conn, number)
        if case_id is None:
            raise CaseNotFound(f"no application {number!r}; check the number on the receipt")
        case = self.case(int(case_id))
        step = case["step"]
        needed = (
            [] if step is None else [r for r in step["requires"] if not (r == "payment" and case["paid"])]
        )
        return {
            "application_no": case["application_no"],
            "service_code": case["service_code"],
            "status": case["status"],
            "step": None if step is None else {"no": step["no"], "name": step["name"]},
            "still_needed": needed,
            "billing_open": any(p["paid_at"] is None for p in case["payments"]),
            # The open bill's payment code (printed on the applicant's receipt anyway), so a kiosk
            # can print it and say where to pay; None when nothing is to be paid now.
            "billing_code": next((p["billing_code"] for p in case["payments"] if p["paid_at"] is None), None),
        }

    def act(
        self,
        case_id: int,
        action: str,
        *,
        by: str,
        decision: str = "",
        reason: str = "",
        to_step: str = "",
        assignee: str = "",
    ) -> Row:
        """Act on the case's current step: approve, decide, reject (with reason), return, assign."""
        if action not in ACTIONS:
            raise BadAction(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
        with self._tx() as conn:
            case = self._case_row(conn, case_id, lock=True)
            sop = self.catalogue.sop(case["sop_id"])
            if case["status"] != "open":
                raise ActionRefused(
                    f"case {case['application_no']} is {case['status']}; only open cases can be acted on"
                    + (" (it waits for its linked case)" if case["status"] == "held" else "")
                )
            step = sop.step(case["current_step"])
            where = f"{sop.id} step {step.no}"
            if action == "assign":
                if not assignee:
                    raise BadAction(f"{where}: assign needs an assignee (a user name)")
                conn.execute(
                    t.wf_tasks.update()
                    .where(t.wf_tasks.c.case_id == case_id, t.wf_tasks.c.done_at.is_(None))
                    .values(assignee=assignee)
                )
                self._record(conn, case_id, sop, step.no, step.no, "assign", by, decision=assignee)
            elif action == "return":
                order = [s.no for s in sop.steps]
                if not reason:
                    raise BadAction(f"{where}: returning for correction needs a reason")
                target = to_step or sop.first.no
                if target not in order or order.index(target) >= order.index(step.no):
                    raise BadAction(f"{where}: can only return to an earlier step, not {target!r}")
                self._leave(conn, case_id, sop, step, target, "return", by, reason=reason)
            else:
                target, label = self._choose(sop, step, action, decision, reason)
                self._check_requirements(conn, case, sop, step)
                self._run_actions(conn, case_id, sop, step, by)
                self._leave(conn, case_id, sop, step, target, action, by, decision=label, reason=reason)
        self._arm_timers()
        return self.case(case_id)

    def record_payment(self, case_id: int, *, amount: int, reference: str, by: str, code: str = "") -> Row:
        """Record the payment of the case's open billing (created now if the SOP had not reached it)."""
        with self._tx() as conn:
            case = self._case_row(conn, case_id, lock=True)
            bill = self._open_bill(conn, case)
            if bill is None:
                bill = self._bill(conn, case, self.catalogue.sop(case["sop_id"]))
            if code and code != bill["billing_code"]:
                raise BadAction(
                    f"billing code {code} is not the open billing of this case ({bill['billing_code']})"
                )
            if amount != bill["amount"]:
                raise BadAction(
                    f"amount {amount} does not match the billing {bill['billing_code']} ({bill['amount']})"
                )
            if not reference:
                raise BadAction("a payment needs the reference of its proof (bank or cashier receipt number)")
            now = self.clock.now()
            conn.execute(
                t.wf_payments.update()
                .where(t.wf_payments.c.billing_code == bill["billing_code"])
                .values(paid_at=now, reference=reference, recorded_by=by)
            )
            sop = self.catalogue.sop(case["sop_id"])
            self._record(
                conn,
                case_id,
                sop,
                case["current_step"],
                case["current_step"],
                "payment",
                by,
                decision=bill["billing_code"],
                reason=reference,
            )
            self._document(
                conn,
                case_id,
                "payment_receipt",
                [
                    ("Billing code", bill["billing_code"]),
                    ("Amount (IDR)", f"{amount:,}"),
                    ("Reference", reference),
                    ("Received at", now.isoformat(timespec="seconds")),
                    ("Received by", by),
                ],
            )
        return self.case(case_id)

    # -- reading ---------------------------------------------------------------------------------------

    def case(self, case_id: int) -> Row:
        with self.store.engine.connect() as conn:
            case = self._case_row(conn, case_id)
            sop = self.catalogue.sop(case["sop_id"])
            case["transitions"] = self._rows(
                conn,
                sa.select(t.wf_transitions)
                .where(t.wf_transitions.c.case_id == case_id)
                .order_by(t.wf_transitions.c.transition_id),
            )
            case["tasks"] = self._rows(
                conn,
                sa.select(t.wf_tasks).where(t.wf_tasks.c.case_id == case_id).order_by(t.wf_tasks.c.task_id),
            )
            case["payments"] = self._rows(
                conn, sa.select(t.wf_payments).where(t.wf_payments.c.case_id == case_id)
            )
            case["documents"] = self._rows(
                conn,
                sa.select(t.wf_documents.c.number, t.wf_documents.c.kind, t.wf_documents.c.created_at)
                .where(t.wf_documents.c.case_id == case_id)
                .order_by(t.wf_documents.c.created_at),
            )
            case["linked"] = self._rows(
                conn,
                sa.select(
                    t.wf_cases.c.case_id,
                    t.wf_cases.c.application_no,
                    t.wf_cases.c.sop_id,
                    t.wf_cases.c.status,
                ).where(t.wf_cases.c.parent_case_id == case_id),
            )
        step = sop.step(case["current_step"]) if case["current_step"] else None
        case["step"] = (
            None
            if step is None
            else {
                "no": step.no,
                "name": step.name,
                "role": step.role,
                "standard": step.standard,
                "requires": list(step.requires),
                "decisions": [d.when for d in step.decisions],
            }
        )
        case["paid"] = bool(case["payments"]) and all(p["paid_at"] for p in case["payments"])
        return case

    def document(self, number: str) -> tuple[str, bytes]:
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(t.wf_documents).where(t.wf_documents.c.number == number)).first()
        if row is None:
            raise CaseNotFound(f"no document {number}")
        return row.kind, bytes(row.pdf)

    def queue(self, role: str) -> list[Row]:
        """Open tasks of a role, oldest first, with their SLA state ("ok", "breached" or "none")."""
        query = (
            sa.select(t.wf_tasks, t.wf_cases.c.application_no, t.wf_cases.c.applicant_name)
            .join(t.wf_cases, t.wf_cases.c.case_id == t.wf_tasks.c.case_id)
            .where(t.wf_tasks.c.role == role, t.wf_tasks.c.done_at.is_(None), t.wf_cases.c.status == "open")
            .order_by(t.wf_tasks.c.entered_at, t.wf_tasks.c.task_id)
        )
        with self.store.engine.connect() as conn:
            rows = self._rows(conn, query)
        now = self.clock.now()
        for row in rows:
            row["sla"] = "none" if row["due_at"] is None else ("breached" if row["breached_at"] else "ok")
            row["remaining_seconds"] = (
                None if row["due_at"] is None else (row["due_at"] - now).total_seconds()
            )
        return rows

    def search(self, text: str, limit: int = 50) -> list[Row]:
        """Cases by application number, applicant name or passport number (case-insensitive, partial)."""
        needle = f"%{text.strip().lower()}%"
        c = t.wf_cases.c
        query = (
            sa.select(
                c.case_id,
                c.application_no,
                c.sop_id,
                c.status,
                c.current_step,
                c.applicant_name,
                c.passport_no,
                c.opened_at,
            )
            .where(
                sa.or_(
                    sa.func.lower(c.application_no).like(needle),
                    sa.func.lower(c.applicant_name).like(needle),
                    sa.func.lower(c.passport_no).like(needle),
                )
            )
            .order_by(c.case_id.desc())
            .limit(limit)
        )
        with self.store.engine.connect() as conn:
            return self._rows(conn, query)

    def sweep(self) -> int:
        """Record every breach that fell due while no timer was running (after a restart); returns count."""
        now = self.clock.now()
        with self._tx() as conn:
            overdue = self._rows(
                conn,
                sa.select(t.wf_tasks.c.task_id, t.wf_tasks.c.due_at).where(
                    t.wf_tasks.c.done_at.is_(None),
                    t.wf_tasks.c.breached_at.is_(None),
                    t.wf_tasks.c.due_at <= now,
                ),
            )
            for row in overdue:
                conn.execute(
                    t.wf_tasks.update()
                    .where(t.wf_tasks.c.task_id == row["task_id"])
                    .values(breached_at=row["due_at"])
                )
        return len(overdue)

    def rearm(self) -> None:
        """After a restart: schedule breach timers for open tasks that are not yet due."""
        now = self.clock.now()
        with self.store.engine.connect() as conn:
            rows = self._rows(
                conn,
                sa.select(t.wf_tasks.c.task_id, t.wf_tasks.c.due_at).where(
                    t.wf_tasks.c.done_at.is_(None), t.wf_tasks.c.due_at > now
                ),
            )
        self._timers.extend((r["task_id"], (r["due_at"] - now).total_seconds()) for r in rows)
        self._arm_timers()

    # -- moving a case ---------------------------------------------------------------------------------

    def _choose(self, sop: Sop, step: Step, action: str, decision: str, reason: str) -> tuple[str, str]:
        where = f"{sop.id} step {step.no}"
        if step.kind == "auto":
            raise BadAction(f"{where} is done by the system; it cannot be acted on by hand")
        if action == "approve":
            return step.next, ""
        if action == "decide":
            target = step.target(decision)
            if target is None:
                known = ", ".join(d.when for d in step.decisions) or "none"
                raise BadAction(f"{where} has no decision {decision!r}; its decisions: {known}")
            return target, decision
        # reject: the step's unfavourable branch (an unfavourable end or the nonconformity SOP)
        if not reason:
            raise BadAction(f"{where}: a rejection needs a reason")
        rejection = step.rejection()
        if rejection is not None:
            return rejection.to, rejection.when
        raise BadAction(
            f"{where} has no rejection branch in its SOP; use 'return' to send it back for correction"
        )

    def _check_requirements(self, conn: sa.Connection, case: Row, sop: Sop, step: Step) -> None:
        if "payment" in step.requires:
            bills = self._rows(
                conn, sa.select(t.wf_payments).where(t.wf_payments.c.case_id == case["case_id"])
            )
            if not bills or not all(b["paid_at"] for b in bills):
                # SOP-000 step 12 and its siblings: the finished document only against the proof of payment
                raise ActionRefused(
                    f"{sop.id} step {step.no}: no proof of payment for case {case['application_no']}; "
                    "record the payment first"
                )

    def _leave(
        self,
        conn: sa.Connection,
        case_id: int,
        sop: Sop,
        step: Step,
        target: str,
        action: str,
        by: str,
        *,
        decision: str = "",
        reason: str = "",
    ) -> None:
        now = self.clock.now()
        conn.execute(
            t.wf_tasks.update()
            .where(t.wf_tasks.c.case_id == case_id, t.wf_tasks.c.done_at.is_(None))
            .values(done_at=now)
        )
        self._record(conn, case_id, sop, step.no, target, action, by, decision=decision, reason=reason)
        self._go(conn, case_id, sop, target, by, reason)

    def _go(
        self, conn: sa.Connection, case_id: int, sop: Sop, target: str, by: str, reason: str = ""
    ) -> None:
        now = self.clock.now()
        if target.startswith("end:"):
            outcome = target[4:]
            conn.execute(
                t.wf_cases.update()
                .where(t.wf_cases.c.case_id == case_id)
                .values(status=outcome, current_step=None, closed_at=now)
            )
            self._resume_parent(conn, case_id, outcome, by)
        elif target.startswith("sop:"):
            linked_id, at = split_link(target)
            linked = self.catalogue.sop(linked_id)
            case = self._case_row(conn, case_id)
            conn.execute(t.wf_cases.update().where(t.wf_cases.c.case_id == case_id).values(status="held"))
            applicant = {
                "name": case["applicant_name"],
                "passport_no": case["passport_no"],
                **case["data"].get("applicant", {}),
            }
            child = self._insert_case(conn, linked, applicant, {"reason": reason}, by=by, parent=case_id)
            self._enter(conn, child, linked, at or linked.first.no, by)
        else:
            self._enter(conn, case_id, sop, target, by)

    def _resume_parent(self, conn: sa.Connection, child_id: int, outcome: str, by: str) -> None:
        child = self._case_row(conn, child_id)
        if child["parent_case_id"] is None:
            return
        parent = self._case_row(conn, child["parent_case_id"])
        if parent["status"] != "held":
            return
        sop = self.catalogue.sop(parent["sop_id"])
        step = sop.step(parent["current_step"])
        conn.execute(
            t.wf_cases.update().where(t.wf_cases.c.case_id == parent["case_id"]).values(status="open")
        )
        # The held step's own next step when the linked case clears it; otherwise the application fails.
        target = step.next if OUTCOMES[outcome] else "end:rejected"
        why = f"linked case {child['application_no']} ({child['sop_id']}) ended {outcome}"
        self._leave(conn, parent["case_id"], sop, step, target, "linked", by, decision=outcome, reason=why)

    def _enter(self, conn: sa.Connection, case_id: int, sop: Sop, no: str, by: str) -> None:
        step = sop.step(no)
        now = self.clock.now()
        due = None if step.seconds is None else now + timedelta(seconds=step.seconds)
        conn.execute(t.wf_cases.update().where(t.wf_cases.c.case_id == case_id).values(current_step=no))
        task_id = conn.execute(
            t.wf_tasks.insert().values(
                case_id=case_id, sop_id=sop.id, step_no=no, role=step.role, entered_at=now, due_at=due
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        if step.kind == "auto":
            outcome = self._run_actions(conn, case_id, sop, step, SYSTEM)
            target = step.target(outcome) if outcome else None
            self._leave(
                conn,
                case_id,
                sop,
                step,
                target or step.next,
                "auto",
                SYSTEM,
                decision=outcome if target else "",
            )
        elif step.seconds is not None:
            self._timers.append((int(task_id), step.seconds))

    def _run_actions(self, conn: sa.Connection, case_id: int, sop: Sop, step: Step, by: str) -> str:
        """Run the step's automatic actions; returns a decision name when one of them decides ("hit")."""
        outcome = ""
        case = self._case_row(conn, case_id)
        for action in step.actions:
            if action == "cekal_check":
                hits = self.cekal.check(
                    {
                        "name": case["applicant_name"],
                        "passport_no": case["passport_no"],
                        **case["data"].get("applicant", {}),
                    },
                    self._today(),
                )
                self._set_data(
                    conn, case, cekal_hits=[{"entry_id": h.entry_id, "verdict": h.verdict} for h in hits]
                )
                outcome = "hit" if hits else outcome
            elif action == "register_number":
                serial = self._next(conn, f"register:{sop.service_code}")
                number = f"{sop.service_code}-{self._today():%Y}-{serial:06d}"
                self._set_data(conn, case, register_number=number)
            elif action == "billing_code":
                if self._open_bill(conn, case) is None:
                    self._bill(conn, case, sop)
            elif action == "overstay_fee":
                outcome = self._overstay(conn, case, sop)
            else:
                kind = action.split(":", 1)[1]
                case = self._case_row(conn, case_id)
                self._document(conn, case_id, kind, self._facts(case, sop))
            case = self._case_row(conn, case_id)
        return outcome

    def _overstay(self, conn: sa.Connection, case: Row, sop: Sop) -> str:
        # SOP-003-A07 step 4: days counted from the permit's expiry, in the office's calendar
        raw = case["data"].get("applicant", {}).get("permit_expiry", "")
        try:
            expiry = date.fromisoformat(str(raw))
        except ValueError:
            raise BadAction(
                f"{sop.id}: applicant.permit_expiry {raw!r} must be an ISO date (YYYY-MM-DD)"
            ) from None
        days = max(0, (self._today() - expiry).days)
        self._set_data(conn, case, overstay_days=days)
        if days > OVERSTAY_LIMIT_DAYS:
            return "over_60_days"
        self._bill(conn, case, sop, amount=days * self.tariffs.overstay_per_day, kind="overstay")
        return ""

    # -- records ---------------------------------------------------------------------------------------

    def _insert_case(
        self,
        conn: sa.Connection,
        sop: Sop,
        applicant: Mapping[str, Any],
        data: Mapping[str, Any],
        *,
        by: str,
        parent: int | None,
    ) -> int:
        today = self._today()
        application_no = f"{today:%Y%m%d}-{self._next(conn, f'application:{today:%Y%m%d}'):05d}"
        extra = {k: v for k, v in applicant.items() if k not in ("name", "passport_no")}
        return int(
            conn.execute(
                t.wf_cases.insert().values(
                    application_no=application_no,
                    sop_id=sop.id,
                    service_code=sop.service_code,
                    status="open",
                    applicant_name=str(applicant["name"])[:128],
                    passport_no=str(applicant.get("passport_no", ""))[:32],
                    data={**data, "applicant": extra},
                    parent_case_id=parent,
                    opened_by=by,
                    opened_at=self.clock.now(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )

    def _record(
        self,
        conn: sa.Connection,
        case_id: int,
        sop: Sop,
        step_no: str | None,
        to: str | None,
        action: str,
        by: str,
        *,
        decision: str = "",
        reason: str = "",
    ) -> None:
        conn.execute(
            t.wf_transitions.insert().values(
                case_id=case_id,
                sop_id=sop.id,
                step_no=step_no,
                to_step=to,
                action=action,
                decision=decision,
                reason=reason[:512],
                actor=by,
                at=self.clock.now(),
            )
        )

    def _bill(
        self, conn: sa.Connection, case: Row, sop: Sop, *, amount: int | None = None, kind: str = "fee"
    ) -> Row:
        tariff = self.tariffs.tariff(sop.service_code)
        today = self._today()
        code = billing_code(tariff.number, today, self._next(conn, f"billing:{today:%Y%m%d}"))
        row = {
            "billing_code": code,
            "case_id": case["case_id"],
            "service_code": sop.service_code,
            "kind": kind,
            "amount": tariff.amount if amount is None else amount,
            "billed_at": self.clock.now(),
        }
        conn.execute(t.wf_payments.insert().values(**row))
        return row

    def _open_bill(self, conn: sa.Connection, case: Row) -> Row | None:
        rows = self._rows(
            conn,
            sa.select(t.wf_payments).where(
                t.wf_payments.c.case_id == case["case_id"], t.wf_payments.c.paid_at.is_(None)
            ),
        )
        return rows[0] if rows else None

    def _document(
        self, conn: sa.Connection, case_id: int, kind: str, lines: Sequence[tuple[str, Any]]
    ) -> str:
        prefix = TITLES[kind][0]
        year = f"{self._today():%Y}"
        number = f"{prefix}-{year}-{self._next(conn, f'document:{prefix}:{year}'):06d}"
        pdf = render_pdf(kind, number, lines, office=self.office)
        conn.execute(
            t.wf_documents.insert().values(
                number=number, case_id=case_id, kind=kind, created_at=self.clock.now(), pdf=pdf
            )
        )
        return number

    def _facts(self, case: Row, sop: Sop) -> list[tuple[str, Any]]:
        facts: list[tuple[str, Any]] = [
            ("Nomor permohonan / Application number", case["application_no"]),
            ("Layanan / Service", f"{sop.title_id} ({sop.id})"),
            ("Nama / Name", case["applicant_name"]),
            ("Paspor / Passport", case["passport_no"]),
            ("Tanggal / Date", self.clock.now().astimezone(self.zone).isoformat(timespec="minutes")),
        ]
        if "register_number" in case["data"]:
            facts.append(("Nomor register / Register number", case["data"]["register_number"]))
        return facts

    def _set_data(self, conn: sa.Connection, case: Row, **values: Any) -> None:
        data = {**case["data"], **values}
        conn.execute(t.wf_cases.update().where(t.wf_cases.c.case_id == case["case_id"]).values(data=data))
        case["data"] = data

    def _next(self, conn: sa.Connection, name: str) -> int:
        value = conn.execute(sa.select(t.wf_counters.c.value).where(t.wf_counters.c.name == name)).scalar()
        if value is None:
            conn.execute(t.wf_counters.insert().values(name=name, value=1))
            return 1
        conn.execute(t.wf_counters.update().where(t.wf_counters.c.name == name).values(value=value + 1))
        return int(value) + 1

    def _case_row(self, conn: sa.Connection, case_id: int, *, lock: bool = False) -> Row:
        query = sa.select(t.wf_cases).where(t.wf_cases.c.case_id == case_id)
        rows = self._rows(conn, query.with_for_update() if lock else query)
        if not rows:
            raise CaseNotFound(f"no case {case_id}; search by application number, name or passport number")
        return rows[0]

    @staticmethod
    def _rows(conn: sa.Connection, query: sa.Select[Any]) -> list[Row]:
        out = []
        for row in conn.execute(query):
            item = dict(row._mapping)
            for key, value in item.items():
                if isinstance(value, datetime):
                    item[key] = utc(value)
            out.append(item)
        return out

    def _today(self) -> date:
        return self.clock.now().astimezone(self.zone).date()

    def _tx(self) -> Any:
        return _Transaction(self)

    # -- SLA timers ------------------------------------------------------------------------------------

    def _arm_timers(self) -> None:
        timers, self._timers = self._timers, []
        for task_id, seconds in timers:
            self.clock.call_later(seconds, functools.partial(self._breach, task_id))

    def _breach(self, task_id: int) -> None:
        """Timer callback at the step's due time: a step still open then has breached its standard."""
        with self._tx() as conn:
            conn.execute(
                t.wf_tasks.update()
                .where(
                    t.wf_tasks.c.task_id == task_id,
                    t.wf_tasks.c.done_at.is_(None),
                    t.wf_tasks.c.breached_at.is_(None),
                )
                .values(breached_at=t.wf_tasks.c.due_at)
            )


class _Transaction:
    """The store's write lock plus one database transaction; timers are armed only after commit."""

    def __init__(self, workflows: Workflows) -> None:
        self.workflows = workflows
        self._cm: Any = None

    def __enter__(self) -> sa.Connection:
        self.workflows.store.write_lock.acquire()
        try:
            self._cm = self.workflows.store.engine.begin()
            conn: sa.Connection = self._cm.__enter__()
        except BaseException:
            self.workflows.store.write_lock.release()
            raise
        return conn

    def __exit__(self, *exc: Any) -> None:
        try:
            self._cm.__exit__(*exc)
            if exc[0] is not None:
                self.workflows._timers.clear()
        finally:
            self.workflows.store.write_lock.release()
