"""Court bundles: one zip an investigator can verify without Tocsin's database.

Layout::

    manifest.json              what is inside, per item the Berkeley Protocol's fields
    manifest.sig               Ed25519 signature of manifest.json by the exporting organisation
    items/<id>-<name>          the files (decrypted for the exporter), byte for byte
    custody/log.jsonl          the whole custody log; entries about other items keep only hashes
    keys/public_keys.json      every public key the log introduced
    timestamps/checkpoints.json, timestamps/*.tsr, timestamps/*-ca.pem   RFC 3161 evidence
    README.txt                 how to check it by hand (sha256sum, openssl ts -verify)

:func:`verify_bundle` recomputes all of it and names what does not hold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tocsin.evidence.crypto import (
    canonical_json,
    sha256_hex,
    unb64,
    verify_signature,
)
from tocsin.evidence.custody import Entry, Finding, jsonl_line, parse_jsonl, verify_chain
from tocsin.evidence.errors import EvidenceError
from tocsin.evidence.merkle import merkle_root_hex
from tocsin.evidence.verify import Report, replay
from tocsin.lake import fsync_path
from tocsin.records.evidence_models import (
    EvidenceItem,
    EvidenceLink,
    TimestampAuthority,
    TimestampCheckpoint,
    TimestampToken,
)
from tocsin.records.models import Incident

FORMAT = "tocsin-evidence-bundle/1"
KEY_ACTIONS = ("key_created", "key_rotated")

README = """Tocsin evidence bundle ({format})

manifest.json lists every item with who collected it, when, how, where, whether it is an
original or a copy, its SHA-256, and its custody (additions, transfers, views, redactions).
Check it without Tocsin:

1. Files: `sha256sum items/*` must print the sha256 of each item in manifest.json.
2. Custody log: custody/log.jsonl, one entry per line. entry_hash =
   SHA-256 of the canonical JSON {{"payload": SHA-256(payload), "prev": prev_hash}} (keys sorted,
   no spaces); each prev_hash is the entry_hash of the line before (the first is 64 zeros);
   signature = Ed25519 over the 32 bytes of entry_hash, with the key in keys/public_keys.json
   named by key_id. Entries about other items carry only payload_sha256.
3. manifest.sig: Ed25519 signature (hex) of the bytes of manifest.json.
4. Trusted time: timestamps/checkpoints.json holds Merkle roots (RFC 6962) over the log entries,
   blobs and metadata; each .tsr is an RFC 3161 token over the root's 32 bytes:
   `openssl ts -verify -digest ROOT_HEX -sha256 -in N.tsr -token_in -CAfile AUTHORITY-ca.pem`.
