"""Verify the whole locker: blobs, metadata, links, access, the custody log and its mirror,
signatures, key history and time-stamps. Every finding names what was tampered with.

The custody log is the reference: the database rows and the blobs must be what the log says.
The log itself must chain, verify with keys the log introduced, and agree with its mirror in
``custody.jsonl``; checkpoints must be what the log was when they were time-stamped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from tocsin.evidence.crypto import canonical_json, sha256_file, sha256_hex, unb64, unseal, unwrap_key
from tocsin.evidence.custody import Entry, Finding, KeyRing, check_pins, verify_chain
from tocsin.evidence.errors import EvidenceError
from tocsin.evidence.merkle import merkle_root_hex
from tocsin.records.evidence_models import (
    CustodyEntry,
    EvidenceItem,
    EvidenceKey,
    EvidenceLink,
    SigningKey,
    TimestampAuthority,
    TimestampCheckpoint,
    TimestampToken,
)

# Database columns and the metadata field of the custody record they must equal.
_COLUMNS = ("sha256", "size", "filename", "media_type", "sensitivity", "collector", "place_id",
            "lat", "lon", "derived_from", "organisation_id", "original")


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "findings": [f.to_json() for f in self.findings],
                "notes": self.notes, "checked": self.checked}


@dataclass
class LoggedItem:
    """An item as the custody log describes it."""

    item_id: int
    added_in: int
    metadata: dict[str, Any]
    metadata_sha256: str
    stored_sha256: str
    owner: int
    status: str = "active"
    orgs: set[int] = field(default_factory=set)
    links: set[tuple[str, str]] = field(default_factory=set)


def replay(entries: Sequence[Entry]) -> tuple[dict[int, LoggedItem], list[Finding]]:
    """The items, their access and their links as the log's entries build them up."""
    items: dict[int, LoggedItem] = {}
    findings = []
    for entry in entries:
        body = entry.body
        if not body:
            continue
        action, item_id, details = body.get("action"), body.get("item"), body.get("details") or {}
        org = int((body.get("organisation") or {}).get("id", -1))
        subject = f"custody entry {entry.seq}"
        if action == "add":
            metadata = details["metadata"]
            logged = LoggedItem(int(item_id), entry.seq, metadata, details["metadata_sha256"],
                                details["stored_sha256"], org, orgs={org})
            logged.links = {("event", e) for e in metadata.get("events", [])} | {
                ("incident", str(i)) for i in metadata.get("incidents", [])}
            if item_id in items:
                findings.append(Finding(subject, f"adds item {item_id} a second time"))
            items[int(item_id)] = logged
            continue
        if item_id is None:
            continue
        logged_item = items.get(int(item_id))
        if logged_item is None:
            findings.append(Finding(subject, f"{action} of item {item_id}, never added before"))
            continue
        if action in ("transfer", "link", "redact", "delete", "view") and org not in logged_item.orgs:
            findings.append(Finding(subject, (
                f"{action} of item {item_id} by organisation {org}, which had no access")))
        elif action == "delete" and org != logged_item.owner:
            findings.append(Finding(subject, (
                f"deletes item {item_id} for organisation {org}, which does not own it")))
        if action == "transfer":
            logged_item.orgs.add(int(details["to_organisation"]["id"]))
        elif action == "link":
            logged_item.links.add((details["kind"], str(details["target"])))
        elif action == "delete":
            logged_item.status = "deleted"
            logged_item.orgs = set()
    return items, findings


