"""The web app: a JSON API (with its OpenAPI description at /api/openapi.json) and server-rendered
pages over one workspace. ``create_app`` builds it; ``tocsin serve`` runs it under uvicorn.

Cookies are always Secure: production runs behind TLS, and browsers accept Secure cookies on
http://127.0.0.1 and http://localhost, so local use works without it.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tocsin.records.db import current_revision, head_revision, session_factory
from tocsin.web.auth import PrincipalCache
from tocsin.web.context import LoginRequired, reader_language, render
from tocsin.web.data import WebData
from tocsin.web.forms import field_problems
from tocsin.web.routes import accountability, admin, alerts, api, evidence, pages, reports
from tocsin.workspace import Workspace

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_ENV = "TOCSIN_WEB_VENDOR"

# No inline scripts or styles, nothing from other hosts: the page only runs what Tocsin serves.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


class WebSetupError(Exception):
    """The web app cannot start (no workspace, no browser libraries)."""


def leaflet_dir() -> Path:
    """Leaflet's dist folder, installed from npm by `make web-assets` (never a CDN)."""
    if os.environ.get(VENDOR_ENV):
        base = Path(os.environ[VENDOR_ENV])
    else:
        base = Path(__file__).resolve().parents[3] / "node_modules"
    dist = base / "leaflet" / "dist"
    if not (dist / "leaflet.js").is_file():
        raise WebSetupError(f"Leaflet is not installed at {dist}: run `make web-assets` "
                            f"(npm ci) in the Tocsin checkout, or set {VENDOR_ENV} to a node_modules folder")
    return dist


def create_app(workspace: Workspace, database_url: str | None = None,
               credential_cache_seconds: float = 5.0) -> FastAPI:
    workspace.require()
    url = database_url or workspace.database_url
    revision, head = current_revision(url), head_revision()
    if revision != head:
        raise WebSetupError(f"the records database is at schema {revision or 'none'}, the web app needs "
                            f"{head}: run `tocsin init` to upgrade it")
    app = FastAPI(title="Tocsin", version="1", openapi_url="/api/openapi.json", docs_url=None,
                  redoc_url=None,
                  description="Sieges, risks, places and evidence in Sudan. Authenticate with a session "
                              "cookie (log in at /login) or `Authorization: Bearer <API token>`.")
    app.state.workspace = workspace
    app.state.data = WebData(workspace, database_url=url)
    app.state.sessions = session_factory(url)
    app.state.principals = PrincipalCache(credential_cache_seconds)

    app.mount("/static/vendor/leaflet", StaticFiles(directory=leaflet_dir()), name="leaflet")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(alerts.router)
    app.include_router(admin.router)
    app.include_router(evidence.router)
    app.include_router(accountability.router)
    app.include_router(reports.router)
    app.include_router(pages.router)
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)

    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        titles = {403: ("forbidden", "forbidden_text"), 404: ("not_found", "not_found_text")}
        title, text = titles.get(exc.status_code, ("error", "error"))
        if exc.detail == "csrf":
            text = "csrf_failed"
        # The page tells the detail in its reader's language (error.html); the JSON above keeps
        # the English (a Said is its English).
        return render(request, "error.html", None, status_code=exc.status_code, title_key=title,
                      text_key=text, language=reader_language(request),
                      detail=None if exc.detail in ("csrf", "Not Found") else exc.detail)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
            return JSONResponse({"detail": problems}, status_code=422)
        return render(request, "error.html", None, status_code=422, title_key="error", text_key="error",
                      language=reader_language(request), detail=field_problems(exc.errors()))

    return app


class BodyLimit:
    """Refuses a request body over its limit before a byte of it is read (413), from its
    Content-Length: an evidence upload may be MAX_UPLOAD_BYTES (plus its form fields), any
    other request 1 MiB. Bodies of unknown length are refused (411) where they may be large;
    elsewhere they are cut off at the limit while read."""

    FORM_OVERHEAD = 1 << 20
    OTHER_LIMIT = 1 << 20
    UPLOAD_PATHS = ("/evidence", "/api/v1/evidence")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        upload = scope["path"] in self.UPLOAD_PATHS
        limit = evidence.MAX_UPLOAD_BYTES + self.FORM_OVERHEAD if upload else self.OTHER_LIMIT
        length = dict(scope["headers"]).get(b"content-length")
        if length is None and upload:
            await _refuse(send, 411, "an upload needs a Content-Length")
            return
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _refuse(send, 413, f"the request body is over {limit >> 20} MB")
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:  # a body longer than it said: stop reading it
                return {"type": "http.disconnect"}
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, status: int, detail: str) -> None:
    import json

    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Adds SECURITY_HEADERS and a cache policy to every response (plain ASGI: the decorator
    middleware of Starlette costs more than the rest of a cached map request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if static:
                    headers["cache-control"] = "public, max-age=86400"
                elif "cache-control" not in headers:
                    headers["cache-control"] = "private, no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"