Or run: tocsin evidence verify-bundle THIS.zip
"""


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_bundle(locker: Any, incident_id: int, out: Path, user: str) -> dict[str, Any]:
    """Write the bundle of one incident's evidence to ``out`` (atomically); log the export."""

    with locker.session() as session:
        actor = locker.actor(session, user)
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise EvidenceError(f"no incident {incident_id}")
        item_ids = sorted(int(i) for i in session.scalars(select(EvidenceLink.item_id).where(
            EvidenceLink.kind == "incident", EvidenceLink.target == str(incident_id))).all())
        exported, withheld = [], []
        for item_id in item_ids:
            item = session.get(EvidenceItem, item_id)
            assert item is not None
            if item.status != "active":
                withheld.append({"item_id": item_id, "sha256": item.sha256,
                                 "reason": "deleted (its tombstone is in the custody log)"})
                continue
            try:
                locker.check_open(session, item, actor)
            except EvidenceError as exc:
                withheld.append({"item_id": item_id, "sha256": item.sha256, "reason": str(exc)})
                continue
            exported.append(item_id)
    if not exported:
        raise EvidenceError(f"incident {incident_id} has no evidence you may export"
                            + (f" ({len(withheld)} withheld)" if withheld else ""))
    bundle_id = uuid.uuid4().hex
    locker.record(actor, "export", None, {
        "bundle_id": bundle_id, "incident": incident_id, "items": exported,
        "withheld": [w["item_id"] for w in withheld]})
    locker.timestamp(timeout=5.0)  # a fresh time-stamp covering the export, when online

    out = Path(out)
    tmp = out.with_name(f".{out.name}.{bundle_id}.tmp")
    try:
        with locker.session() as session, zipfile.ZipFile(tmp, "w") as bundle:
            manifest = _write_contents(locker, session, bundle, incident, exported, withheld,
                                       actor, bundle_id)
            manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2,
                                        sort_keys=True).encode("utf-8")
            signer = locker.keys.signing_key(actor.organisation_id)
            bundle.writestr("manifest.json", manifest_bytes, zipfile.ZIP_DEFLATED)
            bundle.writestr("manifest.sig", json.dumps(
                {"key_id": signer.key_id, "signature": signer.sign(manifest_bytes)}),
                zipfile.ZIP_DEFLATED)
            bundle.writestr("README.txt", README.format(format=FORMAT), zipfile.ZIP_DEFLATED)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, out)
        fsync_path(out.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return {"bundle": str(out), "bundle_id": bundle_id, "items": exported,
            "withheld": withheld}


def _write_contents(locker: Any, session: Any, bundle: zipfile.ZipFile, incident: Incident,
                    exported: Sequence[int], withheld: Sequence[dict[str, Any]], actor: Any,
                    bundle_id: str) -> dict[str, Any]:
    entries = locker.db_entries(session)
    wanted = set(exported)
    log_lines = []
    for entry in entries:
        body = entry.body
        keep = (body.get("item") in wanted or body.get("action") in KEY_ACTIONS
                or (body.get("details") or {}).get("bundle_id") == bundle_id)
        log_lines.append(jsonl_line(Entry.from_json(entry.to_json(pruned=not keep))))
    bundle.writestr("custody/log.jsonl", "".join(log_lines), zipfile.ZIP_DEFLATED)

    _, ring = verify_chain(entries)
    org_names = {int(e.body["organisation"]["id"]): e.body["organisation"].get("name")
                 for e in entries if e.body.get("action") in KEY_ACTIONS}
    public_keys = [{"key_id": key_id, "organisation_id": org, "organisation": org_names.get(org),
                    "public_key": public, "pem": _pem(public)}
                   for key_id, (org, public) in sorted(ring.keys.items())]
    bundle.writestr("keys/public_keys.json", json.dumps(public_keys, indent=2),
                    zipfile.ZIP_DEFLATED)

    items = []
    for item_id in exported:
        item = session.get(EvidenceItem, item_id)
        # The export entry already records that these items left: no view entry per item.
        metadata = locker.metadata(item_id, actor.username, log_view=False) \
            if item.sensitivity == "confidential" else json.loads(item.metadata_json)
        name = f"items/{item_id}-{metadata['filename']}"
        entry = zipfile.ZipInfo(name, date_time=dt.datetime.now(dt.UTC).timetuple()[:6])
        with bundle.open(entry, "w", force_zip64=True) as sink:
            locker.open(item_id, actor.username, sink, log_view=False)
        items.append(_berkeley(item, metadata, entries, name))
    timestamps = _write_timestamps(session, bundle)
    return {
        "format": FORMAT, "bundle_id": bundle_id,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "created_by": {"user": actor.username, "organisation": actor.organisation_name,
                       "organisation_id": actor.organisation_id},
        "incident": {"id": incident.id, "title": incident.title, "category": incident.category,
                     "occurred_from": incident.occurred_from.isoformat(),
                     "occurred_to": _iso_date(incident.occurred_to),
                     "place_id": incident.place_id, "status": incident.status},
        "items": items, "withheld": list(withheld),
        "custody_log": "custody/log.jsonl", "public_keys": "keys/public_keys.json",
        "timestamps": timestamps,
    }


def _pem(public_hex: str) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _iso_date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _berkeley(item: EvidenceItem, metadata: dict[str, Any], entries: Sequence[Entry],
              name: str) -> dict[str, Any]:
    """The Berkeley Protocol's chain-of-custody fields for one item, from its custody log."""
    history = []
    transfers = []
    for entry in entries:
        body = entry.body
        if body.get("item") != item.id:
            continue
        who = {"user": body.get("user"), "organisation": (body.get("organisation") or {}).get("name")}
        history.append({"seq": entry.seq, "at": body.get("at"), "action": body.get("action"), **who})
        if body.get("action") == "transfer":
            details = body.get("details") or {}
            transfers.append({"seq": entry.seq, "at": body.get("at"), "from": who["organisation"],
                              "to": details["to_organisation"]["name"], "by": who["user"],
                              "note": details.get("note")})
    derived = metadata.get("derived_from")
    return {
        "item_id": item.id, "file": name, "sha256": item.sha256, "size": item.size,
        "media_type": item.media_type,
        "collected_by": metadata.get("collector"),
        "collected_at": metadata.get("captured_at"),
        "collection_method": metadata.get("capture_method"),
        "original_or_copy": "original" if metadata.get("original") else
        (f"copy: redaction of item {derived}" if derived else "copy"),
        "location": {k: metadata.get(k) for k in ("place_id", "place_name", "lat", "lon",
                                                  "location_from")},
        "source_url": metadata.get("source_url"), "description": metadata.get("description"),
        "embedded_metadata": metadata.get("embedded"),
        "sensitivity": item.sensitivity,
        "added_to_locker": history[0] if history else None,
        "transfers": transfers, "custody": history,
        "metadata": metadata, "metadata_sha256": item.metadata_sha256,
    }


def _write_timestamps(session: Any, bundle: zipfile.ZipFile) -> list[dict[str, Any]]:
    authorities = {a.name: a for a in session.scalars(select(TimestampAuthority)).all()}
    written_ca = set()
    checkpoints = []
    for checkpoint in session.scalars(select(TimestampCheckpoint)
                                      .order_by(TimestampCheckpoint.id)).all():
        tokens = []
        for token in session.scalars(select(TimestampToken).where(
                TimestampToken.checkpoint_id == checkpoint.id,
                TimestampToken.status == "stamped")).all():
            name = f"timestamps/{checkpoint.id}-{token.authority}.tsr"
            bundle.writestr(name, unb64(token.token or ""))
            ca_name = None
            authority = authorities.get(token.authority)
            if authority is not None and authority.ca_pem:
                ca_name = f"timestamps/{token.authority}-ca.pem"
                if ca_name not in written_ca:
                    bundle.writestr(ca_name, authority.ca_pem)
                    written_ca.add(ca_name)
            tokens.append({"authority": token.authority, "url": token.url,
                           "gen_time": _iso(token.gen_time), "token": name, "ca": ca_name})
        if tokens:
            checkpoints.append({"checkpoint": checkpoint.id, "root": checkpoint.root,
                                "head_seq": checkpoint.head_seq, "leaves": checkpoint.leaves,
                                "tokens": tokens})
    return checkpoints


# -- verification --------------------------------------------------------------------------
def verify_bundle(path: Path) -> Report:
    report = Report()
    try:
        bundle = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        report.findings.append(Finding(str(path), f"is not a readable zip ({exc})"))
        return report
    with bundle:
        names = set(bundle.namelist())
        for required in ("manifest.json", "manifest.sig", "custody/log.jsonl",
                         "keys/public_keys.json"):
            if required not in names:
                report.findings.append(Finding(required, "is missing from the bundle"))
        if report.findings:
            return report
        manifest_bytes = bundle.read("manifest.json")
        try:
            manifest = json.loads(manifest_bytes)
            signature = json.loads(bundle.read("manifest.sig"))
            public_keys = json.loads(bundle.read("keys/public_keys.json"))
        except ValueError as exc:
            report.findings.append(Finding("bundle", f"holds malformed JSON ({exc})"))
            return report
        entries, problems = parse_jsonl(bundle.read("custody/log.jsonl").decode("utf-8")
                                        .splitlines(), "custody/log.jsonl")
        report.findings += problems
        findings, ring = verify_chain(entries)
        report.findings += findings
        report.checked["custody entries"] = len(entries)

        listed = {k["key_id"]: (int(k["organisation_id"]), k["public_key"]) for k in public_keys}
        if listed != ring.keys or any(k.get("pem") != _pem(k["public_key"]) for k in public_keys):
            report.findings.append(Finding("keys/public_keys.json", (
                "differs from the keys the custody log introduced")))
        signer = ring.keys.get(str(signature.get("key_id")))
        if signer is None or not verify_signature(signer[1], str(signature.get("signature")),
                                                  manifest_bytes):
            report.findings.append(Finding("manifest.json", (
                "its signature (manifest.sig) does not verify: the manifest was edited or the "
                "signature replaced")))
        logged, replay_findings = replay(entries)
        report.findings += replay_findings
        expected = {"manifest.json", "manifest.sig", "README.txt", "custody/log.jsonl",
                    "keys/public_keys.json"}
        for item in manifest.get("items", []):
            expected.add(item["file"])
            report.findings += _check_item(bundle, item, logged, names)
        report.checked["items"] = len(manifest.get("items", []))
        for checkpoint in manifest.get("timestamps", []):
            expected |= {t["token"] for t in checkpoint["tokens"]}
            expected |= {t["ca"] for t in checkpoint["tokens"] if t.get("ca")}
            report.findings += _check_checkpoint(bundle, checkpoint, entries, report)
        for extra in sorted(names - expected):
            report.findings.append(Finding(extra, "is in the bundle but not in its manifest"))
    return report


def _check_item(bundle: zipfile.ZipFile, item: dict[str, Any], logged: dict[int, Any],
                names: set[str]) -> list[Finding]:
    subject = f"item {item.get('item_id')} ({item.get('file')})"
    if item["file"] not in names:
        return [Finding(subject, "its file is missing from the bundle")]
    digest = hashlib.sha256()
    with bundle.open(item["file"]) as handle:
        while chunk := handle.read(4 << 20):
            digest.update(chunk)
    findings = []
    if digest.hexdigest() != item["sha256"]:
        findings.append(Finding(subject, (
            f"file was altered or replaced: it hashes to {digest.hexdigest()}, the manifest "
            f"says {item['sha256']}")))
    log = logged.get(int(item["item_id"]))
    if log is None:
        return [*findings, Finding(subject, "no custody entry in the bundle adds it")]
    if sha256_hex(canonical_json(item["metadata"])) != log.metadata_sha256:
        findings.append(Finding(subject, "its metadata in the manifest is not what was logged"))
    if log.metadata.get("sha256") != item["sha256"]:
        findings.append(Finding(subject, "its sha256 in the manifest is not the logged one"))
    for field, key in (("collected_by", "collector"), ("collected_at", "captured_at")):
        if item.get(field) != item["metadata"].get(key):
            findings.append(Finding(subject, f"manifest field {field} contradicts its metadata"))
    return findings


def _check_checkpoint(bundle: zipfile.ZipFile, checkpoint: dict[str, Any],
                      entries: Sequence[Entry], report: Report) -> list[Finding]:
    from tocsin.evidence.timestamp import TimestampError, verify_token

    subject = f"checkpoint {checkpoint['checkpoint']}"
    findings = []
    leaves = checkpoint["leaves"]
    if merkle_root_hex(leaves) != checkpoint["root"]:
        findings.append(Finding(subject, "its Merkle root does not match its leaves"))
    by_seq = {e.seq: e.entry_hash for e in entries}
    logged, _ = replay(entries)
    for leaf in leaves:
        kind, _, rest = leaf.partition(":")
        key, _, value = rest.rpartition(":")
        if kind == "log" and by_seq.get(int(key)) != value:
            findings.append(Finding(subject, (
                f"custody entry {key} differs from the one that was time-stamped")))
        elif kind in ("blob", "meta") and int(key) in logged:
            item = logged[int(key)]
            if value != (item.stored_sha256 if kind == "blob" else item.metadata_sha256):
                findings.append(Finding(subject, (
                    f"item {key}'s {'content' if kind == 'blob' else 'metadata'} hash differs "
                    "from what was time-stamped")))
    for token in checkpoint["tokens"]:
        try:
            der = bundle.read(token["token"])
            ca = bundle.read(token["ca"]).decode("ascii") if token.get("ca") else None
            info = verify_token(der, bytes.fromhex(checkpoint["root"]), ca_pem=ca)
        except (KeyError, TimestampError, ValueError) as exc:
            findings.append(Finding(f"{token['token']} ({token['authority']})", str(exc)))
            continue
        report.checked["time-stamps verified"] = report.checked.get("time-stamps verified", 0) + 1
        if token.get("gen_time") != info.gen_time.isoformat():
            findings.append(Finding(token["token"], "its time in the manifest is not the token's"))
    return findings


