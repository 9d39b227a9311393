"""Features in words: what an analyst reads next to a forecast."""

from __future__ import annotations

import math
import re

from tocsin.analysis.features import FAR_KM, LONG_AGO_DAYS

# Classes by gazetteer.CLASS_RANK; village and IDP site share rank 3, and villages are far more common.
CLASS_OF_RANK = {6: "city", 5: "town", 4: "camp", 3: "village or IDP site", 2: "hamlet",
                 1: "isolated dwelling"}
RING = re.compile(r"^(violent_events|deaths|attacks|burnings)_(\d+)km_(\d+)d$")
WHAT = {"violent_events": "violent events", "deaths": "deaths in violent events",
        "attacks": "attacks on civilians", "burnings": "settlement burnings"}


COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")


def where_violence(found: tuple[float, float, int] | None, days: int = 30) -> str:
    """The nearest recent violence as a phrase: "violence 23 km to the north-west, 5 days ago"."""
    if found is None:
        return f"no violence within 100 km in the last {days} days"
    km, bearing, ago = found
    when = "today" if ago == 0 else ("yesterday" if ago == 1 else f"{ago} days ago")
    if km < 1:
        return f"violence at the place, {when}"
    return f"violence {km:,.0f} km to the {COMPASS[round(bearing / 45) % 8]}, {when}"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def describe(name: str, value: float) -> str:
    """One feature's value as a phrase, e.g. "14 deaths in violent events within 25 km in the
    last 30 days"."""
    if isinstance(value, float) and math.isnan(value):
        return f"{name.replace('_', ' ')} unknown"
    ring = RING.match(name)
    if ring:
        kind, km, days = ring.groups()
        return f"{_count(value)} {WHAT[kind]} within {km} km in the last {days} days"
    if name.startswith("attack_history_"):
        km = name.removeprefix("attack_history_").removesuffix("km")
        return (f"a history of attacks on civilians within {km} km "
                f"(weighted count {value:.1f}, weight halving each year)")
    if name.startswith("days_since_"):
        what = "attack on civilians within 10 km" if "attack" in name else "violence within 25 km"
        if value >= LONG_AGO_DAYS:
            return f"no {what} on record in 20 years"
        if value < 1:
            return f"{what} on the day of the forecast"
        return f"last {what} {value:,.0f} days ago"
    if name.startswith("nearest_violence_km_"):
        days = name.rsplit("_", 1)[1].removesuffix("d")
        if value >= FAR_KM:
            return f"no violence within 100 km in the last {days} days"
        if value < 1:
            return f"violence at the place in the last {days} days"
        return f"violence {value:,.0f} km away in the last {days} days"
    if name == "front_approach_km":
        if value > 0:
            return f"violence moved {value:,.0f} km closer in the last 30 days"
        if value < 0:
            return f"violence moved {-value:,.0f} km away in the last 30 days"
        return "violence no closer than before"
    if name.startswith("attacks_here_"):
        days = name.removeprefix("attacks_here_").removesuffix("d")
        return f"{_count(value)} atrocity-grade events at the place in the last {days} days"
    if name == "admin2_events_90d":
        return f"{_count(value)} violent events located only to its locality in the last 90 days"
    if name == "admin2_deaths_365d":
        return f"{_count(value)} deaths located only to its locality in the last year"
    if name == "siege_stage":
        return f"siege stage {value:.0f} of 5"
    if name == "neighbour_siege_stage":
        return f"a place within 50 km at siege stage {value:.0f} of 5"
    if name == "idps_admin2":
        return f"{math.expm1(value):,.0f} displaced people in its locality"
    if name == "idps_change":
        return f"displacement in its locality {math.exp(value) - 1:+.0%} since the previous count"
    if name == "price_anomaly":
        return f"food prices {math.exp(value) - 1:+.0%} against the past year at the nearest market"
    if name == "market_km":
        return f"nearest monitored market {value:,.0f} km away"
    if name == "place_rank":
        return f"a {CLASS_OF_RANK.get(round(value), 'place')}"
    if name == "population":
        return f"population {math.expm1(value):,.0f}"
    if name == "displaced_households":
        return f"{value:,.0f} displaced households in the camp"
    if name == "hiu_destroyed":
        return "destroyed in 2003-2010 (HIU)" if value else "not recorded destroyed in 2003-2010"
    if name == "hiu_damaged":
        return "damaged in 2003-2010 (HIU)" if value else "not recorded damaged in 2003-2010"
    return f"{name.replace('_', ' ')} {value:g}"
