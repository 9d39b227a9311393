"""Every kind of tampering is detected and named: blobs, log entries, signatures, metadata."""

from __future__ import annotations

import hashlib
import json

import pytest
from evidence_support import LockerSetup
from sqlalchemy import delete, update

from tocsin.evidence.crypto import canonical_json
from tocsin.evidence.custody import make_entry
from tocsin.evidence.keys import KeyStore
from tocsin.evidence.locker import Actor
from tocsin.evidence.verify import Report, verify_locker
from tocsin.records.evidence_models import CustodyEntry, EvidenceItem, EvidenceKey, EvidenceLink

PHOTO = b"\xff\xd8\xff photo of the market" * 20
VIDEO = b"drone video bytes" * 40


def populated(setup: LockerSetup) -> dict[str, int]:
    """Three items: public photo, restricted video, confidential statement; one transfer."""
    ids = {
        "photo": setup.add(PHOTO, "market.jpg"),
        "video": setup.add(VIDEO, "drone.mp4", sensitivity="restricted"),
        "statement": setup.add(b"witness statement" * 30, "statement.txt",
                               sensitivity="confidential", description="names W-17"),
    }
    setup.locker.transfer(ids["video"], user="amira", to_organisation="Sudan Archive")
    assert verify_locker(setup.locker).ok
    return ids


def problems(report: Report) -> list[str]:
    assert not report.ok, "the tampering went unnoticed"
    return [str(f) for f in report.findings]


def blob_of(setup: LockerSetup, item: int):  # type: ignore[no-untyped-def]
    with setup.locker.session() as session:
        row = session.get(EvidenceItem, item)
        assert row is not None
        return setup.locker.store.path_for(row.stored_sha256)


def edit_db(setup: LockerSetup, statement) -> None:  # type: ignore[no-untyped-def]
    with setup.locker.session() as session, session.begin():
        session.execute(statement)


def entry_row(setup: LockerSetup, seq: int) -> CustodyEntry:
    with setup.locker.session() as session:
        row = session.get(CustodyEntry, seq)
        assert row is not None
        return row


@pytest.mark.parametrize("which", ["photo", "video", "statement"])
def test_flipping_one_byte_of_a_blob_is_named(setup: LockerSetup, which: str) -> None:
    ids = populated(setup)
    path = blob_of(setup, ids[which])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.chmod(0o644)
    path.write_bytes(bytes(data))
    found = problems(verify_locker(setup.locker))
    assert len(found) == 1
    assert found[0].startswith(f"item {ids[which]} (") and "content was altered" in found[0]


def test_replacing_a_blob_with_another_file_is_named(setup: LockerSetup) -> None:
    ids = populated(setup)
    blob_of(setup, ids["photo"]).write_bytes(blob_of(setup, ids["video"]).read_bytes())
    found = problems(verify_locker(setup.locker))
    assert found == [f"item {ids['photo']} (market.jpg): content was altered or replaced: blob "
                     f"{hashlib.sha256(PHOTO).hexdigest()} now hashes to "
                     f"{hashlib.sha256(VIDEO).hexdigest()}"]


def test_a_removed_blob_is_named(setup: LockerSetup) -> None:
    ids = populated(setup)
    blob_of(setup, ids["video"]).unlink()
    assert any(f.startswith(f"item {ids['video']} (drone.mp4): content is missing")
               for f in problems(verify_locker(setup.locker)))


def test_editing_a_log_entry_in_the_database_is_named(setup: LockerSetup) -> None:
    ids = populated(setup)
    with setup.locker.session() as session:
        seq = next(e.seq for e in setup.locker.db_entries(session) if e.body.get("item") ==
                   ids["photo"])
    row = entry_row(setup, seq)
    forged = row.payload.replace("Musa Adam", "Someone Else")
    edit_db(setup, update(CustodyEntry).where(CustodyEntry.seq == seq).values(payload=forged))
    found = problems(verify_locker(setup.locker))
    assert f"custody entry {seq}: contents were edited: its hash no longer matches its payload" \
        in found
    assert any(f.startswith(f"custody entry {seq}: the database and custody.jsonl differ")
               for f in found)


def test_editing_the_mirror_file_is_named(setup: LockerSetup) -> None:
    populated(setup)
    mirror = setup.locker.store.mirror_path
    lines = mirror.read_text().splitlines(keepends=True)
    record = json.loads(lines[3])
    record["payload"] = record["payload"].replace("drone.mp4", "other.mp4")
    lines[3] = canonical_json(record).decode() + "\n"
    mirror.write_text("".join(lines))
    found = problems(verify_locker(setup.locker))
    assert "custody.jsonl entry 4: contents were edited: its hash no longer matches its payload" \
        in found
    assert any(f.startswith("custody entry 4: the database and custody.jsonl differ (payload")
               for f in found)


