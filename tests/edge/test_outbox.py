"""The durable outbox: append before publish, ordered replay, delete on ack, a size limit."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.errors import OutboxError, OutboxFullError
from edge.outbox import Outbox


def test_an_appended_event_is_pending_until_acknowledged(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as box:
        box.append("t", b"x", event_id="a")
        assert [e.event_id for e in box.pending()] == ["a"]
        assert box.acknowledge(["a"]) == 1
        assert box.pending() == []


def test_pending_events_come_back_in_append_order(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as box:
        for i in range(5):
            box.append("t", bytes([i]), event_id=f"e{i}")
        box.acknowledge(["e2"])
        assert [e.event_id for e in box.pending()] == ["e0", "e1", "e3", "e4"]


def test_events_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    with Outbox(path) as box:
        box.append("gate/1/events", b"payload", event_id="kept")
    with Outbox(path) as again:
        [entry] = again.pending()
        assert (entry.topic, entry.payload, entry.event_id) == ("gate/1/events", b"payload", "kept")
        assert again.depth() == 1


def test_the_file_uses_wal_and_full_synchronous_writes(tmp_path: Path) -> None:
    Outbox(tmp_path / "o.db").close()
    db = sqlite3.connect(tmp_path / "o.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_appending_a_stored_event_id_again_keeps_one_copy(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as box:
        first = box.append("t", b"1", event_id="same")
        second = box.append("t", b"2", event_id="same")
        assert second == first
        assert box.depth() == 1


def test_the_outbox_refuses_events_at_its_limit_instead_of_dropping_any(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db", max_events=3) as box:
        for i in range(3):
            box.append("t", b"", event_id=str(i))
        with pytest.raises(OutboxFullError, match="stops accepting passengers"):
            box.append("t", b"", event_id="late")
        assert [e.event_id for e in box.pending()] == ["0", "1", "2"]


def test_reaching_the_limit_fires_when_full_once_and_draining_fires_when_drained(tmp_path: Path) -> None:
    calls: list[str] = []
    with Outbox(tmp_path / "o.db", max_events=4, resume_ratio=0.5) as box:
        box.when_full = lambda: calls.append("full")
        box.when_drained = lambda: calls.append("drained")
        for i in range(4):
            box.append("t", b"", event_id=str(i))
        assert box.is_full and calls == ["full"]
        box.acknowledge(["0"])
        assert box.is_full, "stays full until depth falls to the resume mark"
        box.acknowledge(["1"])
        assert not box.is_full
        assert calls == ["full", "drained"]


def test_a_reopened_full_outbox_is_still_full(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db", max_events=1) as box:
        box.append("t", b"", event_id="x")
    with Outbox(tmp_path / "o.db", max_events=1) as again:
        assert again.is_full


def test_acknowledging_unknown_ids_changes_nothing(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as box:
        box.append("t", b"", event_id="a")
        assert box.acknowledge(["zzz"]) == 0
        assert box.depth() == 1


def test_an_unwritable_location_is_reported_with_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutboxError, match="cannot open the outbox"):
        Outbox(blocker / "o.db")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 30)), max_size=40))
def test_depth_always_equals_appends_minus_acks(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[bool, int]]
) -> None:
    path = tmp_path_factory.mktemp("prop") / "o.db"
    stored: list[str] = []
    with Outbox(path, max_events=1000) as box:
        for is_append, n in ops:
            if is_append:
                box.append("t", b"", event_id=f"id{n}")
                if f"id{n}" not in stored:
                    stored.append(f"id{n}")
            else:
                box.acknowledge([f"id{n}"])
                if f"id{n}" in stored:
                    stored.remove(f"id{n}")
            assert box.depth() == len(stored)
        assert [e.event_id for e in box.pending()] == stored


# -- issue 12: biometric payloads sealed at rest, overwritten when acknowledged -------------------------

# Distinctive bytes standing for a face crop / fingerprint template inside an event payload.
FACE = bytes(range(256)) * 8 + b"JFIF-face-crop-of-passenger"


def raw_files(path: Path) -> bytes:
    """Every byte on disk for this outbox: the database file and its WAL, if any."""
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_payloads_are_sealed_on_disk_before_and_after_the_ack(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    box = Outbox(path)
    box.append("gate/g1/events", b"alarm:" + FACE, event_id="e1")
    box.append("gate/g1/events", b"crossing:" + FACE[::-1], event_id="e2")
    assert FACE not in raw_files(path) and FACE[::-1] not in raw_files(path)
    assert [e.payload for e in box.pending()] == [b"alarm:" + FACE, b"crossing:" + FACE[::-1]]
    assert box.secure_delete_on()
    sealed = {r[0]: bytes(r[1]) for r in box._db.execute("SELECT event_id, payload FROM outbox")}
    box.acknowledge(["e1"])
    box.close()
    on_disk = raw_files(path)
    assert FACE not in on_disk and FACE[::-1] not in on_disk
    assert sealed["e1"][20:120] not in on_disk  # the acknowledged row's ciphertext was overwritten
    assert sealed["e2"][20:120] in on_disk  # the other one is still there, sealed
    key = path.with_name("outbox.db.key")
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32
    with Outbox(path) as again:
        assert [e.payload for e in again.pending()] == [b"crossing:" + FACE[::-1]]


def test_a_wrong_key_is_a_clear_error_and_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    with Outbox(path) as box:
        box.append("kiosk/k1/events", b"application:" + FACE, event_id="a1")
    key = path.with_name("outbox.db.key")
    right = key.read_bytes()
    key.write_bytes(bytes(32))
    with Outbox(path) as wrong:
        with pytest.raises(OutboxError, match=r"a1 .*not the one it was sealed with.*nothing was deleted"):
            wrong.pending()
        assert wrong.depth() == 1
    key.write_bytes(right)
    with Outbox(path) as box:
        assert [e.payload for e in box.pending()] == [b"application:" + FACE]


def test_a_sealed_payload_moved_to_another_row_does_not_open(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    with Outbox(path) as box:
        box.append("t", b"one" + FACE, event_id="e1")
        box.append("t", b"two", event_id="e2")
    db = sqlite3.connect(path)
    db.execute(
        "UPDATE outbox SET payload = (SELECT payload FROM outbox WHERE event_id = 'e1') WHERE event_id = 'e2'"
    )
    db.commit()
    db.close()
    with Outbox(path) as box, pytest.raises(OutboxError, match="e2"):
        box.pending()


def test_rows_written_before_sealing_are_still_read(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    Outbox(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO outbox (event_id, topic, payload) VALUES ('old', 't', ?)", (b"\x83plain",))
    db.commit()
    db.close()
    with Outbox(path) as box:
        assert [e.payload for e in box.pending()] == [b"\x83plain"]


def test_when_full_runs_after_the_write_with_the_outbox_lock_released(tmp_path: Path) -> None:
    # The gate's when_full goes into the flow, whose thread may be writing to this outbox at that
    # moment: called with the outbox lock held, the two threads would wait for each other for ever.
    seen: list[int] = []
    with Outbox(tmp_path / "o.db", max_events=3) as box:

        def another_thread_reads() -> None:
            reader = threading.Thread(target=lambda: seen.append(box.depth()))
            reader.start()
            reader.join(2.0)
            assert not reader.is_alive(), "when_full ran under the outbox lock"

        box.when_full = another_thread_reads
        for i in range(3):
            box.append("t", b"", event_id=str(i))
        assert seen == [3], "the callback sees the event that filled the outbox stored"


def test_a_caller_can_hold_the_full_signal_until_it_has_handed_the_event_on(tmp_path: Path) -> None:
    calls: list[str] = []
    with Outbox(tmp_path / "o.db", max_events=1) as box:
        box.when_full = lambda: calls.append("full")
        box.append("t", b"", event_id="a", announce=False)
        assert box.is_full and calls == []
        box.announce()
        box.announce()
        assert calls == ["full"]
