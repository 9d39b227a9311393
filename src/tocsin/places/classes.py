"""What kind of place a record is: rules over every source's own tags, not whichever came first.

Per record (``record_class``), the first rule that applies:
1. its name says it is a camp ("... Camp", "IDP", "gathering", معسكر, مخيم, نازحين) -> camp;
2. IOM DTM's own classification (the adapter: camp, else idp_site) stays;
3. HIU's "Sec Town" flag (a secondary town in the State Department's assessment) -> town;
4. OSM place=suburb/neighbourhood/quarter -> neighbourhood;
5. otherwise the source's class (OSM's place tag; GeoNames by population).

Per merged place (``merged_class``): a camp wins over every record of its group unless one of
them is a GeoNames town or city with a census population (a town named after its camp stays a
town: the camp is then a sub-place of it); otherwise the biggest class of the group.
docs/methods/gazetteer.md states the same rules with examples.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

CAMP_NAME = re.compile(r"(\b(camp|idps?|gathering)\b)|معسكر|مخيم|نازحين", re.IGNORECASE)
NEIGHBOURHOOD_TAGS = {"suburb", "neighbourhood", "neighborhood", "quarter", "city_block"}
CLASS_RANK = {"city": 6, "town": 5, "camp": 4, "idp_site": 3, "village": 3, "neighbourhood": 2,
              "hamlet": 2, "isolated_dwelling": 1}
CENSUS_TOWN_POPULATION = 10_000


def attributes_of(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def names_say_camp(names: Iterable[str | None]) -> bool:
    return any(n and CAMP_NAME.search(n) for n in names)


def record_class(source: str, source_class: str, names: Iterable[str | None],
                 attributes: Mapping[str, Any]) -> str:
    """The class of one source record (rules 1-5 above)."""
    source_class = (source_class or "village").lower()
    if names_say_camp(names):
        return "camp"
    if source == "iom-dtm-sites":
        return source_class
    if source == "hiu-villages" and str(attributes.get("Sec Town") or "").strip() in ("1", "1.0"):
        return "town"
    if source_class in NEIGHBOURHOOD_TAGS:
        return "neighbourhood"
    return source_class


def merged_class(members: Iterable[tuple[str, str, int | None]]) -> str:
    """The class of a merged place from its records' (source, class, population)."""
    rows = list(members)
    classes = [c for _, c, _ in rows]
    census_town = any(s == "geonames" and c in ("city", "town") and (p or 0) >= CENSUS_TOWN_POPULATION
                      for s, c, p in rows)
    if "camp" in classes and not census_town:
        return "camp"
    return max(classes, key=lambda c: CLASS_RANK.get(c, 0))


def camp_aliases(name: str) -> list[str]:
    """"Abu Shouk Camp" is also called "Abu Shouk", "معسكر ابو شوك" also "ابو شوك": the camp is
    what people mean by the bare name."""
    if not CAMP_NAME.search(name):
        return []
    bare = re.sub(r"\s+", " ", CAMP_NAME.sub(" ", name)).strip(" -/()")
    return [bare] if len(bare) >= 3 and bare != name else []
