"""Actors, dossiers and the legal qualification of incidents (tocsin.accountability).

Visibility is the accountability package's: an actor the user's organisation may not see, or an
incident of another organisation, answers 404 like one that does not exist. Analysts and admins
assess and sign off (two-person review, in the custody log); monitors and viewers read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from tocsin.i18n import Said, said_of
from tocsin.web.context import check_csrf, language_for, page_user, render, require
from tocsin.web.routes.evidence import _locker

router = APIRouter()


@router.get("/actors", include_in_schema=False)
def actors_page(request: Request) -> Response:
    from tocsin.accountability.entities import ACTOR_SCHEMATA, visible
    from tocsin.records.accountability_models import FtmEntity

    user = page_user(request)
    with request.app.state.sessions() as db:
        rows = db.scalars(visible(select(FtmEntity), user.organisation_id).where(
            FtmEntity.schema.in_(ACTOR_SCHEMATA)).order_by(FtmEntity.caption)).all()
        actors = [{"id": r.id, "caption": r.caption, "schema": r.schema, "dataset": r.dataset}
                  for r in rows]
    return render(request, "actors.html", user, actors=actors)


def _dossier(request: Request, entity_id: str) -> tuple[Any, dict[str, Any]]:
    from tocsin.accountability.dossier import gather
    from tocsin.accountability.errors import AccountabilityError

    user = page_user(request)
    with request.app.state.sessions() as db:
        try:
            return user, gather(db, entity_id, user.organisation_id)
        except AccountabilityError:
            raise HTTPException(404, Said("web.no_actor", entity_id=entity_id)) from None


@router.get("/actors/{entity_id}", include_in_schema=False)
def dossier_page(request: Request, entity_id: str) -> Response:
    """The dossier itself: the same document as the PDF, in the reader's language."""
    from tocsin.accountability.dossier import render_html

    user, data = _dossier(request, entity_id)
    return HTMLResponse(render_html(data, language_for(request, user)),
                        headers={"cache-control": "private, no-store"})


@router.get("/actors/{entity_id}/ftm.jsonl", include_in_schema=False)
def dossier_ftm(request: Request, entity_id: str) -> Response:
    from tocsin.accountability.dossier import ftm_lines

    user, data = _dossier(request, entity_id)
    with request.app.state.sessions() as db:
        body = "".join(line + "\n" for line in ftm_lines(db, data, user.organisation_id))
    return Response(body, media_type="application/x-ndjson", headers={
        "content-disposition": f'attachment; filename="{data["actor"]["id"]}.ftm.jsonl"',
        "cache-control": "private, no-store"})


@router.get("/incidents/{incident_id}/qualification", include_in_schema=False)
def qualification_page(request: Request, incident_id: int, crime: str | None = None,
                       error: str | None = None) -> Response:
    from tocsin.accountability.elements import legal_elements
    from tocsin.accountability.qualification import assessed_crimes, checklist
    from tocsin.records.models import Incident

    user = page_user(request)
    with request.app.state.sessions() as db:
        incident = db.get(Incident, incident_id)
        if incident is None or incident.organisation_id != user.organisation_id:
            raise HTTPException(404, Said("locker.no_incident", incident_id=incident_id))
        crimes = [crime] if crime else (assessed_crimes(db, user.organisation_id, incident_id)
                                        or ["7(1)(a)", "8(2)(e)(i)"])
        try:
            rows = checklist(db, user.organisation_id, incident_id, crimes)
        except Exception as exc:  # an unknown crime id in the query
            raise HTTPException(404, said_of(exc)) from None
        title = incident.title
    return render(request, "qualification.html", user, incident_id=incident_id, title=title,
                  rows=rows, crimes=list(legal_elements().crimes.values()), chosen=crimes,
                  error=error)


@router.post("/incidents/{incident_id}/assess", include_in_schema=False)
def assess_form(request: Request, incident_id: int, element: Annotated[str, Form()],
                assessment: Annotated[str, Form()], evidence: Annotated[str, Form()] = "",
                note: Annotated[str, Form()] = "", group: Annotated[str, Form()] = "",
                situation: Annotated[str, Form()] = "",
                csrf_token: Annotated[str, Form()] = "") -> Response:
    from tocsin.accountability.elements import legal_elements
    from tocsin.accountability.errors import AccountabilityError
    from tocsin.accountability.qualification import DEFAULT_SITUATION, assess

    user = page_user(request)
    check_csrf(user, csrf_token)
    require(user, "qualify")
    try:
        items = [int(x) for x in evidence.replace(",", " ").split()]
    except ValueError:
        raise HTTPException(422, Said("web.evidence_numbers", evidence=evidence)) from None
    try:
        scope = legal_elements().element(element).scope
        assess(_locker(request), user.username, element_id=element, assessment=assessment,
               incident_id=None if scope == "situation" else incident_id,
               situation=(situation or DEFAULT_SITUATION) if scope == "situation" else None,
               note=note or None, evidence_items=items,
               protected_group={"group": group, "as_reported": True} if group else None)
    except AccountabilityError as exc:
        raise HTTPException(422, said_of(exc)) from None
    return RedirectResponse(f"/incidents/{incident_id}/qualification", status_code=303)


@router.post("/assessments/{assessment_id}/sign-off", include_in_schema=False)
def sign_off_form(request: Request, assessment_id: int,
                  incident_id: Annotated[int, Form()],
                  csrf_token: Annotated[str, Form()] = "") -> Response:
    from tocsin.accountability.errors import AccountabilityError
    from tocsin.accountability.qualification import sign_off

    user = page_user(request)
    check_csrf(user, csrf_token)
    require(user, "qualify")
    try:
        sign_off(_locker(request), user.username, assessment_id)
    except AccountabilityError as exc:
        raise HTTPException(422, said_of(exc)) from None
    return RedirectResponse(f"/incidents/{incident_id}/qualification", status_code=303)
