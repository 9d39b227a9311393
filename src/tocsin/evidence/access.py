"""Who may do what with an item. One place for the rules, so the CLI and the web app agree.

- public: any user may open it; opening is not logged.
- restricted: users of an organisation holding access (the owner, or one it was transferred
  to); every view is logged.
- confidential: as restricted, and only admins and analysts (not monitors or viewers); the
  content and its sensitive metadata are encrypted, and every view is logged.
- delete (for someone's safety): admins of the owning organisation.
- transfer and redact: admins and analysts of an organisation holding access.
"""

from __future__ import annotations

from collections.abc import Collection

from tocsin.evidence.errors import AccessDenied

CONFIDENTIAL_ROLES = ("admin", "analyst")
EDITOR_ROLES = ("admin", "analyst")


def check_open(sensitivity: str, role: str, organisation_id: int,
               allowed_orgs: Collection[int], item_id: int) -> None:
    if sensitivity == "public":
        return
    if organisation_id not in allowed_orgs:
        raise AccessDenied(f"item {item_id} is {sensitivity}: your organisation has no access "
                           "(ask its owner to transfer it)")
    if sensitivity == "confidential" and role not in CONFIDENTIAL_ROLES:
        raise AccessDenied(f"item {item_id} is confidential: only admins and analysts of an "
                           f"organisation with access may open it (you are {role})")


def check_edit(role: str, organisation_id: int, allowed_orgs: Collection[int], item_id: int,
               what: str) -> None:
    if organisation_id not in allowed_orgs:
        raise AccessDenied(f"cannot {what} item {item_id}: your organisation has no access")
    if role not in EDITOR_ROLES:
        raise AccessDenied(f"cannot {what} item {item_id}: needs an admin or analyst, you are {role}")


def check_delete(role: str, organisation_id: int, owner_id: int, item_id: int) -> None:
    if organisation_id != owner_id or role != "admin":
        raise AccessDenied(f"cannot delete item {item_id}: only an admin of its owning "
                           "organisation may delete it")
