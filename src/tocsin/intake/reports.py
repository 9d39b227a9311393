"""From a submission to a field report (pure: no I/O), and from reports to what the rest of
Tocsin reads: an events-like Arrow table and the "N reports of X in P within 48 hours" signals.

What goes where (docs/methods/intake.md):
- ``content``: what the organisation's users may read (categories, siege signs, day, counts of
  people harmed, who did it, the description);
- the reporter's identity (name, phone, account, safety note) and the survivor's (pseudonym,
  contact) are sealed apart;
- the sexual-violence / child-violations module and the raw submission are sealed with the report;
- a sensitive report keeps in clear only what counts need: categories, signs, place and day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from tocsin.intake.form import CATEGORY_LABELS, HARM_KINDS, PEOPLE, SIGN_LABELS, SV_KINDS
from tocsin.intake.parse import Submission, parse_geopoint, split_multiple
from tocsin.intake.places import Located, PlaceResolver

REPORTER_FIELDS = ("reporter_name", "reporter_phone", "safety_note")
SURVIVOR_FIELDS = ("survivor_pseudonym", "survivor_contact")
MODULE_FIELDS = (
    "sv_consent",
    "sv_kinds",
    "survivor_age_group",
    "survivor_sex",
    "help_wanted",
    "referral_consent",
)
PERPETRATOR_FIELDS = ("group", "uniforms", "vehicles", "names_used")
MEDIA_QUESTIONS = ("photo_1", "photo_2", "video", "audio")
EVENT_SOURCE = "field-report"


@dataclass
class Draft:
    """A report ready to store; ``sealed``/``identities`` are encrypted by the store."""

    instance_id: str
    form_id: str
    submission_id: str | None
    collector: str
    submitted_at: dt.datetime | None
    consent: bool
    sensitive: bool = False
    occurred_on: dt.date | None = None
    categories: list[str] = field(default_factory=list)
    signs: list[str] = field(default_factory=list)
    located: Located | None = None
    content: dict[str, Any] = field(default_factory=dict)
    sealed: dict[str, Any] = field(default_factory=dict)
    identities: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)  # attachment names the answers name
    responder_kinds: list[str] = field(default_factory=list)
    referral_consent: str | None = None

    @property
    def triage(self) -> str:
        if not self.consent:
            return "rejected"
        return "needs_review" if self.problems else "new"


def _count(value: Any, name: str, problems: list[str]) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        problems.append(f"{name}: expected a number of people, found {value!r}")
        return None
    if number < 0:
        problems.append(f"{name}: {number} is negative")
        return None
    return number


def _known(values: list[str], allowed: Iterable[str], question: str, problems: list[str]) -> list[str]:
    allowed = set(allowed)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        problems.append(f"{question}: unknown choice(s) {', '.join(unknown)}")
    return [v for v in values if v in allowed]


def draft_report(sub: Submission, resolver: PlaceResolver, today: dt.date | None = None) -> Draft:
    f = sub.fields
    collector = str(f.get("pseudonym") or "").strip() or "unnamed monitor"
    draft = Draft(
        instance_id=sub.instance_id,
        form_id=sub.form_id,
        submission_id=sub.submission_id,
        collector=collector,
        submitted_at=sub.submitted_at,
        consent=str(f.get("consent_given") or "").strip().lower() == "yes",
    )
    if not draft.consent:
        # Nothing of it is kept but the fact that it came and why it was set aside.
        draft.problems.append(
            f"{sub.where}: no consent (consent_given is "
            f"{f.get('consent_given') or 'empty'}): nothing else of it is kept"
        )
        return draft
    problems = draft.problems
    draft.categories = _known(split_multiple(f.get("categories")), CATEGORY_LABELS, "categories", problems)
    draft.signs = _known(split_multiple(f.get("siege_signs")), SIGN_LABELS, "siege_signs", problems)
    try:
        point = parse_geopoint(f.get("point"))
    except ValueError as exc:
        problems.append(f"point: {exc}")
        point = None
    draft.located = resolver.locate(point, f.get("place") or None, f.get("place_name") or None)
    if draft.located.problem:
        problems.append(draft.located.problem)
    when = str(f.get("date") or "").strip()
    if when:
        try:
            draft.occurred_on = dt.date.fromisoformat(when[:10])
        except ValueError:
            problems.append(f"date: expected YYYY-MM-DD, found {when!r}")
        else:
            if draft.occurred_on > (today or dt.datetime.now(dt.UTC).date()):
                problems.append(f"date: {draft.occurred_on} is in the future")
    else:
        problems.append("date: missing")
    harmed = {
        f"{kind}_{who}": _count(f.get(f"{kind}_{who}"), f"{kind}_{who}", problems)
        for kind in HARM_KINDS
        for who in PEOPLE
    }
    sv_kinds = _known(split_multiple(f.get("sv_kinds")), SV_KINDS, "sv_kinds", problems)
    child = str(f.get("child_harmed") or "").lower() == "yes"
    draft.sensitive = (
        "sexual_violence" in draft.categories
        or child
        or bool(sv_kinds)
        or str(f.get("sv_consent") or "").lower() == "yes"
    )
    draft.media = [str(f[q]) for q in MEDIA_QUESTIONS if f.get(q)]
    content = {
        "harmed": {k: v for k, v in harmed.items() if v is not None},
        "child_harmed": child,
        "perpetrators": {k: f[k] for k in PERPETRATOR_FIELDS if f.get(k)},
        "description": f.get("description") or None,
        "time_of_day": f.get("time_of_day") or None,
        "reporter_safe": f.get("reporter_safe") or None,
        "place_answer": {
            "point": f.get("point") or None,
            "place": f.get("place") or None,
            "place_name": f.get("place_name") or None,
        },
    }
    draft.sealed = {"raw": sub.raw}
    if draft.sensitive:
        # Shown only to responders, so kept encrypted with the module; counts stay countable.
        draft.sealed["content"] = content
        draft.sealed["module"] = {k: f.get(k) for k in MODULE_FIELDS if f.get(k) not in (None, "")}
        draft.content = {"harmed": content["harmed"], "child_harmed": child}
        draft.responder_kinds = (
            sv_kinds
            or [c for c in draft.categories if c == "sexual_violence"]
            or (["child_harmed"] if child else [])
        )
        draft.referral_consent = str(f.get("referral_consent") or "not_asked")
        survivor = {k: f[k] for k in SURVIVOR_FIELDS if f.get(k)}
        if survivor:
            draft.identities["survivor"] = survivor
    else:
        draft.content = content
    reporter = {k: f[k] for k in REPORTER_FIELDS if f.get(k)}
    if sub.submitted_by:
        reporter["account"] = sub.submitted_by
    if reporter:
        draft.identities["reporter"] = reporter
    return draft


# -- what the siege board, forecast and alerts read ------------------------------------------------
EVENT_SCHEMA = pa.schema(
    [
        ("event_uid", pa.string()),
        ("date_start", pa.date32()),
        ("date_end", pa.date32()),
        ("published_at", pa.timestamp("us", tz="UTC")),
        ("category", pa.string()),
        ("signs", pa.list_(pa.string())),
        ("place_id", pa.string()),
        ("place_name", pa.string()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("location_precision", pa.string()),
        ("fatalities", pa.int32()),
        ("verification", pa.string()),
        ("sensitive", pa.bool_()),
        ("source", pa.string()),
        ("organisation_id", pa.int64()),
        ("report_id", pa.int64()),
    ]
)


def events_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Report rows (as ``store.report_rows`` gives them) as an events-like table: one row per
    report and category. No description, perpetrator or person is in it: a sensitive report
    is only counted here."""
    out: list[dict[str, Any]] = []
    for r in rows:
        if r["occurred_on"] is None:
            continue
        killed = sum(v for k, v in (r["content"].get("harmed") or {}).items() if k.startswith("killed_"))
        precision = {"point": "exact", "list": "near", "name": "near"}.get(
            r["location_from"] or "", "unknown"
        )
        for category in r["categories"] or ["other"]:
            out.append(
                {
                    "event_uid": f"{EVENT_SOURCE}:{r['organisation_id']}:{r['id']}:{category}",
                    "date_start": r["occurred_on"],
                    "date_end": r["occurred_on"],
                    "published_at": r["created_at"],
                    "category": category,
                    "signs": list(r["signs"]),
                    "place_id": r["place_id"],
                    "place_name": r["place_name"],
                    "latitude": r["lat"],
                    "longitude": r["lon"],
                    "location_precision": precision,
                    "fatalities": killed,
                    "verification": r["verification"],
                    "sensitive": r["sensitive"],
                    "source": EVENT_SOURCE,
                    "organisation_id": r["organisation_id"],
                    "report_id": r["id"],
                }
            )
    return pa.Table.from_pylist(out, schema=EVENT_SCHEMA)


