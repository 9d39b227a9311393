"""Arabic for the details the analyses write in English: why a settlement is flagged as burning
(analysis/burnings.py's reasons), what each piece of siege evidence is (analysis/siege.py's
evidence lines). Each English phrase the analysis can write is a pattern here; its Arabic is a
catalogue key (web/i18n, ``why_burn_*``), filled with the pattern's values, numbers shaped by the
catalogue. A phrase no pattern knows is counted, never shown in English on an Arabic page; tests
read the sample's own burnings and fail when one is left over.
"""

from __future__ import annotations

import re
from typing import Any

NUMBER = r"(?P<{}>\d+(?:\.\d+)?(?:e[+-]?\d+)?)"
FIELD = re.compile(r"\{(\w+)(?::(word|id))?\}")


def _pattern(text: str) -> re.Pattern[str]:
    """``text`` as a pattern: {name} a number, {name:word} words, {name:id} an identifier, {s}
    and {s2} a plural's "s"."""
    out, position = [], 0
    for field in FIELD.finditer(text):
        out.append(re.escape(text[position:field.start()]))
        position = field.end()
        name, kind = field.groups()
        if name in ("s", "s2"):
            out.append("s?")
        elif kind == "word":
            out.append(f"(?P<{name}>[a-z_ ]+?)")
        elif kind == "id":
            out.append(rf"(?P<{name}>\S+)")
        else:
            out.append(NUMBER.format(name))
    out.append(re.escape(text[position:]))
    return re.compile("".join(out) + "$")


# key -> the English phrase (analysis/burnings.py's _reasons), "s?" where the noun may be plural.
BURNING_PHRASES: dict[str, str] = {
    "detections": "{n} detection{s} ({night} at night) within {km} km of the {kind:word} over {days} "
                  "day{s2}, FRP {frp} MW",
    "expected_ratio": "{expected} expected from the season's background and the fire around it ({ratio}x)",
    "expected": "{expected} expected from the season's background and the fire around it",
    "confined": "fire confined to the settlement (none in the {ring} km around it)",
    "denser": "fire {ratio}x denser in the settlement than in the {ring} km around it ({n} detection{s} "
              "there)",
    "all_around": "fire also all around it ({n} detection{s} in the {ring} km around it): likely a bush "
                  "or field fire reaching the settlement",
    "core": "{n} in the settlement's core (within {km} km of its centre)",
    "fields": "{n} detection{s} in the fields round it within {days} days: a harvest or clearing fire "
              "is likely nearby",
    "day_and_night": "burning by day and by night",
    "night_only": "seen only at night, when field fires are rare",
    "overpasses": "seen over {n} overpasses",
    "cloud": "{n} day{s} without any detection in the area (cloud) bridged, not read as the fire "
             "stopping",
    "armed_events": "{n} armed event(s) within {km} km in the {days} days before or during",
    "sweep": "part of sweep {sweep:id} ({n} settlements burning along a line within days)",
    "trickle": "a steady trickle of detections, like a kiln or flare",
    "recurrent": "the same spot burned on {n} days within {days} days: perhaps a kiln or flare not yet "
                 "seen long enough to call persistent",
    "persistent": "{n} detections at a persistent heat source here left out",
    "short_history": "only {n} days of fire history: persistent heat sources cannot be ruled out yet",
}


_BURNING = [(key, _pattern(phrase)) for key, phrase in BURNING_PHRASES.items()]


def _value(text: str) -> Any:
    """A matched number as a number (so the catalogue shapes its digits); words as they are."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text.strip()


def burning_phrase(part: str) -> tuple[str, dict[str, Any]] | None:
    """The catalogue key and values of one English reason of a burning, or None."""
    for key, pattern in _BURNING:
        match = pattern.match(part.strip())
        if match:
            return f"why_burn_{key}", {k: _value(v) for k, v in match.groupdict().items() if v is not None}
    return None


def split_reasons(reasons: list[Any]) -> list[str]:
    """A burning's reasons as single phrases (the table stores them joined by "; ")."""
    return [part.strip() for text in reasons for part in str(text).split("; ") if part.strip()]


# A siege evidence line: "battle at Nyala town, 30 killed (Government of Sudan v RSF)",
# "overrun: attack_on_civilians at El Geneina town, 30 killed (RSF v Civilians)".
KILLED = re.compile(r", (?P<killed>\d+) killed \((?P<actors>.+)\)$")
