"""Everything the web app reads from the lake, in one place.

The pages and the API call these functions and nothing else, so the analyses that land later
(siege stages, forecasts, burnings) are wired here and only here. A section whose analysis has not
run yet returns :data:`NOT_COMPUTED`, and the page says so instead of showing an empty list that
would read as "nothing is happening".

Reads are cached per lake state: the cache key is the manifest file's identity (inode, size,
mtime), which changes with every committed batch or rebuilt derived table, so a new ingest shows
up on the next request without restarting the server.

Siege stages come from the siege tracker (tocsin.jobs.steps.siege: the board, folded by the place
hierarchy, and a place's history, computed from the lake and the recorded changes of control as
of its latest dated data, once per lake state); no stored stage table is read. Derived tables
this module looks for (names and columns agreed with the other issues):

- ``forecasts``     place_id, as_of, horizon_days, probability, model, reasons
- ``burnings``      place_id, place_name, latitude, longitude, first_detection, last_detection,
                    detections, frp_total, score, confidence, reasons, detection_ids
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Final

import duckdb
import numpy as np
import shapely

from tocsin.analysis.siege import STAGES as SIEGE_STAGES
from tocsin.lake import Lake
from tocsin.places.hierarchy import Hierarchy, fold_ranked
from tocsin.places.lookup import area_names
from tocsin.places.search import PlaceIndex
from tocsin.spatial import haversine_km
from tocsin.workspace import Workspace


class _NotComputed:
    """The analysis behind a section has not produced its table in this workspace yet."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_COMPUTED"


NOT_COMPUTED: Final = _NotComputed()

STAGES = SIEGE_STAGES  # the siege tracker's own list and order
# Places shown on the map at low zoom: the ones a siege happens to.
MAJOR_CLASSES = frozenset({"city", "town", "camp", "idp_site"})
MIN_ZOOM, MAX_ZOOM = 3, 13
OVERVIEW_ZOOM = 7  # up to this zoom the map shows the major places only, all of them
MAX_MAP_PLACES = 3000
EVENTS_SHOWN = 100
FIRE_WINDOW_DAYS = 90
SIEGE_HISTORY_DAYS = 365  # a place page shows the stage changes of the year before the board's day


def zoom_tolerance_deg(zoom: int) -> float:
    """About one screen pixel at ``zoom`` (256-pixel tiles), in degrees: detail finer than that
    cannot be seen, so it is not sent."""
    return 360.0 / (256 * 2 ** zoom)


def clamp_zoom(zoom: int) -> int:
    return max(MIN_ZOOM, min(MAX_ZOOM, int(zoom)))


@dataclass
class _LakeState:
    """One lake state, read once: the gazetteer in arrays, a DuckDB connection, caches."""

    key: tuple[int, int, int, int]
    con: duckdb.DuckDBPyConnection
    derived: set[str]
    places: list[dict[str, Any]]
    by_id: dict[str, int]
    lat: np.ndarray
    lon: np.ndarray
    major: np.ndarray
    area_names: dict[str, tuple[str | None, str | None]]
    stage_by_place: dict[str, dict[str, Any]] | _NotComputed
    risk_by_place: dict[str, dict[str, Any]] | _NotComputed
    # The siege tracker's inputs and the day it judged (None: stages from a derived table).
    siege_inputs: Any = None
    siege_as_of: dt.date | None = None
    index: PlaceIndex | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    cache: OrderedDict[Any, Any] = field(default_factory=OrderedDict)


def source_label(source: str) -> str:
    """A source as its publisher names it ("ucdp-ged" -> "UCDP GED"): a proper name, the same
    in every language (tocsin.arabic.LATIN_NAMES lists these)."""
    return source.upper().replace("-", " ")


