"""Evidence: upload, list, view and download, on top of the evidence locker (tocsin.evidence).

The locker decides who may open what (tocsin.evidence.access) and writes the custody log; this
module only asks it. An item the user may not open is not listed, and its page and content
answer 404, the same as an item that does not exist: a monitor of another organisation learns
nothing, not even that it exists. Opening a restricted or confidential item's content, or a
confidential item's full metadata, is a logged view.

A logged view is a write to the custody log, so it is never a plain GET a cross-site link could
trigger: the API takes ``POST .../content`` with a bounded ``purpose``; the viewer's GET needs a
view code derived from the session's CSRF token, which only the item page holds. Content is
streamed (large items are never held in memory); uploads are read straight into the store
(encrypted as they stream when confidential) and cut off at the size limit while reading.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import queue
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from tocsin.i18n import Said, said_of
from tocsin.web.auth import Principal
from tocsin.web.context import api_user, check_csrf, page_user, render, require

router = APIRouter()
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
MAX_PURPOSE = 200
# Items up to this size are checked against their SHA-256 before a byte is sent (409 when they
# no longer match); larger ones stream, and a mismatch found at the end cuts the response off.
VERIFY_FIRST_BYTES = 8 * 1024 * 1024
ItemId = Annotated[int, Path(ge=1, le=2**63 - 1)]
SENSITIVITIES = ("public", "restricted", "confidential")
# Shown inline in the viewer; anything else is a download.
INLINE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "text/plain", "application/pdf")


def _locker(request: Request) -> Any:
    from tocsin.evidence.locker import EvidenceLocker

    locker = getattr(request.app.state, "evidence_locker", None)
    if locker is None:
        locker = EvidenceLocker(request.app.state.workspace)
        request.app.state.evidence_locker = locker
    return locker


def visible_items(request: Request, user: Principal,
                  place_id: str | None = None) -> list[dict[str, Any]]:
    """Items the user may open (newest first), optionally only those of one place."""
    if place_id is not None and place_id not in _places_with_evidence(request):
        return []  # most places: no need for the locker to read and check every item
    locker = _locker(request)
    items = [i for i in locker.items() if place_id is None or i["place_id"] == place_id]
    return [i for i in reversed(items)
            if i["status"] == "active" and locker.may_open(i["item_id"], user.username)]


PLACES_TTL_SECONDS = 5.0


def _places_with_evidence(request: Request) -> frozenset[str]:
    """Places that have evidence items, re-read at most every PLACES_TTL_SECONDS (an upload
    through the web drops it at once; one through the CLI shows within that time)."""
    from sqlalchemy import select

    from tocsin.records.evidence_models import EvidenceItem

    cached = getattr(request.app.state, "places_with_evidence", None)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]  # type: ignore[no-any-return]
    with request.app.state.sessions() as db:
        places = frozenset(db.scalars(select(EvidenceItem.place_id).where(
            EvidenceItem.place_id.is_not(None)).distinct()).all())
    request.app.state.places_with_evidence = (now + PLACES_TTL_SECONDS, places)
    return places


def _metadata(request: Request, user: Principal, item_id: int) -> dict[str, Any]:
    """Full metadata of an item the user may open (a logged view when confidential), else 404."""
    from tocsin.evidence import AccessDenied, EvidenceError

    locker = _locker(request)
    _check_may_open(locker, user, item_id)
    try:
        return dict(locker.metadata(item_id, user.username))
    except (AccessDenied, EvidenceError):
        raise HTTPException(404, Said("locker.no_item", item_id=item_id)) from None


def _check_may_open(locker: Any, user: Principal, item_id: int) -> None:
    """404 alike for an item that does not exist and one the user may not open."""
    from tocsin.evidence import EvidenceError

    try:
        allowed = locker.may_open(item_id, user.username)
    except EvidenceError:
        allowed = False
    if not allowed:
        raise HTTPException(404, Said("locker.no_item", item_id=item_id))


def view_code(user: Principal, item_id: int) -> str:
    """What the item page puts in its viewer's URL: only a page of this session knows it."""
    key = (user.csrf_token or "").encode()
    return hmac.new(key, f"view:{item_id}".encode(), hashlib.sha256).hexdigest()[:32]


class _QueueSink:
    """A file-like sink whose writes a streaming response reads, at most a few chunks ahead."""

    def __init__(self) -> None:
        self.chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=4)
        self.cancelled = threading.Event()

    def write(self, data: bytes) -> int:
        while not self.cancelled.is_set():
            try:
                self.chunks.put(bytes(data), timeout=0.5)
                return len(data)
            except queue.Full:
                continue
        raise OSError("the client went away")


