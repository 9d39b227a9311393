"""Adding, opening, redacting, transferring and deleting evidence, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import stat
from pathlib import Path

import pytest
from evidence_support import CAPTURED, LockerSetup, make_locker
from PIL import Image
from sqlalchemy import select

from tocsin.evidence.errors import AccessDenied, EvidenceError
from tocsin.evidence.verify import verify_locker
from tocsin.records.evidence_models import EvidenceItem, EvidenceKey, SigningKey


def actions(setup: LockerSetup, item: int | None = None) -> list[str]:
    with setup.locker.session() as session:
        return [e.body["action"] for e in setup.locker.db_entries(session)
                if item is None or e.body.get("item") == item]


def read(setup: LockerSetup, item: int, user: str = "amira") -> bytes:
    sink = io.BytesIO()
    setup.locker.open(item, user, sink)
    return sink.getvalue()


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (32, 24), "red")
    exif = image.getexif()
    exif[0x010F] = "Samsung"  # Make
    exif[0x0110] = "SM-A515F"  # Model
    exif[0x0132] = "2024:05:10 14:29:58"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (13.0, 37.0, 48.0), 3: "E", 4: (25.0, 21.0, 0.0)})
    exif[0x8825] = gps
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_add_stores_content_by_sha256_with_its_facts(setup: LockerSetup) -> None:
    content = jpeg_with_exif()
    item = setup.add(content, "IMG_0412.jpg", sensitivity="public", lat=13.63, lon=25.35,
                     source_url="https://t.me/example/1", description="Market after the attack",
                     method="phone camera")
    sha = hashlib.sha256(content).hexdigest()
    blob = setup.locker.store.path_for(sha)
    assert blob.read_bytes() == content
    assert blob.relative_to(setup.locker.store.blobs_dir).parts[:2] == (sha[:2], sha[2:4])
    meta = setup.locker.metadata(item, "vera")
    assert meta["sha256"] == sha and meta["size"] == len(content)
    assert meta["media_type"] == "image/jpeg"
    assert meta["embedded"]["Make"] == "Samsung" and meta["embedded"]["Model"] == "SM-A515F"
    assert meta["embedded"]["GPSLatitude"] == pytest.approx(13.63, abs=1e-6)
    assert meta["embedded"]["GPSLongitude"] == pytest.approx(25.35, abs=1e-6)
    assert meta["captured_at"] == CAPTURED.isoformat()
    assert meta["capture_method"] == "phone camera" and meta["original"] is True
    assert read(setup, item, "vera") == content
    assert actions(setup, item) == ["add"]  # a public item's view is not logged
    assert verify_locker(setup.locker).ok


def test_same_content_twice_shares_one_blob_that_is_never_rewritten(setup: LockerSetup) -> None:
    first = setup.add(b"same bytes", "a.txt")
    blob = setup.locker.store.path_for(hashlib.sha256(b"same bytes").hexdigest())
    before = os.stat(blob)
    added = setup.locker.add([setup.file("b.txt", b"same bytes")], user="badr", collector="X",
                             captured_at=CAPTURED, sensitivity="restricted")
    assert added[0].duplicate_of == [first]
    after = os.stat(blob)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert verify_locker(setup.locker).ok


def test_confidential_content_is_encrypted_at_rest(setup: LockerSetup) -> None:
    secret = b"Statement of witness W-17, Abu Shouk camp, name: Fatima ..." * 50
    item = setup.add(secret, "statement_Fatima.txt", sensitivity="confidential",
                     description="survivor of sexual violence, Abu Shouk")
    with setup.locker.session() as session:
        row = session.get(EvidenceItem, item)
        assert row is not None
        stored = setup.locker.store.path_for(row.stored_sha256)
        assert row.stored_sha256 != hashlib.sha256(secret).hexdigest()
        assert "Abu Shouk" not in row.metadata_json and row.sealed
        assert row.filename == f"item-{item}.txt" and "Fatima" not in row.metadata_json
    on_disk = stored.read_bytes()
    assert b"Fatima" not in on_disk and len(on_disk) == len(secret) + 16  # ciphertext + GCM tag
    assert not setup.locker.store.path_for(hashlib.sha256(secret).hexdigest()).exists()
    with setup.locker.session() as session:  # the log never holds the sealed fields
        assert all("Abu Shouk" not in (e.payload or "") and "Fatima" not in (e.payload or "")
                   for e in setup.locker.db_entries(session))

    assert setup.locker.may_open(item, "badr") and not setup.locker.may_open(item, "musa")
    assert read(setup, item, "badr") == secret
    unsealed = setup.locker.metadata(item, "badr")
    assert unsealed["description"].startswith("survivor")
    assert unsealed["filename"] == "statement_Fatima.txt"
    assert actions(setup, item) == ["add", "view", "view"]
    assert verify_locker(setup.locker).ok


@pytest.mark.parametrize("user", ["musa", "vera", "sara", "salim"])
def test_confidential_items_open_only_for_allowed_users(setup: LockerSetup, user: str) -> None:
    item = setup.add(b"witness identity", "w.txt", sensitivity="confidential")
    with pytest.raises(AccessDenied):
        read(setup, item, user)
    with pytest.raises(AccessDenied):
        setup.locker.metadata(item, user)
    assert actions(setup, item) == ["add"]  # refused attempts open nothing and log no view


def test_restricted_items_open_for_their_organisation_and_views_are_logged(
        setup: LockerSetup) -> None:
    item = setup.add(b"drone video", "v.mp4", sensitivity="restricted")
    assert read(setup, item, "vera") == b"drone video"
    with pytest.raises(AccessDenied):
        read(setup, item, "sara")
    assert actions(setup, item) == ["add", "view"]


def test_transfer_gives_another_organisation_the_key(setup: LockerSetup) -> None:
    item = setup.add(b"testimony", "t.txt", sensitivity="confidential")
    with pytest.raises(AccessDenied):
        setup.locker.transfer(item, user="musa", to_organisation="Sudan Archive")
    setup.locker.transfer(item, user="badr", to_organisation="Sudan Archive",
                          note="for the archive's case file")
    assert read(setup, item, "salim") == b"testimony"
    assert actions(setup, item) == ["add", "transfer", "view"]
    with pytest.raises(EvidenceError, match="already has"):
        setup.locker.transfer(item, user="badr", to_organisation="Sudan Archive")
    assert verify_locker(setup.locker).ok


def test_redaction_is_a_new_item_and_the_original_stays(setup: LockerSetup) -> None:
    original = setup.add(b"face visible", "face.jpg", sensitivity="confidential")
    redacted = setup.locker.redact(original, setup.file("face-blurred.jpg", b"face blurred"),
                                   user="badr", reason="protect the witness",
                                   sensitivity="restricted")
    assert read(setup, original) == b"face visible"
    assert read(setup, redacted.item_id) == b"face blurred"
    meta = setup.locker.metadata(redacted.item_id, "badr")
    assert meta["derived_from"] == original and meta["original"] is False
    assert meta["capture_method"] == "redaction" and meta["collector"] == "Musa Adam"
    with setup.locker.session() as session:
        redact = [e.body for e in setup.locker.db_entries(session) if e.body["action"] == "redact"]
    assert redact[0]["item"] == original
    assert redact[0]["details"]["redacted_item"] == redacted.item_id
    assert verify_locker(setup.locker).ok


def test_delete_leaves_a_signed_tombstone_and_no_content(setup: LockerSetup) -> None:
    item = setup.add(b"identifying photo", "id.jpg", sensitivity="confidential",
                     description="names the witness")
    with setup.locker.session() as session:
        stored = session.get(EvidenceItem, item).stored_sha256  # type: ignore[union-attr]
    with pytest.raises(AccessDenied):
        setup.locker.delete(item, user="badr", reason="analysts may not delete")
    setup.locker.delete(item, user="amira", reason="the witness is in danger")
    assert not setup.locker.store.path_for(stored).exists()
    with setup.locker.session() as session:
        row = session.get(EvidenceItem, item)
        assert row is not None and row.status == "deleted" and row.sealed is None
        assert session.scalars(select(EvidenceKey).where(EvidenceKey.item_id == item)).all() == []
        tombstone = setup.locker.db_entries(session)[-1].body
    assert tombstone["action"] == "delete" and tombstone["details"]["reason"] == \
        "the witness is in danger"
    with pytest.raises(EvidenceError, match="deleted"):
        read(setup, item)
    report = verify_locker(setup.locker)
    assert report.ok, report.findings


def test_rotation_keeps_old_entries_verifiable(setup: LockerSetup) -> None:
    setup.add(b"before rotation", "a.txt")
    old = current_signer(setup, 1).key_id
    new = setup.locker.rotate_keys("amira")
    setup.add(b"after rotation", "b.txt", sensitivity="confidential")
    assert new != old
    with setup.locker.session() as session:
        keys = {k.key_id: k for k in session.scalars(select(SigningKey))}
        entries = setup.locker.db_entries(session)
    assert keys[old].retired_at is not None and keys[new].retired_at is None
    assert entries[-1].key_id == new and entries[2].key_id == old
    with pytest.raises(AccessDenied):
        setup.locker.rotate_keys("badr")
    assert verify_locker(setup.locker).ok


def current_signer(setup: LockerSetup, org: int):  # type: ignore[no-untyped-def]
    with setup.locker.session() as session:
        return setup.locker.signer(session, org)


def test_key_files_are_private_and_can_be_sealed_by_a_master_key(
        setup: LockerSetup, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = setup.locker.keys.org_dir(1)
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700

    monkeypatch.setenv("TOCSIN_MASTER_KEY", "correct horse battery staple")
    # Keys made before the master key was set are unprotected: refused once it is set.
    with pytest.raises(EvidenceError, match="not protected"):
        setup.add(b"signed with a clear key", "c.txt")
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)  # its own SQLite records
    sealed = make_locker(tmp_path / "sealed")
    new = current_signer(sealed, 1)
    record = json.loads((sealed.locker.keys.org_dir(1) / f"signing-{new.key_id}.json")
                        .read_text())
    assert record["protection"] == "scrypt-aes256gcm"
    sealed.add(b"signed with the sealed key", "s.txt")
    monkeypatch.setenv("TOCSIN_MASTER_KEY", "wrong")
    with pytest.raises(EvidenceError, match="does not open"):
        current_signer(sealed, 1)
    monkeypatch.delenv("TOCSIN_MASTER_KEY")
    with pytest.raises(EvidenceError, match="TOCSIN_MASTER_KEY"):
        sealed.add(b"no master key", "n.txt")
    sealed.locker.close()


@pytest.mark.parametrize(("change", "message"), [
    ({"sensitivity": "secret"}, "sensitivity must be one of"),
    ({"captured_at": dt.datetime(2024, 5, 10, 14, 30)}, "needs a time zone"),
    ({"captured_at": dt.datetime.now(dt.UTC) + dt.timedelta(days=2)}, "in the future"),
    ({"lat": 13.6}, "both --lat and --lon"),
    ({"lat": 113.6, "lon": 25.0}, "outside -90..90"),
    ({"collector": " "}, "collector is empty"),
    ({"user": "nobody"}, "unknown user 'nobody'"),
    ({"user": ""}, "say who is acting"),
    ({"incidents": [99]}, "no such incident"),
])
def test_bad_input_is_refused_and_nothing_is_stored(setup: LockerSetup, change: dict,
                                                    message: str) -> None:
    args = {"user": "amira", "collector": "Musa", "captured_at": CAPTURED,
            "sensitivity": "public"} | change
    with pytest.raises(EvidenceError, match=message):
        setup.locker.add([setup.file("x.txt", b"x")], **args)
    assert setup.locker.items() == []
    assert actions(setup) == ["key_created", "key_created"]
    assert setup.locker.store.all_blobs() == {}


def test_a_missing_file_is_named(setup: LockerSetup) -> None:
    with pytest.raises(EvidenceError, match=r"nowhere\.jpg: not a readable file"):
        setup.locker.add([setup.files / "nowhere.jpg"], user="amira", collector="M",
                         captured_at=CAPTURED, sensitivity="public")
