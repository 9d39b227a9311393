"""The web app's holes found by attack (issue 14), each refused by the server."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from web_support import PASSWORD, add_users, form_token, log_in

from tocsin.evidence.locker import EvidenceLocker
from tocsin.records.db import make_engine
from tocsin.records.evidence_models import CustodyEntry
from tocsin.records.models import LoginAttempt
from tocsin.web import auth
from tocsin.web.app import create_app
from tocsin.web.routes import evidence as evidence_routes
from tocsin.workspace import DATABASE_URL_ENV, Workspace

PHOTO = b"\x89PNG\r\n\x1a\n" + b"burnt market, El Fasher" * 20
STATIC = Path(__file__).resolve().parents[2] / "src" / "tocsin" / "web" / "static"


@pytest.fixture
def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Workspace, object]]:
    """An empty workspace (SQLite records in it), the web test users, keys for both
    organisations, and the app."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv("TOCSIN_MASTER_KEY", raising=False)
    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    add_users(workspace.database_url)
    locker = EvidenceLocker(workspace)
    locker.create_keys("adam")
    locker.create_keys("sara")
    locker.close()
    app = create_app(workspace, database_url=workspace.database_url, credential_cache_seconds=0)
    yield workspace, app
    app.state.sessions.kw["bind"].dispose()
    if getattr(app.state, "evidence_locker", None) is not None:
        app.state.evidence_locker.close()


def client_of(app: object, host: str = "testclient") -> TestClient:
    return TestClient(app, base_url="https://testserver", client=(host, 50000))  # type: ignore[arg-type]


def count(workspace: Workspace, query: sa.Select) -> int:  # type: ignore[type-arg]
    engine = make_engine(workspace.database_url)
    with engine.connect() as connection:
        value = connection.scalar(query)
    engine.dispose()
    return int(value or 0)


def upload(client: TestClient, csrf: str, sensitivity: str, name: str = "market.png",
           content: bytes = PHOTO, captured_at: str = "2024-05-10T14:30") -> object:
    return client.post("/evidence", files={"file": (name, content, "image/png")},
                       data={"sensitivity": sensitivity, "captured_at": captured_at,
                             "collector": "Musa Adam", "csrf_token": csrf},
                       follow_redirects=False)


def item_of(response: object) -> int:
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    return int(response.headers["location"].rsplit("/", 1)[1])  # type: ignore[attr-defined]


