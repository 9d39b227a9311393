"""What a brief says, gathered from the workspace as of one day.

Everything here is read as of ``as_of``: rows dated after it are not seen, so a brief written
later for the same day says the same thing. The result is plain data (JSON-ready), kept beside
the brief so the next brief can say what changed, and so tests can check every number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import pyarrow as pa
import yaml

from tocsin.coverage import DATE_COLUMN, THROUGH_COLUMN, SourceCoverage, coverage_warning
from tocsin.sqltext import sql_str

# Event categories that are violence (protests, riots and "other" are not counted as such).
VIOLENT = ("battle", "attack_on_civilians", "remote_violence", "sexual_violence",
           "looting_destruction", "abduction", "siege_related", "territory_change")
CAMP_CLASSES = ("camp", "idp_site")
# Notes that put an attack in a camp for displaced people.
CAMP_WORDS = r"(?i)\b(idps?|displaced|refugees?)\b.{0,40}\bcamps?\b|\bcamps?\b.{0,20}\b(idps?|displaced)\b"
TOP_PLACES = 10
REPORTED_CONFIDENCE = ("high", "medium")


@cache
def signal_rules() -> dict[str, Any]:
    return yaml.safe_load(resources.files("tocsin.report").joinpath("signals.yaml").read_text())


@dataclass
class BriefData:
    as_of: date
    days: int
    period_start: date
    totals: dict[str, int] = field(default_factory=dict)
    by_category: list[dict[str, Any]] = field(default_factory=list)
    violence: dict[str, dict[str, int]] = field(default_factory=dict)
    top_places: list[dict[str, Any]] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)
    burnings: list[dict[str, Any]] | None = None
    low_confidence_burnings: int = 0
    siege: list[dict[str, Any]] | None = None
    # Past the conflict events' end, the stages come from other daily signals alone (fires):
    # {"events_end": D, "signals": [...]} (jobs.steps.siege.SiegeInputs.signals_alone).
    siege_alone: dict[str, Any] | None = None
    risk: dict[str, Any] | None = None
    # With no forecast on or before the day: the first stored after it (None when none is).
    risk_first_after: date | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    last_event: date | None = None
    imprecise_events: int = 0
    displacement: dict[str, Any] | None = None
    killings: list[dict[str, Any]] = field(default_factory=list)
    staleness: str | None = None  # coverage.py's warning when the events stop before the day
    judgements: list[dict[str, Any]] = field(default_factory=list)
    evidence: dict[str, Any] | None = None
    field_reports: dict[str, int] | None = None  # counts only (tocsin.intake)
    has_connectivity: bool = False
    map_layers: dict[str, Any] = field(default_factory=dict)
    # "event data through D" and the warning past it (report.brief.coverage_lines).
    coverage: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The numbers of the brief (the map's geometry left out)."""
        data = {k: v for k, v in self.__dict__.items() if k != "map_layers"}
        return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
          ) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?",
                            [name]).fetchone()[0])


def period_events_sql(start: date, end: date, folded: bool = False) -> str:
    """Events known by ``end`` that happened in [start, end], with their linked place: the
    town, when ``folded`` (the ``place_top`` table from ``folds``) and the place is a sub-place
    of one, so that one town's toll is never split between it and a neighbourhood."""
    # Only exact and near events have a place; admin-level links carry no place_id.
    join = "coalesce(t.top_id, l.place_id)" if folded else "l.place_id"
    place = ("LEFT JOIN event_links l USING (event_uid) "
             + ("LEFT JOIN place_top t ON t.place_id = l.place_id " if folded else "")
             + f"LEFT JOIN gazetteer g ON g.place_id = {join}")
    return (f"SELECT e.*, g.place_id, g.name AS place_name, g.name_ar AS place_name_ar, "
            f"g.place_class, g.latitude AS place_latitude, g.longitude AS place_longitude, "
            f"g.population AS place_population FROM events e {place} "
            f"WHERE e.date_end BETWEEN {sql_str(start.isoformat())}::DATE "
            f"AND {sql_str(end.isoformat())}::DATE")


