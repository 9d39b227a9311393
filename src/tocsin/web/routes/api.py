"""The JSON API: /api/v1/... (OpenAPI description at /api/openapi.json) and /healthz."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tocsin.web import auth
from tocsin.web.context import api_user, db_session
from tocsin.web.data import WebData, jsonable
from tocsin.web.responses import cached_json

router = APIRouter()
DB = Annotated[Session, Depends(db_session)]


def _data(request: Request) -> WebData:
    return request.app.state.data  # type: ignore[no-any-return]


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in degrees, or None."""
    if not text:
        return None
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        raise HTTPException(422, f"bbox must be four numbers west,south,east,north; got {text!r}") from None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise HTTPException(422, f"bbox {text!r} is not west<=east, south<=north within -180..180, -90..90")
    return west, south, east, north


@router.get("/healthz", tags=["service"])
async def healthz() -> dict[str, str]:
    """Liveness: answers without touching the lake or the database."""
    return {"status": "ok"}


@router.get("/api/v1/me", tags=["account"])
async def me(request: Request) -> dict[str, Any]:
    user = api_user(request)
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "organisation": user.organisation, "language": user.language}


@router.get("/api/v1/map/areas", tags=["map"])
async def map_areas(request: Request,
                    zoom: Annotated[int, Query(ge=0, le=22, description="map zoom level")] = 6) -> Response:
    """COD-AB state and locality boundaries, GeoJSON, simplified to about a pixel at ``zoom``."""
    api_user(request)
    return cached_json(request, _data(request).map_areas(zoom))


@router.get("/api/v1/map/places", tags=["map"])
async def map_places(
    request: Request, zoom: Annotated[int, Query(ge=0, le=22)] = 6,
    bbox: Annotated[str | None, Query(description="west,south,east,north")] = None,
) -> Response:
    """Places as GeoJSON points with siege stage and risk. Up to zoom 7: towns, cities and camps;
    closer: every place in ``bbox``. Zoom is clamped to 3..13."""
    api_user(request)
    return cached_json(request, _data(request).map_places(zoom, parse_bbox(bbox)))


@router.get("/api/v1/places", tags=["places"])
def search_places(request: Request, q: Annotated[str, Query(min_length=1, max_length=200)],
                  limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[dict[str, Any]]:
    """Places by any spelling, English or Arabic, best match first."""
    api_user(request)
    return jsonable(_data(request).search(q, limit))  # type: ignore[no-any-return]


@router.get("/api/v1/places/{place_id}", tags=["places"])
async def place(request: Request, place_id: str) -> Response:
    """One place: names, areas, events, displacement, fires, siege stages, forecast, burnings.
    Sections whose analysis has not run are ``{"status": "not_computed"}``."""
    api_user(request)
    text = _data(request).place_json(place_id)
    if text is None:
        raise HTTPException(404, f"no place {place_id!r} in the gazetteer")
    return cached_json(request, text)


@router.get("/api/v1/siege-board", tags=["analysis"])
async def siege_board(request: Request) -> Any:
    api_user(request)
    return jsonable(_data(request).siege_board())


@router.get("/api/v1/at-risk", tags=["analysis"])
async def at_risk(request: Request, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
    api_user(request)
    return jsonable(_data(request).at_risk(limit))


@router.post("/api/v1/tokens", tags=["account"], status_code=201)
def new_token(request: Request, db: DB,
              name: Annotated[str, Query(min_length=1, max_length=100)]) -> dict[str, str]:
    """A new API token for the caller (shown once). Needs a logged-in session and its CSRF token
    in X-CSRF-Token: an API token cannot mint tokens (a leaked one would mint others that
    outlive its revocation)."""
    user = api_user(request)
    from fastapi import HTTPException

    from tocsin.web.context import check_csrf

    if user.csrf_token is None:
        raise HTTPException(403, "an API token cannot create tokens: log in to the web app")
    check_csrf(user, request.headers.get("x-csrf-token"))
    return {"name": name, "token": auth.create_api_token(db, user.user_id, name)}
