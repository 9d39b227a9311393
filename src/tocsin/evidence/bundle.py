"""Court bundles: one zip an investigator can verify without Tocsin's database.

Layout::

    manifest.json              what is inside, per item the Berkeley Protocol's fields
    manifest.sig               Ed25519 signature of manifest.json by the exporting organisation
    items/<id>-<name>          the files (decrypted for the exporter), byte for byte
    custody/log.jsonl          the whole custody log; entries about other items keep only hashes
    custody/head.json          the log's signed tree head (size, Merkle root) by the exporter
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
from tocsin.evidence.custody import (
    KEY_ACTIONS,
    Entry,
    Finding,
    KeyRing,
    check_pins,
    jsonl_line,
    parse_jsonl,
    verify_chain,
)
from tocsin.evidence.errors import EvidenceError
from tocsin.evidence.heads import check_inclusion, head_problems, inclusion, log_tree, make_head
from tocsin.evidence.merkle import merkle_root_hex
from tocsin.evidence.verify import Report, replay
from tocsin.i18n import Said
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
            raise EvidenceError(Said("locker.no_incident", incident_id=incident_id))
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
        nothing = "locker.nothing_to_export_withheld" if withheld else "locker.nothing_to_export"
        raise EvidenceError(Said(nothing, incident_id=incident_id, withheld=len(withheld)))
    bundle_id = uuid.uuid4().hex
    locker.record(actor, "export", None, {
        "bundle_id": bundle_id, "incident": incident_id, "items": exported,
        "withheld": [w["item_id"] for w in withheld]})
    locker.timestamp(timeout=5.0)  # a fresh time-stamp covering the export, when online

    out = Path(out)
    tmp = out.with_name(f".{out.name}.{bundle_id}.tmp")
    try:
        with locker.session() as session, zipfile.ZipFile(tmp, "w") as bundle:
            signer = locker.signer(session, actor.organisation_id)
            manifest = _write_contents(locker, session, bundle, incident, exported, withheld,
                                       actor, bundle_id, signer)
            manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2,
                                        sort_keys=True).encode("utf-8")
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
                    bundle_id: str, signer: Any) -> dict[str, Any]:
    entries = locker.db_entries(session)
    findings, _ = verify_chain(entries)
    if findings:  # the bundle's signed head vouches for the log: never over a broken one
        raise EvidenceError(Said("locker.verify_before_export", finding=findings[0]))
    head = make_head(entries, {"id": actor.organisation_id, "name": actor.organisation_name},
                     signer, [e for e in entries if e.body.get("action") in KEY_ACTIONS])
    tree = log_tree(entries)
    bundle.writestr("custody/head.json", json.dumps(head, indent=1, sort_keys=True),
                    zipfile.ZIP_DEFLATED)
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
        record = _berkeley(_facts(item), metadata, entries, name)
        added_in = record["added_to_locker"]["seq"]
        record["inclusion"] = inclusion(tree, added_in, tree.size)
        items.append(record)
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
        "head": "custody/head.json", "timestamps": timestamps,
    }


def _pem(public_hex: str) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _iso_date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _facts(item: EvidenceItem) -> dict[str, Any]:
    return {"item_id": item.id, "sha256": item.sha256, "size": item.size,
            "media_type": item.media_type, "sensitivity": item.sensitivity,
            "metadata_sha256": item.metadata_sha256}


def _berkeley(item: dict[str, Any], metadata: dict[str, Any], entries: Sequence[Entry],
              name: str) -> dict[str, Any]:
    """The Berkeley Protocol's chain-of-custody fields for one item, from its custody log
    (``item``: its id, hashes, size, media type and sensitivity). Verification rebuilds the
    same record from the bundle's log and compares every field."""
    history = []
    transfers = []
    for entry in entries:
        body = entry.body
        if body.get("item") != item["item_id"]:
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
        "item_id": item["item_id"], "file": name, "sha256": item["sha256"],
        "size": item["size"], "media_type": item["media_type"],
        "collected_by": metadata.get("collector"),
        "collected_at": metadata.get("captured_at"),
        "collection_method": metadata.get("capture_method"),
        "original_or_copy": "original" if metadata.get("original") else
        (f"copy: redaction of item {derived}" if derived else "copy"),
        "location": {k: metadata.get(k) for k in ("place_id", "place_name", "lat", "lon",
                                                  "location_from")},
        "source_url": metadata.get("source_url"), "description": metadata.get("description"),
        "embedded_metadata": metadata.get("embedded"),
        "sensitivity": item["sensitivity"],
        "added_to_locker": history[0] if history else None,
        "transfers": transfers, "custody": history,
        "metadata": metadata, "metadata_sha256": item["metadata_sha256"],
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
_REQUIRED = ("manifest.json", "manifest.sig", "custody/log.jsonl", "keys/public_keys.json")


class Malformed(Exception):
    """A bundle part is not what the format says; the message names the part and the field."""