def gather(con: duckdb.DuckDBPyConnection, as_of: date, days: int) -> BriefData:
    """Everything the brief reports for the ``days`` days ending on ``as_of``."""
    start = as_of - timedelta(days=days - 1)
    data = BriefData(as_of=as_of, days=days, period_start=start)
    # A workspace without places has no links: events are then counted but placed nowhere.
    if not has_table(con, "event_links"):
        con.execute("CREATE VIEW event_links AS SELECT NULL::VARCHAR AS event_uid, "
                    "NULL::VARCHAR AS place_id, NULL::VARCHAR AS link_level LIMIT 0")
    if not has_table(con, "gazetteer"):
        con.execute("CREATE VIEW gazetteer AS SELECT NULL::VARCHAR AS place_id, NULL::VARCHAR AS name, "
                    "NULL::VARCHAR AS name_ar, NULL::VARCHAR AS place_class, NULL::DOUBLE AS latitude, "
                    "NULL::DOUBLE AS longitude, NULL::BIGINT AS population LIMIT 0")
    con.execute(f"CREATE TEMP TABLE period AS {period_events_sql(start, as_of, folds(con))}")
    data.totals = event_totals(con, "period")
    data.by_category = _rows(con, "SELECT category, count(*) AS events, "
                                  "coalesce(sum(fatalities), 0)::BIGINT AS deaths FROM period "
                                  "GROUP BY category ORDER BY deaths DESC, events DESC, category")
    data.violence = violence_against_civilians(con)
    data.top_places = _rows(con, f"""
        SELECT place_id, any_value(place_name) AS name, any_value(place_name_ar) AS name_ar,
               any_value(place_class) AS place_class, any_value(place_latitude) AS latitude,
               any_value(place_longitude) AS longitude, count(*) AS events,
               coalesce(sum(fatalities), 0)::BIGINT AS deaths
        FROM period WHERE place_id IS NOT NULL AND category IN {VIOLENT}
        GROUP BY place_id ORDER BY deaths DESC, events DESC, name LIMIT {TOP_PLACES}""")
    data.killings = killings_by_place(con)
    data.signals = targeting_signals(con)
    data.imprecise_events = con.execute(
        "SELECT count(*) FROM period WHERE location_precision NOT IN ('exact', 'near')"
    ).fetchone()[0]
    data.last_event = con.execute("SELECT max(date_end) FROM events WHERE date_end <= ?",
                                  [as_of]).fetchone()[0]
    burnings = burnings_in_period(con, start, as_of)
    if burnings is not None:
        # Low-confidence periods are leads for imagery analysts, not findings for a brief.
        data.burnings = [b for b in burnings if b["confidence"] in REPORTED_CONFIDENCE]
        data.low_confidence_burnings = len(burnings) - len(data.burnings)
    data.sources = source_coverage(con, as_of)
    data.staleness = coverage_warning(coverage_of(data.sources), as_of)
    data.displacement = displacement_by_state(con, as_of)
    data.has_connectivity = has_table(con, "connectivity") and bool(
        con.execute("SELECT count(*) FROM connectivity").fetchone()[0])
    data.map_layers = map_layers(con, data)
    return data


def folds(con: duckdb.DuckDBPyConnection) -> bool:
    """When the gazetteer names each sub-place's town (places/hierarchy.py), register
    ``place_top`` (place_id → its town) on ``con`` and say True: events are counted per town."""
    if has_table(con, "place_top"):
        return True
    columns = {r[0] for r in con.execute("DESCRIBE gazetteer").fetchall()}
    if "parent_id" not in columns:
        return False
    from tocsin.places.hierarchy import Hierarchy

    hierarchy = Hierarchy.of(con.sql("SELECT place_id, name, place_class, parent_id FROM gazetteer "
                                     "WHERE parent_id IS NOT NULL").to_arrow_table())
    ids = list(hierarchy.parent)
    con.register("place_top_arrow", pa.table({"place_id": pa.array(ids, pa.string()),
                                              "top_id": pa.array([hierarchy.top(i) for i in ids],
                                                                 pa.string())}))
    con.execute("CREATE VIEW place_top AS SELECT * FROM place_top_arrow")
    return True


def event_totals(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, int]:
    events, deaths, attacks, attack_deaths = con.execute(f"""
        SELECT count(*) FILTER (WHERE category IN {VIOLENT}),
               coalesce(sum(fatalities) FILTER (WHERE category IN {VIOLENT}), 0),
               count(*) FILTER (WHERE category = 'attack_on_civilians'),
               coalesce(sum(fatalities) FILTER (WHERE category = 'attack_on_civilians'), 0)
        FROM {table}""").fetchone()
    return {"events": int(events), "deaths": int(deaths), "attacks_on_civilians": int(attacks),
            "attack_deaths": int(attack_deaths)}


