"""Attack 3 of issue 14: forged bundles, caught by `verify-bundle` (with a pinned key where the
forgery is whole); malformed bundles named, not a traceback."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
from attacker import fresh_key
from evidence_support import LockerSetup, make_locker
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.evidence.bundle import export_bundle, verify_bundle
from tocsin.evidence.custody import Entry, jsonl_line, make_entry
from tocsin.evidence.heads import Witness
from tocsin.records.accounts import add_incident
from tocsin.records.db import session_factory

PHOTO = b"\xff\xd8\xff burnt houses in Ardamata" * 30


def bundle_of(setup: LockerSetup, out: Path, content: bytes = PHOTO) -> Path:
    with session_factory(setup.workspace.database_url)() as session, session.begin():
        case = add_incident(session, username="amira", title="Ardamata, November 2023",
                            category="attack_on_civilians",
                            occurred_from=dt.date(2023, 11, 4)).id
    item = setup.add(content, "ardamata.jpg", incidents=[case], lat=13.43, lon=22.47,
                     method="phone camera", description="houses burning")
    setup.locker.transfer(item, user="amira", to_organisation="Sudan Archive")
    export_bundle(setup.locker, case, out, "amira")
    return out


def read(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as source:
        return {name: source.read(name) for name in source.namelist()}


def write(bundle: Path, contents: dict[str, bytes]) -> None:
    with zipfile.ZipFile(bundle, "w") as target:
        for name, data in contents.items():
            target.writestr(name, data)


def fingerprint(bundle: Path, organisation: str) -> str:
    keys = json.loads(read(bundle)["keys/public_keys.json"])
    return next(k["key_id"] for k in keys if k["organisation"] == organisation)


def findings(bundle: Path, **pins: object) -> list[str]:
    report = verify_bundle(bundle, **pins)  # type: ignore[arg-type]
    assert not report.ok, "the forgery went unnoticed"
    return [str(f) for f in report.findings]


def test_an_edited_manifest_signed_by_a_made_up_organisation_is_named(
        plain: LockerSetup, tmp_path: Path) -> None:
    bundle = bundle_of(plain, tmp_path / "b.zip")
    contents = read(bundle)
    manifest = json.loads(contents["manifest.json"])
    item = manifest["items"][0]
    item["location"] = {**item["location"], "lat": 14.33}  # 100 km north
    item["description"] = "a military depot"
    item["collection_method"] = "satellite"
    item["custody"], item["transfers"] = [], []
    # A self-signed key for an organisation that never existed, appended to the log.
    lines = contents["custody/log.jsonl"].decode().splitlines(keepends=True)
    last = Entry.from_json(json.loads(lines[-1]))
    key = fresh_key()
    entry = make_entry(last.seq + 1, last.entry_hash, {
        "at": "2024-06-01T00:00:00+00:00", "action": "key_created",
        "organisation": {"id": 77, "name": "Independent Review Board"}, "user": "x",
        "item": None, "details": {"key_id": key.key_id, "public_key": key.public_hex}}, key)
    contents["custody/log.jsonl"] = "".join([*lines, jsonl_line(entry)]).encode()
    keys = json.loads(contents["keys/public_keys.json"])
    keys.append({"key_id": key.key_id, "organisation_id": 77,
                 "organisation": "Independent Review Board", "public_key": key.public_hex,
                 "pem": _pem(key.public_hex)})
    contents["keys/public_keys.json"] = json.dumps(keys).encode()
    manifest_bytes = json.dumps(manifest).encode()
    contents["manifest.json"] = manifest_bytes
    contents["manifest.sig"] = json.dumps({"key_id": key.key_id,
                                           "signature": key.sign(manifest_bytes)}).encode()
    write(bundle, contents)
    found = findings(bundle)
    assert any("manifest field(s) collection_method, custody, description, location, "
               "transfers differ" in f for f in found), found
    assert any(f"manifest.sig: is by key {key.key_id} of organisation 77, not the current key "
               "of the exporting organisation" in f for f in found), found
    assert any("entries were added or removed after the head was signed" in f
               for f in found), found


def test_a_bundle_forged_whole_with_fresh_keys_is_caught_by_the_pinned_key(
        plain: LockerSetup, tmp_path: Path) -> None:
    real = bundle_of(plain, tmp_path / "real.zip")
    pinned = fingerprint(real, "Darfur Witness Network")
    # The forger runs their own Tocsin with look-alike organisations, other bytes, new keys.
    forger = make_locker(tmp_path / "forger")
    try:
        forged = bundle_of(forger, tmp_path / "forged.zip", content=b"another picture" * 40)
    finally:
        forger.locker.close()
    alone = verify_bundle(forged)
    assert alone.ok and any("which you did not pin" in n for n in alone.notes)
    found = findings(forged, pins=[pinned])
    assert found == [f"manifest.sig: is by key {fingerprint(forged, 'Darfur Witness Network')}, "
                     f"which no pinned key ({pinned}) is or signed in: the bundle was not made "
                     "by the organisation you expect"]
    assert verify_bundle(real, pins=[pinned]).ok
    # The same pin, held by a witness.
    witness = Witness.init(tmp_path / "witness")
    witness.cosign(plain.locker.signed_head("amira"), pinned)
    assert findings(forged, witnesses=[witness])
    assert verify_bundle(real, witnesses=[witness]).ok


@pytest.fixture(scope="module")
def one_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real bundle for the malformation tests (each edits its own copy)."""
    import os

    saved = {k: os.environ.pop(k, None) for k in ("TOCSIN_DATABASE_URL", "TOCSIN_MASTER_KEY")}
    folder = tmp_path_factory.mktemp("bundle")
    made = make_locker(folder)
    try:
        return bundle_of(made, folder / "b.zip")
    finally:
        made.locker.close()
        for key, value in saved.items():
            if value is not None:
                os.environ[key] = value


