"""Signed tree heads of the custody log, and witnesses that hold them.

The custody log is a Merkle tree (RFC 9162) whose leaves are the entries' hashes, in order. A
*signed tree head* states "the log holds ``tree_size`` entries and their tree hashes to
``root_hash``", signed by one organisation's key (the one the log says is current) and
optionally time-stamped (RFC 3161). Anyone who keeps a head can later prove, from the log
alone, that the log still begins with what it saw (a fork or rewrite changes the root of the
first ``tree_size`` entries) and still holds at least as many entries (truncation and
rollback shrink it).

A *witness* is a folder kept outside the workspace (by another organisation, a lawyer, a
journalist): ``tocsin evidence witness cosign`` checks a new head against the last one it
holds (same log, signed by the pinned organisation key or one that key rotated to, and a
consistency proof that the new tree extends the old), cosigns it with the witness's own key
and appends it. ``tocsin evidence verify --witness DIR`` then fails on any fork, truncation
or rollback against any head the witness holds. See docs/methods/evidence.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from tocsin.evidence.crypto import (
    b64,
    canonical_json,
    key_id_for,
    public_key_hex,
    sha256_hex,
    unb64,
    verify_signature,
)
from tocsin.evidence.custody import (
    Entry,
    Finding,
    KeyRing,
    check_pins,
    key_ring,
    normalise_fingerprint,
)
from tocsin.evidence.errors import EvidenceError
from tocsin.evidence.merkle import MerkleTree, verify_consistency, verify_inclusion
from tocsin.lake import atomic_write_text, fsync_path

HEAD_FORMAT = "tocsin-tree-head/1"
WITNESS_FORMAT = "tocsin-witness/1"
# The signed part of a head; the rest (key history, proofs, time-stamps) proves itself.
_SIGNED = ("format", "log_id", "tree_size", "root_hash", "issued_at", "organisation",
           "key_id", "public_key")


def log_tree(entries: Sequence[Entry]) -> MerkleTree:
    """The custody log as a Merkle tree: leaf i is the 32 bytes of entry i+1's hash."""
    return MerkleTree([bytes.fromhex(e.entry_hash) for e in entries])


def log_id(entries: Sequence[Entry]) -> str:
    """A log's name: the hash of its first entry (a log rebuilt from the start has another)."""
    return entries[0].entry_hash if entries else "0" * 64


def signed_part(head: dict[str, Any]) -> bytes:
    return canonical_json({k: head[k] for k in _SIGNED})


def make_head(entries: Sequence[Entry], organisation: dict[str, Any], signer: Any,
              key_entries: Sequence[Entry], *, from_size: int | None = None) -> dict[str, Any]:
    """Sign the head of ``entries`` with ``signer`` (the organisation's current key);
    ``key_entries`` are the log's key entries, so a reader can follow the key's rotations
    from a fingerprint pinned earlier; ``from_size`` adds a consistency proof from that size."""
    if not entries:
        raise EvidenceError("the custody log is empty: there is no head to sign")
    tree = log_tree(entries)
    head: dict[str, Any] = {
        "format": HEAD_FORMAT, "log_id": log_id(entries), "tree_size": tree.size,
        "root_hash": tree.root().hex(),
        "issued_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "organisation": {"id": organisation["id"], "name": organisation["name"]},
        "key_id": signer.key_id, "public_key": signer.public_hex,
    }
    head["signature"] = signer.sign(signed_part(head))
    head["key_history"] = [e.to_json() for e in key_entries
                           if (e.body.get("organisation") or {}).get("id") == organisation["id"]]
    if from_size is not None:
        head["consistency"] = consistency(tree, from_size)
    return head


def consistency(tree: MerkleTree, from_size: int) -> dict[str, Any]:
    try:
        proof = tree.consistency_proof(from_size)
    except ValueError as exc:
        raise EvidenceError(f"--from-size {from_size}: {exc}") from exc
    return {"from_size": from_size, "from_root": tree.root(from_size).hex(),
            "proof": [p.hex() for p in proof]}


