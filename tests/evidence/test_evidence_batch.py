"""A batch of files in one locker transaction (field intake's path): one signed entry per file
naming its batch, all or none committed, a kill between commit and mirror repaired exactly as far
as one batch reaches, and `evidence verify` as strict as for single adds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from evidence_support import LockerSetup
from sqlalchemy import func, select

from tocsin.evidence.errors import EvidenceError
from tocsin.evidence.locker import MAX_MIRROR_REPAIR, Addition
from tocsin.evidence.verify import verify_locker
from tocsin.records.evidence_models import CustodyEntry, EvidenceItem

CAPTURED = dt.datetime(2024, 5, 10, 9, tzinfo=dt.UTC)
PLACE = {"place_id": None, "place_name": None, "lat": 13.63, "lon": 25.35, "location_from": "coordinates"}


def additions(setup: LockerSetup, n: int, within: Any = None, start: int = 0) -> list[Addition]:
    return [Addition(setup.file(f"photo_{i}.jpg", f"photo {i} of the market".encode()), "نجمة-1",
                     CAPTURED, "confidential" if i % 2 else "restricted", PLACE, "kobo field report",
                     {"form": "f", "submission": f"uuid:{i}", "attachment": f"photo_{i}.jpg"}, within)
            for i in range(start, start + n)]


def count(setup: LockerSetup, what: Any) -> int:
    with setup.locker.session() as session:
        return int(session.scalar(select(func.count()).select_from(what)) or 0)


def test_a_batch_is_one_entry_per_file_each_naming_the_batch(setup: LockerSetup) -> None:
    added = setup.locker.add_batch(additions(setup, 7), user="amira")
    assert len({a.item_id for a in added}) == 7
    with setup.locker.session() as session:
        entries = [e for e in setup.locker.db_entries(session) if e.body["action"] == "add"]
    batches = {e.body["details"]["batch"]["id"] for e in entries}
    assert len(entries) == 7 and len(batches) == 1
    assert {e.body["details"]["batch"]["size"] for e in entries} == {7}
    assert [e.body["details"]["intake"]["submission"] for e in entries] == [f"uuid:{i}" for i in range(7)]
    assert verify_locker(setup.locker).ok


def test_a_batch_is_added_whole_or_not_at_all(setup: LockerSetup) -> None:
    def fail_on_the_fourth(session: Any, item_id: int, sha256: str) -> None:
        if sha256 == failing:
            raise RuntimeError("the caller's row could not be written")

    batch = additions(setup, 6, fail_on_the_fourth)
    import hashlib

    failing = hashlib.sha256(batch[3].path.read_bytes()).hexdigest()
    entries_before = count(setup, CustodyEntry)
    with pytest.raises(RuntimeError):
        setup.locker.add_batch(batch, user="amira")
    assert (count(setup, EvidenceItem), count(setup, CustodyEntry)) == (0, entries_before)
    assert verify_locker(setup.locker).ok
    # Tried again (the caller fixed its row): the same files go in once each.
    setup.locker.add_batch(additions(setup, 6), user="amira")
    assert count(setup, EvidenceItem) == 6 and verify_locker(setup.locker).ok


def test_a_kill_before_the_mirror_is_repaired_for_one_batch_only(setup: LockerSetup) -> None:
    setup.locker.add_batch(additions(setup, 3), user="amira")
    setup.locker.add_batch(additions(setup, 9, start=3), user="amira")
    mirror = setup.locker.store.mirror_path
    lines = mirror.read_text().splitlines(keepends=True)
    total = len(lines)
    # The last batch's entries never reached the mirror (killed after the commit): more than
    # a single add's gap, all of one batch: the next write mirrors them.
    mirror.write_text("".join(lines[:-9]))
    assert not verify_locker(setup.locker).ok
    with setup.workspace.write_lock():
        assert setup.locker.recover() == [f"mirrored custody entries {total - 8}-{total}"]
    assert verify_locker(setup.locker).ok
    # A gap reaching into the batch before (two transactions' worth) is no crash: left for
    # verify to report, never mirrored over.
    mirror.write_text("".join(lines[:-10]))
    assert MAX_MIRROR_REPAIR < 10
    with setup.workspace.write_lock():
        assert setup.locker.recover() == []
    assert not verify_locker(setup.locker).ok


def test_a_batch_is_checked_like_single_adds(setup: LockerSetup) -> None:
    bad = additions(setup, 2)
    bad[1] = Addition(bad[1].path, " ", CAPTURED, "restricted", PLACE)
    with pytest.raises(EvidenceError, match="collector is empty"):
        setup.locker.add_batch(bad, user="amira")
    assert count(setup, EvidenceItem) == 0