def verify_locker(locker: Any, *, hash_blobs: bool = True, witnesses: Sequence[Any] = (),
                  pins: Sequence[str] = ()) -> Report:
    """Recompute everything; ``locker`` is a :class:`tocsin.evidence.locker.EvidenceLocker`.

    ``witnesses`` (:class:`tocsin.evidence.heads.Witness`) and ``pins`` (organisation key
    fingerprints) are trust from outside the workspace: only they catch a log rebuilt whole
    with new keys, cut short, or rolled back to an older copy."""
    from tocsin.evidence.heads import check_against_witness

    report = Report()
    with locker.session() as session:
        db_entries = locker.db_entries(session)
        mirror, mirror_problems = locker.mirror_entries()
        report.findings += mirror_problems
        report.checked["custody entries"] = len(db_entries)

        findings, ring = verify_chain(db_entries)
        report.findings += findings
        mirror_findings, _ = verify_chain(mirror, label="custody.jsonl entry")
        report.findings += mirror_findings
        report.findings += _compare_mirror(db_entries, mirror)
        report.findings += _compare_keys(session, ring)
        report.findings += _compare_columns(session, db_entries)
        report.findings += _check_key_files(locker, db_entries, ring, report)
        report.findings += check_pins(ring, pins, "this custody log")
        report.findings += _check_own_heads(locker, db_entries)
        for witness in witnesses:
            witnessed, note = check_against_witness(db_entries, ring, witness)
            report.findings += witnessed
            report.notes.append(note)
        if not witnesses and not pins:
            report.notes.append("no witness and no pinned key given: a log rebuilt whole with "
                                "new keys, cut short or rolled back is caught only with "
                                "--witness or --org-key")

        logged, replay_findings = replay(db_entries)
        report.findings += replay_findings
        report.findings += _compare_items(locker, session, logged, report)
        report.findings += _check_blobs(locker, logged, report, hash_blobs)
        report.findings += _check_timestamps(session, db_entries, report)
        from tocsin.accountability.qualification import verify_assessments

        report.findings += verify_assessments(session, db_entries, report)
        report.findings += _compare_timestamp_files(locker, session)
    return report


def _compare_timestamp_files(locker: Any, session: Any) -> list[Finding]:
    """Each stamped token kept in the database must also be kept in its file, and the other
    way round."""
    findings = []
    files = locker.store.timestamp_files()
    stamped = {t.id: t for t in session.scalars(select(TimestampToken).where(
        TimestampToken.status == "stamped")).all()}
    for token_id, path in sorted(files.items()):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            findings.append(Finding(f"timestamps/{path.name}", f"is unreadable ({exc})"))
            continue
        token = stamped.get(token_id)
        if token is None:
            findings.append(Finding(f"time-stamp {token_id} ({record.get('authority')})", (
                f"is kept in timestamps/{path.name} but gone from the database")))
            continue
        checkpoint = session.get(TimestampCheckpoint, token.checkpoint_id)
        if record.get("token") != token.token or checkpoint is None \
                or record.get("checkpoint", {}).get("root") != checkpoint.root \
                or record["checkpoint"].get("leaves") != checkpoint.leaves:
            findings.append(Finding(f"time-stamp {token_id} ({token.authority})", (
                f"differs between the database and timestamps/{path.name}")))
    for token_id in sorted(set(stamped) - set(files)):
        findings.append(Finding(f"time-stamp {token_id} ({stamped[token_id].authority})", (
            f"is in the database but its file timestamps/{token_id}.json is missing")))
    return findings


def _compare_mirror(db: Sequence[Entry], mirror: Sequence[Entry]) -> list[Finding]:
    findings = []
    for in_db, mirrored in zip(db, mirror, strict=False):
        if in_db.to_json() != mirrored.to_json():
            which = [k for k in ("payload", "entry_hash", "prev_hash", "signature", "key_id", "seq")
                     if getattr(in_db, k) != getattr(mirrored, k)]
            findings.append(Finding(f"custody entry {in_db.seq}", (
                f"the database and custody.jsonl differ ({', '.join(which)}): one was edited")))
    if len(mirror) > len(db):
        findings.append(Finding("custody log", (
            f"the database lacks entries {len(db) + 1}-{len(mirror)} that custody.jsonl holds: "
            "they were deleted from the database")))
    elif len(db) > len(mirror):
        findings.append(Finding("custody.jsonl", (
            f"lacks entries {len(mirror) + 1}-{len(db)} that the database holds: the mirror was "
            "cut short or replaced (an interrupted write is repaired by the next command)")))
    return findings


def _check_own_heads(locker: Any, entries: Sequence[Entry]) -> list[Finding]:
    """The heads this workspace signed and kept (evidence/heads/): each must verify and be
    continued by the log. (Someone who can write the workspace can delete them too: only a
    witness's copies are proof; these catch the careless.)"""
    import json

    from tocsin.evidence.heads import check_heads, head_problems

    folder = locker.store.heads_dir
    if not folder.exists():
        return []
    findings, heads = [], []
    for path in sorted(folder.glob("*.json")):
        subject = f"evidence/heads/{path.name}"
        try:
            head = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            findings.append(Finding(subject, f"is unreadable ({exc})"))
            continue
        problems = head_problems(head)
        if problems:
            findings.append(Finding(subject, problems[0]))
        else:
            heads.append(head)
    return findings + check_heads(entries, heads, "evidence/heads", "holds")