def test_deleting_a_log_entry_is_named(setup: LockerSetup) -> None:
    populated(setup)
    edit_db(setup, delete(CustodyEntry).where(CustodyEntry.seq == 4))
    found = problems(verify_locker(setup.locker))
    assert "custody entry at position 4: holds seq 5, expected 4: entries were deleted, " \
        "inserted or reordered" in found
    assert any(f.startswith("custody entry 5: does not follow the entry before it") for f in found)
    assert any("was added in custody entry 4 but" in f or "never added" in f for f in found)


def test_deleting_the_last_log_entry_is_caught_by_the_mirror(setup: LockerSetup) -> None:
    populated(setup)
    with setup.locker.session() as session:
        last = setup.locker.db_entries(session)[-1].seq
    edit_db(setup, delete(CustodyEntry).where(CustodyEntry.seq == last))
    found = problems(verify_locker(setup.locker))
    assert f"custody log: the database lacks entries {last}-{last} that custody.jsonl holds: " \
        "they were deleted from the database" in found


def test_reordering_log_entries_is_named(setup: LockerSetup) -> None:
    populated(setup)
    third, fourth = entry_row(setup, 3), entry_row(setup, 4)
    columns = ("action", "item_id", "payload", "prev_hash", "entry_hash", "key_id", "signature")
    edit_db(setup, delete(CustodyEntry).where(CustodyEntry.seq.in_([3, 4])))
    with setup.locker.session() as session, session.begin():  # 4 first, then 3
        session.add(CustodyEntry(seq=3, **{c: getattr(fourth, c) for c in columns}))
        session.add(CustodyEntry(seq=4, **{c: getattr(third, c) for c in columns}))
    found = problems(verify_locker(setup.locker))
    assert "custody entry 3: holds the payload of entry 4: entries were reordered or moved" in found
    assert "custody entry 4: holds the payload of entry 3: entries were reordered or moved" in found
    assert any(f.startswith("custody entry 3: does not follow") for f in found)


def test_swapping_signatures_is_named(setup: LockerSetup) -> None:
    populated(setup)
    third, fourth = entry_row(setup, 3), entry_row(setup, 4)
    edit_db(setup, update(CustodyEntry).where(CustodyEntry.seq == 3)
            .values(signature=fourth.signature))
    edit_db(setup, update(CustodyEntry).where(CustodyEntry.seq == 4)
            .values(signature=third.signature))
    found = problems(verify_locker(setup.locker))
    for seq in (3, 4):
        assert any(f.startswith(f"custody entry {seq}: signature does not verify with key")
                   for f in found), found


def test_editing_item_metadata_in_the_database_is_named(setup: LockerSetup) -> None:
    ids = populated(setup)
    edit_db(setup, update(EvidenceItem).where(EvidenceItem.id == ids["video"])
            .values(collector="Someone Else"))
    found = problems(verify_locker(setup.locker))
    assert found == [f"item {ids['video']} (drone.mp4): database field collector is 'Someone Else' "
                     "but the log recorded 'Musa Adam' (custody entry 4)"]


def test_pointing_an_item_at_another_blob_is_named(setup: LockerSetup) -> None:
    ids = populated(setup)
    with setup.locker.session() as session:
        other = session.get(EvidenceItem, ids["video"])
    edit_db(setup, update(EvidenceItem).where(EvidenceItem.id == ids["photo"])
            .values(sha256=other.sha256, stored_sha256=other.stored_sha256))  # type: ignore[union-attr]
    found = problems(verify_locker(setup.locker))
    assert any(f.startswith(f"item {ids['photo']} (market.jpg): database field sha256") for f in found)
    assert any("recorded hashes differ" in f for f in found)


def test_access_granted_by_hand_is_named(setup: LockerSetup) -> None:
    ids = populated(setup)
    with setup.locker.session() as session, session.begin():
        session.add(EvidenceKey(item_id=ids["photo"], organisation_id=2, kek_id="", wrapped_key=""))
    found = problems(verify_locker(setup.locker))
    assert any("organisations with access are [1, 2] in the database but [1]" in f for f in found)


def test_links_and_rows_added_by_hand_are_named(setup: LockerSetup) -> None:
    ids = populated(setup)
    with setup.locker.session() as session, session.begin():
        session.add(EvidenceLink(item_id=ids["photo"], kind="event", target="ucdp:1"))
        row = session.get(EvidenceItem, ids["photo"])
        copy = {c.name: getattr(row, c.name) for c in EvidenceItem.__table__.columns if c.name != "id"}
        session.add(EvidenceItem(id=99, **copy))
    found = problems(verify_locker(setup.locker))
    assert any(f.startswith(f"item {ids['photo']} (market.jpg): links are [('event', 'ucdp:1')]")
               for f in found)
    assert "item 99: is in the database but no custody entry added it (inserted by hand)" in found