def inclusion(tree: MerkleTree, seq: int, size: int) -> dict[str, Any]:
    return {"seq": seq, "tree_size": size,
            "proof": [p.hex() for p in tree.inclusion_proof(seq - 1, size)]}


def check_inclusion(entry_hash: str, proof: dict[str, Any], root_hex: str) -> bool:
    try:
        return verify_inclusion(bytes.fromhex(entry_hash), int(proof["seq"]) - 1,
                                int(proof["tree_size"]), [bytes.fromhex(p) for p in proof["proof"]],
                                bytes.fromhex(root_hex))
    except (KeyError, TypeError, ValueError):
        return False


def head_problems(head: Any) -> list[str]:
    """What is wrong with a head on its own: shape, key id and signature."""
    if not isinstance(head, dict):
        return ["is not a JSON object"]
    missing = [k for k in (*_SIGNED, "signature") if k not in head]
    if missing:
        return [f"lacks {', '.join(missing)}"]
    if head["format"] != HEAD_FORMAT:
        return [f"has format {head['format']!r}, expected {HEAD_FORMAT}"]
    if not isinstance(head["tree_size"], int) or head["tree_size"] < 1 \
            or not isinstance(head["organisation"], dict) \
            or not isinstance(head["organisation"].get("id"), int) \
            or not all(isinstance(head[k], str) for k in ("log_id", "root_hash", "issued_at",
                                                          "key_id", "public_key", "signature")):
        return ["has a malformed field (tree_size, organisation, or a hash, key or time)"]
    try:
        if key_id_for(str(head["public_key"])) != head["key_id"]:
            return [f"names key {head['key_id']}, which is not its public key's fingerprint"]
    except ValueError:
        return ["holds a malformed public key"]
    if not verify_signature(str(head["public_key"]), str(head["signature"]), signed_part(head)):
        return ["its signature does not verify: the head was edited or forged"]
    return []


def head_ring(head: dict[str, Any]) -> tuple[KeyRing, list[str]]:
    """The publisher's keys as the head's key history introduces them (each entry checked)."""
    try:
        entries = [Entry.from_json(e) for e in head.get("key_history") or []]
    except (KeyError, TypeError, ValueError) as exc:
        return KeyRing.empty(), [f"its key history is malformed ({exc})"]
    ring, findings = key_ring(entries)
    problems = [str(f) for f in findings]
    known = ring.keys.get(str(head["key_id"]))
    if known is None or known != (int(head["organisation"]["id"]), head["public_key"]):
        problems.append(f"its key {head['key_id']} is not one its key history gives "
                        f"organisation {head['organisation'].get('name')}")
    return ring, problems


def read_head(path: Path) -> dict[str, Any]:
    try:
        head = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise EvidenceError(f"{path}: not a readable tree head ({exc})") from exc
    problems = head_problems(head)
    if problems:
        raise EvidenceError(f"{path}: the tree head {problems[0]}")
    return dict(head)