def _compare_columns(session: Any, entries: Sequence[Entry]) -> list[Finding]:
    """The columns that repeat parts of a signed payload (for queries) must say what it says."""
    findings = []
    by_seq = {e.seq: e.body for e in entries}
    for seq, action, item_id in session.execute(
            select(CustodyEntry.seq, CustodyEntry.action, CustodyEntry.item_id)).all():
        body = by_seq.get(seq) or {}
        if action != body.get("action"):
            findings.append(Finding(f"custody entry {seq}", (
                f"its action column says {action!r} but the signed entry {body.get('action')!r}")))
        if item_id != body.get("item"):
            findings.append(Finding(f"custody entry {seq}", (
                f"its item column says {item_id!r} but the signed entry {body.get('item')!r}")))
    return findings


def _check_key_files(locker: Any, entries: Sequence[Entry], ring: KeyRing,
                     report: Report) -> list[Finding]:
    """Every key file must be one the signed log names (a planted one is named); with
    ``TOCSIN_MASTER_KEY`` set, every key the log introduces must also have its key file sealed
    under it, which no one without the master key can make: a log rebuilt with new keys is
    named."""
    import os

    from tocsin.evidence.keys import KEK, MASTER_KEY_ENV, SIGNING

    named: dict[int, set[str]] = {}
    for key_id, (org, _) in ring.keys.items():
        named.setdefault(org, set()).add(f"{SIGNING}-{key_id}.json")
    for entry in entries:
        body = entry.body
        if body.get("action") in ("key_created", "key_rotated"):
            kek_id = (body.get("details") or {}).get("kek_id")
            org = int((body.get("organisation") or {}).get("id", -1))
            if kek_id:
                named.setdefault(org, set()).add(f"{KEK}-{kek_id}.json")
    findings = []
    orgs = set(named) | {int(p.name[4:]) for p in locker.keys.root.glob("org-*")
                         if p.name[4:].isdigit()}
    sealed = bool(os.environ.get(MASTER_KEY_ENV))
    if not sealed:
        report.notes.append(f"{MASTER_KEY_ENV} is not set: key files are not opened (anyone "
                            "who can write the workspace can read or replace keys)")
    checked = 0
    for org in sorted(orgs):
        files = locker.keys.key_files(org)
        for name, record in sorted(files.items()):
            subject = f"key file keys/org-{org}/{name}"
            if name == "active.json":
                continue  # written by older versions; keys in use are read from the log
            if name not in named.get(org, set()):
                findings.append(Finding(subject, "is named by no signed key entry (planted)"))
            elif sealed and record.get("protection") != "scrypt-aes256gcm":
                findings.append(Finding(subject, (
                    f"is not sealed under {MASTER_KEY_ENV}: a key made without the master key "
                    "(planted, or the log rebuilt with new keys)")))
        for name in sorted(named.get(org, set()) if sealed else ()):
            if name not in files:
                findings.append(Finding(f"key file keys/org-{org}/{name}", (
                    "is missing, though the signed log introduced that key")))
                continue
            if files[name].get("protection") != "scrypt-aes256gcm":
                continue
            kind, _, rest = name.partition("-")
            key_id = rest.removesuffix(".json")
            try:
                if kind == SIGNING:
                    public = locker.keys.public_of(org, key_id)
                    if ring.keys[key_id][1] != public:
                        findings.append(Finding(f"key file keys/org-{org}/{name}", (
                            "holds another key than the one the log introduced")))
                else:
                    locker.keys.kek(org, key_id)
                checked += 1
            except EvidenceError as exc:
                findings.append(Finding(f"key file keys/org-{org}/{name}", str(exc)))
    report.checked["key files opened"] = checked
    return findings


def _compare_keys(session: Any, ring: KeyRing) -> list[Finding]:
    findings = []
    for key in session.scalars(select(SigningKey)).all():
        known = ring.keys.get(key.key_id)
        if known is None:
            findings.append(Finding(f"signing key {key.key_id}", (
                "is in the database but no custody entry introduced it")))
        elif known != (key.organisation_id, key.public_key):
            findings.append(Finding(f"signing key {key.key_id}", (
                "differs from the key the custody log introduced (public key or organisation "
                "replaced)")))
    return findings


