"""Attacks 1, 2, 4 and 5 of issue 14 on the custody log, each caught and named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from attacker import cut_last, entries_of, move_item, plant_key_file, rewrite_log
from evidence_support import LockerSetup
from sqlalchemy import update

from tocsin.evidence.crypto import new_data_key
from tocsin.evidence.errors import EvidenceError
from tocsin.evidence.heads import Witness
from tocsin.evidence.locker import EvidenceLocker
from tocsin.evidence.verify import verify_locker
from tocsin.records.evidence_models import CustodyEntry, EvidenceKey

EL_FASHER = {"lat": 13.63, "lon": 25.35}


def populate(setup: LockerSetup) -> int:
    """A photo placed at El Fasher, transferred to the Sudan Archive; two more entries."""
    photo = setup.add(b"photo of the shelled market", "market.jpg", **EL_FASHER)
    setup.locker.transfer(photo, user="amira", to_organisation="Sudan Archive")
    setup.add(b"second photo", "second.jpg", sensitivity="restricted")
    assert verify_locker(setup.locker).ok
    return photo


def witness_of(setup: LockerSetup, folder: Path, *, org_key: str | None = None) -> Witness:
    """A witness outside the workspace holding the current head (signed by amira's org)."""
    witness = Witness.open(folder) if (folder / "witness.json").exists() else Witness.init(folder)
    last = witness.heads[-1]["head"]["tree_size"] if witness.heads else None
    witness.cosign(setup.locker.signed_head("amira", from_size=last), org_key)
    return witness


def problems(report) -> list[str]:  # type: ignore[no-untyped-def]
    assert not report.ok, "the attack went unnoticed"
    return [str(f) for f in report.findings]


def original_fingerprint(setup: LockerSetup) -> str:
    return entries_of(setup)[0].key_id


# -- attack 1: the whole log rebuilt with fresh keys -------------------------------------------
def test_a_rebuilt_log_is_caught_by_the_master_key(sealed: LockerSetup) -> None:
    photo = populate(sealed)
    rewrite_log(sealed, move_item(sealed, photo, 0.9))  # 100 km north, transfer deleted
    found = problems(verify_locker(sealed.locker))
    assert any("is not sealed under TOCSIN_MASTER_KEY" in f for f in found), found
    # Later real additions are not signed with the planted key: it is refused.
    with pytest.raises(EvidenceError, match="not protected"):
        sealed.add(b"a later addition", "later.jpg")


def test_a_rebuilt_log_is_caught_by_a_witness_and_a_pinned_key(plain: LockerSetup,
                                                               tmp_path: Path) -> None:
    photo = populate(plain)
    pinned = original_fingerprint(plain)
    witness = witness_of(plain, tmp_path / "witness", org_key=pinned)
    rewrite_log(plain, move_item(plain, photo, 0.9))
    # On its own the workspace cannot tell (every signature checks, with the new keys) ...
    alone = verify_locker(plain.locker)
    assert alone.ok and any("--witness or --org-key" in n for n in alone.notes)
    # ... a witness and a pinned key can.
    found = problems(verify_locker(plain.locker, witnesses=[witness]))
    assert any("the log was rebuilt from its start (a fork)" in f for f in found), found
    assert any(f"pinned key {pinned}: is not in this custody log" in f for f in found), found
    found = problems(verify_locker(plain.locker, pins=[pinned]))
    assert any(f"pinned key {pinned}" in f for f in found), found
    # And the witness refuses to cosign a head of the rebuilt log.
    with pytest.raises(EvidenceError, match="rebuilt from its start"):
        witness.cosign(plain.locker.signed_head("amira"))


def test_a_new_first_key_is_caught_by_the_pinned_key(plain: LockerSetup) -> None:
    populate(plain)
    pinned = original_fingerprint(plain)
    rewrite_log(plain, lambda body: body)  # same contents, new first keys
    assert verify_locker(plain.locker).ok
    found = problems(verify_locker(plain.locker, pins=[pinned]))
    assert found == [f"pinned key {pinned}: is not in this custody log: the organisation's keys "
                     "were replaced (the log was rebuilt with keys you do not trust)"]


# -- attack 2: a planted encryption key ----------------------------------------------------------
@pytest.mark.parametrize("fixture", ["plain", "sealed"])
def test_a_planted_encryption_key_is_never_used(fixture: str,
                                                request: pytest.FixtureRequest) -> None:
    setup: LockerSetup = request.getfixturevalue(fixture)
    planted_key = new_data_key()
    planted = plant_key_file(setup, 1, "kek", "ab" * 16, planted_key)
    item = setup.add(b"Amina, 31, Tawila", "statement.txt", sensitivity="confidential")
    with setup.locker.session() as session:
        wrapped = session.get(EvidenceKey, (item, 1))
        assert wrapped is not None
    assert wrapped.kek_id != "ab" * 16  # the log's key-encryption key, not the planted one
    found = problems(verify_locker(setup.locker))
    assert found == [f"key file keys/org-1/{planted.name}: is named by no signed key entry "
                     "(planted)"]


# -- attack 4: truncation and rollback -----------------------------------------------------------
def test_truncation_is_caught_by_a_witness(plain: LockerSetup, tmp_path: Path) -> None:
    populate(plain)
    plain.add(b"the last photo", "last.jpg")
    witness = witness_of(plain, tmp_path / "witness")
    size = witness.heads[-1]["head"]["tree_size"]
    cut_last(plain, 2)
    assert verify_locker(plain.locker).ok  # consistent on its own: only outside trust sees it
    found = problems(verify_locker(plain.locker, witnesses=[witness]))
    assert found == [f"witness witness: saw a head of {size} entries (issued "
                     f"{witness.heads[-1]['head']['issued_at']}), but this log holds only "
                     f"{size - 2}: entries were cut off or the workspace was rolled back to an "
                     "older copy"]


def test_a_careless_truncation_is_caught_by_the_heads_the_workspace_kept(plain: LockerSetup) -> None:
    populate(plain)
    plain.locker.signed_head("amira")
    cut_last(plain, 1, careful=False)
    found = problems(verify_locker(plain.locker))
    assert len(found) == 2 and all(f.startswith("evidence/heads: holds a head of 5 entries")
                                   for f in found), found  # 000000005.json and latest.json


def test_rollback_to_an_older_copy_is_caught_by_a_witness(plain: LockerSetup,
                                                          tmp_path: Path) -> None:
    photo = populate(plain)
    witness_of(plain, tmp_path / "witness")
    backup = tmp_path / "backup"
    shutil.copytree(plain.workspace.home, backup)
    plain.locker.delete(photo, user="amira", reason="witness safety")
    witness_of(plain, tmp_path / "witness")  # the witness saw the deletion
    plain.locker.close()
    shutil.rmtree(plain.workspace.home)
    shutil.copytree(backup, plain.workspace.home)  # the older copy, photo readable again
    restored = EvidenceLocker(plain.workspace)
    try:
        assert verify_locker(restored).ok
        found = problems(verify_locker(restored, witnesses=[Witness.open(tmp_path / "witness")]))
        assert len(found) == 1 and "rolled back to an older copy" in found[0]
        with pytest.raises(EvidenceError, match="truncated or rolled back"):
            Witness.open(tmp_path / "witness").cosign(restored.signed_head("amira"))
    finally:
        restored.close()


def test_an_edited_witness_folder_is_named(plain: LockerSetup, tmp_path: Path) -> None:
    populate(plain)
    witness = witness_of(plain, tmp_path / "witness")
    path = tmp_path / "witness" / "heads.jsonl"
    record = json.loads(path.read_text())
    record["head"]["tree_size"] = 1
    path.write_text(json.dumps(record) + "\n")
    found = problems(verify_locker(plain.locker, witnesses=[Witness.open(witness.folder)]))
    assert any("the witness folder was edited" in f for f in found), found


# -- attack 5: denormalised columns -------------------------------------------------------------
def test_an_edited_action_column_is_named(plain: LockerSetup) -> None:
    populate(plain)
    with plain.locker.session() as session, session.begin():
        session.execute(update(CustodyEntry).where(CustodyEntry.seq == 4)
                        .values(action="view", item_id=99))
    found = problems(verify_locker(plain.locker))
    assert found == ["custody entry 4: its action column says 'view' but the signed entry "
                     "'transfer'",
                     "custody entry 4: its item column says 99 but the signed entry 1"]
