"""What the attacker of issue 14 runs: plain file and database edits, fresh keys of their own,
nothing of the organisations' secrets."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from evidence_support import LockerSetup
from sqlalchemy import delete, select

from tocsin.evidence.crypto import b64, canonical_json, key_id_for, public_key_hex, sha256_hex
from tocsin.evidence.custody import GENESIS, Entry, jsonl_line, make_entry
from tocsin.records.evidence_models import CustodyEntry, EvidenceItem, EvidenceKey, SigningKey


@dataclass(frozen=True)
class PlantedKey:
    key_id: str
    private: Ed25519PrivateKey

    @property
    def public_hex(self) -> str:
        return public_key_hex(self.private)

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()


def fresh_key() -> PlantedKey:
    private = Ed25519PrivateKey.generate()
    return PlantedKey(key_id_for(public_key_hex(private)), private)


def plant_key_file(setup: LockerSetup, org: int, kind: str, key_id: str, secret: bytes) -> Path:
    """A key file as the attacker writes it: unprotected, and named in active.json."""
    folder = setup.locker.keys.org_dir(org)
    path = folder / f"{kind}-{key_id}.json"
    path.write_text(json.dumps({"kind": kind, "key_id": key_id, "organisation_id": org,
                                "created_at": "2024-01-01T00:00:00+00:00",
                                "protection": "none", "secret": b64(secret)}))
    active = folder / "active.json"
    current = json.loads(active.read_text()) if active.exists() else {}
    active.write_text(json.dumps(current | {kind: key_id}))
    return path


def entries_of(setup: LockerSetup) -> list[Entry]:
    with setup.locker.session() as session:
        return setup.locker.db_entries(session)


def rewrite_log(setup: LockerSetup,
                edit: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[int, PlantedKey]:
    """Rebuild every entry, re-signed with fresh keys (one per organisation, each brought in
    by a self-signed key_created entry); ``edit`` may change a body or drop it (None). The
    database rows, signing_keys, custody.jsonl and the key files follow."""
    keys: dict[int, PlantedKey] = {}
    rebuilt: list[Entry] = []
    prev = GENESIS
    for entry in entries_of(setup):
        body = {k: v for k, v in entry.body.items() if k not in ("seq", "key_id", "format")}
        org = int(body["organisation"]["id"])
        if body["action"] == "key_created":
            keys[org] = fresh_key()
            body["details"] = {**body["details"], "key_id": keys[org].key_id,
                               "public_key": keys[org].public_hex}
        changed = edit(body)
        if changed is None:
            continue
        new = make_entry(len(rebuilt) + 1, prev, changed, keys[org])
        rebuilt.append(new)
        prev = new.entry_hash
    with setup.locker.session() as session, session.begin():
        session.execute(delete(CustodyEntry))
        session.execute(delete(SigningKey))
        for entry in rebuilt:
            body = entry.body
            session.add(CustodyEntry(seq=entry.seq, action=body["action"], item_id=body["item"],
                                     payload=entry.payload, prev_hash=entry.prev_hash,
                                     entry_hash=entry.entry_hash, key_id=entry.key_id,
                                     signature=entry.signature))
        for org, key in keys.items():
            session.add(SigningKey(key_id=key.key_id, organisation_id=org,
                                   public_key=key.public_hex))
    setup.locker.store.mirror_path.write_text("".join(jsonl_line(e) for e in rebuilt))
    remove_heads(setup)
    for old in setup.locker.keys.root.glob("org-*/signing-*.json"):
        old.unlink()  # a careful attacker leaves no key the new log does not name
    for org, key in keys.items():
        raw = key.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        plant_key_file(setup, org, "signing", key.key_id, raw)
    return keys


def move_item(setup: LockerSetup, item_id: int, dlat: float) -> Callable[[dict[str, Any]],
                                                                         dict[str, Any] | None]:
    """An edit for :func:`rewrite_log`: the item's place moved ``dlat`` degrees north, its
    transfers deleted; its database row follows."""
    def edit(body: dict[str, Any]) -> dict[str, Any] | None:
        if body.get("item") != item_id:
            return body
        if body["action"] == "transfer":
            return None
        if body["action"] == "add":
            metadata = dict(body["details"]["metadata"])
            metadata["lat"] = round(metadata["lat"] + dlat, 6)
            digest = sha256_hex(canonical_json(metadata))
            body["details"] = {**body["details"], "metadata": metadata, "metadata_sha256": digest}
            with setup.locker.session() as session, session.begin():
                row = session.get(EvidenceItem, item_id)
                assert row is not None
                row.lat = metadata["lat"]
                row.metadata_json = canonical_json(metadata).decode()
                row.metadata_sha256 = digest
                owner = row.organisation_id
                for key in session.scalars(select(EvidenceKey).where(
                        EvidenceKey.item_id == item_id, EvidenceKey.organisation_id != owner)):
                    session.delete(key)
        return body
    return edit


def remove_heads(setup: LockerSetup) -> None:
    """The heads the workspace kept would betray the attack: a careful attacker deletes them."""
    import shutil

    shutil.rmtree(setup.locker.store.heads_dir, ignore_errors=True)


def cut_last(setup: LockerSetup, count: int, *, careful: bool = True) -> None:
    """Delete the last ``count`` entries from the database and the mirror, with the rows and
    blobs of the items they added."""
    entries = entries_of(setup)
    gone = entries[-count:]
    with setup.locker.session() as session, session.begin():
        for entry in gone:
            body = entry.body
            if body.get("action") == "add":
                row = session.get(EvidenceItem, body["item"])
                if row is not None:
                    setup.locker.store.path_for(row.stored_sha256).unlink(missing_ok=True)
                    session.execute(delete(EvidenceKey).where(EvidenceKey.item_id == row.id))
                    session.delete(row)
            session.execute(delete(CustodyEntry).where(CustodyEntry.seq == entry.seq))
    setup.locker.store.mirror_path.write_text(
        "".join(jsonl_line(e) for e in entries[:-count]))
    if careful:
        remove_heads(setup)
    os.sync()