def _differences(item: EvidenceItem, metadata: dict[str, Any]) -> list[str]:
    wrong = []
    for column in _COLUMNS:
        value, logged = getattr(item, column), metadata.get(column)
        if isinstance(value, float) and isinstance(logged, int | float):
            same = abs(value - logged) < 1e-9
        else:
            same = value == logged
        if not same:
            wrong.append(f"{column} is {value!r} but the log recorded {logged!r}")
    if item.captured_at.isoformat() != metadata.get("captured_at"):
        wrong.append(f"captured_at is {item.captured_at.isoformat()} but the log recorded "
                     f"{metadata.get('captured_at')}")
    return wrong


def _compare_items(locker: Any, session: Any, logged: dict[int, LoggedItem],
                   report: Report) -> list[Finding]:
    findings = []
    rows = {i.id: i for i in session.scalars(select(EvidenceItem)).all()}
    report.checked["items"] = len(rows)
    keys: dict[int, dict[int, EvidenceKey]] = {}
    for key in session.scalars(select(EvidenceKey)).all():
        keys.setdefault(key.item_id, {})[key.organisation_id] = key
    links: dict[int, set[tuple[str, str]]] = {}
    for link in session.scalars(select(EvidenceLink)).all():
        links.setdefault(link.item_id, set()).add((link.kind, link.target))

    for item_id in sorted(set(rows) - set(logged)):
        findings.append(Finding(f"item {item_id}", (
            "is in the database but no custody entry added it (inserted by hand)")))
    for item_id in sorted(set(logged) - set(rows)):
        findings.append(Finding(f"item {item_id}", (
            f"was added in custody entry {logged[item_id].added_in} but its database row is "
            "gone")))
    for item_id in sorted(set(rows) & set(logged)):
        row, log = rows[item_id], logged[item_id]
        subject = f"item {item_id} ({row.filename})"
        for problem in _differences(row, log.metadata):
            findings.append(Finding(subject, f"database field {problem} (custody entry "
                                             f"{log.added_in})"))
        if row.metadata_json != canonical_json(log.metadata).decode("utf-8"):
            findings.append(Finding(subject, "stored metadata differs from its custody record"))
        if row.metadata_sha256 != log.metadata_sha256 or row.stored_sha256 != log.stored_sha256:
            findings.append(Finding(subject, "recorded hashes differ from its custody record"))
        if row.status != log.status:
            findings.append(Finding(subject, (
                f"is {row.status} in the database but {log.status} in the custody log")))
        orgs = set(keys.get(item_id, {}))
        if orgs != log.orgs:
            findings.append(Finding(subject, (
                f"organisations with access are {sorted(orgs)} in the database but "
                f"{sorted(log.orgs)} by the custody log (access granted or removed by hand)")))
        if links.get(item_id, set()) != log.links:
            findings.append(Finding(subject, (
                f"links are {sorted(links.get(item_id, set()))} in the database but "
                f"{sorted(log.links)} by the custody log")))
        if row.sealed and row.status == "active":
            findings += _check_sealed(locker, row, keys.get(item_id, {}).get(log.owner), report)
    return findings


def _check_sealed(locker: Any, row: EvidenceItem, wrapped: EvidenceKey | None,
                  report: Report) -> list[Finding]:
    """A confidential item's sealed metadata must rebuild the metadata hash in the log."""
    subject = f"item {row.id} ({row.filename})"
    if wrapped is None:
        return []
    try:
        kek = locker.keys.kek(row.organisation_id, wrapped.kek_id)
    except EvidenceError as exc:
        report.notes.append(f"{subject}: sealed metadata not checked ({exc})")
        return []
    try:
        data_key = unwrap_key(kek, wrapped.wrapped_key, f"item:{row.id}".encode())
        sealed = json.loads(unseal(data_key, row.sealed or "", f"meta:{row.id}".encode()))
    except (InvalidTag, ValueError):
        return [Finding(subject, "its wrapped key or sealed metadata was altered (does not "
                                 "decrypt)")]
    full = {k: v for k, v in {**json.loads(row.metadata_json), **sealed}.items() if k != "sealed"}
    if sha256_hex(canonical_json(full)) != row.metadata_sha256:
        return [Finding(subject, "its sealed (encrypted) metadata differs from what was logged")]
    return []