# -- logins ---------------------------------------------------------------------------------------
def test_simultaneous_logins_never_fail_with_a_locked_database(web) -> None:  # type: ignore[no-untyped-def]
    workspace, app = web
    clients = [client_of(app, f"198.51.100.{n}") for n in range(8)]
    pages = [c.get("/login") for c in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    errors: list[BaseException] = []

    def attempt(n: int) -> None:
        start.wait()
        password = PASSWORD if n % 2 else "wrong wrong wrong"
        try:
            response = clients[n].post("/login", data={
                "username": "alice", "password": password,
                "csrf_token": form_token(pages[n].text)}, follow_redirects=False)
        except BaseException as exc:  # a 500 raises in the test client
            errors.append(exc)
        else:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(statuses) == [303] * 4 + [401] * 4
    assert count(workspace, sa.select(sa.func.count()).select_from(LoginAttempt)) == 8


def test_guessing_from_one_client_does_not_lock_the_real_user_out(web) -> None:  # type: ignore[no-untyped-def]
    _, app = web
    attacker = client_of(app, "203.0.113.66")
    for _ in range(auth.MAX_FAILURES_PER_CLIENT_AND_USERNAME):
        page = attacker.get("/login")
        assert attacker.post("/login", data={"username": "alice", "password": "guess guess",
                                             "csrf_token": form_token(page.text)}).status_code == 401
    page = attacker.get("/login")
    blocked = attacker.post("/login", data={"username": "alice", "password": PASSWORD,
                                            "csrf_token": form_token(page.text)})
    assert blocked.status_code == 429 and 0 < int(blocked.headers["retry-after"]) <= 31
    log_in(client_of(app, "192.0.2.10"), "alice")  # the real user, elsewhere, gets in


def test_a_password_change_ends_sessions_and_tokens(web) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from tocsin.cli.main import app as cli

    workspace, app = web
    browser = client_of(app)
    csrf = log_in(browser, "alice")
    token = browser.post("/api/v1/tokens", params={"name": "script"},
                         headers={"x-csrf-token": csrf}).json()["token"]
    script = client_of(app, "192.0.2.20")
    bearer = {"authorization": f"Bearer {token}"}
    assert script.get("/api/v1/me", headers=bearer).status_code == 200
    result = CliRunner().invoke(cli, ["--home", str(workspace.home), "users", "password",
                                      "alice", "--password-stdin"],
                                input="a brand new passphrase\n")
    assert result.exit_code == 0, result.output
    assert browser.get("/api/v1/me").status_code == 401
    assert script.get("/api/v1/me", headers=bearer).status_code == 401


def test_a_token_cannot_mint_tokens(web) -> None:  # type: ignore[no-untyped-def]
    _, app = web
    browser = client_of(app)
    csrf = log_in(browser, "alice")
    token = browser.post("/api/v1/tokens", params={"name": "leaked"},
                         headers={"x-csrf-token": csrf}).json()["token"]
    minted = client_of(app, "192.0.2.30").post("/api/v1/tokens", params={"name": "child"},
                                               headers={"authorization": f"Bearer {token}"})
    assert minted.status_code == 403 and "cannot create tokens" in minted.json()["detail"]


def test_look_alike_user_names_are_refused(web) -> None:  # type: ignore[no-untyped-def]
    from tocsin.records.accounts import RecordError, add_user
    from tocsin.records.db import session_factory

    workspace, app = web
    sessions = session_factory(workspace.database_url)
    with sessions() as db:
        add_user(db, "analyst-a", "Darfur Network", "analyst")
        for look_alike in ("analyst\u2010a", "ANALYST-A", "аnalyst-a", "analyst_a"):
            with pytest.raises(RecordError, match=r"looks like|exists|HYPHEN"):
                add_user(db, look_alike, "Darfur Network", "analyst")
        with pytest.raises(RecordError, match="ZERO WIDTH"):
            add_user(db, "ana\u200blyst", "Darfur Network", "analyst")
        assert add_user(db, "ａｍｉｎａ", "Darfur Network", "viewer").username == "amina"  # NFKC
    sessions.kw["bind"].dispose()
    admin = client_of(app)
    csrf = log_in(admin, "adam")
    refused = admin.post("/admin/users", data={"username": "alice\u2010", "password": PASSWORD,
                                               "csrf_token": csrf})
    assert refused.status_code == 422
    refused = admin.post("/admin/users", data={"username": "ALICE", "password": PASSWORD,
                                               "csrf_token": csrf})
    assert refused.status_code == 409


# -- evidence -------------------------------------------------------------------------------------
def test_missing_and_forbidden_items_answer_alike(web) -> None:  # type: ignore[no-untyped-def]
    _, app = web
    owner = client_of(app)
    secret = item_of(upload(owner, log_in(owner, "alice"), "confidential", "statement_Amina.png"))
    other = client_of(app, "192.0.2.40")
    log_in(other, "bashir")  # another organisation
    for item in (secret, 999_999):
        for method, path in (("GET", f"/evidence/{item}"), ("GET", f"/evidence/{item}/content"),
                             ("GET", f"/api/v1/evidence/{item}"),
                             ("POST", f"/api/v1/evidence/{item}/content")):
            response = other.request(method, path)
            assert response.status_code == 404, (method, path, item)
    page = owner.get(f"/evidence/{secret}")
    assert "statement_Amina" not in page.text.split("<title>")[1].split("</title>")[0]


def test_logged_views_need_a_post_and_a_bounded_purpose(web) -> None:  # type: ignore[no-untyped-def]
    workspace, app = web
    owner = client_of(app)
    csrf = log_in(owner, "alice")
    item = item_of(upload(owner, csrf, "restricted"))
    views = sa.select(sa.func.count()).select_from(CustodyEntry).where(
        CustodyEntry.action == "view")
    before = count(workspace, views)
    # A cross-site top-level navigation is a GET with the cookie: it must log nothing.
    assert owner.get(f"/evidence/{item}/content").status_code == 403
    assert owner.get(f"/api/v1/evidence/{item}/content?purpose=x").status_code == 405
    too_long = owner.post(f"/api/v1/evidence/{item}/content", data={"purpose": "x" * 60_000},
                          headers={"x-csrf-token": csrf})
    assert too_long.status_code == 422
    assert owner.post(f"/api/v1/evidence/{item}/content", data={"purpose": "review"}) \
        .status_code == 403  # no CSRF token
    assert count(workspace, views) == before
    ok = owner.post(f"/api/v1/evidence/{item}/content", data={"purpose": "case review"},
                    headers={"x-csrf-token": csrf})
    assert ok.status_code == 200 and ok.content == PHOTO
    assert count(workspace, views) == before + 1


def test_ids_and_dates_out_of_range_are_422(web) -> None:  # type: ignore[no-untyped-def]
    _, app = web
    owner = client_of(app)
    csrf = log_in(owner, "alice")
    for path in (f"/api/v1/evidence/{2**63}", f"/api/v1/evidence/{2**64 + 5}",
                 "/api/v1/evidence/0"):
        assert owner.get(path).status_code == 422, path
    assert owner.post(f"/api/v1/alerts/{2**63}/ack", headers={"x-csrf-token": csrf}) \
        .status_code == 422
    response = upload(owner, csrf, "public", captured_at="0001-01-01T00:00+14:00")
    assert response.status_code == 422 and "outside the years" in response.text  # type: ignore[attr-defined]


def test_confidential_uploads_never_touch_disk_in_clear(web, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    _, app = web
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    seen: list[str] = []
    real_add = EvidenceLocker.add

    def spying_add(self, files, **kwargs):  # type: ignore[no-untyped-def]
        seen.extend(str(p) for p in scratch.rglob("*"))  # what a crash now would leave
        return real_add(self, files, **kwargs)

    monkeypatch.setattr(EvidenceLocker, "add", spying_add)
    owner = client_of(app)
    item_of(upload(owner, log_in(owner, "alice"), "confidential", "statement_Amina.png"))
    assert seen == [] and list(scratch.iterdir()) == []


def test_the_upload_limit_holds_before_the_body_is_read(web, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _, app = web
    monkeypatch.setattr(evidence_routes, "MAX_UPLOAD_BYTES", 4096)
    owner = client_of(app)
    csrf = log_in(owner, "alice")
    big = upload(owner, csrf, "public", content=b"\x89PNG" + b"x" * (2 << 20))
    assert big.status_code == 413  # type: ignore[attr-defined]
    over = upload(owner, csrf, "public", content=b"\x89PNG" + b"x" * 8000)  # under the form limit
    assert over.status_code == 413  # type: ignore[attr-defined]


def test_large_downloads_are_streamed(web) -> None:  # type: ignore[no-untyped-def]
    import tracemalloc

    workspace, app = web
    big = workspace.home / "video.mp4"
    size = 40 << 20
    with open(big, "wb") as handle:
        for _ in range(size >> 20):
            handle.write(os.urandom(1 << 20))
    locker = EvidenceLocker(workspace)
    import datetime as dt

    item = locker.add([big], user="alice", collector="Musa Adam", sensitivity="restricted",
                      captured_at=dt.datetime(2024, 5, 10, tzinfo=dt.UTC))[0].item_id
    locker.close()
    owner = client_of(app)
    csrf = log_in(owner, "alice")
    tracemalloc.start()
    received = 0
    with owner.stream("POST", f"/api/v1/evidence/{item}/content", data={"purpose": "review"},
                      headers={"x-csrf-token": csrf}) as response:
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            received += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert received == size
    assert peak < size // 2, f"peak {peak >> 20} MiB for a {size >> 20} MiB download"


def test_the_database_mirror_and_blobs_are_private(web) -> None:  # type: ignore[no-untyped-def]
    workspace, app = web
    owner = client_of(app)
    item_of(upload(owner, log_in(owner, "alice"), "restricted"))
    evidence = workspace.home / "evidence"
    files = [Path(workspace.database_url.removeprefix("sqlite:///")), evidence / "custody.jsonl",
             *[p for p in (evidence / "blobs").rglob("*") if p.is_file()]]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in (evidence, evidence / "blobs", *[p for p in (evidence / "blobs").rglob("*")
                                                   if p.is_dir()]):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_area_names_are_tooltips_as_text_not_html() -> None:
    source = (STATIC / "map.js").read_text()
    call = source[source.index("bindTooltip("):].split(")", 1)[0]
    assert call.startswith("bindTooltip(label"), call
    assert "label.textContent = " in source


def test_the_web_app_publishes_the_head_and_keys_for_witnesses(web, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tocsin.evidence.heads import Witness

    workspace, app = web
    anyone = client_of(app, "192.0.2.50")  # no login: heads and keys are published
    assert anyone.get("/api/v1/evidence/head").status_code == 404
    locker = EvidenceLocker(workspace)
    locker.signed_head("adam")
    keys = anyone.get("/api/v1/evidence/keys").json()
    pinned = next(k["key_id"] for k in keys if k["organisation"] == "Darfur Network")
    witness = Witness.init(tmp_path / "witness")
    witness.cosign(anyone.get("/api/v1/evidence/head").json(), pinned)
    owner = client_of(app)
    item_of(upload(owner, log_in(owner, "alice"), "public"))
    locker.signed_head("adam")
    locker.close()
    size = witness.heads[-1]["head"]["tree_size"]
    head = anyone.get("/api/v1/evidence/head", params={"from_size": size}).json()
    assert witness.cosign(head)["head"]["tree_size"] == size + 1
    assert anyone.get("/api/v1/evidence/head", params={"from_size": 99}).status_code == 422


def test_one_organisation_cannot_acknowledge_anothers_alert(web) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from tocsin.alerts.store import record_escalations
    from tocsin.records.db import session_factory

    workspace, app = web
    sessions = session_factory(workspace.database_url)
    (alert,) = record_escalations(sessions, [{
        "place_id": "p-cc4987562f9d", "name": "El Fasher", "stage": "encircled", "stage_rank": 2,
        "previous_stage": "threatened", "date": dt.date(2024, 5, 10), "exposed": 735684,
        "reasons": "encircled: roads cut on three sides", "evidence": []}])
    sessions.kw["bind"].dispose()
    other = client_of(app, "192.0.2.60")
    csrf = log_in(other, "bashir")  # monitor, Sudan Witness
    done = other.post(f"/api/v1/alerts/{alert.id}/ack", headers={"x-csrf-token": csrf})
    assert done.status_code == 200
    assert other.get("/api/v1/alerts").json()[0]["status"] == "acknowledged"
    mine = client_of(app)
    csrf = log_in(mine, "amal")  # monitor, Darfur Network: still open for them
    (listed,) = mine.get("/api/v1/alerts").json()
    assert listed["status"] == "open" and listed["acknowledged_by"] is None
    assert mine.post(f"/api/v1/alerts/{alert.id}/ack", headers={"x-csrf-token": csrf}) \
        .status_code == 200
    assert mine.post(f"/api/v1/alerts/{alert.id}/ack", headers={"x-csrf-token": csrf}) \
        .status_code == 409
