"""Page one of the brief: key judgements, each a plain sentence built from the data by a rule
written down here (and in docs/methods/briefing.md), with its evidence and its confidence.

The rules, in the order the brief gives them:

1. **Besieged** — every town the siege tracker puts at a stage from ``encircled`` up (stage
   names and order read from analysis/siege.py), worst first, for how long, and what cuts it off.
2. **Killings** — the places where civilians were killed in the period, with civilian deaths,
   dates and the perpetrators the sources name.
3. **The violence named** — sexual violence, burning of settlements, attacks on camps for the
   displaced, identity-based targeting signals: named as what the records say happened, never as
   a legal qualification unless an analyst has signed one (``signed_qualifications``).
4. **The siege pattern** — how many towns stand at each step of the pattern.
5. **Most at risk next** — the forecast's top places and why.
6. **What changed** — towns whose stage changed, and the deaths, against the previous brief.
7. **What the data cannot see** — when the conflict events stop before the brief's day
   (coverage.py's warning): no judgement above may be read as calm.

Confidence, the same rule for every judgement: **high** when it rests on three or more records
placed at the town (exact or near) or on two or more independent signals; **medium** on one or
two; **low** when the records are placed only to a state or locality. A judgement about where a
town stands *now* (besieged, the pattern) drops one level when the conflict events stop more than
a week before the brief's day; a record of a killing does not (it stays true).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tocsin.analysis.siege import STAGE_RANK, STAGES
from tocsin.report.data import BriefData

CONFIDENCE = ("low", "medium", "high")
# The step of the siege pattern from which a town counts as besieged.
BESIEGED_FROM = "encircled"
MAX_PLACES = 4  # places named per judgement; the annex lists the rest
MAX_TOWNS = 5  # towns given a judgement of their own on page one
MAX_KILLINGS = 3  # places of killings given one
# The sentence for a town at each stage from BESIEGED_FROM up (strings.yaml keys); a stage
# analysis/siege.py adds later reads as besieged until it gets a sentence of its own.
STAGE_SENTENCE = {"fallen": "j_fallen", "overrun": "j_assault", "under_assault": "j_assault",
                  "outcome_unrecorded": "j_unrecorded"}


@dataclass
class Judgement:
    rule: str
    key: str  # a strings.yaml key: the sentence's template
    values: dict[str, Any]
    evidence: list[str] = field(default_factory=list)  # event ids, signals, sources
    confidence: str = "medium"

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "key": self.key, "values": self.values,
                "evidence": self.evidence, "confidence": self.confidence}


def signed_qualifications(as_of: date) -> list[dict[str, Any]]:
    """Legal qualifications of incidents that an analyst has signed off, as of ``as_of``.

    The brief states a qualification (e.g. "crimes against humanity") only when one is signed;
    incidents carry no signed legal assessments yet (issue 15 adds them), so this returns none
    and the brief names the violence without qualifying it. Each entry, when there are some:
    {"incident": id, "qualification": key, "signed_by": name, "signed_on": date, "places": [...]}.
    """
    return []


def confidence(placed: int, signals: int = 0, stale: bool = False) -> str:
    """The one confidence rule (see the module's docstring)."""
    level = 2 if placed >= 3 or signals >= 2 else 1 if placed >= 1 or signals == 1 else 0
    if stale:
        level = max(level - 1, 0)
    return CONFIDENCE[level]


def stage_order() -> list[str]:
    """Stages past calm, worst first, as analysis/siege.py defines them."""
    return sorted((s for s in STAGES if STAGE_RANK[s] > 0), key=lambda s: -STAGE_RANK[s])


def _besieged(data: BriefData, stale: bool) -> list[Judgement]:
    if not data.siege:
        return []
    rank_from = STAGE_RANK[BESIEGED_FROM]
    towns = [t for t in data.siege if t.get("stage_rank", STAGE_RANK.get(t["stage"], 0)) >= rank_from]
    found = []
    # Towns whose outcome no record gives: one judgement for all of them (they are leads).
    unrecorded = [t for t in towns if STAGE_SENTENCE.get(t["stage"]) == "j_unrecorded"]
    if unrecorded:
        found.append(Judgement("besieged", "j_unrecorded",
                               {"towns": [{"place": t, "since": t.get("since")} for t in unrecorded]},
                               confidence="low"))
    for town in [t for t in towns if t not in unrecorded][:MAX_TOWNS]:
        since = town.get("fell_on") if town["stage"] == "fallen" and town.get("fell_on") \
            else town.get("since")
        # Past the data's end the board's stages are those of its last day: counted to that day,
        # and said to be as of it (a town "under assault for 94 days" would be a guess).
        judged = town.get("judged_on") or data.as_of
        days = (judged - since).days + 1 if isinstance(since, date) else None
        key = STAGE_SENTENCE.get(town["stage"], "j_besieged")
        signals = list(town.get("signals") or [])
        refs = [e["ref"] for e in (town.get("evidence") or []) if e.get("ref")][:5]
        found.append(Judgement(
            "besieged", key + "_at_end" if judged < data.as_of else key,
            {"place": town, "stage": town["stage"], "since": since, "days": days, "end": judged,
             "signals": signals, "exposed": town.get("exposed"), "held_by": town.get("held_by")},
            evidence=signals + refs, confidence=confidence(len(refs), len(signals), stale)))
    return found


def _killings(data: BriefData, stale: bool) -> list[Judgement]:
    found = []
    for row in [r for r in data.killings if r["civilian_deaths"] or r["deaths"]][:MAX_KILLINGS]:
        found.append(Judgement(
            "killings", "j_killings_state" if row["state_only"] else "j_killings",
            {"place": row, "civilian_deaths": row["civilian_deaths"], "deaths": row["deaths"],
             "events": row["events"], "first": row["first"], "last": row["last"],
             "actors": row["actors"], "fighting": row["fighting"]},
            evidence=list(row["event_uids"][:6]),
            # Records of killings stay true when later data is missing: no staleness penalty.
            confidence=confidence(row["placed"]) if not row["state_only"] else "low"))
    return found


def _violence_named(data: BriefData, stale: bool) -> list[Judgement]:
    found = []
    for kind in ("sexual_violence", "camps"):
        counts = data.violence.get(kind, {})
        if counts.get("events"):
            found.append(Judgement("violence", f"j_{kind}", dict(counts),
                                   confidence=confidence(counts["events"])))
    if data.burnings:
        found.append(Judgement("violence", "j_burnings",
                               {"count": len(data.burnings), "place": data.burnings[0]},
                               evidence=[b["place_id"] for b in data.burnings[:5]],
                               confidence=confidence(len(data.burnings))))
    signalled = sorted({uid for sig in data.signals for uid in sig["event_uids"]})
    if signalled:
        found.append(Judgement("violence", "j_identity",
                               {"events": len(signalled),
                                "signals": [s["signal"] for s in data.signals]},
                               evidence=signalled[:6],
                               confidence=confidence(len(signalled), len(data.signals))))
    signed = signed_qualifications(data.as_of)
    for item in signed:
        found.append(Judgement("qualification", "j_signed", item, confidence="high"))
    if not signed and (signalled or data.killings):
        found.append(Judgement("qualification", "j_unsigned", {}, confidence="high"))
    return found


def _pattern(data: BriefData, stale: bool) -> list[Judgement]:
    if data.siege is None:
        return [Judgement("pattern", "j_pattern_not_run", {}, confidence="low")]
    alone = data.siege_alone
    if not data.siege:
        # Calm is known only where the events reach: past them, only the absence of fires is.
        if alone:
            return [Judgement("pattern", "j_pattern_calm_alone", dict(alone), confidence="low")]
        return [Judgement("pattern", "j_pattern_calm", {}, confidence="low" if stale else "medium")]
    steps = []
    for stage in stage_order():
        towns = [t for t in data.siege if t["stage"] == stage]
        if towns:
            steps.append({"stage": stage, "count": len(towns), "places": towns[:MAX_PLACES]})
    judged = data.siege[0].get("judged_on") or data.as_of   # the data's end, past it (board)
    key = "j_pattern_at_end" if judged < data.as_of else "j_pattern_alone" if alone else "j_pattern"
    return [Judgement("pattern", key, {"steps": steps, "end": judged, **(alone or {})},
                      confidence=confidence(0, len(steps) + 1, stale))]


def _risk(data: BriefData) -> list[Judgement]:
    if not data.risk or not data.risk.get("places"):
        return []
    places = data.risk["places"][:3]
    made, horizon = data.risk["as_of"], data.risk["horizon_days"]
    age = (data.as_of - made).days if isinstance(made, date) else 0
    # An older forecast is not "the next 30 days": it speaks of the days after it was made, and
    # once those have passed it says nothing of now.
    return [Judgement("risk", "j_risk_old" if age > 0 else "j_risk",
                      {"places": places, "horizon": horizon, "made": made, "age": age},
                      evidence=[p["place_id"] for p in places],
                      confidence="low" if age >= horizon else "medium")]


def _changed(data: BriefData, change: dict[str, Any], previous: dict[str, Any] | None
             ) -> list[Judgement]:
    rows = {r["measure"]: r for r in change["rows"]}
    basis = change["basis"]
    found = []
    if previous is not None and data.siege is not None and previous.get("siege") is not None:
        before = {t["place_id"]: t["stage"] for t in previous["siege"]}
        moved = [{"place": t, "stage": t["stage"], "before": before.get(t["place_id"], "calm")}
                 for t in data.siege if before.get(t["place_id"], "calm") != t["stage"]]
        now = {t["place_id"] for t in data.siege}
        calmed = [t for t in previous["siege"] if t["place_id"] not in now]
        found.append(Judgement("changed", "j_changed_stages",
                               {"moved": moved[:MAX_PLACES], "calmed": calmed[:MAX_PLACES],
                                "moved_count": len(moved), "calmed_count": len(calmed),
                                "previous": basis.get("previous")},
                               evidence=[m["place"]["place_id"] for m in moved[:6]],
                               confidence="medium"))
    deaths = rows.get("deaths")
    last = data.last_event if data.staleness is not None else None
    if deaths and deaths["change"] is not None and not (last and last < data.period_start):
        # Events that stop inside the period count only its first days: said so, not read as
        # a fall in deaths. Stopped before it, they say nothing of it (j_stale says why).
        found.append(Judgement("changed", "j_changed_deaths_to_end" if last else "j_changed_deaths",
                               {"now": deaths["now"], "before": deaths["before"],
                                "change": deaths["change"], "basis": basis, "last": last},
                               confidence="low" if last else "medium"))
    return found


def judgements(data: BriefData, change: dict[str, Any], previous: dict[str, Any] | None
               ) -> list[Judgement]:
    """Page one's judgements, in the rules' order (see the module's docstring)."""
    stale = data.staleness is not None
    found: list[Judgement] = []
    found += _besieged(data, stale)
    found += _killings(data, stale)
    found += _violence_named(data, stale)
    found += _pattern(data, stale)
    found += _risk(data)
    found += _changed(data, change, previous)
    if stale:
        found.append(Judgement("coverage", "j_stale", {"last": data.last_event}, confidence="high"))
    return found
