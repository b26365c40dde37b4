"""The cekal lists in central: add, change, end, import and export entries; every change is a new version
with a signed snapshot; deltas between versions; the retained announcement; devices' list versions.

Each change is one transaction: the entries, what changed (before/after), the new version row with its
signed snapshot, and one audit row per changed entry (who, when, before, after) commit together or not
at all. A CSV import with any bad row changes nothing (issue 7).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Protocol

import paho.mqtt.client as mqtt
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from paho.mqtt.enums import CallbackAPIVersion

from central.errors import Conflict, Invalid, NotFound
from central.store import Store, utc
from central.store import schema as central_schema
from central.watchlist import tables as t
from central.watchlist.keys import key_id
from core.clock import Clock
from core.watchlist import (
    Delta,
    MatchConfig,
    RowError,
    SnapshotWriter,
    WatchlistEntry,
    WatchlistError,
    WatchlistIndex,
    content_hash_rows,
    parse_entries_csv,
    sign_delta,
    write_entries_csv,
    write_prepared_index,
)
from core.wire import (
    ArtifactRef,
    PreparedOffer,
    WatchlistAnnouncement,
    canonical_bytes,
    encode,
    site_topic_for,
)

log = logging.getLogger(__name__)

# Indonesian offices and airports keep local dates; WIB (UTC+7) decides what "today" is for ending
# an entry. Matching takes its day from the caller.
WIB = timezone(timedelta(hours=7))
CENTRAL_ID = "central"
# A gate may lag a new version briefly (it fetches after the announcement); after this it is flagged.
DEFAULT_STALE_AFTER = timedelta(minutes=15)
LIST_CHECKING_KINDS = ("gate", "counter")  # devices that run the cekal check on a local replica
_PROTECTED = ("entry_id", "created_by", "created_at", "changed_by", "changed_at")
PREPARED_DIR_ENV = "CENTRAL_WATCHLIST_PREPARED_DIR"
KEEP_PREPARED = 2  # the newest and the one before: a gate half-way through a download can finish it


class Publisher(Protocol):
    """Where the retained announcement goes (an MQTT client in production)."""

    def publish(self, topic: str, payload: bytes, *, retain: bool) -> None: ...


class MqttPublisher:
    """A :class:`Publisher` over a paho client: the ingest's own client, or one of its own."""

    def __init__(self, client: mqtt.Client, *, owns_client: bool = False) -> None:
        self.client = client
        self._owns = owns_client

    @classmethod
    def connect(
        cls,
        broker_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        timeout: float = 10.0,
    ) -> MqttPublisher:
        from central.ingest import BrokerAddress  # the ingest owns the URL rules

        address = BrokerAddress.parse(broker_url)
        client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        if username:
            client.username_pw_set(username, password)
        if address.tls:
            client.tls_set(ca_certs=ca_file)
        connected = threading.Event()
        client.on_connect = lambda *_args: connected.set()
        try:
            client.connect(address.host, address.port, keepalive=30)
        except OSError as exc:
            raise Invalid(
                f"cannot reach the broker at {address.host}:{address.port} ({exc}); is Mosquitto running?"
            ) from exc
        client.loop_start()
        if not connected.wait(timeout):
            client.loop_stop()
            raise Invalid(f"the broker at {address.host}:{address.port} did not accept us in {timeout} s")
        return cls(client, owns_client=True)

    def publish(self, topic: str, payload: bytes, *, retain: bool) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise RuntimeError(f"the broker did not take the announcement ({mqtt.error_string(info.rc)})")
        if self._owns:
            info.wait_for_publish(10.0)

    def close(self) -> None:
        if self._owns:
            self.client.disconnect()
            self.client.loop_stop()


class ImportRejected(Invalid):
    """A CSV import with bad rows: nothing was applied. ``errors`` lists every bad value."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        shown = "; ".join(f"line {e.line}, {e.column}: {e.message}" for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(
            f"the CSV has {len(self.errors)} bad value(s), so nothing was imported: {shown}{more}; "
            "correct the rows and import the whole file again"
        )


@dataclass(frozen=True)
class ImportResult:
    version: int | None  # None when the file changed nothing
    added: int
    changed: int
    unchanged: int
    removed: int


@dataclass(frozen=True)
class PreparedInfo:
    """One signed prepared snapshot central keeps on disk (``prepared_dir``), ready to serve."""

    version: int
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class DeviceListState:
    """One device's watch-list version as it last reported it, and whether it is behind for too long."""

    device_id: str
    kind: str
    site: str
    online: bool
    version: int | None
    version_age_s: float | None  # how long ago central published the version the device runs
    behind: int  # versions behind central's current one
    stale: bool
    last_seen_at: datetime | None


