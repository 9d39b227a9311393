"""`tocsin users` and `tocsin serve`: exit codes, messages, what they write."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.records.db import session_factory
from tocsin.records.models import User
from tocsin.web import auth

runner = CliRunner()


def tocsin(home: Path, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--home", str(home), *args], input=stdin)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    home = tmp_path / "ws"
    assert tocsin(home, "init").exit_code == 0
    return home


def test_users_password_and_token(home: Path) -> None:
    assert tocsin(home, "orgs", "add", "Darfur Network").exit_code == 0
    added = tocsin(home, "users", "add", "fatima", "--org", "Darfur Network", "--role", "monitor",
                   "--language", "ar")
    assert added.exit_code == 0, added.output
    with session_factory(f"sqlite:///{home / 'records.sqlite'}")() as db:
        assert auth.authenticate(db, "fatima", "a long enough password", "cli-test") is None
    set_password = tocsin(home, "users", "password", "fatima", "--password-stdin",
                          stdin="a long enough password\n")
    assert set_password.exit_code == 0, set_password.output
    token = tocsin(home, "users", "token", "fatima", "--name", "laptop").stdout.strip()
    assert token.startswith(auth.TOKEN_PREFIX)
    with session_factory(f"sqlite:///{home / 'records.sqlite'}")() as db:
        assert auth.token_principal(db, token).username == "fatima"
        principal = auth.authenticate(db, "fatima", "a long enough password", "cli-test")
        assert principal is not None and principal.language == "ar"
        assert db.scalar(select(User.password_hash).where(User.username == "fatima")).startswith("$argon2id$")
    revoked = tocsin(home, "users", "token", "fatima", "--name", "laptop", "--revoke")
    assert revoked.exit_code == 0 and "Revoked 1" in revoked.stdout
    with session_factory(f"sqlite:///{home / 'records.sqlite'}")() as db:
        assert auth.token_principal(db, token) is None


def test_users_password_refuses_bad_input(home: Path) -> None:
    assert tocsin(home, "orgs", "add", "O").exit_code == 0
    assert tocsin(home, "users", "add", "x", "--org", "O").exit_code == 0
    short = tocsin(home, "users", "password", "x", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    short_ar = tocsin(home, "--lang", "ar", "users", "password", "x", "--password-stdin", stdin="short\n")
    assert short_ar.exit_code == 1 and "تحتاج كلمة المرور إلى" in short_ar.output
    lookalike = tocsin(home, "--lang", "ar", "users", "add", "\u0445", "--org", "O")  # Cyrillic x
    assert lookalike.exit_code == 1 and "يشبه اسم المستخدم الموجود" in lookalike.output
    again = tocsin(home, "--lang", "ar", "orgs", "add", "O")
    assert again.exit_code == 1 and "توجد منظمة" in again.output and "exists" not in again.output
    nowhere = tocsin(home, "--lang", "ar", "users", "add", "y", "--org", "Elsewhere")
    assert nowhere.exit_code == 1 and "منظمة غير معروفة" in nowhere.output
    nobody = tocsin(home, "users", "password", "nobody", "--password-stdin", stdin="a long enough password\n")
    assert nobody.exit_code == 1 and "no user 'nobody'" in nobody.output
    assert tocsin(home, "users", "token", "nobody").exit_code == 1


def test_serve_and_users_need_a_workspace(tmp_path: Path) -> None:
    served = tocsin(tmp_path / "none", "serve", "--port", "8999")
    assert served.exit_code == 1 and "no Tocsin workspace" in served.output
    assert tocsin(tmp_path / "none", "users", "list").exit_code == 1


def test_serve_refuses_an_old_records_schema(home: Path) -> None:
    from tocsin.records.db import downgrade

    downgrade(f"sqlite:///{home / 'records.sqlite'}", "0001")
    served = tocsin(home, "serve", "--port", "8999")
    assert served.exit_code == 1 and "run `tocsin init`" in served.output


def test_serve_says_how_to_install_leaflet(home: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_WEB_VENDOR", str(tmp_path / "empty"))
    served = tocsin(home, "serve", "--port", "8999")
    assert served.exit_code == 1 and "make web-assets" in served.output