# Attacks a cluster of reports may alert on beside the siege signs. Never sexual violence: a
# survivor's report raises only the restricted alert to responders (store.ResponderAlert).
CLUSTER_CATEGORIES = ("attack_on_civilians", "remote_violence", "abduction", "looting_destruction",
                      "territory_change")


def cluster_label(what: str) -> tuple[str, str]:
    """(Arabic, English) words for a sign or a clustered category."""
    return SIGN_LABELS.get(what) or CATEGORY_LABELS[what]


def cluster_text(reports: int, what: str, place: str, hours: int) -> tuple[str, str]:
    """(English, Arabic): "3 reports of water cut in Tawila in 48 hours"."""
    arabic, english = cluster_label(what)
    return (f"{reports} reports of {english.lower()} in {place} in {hours} hours",
            f"{reports} بلاغات عن {arabic} في {place} خلال {hours} ساعة")


def report_clusters(
    rows: Sequence[dict[str, Any]],
    window: dt.timedelta = dt.timedelta(hours=48),
    threshold: int = 3,
    *,
    independent: bool = False,
) -> list[dict[str, Any]]:
    """Every cluster of reports of one siege sign (or attack, ``CLUSTER_CATEGORIES``) at one
    place: reports are chained while each follows the last within ``window`` (by when it was
    submitted, else the day it names); in each chain the busiest ``window`` counts, and it is a
    cluster when it holds ``threshold`` reports, or with ``independent`` that many reporters
    (organisation and collector: one monitor sending three reports is one source).

    A cluster carries counts only (reports, reporters, verified, per day) and the report ids,
    which only a caller showing the viewer's own reports may pass on."""
    by_key: dict[tuple[str, str], list[tuple[dt.datetime, dict[str, Any]]]] = {}
    for r in rows:
        if not r["place_id"]:
            continue
        when = r["submitted_at"] or (
            dt.datetime.combine(r["occurred_on"], dt.time(), dt.UTC) if r["occurred_on"] else None
        )
        if when is None:
            continue
        attacks = [c for c in r.get("categories") or [] if c in CLUSTER_CATEGORIES]
        for what in [*r["signs"], *attacks]:
            by_key.setdefault((r["place_id"], what), []).append((when, r))
    found = []
    for (place_id, what), items in by_key.items():
        items.sort(key=lambda item: (item[0], item[1]["id"]))
        chain_start = 0
        for n in range(1, len(items) + 1):
            if n == len(items) or items[n][0] - items[n - 1][0] > window:
                cluster = _busiest(items[chain_start:n], window, independent)
                if (cluster["reporters"] if independent else cluster["reports"]) >= threshold:
                    found.append(_cluster(place_id, what, cluster, items[chain_start][0], window))
                chain_start = n
    return sorted(found, key=lambda s: (-s["reports"], s["place_id"], s["sign"], s["first"]))