def copy_of(bundle: Path, folder: Path) -> Path:
    import shutil

    return Path(shutil.copy(bundle, folder / "b.zip"))


def _pem(public_hex: str) -> str:
    from tocsin.evidence.bundle import _pem as pem

    return pem(public_hex)


@pytest.mark.parametrize(("part", "value", "message"), [
    ("manifest.json", b"[1, 2]", "manifest.json holds a list, expected a JSON object"),
    ("manifest.json", b"{not json", "manifest.json is not JSON"),
    ("manifest.sig", b"\xff\xfe", "manifest.sig is not JSON"),
    ("keys/public_keys.json", b"{}", "keys/public_keys.json holds a dict, expected a list"),
    ("custody/head.json", b"[]", "custody/head.json holds a list"),
])
def test_a_malformed_bundle_is_named_not_a_traceback(one_bundle: Path, tmp_path: Path,
                                                     part: str, value: bytes,
                                                     message: str) -> None:
    bundle = copy_of(one_bundle, tmp_path)
    contents = read(bundle)
    contents[part] = value
    write(bundle, contents)
    found = findings(bundle)
    assert any(message in f for f in found), found


@pytest.mark.parametrize("change", [
    lambda m: m.update(items="all of them"),
    lambda m: m["items"][0].pop("file"),
    lambda m: m["items"][0].update(item_id="1; DROP TABLE"),
    lambda m: m["items"][0].update(added_to_locker=None),
    lambda m: m.update(timestamps=[{"checkpoint": 1}]),
    lambda m: m.pop("created_by"),
])
def test_a_malformed_manifest_on_the_command_line_exits_1_with_a_message(
        one_bundle: Path, tmp_path: Path, change) -> None:  # type: ignore[no-untyped-def]
    bundle = copy_of(one_bundle, tmp_path)
    contents = read(bundle)
    manifest = json.loads(contents["manifest.json"])
    change(manifest)
    contents["manifest.json"] = json.dumps(manifest).encode()
    write(bundle, contents)
    result = CliRunner().invoke(app, ["evidence", "verify-bundle", str(bundle)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "TAMPERED" in result.output