def verify_bundle(path: Path, *, pins: Sequence[str] = (), witnesses: Sequence[Any] = ()) -> Report:
    """Check a bundle on its own; ``pins`` (key fingerprints) and ``witnesses`` (whose pinned
    key is taken) say which organisation must have made it: without them, a bundle forged
    whole with new keys cannot be told from a real one, and the report says so."""
    report = Report()
    try:
        bundle = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        report.findings.append(Finding(str(path), f"is not a readable zip ({exc})"))
        return report
    pins = [*pins, *(w.config["publisher"]["pinned_key"] for w in witnesses
                     if w.config.get("publisher"))]
    with bundle:
        try:
            _verify_contents(bundle, report, pins)
        except Malformed as exc:
            report.findings.append(Finding("bundle", f"is malformed: {exc}"))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError,
                zipfile.BadZipFile, UnicodeDecodeError) as exc:
            report.findings.append(Finding("bundle", (
                f"is malformed: {type(exc).__name__} {exc} (a field is missing or of the wrong "
                "type)")))
    return report


def _json_part(bundle: zipfile.ZipFile, name: str, kind: type) -> Any:
    try:
        value = json.loads(bundle.read(name))
    except ValueError as exc:
        raise Malformed(f"{name} is not JSON ({exc})") from exc
    if not isinstance(value, kind):
        raise Malformed(f"{name} holds a {type(value).__name__}, expected a "
                        f"{'list' if kind is list else 'JSON object'}")
    return value


def _check_shape(manifest: dict[str, Any]) -> None:
    for key, kind in (("items", list), ("withheld", list), ("timestamps", list),
                      ("created_by", dict), ("bundle_id", str)):
        if not isinstance(manifest.get(key), kind):
            raise Malformed(f"manifest.json field {key!r} is missing or not a "
                            f"{kind.__name__}")
    for number, item in enumerate(manifest["items"], 1):
        if not isinstance(item, dict):
            raise Malformed(f"manifest.json item {number} is not an object")
        for key, kind in (("item_id", int), ("file", str), ("sha256", str),
                          ("metadata", dict)):
            if not isinstance(item.get(key), kind):
                raise Malformed(f"manifest.json item {number} field {key!r} is missing or "
                                f"not a {kind.__name__}")


def _verify_contents(bundle: zipfile.ZipFile, report: Report, pins: Sequence[str]) -> None:
    names = set(bundle.namelist())
    for required in _REQUIRED:
        if required not in names:
            report.findings.append(Finding(required, "is missing from the bundle"))
    if report.findings:
        return
    manifest_bytes = bundle.read("manifest.json")
    manifest = _json_part(bundle, "manifest.json", dict)
    signature = _json_part(bundle, "manifest.sig", dict)
    public_keys = _json_part(bundle, "keys/public_keys.json", list)
    _check_shape(manifest)
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
    report.findings += _check_maker(manifest, manifest_bytes, signature, ring, pins, report)
    report.findings += _check_head(bundle, manifest, entries, ring, names, report)
    logged, replay_findings = replay(entries)
    report.findings += replay_findings
    report.findings += _check_export_entry(manifest, entries)
    expected = {*_REQUIRED, "README.txt", "custody/head.json"}
    for item in manifest["items"]:
        expected.add(item["file"])
        report.findings += _check_item(bundle, item, logged, entries, names)
    report.checked["items"] = len(manifest["items"])
    for checkpoint in manifest["timestamps"]:
        expected |= {t["token"] for t in checkpoint["tokens"]}
        expected |= {t["ca"] for t in checkpoint["tokens"] if t.get("ca")}
        report.findings += _check_checkpoint(bundle, checkpoint, entries, report)
    for extra in sorted(names - expected):
        report.findings.append(Finding(extra, "is in the bundle but not in its manifest"))


def _check_maker(manifest: dict[str, Any], manifest_bytes: bytes, signature: dict[str, Any],
                 ring: KeyRing, pins: Sequence[str], report: Report) -> list[Finding]:
    """The manifest must be signed by the exporting organisation's current key, and (when a
    key is pinned) by that key or one it signed in."""
    key_id = str(signature.get("key_id"))
    signer = ring.keys.get(key_id)
    if signer is None or not verify_signature(signer[1], str(signature.get("signature")),
                                              manifest_bytes):
        return [Finding("manifest.json", (
            "its signature (manifest.sig) does not verify: the manifest was edited or the "
            "signature replaced"))]
    findings = []
    maker = manifest["created_by"]
    if signer[0] != maker.get("organisation_id") or ring.current.get(signer[0]) != key_id:
        findings.append(Finding("manifest.sig", (
            f"is by key {key_id} of organisation {signer[0]}, not the current key of the "
            f"exporting organisation {maker.get('organisation')} ({maker.get('organisation_id')})")))
    if pins:
        trusted = [p for p in pins if p in ring.lineage(key_id)]
        if not trusted:
            findings.append(Finding("manifest.sig", (
                f"is by key {key_id}, which no pinned key ({', '.join(pins)}) is or signed in: "
                "the bundle was not made by the organisation you expect")))
        findings += check_pins(ring, trusted, "the bundle's custody log")
        report.notes.append(f"made by {maker.get('organisation')}, key {key_id} (pinned)")
    else:
        report.notes.append(
            f"made by {maker.get('organisation')} with key {key_id} (lineage "
            f"{' <- '.join(ring.lineage(key_id))}), which you did not pin: check that "
            "fingerprint against the one the organisation publishes, or pass --org-key")
    return findings


