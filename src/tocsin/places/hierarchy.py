"""The place hierarchy: a neighbourhood, hamlet or camp inside or beside a town belongs to it.

Every gazetteer place may have a parent (``parent_id``), decided by the rules below and kept
with the rule that decided it (``parent_rule``); docs/methods/gazetteer.md explains them.

1. Only cities and towns are parents; a city has no parent (Khartoum, Omdurman and Bahri are
   three cities, each with its own siege).
2. *Within*: a place of a smaller class whose point lies within a town's or city's settlement
   radius (city 8 km, town 4 km; the gazetteer's ``radius_km``) is part of it — the OSM
   villages and hamlets mapped inside El Geneina are its neighbourhoods. A camp or IDP site
   counts as *beside* the town up to ``CAMP_MARGIN_KM`` beyond that radius (Abu Shouk and
   Al Salam at El Fasher, Ardamata and Krinding at El Geneina). The nearest such town wins.
3. *Named after*: a camp or site whose name begins with a town's name within
   ``NAMED_AFTER_KM`` ("Kass Humira School" at Kass, "Nertati North Camp" at Nertiti).
4. A town's own parent is followed (a town mapped inside a city folds into the city); the top
   of the chain is what ranked lists show.

``fold_ranked`` is what every ranked list (forecast top N, siege board, brief, web) calls:
one row per top-level place, in the order of its best member, with its sub-places folded under
it and their additive figures summed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from tocsin.places.names import skeleton, words
from tocsin.spatial import haversine_km, nearest_within

PARENT_CLASSES = ("city", "town")
# Classes that can sit inside a parent of a bigger class (CLASS_RANK order in the gazetteer).
CHILD_RANK = {"town": 5, "camp": 4, "idp_site": 3, "village": 3, "neighbourhood": 2, "hamlet": 2,
              "isolated_dwelling": 1}
PARENT_RANK = {"city": 6, "town": 5}
CAMP_CLASSES = ("camp", "idp_site")
CAMP_MARGIN_KM = 2.0
NAMED_AFTER_KM = 15.0
CAMP_WORDS = {"camp", "idp", "idps", "gathering", "site", "north", "south", "east", "west",
              "معسكر", "مخيم"}


# How a parent was chosen, as the gazetteer stores it ("within El Fasher (city, 3.4 km)"): a
# sentence an analyst reads, which ``read_rule`` takes apart again to say it in another language.
RULES = ("within", "beside", "named after")
_RULE = re.compile(r"^(?P<how>within|beside|named after) (?P<name>.*) \((?P<place_class>[a-z_]+), "
                   r"(?P<km>\d+(?:\.\d+)?) km\)$", re.S)


def rule_text(how: str, name: str | None, place_class: str, km: float) -> str:
    return f"{how} {name} ({place_class}, {km:.1f} km)"


def read_rule(text: str | None) -> dict[str, Any] | None:
    """A stored rule's parts (how, name, place_class, km), or None for text of another shape."""
    found = _RULE.match(text or "")
    if found is None:
        return None
    return {**found.groupdict(), "km": float(found["km"])}