def _stream(locker: Any, user: Principal, item_id: int, purpose: str) -> Iterator[bytes]:
    sink = _QueueSink()

    def produce() -> None:
        try:
            locker.open(item_id, user.username, sink, purpose=purpose)
        except BaseException as exc:  # handed to the response, which cuts the stream
            sink.chunks.put(exc)
        else:
            sink.chunks.put(None)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while (chunk := sink.chunks.get()) is not None:
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk
    finally:
        sink.cancelled.set()


def _content(request: Request, user: Principal, item_id: int, purpose: str) -> Response:
    from tocsin.evidence import AccessDenied, EvidenceError

    locker = _locker(request)
    _check_may_open(locker, user, item_id)
    item = locker.item(item_id)
    media_type = item.get("media_type") or "application/octet-stream"
    disposition = "inline" if media_type in INLINE_TYPES else "attachment"
    filename = re.sub(r"[^\w.\-]+", "_", item.get("filename") or f"item-{item_id}")
    headers = {"content-disposition": f'{disposition}; filename="{filename}"',
               "content-security-policy": "sandbox; default-src 'none'; img-src 'self'",
               "cache-control": "private, no-store"}
    if item["size"] > VERIFY_FIRST_BYTES:
        headers["content-length"] = str(item["size"])
        return StreamingResponse(_stream(locker, user, item_id, purpose),
                                 media_type=media_type, headers=headers)
    sink = io.BytesIO()
    try:
        locker.open(item_id, user.username, sink, purpose=purpose)
    except AccessDenied:
        raise HTTPException(404, Said("locker.no_item", item_id=item_id)) from None
    except EvidenceError as exc:
        # Content that no longer matches its hash is not handed out: say so.
        raise HTTPException(409, said_of(exc)) from None
    return Response(sink.getvalue(), media_type=media_type, headers=headers)


def _purpose(text: str) -> str:
    purpose = " ".join(text.split())
    if not purpose:
        raise HTTPException(422, Said("web.say_purpose"))
    if len(purpose) > MAX_PURPOSE:
        raise HTTPException(422, Said("web.purpose_long", limit=MAX_PURPOSE))
    return purpose


def _add(request: Request, user: Principal, upload: UploadFile, sensitivity: str, collector: str,
         captured_at: str, place_id: str, description: str) -> int:
    """Store an uploaded file in the locker; returns the new item id. 422 for bad input."""
    from tocsin.evidence import AccessDenied, EvidenceError

    require(user, "upload_evidence")
    if sensitivity not in SENSITIVITIES:
        raise HTTPException(422, Said("web.sensitivity", sensitivities=", ".join(SENSITIVITIES)))
    try:
        when = dt.datetime.fromisoformat(captured_at.strip().replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(422, Said("web.captured_at", captured_at=captured_at)) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)  # the form's datetime-local field: taken as UTC
    name = FilePath(upload.filename or "upload").name
    name = re.sub(r"[^\w.\-]+", "_", name).strip("._")[:200] or "upload"
    from tocsin.evidence.locker import Upload
    from tocsin.evidence.store import TooLarge

    handle = upload.file
    if handle.seek(0, 2) == 0:
        raise HTTPException(422, Said("web.empty_file"))
    try:
        # Straight from the request into the store: no copy under its name, in clear, on disk.
        added = _locker(request).add([Upload(name, handle)], user=user.username,
                                     collector=collector or user.display_name, captured_at=when,
                                     sensitivity=sensitivity,
                                     place=place_id or None, description=description or None,
                                     method="web upload", max_bytes=MAX_UPLOAD_BYTES)
    except TooLarge:
        raise HTTPException(413, Said("web.too_large", megabytes=MAX_UPLOAD_BYTES >> 20)) from None
    except AccessDenied as exc:
        raise HTTPException(403, said_of(exc)) from None
    except EvidenceError as exc:
        raise HTTPException(422, said_of(exc)) from None
    request.app.state.places_with_evidence = None
    return int(added[0].item_id)


# -- pages ----------------------------------------------------------------------------------------
@router.get("/evidence", include_in_schema=False)
def evidence_page(request: Request) -> Response:
    user = page_user(request)
    return render(request, "evidence_list.html", user, items=visible_items(request, user))