def _entry(data: Mapping[str, Any]) -> WatchlistEntry:
    return WatchlistEntry.from_dict(data)


def entry_from_fields(data: Mapping[str, Any]) -> WatchlistEntry:
    """An entry from API or form fields; ``Invalid`` names the bad field."""
    fields = dict(data)
    for key in ("aliases", "document_numbers"):
        value = fields.get(key)
        if isinstance(value, str):
            fields[key] = [v.strip() for v in value.split("|") if v.strip()]
    for key, value in list(fields.items()):
        if value == "" and key in ("birth_date", "valid_from", "valid_until"):
            fields[key] = None
    nationality = str(fields.get("nationality") or "").strip().upper()
    if nationality and (len(nationality) not in (2, 3) or not nationality.isalpha()):
        raise Invalid(f"nationality {nationality!r} is not a 3-letter ICAO code (e.g. IDN)")
    lst = str(fields.get("list") or "").strip().lower()
    fields["list"] = lst
    try:
        return _entry(fields)
    except KeyError as exc:
        raise Invalid(
            f"the entry lacks {exc.args[0]!r}; every entry needs entry_id, list and full_name"
        ) from exc
    except (WatchlistError, ValueError, TypeError) as exc:
        raise Invalid(f"the entry is not valid: {exc}") from exc