def _check_head(bundle: zipfile.ZipFile, manifest: dict[str, Any], entries: Sequence[Entry],
                ring: KeyRing, names: set[str], report: Report) -> list[Finding]:
    """The signed head inside must be the exporter's, over exactly this log."""
    if "custody/head.json" not in names:
        return [Finding("custody/head.json", "is missing: the bundle carries no signed head")]
    head = _json_part(bundle, "custody/head.json", dict)
    problems = head_problems(head)
    if problems:
        return [Finding("custody/head.json", problems[0])]
    findings = []
    if ring.keys.get(head["key_id"]) != (manifest["created_by"].get("organisation_id"),
                                         head["public_key"]):
        findings.append(Finding("custody/head.json", (
            "is not signed by the exporting organisation's key in the bundle's log")))
    tree = log_tree(entries)
    if head["tree_size"] != tree.size:
        findings.append(Finding("custody/head.json", (
            f"covers {head['tree_size']} entries but custody/log.jsonl holds {tree.size}: "
            "entries were added or removed after the head was signed")))
    elif tree.root().hex() != head["root_hash"]:
        findings.append(Finding("custody/head.json", (
            "its tree hash is not that of custody/log.jsonl: the log was rewritten")))
    report.checked["signed head entries"] = int(head["tree_size"])
    for item in manifest["items"]:
        added = (item.get("added_to_locker") or {}).get("seq")
        proof = item.get("inclusion") or {}
        entry = entries[added - 1] if isinstance(added, int) and 0 < added <= len(entries) \
            else None
        if entry is None or proof.get("seq") != added \
                or not check_inclusion(entry.entry_hash, proof, head["root_hash"]):
            findings.append(Finding(f"item {item['item_id']} ({item['file']})", (
                "its inclusion proof does not prove its add entry in the signed head")))
    return findings


def _check_export_entry(manifest: dict[str, Any], entries: Sequence[Entry]) -> list[Finding]:
    """The export entry of this bundle: who made it and what it holds, as signed in the log."""
    export = next((e.body for e in entries if e.body.get("action") == "export"
                   and (e.body.get("details") or {}).get("bundle_id") == manifest["bundle_id"]),
                  None)
    if export is None:
        return [Finding("manifest.json", (
            f"bundle {manifest['bundle_id']} has no export entry in its custody log"))]
    details = export.get("details") or {}
    wrong = []
    maker = manifest["created_by"]
    if maker.get("user") != export.get("user"):
        wrong.append("created_by.user")
    if maker.get("organisation_id") != (export.get("organisation") or {}).get("id") \
            or maker.get("organisation") != (export.get("organisation") or {}).get("name"):
        wrong.append("created_by.organisation")
    if (manifest.get("incident") or {}).get("id") != details.get("incident"):
        wrong.append("incident.id")
    if [i["item_id"] for i in manifest["items"]] != details.get("items"):
        wrong.append("items")
    if [w.get("item_id") for w in manifest["withheld"]] != details.get("withheld"):
        wrong.append("withheld")
    if wrong:
        return [Finding("manifest.json", (
            f"{', '.join(wrong)} differ from the export entry signed in the custody log"))]
    return []


def _check_item(bundle: zipfile.ZipFile, item: dict[str, Any], logged: dict[int, Any],
                entries: Sequence[Entry], names: set[str]) -> list[Finding]:
    subject = f"item {item.get('item_id')} ({item.get('file')})"
    if item["file"] not in names:
        return [Finding(subject, "its file is missing from the bundle")]
    digest = hashlib.sha256()
    with bundle.open(item["file"]) as handle:
        while chunk := handle.read(4 << 20):
            digest.update(chunk)
    findings = []
    log = logged.get(int(item["item_id"]))
    if log is None:
        return [Finding(subject, "no custody entry in the bundle adds it")]
    if digest.hexdigest() != log.metadata.get("sha256"):
        findings.append(Finding(subject, (
            f"file was altered or replaced: it hashes to {digest.hexdigest()}, the custody log "
            f"recorded {log.metadata.get('sha256')}")))
    if sha256_hex(canonical_json(item["metadata"])) != log.metadata_sha256:
        findings.append(Finding(subject, "its metadata in the manifest is not what was logged"))
        return findings
    facts = {"item_id": log.item_id, "metadata_sha256": log.metadata_sha256,
             **{k: item["metadata"].get(k) for k in ("sha256", "size", "media_type",
                                                     "sensitivity")}}
    expected = _berkeley(facts, item["metadata"], entries, item["file"])
    wrong = sorted(k for k in set(expected) | set(item) - {"inclusion"}
                   if k != "inclusion" and item.get(k) != expected.get(k))
    if wrong:
        findings.append(Finding(subject, (
            f"manifest field(s) {', '.join(wrong)} differ from what its signed custody log "
            "and metadata say")))
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


