"""Armed actors under one name whatever the source calls them (``actors.yaml``, data).

``canonical("SFA")`` is ``"RSF"``; ``canonical_sql`` is the same rule for an ingest's SQL, so a
name is mapped once, when events enter the lake, and every reader (siege, forecast, brief, web)
sees one actor. ``canonical`` also serves readers of events ingested before a name was added.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from tocsin.sqltext import sql_str as lit


@dataclass(frozen=True)
class Actor:
    name: str
    names: frozenset[str]          # lower-cased aliases, the name itself among them
    ucdp_side_ids: frozenset[int]


@cache
def actors() -> tuple[Actor, ...]:
    data = yaml.safe_load(resources.files("tocsin.schema").joinpath("actors.yaml").read_text("utf-8"))
    found = []
    for name, spec in (data or {}).items():
        aliases = {str(a).strip().lower() for a in spec.get("names", [])} | {name.lower()}
        ids = frozenset(int(i) for i in spec.get("ucdp_side_ids", []))
        found.append(Actor(name, frozenset(aliases), ids))
    return tuple(found)


def canonical(name: str | None, ucdp_side_id: int | str | None = None) -> str | None:
    """The actor's one name (the source's own when it is not one of ``actors.yaml``'s)."""
    side = _int(ucdp_side_id)
    for actor in actors():
        if side is not None and side in actor.ucdp_side_ids:
            return actor.name
    if name is None:
        return None
    low = name.strip().lower()
    for actor in actors():
        if low in actor.names:
            return actor.name
    return name


def canonical_sql(name: str, side_id: str | None = None) -> str:
    """``canonical`` as SQL over two expressions: the name and (UCDP) the side id, as text."""
    arms = []
    for actor in actors():
        if side_id is not None and actor.ucdp_side_ids:
            ids = ", ".join(lit(str(i)) for i in sorted(actor.ucdp_side_ids))
            arms.append(f"WHEN trim(CAST({side_id} AS VARCHAR)) IN ({ids}) THEN {lit(actor.name)}")
        aliases = ", ".join(lit(a) for a in sorted(actor.names))
        arms.append(f"WHEN lower(trim({name})) IN ({aliases}) THEN {lit(actor.name)}")
    return f"(CASE {' '.join(arms)} ELSE {name} END)" if arms else name


def _int(value: int | str | None) -> int | None:
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None
