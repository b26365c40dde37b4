"""The automatic cekal step of permit applications (SOP-000/001/004, B02-B09) on the same engine the
gates run (``core.watchlist``), over central's current list version."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from central.workflows.engine import CekalHit
from core.watchlist import MatchConfig, Query, WatchlistError, WatchlistIndex

if TYPE_CHECKING:
    from central.watchlist.service import WatchlistService


def applicant_query(applicant: Mapping[str, Any]) -> Query | None:
    """A query from a case's applicant fields; None when there is no name to check.

    Names come as ``full_name``/``name``, or ``surname`` + ``given_names``; the passport number as
    ``passport_no`` or ``document_number``; the birth date as ``birth_date`` or ``date_of_birth``.
    """
    name = str(applicant.get("full_name") or applicant.get("name") or "").strip()
    if not name:
        name = " ".join(str(applicant.get(k) or "") for k in ("surname", "given_names")).strip()
    if not name:
        return None
    birth = applicant.get("birth_date") or applicant.get("date_of_birth")
    try:
        return Query.from_mrz_fields(
            name,
            "",
            birth if isinstance(birth, str | date) else None,
            str(applicant.get("nationality") or ""),
            str(applicant.get("sex") or ""),
            str(applicant.get("passport_no") or applicant.get("document_number") or ""),
        )
    except WatchlistError:
        # A malformed birth date must not hide a name hit: check by name without it.
        return Query.from_mrz_fields(
            name,
            "",
            None,
            str(applicant.get("nationality") or ""),
            str(applicant.get("sex") or ""),
            str(applicant.get("passport_no") or applicant.get("document_number") or ""),
        )


class IndexCekalChecker:
    """``central.workflows.engine.CekalChecker`` on a ``WatchlistIndex`` of the current list version
    (``WatchlistService.current_index``: rebuilt when the version changes)."""

    def __init__(
        self,
        service: WatchlistService,
        *,
        config: MatchConfig | None = None,
        lists: Sequence[str] | None = None,
    ) -> None:
        self.service = service
        self.config = config or MatchConfig()
        self.lists = lists
        self._lock = threading.Lock()
        self._version = -1
        self._index = WatchlistIndex.build([], self.config)

    def index(self) -> WatchlistIndex:
        """The current version's index: the service's own (one build per version, shared with the
        prepared snapshots), re-scored with this checker's config when only weights differ."""
        own, shared_config = self.config, self.service.config
        if _budgets(own) == _budgets(shared_config):
            _version, shared = self.service.current_index()
            return shared if own == shared_config else shared.with_config(own)
        # Other edit budgets shape another deletion index: one of its own.
        version = self.service.current_version()
        with self._lock:
            if version != self._version:
                # Streamed from the store into packed entries: a large list is never held as objects
                # (a hit's entry is decoded only when read; the cekal step reads ids and verdicts).
                self._index = WatchlistIndex.build(
                    self.service.iter_entries(), self.config, pack_entries=True
                )
                self._version = version
            return self._index

    def check(self, applicant: Mapping[str, Any], today: date) -> list[CekalHit]:
        query = applicant_query(applicant)
        if query is None:
            return []
        hits = self.index().match(query, today=today, lists=self.lists)
        return [CekalHit(h.entry_id, h.verdict.value) for h in hits]


def _budgets(config: MatchConfig) -> tuple[int, int, int]:
    return (config.edits_long_token, config.edits_short_token, config.long_token)
