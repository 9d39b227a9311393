"""Alerts: the list (page and API) and acknowledgement (form and API)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response

from tocsin.web.context import api_user, check_csrf, page_user, render, require
from tocsin.web.data import acknowledge_alert, list_alerts

router = APIRouter()
AlertId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/alerts", include_in_schema=False)
def alerts_page(request: Request) -> Response:
    user = page_user(request)
    return render(request, "alerts.html", user,
                  alerts=list_alerts(request.app.state.sessions, user.organisation_id))


@router.post("/alerts/{alert_id}/ack", include_in_schema=False)
def acknowledge_form(request: Request, alert_id: AlertId,
                     csrf_token: Annotated[str, Form()] = "") -> Response:
    user = page_user(request)
    check_csrf(user, csrf_token)
    require(user, "acknowledge_alert")
    _acknowledge(request, alert_id, user.username, user.organisation_id)
    return RedirectResponse("/alerts", status_code=303)


@router.get("/api/v1/alerts", tags=["alerts"])
def alerts_api(request: Request) -> list[dict[str, Any]]:
    """Alerts (siege escalations, clusters of field reports as counts), newest day first,
    acknowledged ones included."""
    """Acknowledged means: by the caller's organisation."""
    return list_alerts(request.app.state.sessions, api_user(request).organisation_id)


@router.post("/api/v1/alerts/{alert_id}/ack", tags=["alerts"])
def acknowledge_api(request: Request, alert_id: AlertId) -> dict[str, Any]:
    user = api_user(request)
    check_csrf(user, request.headers.get("x-csrf-token"))
    require(user, "acknowledge_alert")
    _acknowledge(request, alert_id, user.username, user.organisation_id)
    return {"id": alert_id, "acknowledged": True, "by": user.username}


def _acknowledge(request: Request, alert_id: int, username: str, organisation_id: int) -> None:
    problem = acknowledge_alert(request.app.state.sessions, alert_id, username, organisation_id)
    if problem is not None:
        raise HTTPException(404 if problem.startswith("no alert") else 409, problem)
