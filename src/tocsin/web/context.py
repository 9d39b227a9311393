"""What every request handler needs: the database, the user behind the request, the language,
and page rendering. Routes import these; they hold no state of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse

from tocsin.i18n import Said
from tocsin.web import auth
from tocsin.web.i18n import Translator, pick_language

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
LANGUAGE_COOKIE = "tocsin_lang"


class LoginRequired(Exception):
    """A page needs a logged-in user; the app answers with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def db_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def find_principal(request: Request) -> auth.Principal | None:
    """The user from an API token (Authorization: Bearer) or else the session cookie.

    Looked up in the database at most every PrincipalCache.ttl seconds per credential, so the map
    data a client streams does not cost a query per request."""
    cache: auth.PrincipalCache = request.app.state.principals
    token = bearer_token(request)
    if token is not None:
        key, lookup = "t:" + auth.digest(token), auth.token_principal
        credential = token
    else:
        secret = request.cookies.get(auth.SESSION_COOKIE)
        if not secret:
            return None
        key, lookup, credential = "s:" + auth.digest(secret), auth.session_principal, secret
    found, principal = cache.get(key)
    if not found:
        with request.app.state.sessions() as db:
            principal = lookup(db, credential)
        cache.put(key, principal)
    return principal


def forget_credential(request: Request, secret: str, kind: str = "s") -> None:
    request.app.state.principals.drop(f"{kind}:{auth.digest(secret)}")


def page_user(request: Request) -> auth.Principal:
    principal = find_principal(request)
    if principal is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return principal


def api_user(request: Request) -> auth.Principal:
    principal = find_principal(request)
    if principal is None:
        raise HTTPException(401, "log in, or send an API token: Authorization: Bearer tocsin_...",
                            headers={"WWW-Authenticate": "Bearer"})
    return principal


def require(principal: auth.Principal, action: str) -> None:
    if not principal.can(action):
        raise HTTPException(403, Said("web.role_may_not", role=principal.role,
                                      to=Said(f"web.to_{action}")))


def check_csrf(principal: auth.Principal, sent: str | None) -> None:
    """Forms and cookie-authenticated API writes must carry the session's CSRF token; requests
    with an API token carry no cookie, so a forged cross-site request cannot use them."""
    if principal.csrf_token is None:
        return
    if not auth.same_secret(principal.csrf_token, sent):
        raise HTTPException(403, "csrf")


def reader_language(request: Request) -> str:
    """The language of whoever sent the request, logged in or not: an error page is told in
    it. A credential that cannot be looked up (the records database down) counts as none."""
    try:
        principal = find_principal(request)
    except Exception:  # the error page must still be shown
        principal = None
    return language_for(request, principal)


def language_for(request: Request, principal: auth.Principal | None) -> str:
    if principal is not None:
        return principal.language
    return pick_language(request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE),
                         request.headers.get("accept-language"))


def render(request: Request, template: str, principal: auth.Principal | None, status_code: int = 200,
           language: str | None = None, **values: Any) -> HTMLResponse:
    t = Translator(language or language_for(request, principal),
                   principal.digits if principal is not None else "western")
    data = getattr(request.app.state, "data", None)
    # Every page an analyst sees says how current it is (never for the log-in page's visitor).
    freshness = data.freshness() if data is not None and principal is not None else None
    return TEMPLATES.TemplateResponse(
        request, template, {"t": t, "user": principal, "csrf": principal.csrf_token if principal else None,
                            "path": request.url.path, "quote": quote, "freshness": freshness, **values},
        status_code=status_code)
