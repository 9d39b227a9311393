"""The few record operations the command line needs before a web app exists: organisations,
users and incidents. Each raises :class:`RecordError` with a message naming what is wrong."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.i18n import Said, said_of
from tocsin.records.models import USER_ROLES, Incident, Organisation, User


class RecordError(Exception):
    """A record cannot be created as asked."""


def add_organisation(session: Session, name: str) -> Organisation:
    name = name.strip()
    if not name:
        raise RecordError(Said("accounts.org_needs_name"))
    if session.scalar(select(Organisation).where(Organisation.name == name)) is not None:
        raise RecordError(Said("accounts.org_exists", name=name))
    organisation = Organisation(name=name)
    session.add(organisation)
    session.flush()
    return organisation


def organisation_named(session: Session, name: str) -> Organisation:
    organisation = session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        raise RecordError(Said("accounts.unknown_org", name=name))
    return organisation


def add_user(session: Session, username: str, organisation: str, role: str,
             display_name: str | None = None, language: str = "en") -> User:
    if role not in USER_ROLES:
        raise RecordError(Said("accounts.role_choice", roles=", ".join(USER_ROLES), role=role))
    from tocsin.records.usernames import UsernameError, check_new_username

    try:
        username = check_new_username(username, session.scalars(select(User.username)).all())
    except UsernameError as exc:
        raise RecordError(said_of(exc)) from None  # told in a session's language
    org = organisation_named(session, organisation)
    user = User(organisation_id=org.id, username=username, display_name=display_name or username,
                role=role, language=language)
    session.add(user)
    session.flush()
    return user


def user_named(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise RecordError(Said("accounts.unknown_user", username=username))
    return user


def add_incident(session: Session, *, username: str, title: str, category: str,
                 occurred_from: dt.date, occurred_to: dt.date | None = None,
                 place_id: str | None = None, description: str | None = None) -> Incident:
    from tocsin.schema.taxonomy import load_taxonomy

    categories = set(load_taxonomy().categories)
    if category not in categories:
        raise RecordError(Said("accounts.category_choice", categories=", ".join(sorted(categories)),
                               category=category))
    if occurred_to is not None and occurred_to < occurred_from:
        raise RecordError(Said("accounts.incident_ends_before"))
    user = user_named(session, username)
    incident = Incident(organisation_id=user.organisation_id, title=title, category=category,
                        occurred_from=occurred_from, occurred_to=occurred_to, place_id=place_id,
                        description=description, created_by=user.id)
    session.add(incident)
    session.flush()
    return incident


def describe(row: Any) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in row.__table__.columns if c.name != "password_hash"}