def test_a_deleted_item_row_is_named(setup: LockerSetup) -> None:
    ids = populated(setup)
    edit_db(setup, delete(EvidenceKey).where(EvidenceKey.item_id == ids["photo"]))
    edit_db(setup, delete(EvidenceItem).where(EvidenceItem.id == ids["photo"]))
    found = problems(verify_locker(setup.locker))
    assert f"item {ids['photo']}: was added in custody entry 3 but its database row is gone" in found


def test_sealed_metadata_swapped_between_items_is_named(setup: LockerSetup) -> None:
    ids = populated(setup)
    other = setup.add(b"another statement", "s2.txt", sensitivity="confidential",
                      description="a different witness")
    with setup.locker.session() as session:
        sealed = session.get(EvidenceItem, other).sealed  # type: ignore[union-attr]
    edit_db(setup, update(EvidenceItem).where(EvidenceItem.id == ids["statement"])
            .values(sealed=sealed))
    found = problems(verify_locker(setup.locker))
    # A confidential item is named by its id: its file name is sealed too.
    assert any(f.startswith(f"item {ids['statement']} (item-{ids['statement']}.txt): its wrapped "
                            "key or sealed")
               for f in found)


def test_an_entry_forged_with_a_new_key_is_refused(setup: LockerSetup, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Someone with database access but no key appends a 'delete' signed by a key of their own."""
    populated(setup)
    rogue = KeyStore(tmp_path / "rogue").create_signing_key(1)
    with setup.locker.session() as session, session.begin():
        session.info["pending"] = []
        actor = Actor(1, "amira", "admin", 1, "Darfur Witness Network")
        setup.locker._append(session, actor, "key_created", None,
                             {"key_id": rogue.key_id, "public_key": rogue.public_hex}, signer=rogue)
        setup.locker._append(session, actor, "delete", 1, {"reason": "forged"}, signer=rogue)
    found = problems(verify_locker(setup.locker))
    assert any("introduces a second first key for organisation 1" in f for f in found)
    assert any(f.endswith("which the log never introduced") for f in found)


def test_a_short_mirror_is_named_then_repaired_by_the_next_write(setup: LockerSetup) -> None:
    populated(setup)
    mirror = setup.locker.store.mirror_path
    lines = mirror.read_text().splitlines(keepends=True)
    mirror.write_text("".join(lines[:-2]))
    found = problems(verify_locker(setup.locker))
    assert found == [f"custody.jsonl: lacks entries {len(lines) - 1}-{len(lines)} that the "
                     "database holds: the mirror was cut short or replaced (an interrupted write "
                     "is repaired by the next command)"]
    with setup.workspace.write_lock():
        done = setup.locker.recover()
    assert done == [f"mirrored custody entries {len(lines) - 1}-{len(lines)}"]
    assert verify_locker(setup.locker).ok


def test_make_entry_is_deterministic_for_the_same_input() -> None:
    class Signer:
        key_id = "k"

        def sign(self, message: bytes) -> str:
            return hashlib.sha256(message).hexdigest()

    body = {"action": "add", "item": 1, "details": {"b": 2, "a": "ا"}}
    first, second = make_entry(1, "0" * 64, body, Signer()), make_entry(1, "0" * 64, dict(body),
                                                                         Signer())
    assert first == second and '"a":"ا"' in (first.payload or "")


def test_a_lost_mirror_is_not_rebuilt_silently(setup: LockerSetup) -> None:
    """Recovery mirrors what one interrupted transaction left, never a whole missing file."""
    populated(setup)
    setup.locker.store.mirror_path.unlink()
    with setup.workspace.write_lock():
        assert not any("mirrored" in done for done in setup.locker.recover())
    found = problems(verify_locker(setup.locker))
    assert any(f.startswith("custody.jsonl: lacks entries 1-") for f in found)


def test_a_torn_last_mirror_line_is_cut_by_the_next_write(setup: LockerSetup) -> None:
    """A writer killed in the middle of appending to custody.jsonl."""
    populated(setup)
    mirror = setup.locker.store.mirror_path
    whole = mirror.read_bytes()
    with open(mirror, "ab") as handle:
        handle.write(b'{"entry_hash":"ab')
    setup.add(b"after the crash", "after.jpg")
    assert mirror.read_bytes().startswith(whole)
    assert verify_locker(setup.locker).ok
