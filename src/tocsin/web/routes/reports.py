"""Field reports: the analysts' inbox (triage, verify, link to an incident), a report's page,
the responders' restricted alerts, and the API. Plain forms: every page works without
JavaScript on a slow link.

A report the reader may not see answers 404 like one that does not exist; a survivor's report
is seen only by the organisation's designated responders, and elsewhere only counted.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from tocsin.i18n import Said, said_of
from tocsin.intake.problems import problem_text
from tocsin.web.auth import Principal
from tocsin.web.context import TEMPLATES, api_user, check_csrf, page_user, render

router = APIRouter()
TEMPLATES.env.globals["problem_text"] = problem_text  # problems found on arrival, in Arabic too


def intake_store(request: Request) -> Any:
    from tocsin.intake.store import IntakeStore

    store = getattr(request.app.state, "intake_store", None)
    if store is None:
        store = IntakeStore(request.app.state.workspace)
        # The web app's own database (tests and deployments may point it elsewhere).
        store.sessions = request.app.state.sessions
        request.app.state.intake_store = store
    return store


def arabic_names(request: Request, rows: list[dict[str, Any]]) -> dict[str, str]:
    """The gazetteer's Arabic names of the rows' places (Arabic readers see them)."""
    places = intake_store(request).resolver.places
    return {r["place_id"]: places[r["place_id"]]["name_ar"] for r in rows
            if r.get("place_id") in places and places[r["place_id"]]["name_ar"]}


def place_reports(request: Request, user: Principal, place_id: str) -> dict[str, Any]:
    """What a place page shows: the reader's visible reports (unverified ones marked as such)
    and counts of everything held there, sensitive reports only as a number."""
    store = intake_store(request)
    viewer = store.viewer_for(user)
    rows = store.visible(viewer, place_id=place_id)
    return {"rows": rows, "counts": store.counts(place_id), "names_ar": arabic_names(request, rows)}


def _get(request: Request, user: Principal, report_id: int, what: str) -> dict[str, Any]:
    from tocsin.intake.store import IntakeError

    store = intake_store(request)
    try:
        return dict(store.get(report_id, store.viewer_for(user), what=what))
    except IntakeError:
        raise HTTPException(404, Said("fieldreport.no_report", report_id=report_id)) from None


def _change(request: Request, user: Principal, action: Any) -> None:
    from tocsin.intake.store import IntakeError

    try:
        action(intake_store(request), intake_store(request).viewer_for(user))
    except IntakeError as exc:
        status = 404 if str(exc).startswith("no ") else 403
        raise HTTPException(status, said_of(exc)) from None


# -- pages ----------------------------------------------------------------------------------------
@router.get("/reports", include_in_schema=False)
def inbox(request: Request, triage: str | None = None) -> Response:
    from tocsin.intake.reports import report_signals

    user = page_user(request)
    store = intake_store(request)
    viewer = store.viewer_for(user)
    rows = store.visible(viewer, triage=triage or None)
    return render(
        request,
        "reports_inbox.html",
        user,
        rows=rows,
        names_ar=arabic_names(request, rows),
        triage=triage,
        counts=store.counts(),
        signals=report_signals(store.visible(viewer)),
        responder=viewer.responder,
    )


@router.get("/reports/alerts", include_in_schema=False)
def responder_alerts(request: Request) -> Response:
    user = page_user(request)
    store = intake_store(request)
    viewer = store.viewer_for(user)
    if not viewer.responder:
        raise HTTPException(404, "Not Found")
    return render(request, "reports_alerts.html", user, alerts=store.responder_alerts(viewer))


@router.post("/reports/alerts/{alert_id}/ack", include_in_schema=False)
def acknowledge(request: Request, alert_id: int, csrf_token: Annotated[str, Form()] = "") -> Response:
    user = page_user(request)
    check_csrf(user, csrf_token)
    _change(request, user, lambda store, viewer: store.acknowledge_alert(alert_id, viewer))
    return RedirectResponse("/reports/alerts", status_code=303)


@router.get("/reports/{report_id}", include_in_schema=False)
def report_page(request: Request, report_id: int) -> Response:
    from tocsin.intake.corroborate import suggestions

    user = page_user(request)
    report = _get(request, user, report_id, "web page")
    store = intake_store(request)
    found = suggestions(request.app.state.workspace, store, report, store.viewer_for(user))
    return render(request, "report.html", user, report=report, suggestions=found[:20], identity=None,
                  names_ar=arabic_names(request, [report]))


@router.post("/reports/{report_id}/identity", include_in_schema=False)
def open_identity(
    request: Request, report_id: int, kind: Annotated[str, Form()], csrf_token: Annotated[str, Form()] = ""
) -> Response:
    from tocsin.intake.store import IntakeError

    user = page_user(request)
    check_csrf(user, csrf_token)
    report = _get(request, user, report_id, "web page")
    store = intake_store(request)
    try:
        identity = store.identity(report_id, kind, store.viewer_for(user))
    except IntakeError as exc:
        raise HTTPException(403, said_of(exc)) from None
    return render(request, "report.html", user, report=report, suggestions=[], identity=identity,
                  identity_kind=kind, names_ar=arabic_names(request, [report]))


@router.post("/reports/{report_id}/verify", include_in_schema=False)
def verify_form(
    request: Request,
    report_id: int,
    status: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    user = page_user(request)
    check_csrf(user, csrf_token)
    _change(
        request, user, lambda store, viewer: store.set_verification(report_id, status, viewer, note or None)
    )
    return RedirectResponse(f"/reports/{report_id}", status_code=303)


@router.post("/reports/{report_id}/triage", include_in_schema=False)
def triage_form(
    request: Request, report_id: int, triage: Annotated[str, Form()], csrf_token: Annotated[str, Form()] = ""
) -> Response:
    user = page_user(request)
    check_csrf(user, csrf_token)
    _change(request, user, lambda store, viewer: store.set_triage(report_id, triage, viewer))
    return RedirectResponse(f"/reports/{report_id}", status_code=303)


@router.post("/reports/{report_id}/link", include_in_schema=False)
def link_form(
    request: Request,
    report_id: int,
    incident_id: Annotated[int, Form()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    user = page_user(request)
    check_csrf(user, csrf_token)
    _change(request, user, lambda store, viewer: store.link_incident(report_id, incident_id, viewer))
    return RedirectResponse(f"/reports/{report_id}", status_code=303)


# -- API ------------------------------------------------------------------------------------------
def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    from tocsin.web.data import jsonable

    return jsonable(row)  # type: ignore[no-any-return]


@router.get("/api/v1/reports", tags=["reports"])
def reports_api(request: Request, place: str | None = None) -> dict[str, Any]:
    """Field reports the caller may see, and counts of all (a survivor's report only counted)."""
    user = api_user(request)
    store = intake_store(request)
    rows = store.visible(store.viewer_for(user), place_id=place)
    return {"reports": [_jsonable(r) for r in rows], "counts": store.counts(place)}


@router.get("/api/v1/reports/{report_id}", tags=["reports"])
def report_api(request: Request, report_id: int) -> dict[str, Any]:
    """One report (a logged view)."""
    return _jsonable(_get(request, api_user(request), report_id, "api"))


@router.post("/api/v1/reports/{report_id}/verification", tags=["reports"])
def verification_api(
    request: Request, report_id: int, status: Annotated[str, Form()], note: Annotated[str, Form()] = ""
) -> dict[str, Any]:
    user = api_user(request)
    check_csrf(user, request.headers.get("x-csrf-token"))
    _change(
        request, user, lambda store, viewer: store.set_verification(report_id, status, viewer, note or None)
    )
    return {"id": report_id, "verification": status}
