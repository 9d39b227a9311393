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
from tocsin.i18n import Said

CONFIDENTIAL_ROLES = ("admin", "analyst")
EDITOR_ROLES = ("admin", "analyst")


def check_open(sensitivity: str, role: str, organisation_id: int,
               allowed_orgs: Collection[int], item_id: int) -> None:
    if sensitivity == "public":
        return
    if organisation_id not in allowed_orgs:
        raise AccessDenied(Said("access.no_access", item_id=item_id,
                                sensitivity_named=Said(f"access.sensitivity_{sensitivity}")))
    if sensitivity == "confidential" and role not in CONFIDENTIAL_ROLES:
        raise AccessDenied(Said("access.confidential", item_id=item_id, role=role))


def check_edit(role: str, organisation_id: int, allowed_orgs: Collection[int], item_id: int,
               what: str) -> None:
    if organisation_id not in allowed_orgs:
        raise AccessDenied(Said("access.edit_no_access", item_id=item_id,
                                to=Said(f"access.to_{what}")))
    if role not in EDITOR_ROLES:
        raise AccessDenied(Said("access.edit_role", item_id=item_id, role=role,
                                to=Said(f"access.to_{what}")))


def check_delete(role: str, organisation_id: int, owner_id: int, item_id: int) -> None:
    if organisation_id != owner_id or role != "admin":
        raise AccessDenied(Said("access.delete", item_id=item_id))
