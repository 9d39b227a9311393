"""Fuzzing the web API from its OpenAPI document (schemathesis): whatever a client sends, as
an analyst of one organisation, the server never answers 5xx. Bounded: a few examples per
operation, seconds in CI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from web_support import add_users

from tocsin.evidence.locker import EvidenceLocker
from tocsin.web.app import create_app
from tocsin.workspace import DATABASE_URL_ENV, Workspace

PHOTO = b"\x89PNG\r\n\x1a\n" + b"burnt market" * 20


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    """The app over an empty workspace with the web test users, keys, one item; an API token
    of an analyst."""
    import os

    from tocsin.records.db import session_factory
    from tocsin.web.auth import create_api_token

    saved = {k: os.environ.pop(k, None) for k in (DATABASE_URL_ENV, "TOCSIN_MASTER_KEY")}
    workspace = Workspace(tmp_path_factory.mktemp("fuzz") / "ws")
    workspace.init()
    add_users(workspace.database_url)
    locker = EvidenceLocker(workspace)
    locker.create_keys("adam")
    photo = Path(workspace.home / "photo.png")
    photo.write_bytes(PHOTO)
    import datetime as dt

    locker.add([photo], user="alice", collector="Musa Adam", sensitivity="restricted",
               captured_at=dt.datetime(2024, 5, 10, tzinfo=dt.UTC))
    locker.signed_head("adam")
    locker.close()
    sessions = session_factory(workspace.database_url)
    with sessions() as db:
        from sqlalchemy import select

        from tocsin.records.models import User

        token = create_api_token(db, db.scalar(select(User.id).where(User.username == "alice")),
                                 "fuzz")
    sessions.kw["bind"].dispose()
    app = create_app(workspace, database_url=workspace.database_url)
    yield app, token
    app.state.sessions.kw["bind"].dispose()
    if getattr(app.state, "evidence_locker", None) is not None:
        app.state.evidence_locker.close()
    for key, value in saved.items():
        if value is not None:
            os.environ[key] = value


def test_no_request_makes_the_server_fail(fuzzed) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import given

    app, token = fuzzed
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(operation.as_strategy())
        @settings(max_examples=4, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def call(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers={"authorization": f"Bearer {token}"},
                                   checks=[not_a_server_error])

        try:
            call()
        except Exception as exc:  # keep going: report every operation that failed
            failures.append(f"{operation.label}: {str(exc).splitlines()[0]}")
    assert operations >= 10
    assert failures == []