def assign_parents(gazetteer: pa.Table) -> tuple[list[str | None], list[str | None]]:
    """Each place's parent place id and the rule that chose it (None, None for top places).

    ``gazetteer`` needs place_id, name, place_class, latitude, longitude, radius_km."""
    n = gazetteer.num_rows
    ids = gazetteer.column("place_id").to_pylist()
    names = gazetteer.column("name").to_pylist()
    classes = gazetteer.column("place_class").to_pylist()
    lat = np.asarray(gazetteer.column("latitude").to_numpy(zero_copy_only=False), dtype=float)
    lon = np.asarray(gazetteer.column("longitude").to_numpy(zero_copy_only=False), dtype=float)
    radius = np.asarray(gazetteer.column("radius_km").to_numpy(zero_copy_only=False), dtype=float)
    parent: list[str | None] = [None] * n
    rule: list[str | None] = [None] * n
    towns = np.array([i for i in range(n) if classes[i] in PARENT_CLASSES], dtype=np.int64)
    if len(towns) == 0:
        return parent, rule
    for child_class, child_rank in CHILD_RANK.items():
        rows = np.array([i for i in range(n) if classes[i] == child_class], dtype=np.int64)
        # Parents must be of a bigger class: a town only inside a city.
        targets = towns[[PARENT_RANK[classes[t]] > child_rank for t in towns.tolist()]]
        if len(rows) == 0 or len(targets) == 0:
            continue
        margin = CAMP_MARGIN_KM if child_class in CAMP_CLASSES else 0.0
        hit, km = nearest_within(lat[rows], lon[rows], lat[targets], lon[targets],
                                 radius[targets] + margin)
        for row, h, d in zip(rows.tolist(), hit.tolist(), km.tolist(), strict=True):
            if h >= 0:
                t = int(targets[h])
                parent[row] = ids[t]
                rule[row] = rule_text("beside" if d > radius[t] else "within", names[t],
                                      classes[t], d)
    _named_after(ids, names, classes, lat, lon, towns, parent, rule)
    return parent, rule


def _named_after(ids: list[str], names: list[str | None], classes: list[str], lat: np.ndarray,
                 lon: np.ndarray, towns: np.ndarray, parent: list[str | None],
                 rule: list[str | None]) -> None:
    """Rule 3: camps named after a nearby town ("Kass Humira Market" -> Kass)."""
    by_key: dict[str, list[int]] = {}
    for t in towns.tolist():
        key = skeleton(names[t] or "")
        if len(key) >= 2:
            by_key.setdefault(key, []).append(t)
    for i, cls in enumerate(classes):
        if parent[i] is not None or cls not in CAMP_CLASSES or not names[i]:
            continue
        parts = [w for w in words(names[i] or "") if w not in CAMP_WORDS]
        for length in range(min(3, len(parts)), 0, -1):
            key = skeleton(" ".join(parts[:length]))
            found = [t for t in by_key.get(key, []) if t != i and
                     float(haversine_km(lat[i], lon[i], lat[t], lon[t])) <= NAMED_AFTER_KM]
            if found:
                t = min(found, key=lambda t: float(haversine_km(lat[i], lon[i], lat[t], lon[t])))
                d = float(haversine_km(lat[i], lon[i], lat[t], lon[t]))
                parent[i] = ids[t]
                rule[i] = rule_text("named after", names[t], classes[t], d)
                break


@dataclass
class Hierarchy:
    """Parents by place id, with names and classes, for folding lists and counting events."""

    parent: dict[str, str] = field(default_factory=dict)
    names: dict[str, str | None] = field(default_factory=dict)
    classes: dict[str, str | None] = field(default_factory=dict)
    rules: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, gazetteer: pa.Table) -> Hierarchy:
        """From a gazetteer table (a stored one without ``parent_id`` has no hierarchy)."""
        ids = gazetteer.column("place_id").to_pylist()
        names = gazetteer.column("name").to_pylist() if "name" in gazetteer.column_names \
            else [None] * len(ids)
        classes = gazetteer.column("place_class").to_pylist() \
            if "place_class" in gazetteer.column_names else [None] * len(ids)
        parents = gazetteer.column("parent_id").to_pylist() \
            if "parent_id" in gazetteer.column_names else [None] * len(ids)
        rules = gazetteer.column("parent_rule").to_pylist() \
            if "parent_rule" in gazetteer.column_names else [None] * len(ids)
        return cls({i: p for i, p in zip(ids, parents, strict=True) if p},
                   dict(zip(ids, names, strict=True)), dict(zip(ids, classes, strict=True)),
                   dict(zip(ids, rules, strict=True)))

    @classmethod
    def from_workspace(cls, workspace: Any) -> Hierarchy:
        """The hierarchy of a workspace's gazetteer (empty when it has none)."""
        from tocsin.lake import Lake

        lake = Lake(workspace.lake_dir)
        if lake.derived_path("gazetteer") is None:
            return cls()
        con = lake.connect()
        try:
            cols = {r[0] for r in con.execute("DESCRIBE gazetteer").fetchall()}
            wanted = [c for c in ("place_id", "name", "place_class", "parent_id", "parent_rule")
                      if c in cols]
            return cls.of(con.sql(f"SELECT {', '.join(wanted)} FROM gazetteer").to_arrow_table())
        finally:
            con.close()

    def top(self, place_id: str) -> str:
        """The top of the place's chain of parents (itself when it has none)."""
        chain = self.ancestors(place_id)
        return chain[-1] if chain else place_id

    def ancestors(self, place_id: str) -> list[str]:
        """Parent, grandparent, ... (a cycle, which the rules cannot make, stops the chain)."""
        chain: list[str] = []
        seen = {place_id}
        while place_id in self.parent and self.parent[place_id] not in seen:
            place_id = self.parent[place_id]
            seen.add(place_id)
            chain.append(place_id)
        return chain

    def children(self, place_id: str) -> list[str]:
        return sorted(c for c, p in self.parent.items() if p == place_id)

    def descendants(self, place_id: str) -> list[str]:
        """Every place whose chain of parents reaches ``place_id`` (what folds into it)."""
        return sorted(c for c in self.parent if place_id in self.ancestors(c))

    def is_named(self, place_id: str) -> bool:
        return bool(self.names.get(place_id))