class WebData:
    """Read access to one workspace's lake for the web app; safe to share between threads."""

    CACHE_ENTRIES = 512

    def __init__(self, workspace: Workspace, database_url: str | None = None) -> None:
        self.workspace = workspace
        self.database_url = database_url
        self.lake = Lake(workspace.lake_dir)
        self._state: _LakeState | None = None
        self._load_lock = threading.Lock()
        self._records_version = 0  # bumped when a change of control is recorded here

    def records_changed(self) -> None:
        """A change of control was recorded: the siege stages are judged again."""
        self._records_version += 1

    # -- lake state --------------------------------------------------------------------
    def _manifest_key(self) -> tuple[int, int, int, int]:
        stat = self.lake.manifest_path.stat()
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns, self._records_version)

    def state(self) -> _LakeState:
        key = self._manifest_key()
        state = self._state
        if state is not None and state.key == key:
            return state
        with self._load_lock:
            if self._state is None or self._state.key != key:
                old = self._state
                self._state = self._load(key)
                if old is not None:
                    with old.lock:
                        old.con.close()
            return self._state

    def _load(self, key: tuple[int, int, int, int]) -> _LakeState:
        con = self.lake.connect()
        derived = set(self.lake.manifest()["derived"])
        if "gazetteer" in derived:
            rows = con.execute(
                "SELECT place_id, name, name_ar, place_class, latitude, longitude, population, "
                "households, admin1_pcode, admin2_pcode, hiu_status, hiu_year, importance "
                "FROM gazetteer ORDER BY importance DESC, place_id").fetchall()
        else:
            rows = []
        columns = ("place_id", "name", "name_ar", "place_class", "latitude", "longitude", "population",
                   "households", "admin1_pcode", "admin2_pcode", "hiu_status", "hiu_year", "importance")
        places = [dict(zip(columns, row, strict=True)) for row in rows]
        areas = area_names(con)
        siege_inputs, siege_as_of, stage_by_place = self._siege_board()
        risk_by_place = self._current_risk(con, derived)
        return _LakeState(
            key=key, con=con, derived=derived, places=places,
            by_id={p["place_id"]: i for i, p in enumerate(places)},
            lat=np.array([p["latitude"] for p in places], dtype=float),
            lon=np.array([p["longitude"] for p in places], dtype=float),
            major=np.array([p["place_class"] in MAJOR_CLASSES or p["place_id"] in (stage_by_place or {})
                            for p in places], dtype=bool),
            area_names=areas, stage_by_place=stage_by_place, risk_by_place=risk_by_place,
            siege_inputs=siege_inputs, siege_as_of=siege_as_of)

    def _siege_board(self) -> tuple[Any, dt.date | None, dict[str, Any] | _NotComputed]:
        """The siege tracker's board as of the lake's latest dated data, by place."""
        from tocsin.jobs.steps import siege as siege_watch
        from tocsin.workspace import WorkspaceError

        try:
            inputs = siege_watch.load_inputs(self.workspace, self.database_url)
            as_of = siege_watch.resolve_as_of(inputs, None)
        except WorkspaceError:
            return None, None, NOT_COMPUTED  # no gazetteer or no dated data: nothing to judge
        stages = {row["place_id"]: {"stage": row["stage"], "stage_rank": int(row["stage_rank"]),
                                    "since": row.get("since"), "reasons": row.get("reasons"),
                                    "exposed": row.get("exposed")}
                  for row in siege_watch.board(inputs, as_of)}
        return inputs, as_of, stages

    @staticmethod
    def _current_risk(con: duckdb.DuckDBPyConnection, derived: set[str]) -> dict[str, Any] | _NotComputed:
        if "forecasts" not in derived:
            return NOT_COMPUTED
        rows = con.execute(
            "SELECT place_id, probability, horizon_days, as_of, model FROM forecasts "
            "QUALIFY row_number() OVER (PARTITION BY place_id ORDER BY as_of DESC, horizon_days) = 1"
        ).fetchall()
        return {r[0]: {"probability": float(r[1]), "horizon_days": int(r[2]), "as_of": r[3],
                       "model": r[4]} for r in rows}

    def _cached(self, state: _LakeState, key: Any, build: Any) -> Any:
        with state.lock:
            if key in state.cache:
                state.cache.move_to_end(key)
                return state.cache[key]
            value = build()
            state.cache[key] = value
            if len(state.cache) > self.CACHE_ENTRIES:
                state.cache.popitem(last=False)
            return value

    def _query(self, state: _LakeState, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run a query on the state's connection (callers hold ``state.lock``)."""
        cursor = state.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def memo(self, key: Any, build: Any) -> Any:
        """``build()``, kept until the lake changes (for what callers derive from lake data)."""
        state = self.state()
        return self._cached(state, ("memo", key), build)

    def version(self) -> str:
        """A short tag of the lake state, for ETags."""
        return "-".join(str(part) for part in self.state().key)

    # -- map ---------------------------------------------------------------------------
    def map_areas(self, zoom: int) -> str:
        """COD-AB boundaries (states and localities) as GeoJSON text, simplified to ~1 pixel at
        ``zoom``; coordinates rounded to a tenth of that."""
        zoom = clamp_zoom(zoom)
        state = self.state()
        return self._cached(state, ("areas", zoom), lambda: self._build_areas(state, zoom))

    def _build_areas(self, state: _LakeState, zoom: int) -> str:
        tolerance = zoom_tolerance_deg(zoom)
        digits = max(2, min(6, math.ceil(-math.log10(tolerance / 10))))
        rows = state.con.execute(
            "SELECT pcode, admin_level, name_en, name_ar, geometry_wkb FROM areas "
            "WHERE geometry_type IN ('Polygon', 'MultiPolygon') AND admin_level >= 1 "
            "ORDER BY admin_level, pcode").fetchall()
        features = []
        for pcode, level, name_en, name_ar, wkb in rows:
            geometry = shapely.simplify(shapely.from_wkb(wkb), tolerance, preserve_topology=True)
            geometry = shapely.set_precision(geometry, 10.0 ** -digits)
            if geometry.is_empty:
                continue
            properties = json.dumps({"pcode": pcode, "admin_level": int(level), "name": name_en,
                                     "name_ar": name_ar}, ensure_ascii=False)
            features.append(f'{{"type":"Feature","properties":{properties},'
                            f'"geometry":{shapely.to_geojson(geometry)}}}')
        return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"

    def map_places(self, zoom: int, bbox: tuple[float, float, float, float] | None) -> str:
        """Places as GeoJSON text: at low zoom the towns, cities and camps (and any place with a
        siege stage), everywhere; zoomed in, every place inside ``bbox`` (west, south, east, north).
        At most MAX_MAP_PLACES, most important first."""
        zoom = clamp_zoom(zoom)
        state = self.state()
        if zoom <= OVERVIEW_ZOOM or bbox is None:
            return self._cached(state, ("places", None), lambda: self._build_places(state, None))
        # Rounded to 0.01 degree so that nearby views share a cache entry.
        rounded = (round(bbox[0] - 0.005, 2), round(bbox[1] - 0.005, 2),
                   round(bbox[2] + 0.005, 2), round(bbox[3] + 0.005, 2))
        return self._cached(state, ("places", rounded), lambda: self._build_places(state, rounded))

    def _build_places(self, state: _LakeState, bbox: tuple[float, float, float, float] | None) -> str:
        """Every place in ``bbox``, or the major places everywhere when bbox is None."""
        if bbox is None:
            wanted = state.major.copy()
        else:
            west, south, east, north = bbox
            wanted = (state.lon >= west) & (state.lon <= east) & (state.lat >= south) & (state.lat <= north)
        picked = np.flatnonzero(wanted)[:MAX_MAP_PLACES]  # places are sorted by importance
        stages = state.stage_by_place or {}
        risks = state.risk_by_place or {}
        features = []
        for i in picked.tolist():
            place = state.places[i]
            stage = stages.get(place["place_id"], {})
            risk = risks.get(place["place_id"], {})
            properties = {"id": place["place_id"], "name": place["name"], "name_ar": place["name_ar"],
                          "class": place["place_class"], "population": place["population"],
                          "stage": stage.get("stage"), "stage_rank": stage.get("stage_rank"),
                          "stage_since": str(stage["since"]) if stage.get("since") else None,
                          "risk": risk.get("probability")}
            features.append({"type": "Feature", "properties": properties,
                             "geometry": {"type": "Point", "coordinates": [round(place["longitude"], 5),
                                                                           round(place["latitude"], 5)]}})
        return json.dumps({"type": "FeatureCollection", "features": features,
                           "truncated": bool(wanted.sum() > MAX_MAP_PLACES)},
                          ensure_ascii=False, separators=(",", ":"))

    def largest_places(self, limit: int = 40) -> list[dict[str, Any]]:
        """The most important places with their stage, for the map page without JavaScript."""
        state = self.state()
        picked = [p for p in state.places if p["place_class"] in MAJOR_CLASSES][:limit]
        return [self._summary(state, p) for p in picked]

    def _summary(self, state: _LakeState, place: dict[str, Any]) -> dict[str, Any]:
        stage = (state.stage_by_place or {}).get(place["place_id"], {})
        risk = (state.risk_by_place or {}).get(place["place_id"], {})
        admin1 = state.area_names.get(place["admin1_pcode"] or "", (None, None))
        return {**place, "admin1": admin1[0], "admin1_ar": admin1[1], "stage": stage.get("stage"),
                "stage_rank": stage.get("stage_rank"), "stage_since": stage.get("since"),
                "stage_reasons": stage.get("reasons"), "exposed": stage.get("exposed"),
                "risk": risk.get("probability"), "risk_horizon_days": risk.get("horizon_days")}

    # -- search ------------------------------------------------------------------------
    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Places by any spelling (the gazetteer's own matching, see tocsin.places.search)."""
        state = self.state()
        if not state.places or not query.strip():
            return []
        with state.lock:
            if state.index is None:
                importance = {p["place_id"]: p["importance"] or 0.0 for p in state.places}
                names = state.con.sql("SELECT * FROM place_names").to_arrow_table()
                state.index = PlaceIndex(names, importance)
            matches = state.index.find(query, limit)
        results = []
        for match in matches:
            i = state.by_id.get(match.place_id)
            if i is not None:
                results.append({**self._summary(state, state.places[i]), "how": match.how,
                                "matched_name": match.matched_name})
        return results

    # -- a place -----------------------------------------------------------------------
    def place(self, place_id: str) -> dict[str, Any] | None:
        """All the web shows about one place, or None when the gazetteer has no such place."""
        state = self.state()
        i = state.by_id.get(place_id)
        if i is None:
            return None
        return self._cached(state, ("place", place_id), lambda: self._build_place(state, state.places[i]))

    def place_json(self, place_id: str) -> str | None:
        """:meth:`place` as JSON text, built once per lake state."""
        state = self.state()
        if place_id not in state.by_id:
            return None
        return self._cached(state, ("place_json", place_id), lambda: json.dumps(
            jsonable(self.place(place_id)), ensure_ascii=False, separators=(",", ":")))

    def _build_place(self, state: _LakeState, place: dict[str, Any]) -> dict[str, Any]:
        pid, admin2 = place["place_id"], place["admin2_pcode"]
        detail = self._summary(state, place)
        admin2_names = state.area_names.get(admin2 or "", (None, None))
        detail.update(admin2=admin2_names[0], admin2_ar=admin2_names[1])
        (extra,) = self._query(state, "SELECT names, sources, radius_km FROM gazetteer WHERE place_id = ?",
                               [pid])
        detail["names"] = [n for n in extra["names"] if n not in (place["name"], place["name_ar"])]
        detail["sources"] = extra["sources"]
        detail["radius_km"] = extra["radius_km"]
        event_columns = ("e.event_uid, e.date_start, e.date_end, e.date_precision, e.category, "
                         "e.actor1, e.actor2, e.fatalities, e.civilian_deaths, e.location_precision, "
                         "e.location_name, e.notes, e.source")
        detail["events_count"] = state.con.execute(
            "SELECT count(*) FROM event_links WHERE place_id = ?", [pid]).fetchone()[0] \
            if "event_links" in state.derived else 0
        detail["events"] = self._query(
            state, f"SELECT {event_columns}, l.distance_km FROM event_links l "
                   "JOIN events e USING (event_uid) WHERE l.place_id = ? "
                   f"ORDER BY e.date_start DESC, e.event_uid LIMIT {EVENTS_SHOWN}",
            [pid]) if "event_links" in state.derived else []
        detail["locality_events_count"] = state.con.execute(
            "SELECT count(*) FROM event_links WHERE place_id IS NULL AND admin2_pcode = ?",
            [admin2]).fetchone()[0] if admin2 and "event_links" in state.derived else 0
        detail["displacement"] = self._query(
            state, "SELECT idps, reporting_round, period_start, period_end, assessment_type, operation "
                   "FROM displacement WHERE admin_level = 2 AND admin2_pcode = ? "
                   "ORDER BY period_end DESC, reporting_round DESC LIMIT 12", [admin2]) if admin2 else []
        detail["fires"] = self._fires_near(state, place, 2 * float(extra["radius_km"] or 2.0))
        detail["stage_history"] = self._stage_history(state, pid)
        detail["forecast"] = self._forecast(state, pid)
        detail["burnings"] = self._burnings(state, pid)
        return detail

    def _fires_near(self, state: _LakeState, place: dict[str, Any], km: float) -> dict[str, Any]:
        """Fire detections within ``km`` in the last FIRE_WINDOW_DAYS of the lake's fire data (the
        window ends at the newest detection, not at today: the web shows what the data knows)."""
        lat, lon = place["latitude"], place["longitude"]
        dlat = km / 111.0
        dlon = km / (111.0 * max(0.1, math.cos(math.radians(lat))))
        rows = state.con.execute(
            "WITH newest AS (SELECT max(acq_date) AS d FROM fire_detections) "
            "SELECT latitude, longitude, acq_date, frp FROM fire_detections, newest "
            "WHERE latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ? "
            f"AND acq_date > newest.d - INTERVAL {FIRE_WINDOW_DAYS} DAY",
            [lat - dlat, lat + dlat, lon - dlon, lon + dlon]).fetchall()
        if rows:
            near = haversine_km(lat, lon, [r[0] for r in rows], [r[1] for r in rows]) <= km
            rows = [r for r, keep in zip(rows, near.tolist(), strict=True) if keep]
        dates = sorted(r[2] for r in rows)
        return {"km": round(km, 1), "count": len(rows), "first": dates[0] if dates else None,
                "last": dates[-1] if dates else None,
                "frp_total": round(sum(r[3] or 0.0 for r in rows), 1)}

    def _stage_history(self, state: _LakeState, pid: str) -> list[dict[str, Any]] | _NotComputed:
        if state.siege_inputs is None or state.siege_as_of is None:
            return NOT_COMPUTED
        from tocsin.jobs.steps import siege as siege_watch

        start = state.siege_as_of - dt.timedelta(days=SIEGE_HISTORY_DAYS)
        rows = siege_watch.history(state.siege_inputs, pid, start, state.siege_as_of)
        changes = [{"date": r["date"], "stage": r["stage"], "stage_rank": r["stage_rank"],
                    "reasons": r.get("reasons"), "held_by": r.get("held_by"),
                    "fell_on": r.get("fell_on"),
                    "evidence": [e.get("detail") or e.get("ref") if isinstance(e, dict) else e
                                 for e in r.get("evidence") or []],
                    # The same evidence by its parts, so that each language writes its own line.
                    "evidence_facts": [{k: e.get(k) for k in ("signal", "kind", "ref", "date", "detail")}
                                       for e in r.get("evidence") or [] if isinstance(e, dict)]}
                   for r in rows]
        return sorted(changes, key=lambda r: r["date"], reverse=True)

    def _forecast(self, state: _LakeState, pid: str) -> list[dict[str, Any]] | _NotComputed:
        if "forecasts" not in state.derived:
            return NOT_COMPUTED
        rows = self._query(state, "SELECT * FROM forecasts WHERE place_id = ? "
                                  "QUALIFY as_of = max(as_of) OVER () ORDER BY horizon_days", [pid])
        for row in rows:
            row["reasons"] = _as_list(row.get("reasons"))
        return rows

    def _burnings(self, state: _LakeState, pid: str) -> list[dict[str, Any]] | _NotComputed:
        if "burnings" not in state.derived:
            return NOT_COMPUTED
        rows = self._query(state, "SELECT * EXCLUDE (detection_ids) FROM burnings WHERE place_id = ? "
                                  "ORDER BY first_detection DESC LIMIT 50", [pid])
        for row in rows:
            row["reasons"] = _as_list(row.get("reasons"))
        return rows

    # -- lists -------------------------------------------------------------------------
    def freshness(self) -> dict[str, Any]:
        """How current the workspace is, for every page's banner: the event data's last day,
        each sync source's last successful sync and lag, and the warning when today lies more
        than a week past the event data (tocsin.coverage: the rule every output follows)."""
        state = self.state()

        def build() -> dict[str, Any]:
            from tocsin.coverage import coverage_warning, data_through, lake_coverage, source_freshness

            coverage = lake_coverage(self.lake)
            through = data_through(coverage)
            today = dt.datetime.now(dt.UTC).date()
            events = [c for c in coverage if c.table == "events" and c.through]
            sync = [{**f.to_json(), "label": source_label(f.source)}
                    for f in source_freshness(self.lake, coverage, today) if f.last_sync or f.through]
            warning = coverage_warning(coverage, today) if through else None
            return {"data_through": through,
                    "event_sources": [c.to_json() for c in coverage if c.table == "events"],
                    "sync": sync, "warning": warning,
                    # The warning's parts, so each language writes its own sentence.
                    "gap_days": (today - through).days if warning and through else None,
                    "gap_sources": [f"{source_label(c.source)} {c.through}" for c in events]}

        return self._cached(state, ("freshness",), build)  # type: ignore[no-any-return]

    def siege_as_of(self) -> dt.date | None:
        """The day the siege board judges (the lake's latest dated data), when computed here."""
        return self.state().siege_as_of

    def siege_board(self) -> list[dict[str, Any]] | _NotComputed:
        """Places with a siege stage above calm, worst first."""
        state = self.state()
        if isinstance(state.stage_by_place, _NotComputed):
            return NOT_COMPUTED
        rows = [self._summary(state, state.places[state.by_id[pid]])
                for pid, stage in state.stage_by_place.items()
                if stage["stage_rank"] > 0 and pid in state.by_id]
        return sorted(rows, key=lambda r: (-r["stage_rank"], -(r["population"] or 0)))

    def at_risk(self, limit: int = 50) -> list[dict[str, Any]] | _NotComputed:
        """Places by forecast probability, highest first."""
        state = self.state()
        if isinstance(state.risk_by_place, _NotComputed):
            return NOT_COMPUTED
        rows = [self._summary(state, state.places[state.by_id[pid]])
                for pid in state.risk_by_place if pid in state.by_id]
        rows.sort(key=lambda r: -(r["risk"] or 0.0))
        # Each town once: its camps and neighbourhoods fold under it, at its best risk.
        hierarchy = self._cached(state, "hierarchy", lambda: Hierarchy.from_workspace(self.workspace))
        return fold_ranked(rows, hierarchy, max_keys=("risk",), limit=limit)


def _as_list(value: Any) -> list[Any]:
    """Reasons and evidence arrive as lists, JSON text or plain text, depending on the writer."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return [value]
        return parsed if isinstance(parsed, list) else [parsed]
    return [value]


def jsonable(value: Any) -> Any:
    """Dates and NumPy numbers to what JSON can carry; NaN to null."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if value is NOT_COMPUTED:
        return {"status": "not_computed"}
    return value


# -- alerts (records database) ----------------------------------------------------------------
# The siege tracker records escalations, and the alerts scan clusters of field reports (counts
# only), as alerts (tocsin.alerts); the web lists them and acknowledges them in the acting
# user's name.
def list_alerts(sessions: Any, organisation_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """Alerts as one organisation sees them: acknowledged only when it acknowledged them."""
    from tocsin.alerts.store import alert_json
    from tocsin.alerts.store import list_alerts as stored_alerts
    from tocsin.intake.form import SIGN_LABELS
    from tocsin.records.alert_acks import acknowledgements_of

    acks = acknowledgements_of(sessions, organisation_id)
    listed = []
    for alert in stored_alerts(sessions, include_acknowledged=True, limit=limit):
        row = alert_json(alert)
        if alert.sign:  # a cluster of field reports: the sign's or the category's words
            row["what_key"] = f"{'sign' if alert.sign in SIGN_LABELS else 'category'}_{alert.sign}"
        ack = acks.get(alert.id)
        row |= {"status": "acknowledged" if ack else "open",
                "acknowledged_at": ack.acknowledged_at.isoformat() if ack else None,
                "acknowledged_by": ack.acknowledged_by if ack else None,
                "note": ack.note if ack else None}
        listed.append(row)
    return listed


def acknowledge_alert(sessions: Any, alert_id: int, username: str,
                      organisation_id: int) -> str | None:
    """Acknowledge an alert for the user's organisation; None when done, else why not."""
    from tocsin.records.alert_acks import AckError, acknowledge_for

    try:
        acknowledge_for(sessions, alert_id, organisation_id, username)
    except AckError as exc:
        return str(exc)
    return None
