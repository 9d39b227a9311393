"""User management for admins: the users of their own organisation, and adding one.

The first admin comes from `tocsin users add`; after that, each organisation's admins manage
their own people here. An admin never sees or changes another organisation's users.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.i18n import Said, said_of
from tocsin.records.models import USER_ROLES, User
from tocsin.web.auth import hash_password
from tocsin.web.context import check_csrf, db_session, page_user, render, require
from tocsin.web.i18n import LANGUAGES

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(db_session)]


def _users_page(request: Request, db: Session, status_code: int = 200, error: Any = None) -> Response:
    user = page_user(request)
    require(user, "manage_users")
    users = db.scalars(select(User).where(User.organisation_id == user.organisation_id)
                       .order_by(User.username)).all()
    return render(request, "admin_users.html", user, status_code=status_code, users=users,
                  roles=USER_ROLES, languages=LANGUAGES, error=error)


@router.get("/admin/users")
def users_page(request: Request, db: DB) -> Response:
    return _users_page(request, db)


@router.post("/admin/users")
def add_user(request: Request, db: DB, username: Annotated[str, Form(min_length=1, max_length=100)],
             display_name: Annotated[str, Form(max_length=200)] = "",
             role: Annotated[str, Form()] = "viewer", language: Annotated[str, Form()] = "en",
             password: Annotated[str, Form(max_length=1000)] = "",
             csrf_token: Annotated[str, Form()] = "") -> Response:
    admin = page_user(request)
    check_csrf(admin, csrf_token)
    require(admin, "manage_users")
    username = username.strip()
    if role not in USER_ROLES or language not in LANGUAGES:
        return _users_page(request, db, 422, Said("web.role_or_language", roles=", ".join(USER_ROLES),
                                                  languages=", ".join(LANGUAGES)))
    from tocsin.records.usernames import UsernameError, check_new_username

    try:
        username = check_new_username(username, db.scalars(select(User.username)).all())
    except UsernameError as exc:
        status = 409 if "exists" in str(exc) or "looks like" in str(exc) else 422
        return _users_page(request, db, status, said_of(exc))
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        return _users_page(request, db, 422, said_of(exc))
    db.add(User(username=username, display_name=display_name.strip() or username, role=role,
                language=language, organisation_id=admin.organisation_id, password_hash=password_hash))
    db.commit()
    return RedirectResponse("/admin/users", status_code=303)
