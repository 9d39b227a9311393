"""The custody log: append-only entries, each hash-chained to the one before and signed.

An entry's ``payload`` is canonical JSON (seq, time, action, organisation, user, item,
details, key id). Its hash is ``sha256(canonical_json({"prev": prev_hash, "payload":
sha256(payload)}))``, so a bundle can leave out the payload of entries about other items
(keeping only their payload hash) and the chain still verifies end to end. The signature is
Ed25519 over the 32 bytes of the entry hash.

Which keys may sign is read from the log itself, not from the database: an organisation's first
key enters with a self-signed ``key_created`` entry, later keys with a ``key_rotated`` entry
signed by the key they replace. :func:`verify_chain` is pure: entries in, findings out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tocsin.evidence.crypto import canonical_json, sha256_hex, verify_signature

GENESIS = "0" * 64
FORMAT = "tocsin-custody/1"

ACTIONS = ("key_created", "key_rotated", "add", "view", "export", "redact", "transfer",
           "delete", "link",
           # legal assessments of incidents (tocsin.accountability.qualification)
           "assess", "sign_off")


@dataclass(frozen=True)
class Finding:
    """One thing that verification found wrong, naming exactly what."""

    subject: str  # "custody entry 5", "item 3 (photo.jpg)", "timestamp 2 (freetsa)"
    problem: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.problem}"

    def to_json(self) -> dict[str, str]:
        return {"subject": self.subject, "problem": self.problem}


@dataclass(frozen=True)
class Entry:
    seq: int
    prev_hash: str
    entry_hash: str
    key_id: str
    signature: str
    payload: str | None  # None: pruned (only its hash kept, in a bundle)
    payload_sha256: str

    @property
    def body(self) -> dict[str, Any]:
        if self.payload is None:
            return {}
        return dict(json.loads(self.payload))

    def to_json(self, *, pruned: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"seq": self.seq, "prev_hash": self.prev_hash,
                                "entry_hash": self.entry_hash, "key_id": self.key_id,
                                "signature": self.signature, "payload_sha256": self.payload_sha256}
        if not pruned and self.payload is not None:
            data["payload"] = self.payload
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        payload = data.get("payload")
        payload_hash = sha256_hex(payload.encode("utf-8")) if payload is not None \
            else str(data["payload_sha256"])
        return cls(int(data["seq"]), str(data["prev_hash"]), str(data["entry_hash"]),
                   str(data["key_id"]), str(data["signature"]), payload, payload_hash)


def chain_hash(prev_hash: str, payload_sha256: str) -> str:
    return sha256_hex(canonical_json({"prev": prev_hash, "payload": payload_sha256}))


def make_entry(seq: int, prev_hash: str, body: dict[str, Any], signer: Any) -> Entry:
    """Build and sign entry ``seq``; ``signer`` has ``key_id`` and ``sign(bytes) -> hex``."""
    payload = canonical_json({**body, "seq": seq, "key_id": signer.key_id,
                              "format": FORMAT}).decode("utf-8")
    payload_hash = sha256_hex(payload.encode("utf-8"))
    entry_hash = chain_hash(prev_hash, payload_hash)
    signature = signer.sign(bytes.fromhex(entry_hash))
    return Entry(seq, prev_hash, entry_hash, signer.key_id, signature, payload, payload_hash)


@dataclass
class KeyRing:
    """Keys the log itself introduced: key id -> (organisation id, public key hex)."""

    keys: dict[str, tuple[int, str]]
    current: dict[int, str]  # organisation id -> its newest key id

    @classmethod
    def empty(cls) -> KeyRing:
        return cls({}, {})


def verify_chain(entries: Sequence[Entry], ring: KeyRing | None = None,
                 label: str = "custody entry") -> tuple[list[Finding], KeyRing]:
    """Check order, hashes, links, key introductions and signatures of a whole log.

    Returns what is wrong (empty when all is well) and the keys the log introduced.
    """
    ring = ring or KeyRing.empty()
    findings: list[Finding] = []
    prev = GENESIS
    for position, entry in enumerate(entries, start=1):
        subject = f"{label} {entry.seq}"
        if entry.seq != position:
            findings.append(Finding(f"{label} at position {position}", (
                f"holds seq {entry.seq}, expected {position}: entries were deleted, inserted "
                "or reordered")))
        if entry.prev_hash != prev:
            findings.append(Finding(subject, (
                "does not follow the entry before it (its previous-hash link is broken): an "
                "entry before it was deleted, inserted, reordered or edited")))
        if entry.payload is not None:
            actual = sha256_hex(entry.payload.encode("utf-8"))
            if actual != entry.payload_sha256:  # pragma: no cover - from_json recomputes it
                findings.append(Finding(subject, "payload hash is wrong"))
        if chain_hash(entry.prev_hash, entry.payload_sha256) != entry.entry_hash:
            findings.append(Finding(subject, (
                "contents were edited: its hash no longer matches its payload")))
        body = entry.body
        if entry.payload is not None:
            try:
                findings += _check_body(subject, entry, body)
            except (KeyError, TypeError, ValueError) as exc:
                findings.append(Finding(subject, f"payload is malformed ({exc})"))
                body = {}
        findings += _check_signature(subject, entry, body, ring)
        prev = entry.entry_hash
    return findings, ring


def _check_body(subject: str, entry: Entry, body: dict[str, Any]) -> list[Finding]:
    findings = []
    if int(body["seq"]) != entry.seq:
        findings.append(Finding(subject, (
            f"holds the payload of entry {body['seq']}: entries were reordered or moved")))
    if body.get("key_id") != entry.key_id:
        findings.append(Finding(subject, (
            f"says it was signed by key {body.get('key_id')} but carries key {entry.key_id}")))
    if body.get("action") not in ACTIONS:
        findings.append(Finding(subject, f"unknown action {body.get('action')!r}"))
    return findings


def _check_signature(subject: str, entry: Entry, body: dict[str, Any],
                     ring: KeyRing) -> list[Finding]:
    message = bytes.fromhex(entry.entry_hash) if _is_hex64(entry.entry_hash) else b""
    action = body.get("action")
    org_id = (body.get("organisation") or {}).get("id")
    details = body.get("details") or {}
    if action == "key_created" and entry.key_id not in ring.keys:
        # A self-signed introduction, allowed only for an organisation without a key yet.
        public = str(details.get("public_key", ""))
        if not verify_signature(public, entry.signature, message):
            return [Finding(subject, "signature does not verify with the key it introduces")]
        if org_id in ring.current:
            return [Finding(subject, (
                f"introduces a second first key for organisation {org_id}: keys after the "
                "first must come by rotation, signed by the previous key"))]
        ring.keys[entry.key_id] = (int(org_id), public)
        ring.current[int(org_id)] = entry.key_id
        return []
    known = ring.keys.get(entry.key_id)
    if known is None:
        return [Finding(subject, f"signed by key {entry.key_id}, which the log never introduced")]
    signer_org, public = known
    if not verify_signature(public, entry.signature, message):
        return [Finding(subject, (
            f"signature does not verify with key {entry.key_id}: the signature was swapped or "
            "the entry forged"))]
    findings = []
    if org_id is not None and int(org_id) != signer_org:
        findings.append(Finding(subject, (
            f"acts for organisation {org_id} but is signed by organisation {signer_org}'s key")))
    if action == "key_rotated":
        new_id, new_public = str(details.get("new_key_id")), str(details.get("new_public_key"))
        ring.keys[new_id] = (signer_org, new_public)
        ring.current[signer_org] = new_id
    return findings


def _is_hex64(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def jsonl_line(entry: Entry) -> str:
    return canonical_json(entry.to_json()).decode("utf-8") + "\n"


def parse_jsonl(lines: Iterable[str], source: str) -> tuple[list[Entry], list[Finding]]:
    entries, findings = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entries.append(Entry.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            findings.append(Finding(f"{source} line {number}", f"is not a custody entry ({exc})"))
    return entries, findings