def fold_ranked(rows: Sequence[Mapping[str, Any]], hierarchy: Hierarchy, *,
                id_key: str = "place_id", name_key: str = "name",
                sum_keys: Iterable[str] = (), max_keys: Iterable[str] = (),
                limit: int | None = None,
                include_unnamed: bool = False) -> list[dict[str, Any]]:
    """Fold a ranked list (best first) so each town appears once, at the rank of its best member.

    Each returned row is the town's own row when the list has one, else its best sub-place's
    row relabelled to the town; ``sub_places`` lists the folded members (id, name, and the rule
    that made each a sub-place); the ``sum_keys`` (deaths, events...) are summed over the town
    and its members, and the ``max_keys`` (the score the list is ranked by) take the group's
    largest, so that the town's figure matches its rank.
    Unnamed places are dropped unless ``include_unnamed`` (no-one can be warned about a point
    without a name); a sub-place's row still counts for its named town.
    """
    groups: dict[str, list[Mapping[str, Any]]] = {}
    order: list[str] = []
    for row in rows:
        top = hierarchy.top(str(row[id_key]))
        if top not in groups:
            groups[top] = []
            order.append(top)
        groups[top].append(row)
    sums, maxes = list(sum_keys), list(max_keys)
    out: list[dict[str, Any]] = []
    for top in order:
        members = groups[top]
        own = next((r for r in members if r[id_key] == top), None)
        base = dict(own if own is not None else members[0])
        if own is None:
            base["folded_from"] = members[0][id_key]
            base[id_key] = top
            if top in hierarchy.names:
                base[name_key] = hierarchy.names[top]
        if not include_unnamed and not base.get(name_key):
            continue
        base["sub_places"] = [{"place_id": r[id_key], "name": r.get(name_key),
                               "name_ar": r.get("name_ar"), "rule": hierarchy.rules.get(str(r[id_key]))}
                              for r in members if r[id_key] != top]
        for key in sums:
            values = [r.get(key) for r in members if r.get(key) is not None]
            base[key] = sum(values) if values else base.get(key)
        for key in maxes:
            values = [r.get(key) for r in members if r.get(key) is not None]
            base[key] = max(values) if values else base.get(key)
        out.append(base)
        if limit is not None and len(out) >= limit:
            break
    return out


def fold_table(table: pa.Table, hierarchy: Hierarchy, **kwargs: Any) -> list[dict[str, Any]]:
    """``fold_ranked`` over an Arrow table's rows (in the table's order)."""
    return fold_ranked(table.to_pylist(), hierarchy, **kwargs)