def _check_blobs(locker: Any, logged: dict[int, LoggedItem], report: Report,
                 hash_blobs: bool) -> list[Finding]:
    findings = []
    on_disk = locker.store.all_blobs()
    live = {log.stored_sha256 for log in logged.values() if log.status == "active"}
    hashed = 0
    for item_id, log in sorted(logged.items()):
        subject = f"item {item_id} ({log.metadata.get('filename')})"
        path = locker.store.path_for(log.stored_sha256)
        if log.status == "deleted":
            if path.exists() and log.stored_sha256 not in live:
                findings.append(Finding(subject, "was deleted but its content is still stored"))
            continue
        if not path.exists():
            findings.append(Finding(subject, f"content is missing (blob {log.stored_sha256})"))
            continue
        if hash_blobs:
            actual = sha256_file(path)
            hashed += 1
            if actual != log.stored_sha256:
                findings.append(Finding(subject, (
                    f"content was altered or replaced: blob {log.stored_sha256} now hashes to "
                    f"{actual}")))
    for name in sorted(set(on_disk) - live - {log.stored_sha256 for log in logged.values()}):
        report.notes.append(f"blob {name} belongs to no item (an add interrupted before it "
                            "was recorded); it is left in place")
    report.checked["blobs hashed"] = hashed
    return findings


def _check_timestamps(session: Any, entries: Sequence[Entry], report: Report) -> list[Finding]:
    from tocsin.evidence.timestamp import TimestampError, verify_token

    findings = []
    by_seq = {e.seq: e for e in entries}
    expected_leaves: dict[str, str] = {}
    for entry in entries:
        body = entry.body
        if body.get("action") == "add":
            item = body["item"]
            expected_leaves[f"blob:{item}"] = body["details"]["stored_sha256"]
            expected_leaves[f"meta:{item}"] = body["details"]["metadata_sha256"]
    authorities = {a.name: a for a in session.scalars(select(TimestampAuthority)).all()}
    checkpoints = session.scalars(select(TimestampCheckpoint).order_by(TimestampCheckpoint.id)).all()
    stamped = 0
    for checkpoint in checkpoints:
        subject = f"checkpoint {checkpoint.id}"
        if merkle_root_hex(checkpoint.leaves) != checkpoint.root:
            findings.append(Finding(subject, "its Merkle root does not match its leaves"))
        for leaf in checkpoint.leaves:
            kind, _, rest = leaf.partition(":")
            key, _, value = rest.rpartition(":")
            if kind == "log":
                entry = by_seq.get(int(key))
                if entry is None or entry.entry_hash != value:
                    findings.append(Finding(subject, (
                        f"custody entry {key} changed or vanished after it was time-stamped")))
            elif expected_leaves.get(f"{kind}:{key}") != value:
                what = "content" if kind == "blob" else "metadata"
                findings.append(Finding(subject, (
                    f"item {key}'s {what} hash differs from what was time-stamped")))
        tokens = session.scalars(select(TimestampToken).where(
            TimestampToken.checkpoint_id == checkpoint.id)).all()
        for token in tokens:
            if token.status == "queued":
                report.notes.append(f"{subject}: time-stamp by {token.authority} still queued "
                                    f"({token.last_error or 'not sent yet'})")
                continue
            if token.status != "stamped" or token.token is None:
                continue
            authority = authorities.get(token.authority)
            try:
                info = verify_token(unb64(token.token), bytes.fromhex(checkpoint.root),
                                    ca_pem=authority.ca_pem if authority else None)
            except (TimestampError, ValueError) as exc:
                findings.append(Finding(f"time-stamp {token.id} ({token.authority}) of {subject}",
                                        str(exc)))
                continue
            stamped += 1
            if token.gen_time != info.gen_time:
                findings.append(Finding(f"time-stamp {token.id} ({token.authority})", (
                    f"its recorded time {token.gen_time} is not the token's {info.gen_time}")))
    report.checked["checkpoints"] = len(checkpoints)
    report.checked["time-stamps verified"] = stamped
    return findings