def _reporter(row: dict[str, Any]) -> tuple[Any, Any]:
    """Who sent it, as far as independence goes (a row without a collector counts alone)."""
    return row.get("organisation_id"), row.get("collector") or ("report", row["id"])


def _busiest(items: list[tuple[dt.datetime, dict[str, Any]]], window: dt.timedelta,
             independent: bool) -> dict[str, Any]:
    """The window of a chain with the most reporters (``independent``) or reports, then the
    earliest: two pointers and a count per reporter, so a long chain stays linear."""
    best: tuple[int, int, int, int] = (-1, -1, 0, 0)  # (measure, reports, start, end)
    per_reporter: dict[tuple[Any, Any], int] = {}
    start = 0
    for end, (when, row) in enumerate(items):
        per_reporter[_reporter(row)] = per_reporter.get(_reporter(row), 0) + 1
        while when - items[start][0] > window:
            gone = _reporter(items[start][1])
            per_reporter[gone] -= 1
            if not per_reporter[gone]:
                del per_reporter[gone]
            start += 1
        reports = end - start + 1
        measure = len(per_reporter) if independent else reports
        if (measure, reports) > best[:2]:
            best = (measure, reports, start, end)
    chosen = items[best[2]: best[3] + 1]
    return {"items": chosen, "reports": len(chosen),
            "reporters": len({_reporter(r) for _, r in chosen})}


def _cluster(place_id: str, what: str, cluster: dict[str, Any], chain_first: dt.datetime,
             window: dt.timedelta) -> dict[str, Any]:
    items = cluster["items"]
    hours = int(window.total_seconds() // 3600)
    place_name = items[-1][1]["place_name"] or place_id
    per_day: dict[dt.date, int] = {}
    for when, _ in items:
        per_day[when.date()] = per_day.get(when.date(), 0) + 1
    text, text_ar = cluster_text(len(items), what, place_name, hours)
    return {
        "place_id": place_id,
        "place_name": place_name,
        "sign": what,
        "about": "sign" if what in SIGN_LABELS else "category",
        "reports": len(items),
        "reporters": cluster["reporters"],
        "verified": sum(1 for _, r in items if r.get("verification") == "verified"),
        "per_day": dict(sorted(per_day.items())),
        "first": items[0][0],
        "last": items[-1][0],
        "chain_first": chain_first,
        "hours": hours,
        "report_ids": [r["id"] for _, r in items],
        "text": text,
        "text_ar": text_ar,
    }


def report_signals(
    rows: Sequence[dict[str, Any]], window: dt.timedelta = dt.timedelta(hours=48), threshold: int = 3
) -> list[dict[str, Any]]:
    """Places where ``threshold`` or more reports of the same siege sign (or attack) arrived
    within ``window``: "3 reports of the water cut in Tawila in 48 hours", the busiest window
    of each. Verified or not: an unverified cluster is what needs a look. For the inbox and the
    board, over the reports the viewer may see; the alerts scan uses ``report_clusters``."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for cluster in report_clusters(rows, window, threshold):
        key = (cluster["place_id"], cluster["sign"])
        if key not in best or cluster["reports"] > best[key]["reports"]:
            best[key] = cluster
    return sorted(best.values(), key=lambda s: (-s["reports"], s["place_id"], s["sign"]))
