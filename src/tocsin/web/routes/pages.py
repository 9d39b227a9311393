"""Server-rendered pages. Every page but the map works without JavaScript."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import update
from sqlalchemy.orm import Session

from tocsin.i18n import Said, said_of
from tocsin.records.models import User
from tocsin.web import auth
from tocsin.web.context import (
    LANGUAGE_COOKIE,
    TEMPLATES,
    check_csrf,
    db_session,
    find_principal,
    forget_credential,
    page_user,
    render,
    require,
)
from tocsin.web.data import STAGES, WebData
from tocsin.web.i18n import LANGUAGES, Translator

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(db_session)]
COOKIE_FLAGS = {"secure": True, "httponly": True, "samesite": "lax", "path": "/"}


def _data(request: Request) -> WebData:
    return request.app.state.data  # type: ignore[no-any-return]


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never an open redirect to another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/map"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# -- logging in and out ---------------------------------------------------------------------
def _login_page(request: Request, next_path: str, status_code: int = 200, error: str | None = None,
                **values: object) -> Response:
    token = auth.new_secret()
    response = render(request, "login.html", None, status_code=status_code, login_csrf=token,
                      next_path=_safe_next(next_path), error=error, **values)
    response.set_cookie(auth.LOGIN_CSRF_COOKIE, token, max_age=3600, **{**COOKIE_FLAGS, "samesite": "strict"})
    lang = request.query_params.get("lang")
    if lang in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, **COOKIE_FLAGS)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/map") -> Response:
    if find_principal(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next)


@router.post("/login")
def login(request: Request, db: DB, username: Annotated[str, Form(max_length=100)] = "",
          password: Annotated[str, Form(max_length=1000)] = "",
          csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/map") -> Response:
    # Login CSRF: the form's token must match the cookie set with the form (double submit).
    if not auth.same_secret(request.cookies.get(auth.LOGIN_CSRF_COOKIE), csrf_token):
        return _login_page(request, next, 403, "csrf_failed")
    client = _client(request)
    wait = auth.seconds_blocked(db, username, client)
    if wait:
        response = _login_page(request, next, 429, "login_rate_limited", minutes=max(1, round(wait / 60)))
        response.headers["retry-after"] = str(wait)
        return response
    principal = auth.authenticate(db, username, password, client)
    if principal is None:
        return _login_page(request, next, 401, "login_failed", username=username)
    secret, _csrf = auth.start_session(db, principal.user_id)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(auth.SESSION_COOKIE, secret, max_age=int(auth.SESSION_LIFETIME.total_seconds()),
                        **COOKIE_FLAGS)
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, db: DB, csrf_token: Annotated[str, Form()] = "") -> Response:
    user = page_user(request)
    check_csrf(user, csrf_token)
    auth.end_session(db, request.cookies.get(auth.SESSION_COOKIE, ""))
    forget_credential(request, request.cookies.get(auth.SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/", secure=True, httponly=True)
    return response


# -- account: language and API tokens ------------------------------------------------------
def _account_page(request: Request, db: Session, user: auth.Principal, **values: object) -> Response:
    return render(request, "account.html", user, languages=LANGUAGES,
                  tokens=auth.user_tokens(db, user.user_id), **values)


@router.get("/account")
def account(request: Request, db: DB) -> Response:
    return _account_page(request, db, page_user(request))


@router.post("/account/language")
def set_language(request: Request, db: DB, language: Annotated[str, Form()],
                 csrf_token: Annotated[str, Form()] = "",
                 next: Annotated[str, Form()] = "/account") -> Response:
    user = page_user(request)
    check_csrf(user, csrf_token)
    if language not in LANGUAGES:
        raise HTTPException(422, Said("web.language", languages=", ".join(LANGUAGES)))
    db.execute(update(User).where(User.id == user.user_id).values(language=language))
    db.commit()
    forget_credential(request, request.cookies.get(auth.SESSION_COOKIE, ""))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, **COOKIE_FLAGS)
    return response


@router.post("/account/tokens")
def create_token(request: Request, db: DB, name: Annotated[str, Form(min_length=1, max_length=100)],
                 csrf_token: Annotated[str, Form()] = "") -> Response:
    user = page_user(request)
    check_csrf(user, csrf_token)
    token = auth.create_api_token(db, user.user_id, name)
    return _account_page(request, db, user, new_token=token, token_name=name)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, db: DB, token_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
                 csrf_token: Annotated[str, Form()] = "") -> Response:
    user = page_user(request)
    check_csrf(user, csrf_token)
    token_hash = auth.revoke_token(db, user.user_id, token_id)
    if token_hash is None:
        raise HTTPException(404, "Not Found")
    request.app.state.principals.drop("t:" + token_hash)
    return RedirectResponse("/account", status_code=303)


# -- the analyst's views -------------------------------------------------------------------
@router.get("/")
async def home() -> Response:
    return RedirectResponse("/map", status_code=303)


@router.get("/map")
async def map_page(request: Request) -> Response:
    user = page_user(request)
    data = _data(request)
    return render(request, "map.html", user, places=data.largest_places(), stages=STAGES)


@router.get("/places")
def search(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    user = page_user(request)
    results = _data(request).search(q) if q.strip() else []
    return render(request, "search.html", user, query=q, results=results)


# Async: once built, a place page is CPU work on cached data, cheaper on the event loop than in
# the thread pool (the first build for a place, ~30 ms of DuckDB, then blocks the loop once).
@router.get("/places/{place_id}")
async def place_page(request: Request, place_id: str) -> Response:
    user = page_user(request)
    data = _data(request)
    detail = data.place(place_id)
    if detail is None:
        raise HTTPException(404, "Not Found")
    # The body is the same for every reader of a language: rendered once per lake state.
    t = Translator(user.language, user.digits)
    body = data.memo(("place_html", place_id, t.language, t.digits),
                     lambda: TEMPLATES.get_template("place_body.html").render(t=t, place=detail))
    from tocsin.web.routes.evidence import visible_items
    from tocsin.web.routes.reports import place_reports

    # Evidence and field reports are per reader (what their organisation and role may open):
    # never cached.
    return render(request, "place.html", user, place=detail, body=Markup(body),
                  items=visible_items(request, user, place_id),
                  reports=place_reports(request, user, place_id))


@router.post("/places/{place_id}/control")
def record_control_form(request: Request, place_id: str,
                        csrf_token: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
                        day: Annotated[str, Form()] = "", actor: Annotated[str, Form()] = "",
                        source_url: Annotated[str, Form()] = "",
                        note: Annotated[str, Form()] = "") -> Response:
    """An analyst or admin records that the place fell to an actor, or was retaken, with its
    source: the siege tracker shows it as the evidence of the fallen stage."""
    import datetime as dt

    from tocsin.records.control import ControlChangeError, record_control_change

    user = page_user(request)
    check_csrf(user, csrf_token)
    require(user, "record_control")
    data = _data(request)
    detail = data.place(place_id)
    if detail is None:
        raise HTTPException(404, "Not Found")
    try:
        when = dt.date.fromisoformat(day)
    except ValueError:
        raise HTTPException(422, Said("web.day", day=day)) from None
    try:
        record_control_change(request.app.state.sessions, place_id=place_id,
                              place_name=detail["name"] or place_id, kind=kind, day=when,
                              actor=actor if kind == "fell" else None, source_url=source_url,
                              note=note, recorded_by=user.username,
                              today=dt.datetime.now(dt.UTC).date())
    except ControlChangeError as exc:
        raise HTTPException(422, said_of(exc)) from None
    data.records_changed()
    return RedirectResponse(f"/places/{place_id}#control", status_code=303)


@router.get("/siege")
async def siege_page(request: Request) -> Response:
    user = page_user(request)
    data = _data(request)
    from tocsin.intake.reports import report_signals
    from tocsin.web.routes.reports import intake_store

    store = intake_store(request)
    # Unverified field reports show here as such: signals of the reader's own organisation.
    signals = report_signals(store.visible(store.viewer_for(user)))
    return render(request, "siege.html", user, board=data.siege_board(), as_of=data.siege_as_of(),
                  signals=signals)


@router.get("/at-risk")
async def at_risk_page(request: Request) -> Response:
    user = page_user(request)
    return render(request, "at_risk.html", user, rows=_data(request).at_risk())

