"""Sourced changes of control (records table ``control_changes``): an analyst records that a town
fell on a day to an actor, or that people returned, with the source that says so. The siege
tracker reads them as the evidence of its fallen stage (analysis/siege.py, CONTROL_SCHEMA)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlparse

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tocsin.i18n import Said
from tocsin.records.db import (
    RecordsDatabaseError,
    current_revision,
    head_revision,
    session_factory,
    sessions_at_head,
)
from tocsin.records.models import CONTROL_KINDS, ControlChange


class ControlChangeError(ValueError):
    """A change of control cannot be recorded; the message says which field is wrong."""


def open_control(url: str) -> sessionmaker[Session]:
    return sessions_at_head(url, "control changes", ControlChangeError)


def check_source(url: str) -> str:
    """A source is a web address a reader can open (http or https, with a host)."""
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ControlChangeError(Said("control.source_http", url=url))
    return url.strip()


def record_control_change(sessions: sessionmaker[Session], *, place_id: str, place_name: str,
                          kind: str, day: dt.date, actor: str | None, source_url: str,
                          recorded_by: str, note: str | None = None,
                          today: dt.date | None = None) -> dict[str, Any]:
    if kind not in CONTROL_KINDS:
        raise ControlChangeError(Said("control.kind", kinds=", ".join(CONTROL_KINDS), kind=kind))
    actor = (actor or "").strip() or None
    if kind == "fell" and actor is None:
        raise ControlChangeError(Said("control.fall_needs_actor"))
    if today is not None and day > today:
        raise ControlChangeError(Said("control.future_day", day=day))
    row = ControlChange(place_id=place_id, place_name=place_name, kind=kind, day=day, actor=actor,
                        source_url=check_source(source_url), note=(note or "").strip() or None,
                        recorded_by=recorded_by)
    with sessions() as session, session.begin():
        session.add(row)
        session.flush()
        out = control_json(row)
    return out


def control_json(row: ControlChange) -> dict[str, Any]:
    return {"id": row.id, "place_id": row.place_id, "place_name": row.place_name, "kind": row.kind,
            "day": row.day, "actor": row.actor, "source_url": row.source_url, "note": row.note,
            "recorded_by": row.recorded_by}


def list_control_changes(sessions: sessionmaker[Session],
                         place_ids: list[str] | None = None) -> list[dict[str, Any]]:
    with sessions() as session:
        query = select(ControlChange).order_by(ControlChange.day, ControlChange.id)
        if place_ids is not None:
            query = query.where(ControlChange.place_id.in_(place_ids))
        return [control_json(r) for r in session.scalars(query)]


def control_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as the siege tracker's CONTROL_SCHEMA."""
    from tocsin.analysis.siege import CONTROL_SCHEMA

    return pa.Table.from_pylist([{"record_id": str(r["id"]), "place_id": r["place_id"],
                                  "date": r["day"], "kind": r["kind"], "actor": r["actor"],
                                  "source_url": r["source_url"], "note": r["note"]} for r in rows],
                                schema=CONTROL_SCHEMA)


def workspace_control(url: str) -> pa.Table | None:
    """Every recorded change of control in the records database at ``url`` (None when the
    database is older than this Tocsin or absent: the tracker then has only the events)."""
    try:
        if current_revision(url) != head_revision():
            return None
    except (RecordsDatabaseError, SQLAlchemyError):  # no usable database: no records
        return None
    return control_table(list_control_changes(session_factory(url)))