class WatchlistService:
    """The list as central keeps it. Thread-safe: writes take the store's write lock."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        private_key: Ed25519PrivateKey,
        *,
        publisher: Publisher | None = None,
        sites: Iterable[str] = (),
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        prepared_dir: str | Path | None = None,
        prepare_in_background: bool = True,
        config: MatchConfig | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.private_key = private_key
        self.public_key: Ed25519PublicKey = private_key.public_key()
        self.key_id = key_id(self.public_key)
        self.publisher = publisher
        self.sites = tuple(sites)
        self.stale_after = stale_after
        self.last_announce_error = ""
        self._delta_cache: dict[tuple[int, int], bytes] = {}
        # Prepared snapshots (the built index, signed; what a gate loads without a rebuild) are
        # files: hundreds of MiB for a million entries, served in ranges, never held in memory.
        # Off unless a directory is given (or $CENTRAL_WATCHLIST_PREPARED_DIR names one).
        where = prepared_dir if prepared_dir is not None else os.environ.get(PREPARED_DIR_ENV) or None
        self.prepared_dir = Path(where) if where is not None else None
        self.prepare_in_background = prepare_in_background
        self.config = config or MatchConfig()
        self.last_prepare_error = ""
        self._index: tuple[int, WatchlistIndex] | None = None
        self._index_lock = threading.Lock()
        self._prepare_lock = threading.Lock()
        self._prepare_wanted = threading.Event()
        self._prepare_thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        # The tables come from the store's "heads" migration; create_all is a no-op then and keeps a
        # store migrated before this branch existed working.
        t.metadata.create_all(store.engine, checkfirst=True)

    # -- reading -----------------------------------------------------------------------------------

    def today(self) -> date:
        return self.clock.now().astimezone(WIB).date()

    def current_version(self) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.max(t.versions.c.version))) or 0)

    def entry(self, entry_id: str) -> WatchlistEntry:
        with self.store.engine.connect() as conn:
            data = conn.scalar(sa.select(t.entries.c.data).where(t.entries.c.entry_id == entry_id))
        if data is None:
            raise NotFound(f"no watch-list entry {entry_id!r}; search the list for the right id")
        return _entry(data)

    def entries(
        self, *, search: str = "", lists: Sequence[str] = (), limit: int | None = None, offset: int = 0
    ) -> list[WatchlistEntry]:
        """Entries by id; ``search`` is a case-insensitive part of the id or the name (not fuzzy: the
        matching engine is for fuzzy look-ups, see ``match``)."""
        query = sa.select(t.entries.c.data).order_by(t.entries.c.entry_id).offset(offset)
        if search:
            like = f"%{search.strip().lower()}%"
            query = query.where(
                sa.or_(
                    sa.func.lower(t.entries.c.full_name).like(like),
                    sa.func.lower(t.entries.c.entry_id).like(like),
                )
            )
        if lists:
            query = query.where(t.entries.c.list.in_(list(lists)))
        if limit is not None:
            query = query.limit(limit)
        with self.store.engine.connect() as conn:
            return [_entry(d) for d in conn.scalars(query)]

    def iter_entries(self) -> Iterator[WatchlistEntry]:
        """Every entry, in id order, read from the store a batch at a time (for an index build of
        the whole list: ``WatchlistIndex.build(service.iter_entries(), pack_entries=True)``)."""
        entry_id = t.entries.c.entry_id
        with self.store.engine.connect() as conn:
            order = entry_id.collate("C") if conn.dialect.name == "postgresql" else entry_id
            query = sa.select(t.entries.c.data).order_by(order).execution_options(yield_per=2000)
            for data in conn.scalars(query):
                yield _entry(data)

    def versions(self, limit: int = 50) -> list[dict[str, Any]]:
        cols = [c for c in t.versions.c if c.name != "snapshot"]
        query = sa.select(*cols).order_by(t.versions.c.version.desc()).limit(limit)
        with self.store.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for r in rows:
            r["created_at"] = utc(r["created_at"])
        return rows

    def version_row(self, version: int) -> dict[str, Any]:
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(t.versions).where(t.versions.c.version == version)).first()
        if row is None:
            raise NotFound(f"no watch-list version {version}; the current one is {self.current_version()}")
        out = dict(row._mapping)
        out["created_at"] = utc(out["created_at"])
        return out

    def history(self, entry_id: str) -> list[dict[str, Any]]:
        """The audit rows of one entry, newest first (who, when, before, after)."""
        a = central_schema.audit
        query = (
            sa.select(a)
            .where(a.c.target == entry_id, a.c.action.like("watchlist.%"))
            .order_by(a.c.audit_id.desc())
        )
        with self.store.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for r in rows:
            r["at"] = utc(r["at"])
        return rows

    # -- changing ----------------------------------------------------------------------------------

    def add(self, fields: Mapping[str, Any], *, by: str) -> tuple[WatchlistEntry, int]:
        """A new entry; ``Conflict`` if the id exists (an id names one alert for its whole life)."""
        now = self.clock.now()
        entry = dataclasses.replace(
            entry_from_fields(fields), created_by=by, created_at=now, changed_by=by, changed_at=now
        )
        with self.store.write_lock, self.store.engine.begin() as conn:
            if self._data(conn, entry.entry_id) is not None:
                raise Conflict(f"entry {entry.entry_id!r} exists; change it instead, or choose another id")
            version = self._commit(
                conn, [(entry.entry_id, None, entry.to_dict())], by=by, action="add", now=now
            )
        self._after_change()
        return entry, version

    def change(self, entry_id: str, fields: Mapping[str, Any], *, by: str) -> tuple[WatchlistEntry, int]:
        """Change the given fields of an entry (its id and who created it stay)."""
        now = self.clock.now()
        with self.store.write_lock, self.store.engine.begin() as conn:
            before = self._data(conn, entry_id)
            if before is None:
                raise NotFound(f"no watch-list entry {entry_id!r}; add it first")
            merged = {**before, **{k: v for k, v in fields.items() if k not in _PROTECTED}}
            entry = dataclasses.replace(entry_from_fields(merged), changed_by=by, changed_at=now)
            after = entry.to_dict()
            if _same_content(before, after):
                raise Invalid(f"the change leaves entry {entry_id!r} as it was; nothing to save")
            version = self._commit(conn, [(entry_id, before, after)], by=by, action="change", now=now)
        self._after_change()
        return entry, version

    def end(self, entry_id: str, *, by: str, on: date | None = None) -> tuple[WatchlistEntry, int]:
        """End an entry: it stays on record but is valid only until ``on`` (default: yesterday, WIB), so
        it never hits again from the day after (issue 7: expired entries never hit)."""
        last_day = on or self.today() - timedelta(days=1)
        current = self.entry(entry_id)
        fields: dict[str, Any] = {"valid_until": last_day.isoformat()}
        if current.valid_from is not None and current.valid_from > last_day:
            fields["valid_from"] = last_day.isoformat()  # never valid in the future any more
        if current.valid_until is not None and current.valid_until <= last_day:
            raise Invalid(f"entry {entry_id!r} already ended on {current.valid_until}")
        return self.change(entry_id, fields, by=by)

    def import_csv(self, source: str | Path | IO[str], *, by: str, replace: bool = False) -> ImportResult:
        """Validate every row; apply all of them in one transaction, or none when any is bad.

        ``replace``: entries missing from the file are removed (the file is the whole list); otherwise
        the file's rows are added or changed and the rest is kept.
        """
        parsed = parse_entries_csv(source)
        if parsed.errors:
            raise ImportRejected(parsed.errors)
        now = self.clock.now()
        with self.store.write_lock, self.store.engine.begin() as conn:
            existing = {
                r.entry_id: r.data for r in conn.execute(sa.select(t.entries.c.entry_id, t.entries.c.data))
            }
            changed: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = []
            added = modified = unchanged = 0
            for e in parsed.entries:
                before = existing.get(e.entry_id)
                after = e.to_dict()
                if before is None:
                    after.update(created_by=e.created_by or by, created_at=(e.created_at or now).isoformat())
                    after.update(changed_by=by, changed_at=now.isoformat())
                    changed.append((e.entry_id, None, after))
                    added += 1
                    continue
                after.update(created_by=before["created_by"], created_at=before["created_at"])
                if _same_content(before, after):
                    unchanged += 1
                    continue
                after.update(changed_by=by, changed_at=now.isoformat())
                changed.append((e.entry_id, before, after))
                modified += 1
            removed = 0
            if replace:
                in_file = {e.entry_id for e in parsed.entries}
                for eid in sorted(set(existing) - in_file):
                    changed.append((eid, existing[eid], None))
                    removed += 1
            version = self._commit(conn, changed, by=by, action="import", now=now) if changed else None
        if version is not None:
            self._after_change()
        return ImportResult(version, added, modified, unchanged, removed)

    def export_csv(self, out: IO[str]) -> int:
        entries = self.entries()
        write_entries_csv(entries, out)
        return len(entries)

    # -- distribution ------------------------------------------------------------------------------

    def snapshot_bytes(self, version: int) -> bytes:
        data: bytes = self.version_row(version)["snapshot"]
        return data

    def delta_bytes(self, base: int, target: int | None = None) -> bytes:
        """The signed delta from ``base`` to ``target`` (default: current). Byte-stable: the same
        request always gives the same bytes (Ed25519 is deterministic; times come from the versions)."""
        current = self.current_version()
        target = current if target is None else target
        if not 1 <= base < target <= current:
            raise NotFound(
                f"no delta from version {base} to {target}: versions run 1..{current} and the base must be "
                "older than the target; fetch the full snapshot instead"
            )
        cached = self._delta_cache.get((base, target))
        if cached is not None:
            return cached
        base_row, target_row = self.version_row(base), self.version_row(target)
        final: dict[str, dict[str, Any] | None] = {}
        query = (
            sa.select(t.changes.c.entry_id, t.changes.c.after)
            .where(t.changes.c.version > base, t.changes.c.version <= target)
            .order_by(t.changes.c.version)
        )
        with self.store.engine.connect() as conn:
            for row in conn.execute(query):
                final[row.entry_id] = row.after
        delta = Delta(
            version=target,
            base_version=base,
            base_hash=bytes.fromhex(base_row["content_hash"]),
            result_hash=bytes.fromhex(target_row["content_hash"]),
            upserts=tuple(_entry(d) for _, d in sorted(final.items()) if d is not None),
            removals=tuple(sorted(eid for eid, d in final.items() if d is None)),
            created_at=target_row["created_at"],
        )
        data = sign_delta(delta, self.private_key)
        if len(self._delta_cache) > 64:
            self._delta_cache.clear()
        self._delta_cache[(base, target)] = data
        return data

    def announcement(self, site: str) -> WatchlistAnnouncement | None:
        """The signed ``watchlist_announce`` for ``site``: the current version, the full snapshot of the
        version before it and the delta from there (a gate one version behind fetches only the delta;
        a new gate fetches both; a gate further behind asks ``deltas?from=ITS_VERSION``), and the
        newest prepared snapshot with the delta from it to the current version, when there is one."""
        version = self.current_version()
        if version == 0:
            return None
        base = version - 1 if version > 1 else version
        row = self.version_row(base)
        snapshot = ArtifactRef(
            path=f"/api/v1/watchlist/snapshots/{base}",
            sha256=row["snapshot_sha256"],
            size=row["snapshot_size"],
        )
        delta = None
        if base < version:
            data = self.delta_bytes(base, version)
            delta = ArtifactRef(
                path=f"/api/v1/watchlist/deltas/{base}-{version}",
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
            )
        current = self.version_row(version)
        prepared = None
        info = self.prepared_info()
        if info is not None and info.version <= version:
            prepared_delta = None
            if info.version < version:
                data = self.delta_bytes(info.version, version)
                prepared_delta = ArtifactRef(
                    path=f"/api/v1/watchlist/deltas/{info.version}-{version}",
                    sha256=hashlib.sha256(data).hexdigest(),
                    size=len(data),
                )
            prepared = PreparedOffer(
                version=info.version,
                snapshot=ArtifactRef(
                    path=f"/api/v1/watchlist/prepared/{info.version}", sha256=info.sha256, size=info.size
                ),
                delta=prepared_delta,
            )
        message = WatchlistAnnouncement(
            ts=current["created_at"],
            device_id=CENTRAL_ID,
            site=site,
            version=version,
            snapshot_version=base,
            snapshot=snapshot,
            delta=delta,
            entries=current["entries"],
            prepared=prepared,
            key_id=self.key_id,
        )
        return dataclasses.replace(message, signature=self.private_key.sign(canonical_bytes(message)))

    def announce_sites(self) -> list[str]:
        with self.store.engine.connect() as conn:
            found = conn.scalars(sa.select(central_schema.devices.c.site).distinct()).all()
        return sorted({*self.sites, *(s for s in found if s)})

    def announce(self) -> list[str]:
        """Publish the retained announcement on every site's topic; returns the sites announced to.
        A broker that is away is logged and remembered, never fatal: the change is committed and the
        next announcement (or a gate's ``deltas?from=``) catches up."""
        if self.publisher is None:
            return []
        done: list[str] = []
        for site in self.announce_sites():
            message = self.announcement(site)
            if message is None:
                break
            try:
                self.publisher.publish(site_topic_for(site), encode(message), retain=True)
            except (OSError, RuntimeError, ValueError) as exc:
                self.last_announce_error = f"{site}: {exc}"
                log.warning("watch-list announcement to %s failed: %s", site, exc)
                continue
            done.append(site)
        if self.prepare_in_background and self.prepared_dir is not None:
            newest = self.prepared_info()
            if newest is None or newest.version < self.current_version():
                self.request_prepare()  # e.g. central started with a list but no prepared snapshot yet
        return done

    # -- the built index and prepared snapshots -------------------------------------------------

    def current_index(self) -> tuple[int, WatchlistIndex]:
        """The matching index of the current version (built once per version, streamed from the
        store into packed entries: a million entries are never held as objects) and its version.
        Shared by the cekal checker and the prepared snapshots; the previous version's index is
        dropped before the next is built, so one index is in memory at a time."""
        with self._index_lock:
            for _ in range(5):
                version = self.current_version()
                cached = self._index
                if cached is not None and cached[0] == version:
                    return cached
                self._index = None
                index = WatchlistIndex.build(self.iter_entries(), self.config, pack_entries=True)
                # Entries and version rows change in one transaction: the same version before and
                # after the read means the entries read are that version's.
                if self.current_version() == version:
                    self._index = (version, index)
                    return self._index
                del index
            raise Conflict("the watch list kept changing while its index was built; try again")

    def prepared_info(self) -> PreparedInfo | None:
        """The newest prepared snapshot on disk, or None (none made yet, or prepared snapshots off)."""
        found = self._prepared_files()
        return found[-1] if found else None

    def prepared_file(self, version: int) -> PreparedInfo:
        for info in self._prepared_files():
            if info.version == version:
                return info
        raise NotFound(
            f"no prepared snapshot of version {version}; the announcement names the one to fetch "
            "(or fetch the plain snapshot)"
        )

    def prepare_current(self) -> int | None:
        """Build (or reuse) the current version's index and write its signed prepared snapshot into
        ``prepared_dir``; keeps the newest ``KEEP_PREPARED``. Returns the version, or None when
        prepared snapshots are off or the list is empty of versions. The index's content hash is
        checked against the version's before anything is signed."""
        directory = self.prepared_dir
        if directory is None:
            return None
        with self._prepare_lock:
            version, index = self.current_index()
            if version == 0:
                return None
            newest = self.prepared_info()
            if newest is not None and newest.version >= version:
                return newest.version
            row = self.version_row(version)
            digest = bytes.fromhex(row["content_hash"])
            if content_hash_rows(version, len(index), index.entry_rows(by_id=True)) != digest:
                raise WatchlistError(
                    f"the index built for version {version} does not hash to that version's content; "
                    "nothing was signed (the store changed under the build, or a bug): try again"
                )
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"{version:012d}.wlp"
            sha256, size = write_prepared_index(
                path, index, version, row["created_at"], digest, self.private_key
            )
            meta = directory / f"{version:012d}.json"
            tmp = meta.with_name(meta.name + ".tmp")
            tmp.write_text(json.dumps({"version": version, "sha256": sha256, "size": size}))
            os.replace(tmp, meta)
            for old in self._prepared_files()[:-KEEP_PREPARED]:
                old.path.unlink(missing_ok=True)
                old.path.with_suffix(".json").unlink(missing_ok=True)
            log.info("watch-list version %s prepared: %s bytes", version, size)
            return version

    def request_prepare(self) -> None:
        """Make the current version's prepared snapshot, then announce it: in a background thread
        (a million entries take about a minute; changes made meanwhile are coalesced into one
        build of the newest version), or at once with ``prepare_in_background=False``."""
        if self.prepared_dir is None:
            return
        if not self.prepare_in_background:
            self._prepare_and_announce()
            return
        self._prepare_wanted.set()
        with self._thread_lock:
            if self._prepare_thread is None:
                thread = threading.Thread(target=self._prepare_loop, name="watchlist-prepare", daemon=True)
                self._prepare_thread = thread
                thread.start()

    def _prepare_loop(self) -> None:
        while True:
            if not self._prepare_wanted.wait(timeout=60.0):
                with self._thread_lock:  # idle: end, unless a request came in just now
                    if not self._prepare_wanted.is_set():
                        self._prepare_thread = None
                        return
                continue
            self._prepare_wanted.clear()
            self._prepare_and_announce()

    def _prepare_and_announce(self) -> None:
        try:
            if self.prepare_current() is not None:
                self.announce()
            self.last_prepare_error = ""
        except Exception as exc:  # a background worker must outlive a failed build (store away, ...)
            self.last_prepare_error = f"{type(exc).__name__}: {exc}"
            log.exception("watch-list prepared snapshot failed")

    def _prepared_files(self) -> list[PreparedInfo]:
        directory = self.prepared_dir
        if directory is None or not directory.is_dir():
            return []
        out = []
        for meta in sorted(directory.glob("*.json")):
            path = meta.with_suffix(".wlp")
            try:
                data = json.loads(meta.read_text())
                info = PreparedInfo(int(data["version"]), path, str(data["sha256"]), int(data["size"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if path.exists() and path.stat().st_size == info.size:
                out.append(info)
        return sorted(out, key=lambda i: i.version)

    # -- devices -----------------------------------------------------------------------------------

    def device_states(self) -> list[DeviceListState]:
        """Every device with the version it reported, that version's age, and the stale flag: a gate
        or counter is stale when it runs no list, or an older version than one published longer than
        ``stale_after`` ago."""
        now = self.clock.now()
        current = self.current_version()
        with self.store.engine.connect() as conn:
            published = {
                r.version: utc(r.created_at)
                for r in conn.execute(sa.select(t.versions.c.version, t.versions.c.created_at))
            }
            devices = [dict(r._mapping) for r in conn.execute(sa.select(central_schema.devices))]
        out = []
        for d in sorted(devices, key=lambda d: d["device_id"]):
            reported = str(d["watchlist_version"] or "").strip()
            version = int(reported) if reported.isdigit() else None
            age = (now - published[version]).total_seconds() if version in published else None
            behind = max(0, current - version) if version is not None else current
            checks_lists = d["kind"] in LIST_CHECKING_KINDS
            if version is None:
                stale = checks_lists and current > 0
            else:
                newer = published.get(version + 1)
                stale = checks_lists and behind > 0 and newer is not None and now - newer > self.stale_after
            out.append(
                DeviceListState(
                    device_id=d["device_id"],
                    kind=d["kind"],
                    site=d["site"],
                    online=bool(d["online"]),
                    version=version,
                    version_age_s=age,
                    behind=behind,
                    stale=stale,
                    last_seen_at=utc(d["last_seen_at"]) if d["last_seen_at"] else None,
                )
            )
        return out

    # -- internals ---------------------------------------------------------------------------------

    def _data(self, conn: sa.Connection, entry_id: str) -> dict[str, Any] | None:
        data = conn.scalar(sa.select(t.entries.c.data).where(t.entries.c.entry_id == entry_id))
        return dict(data) if data is not None else None

    def _commit(
        self,
        conn: sa.Connection,
        changed: Sequence[tuple[str, dict[str, Any] | None, dict[str, Any] | None]],
        *,
        by: str,
        action: str,
        now: datetime,
    ) -> int:
        """Apply ``changed`` (id, before, after) as the next version, inside the caller's transaction."""
        version = int(conn.scalar(sa.select(sa.func.max(t.versions.c.version))) or 0) + 1
        for eid, before, after in changed:
            if after is None:
                conn.execute(t.entries.delete().where(t.entries.c.entry_id == eid))
                continue
            values = {
                "list": after["list"],
                "full_name": after["full_name"][:256],
                "data": after,
                "version": version,
                "changed_at": now,
            }
            if before is None:
                conn.execute(t.entries.insert().values(entry_id=eid, **values))
            else:
                conn.execute(t.entries.update().where(t.entries.c.entry_id == eid).values(**values))
        conn.execute(
            t.changes.insert(),
            [{"version": version, "entry_id": eid, "before": b, "after": a} for eid, b, a in changed],
        )
        blob, digest, count = self._signed_snapshot(conn, version, now)
        conn.execute(
            t.versions.insert().values(
                version=version,
                created_at=now,
                created_by=by,
                action=action,
                entries=count,
                changes=len(changed),
                content_hash=digest.hex(),
                snapshot=blob,
                snapshot_sha256=hashlib.sha256(blob).hexdigest(),
                snapshot_size=len(blob),
                key_id=self.key_id,
            )
        )
        # The audit trail of every change (issue 7): who, when, before, after - in central's audit table,
        # in the same transaction, so a change and its audit row exist together or not at all.
        conn.execute(
            central_schema.audit.insert(),
            [
                {
                    "at": now,
                    "actor": by[:64],
                    "action": f"watchlist.{_kind(action, b, a)}",
                    "target": eid[:128],
                    "details": {"version": version, "before": b, "after": a},
                }
                for eid, b, a in changed
            ],
        )
        return version

    def _signed_snapshot(self, conn: sa.Connection, version: int, now: datetime) -> tuple[bytes, bytes, int]:
        """The signed snapshot of the list as it stands in this transaction, its content hash and its
        size. The entries stream from the store in id order, a batch at a time, into the signed and
        hashed message: a list of a million entries is never held as objects, nor as one message
        (the same bytes as ``sign_snapshot(Snapshot(version, entries sorted by id, now))``)."""
        count = int(conn.scalar(sa.select(sa.func.count()).select_from(t.entries)) or 0)
        entry_id = t.entries.c.entry_id
        # Python's order of ids (code points): SQLite compares bytes (the same); PostgreSQL needs "C".
        order = entry_id.collate("C") if conn.dialect.name == "postgresql" else entry_id
        query = sa.select(t.entries.c.data).order_by(order).execution_options(yield_per=2000)
        writer = SnapshotWriter(version, now, count)
        for data in conn.scalars(query):
            writer.add(_entry(data))
        blob, digest = writer.finish(self.private_key)
        return blob, digest, count

    def _after_change(self) -> None:
        self.announce()
        self.request_prepare()


def _kind(action: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    if action != "import":
        return action
    return "import.add" if before is None else "import.remove" if after is None else "import.change"


def _same_content(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Equal but for who changed it and when."""
    skip = ("changed_by", "changed_at", "created_by", "created_at")
    return {k: v for k, v in before.items() if k not in skip} == {
        k: v for k, v in after.items() if k not in skip
    }