# -- witnesses ---------------------------------------------------------------------------------
@dataclass
class Witness:
    """A witness folder: its own key, the log it follows, the pinned publisher key, the
    cosigned heads (``heads.jsonl``, one per line, oldest first)."""

    folder: Path
    config: dict[str, Any]
    heads: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.config.get("name") or self.folder.name)

    @classmethod
    def init(cls, folder: Path, name: str | None = None) -> Witness:
        if (folder / "witness.json").exists():
            raise EvidenceError(f"{folder} is a witness already")
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        fd = os.open(folder / "witness-key.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"secret": b64(raw)}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        public = public_key_hex(private)
        config = {"format": WITNESS_FORMAT, "name": name or folder.name, "public_key": public,
                  "key_id": key_id_for(public), "log_id": None, "publisher": None}
        atomic_write_text(folder / "witness.json", json.dumps(config, indent=1))
        fsync_path(folder)
        return cls(folder, config)

    @classmethod
    def open(cls, folder: Path) -> Witness:
        try:
            config = json.loads((folder / "witness.json").read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise EvidenceError(f"{folder} is not a witness: run `tocsin evidence witness "
                                "init` there first") from exc
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise EvidenceError(f"{folder}/witness.json is unreadable ({exc})") from exc
        if not isinstance(config, dict) or not isinstance(config.get("public_key"), str):
            raise EvidenceError(f"{folder}/witness.json is not a witness's configuration")
        witness = cls(folder, config)
        path = folder / "heads.jsonl"
        if path.exists():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                try:
                    witness.heads.append(json.loads(line))
                except ValueError as exc:
                    raise EvidenceError(f"{path} line {number}: not a witnessed head "
                                        f"({exc})") from exc
        return witness

    def _sign(self, message: bytes) -> str:
        record = json.loads((self.folder / "witness-key.json").read_text(encoding="utf-8"))
        private = Ed25519PrivateKey.from_private_bytes(unb64(record["secret"]))
        return private.sign(message).hex()

    def cosign(self, head: dict[str, Any], org_key: str | None = None) -> dict[str, Any]:
        """Check ``head`` against what this witness holds; record and cosign it, or raise."""
        problems = head_problems(head)
        if problems:
            raise EvidenceError(f"the head {problems[0]}")
        ring, problems = head_ring(head)
        if problems:
            raise EvidenceError(f"the head {problems[0]}")
        publisher = self.config.get("publisher")
        pin = normalise_fingerprint(org_key) if org_key else None
        if publisher is None:
            first_key = ring.lineage(str(head["key_id"]))[-1]
            if pin is not None and pin not in ring.lineage(str(head["key_id"])):
                raise EvidenceError(f"the head is signed by key {head['key_id']}, which the "
                                    f"pinned key {pin} did not sign in")
            publisher = {"organisation": head["organisation"], "pinned_key": pin or first_key}
        else:
            if head["log_id"] != self.config["log_id"]:
                raise EvidenceError(
                    f"the head is of log {head['log_id'][:16]}…, but this witness follows log "
                    f"{self.config['log_id'][:16]}…: the log was rebuilt from its start (a fork)")
            if pin is not None and pin != publisher["pinned_key"]:
                raise EvidenceError(f"this witness pins key {publisher['pinned_key']}, not {pin}")
            findings = check_pins(ring, [publisher["pinned_key"]], "the head's key history")
            if findings or publisher["pinned_key"] not in ring.lineage(str(head["key_id"])):
                raise EvidenceError(
                    f"the head is signed by key {head['key_id']}, which the pinned key "
                    f"{publisher['pinned_key']} of {publisher['organisation'].get('name')} did "
                    "not sign in")
        if self.heads:
            self._check_extends(self.heads[-1]["head"], head)
        record = {"head": {k: head[k] for k in (*_SIGNED, "signature")},
                  "seen_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                  "witness_key_id": self.config["key_id"]}
        record["cosignature"] = self._sign(canonical_json(record["head"]))
        with open(self.folder / "heads.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        if self.config.get("publisher") is None:
            self.config |= {"log_id": head["log_id"], "publisher": publisher}
            atomic_write_text(self.folder / "witness.json", json.dumps(self.config, indent=1))
        self.heads.append(record)
        return record

    @staticmethod
    def _check_extends(old: dict[str, Any], new: dict[str, Any]) -> None:
        m, n = int(old["tree_size"]), int(new["tree_size"])
        if n < m:
            raise EvidenceError(f"the head holds {n} entries but this witness saw {m} (at "
                                f"{old['issued_at']}): the log was truncated or rolled back")
        if n == m:
            if new["root_hash"] != old["root_hash"]:
                raise EvidenceError(f"the head of {n} entries differs from the one this witness "
                                    "saw of the same size: the log was forked")
            return
        proof = new.get("consistency") or {}
        if proof.get("from_size") != m:
            raise EvidenceError(f"the head carries no consistency proof from {m} entries (the "
                                f"last head this witness holds): ask for "
                                f"`tocsin evidence head --from-size {m}`")
        try:
            ok = verify_consistency(m, n, bytes.fromhex(old["root_hash"]),
                                    bytes.fromhex(new["root_hash"]),
                                    [bytes.fromhex(p) for p in proof.get("proof", [])])
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise EvidenceError(f"the head of {n} entries does not extend the head of {m} this "
                                "witness holds: entries it saw were changed (a fork)")

    def verify_records(self) -> tuple[list[Finding], list[dict[str, Any]]]:
        """The witness's own folder checked: every head's signature and cosignature. Returns
        the findings and the heads that verify."""
        findings, good = [], []
        for number, record in enumerate(self.heads, 1):
            head = record.get("head") if isinstance(record, dict) else None
            if isinstance(head, dict) and not head_problems(head) and verify_signature(
                    str(self.config.get("public_key")), str(record.get("cosignature")),
                    canonical_json(head)):
                good.append(head)
                continue
            findings.append(Finding(f"witness {self.name} head {number}", (
                "its signature or the witness's cosignature does not verify: the witness "
                "folder was edited")))
        return findings, good


def check_against_witness(entries: Sequence[Entry], ring: KeyRing,
                          witness: Witness) -> tuple[list[Finding], str]:
    """Findings when the log is not a continuation of every head ``witness`` holds; and a
    note of what was checked."""
    findings, heads = witness.verify_records()
    if not heads:
        return findings, f"witness {witness.name} holds no head that verifies"
    subject = f"witness {witness.name}"
    if witness.config.get("log_id") not in (None, log_id(entries)):
        findings.append(Finding(subject, (
            f"follows a log whose first entry hashes to {witness.config['log_id'][:16]}…, but "
            f"this log's first entry hashes to {log_id(entries)[:16]}…: the log was rebuilt "
            "from its start (a fork)")))
    findings += check_heads(entries, heads, subject, "saw")
    publisher = witness.config.get("publisher") or {}
    if publisher.get("pinned_key"):
        findings += check_pins(ring, [publisher["pinned_key"]], "this custody log")
    return findings, (f"witness {witness.name}: {len(heads)} head(s) held, the latest of "
                      f"{heads[-1]['tree_size']} entries")


def check_heads(entries: Sequence[Entry], heads: Sequence[dict[str, Any]], subject: str,
                verb: str) -> list[Finding]:
    """Findings for each head the log does not continue: longer than the log (cut off or
    rolled back), or whose root the log's first entries no longer give (rewritten)."""
    tree = log_tree(entries)
    findings = []
    for head in heads:
        size = int(head["tree_size"])
        if size > tree.size:
            findings.append(Finding(subject, (
                f"{verb} a head of {size} entries (issued {head['issued_at']}), but this log "
                f"holds only {tree.size}: entries were cut off or the workspace was rolled back "
                "to an older copy")))
        elif tree.root(size).hex() != head["root_hash"]:
            findings.append(Finding(subject, (
                f"{verb} a head of {size} entries (issued {head['issued_at']}) whose tree hash "
                f"this log's first {size} entries no longer give: the log was rewritten (a "
                "fork)")))
    return findings


def timestamp_head(head: dict[str, Any], authorities: Sequence[Any],
                   timeout: float) -> list[str]:
    """RFC 3161 time-stamps of the head's signed part by each authority; returns what failed."""
    from tocsin.evidence.timestamp import TimestampError, request_token

    digest = bytes.fromhex(sha256_hex(signed_part(head)))
    stamps, failed = [], []
    for authority in authorities:
        try:
            der, info = request_token(authority.url, digest, ca_pem=authority.ca_pem,
                                      timeout=timeout)
        except TimestampError as exc:
            failed.append(f"{authority.name}: {exc}")
            continue
        stamps.append({"authority": authority.name, "gen_time": info.gen_time.isoformat(),
                       "token": b64(der)})
    head["timestamps"] = stamps
    return failed
