"""The command line's holes found by attack (issue 14): a message and exit 1 or 2, never a
traceback; and hypothesis over the options people type (bounded)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tocsin.cli.main import app

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    saved = {k: os.environ.pop(k, None) for k in ("TOCSIN_DATABASE_URL", "TOCSIN_MASTER_KEY",
                                                   "TOCSIN_USER")}
    folder = tmp_path_factory.mktemp("cli") / "ws"
    runner = CliRunner()
    for args in (["init"], ["orgs", "add", "Darfur Witness Network"],
                 ["users", "add", "amira", "--org", "Darfur Witness Network", "--role", "admin"],
                 ["keys", "create", "--as", "amira"]):
        result = runner.invoke(app, ["--home", str(folder), *args])
        assert result.exit_code == 0, result.output
    yield folder
    for key, value in saved.items():
        if value is not None:
            os.environ[key] = value


def run(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--home", str(home), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback for {args}: {result.exception!r}") from result.exception
    return result.exit_code, result.output


def blobs(home: Path) -> list[Path]:
    return [p for p in (home / "evidence" / "blobs").rglob("*") if p.is_file()] \
        if (home / "evidence" / "blobs").exists() else []


ADD = ("--collector", "Musa Adam", "--captured-at", "2024-05-10T14:30Z", "--sensitivity",
       "public", "--as", "amira")


def test_a_file_name_that_is_not_utf8_is_named_and_stores_nothing(home: Path,
                                                                 tmp_path: Path) -> None:
    name = os.fsdecode(b"photo-\xff\xfe.jpg")
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8\xff bytes")
    before = blobs(home)
    code, output = run(home, "evidence", "add", str(path), *ADD)
    assert code == 1 and "not valid UTF-8" in output
    assert blobs(home) == before  # no orphan blob


def test_a_path_too_long_for_the_system_is_named(home: Path, tmp_path: Path) -> None:
    code, output = run(home, "evidence", "add", str(tmp_path / ("a" * 5000)), *ADD)
    assert code == 1 and "error" in output.lower()


def test_a_one_line_csv_too_long_is_named_for_its_length_not_its_line_endings(
        home: Path, tmp_path: Path) -> None:
    header = (SAMPLE / "ucdp_ged241_darfur_api.csv").read_text().splitlines()[0]
    path = tmp_path / "ged.csv"
    with open(path, "wb") as handle:
        handle.write(header.encode() + b"\n1," + b"x" * 11_000_000 + b"\r\n")
    code, output = run(home, "ingest", "ucdp-ged", str(path))
    assert code == 1, output
    assert "line 2 is 11,000,00" in output and "mixes" not in output


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=40))
def test_any_capture_time_gives_a_message_not_a_traceback(home: Path, text: str) -> None:
    code, _ = run(home, "evidence", "add", str(home / "missing.jpg"), "--collector", "M",
                  "--captured-at", text, "--sensitivity", "public", "--as", "amira")
    assert code in (1, 2)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=70))
def test_any_key_fingerprint_gives_a_message_not_a_traceback(home: Path, text: str) -> None:
    code, _ = run(home, "evidence", "verify", "--quick", "--org-key", text)
    assert code in (1, 2)


@pytest.fixture(scope="module")
def witness(home: Path) -> Path:
    folder = home.parent / "witness"
    assert run(home, "evidence", "witness", "init", str(folder))[0] == 0
    return folder


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.binary(max_size=300),
                 st.recursive(st.none() | st.integers() | st.text(max_size=20),
                              lambda inner: st.lists(inner, max_size=4)
                              | st.dictionaries(st.sampled_from(
                                  ["format", "tree_size", "root_hash", "key_id", "public_key",
                                   "signature", "organisation", "log_id", "issued_at"]),
                                  inner, max_size=9), max_leaves=12)
                 .map(lambda value: json.dumps(value).encode())))
def test_any_bytes_as_a_bundle_or_a_head_give_a_message(home: Path, witness: Path,
                                                        tmp_path_factory,  # type: ignore[no-untyped-def]
                                                        data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "thing.zip"
    path.write_bytes(data)
    assert run(home, "evidence", "verify-bundle", str(path))[0] == 1
    assert run(home, "evidence", "witness", "cosign", str(witness), str(path))[0] == 1
