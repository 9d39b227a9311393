"""Actors, units, commanders, suppliers and sanctions as FollowTheMoney entities in the records
database, each built and checked by the ``followthemoney`` package.

An entity row keeps FtM's shape (schema + properties) and adds what FtM leaves to the
application: who may see it (``organisation_id``; None = public, such as a published list),
the records actor it stands for (``actor_id``, so incidents reach it), and for claims (a
Membership, an Ownership, a supply link, a unit's area of operations, a protected route) a
``status`` (accepted / contested / needs work) and its ``sources``, as Security Force Monitor
keeps them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from followthemoney import model
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy
from normality import ascii_text
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin.accountability.errors import AccountabilityError
from tocsin.i18n import Said
from tocsin.records.accountability_models import (
    CLAIM_STATUSES,
    EntityMatch,
    FtmEntity,
    SupplyRoute,
    UnitArea,
)
from tocsin.records.models import Actor, User

TOCSIN_DATASET = "tocsin"
ACTOR_SCHEMATA = ("Person", "Organization", "Company", "LegalEntity", "PublicBody", "Vessel",
                  "Airplane")
# Link schemata and the two properties that name their ends.
LINKS = {
    "Membership": ("member", "organization"),
    "Directorship": ("director", "organization"),
    "Ownership": ("owner", "asset"),
    "Family": ("person", "relative"),
    "Representation": ("agent", "client"),
    "UnknownLink": ("subject", "object"),  # supply: subject supplies object (role "supplier")
}
COMMAND_ROLES = ("commander", "command", "leader", "head")


def make_proxy(schema: str, properties: dict[str, Any], entity_id: str | None = None) -> EntityProxy:
    """An FtM entity, refused with a clear message when FtM does not accept it."""
    try:
        entity = model.make_entity(schema)
    except (InvalidData, KeyError):
        raise AccountabilityError(Said("claims.unknown_schema", schema=schema)) from None
    if entity_id is None:
        parts = sorted(f"{k}={v}" for k, values in properties.items() for v in _values(values))
        digest = hashlib.sha1("\x1f".join([schema, *parts]).encode("utf-8")).hexdigest()[:16]
        entity_id = f"tocsin-{schema.lower()}-{digest}"
    entity.id = entity_id
    for prop, values in properties.items():
        if prop not in entity.schema.properties:
            raise AccountabilityError(Said("claims.no_property", schema=schema, prop=prop))
        for value in _values(values):
            entity.add(prop, value)
            if not entity.get(prop) and value:
                raise AccountabilityError(Said("claims.bad_value", schema=schema, prop=prop, value=value,
                                               kind=entity.schema.properties[prop].type.name))
    if entity.schema.is_a("Thing") and not entity.get("name") and schema not in LINKS:
        raise AccountabilityError(Said("claims.needs_name", schema=schema))
    return entity


def _values(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str | int | float | dt.date):
        return [str(values)]
    return [str(v) for v in values if v is not None and str(v) != ""]


def proxy_of(row: FtmEntity) -> EntityProxy:
    return model.get_proxy({"id": row.id, "schema": row.schema, "properties": row.properties},
                           cleaned=False)


def store(session: Session, entity: EntityProxy, *, dataset: str,
          organisation_id: int | None = None, actor_id: int | None = None,
          status: str = "accepted", sources: Sequence[Any] = (),
          created_by: int | None = None) -> tuple[FtmEntity, bool]:
    """Insert or update one entity by id; returns the row and whether it was new."""
    if status not in CLAIM_STATUSES:
        raise AccountabilityError(Said("claims.status", statuses=", ".join(CLAIM_STATUSES), status=status))
    data = entity.to_dict()
    row = session.get(FtmEntity, entity.id)
    caption = entity.caption[:500]
    if row is None:
        row = FtmEntity(id=entity.id, schema=entity.schema.name, caption=caption,
                        properties=data["properties"], dataset=dataset,
                        organisation_id=organisation_id, actor_id=actor_id, status=status,
                        sources=list(sources), created_by=created_by)
        session.add(row)
        return row, True
    changed = row.properties != data["properties"] or row.caption != caption
    if changed:
        row.properties, row.caption, row.schema = data["properties"], caption, entity.schema.name
    return row, False


def visible(query: Any, organisation_id: int | None) -> Any:
    """Restrict a query on FtmEntity to what the organisation may see."""
    return query.where(or_(FtmEntity.organisation_id.is_(None),
                           FtmEntity.organisation_id == organisation_id))


def find_entity(session: Session, ref: str, organisation_id: int | None) -> FtmEntity:
    """An entity by id or by exact (case-insensitive) caption, visible to the organisation."""
    row = session.get(FtmEntity, ref)
    if row is not None and row.organisation_id in (None, organisation_id):
        return row
    rows = session.scalars(visible(select(FtmEntity), organisation_id).where(
        FtmEntity.caption.ilike(ref), FtmEntity.schema.in_(ACTOR_SCHEMATA))).all()
    if not rows:
        raise AccountabilityError(Said("claims.no_actor", ref=ref))
    own = [r for r in rows if r.dataset == TOCSIN_DATASET] or rows
    return own[0]


def add_actor(session: Session, user: User, schema: str, name: str, *,
              properties: dict[str, Any] | None = None, public: bool = False,
              kind: str | None = None, sources: Sequence[Any] = ()) -> FtmEntity:
    """A person, armed group, unit or company, also as a records actor incidents can name."""
    if schema not in ACTOR_SCHEMATA:
        raise AccountabilityError(Said("claims.actor_schema", schemata=", ".join(ACTOR_SCHEMATA),
                                        schema=schema))
    entity = make_proxy(schema, {"name": name, **(properties or {})},
                        entity_id=f"tocsin-{schema.lower()}-{_slug(name)}")
    records_kind = kind or {"Person": "person", "Company": "company"}.get(schema, "armed_group")
    actor = session.scalar(select(Actor).where(Actor.source == TOCSIN_DATASET,
                                               Actor.source_id == entity.id))
    if actor is None:
        actor = Actor(name=name, kind=records_kind, aliases=list(entity.get("alias")),
                      source=TOCSIN_DATASET, source_id=entity.id)
        session.add(actor)
        session.flush()
    row, _ = store(session, entity, dataset=TOCSIN_DATASET,
                   organisation_id=None if public else user.organisation_id,
                   actor_id=actor.id, sources=sources, created_by=user.id)
    session.flush()
    return row


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (ascii_text(text) or text).lower()).strip("-")[:120]


def add_link(session: Session, user: User, schema: str, source: FtmEntity, target: FtmEntity, *,
             role: str | None = None, start: str | None = None, end: str | None = None,
             status: str = "needs_work", sources: Sequence[Any] = (),
             public: bool = False) -> FtmEntity:
    """A claim linking two actors (command, ownership, supply...), with its status and sources."""
    if schema not in LINKS:
        raise AccountabilityError(Said("claims.link_schema", links=", ".join(LINKS), schema=schema))
    if not sources:
        raise AccountabilityError(Said("claims.link_needs_source"))
    left, right = LINKS[schema]
    properties: dict[str, Any] = {left: source.id, right: target.id, "startDate": start,
                                  "endDate": end}
    if role:
        properties["role"] = role
    entity = make_proxy(schema, properties)
    for end_name, row in ((left, source), (right, target)):
        allowed = entity.schema.properties[end_name].range
        if allowed is not None and not model.get(row.schema).is_a(allowed):  # type: ignore[union-attr]
            raise AccountabilityError(Said("claims.link_end", schema=schema, end=end_name,
                                           allowed=allowed.name, caption=row.caption,
                                           found=row.schema))
    row, _ = store(session, entity, dataset=TOCSIN_DATASET,
                   organisation_id=None if public else user.organisation_id, status=status,
                   sources=list(sources), created_by=user.id)
    session.flush()
    return row


def add_area(session: Session, user: User, unit: FtmEntity, *, label: str,
             date_from: dt.date, date_to: dt.date | None = None, place_id: str | None = None,
             admin2_pcode: str | None = None, status: str = "needs_work",
             sources: Sequence[Any] = ()) -> UnitArea:
    if date_to is not None and date_to < date_from:
        raise AccountabilityError(Said("claims.area_ends_before"))
    if not sources:
        raise AccountabilityError(Said("claims.area_needs_source"))
    area = UnitArea(entity_id=unit.id, place_id=place_id, admin2_pcode=admin2_pcode, label=label,
                    date_from=date_from, date_to=date_to, status=status, sources=list(sources),
                    organisation_id=user.organisation_id)
    session.add(area)
    session.flush()
    return area


def add_route(session: Session, user: User, protector: FtmEntity, *, name: str,
              places: Sequence[str], date_from: dt.date | None = None,
              date_to: dt.date | None = None, status: str = "needs_work",
              sources: Sequence[Any] = ()) -> SupplyRoute:
    if len(places) < 2:
        raise AccountabilityError(Said("claims.route_two_places"))
    if not sources:
        raise AccountabilityError(Said("claims.route_needs_source"))
    route = SupplyRoute(name=name, places=list(places), protected_by=protector.id,
                        date_from=date_from, date_to=date_to, status=status,
                        sources=list(sources), organisation_id=user.organisation_id)
    session.add(route)
    session.flush()
    return route


def links_of(session: Session, entity_ids: Iterable[str],
             organisation_id: int | None) -> list[FtmEntity]:
    """Link entities (any schema of LINKS) touching any of ``entity_ids``, visible to the org."""
    ids = set(entity_ids)
    rows = session.scalars(visible(select(FtmEntity), organisation_id)
                           .where(FtmEntity.schema.in_(tuple(LINKS)))).all()
    out = []
    for row in rows:
        left, right = LINKS[row.schema]
        ends = set(row.properties.get(left, [])) | set(row.properties.get(right, []))
        if ends & ids:
            out.append(row)
    return out


def cluster_of(session: Session, entity_id: str) -> set[str]:
    """The entity and every entity confirmed (positive judgement) to be the same, transitively."""
    found, frontier = {entity_id}, [entity_id]
    while frontier:
        current = frontier.pop()
        rows = session.scalars(select(EntityMatch).where(
            EntityMatch.judgement == "positive",
            or_(EntityMatch.left_id == current, EntityMatch.right_id == current))).all()
        for match in rows:
            other = match.right_id if match.left_id == current else match.left_id
            if other not in found:
                found.add(other)
                frontier.append(other)
    return found
