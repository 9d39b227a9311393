"""Alerts: the list (page and API) and acknowledgement (form and API)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tocsin.web.context import api_user, check_csrf, db_session, page_user, render, require
from tocsin.web.data import NOT_COMPUTED, acknowledge_alert, jsonable, list_alerts

router = APIRouter()
DB = Annotated[Session, Depends(db_session)]


@router.get("/alerts", include_in_schema=False)
def alerts_page(request: Request, db: DB) -> Response:
    user = page_user(request)
    return render(request, "alerts.html", user, alerts=list_alerts(db))


@router.post("/alerts/{alert_id}/ack", include_in_schema=False)
def acknowledge_form(request: Request, db: DB, alert_id: int,
                     csrf_token: Annotated[str, Form()] = "") -> Response:
    user = page_user(request)
    check_csrf(user, csrf_token)
    require(user, "acknowledge_alert")
    _acknowledge(db, alert_id, user.user_id, user.username)
    return RedirectResponse("/alerts", status_code=303)


@router.get("/api/v1/alerts", tags=["alerts"])
def alerts_api(request: Request, db: DB) -> Any:
    api_user(request)
    return jsonable(list_alerts(db))


@router.post("/api/v1/alerts/{alert_id}/ack", tags=["alerts"])
def acknowledge_api(request: Request, db: DB, alert_id: int) -> dict[str, Any]:
    user = api_user(request)
    check_csrf(user, request.headers.get("x-csrf-token"))
    require(user, "acknowledge_alert")
    _acknowledge(db, alert_id, user.user_id, user.username)
    return {"id": alert_id, "acknowledged": True}


def _acknowledge(db: Session, alert_id: int, user_id: int, username: str) -> None:
    outcome = acknowledge_alert(db, alert_id, user_id, username)
    if outcome is NOT_COMPUTED:
        raise HTTPException(409, "there are no alerts in this workspace yet (the siege tracker has not run)")
    if not outcome:
        raise HTTPException(404, f"no alert {alert_id}")
