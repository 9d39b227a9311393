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
from dataclasses import dataclass, field
from typing import Any

from tocsin.evidence.crypto import canonical_json, key_id_for, sha256_hex, verify_signature

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
    # key id -> the key that signed it in (None: a self-signed first key)
    introduced_by: dict[str, str | None] = field(default_factory=dict)
    # organisation id -> the key-encryption key id its newest key entry names
    kek: dict[int, str] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> KeyRing:
        return cls({}, {})

    def lineage(self, key_id: str) -> list[str]:
        """The key and every key that signed it in, back to its organisation's first key."""
        chain = [key_id]
        while (parent := self.introduced_by.get(chain[-1])) is not None and parent not in chain:
            chain.append(parent)
        return chain


def normalise_fingerprint(text: str) -> str:
    """A key fingerprint as given by a person: its key id (32 hex digits) or the full SHA-256
    of the public key (64), with or without colons or spaces; returned as the key id."""
    clean = text.strip().lower().replace(":", "").replace(" ", "")
    if clean.startswith("sha256"):
        clean = clean[6:]
    if len(clean) not in (32, 64) or any(c not in "0123456789abcdef" for c in clean):
        raise ValueError(f"{text!r} is not a key fingerprint (32 or 64 hex digits)")
    return clean[:32]


def check_pins(ring: KeyRing, pins: Iterable[str], where: str) -> list[Finding]:
    """Findings when a pinned organisation key is not trusted by ``ring``: the pinned key must
    be in the log, and every key of its organisation must descend from it by signed rotation
    (or be one it descends from). A new first key for the organisation, or a key brought in
    by anyone else, is named."""
    findings = []
    for pin in pins:
        known = ring.keys.get(pin)
        if known is None:
            findings.append(Finding(f"pinned key {pin}", (
                f"is not in {where}: the organisation's keys were replaced (the log was "
                "rebuilt with keys you do not trust)")))
            continue
        org = known[0]
        ancestors = set(ring.lineage(pin))
        for key_id, (key_org, _) in sorted(ring.keys.items()):
            if key_org != org or key_id in ancestors:
                continue
            if pin not in ring.lineage(key_id):
                findings.append(Finding(f"signing key {key_id}", (
                    f"claims organisation {org} but was not signed in by its pinned key {pin} "
                    "or a key that key introduced")))
    return findings


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


KEY_ACTIONS = ("key_created", "key_rotated")


def key_ring(entries: Iterable[Entry]) -> tuple[KeyRing, list[Finding]]:
    """The keys the log's key entries introduce, checking only those entries (their hash and
    signature): cheap enough for every write, which must sign with the key the log says is
    current, not with one a file names."""
    ring = KeyRing.empty()
    findings: list[Finding] = []
    for entry in entries:
        body = entry.body
        if body.get("action") not in KEY_ACTIONS:
            continue
        subject = f"custody entry {entry.seq}"
        if chain_hash(entry.prev_hash, entry.payload_sha256) != entry.entry_hash \
                or body.get("key_id") != entry.key_id:
            findings.append(Finding(subject, "contents were edited: its hash no longer matches"))
            continue
        findings += _check_signature(subject, entry, body, ring)
    return ring, findings


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
        if key_id_for_hex(public) != entry.key_id:
            return [Finding(subject, (
                f"introduces key {entry.key_id}, which is not the fingerprint of its public key: "
                "a key id must name its key"))]
        if org_id in ring.current:
            return [Finding(subject, (
                f"introduces a second first key for organisation {org_id}: keys after the "
                "first must come by rotation, signed by the previous key"))]
        ring.keys[entry.key_id] = (int(org_id), public)
        ring.current[int(org_id)] = entry.key_id
        ring.introduced_by[entry.key_id] = None
        if details.get("kek_id"):
            ring.kek[int(org_id)] = str(details["kek_id"])
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
        if key_id_for_hex(new_public) != new_id:
            return [*findings, Finding(subject, (
                f"rotates to key {new_id}, which is not the fingerprint of its public key"))]
        ring.keys[new_id] = (signer_org, new_public)
        ring.current[signer_org] = new_id
        ring.introduced_by[new_id] = entry.key_id
        if details.get("kek_id"):
            ring.kek[signer_org] = str(details["kek_id"])
    return findings


def key_id_for_hex(public_hex: str) -> str | None:
    try:
        return key_id_for(public_hex)
    except ValueError:
        return None


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