@router.get("/evidence/new", include_in_schema=False)
def new_evidence_page(request: Request, place: str = "") -> Response:
    user = page_user(request)
    require(user, "upload_evidence")
    return render(request, "evidence_new.html", user, place_id=place, sensitivities=SENSITIVITIES,
                  now=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M"))


@router.post("/evidence", include_in_schema=False)
def upload_form(request: Request, file: Annotated[UploadFile, File()],
                sensitivity: Annotated[str, Form()], captured_at: Annotated[str, Form()],
                collector: Annotated[str, Form()] = "", place_id: Annotated[str, Form()] = "",
                description: Annotated[str, Form()] = "",
                csrf_token: Annotated[str, Form()] = "") -> Response:
    user = page_user(request)
    check_csrf(user, csrf_token)
    item_id = _add(request, user, file, sensitivity, collector, captured_at, place_id, description)
    return RedirectResponse(f"/evidence/{item_id}", status_code=303)


@router.get("/evidence/{item_id}", include_in_schema=False)
def item_page(request: Request, item_id: ItemId) -> Response:
    user = page_user(request)
    item = _metadata(request, user, item_id)
    # The tab title and history keep only the public name of a confidential item.
    title = f"item-{item_id}" if item.get("sensitivity") == "confidential" else item["filename"]
    return render(request, "evidence_item.html", user, item=item, title=title,
                  view=view_code(user, item_id), inline=item.get("media_type") in INLINE_TYPES)


@router.get("/evidence/{item_id}/content", include_in_schema=False)
def item_content(request: Request, item_id: ItemId, view: str = "") -> Response:
    user = page_user(request)
    _check_may_open(_locker(request), user, item_id)
    if not hmac.compare_digest(view.encode(), view_code(user, item_id).encode()):
        # A link from elsewhere (or a stale page): a logged view needs the item page's code.
        raise HTTPException(403, Said("web.open_from_page"))
    return _content(request, user, item_id, "web viewer")


# -- API ------------------------------------------------------------------------------------------
@router.get("/api/v1/evidence", tags=["evidence"])
def list_api(request: Request, place: str | None = None) -> list[dict[str, Any]]:
    """Evidence items the caller may open (others are not listed)."""
    return visible_items(request, api_user(request), place)


@router.get("/api/v1/evidence/head", tags=["evidence"])
def head_api(request: Request,
             from_size: Annotated[int | None, Query(ge=0, le=2**31)] = None) -> dict[str, Any]:
    """The custody log's last published signed tree head (`tocsin evidence head`), for anyone
    to witness; with ``from_size``, a consistency proof from a head of that many entries.
    Public: it names no item, only the log's size, root and the signing key."""
    from tocsin.evidence import EvidenceError

    try:
        head = _locker(request).published_head(from_size)
    except EvidenceError as exc:
        raise HTTPException(422, said_of(exc)) from None
    if head is None:
        raise HTTPException(404, "no head published yet: run `tocsin evidence head`")
    return head


@router.get("/api/v1/evidence/keys", tags=["evidence"])
def keys_api(request: Request) -> list[dict[str, Any]]:
    """Organisations' public signing keys and their fingerprints (key ids), to pin with
    `verify-bundle --org-key` or `witness cosign --org-key`. Public."""
    return [{k: (str(v) if v is not None and k.endswith("_at") else v) for k, v in key.items()}
            for key in _locker(request).public_keys()]


@router.get("/api/v1/evidence/{item_id}", tags=["evidence"])
def item_api(request: Request, item_id: ItemId) -> dict[str, Any]:
    """An item's metadata; a confidential item's is decrypted and the view logged."""
    return _metadata(request, api_user(request), item_id)


@router.post("/api/v1/evidence/{item_id}/content", tags=["evidence"])
def content_api(request: Request, item_id: ItemId,
                purpose: Annotated[str, Form(max_length=MAX_PURPOSE * 4)] = "api") -> Response:
    """The item's bytes (streamed), checked against its SHA-256; restricted and confidential
    views are logged with ``purpose`` (at most 200 characters). Cookie sessions need
    X-CSRF-Token."""
    user = api_user(request)
    _check_may_open(_locker(request), user, item_id)
    check_csrf(user, request.headers.get("x-csrf-token"))
    return _content(request, user, item_id, _purpose(purpose))


@router.post("/api/v1/evidence", tags=["evidence"], status_code=201)
def upload_api(request: Request, file: Annotated[UploadFile, File()],
               sensitivity: Annotated[str, Form()], captured_at: Annotated[str, Form()],
               collector: Annotated[str, Form()] = "", place_id: Annotated[str, Form()] = "",
               description: Annotated[str, Form()] = "") -> JSONResponse:
    """Upload a file (multipart); cookie sessions need X-CSRF-Token."""
    user = api_user(request)
    check_csrf(user, request.headers.get("x-csrf-token"))
    item_id = _add(request, user, file, sensitivity, collector, captured_at, place_id, description)
    return JSONResponse({"item_id": item_id}, status_code=201)