def violence_against_civilians(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """Killings, sexual violence, arson and attacks on camps: events and deaths for each."""
    kinds = {
        "killings": KILLING,
        "sexual_violence": "category = 'sexual_violence'",
        "arson": "category = 'looting_destruction'",
        "camps": (f"category IN {VIOLENT} AND (place_class IN {CAMP_CLASSES} "
                  f"OR regexp_matches(coalesce(notes, ''), {sql_str(CAMP_WORDS)}))"),
    }
    result = {}
    for kind, condition in kinds.items():
        events, deaths, civilians = con.execute(
            f"SELECT count(*), coalesce(sum(fatalities), 0), coalesce(sum(civilian_deaths), 0) "
            f"FROM period WHERE {condition}").fetchone()
        result[kind] = {"events": int(events), "deaths": int(deaths),
                        "civilian_deaths": int(civilians)}
    return result


KILLING = "category = 'attack_on_civilians' OR coalesce(civilian_deaths, 0) > 0"


def killings_by_place(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Where civilians were killed in the period and by whom: per town (or, for events placed
    at no town, per state), the events, civilian deaths, all deaths, the perpetrators named
    (every actor but the civilians) and the event ids, worst first."""
    rows = _rows(con, f"""
        SELECT coalesce(place_id, 'admin1:' || coalesce(admin1_name, '?')) AS key,
               any_value(place_id) AS place_id,
               any_value(coalesce(place_name, admin1_name)) AS name,
               any_value(place_name_ar) AS name_ar, any_value(admin1_name) AS state_name,
               bool_and(place_id IS NULL) AS state_only,
               count(*) AS events, coalesce(sum(civilian_deaths), 0)::BIGINT AS civilian_deaths,
               coalesce(sum(fatalities), 0)::BIGINT AS deaths,
               min(date_start) AS first, max(date_end) AS last,
               list(DISTINCT actor1) FILTER (WHERE category = 'attack_on_civilians'
                                             AND actor1 IS NOT NULL AND actor1 <> 'Civilians')
                 AS perpetrators,
               list(DISTINCT actor1) FILTER (WHERE category <> 'attack_on_civilians') AS side1,
               list(DISTINCT actor2) FILTER (WHERE category <> 'attack_on_civilians') AS side2,
               list(event_uid ORDER BY fatalities DESC NULLS LAST, event_uid) AS event_uids,
               list(DISTINCT source) AS sources,
               count(*) FILTER (WHERE location_precision IN ('exact', 'near')) AS placed
        FROM period WHERE {KILLING}
        GROUP BY 1 ORDER BY civilian_deaths DESC, deaths DESC, events DESC, key""")
    for row in rows:
        # One-sided attacks name their perpetrator; civilians killed in fighting are attributed
        # to the fighting between its sides, never to one side alone.
        sides = sorted({a for a in (row.pop("side1") or []) + (row.pop("side2") or [])
                        if a and a != "Civilians"})
        row["actors"] = sorted(row.pop("perpetrators") or [])
        row["fighting"] = sides if len(sides) >= 2 else []
    return rows


def _word_pattern(words: list[str]) -> str:
    return r"(?i)\b(" + "|".join(re.escape(w) for w in words) + r")\b"


def targeting_signals(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Events whose records point at identity-based targeting, one entry per kind of signal."""
    rules = signal_rules()
    text = "concat_ws(' ', notes, actor1, actor2)"
    checks = {
        "identity_group": f"regexp_matches({text}, {sql_str(_word_pattern(rules['identity_groups']))})",
        "identity_words": f"regexp_matches({text}, {sql_str(_word_pattern(rules['identity_words']))})",
        "mass_killing": (f"category = 'attack_on_civilians' AND "
                         f"coalesce(fatalities, 0) >= {int(rules['mass_killing_deaths'])}"),
    }
    signals = []
    for key, condition in checks.items():
        rows = _rows(con, f"""
            SELECT event_uid, date_start, coalesce(place_name, location_name) AS place,
                   place_name_ar, fatalities, actor1, actor2
            FROM period WHERE category IN {VIOLENT} AND ({condition})
            ORDER BY fatalities DESC NULLS LAST, date_start, event_uid""")
        if rows:
            signals.append({"signal": key, "events": len(rows),
                            "deaths": sum(r["fatalities"] or 0 for r in rows),
                            "event_uids": [r["event_uid"] for r in rows], "examples": rows[:3]})
    return signals


def burnings_in_period(con: duckdb.DuckDBPyConnection, start: date, end: date
                       ) -> list[dict[str, Any]] | None:
    """Settlement burnings first seen by ``end`` and burning in the period; None when burning
    detection has not run on the workspace."""
    if not has_table(con, "burnings"):
        return None
    ar = ("(SELECT name_ar FROM gazetteer g WHERE g.place_id = b.place_id)"
          if has_table(con, "gazetteer") else "NULL")
    return _rows(con, f"""
        SELECT place_id, place_name AS name, {ar} AS name_ar, place_class, latitude, longitude,
               first_detection::DATE AS first, last_detection::DATE AS last, detections,
               round(frp_total, 1) AS frp_total, round(score, 2) AS score, confidence, reasons
        FROM burnings b
        WHERE first_detection::DATE <= ? AND last_detection::DATE >= ?
        ORDER BY score DESC, detections DESC, name""", [end, start])


def displacement_by_state(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, Any] | None:
    """Displaced people per state in the latest DTM round ending by ``as_of``, against the round
    before it *of the same series*. DTM runs weekly and monthly rounds (its ``operation``, e.g.
    "Armed Clashes in Sudan" and "... (Monthly)") that count differently: comparing one with the
    other reports false declines, so the brief keeps to one series, the one whose latest round
    is the most recent (the monthly one on a tie). A round is known from its period end: DTM
    publishes later, never earlier."""
    latest = con.execute("""
        SELECT operation, assessment_type, max(period_end) AS last FROM displacement
        WHERE admin_level = 1 AND period_end <= ? GROUP BY operation, assessment_type
        ORDER BY last DESC, (any_value(operation) ILIKE '%monthly%') DESC, operation LIMIT 1""",
                         [as_of]).fetchone()
    if latest is None:
        return None
    operation, assessment, _ = latest
    series = "operation IS NOT DISTINCT FROM ? AND assessment_type IS NOT DISTINCT FROM ?"
    ends = [r[0] for r in con.execute(
        f"SELECT DISTINCT period_end FROM displacement WHERE admin_level = 1 AND period_end <= ? "
        f"AND {series} ORDER BY 1 DESC LIMIT 2", [as_of, operation, assessment]).fetchall()]
    previous = ends[1] if len(ends) > 1 else None
    names_ar = ("(SELECT any_value(name_ar) FROM areas a WHERE a.pcode = d.admin1_pcode "
                "AND a.admin_level = 1)")
    states = _rows(con, f"""
        SELECT admin1_name AS state, admin1_pcode AS pcode, any_value({names_ar}) AS state_ar,
               sum(idps) FILTER (WHERE period_end = ?)::BIGINT AS idps,
               sum(idps) FILTER (WHERE period_end = ?)::BIGINT AS idps_before,
               max(reporting_round) FILTER (WHERE period_end = ?) AS round
        FROM displacement d WHERE admin_level = 1 AND period_end IN (?, ?) AND {series}
        GROUP BY admin1_name, admin1_pcode HAVING idps IS NOT NULL ORDER BY idps DESC""",
                    [ends[0], previous, ends[0], ends[0], previous, operation, assessment])
    return {"period_end": ends[0], "previous_end": previous, "states": states,
            "operation": operation, "assessment_type": assessment,
            "round": max((r["round"] for r in states if r["round"] is not None), default=None),
            "total": sum(r["idps"] for r in states),
            "total_before": sum(r["idps_before"] or 0 for r in states) if previous else None}


def stored_forecast(con: duckdb.DuckDBPyConnection, as_of: date, horizon_days: int, top: int
                    ) -> dict[str, Any] | None:
    """The top places of the latest stored forecast made on or before ``as_of``."""
    made = con.execute("SELECT max(as_of) FROM forecasts WHERE as_of <= ? AND horizon_days = ?",
                       [as_of, horizon_days]).fetchone()[0]
    if made is None:
        return None
    places = _rows(con, """
        SELECT place_id, name, name_ar, place_class, latitude, longitude, probability,
               exposed_population AS exposed, array_to_string(reasons, '; ') AS reasons,
               nearest_violence, model
        FROM forecasts WHERE as_of = ? AND horizon_days = ?
        ORDER BY probability DESC, place_id LIMIT ?""", [made, horizon_days, top])
    return {"as_of": made, "horizon_days": horizon_days, "places": places}


def first_forecast_after(con: duckdb.DuckDBPyConnection, as_of: date, horizon_days: int
                         ) -> date | None:
    """The day of the first stored forecast made after ``as_of`` (a brief never reads it: it
    only says that one exists, so that "no forecast" is not read as "none was ever made")."""
    return con.execute("SELECT min(as_of) FROM forecasts WHERE as_of > ? AND horizon_days = ?",
                       [as_of, horizon_days]).fetchone()[0]


@cache
def source_notes() -> dict[str, dict[str, Any]]:
    """Per source: Arabic name and licence, and the publisher's usual release lag."""
    return yaml.safe_load(resources.files("tocsin.report").joinpath("sources.yaml").read_text())


def source_coverage(con: duckdb.DuckDBPyConnection, as_of: date) -> list[dict[str, Any]]:
    """Per table and source: rows known by ``as_of``, their first day and the last day they
    reach (coverage.py's definitions), the days from that to the brief's day, the publisher's
    usual release lag, and the licence."""
    rows = []
    for table, column in DATE_COLUMN.items():
        if not has_table(con, table):
            continue
        through = THROUGH_COLUMN[table]
        rows += _rows(con, f"""
            SELECT '{table}' AS "table", source, count(*) AS rows, min({column}) AS "from",
                   least(max({through}), ?::DATE) AS "to",
                   (?::DATE - least(max({through}), ?::DATE))::INTEGER AS lag_days,
                   string_agg(DISTINCT license, '; ') AS license
            FROM {table} WHERE {column} <= ? GROUP BY source ORDER BY source""",
                      [as_of, as_of, as_of, as_of])
    for table in ("places", "areas"):
        rows += _rows(con, f"""
            SELECT '{table}' AS "table", source, count(*) AS rows, NULL AS "from", NULL AS "to",
                   NULL AS lag_days, string_agg(DISTINCT license, '; ') AS license
            FROM {table} GROUP BY source ORDER BY source""")
    notes = source_notes()
    for row in rows:
        note = notes.get(row["source"], {})
        row["publication_lag_days"] = note.get("publication_lag_days")
        row["publication_lag"] = note.get("lag_en")
    return rows


def coverage_of(rows: list[dict[str, Any]]) -> list[SourceCoverage]:
    """The brief's as-of coverage rows as coverage.py's records (for its warning)."""
    return [SourceCoverage(r["table"], r["source"], r["rows"], r["from"], r["to"])
            for r in rows if r["to"] is not None]


def map_layers(con: duckdb.DuckDBPyConnection, data: BriefData) -> dict[str, Any]:
    """What the map draws: admin boundaries, the period's placed violent events, burnings."""
    areas = _rows(con, "SELECT admin_level, pcode, geometry_wkb FROM areas "
                       "WHERE admin_level IN (0, 1, 2) AND geometry_type IN ('Polygon', 'MultiPolygon')")
    events = _rows(con, f"SELECT latitude, longitude, coalesce(fatalities, 0) AS deaths FROM period "
                        f"WHERE category IN {VIOLENT} AND location_precision IN ('exact', 'near')")
    return {"areas": areas, "events": events, "burnings": data.burnings or [],
            "labels": data.top_places}


def previous_window(con: duckdb.DuckDBPyConnection, as_of: date, days: int) -> dict[str, Any]:
    """The same measures for the ``days`` days before the period, for 'what changed'."""
    end = as_of - timedelta(days=days)
    start = end - timedelta(days=days - 1)
    con.execute(f"CREATE OR REPLACE TEMP TABLE previous AS {period_events_sql(start, end, folds(con))}")
    totals = event_totals(con, "previous")
    burnings = burnings_in_period(con, start, end)
    totals["burnings"] = (sum(b["confidence"] in REPORTED_CONFIDENCE for b in burnings)
                          if burnings is not None else None)
    return {"start": start, "end": end, "totals": totals}
