"""Court bundles: self-describing, verifiable without the locker, and every alteration named."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from evidence_support import LockerSetup
from evidence_tsa import TestAuthority

from tocsin.evidence.bundle import export_bundle, verify_bundle
from tocsin.evidence.errors import EvidenceError
from tocsin.records.accounts import add_incident
from tocsin.records.db import session_factory

PHOTO = b"\xff\xd8\xff burnt houses in Ardamata" * 30
STATEMENT = b"statement of a survivor" * 40


def incident(setup: LockerSetup, user: str = "amira") -> int:
    with session_factory(setup.workspace.database_url)() as session, session.begin():
        return add_incident(session, username=user, title="Ardamata, November 2023",
                            category="attack_on_civilians",
                            occurred_from=dt.date(2023, 11, 4)).id


def exported(setup: LockerSetup, tmp_path: Path, authority: TestAuthority | None = None,
             user: str = "amira") -> tuple[Path, dict, int]:
    case = incident(setup)
    if authority is not None:
        setup.locker.add_authority("tsa", authority.url, authority.ca_pem)
    photo = setup.add(PHOTO, "ardamata.jpg", incidents=[case], lat=13.43, lon=22.47,
                      method="phone camera", description="houses burning")
    statement = setup.add(STATEMENT, "statement.txt", sensitivity="confidential",
                          incidents=[case], description="survivor, names withheld")
    setup.add(b"unrelated", "other.jpg")
    setup.locker.transfer(photo, user="amira", to_organisation="Sudan Archive", note="archive")
    redacted = setup.locker.redact(statement, setup.file("statement-redacted.txt", b"[redacted]"),
                                   user="badr", reason="protect the survivor",
                                   sensitivity="restricted")
    assert redacted.item_id
    out = tmp_path / "bundle.zip"
    result = export_bundle(setup.locker, case, out, user)
    return out, result, case


def test_a_bundle_carries_the_berkeley_protocol_fields_and_verifies(
        setup: LockerSetup, tmp_path: Path, authority: TestAuthority) -> None:
    out, result, case = exported(setup, tmp_path, authority)
    assert result["items"] == [1, 2, 4] and result["withheld"] == []
    report = verify_bundle(out)
    assert report.ok, report.findings
    assert report.checked["items"] == 3 and report.checked["time-stamps verified"] >= 1
    with zipfile.ZipFile(out) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        photo = manifest["items"][0]
        assert bundle.read(photo["file"]) == PHOTO
        assert bundle.read(manifest["items"][1]["file"]) == STATEMENT  # decrypted for the court
        log = bundle.read("custody/log.jsonl").decode().splitlines()
        names = set(bundle.namelist())
    assert manifest["incident"]["id"] == case
    assert photo["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert photo["collected_by"] == "Musa Adam" and photo["collection_method"] == "phone camera"
    assert photo["collected_at"] == "2024-05-10T14:30:00+00:00"
    assert photo["original_or_copy"] == "original" and photo["location"]["lat"] == 13.43
    assert [t["to"] for t in photo["transfers"]] == ["Sudan Archive"]
    assert manifest["items"][2]["original_or_copy"] == "copy: redaction of item 2"
    assert manifest["items"][1]["description"] == "survivor, names withheld"
    # The unrelated item's entry is in the chain, by hash only.
    other = [json.loads(line) for line in log if "payload" not in json.loads(line)]
    assert len(other) == 1 and other[0]["seq"] == 5
    assert "unrelated" not in "".join(log) and "other.jpg" not in "".join(log)
    assert {"README.txt", "manifest.sig", "keys/public_keys.json",
            "timestamps/tsa-ca.pem"} <= names
    with zipfile.ZipFile(out) as bundle:
        keys = json.loads(bundle.read("keys/public_keys.json"))
    assert {k["organisation"] for k in keys} == {"Darfur Witness Network", "Sudan Archive"}
    assert all(k["pem"].startswith("-----BEGIN PUBLIC KEY-----") for k in keys)


def test_items_the_exporter_may_not_open_are_withheld(setup: LockerSetup, tmp_path: Path) -> None:
    case = incident(setup)
    setup.add(PHOTO, "a.jpg", incidents=[case])
    secret = setup.add(STATEMENT, "s.txt", sensitivity="confidential", incidents=[case])
    result = export_bundle(setup.locker, case, tmp_path / "b.zip", "vera")
    assert result["items"] == [1]
    assert result["withheld"][0]["item_id"] == secret
    assert "confidential" in result["withheld"][0]["reason"]
    assert verify_bundle(tmp_path / "b.zip").ok
    with pytest.raises(EvidenceError, match="no evidence you may export"):
        export_bundle(setup.locker, incident(setup), tmp_path / "c.zip", "amira")


def rewrite(bundle: Path, change) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(bundle) as source:
        contents = {name: source.read(name) for name in source.namelist()}
    change(contents)
    with zipfile.ZipFile(bundle, "w") as target:
        for name, data in contents.items():
            target.writestr(name, data)


def first_item(contents: dict[str, bytes]) -> str:
    return json.loads(contents["manifest.json"])["items"][0]["file"]


def flip_item_byte(contents: dict[str, bytes]) -> None:
    name = first_item(contents)
    data = bytearray(contents[name])
    data[3] ^= 0x20
    contents[name] = bytes(data)


def edit_manifest(contents: dict[str, bytes]) -> None:
    manifest = json.loads(contents["manifest.json"])
    manifest["items"][0]["collected_by"] = "Someone Else"
    contents["manifest.json"] = json.dumps(manifest).encode()


def drop_log_line(contents: dict[str, bytes]) -> None:
    lines = contents["custody/log.jsonl"].decode().splitlines(keepends=True)
    contents["custody/log.jsonl"] = "".join(lines[:2] + lines[3:]).encode()


def swap_item_files(contents: dict[str, bytes]) -> None:
    items = json.loads(contents["manifest.json"])["items"]
    a, b = items[0]["file"], items[1]["file"]
    contents[a], contents[b] = contents[b], contents[a]


def add_a_file(contents: dict[str, bytes]) -> None:
    contents["items/99-planted.jpg"] = b"planted"


def forge_metadata_and_resign(contents: dict[str, bytes]) -> None:
    """Even a re-signed manifest (stolen key) cannot change what the log recorded."""
    manifest = json.loads(contents["manifest.json"])
    manifest["items"][0]["metadata"]["collector"] = "Someone Else"
    manifest["items"][0]["collected_by"] = "Someone Else"
    contents["manifest.json"] = json.dumps(manifest).encode()


@pytest.mark.parametrize(("change", "expected"), [
    (flip_item_byte, "item 1 (items/1-ardamata.jpg): file was altered or replaced"),
    (edit_manifest, "manifest.json: its signature (manifest.sig) does not verify"),
    (drop_log_line, "does not follow the entry before it"),
    (swap_item_files, "item 2 (items/2-statement.txt): file was altered or replaced"),
    (add_a_file, "items/99-planted.jpg: is in the bundle but not in its manifest"),
    (forge_metadata_and_resign, "its metadata in the manifest is not what was logged"),
])
def test_bundle_tampering_is_named(setup: LockerSetup, tmp_path: Path, change, expected: str) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = exported(setup, tmp_path)
    rewrite(out, change)
    report = verify_bundle(out)
    assert not report.ok
    assert any(expected in str(f) for f in report.findings), [str(f) for f in report.findings]


def test_a_file_that_is_not_a_bundle_is_named(tmp_path: Path) -> None:
    path = tmp_path / "not.zip"
    path.write_bytes(b"hello")
    assert [str(f) for f in verify_bundle(path).findings] == [
        f"{path}: is not a readable zip (File is not a zip file)"]
