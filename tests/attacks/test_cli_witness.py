"""The witness path on the command line: head, witness init/cosign, verify --witness, and
verify-bundle --org-key; a rollback refused and named with exit 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    monkeypatch.delenv("TOCSIN_MASTER_KEY", raising=False)
    monkeypatch.setenv("TOCSIN_HOME", str(tmp_path / "ws"))
    monkeypatch.setenv("TOCSIN_USER", "amira")
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (args, result.output)
        return result.output

    run("init")
    run("orgs", "add", "Darfur Witness Network")
    run("users", "add", "amira", "--org", "Darfur Witness Network", "--role", "admin")
    run("keys", "create")
    return run


def test_a_witness_on_the_command_line_catches_a_rollback(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "market.jpg"
    photo.write_bytes(b"\xff\xd8\xff market")
    cli("evidence", "add", str(photo), "--collector", "Musa Adam", "--captured-at",
        "2024-05-10T14:30Z", "--sensitivity", "restricted")
    key_id = json.loads(cli("keys", "list", "--json"))[0]["key_id"]
    witness = tmp_path / "witness"
    cli("evidence", "witness", "init", str(witness), "--name", "Sudan Archive")
    output = cli("evidence", "head", "--out", str(tmp_path / "h1.json"))
    assert "Signed head: 2 entries" in output
    assert "Cosigned head of 2 entries" in cli("evidence", "witness", "cosign", str(witness),
                                               str(tmp_path / "h1.json"), "--org-key", key_id)
    shutil.copytree(tmp_path / "ws", tmp_path / "backup")
    cli("evidence", "delete", "1", "--reason", "witness safety")
    cli("evidence", "head", "--from-size", "2", "--out", str(tmp_path / "h2.json"))
    cli("evidence", "witness", "cosign", str(witness), str(tmp_path / "h2.json"))
    proof = json.loads(cli("evidence", "proof", "2"))
    assert proof["tree_size"] == 3 and proof["proof"]
    assert "OK" in cli("evidence", "verify", "--witness", str(witness), "--org-key", key_id)

    shutil.rmtree(tmp_path / "ws")
    shutil.copytree(tmp_path / "backup", tmp_path / "ws")
    assert "OK" in cli("evidence", "verify")
    output = cli("evidence", "verify", "--witness", str(witness), code=1)
    assert "TAMPERED witness Sudan Archive: saw a head of 3 entries" in output
    assert "rolled back to an older copy" in output
    cli("evidence", "head", "--out", str(tmp_path / "old.json"))
    output = cli("evidence", "witness", "cosign", str(witness), str(tmp_path / "old.json"),
                 code=1)
    assert "truncated or rolled back" in output
    cli("evidence", "verify", "--org-key", "not-a-fingerprint", code=2)
