"""Logging in, sessions, CSRF, API tokens, roles and login rate limits (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from web_support import PASSWORD, form_token, log_in

from tocsin.records.db import make_engine
from tocsin.records.models import ApiToken, LoginAttempt, User, WebSession
from tocsin.web import auth
from tocsin.web.routes.pages import _safe_next


def test_pages_and_api_need_a_login(client: TestClient) -> None:
    page = client.get("/places/anything?x=1", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/places/anything%3Fx%3D1"
    api = client.get("/api/v1/map/places")
    assert api.status_code == 401
    assert api.headers["www-authenticate"] == "Bearer"
    assert client.get("/healthz").json() == {"status": "ok"}


def test_login_sets_a_secure_httponly_samesite_cookie(client: TestClient, records_url: str) -> None:
    page = client.get("/login?next=/siege")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                           "csrf_token": form_token(page.text), "next": "/siege"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/siege"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(auth.SESSION_COOKIE))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite=lax"} <= flags
    secret = cookie.split(";")[0].split("=", 1)[1]
    # Only the digest is stored: the database alone opens no session.
    engine = make_engine(records_url)
    with engine.connect() as connection:
        stored = connection.scalars(sa.select(WebSession.id)).all()
    engine.dispose()
    assert stored == [auth.digest(secret)]
    assert client.get("/api/v1/me").json()["username"] == "alice"


def test_wrong_password_is_refused_and_recorded(client: TestClient, records_url: str) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"username": "alice", "password": "wrong password!",
                                           "csrf_token": form_token(page.text)}, follow_redirects=False)
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert client.get("/api/v1/me").status_code == 401
    engine = make_engine(records_url)
    with engine.connect() as connection:
        attempts = connection.execute(sa.select(LoginAttempt.username, LoginAttempt.succeeded)).all()
        hashes = connection.scalars(sa.select(User.password_hash)).all()
    engine.dispose()
    assert attempts == [("alice", False)]
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_login_form_needs_its_csrf_cookie(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                           "csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/api/v1/me").status_code == 401


def test_forms_refuse_a_missing_or_wrong_csrf_token(client: TestClient) -> None:
    csrf = log_in(client, "alice")
    assert client.post("/account/language", data={"language": "ar"}).status_code == 403
    forged = {"language": "ar", "csrf_token": "x" * 43}
    assert client.post("/account/language", data=forged).status_code == 403
    assert client.get("/api/v1/me").json()["language"] == "en"
    response = client.post("/account/language", data={"language": "ar", "csrf_token": csrf},
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/api/v1/me").json()["language"] == "ar"


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    csrf = log_in(client, "alice")
    secret = client.cookies.get(auth.SESSION_COOKIE)
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set(auth.SESSION_COOKIE, secret)  # a stolen copy of the cookie is now useless
    assert client.get("/api/v1/me").status_code == 401


def test_expired_sessions_do_not_work(client: TestClient, records_url: str) -> None:
    log_in(client, "alice")
    engine = make_engine(records_url)
    with engine.begin() as connection:
        connection.execute(sa.update(WebSession).values(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    engine.dispose()
    # Changed behind the app's back: seen once the credential cache entry runs out.
    client.app.state.principals.clear()
    assert client.get("/api/v1/me").status_code == 401


def test_login_is_rate_limited_per_account(client: TestClient) -> None:
    for _ in range(auth.MAX_FAILURES_PER_CLIENT_AND_USERNAME):
        page = client.get("/login")
        assert client.post("/login", data={"username": "alice", "password": "guess guess guess",
                                           "csrf_token": form_token(page.text)}).status_code == 401
    page = client.get("/login")
    blocked = client.post("/login", data={"username": "ALICE", "password": PASSWORD,
                                          "csrf_token": form_token(page.text)}, follow_redirects=False)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= auth.RATE_WINDOW.total_seconds() + 1
    assert client.get("/api/v1/me").status_code == 401
    log_in(client, "adam")  # another account from the same client still may
    assert client.get("/api/v1/me").json()["username"] == "adam"


def test_rate_limit_lifts_when_failures_leave_the_window(client: TestClient, records_url: str) -> None:
    from tocsin.records.db import session_factory

    sessions = session_factory(records_url)
    old = dt.datetime.now(dt.UTC) - auth.RATE_WINDOW - dt.timedelta(minutes=1)
    with sessions() as db:
        for _ in range(auth.MAX_FAILURES_PER_CLIENT_AND_USERNAME):
            db.add(LoginAttempt(username="alice", client="testclient", succeeded=False, attempted_at=old))
        db.commit()
        assert auth.seconds_blocked(db, "alice", "testclient") == 0
        assert auth.seconds_blocked(db, "alice", "testclient", now=old + dt.timedelta(seconds=10)) > 0
    sessions.kw["bind"].dispose()
    log_in(client, "alice")


def test_rate_limit_per_client_address_spans_usernames(records_url: str) -> None:
    from tocsin.records.db import session_factory

    sessions = session_factory(records_url)
    now = dt.datetime.now(dt.UTC)
    with sessions() as db:
        for n in range(auth.MAX_FAILURES_PER_CLIENT):
            db.add(LoginAttempt(username=f"guess{n}", client="203.0.113.9", succeeded=False,
                                attempted_at=now - dt.timedelta(seconds=n)))
        db.commit()
        assert auth.seconds_blocked(db, "alice", "203.0.113.9") > 0
        assert auth.seconds_blocked(db, "alice", "198.51.100.1") == 0
    sessions.kw["bind"].dispose()


def test_api_tokens_authenticate_and_can_be_revoked(client: TestClient, records_url: str) -> None:
    csrf = log_in(client, "alice")
    assert client.post("/api/v1/tokens?name=script").status_code == 403  # cookie without CSRF header
    created = client.post("/api/v1/tokens?name=script", headers={"x-csrf-token": csrf})
    assert created.status_code == 201
    token = created.json()["token"]
    client.cookies.clear()
    bearer = {"authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).json()["username"] == "alice"
    assert client.get("/api/v1/me", headers={"authorization": "Bearer tocsin_nope"}).status_code == 401
    engine = make_engine(records_url)
    with engine.connect() as connection:
        assert connection.scalars(sa.select(ApiToken.token_hash)).all() == [auth.digest(token)]
    engine.dispose()
    from tocsin.records.db import session_factory

    sessions = session_factory(records_url)
    with sessions() as db:
        user_id = db.scalar(sa.select(User.id).where(User.username == "alice"))
        assert auth.revoke_api_tokens(db, user_id, "script") == 1
    sessions.kw["bind"].dispose()
    # Revoked outside the app (as `tocsin users token --revoke` does): the app keeps its answer
    # for at most the cache's lifetime, then asks the database again.
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    client.app.state.principals.clear()
    assert client.get("/api/v1/me", headers=bearer).status_code == 401


def test_credential_cache_expires_and_checks_session_end() -> None:
    cache = auth.PrincipalCache(ttl=0.05)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    principal = auth.Principal(1, "a", "A", "viewer", 1, "Org", "en", "csrf", later)
    cache.put("s:x", principal)
    assert cache.get("s:x") == (True, principal)
    cache.put("s:gone", auth.Principal(1, "a", "A", "viewer", 1, "Org", "en", "csrf",
                                       dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert cache.get("s:gone") == (False, None)
    import time

    time.sleep(0.06)
    assert cache.get("s:x") == (False, None)
    off = auth.PrincipalCache(ttl=0)
    off.put("s:x", principal)
    assert off.get("s:x") == (False, None)


def test_token_form_shows_the_token_once(client: TestClient) -> None:
    csrf = log_in(client, "victor")
    page = client.post("/account/tokens", data={"name": "laptop", "csrf_token": csrf})
    assert page.status_code == 200
    token = page.text.split('<code dir="ltr">')[1].split("</code>")[0]
    assert token.startswith(auth.TOKEN_PREFIX)
    account = client.get("/account").text
    assert token not in account and "laptop" in account
    bearer = {"authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    client.cookies.clear()
    log_in(client, "victor")
    account = client.get("/account").text
    assert "–" not in account.split("laptop")[1].split("</tr>")[0]  # last used: now set
    token_id = int(re.search(r"/account/tokens/(\d+)/revoke", account).group(1))
    csrf = form_token(account)
    assert client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": "no"}).status_code == 403
    revoked = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert revoked.status_code == 303
    assert client.get("/api/v1/me", headers=bearer).status_code == 401  # at once: cache entry dropped
    again = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert again.status_code == 404


def add_alert(records_url: str) -> int:
    """An escalation as the siege tracker records it (tocsin.alerts.store)."""
    from tocsin.alerts.store import record_escalations
    from tocsin.records.db import session_factory

    sessions = session_factory(records_url)
    (alert,) = record_escalations(sessions, [{
        "place_id": "p-cc4987562f9d", "name": "El Fasher", "stage": "encircled", "stage_rank": 2,
        "previous_stage": "threatened", "date": dt.date(2024, 5, 10), "exposed": 735684,
        "reasons": "encircled: roads cut on three sides", "evidence": []}])
    sessions.kw["bind"].dispose()
    return int(alert.id)


def test_roles_decide_who_may_acknowledge_alerts(client: TestClient, records_url: str) -> None:
    alert = add_alert(records_url)
    csrf = log_in(client, "victor")  # a viewer reads alerts but does not acknowledge them
    page = client.get("/alerts").text
    assert "roads cut on three sides" in page and "El Fasher" in page
    assert client.post(f"/alerts/{alert}/ack", data={"csrf_token": csrf}).status_code == 403
    client.cookies.clear()
    csrf = log_in(client, "amal")  # a monitor does
    assert client.post(f"/alerts/{alert}/ack", data={"csrf_token": "wrong"}).status_code == 403
    done = client.post(f"/alerts/{alert}/ack", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    again = client.post(f"/alerts/{alert}/ack", data={"csrf_token": csrf})
    assert again.status_code == 409 and "already acknowledged by amal" in again.text
    assert client.post("/alerts/99/ack", data={"csrf_token": csrf}).status_code == 404
    (listed,) = client.get("/api/v1/alerts").json()
    assert (listed["status"], listed["acknowledged_by"]) == ("acknowledged", "amal")
    assert "اطلع عليه amal" in client.get("/alerts").text  # Amal reads Arabic


def test_acknowledging_through_the_api(client: TestClient, records_url: str) -> None:
    alert = add_alert(records_url)
    csrf = log_in(client, "alice")
    assert client.post(f"/api/v1/alerts/{alert}/ack").status_code == 403  # cookie, no CSRF header
    done = client.post(f"/api/v1/alerts/{alert}/ack", headers={"x-csrf-token": csrf})
    assert done.json() == {"id": alert, "acknowledged": True, "by": "alice"}


def test_no_alerts_yet(client: TestClient) -> None:
    log_in(client, "alice")
    assert client.get("/api/v1/alerts").json() == []
    assert "No alerts" in client.get("/alerts").text


def test_admins_add_users_to_their_own_organisation_only(client: TestClient, records_url: str) -> None:
    csrf = log_in(client, "alice")  # an analyst
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users", data={"username": "x", "password": "long password 1",
                                              "csrf_token": csrf}).status_code == 403
    client.cookies.clear()
    csrf = log_in(client, "adam")  # admin of Darfur Network
    page = client.get("/admin/users").text
    assert "alice" in page and "bashir" not in page  # Sudan Witness's monitor stays invisible
    new = {"username": "hawa", "display_name": "Hawa", "role": "monitor", "language": "ar",
           "password": "a long password", "csrf_token": csrf}
    assert client.post("/admin/users", data={**new, "csrf_token": "forged"}).status_code == 403
    assert client.post("/admin/users", data={**new, "password": "short"}).status_code == 422
    assert client.post("/admin/users", data={**new, "role": "god"}).status_code == 422
    assert client.post("/admin/users", data=new, follow_redirects=False).status_code == 303
    assert client.post("/admin/users", data={**new, "username": "HAWA"}).status_code == 409
    client.cookies.clear()
    log_in(client, "hawa", "a long password")
    me = client.get("/api/v1/me").json()
    assert (me["organisation"], me["role"], me["language"]) == ("Darfur Network", "monitor", "ar")


def test_login_next_never_leaves_the_site(client: TestClient) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                           "next": "//evil.example/x", "csrf_token": form_token(page.text)},
                           follow_redirects=False)
    assert response.headers["location"] == "/map"


@given(st.text(max_size=60))
def test_safe_next_only_returns_local_paths(target: str) -> None:
    result = _safe_next(target)
    assert result.startswith("/") and not result.startswith("//") and "\\" not in result
    assert result in (target, "/map")


def test_passwords_verify_only_themselves() -> None:
    stored = auth.hash_password("الفاشر password")
    assert stored.startswith("$argon2id$")
    assert auth.password_matches(stored, "الفاشر password")
    assert not auth.password_matches(stored, "الفاشر passwore")
    assert not auth.password_matches(None, "الفاشر password")
    assert not auth.password_matches("not a hash", "الفاشر password")
