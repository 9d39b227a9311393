"""The siege tracker's I/O, with the other jobs' (it was siege_watch.py): read its inputs from a
workspace's lake, run the pure analysis (tocsin.analysis.siege), and shape the board and a
place's history for the commands, the alerts job, the brief and the web app."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from tocsin.analysis.siege import STAGES, SiegeRules, default_rules, siege_stages, stage_changes
from tocsin.coverage import STALE_AFTER_DAYS, data_through, speaks_of
from tocsin.i18n import Said
from tocsin.jobs.reads import events_with_links
from tocsin.lake import Lake
from tocsin.places.hierarchy import Hierarchy, fold_ranked
from tocsin.places.names import normalize
from tocsin.records.control import workspace_control
from tocsin.workspace import Workspace, WorkspaceError

EVENT_COLUMNS = ("e.event_uid, e.date_start, e.date_end, e.category, e.fatalities, e.latitude, "
                 "e.longitude, e.location_precision, e.location_name, e.actor1, e.actor2, "
                 "l.place_id, l.link_level")


# The inputs that speak of every day (prices and displacement rounds are monthly or rarer, and
# published ahead of what they measure): past the last of them, nothing is known of a day.
DAILY_SIGNALS = ("events", "fire_detections", "connectivity")


@dataclass
class SiegeInputs:
    places: pa.Table
    events: pa.Table
    prices: pa.Table | None
    displacement: pa.Table | None
    connectivity: pa.Table | None
    burnings: pa.Table | None
    latest: dt.date | None  # the default day to judge: the latest event's (see load_inputs)
    latest_event: dt.date | None = None
    coverage: list[Any] = field(default_factory=list)  # coverage.SourceCoverage of the events
    control: pa.Table | None = None  # recorded changes of control (records DB)
    # The last span of every place's stages on the default rules (the alerts scan's, evidence
    # on its changes and last day), from which its last day is read again (the brief's board)
    # instead of recomputed, and its stage changes (``_since_in_span``): a day's stage depends
    # on the rules' lookback before it, not on where the span starts (tested:
    # tests/jobs/test_siege_span.py).
    _span: tuple[dt.date, dt.date, pa.Table] | None = field(default=None, repr=False, compare=False)

    def stages(self, start: dt.date, end: dt.date, rules: SiegeRules | None = None,
               evidence: bool | Literal["changes"] = True,
               place_ids: list[str] | None = None) -> pa.Table:
        plain = rules is None and place_ids is None
        if plain and evidence is True and start == end and self._span and start == self._span[1]:
            table = self._span[2]
            return table.filter(pc.equal(table.column("date"), pa.scalar(start, pa.date32())))
        table = siege_stages(self.places, self.events, start, end, prices=self.prices,
                             displacement=self.displacement, connectivity=self.connectivity,
                             burnings=self.burnings, control=self.control, rules=rules,
                             evidence=evidence, place_ids=place_ids)
        if plain and evidence == "changes" and start < end:
            self._span = (start, end, table)
        return table

    def judged(self, day: dt.date) -> dt.date:
        """The day whose stages stand for ``day``: ``day`` while any daily signal the rules read
        (conflict events, fire detections, connectivity) speaks of it (``_speaks``), else the
        last day before it that one reaches. Run on into a gap where nothing is known, the rules
        would read the silence as fighting that stopped; where fires are still seen, they still
        tell (a town burning as it falls)."""
        if any(self._speaks(t, day) for t in DAILY_SIGNALS):
            return day
        before = [c.through for c in self.coverage
                  if c.table in DAILY_SIGNALS and c.through is not None and c.through < day]
        return max(before, default=day)

    def signals_alone(self, day: dt.date) -> dict[str, Any] | None:
        """When the conflict events end more than a week before ``day`` but another daily signal
        speaks of it: ``{"events_end": D, "signals": [...]}``. The stages of such days come from
        those signals alone (a town burning shows; a town encircled without fires does not), so
        "calm" then means "no such signal", not calm."""
        events_end = data_through(self.coverage, "events")
        if events_end is None or events_end >= day or self._speaks("events", day):
            return None
        speaking = [t for t in DAILY_SIGNALS[1:] if self._speaks(t, day)]
        return {"events_end": events_end, "signals": speaking} if speaking else None

    def _speaks(self, table: str, day: dt.date) -> bool:
        """Whether ``table``'s data spans ``day`` (tocsin.coverage.speaks_of). For fire
        detections, a settlement burning seen in the week up to ``day`` also does: it was seen
        in detections of those days, whatever span of them the workspace still holds."""
        if speaks_of(self.coverage, table, day):
            return True
        if table != "fire_detections" or self.burnings is None or self.burnings.num_rows == 0:
            return False
        first = pc.cast(self.burnings.column("first_detection"), pa.date32())
        last = pc.cast(self.burnings.column("last_detection"), pa.date32())
        week = day - dt.timedelta(days=STALE_AFTER_DAYS)
        return bool(pc.any(pc.and_(pc.less_equal(first, pa.scalar(day, pa.date32())),
                                   pc.greater_equal(last, pa.scalar(week, pa.date32())))).as_py())

    @property
    def hierarchy(self) -> Hierarchy:
        return Hierarchy.of(self.places)


def load_inputs(workspace: Workspace, database_url: str | None = None) -> SiegeInputs:
    """Everything the siege rules read, from the lake (burnings only when that table exists),
    and the changes of control recorded in the records database (``database_url``, default the
    workspace's)."""
    workspace.require()
    lake = Lake(workspace.lake_dir)
    derived = lake.manifest()["derived"]
    if "gazetteer" not in derived:
        raise WorkspaceError(Said("workspace.no_gazetteer"))
    con = lake.connect()
    try:
        places = con.sql("SELECT * FROM gazetteer").to_arrow_table()
        events = events_with_links(con, EVENT_COLUMNS, derived)
        prices = con.sql("SELECT date, market, market_id, latitude, longitude, commodity, unit, "
                         "price_type, currency, price_flag, price FROM prices").to_arrow_table()
        displacement = con.sql("SELECT admin_level, admin2_pcode, idps, operation, assessment_type, "
                               "period_end, source_id FROM displacement").to_arrow_table()
        from tocsin.sync.connectors.ioda import workspace_region_states

        connectivity = _connectivity(con, workspace_region_states(workspace))
        burnings = con.sql("SELECT * FROM burnings").to_arrow_table() if "burnings" in derived else None
        # Conflict events drive every stage: the board defaults to their latest day (prices or
        # DTM rounds published later would judge a day no event speaks of yet).
        latest = con.execute(
            "SELECT coalesce((SELECT max(date_end) FROM events), (SELECT max(d) FROM ("
            "SELECT max(date) AS d FROM prices UNION ALL SELECT max(period_end) FROM displacement "
            "UNION ALL SELECT max(CAST(timezone('UTC', time) AS DATE)) FROM connectivity)))"
        ).fetchone()[0]
    finally:
        con.close()
    from tocsin.coverage import lake_coverage

    return SiegeInputs(places, events, prices, displacement, connectivity, burnings, latest,
                       _latest_event(events), lake_coverage(lake),
                       workspace_control(database_url or workspace.database_url))


def _latest_event(events: pa.Table) -> dt.date | None:
    return pc.max(events.column("date_end")).as_py() if events.num_rows else None


def blind_spot(inputs: SiegeInputs, day: dt.date) -> str | None:
    """The coverage warning (tocsin.coverage) when the day judged lies beyond the conflict
    events the workspace holds: places then read calm for want of data, not for want of fighting."""
    from tocsin.coverage import coverage_warning

    if inputs.latest_event is None:
        return Said("jobs.no_conflict_events")
    return coverage_warning(inputs.coverage, day)


def _connectivity(con: Any, configured: dict[str, str] | None = None) -> pa.Table | None:
    """Connectivity rows with the admin1 P-code of their region: the state the IODA settings
    give the region (by its code or name: ``region_states``), else the state of that name
    (IODA names regions in English: North Darfur, Gezira, ...)."""
    table = con.sql("SELECT entity_code AS region_code, entity_name AS region_name, datasource, "
                    "time, value FROM connectivity WHERE entity_type = 'region'").to_arrow_table()
    if table.num_rows == 0:
        return None
    states = con.sql("SELECT pcode, name_en, name_ar FROM areas WHERE admin_level = 1").fetchall()
    by_name = {}
    for pcode, name_en, name_ar in states:
        for name in (name_en, name_ar, pcode):
            if name:
                by_name[normalize(name)] = pcode
    given = {normalize(k): v for k, v in (configured or {}).items()}
    codes = [given.get(normalize(c or "")) or given.get(normalize(n or ""))
             or by_name.get(normalize(n or "")) or by_name.get(normalize(c or ""))
             for n, c in zip(table.column("region_name").to_pylist(),
                             table.column("region_code").to_pylist(), strict=True)]
    return table.append_column("admin1_pcode", pa.array(codes, pa.string()))


def resolve_as_of(inputs: SiegeInputs, as_of: dt.date | None) -> dt.date:
    if as_of is not None:
        return as_of
    if inputs.latest is None:
        raise WorkspaceError(Said("workspace.nothing_to_track"))
    return inputs.latest


def board(inputs: SiegeInputs, as_of: dt.date, rules: SiegeRules | None = None,
          fold: bool = True) -> list[dict[str, Any]]:
    """Places past calm on ``as_of``, by stage (worst first) then exposed people, each with the
    day it entered its stage (a fallen town: the day it fell) and how many days it has been in
    it. ``fold``: a camp or a
    neighbourhood is listed under its town (places/hierarchy.py), not beside it. Past the end
    of the event data the stages are those of its last day (``judged_on`` in each row)."""
    as_of = inputs.judged(as_of)
    stages = inputs.stages(as_of, as_of, rules)
    past_calm = stages.filter(pc.greater(stages.column("stage_rank"), 0))
    # When each place entered its present stage: the history over the lookback before as_of.
    since = _stage_since(inputs, as_of, rules, past_calm)
    rows = past_calm.to_pylist()
    for row in rows:
        row["since"] = since.get(row["place_id"])
        if row["stage"] == "fallen" and row.get("fell_on"):
            # A fallen town has been held since its fall, not since the overrun's signals
            # faded (the day the stage turned from overrun to fallen).
            row["since"] = row["fell_on"]
        row["days_in_stage"] = (as_of - row["since"]).days + 1 if row["since"] else None
        row["judged_on"] = as_of
    order = (lambda r: (-r["stage_rank"], -(r["exposed"] or 0), r["name"]))  # noqa: E731
    rows.sort(key=order)
    if fold:
        stage_of = {r["place_id"]: r["stage"] for r in rows}
        rows = fold_ranked(rows, inputs.hierarchy)
        for row in rows:
            for sub in row["sub_places"]:
                sub["stage"] = stage_of.get(sub["place_id"])
        rows.sort(key=order)  # a town is placed by its own stage; its sub-places' are listed
    return rows


def _stage_since(inputs: SiegeInputs, as_of: dt.date, rules: SiegeRules | None,
                 current: pa.Table) -> dict[str, dt.date]:
    """When each place of ``current`` entered its stage of ``as_of``: its last change of stage.
    A place whose stage changed inside the alert scan's span (``SiegeInputs._span``, default
    rules) changed last there: each day's stage in the span is the one a longer history gives.
    Only the others are computed over the rules' whole lookback (621 days by default)."""
    if current.num_rows == 0:
        return {}
    wanted = current.column("place_id").to_pylist()
    since = _since_in_span(inputs, as_of, wanted) if rules is None else {}
    rest = [p for p in wanted if p not in since]
    if not rest:
        return since
    lookback = (rules or default_rules()).lookback_days()
    history = inputs.stages(as_of - dt.timedelta(days=lookback), as_of, rules, evidence=False,
                            place_ids=rest)
    changes = stage_changes(history)
    for place, date in zip(changes.column("place_id").to_pylist(), changes.column("date").to_pylist(),
                           strict=True):
        since[place] = date  # changes are in date order: the last one is the present stage's start
    return since


def _since_in_span(inputs: SiegeInputs, as_of: dt.date, wanted: list[str]) -> dict[str, dt.date]:
    """The places of ``wanted`` whose stage changed after the span's first day and by
    ``as_of``, with the day of their last change (the first day's "change" from calm is only
    where the span starts, so it says nothing)."""
    if inputs._span is None or not inputs._span[0] < as_of <= inputs._span[1]:
        return {}
    first, _, table = inputs._span
    days = pc.cast(table.column("date"), pa.date32())
    rows = table.filter(pc.and_(pc.is_in(table.column("place_id"), value_set=pa.array(wanted, pa.string())),
                                pc.less_equal(days, pa.scalar(as_of, pa.date32()))))
    changes = stage_changes(rows.select(["place_id", "date", "stage_rank"]))
    since: dict[str, dt.date] = {}
    for place, date in zip(changes.column("place_id").to_pylist(), changes.column("date").to_pylist(),
                           strict=True):
        if date > first:
            since[place] = date
    return since


def history(inputs: SiegeInputs, place_id: str, start: dt.date, end: dt.date,
            rules: SiegeRules | None = None) -> list[dict[str, Any]]:
    """A place's stage changes from ``start`` to ``end``, each with its evidence. When the place
    was past calm on ``start``, the change that brought it there comes first (the history is
    computed from the rules' lookback before ``start``, so that change is a real one). It ends
    where the event data ends, when ``end`` lies more than a week past it (``SiegeInputs.judged``)."""
    rules = rules or default_rules()
    end = max(inputs.judged(end), start)
    stages = inputs.stages(start - dt.timedelta(days=rules.lookback_days()), end, rules,
                           evidence="changes", place_ids=[place_id])
    changes = stage_changes(stages).to_pylist()
    before = [r for r in changes if r["date"] < start]
    rows = [r for r in changes if r["date"] >= start]
    if before and before[-1]["stage_rank"] > 0 and not (rows and rows[0]["date"] == start):
        rows.insert(0, before[-1])
    for row in rows:
        row["previous_stage"] = STAGES[row["previous_rank"]]
    return rows


def escalations_between(inputs: SiegeInputs, start: dt.date, end: dt.date,
                        rules: SiegeRules | None = None, quiet_days: int = 14) -> list[dict[str, Any]]:
    """Every escalation from ``start`` to ``end``, each judged against the ``quiet_days``
    before it (the history is computed from that far back), with its evidence."""
    from tocsin.analysis.siege import escalations

    stages = inputs.stages(start - dt.timedelta(days=quiet_days), end, rules, evidence="changes")
    rows = escalations(stages, quiet_days).to_pylist()
    rows = [r for r in rows if r["date"] >= start]
    for row in rows:
        row["previous_stage"] = STAGES[row["previous_rank"]]
    return rows


# The last inputs read (the alerts job, then the brief, in one `tocsin update`): each read
# takes most of a second over a whole country, and neither changes them.
_SHARED_INPUTS: dict[tuple[str, ...], SiegeInputs] = {}
SIEGE_IGNORES = ("forecasts",)  # derived tables the siege rules never read


def _lake_key(workspace: Workspace) -> tuple[str, ...] | None:
    """What the siege inputs are read from, as a key: the lake manifest (every batch and
    derived file) and the recorded changes of control. None without a lake."""
    import hashlib
    import json

    from tocsin.lake import LakeError

    try:
        workspace.require()
        manifest = Lake(workspace.lake_dir).manifest()
    except (WorkspaceError, LakeError, OSError):
        return None
    # Not the whole manifest: a forecast stored between the alerts job and the brief changes
    # nothing the siege rules read.
    read = json.dumps([manifest["batches"], {k: v for k, v in manifest["derived"].items()
                                             if k not in SIEGE_IGNORES}], sort_keys=True)
    control = workspace_control(workspace.database_url)
    recorded = "-" if control is None else repr(control.to_pylist())
    return (str(workspace.home), hashlib.sha256(read.encode()).hexdigest(),
            hashlib.sha256(recorded.encode()).hexdigest())


def shared_inputs(workspace: Workspace) -> SiegeInputs:
    """``load_inputs``, read once while the lake and the recorded control stay as they were
    (the alerts job and the brief of one update read the same). Callers must not change it."""
    key = _lake_key(workspace)
    if key is not None and key in _SHARED_INPUTS:
        return _SHARED_INPUTS[key]
    inputs = load_inputs(workspace)
    _SHARED_INPUTS.clear()
    if key is not None:
        _SHARED_INPUTS[key] = inputs
    return inputs


def brief_signals_alone(workspace: Workspace, as_of: dt.date) -> dict[str, Any] | None:
    """For the brief: past the conflict events' end, the daily signals its stages come from
    alone (SiegeInputs.signals_alone); None within the events or without a lake."""
    try:
        return shared_inputs(workspace).signals_alone(as_of)
    except WorkspaceError:
        return None


def brief_rows(workspace: Workspace, as_of: dt.date) -> list[dict[str, Any]] | None:
    """The board for the brief: each place past calm with its Arabic name, point, stage, since,
    exposed people and why (the signals, and the latest evidence). None without a gazetteer.
    The day's briefs in both languages read it once (report.brief.gather_brief)."""
    try:
        inputs = shared_inputs(workspace)
    except WorkspaceError:
        return None
    rows = board(inputs, as_of)
    wanted = pc.is_in(inputs.places.column("place_id"),
                      value_set=pa.array([r["place_id"] for r in rows], pa.string()))
    where = {p["place_id"]: p for p in inputs.places.filter(wanted).select(
        ["place_id", "name_ar", "latitude", "longitude"]).to_pylist()} if rows else {}
    for row in rows:
        place = where.get(row["place_id"], {})
        row.update(name_ar=place.get("name_ar"), latitude=place.get("latitude"),
                   longitude=place.get("longitude"))
        latest = row["evidence"][0]["detail"] if row["evidence"] else ""
        signals = ", ".join(s.replace("_", " ") for s in row["signals"])
        row["why"] = ": ".join(x for x in (signals, latest) if x)
    return rows


HISTORY_COLUMNS = ["place_id", "date", "stage_rank", "fell_on", "held_by"]


def stage_history(workspace: Workspace, chunk_days: int = 730) -> pa.Table | None:
    """Every place's stage changes over the whole span of the conflict events, for the forecast's
    siege features (place_id, date, stage_rank). Each day's stage uses only what was known that
    day, so a forecast reading the latest change on or before its date does not look ahead.
    Computed ``chunk_days`` at a time: decades of place-by-day matrices at once took 2 GB.
    The rows keep ``fell_on`` and ``held_by`` (where the stage is fallen), so that
    ``analysis.siege.takeovers`` can read the falls and assaults from them.
    None when the workspace has no gazetteer or no events."""
    try:
        inputs = load_inputs(workspace)
    except WorkspaceError:
        return None
    if inputs.events.num_rows == 0 or inputs.latest is None:
        return None
    first = pc.min(inputs.events.column("date_start")).as_py()
    parts: list[pa.Table] = []
    previous: dict[str, int] = {}  # each place's stage on the day before the chunk
    while first <= inputs.latest:
        last = min(first + dt.timedelta(days=chunk_days - 1), inputs.latest)
        stages = inputs.stages(first, last, evidence=False).select(HISTORY_COLUMNS)
        changes = stage_changes(stages).select(HISTORY_COLUMNS)
        # stage_changes starts every place from calm: a place calm on the chunk's first day after
        # a stage in the chunk before gets its return to calm here.
        opening = stages.filter(pc.equal(stages.column("date"), pa.scalar(first, pa.date32())))
        returned = [(p, r) for p, r in zip(opening.column("place_id").to_pylist(),
                                           opening.column("stage_rank").to_pylist(), strict=True)
                    if r == 0 and previous.get(p, 0) > 0]
        if returned:
            parts.append(pa.table({"place_id": [p for p, _ in returned], "date": [first] * len(returned),
                                   "stage_rank": [0] * len(returned), "fell_on": [None] * len(returned),
                                   "held_by": [None] * len(returned)}, schema=changes.schema))
        parts.append(changes)
        closing = stages.filter(pc.equal(stages.column("date"), pa.scalar(last, pa.date32())))
        previous = dict(zip(closing.column("place_id").to_pylist(),
                            closing.column("stage_rank").to_pylist(), strict=True))
        first = last + dt.timedelta(days=1)
    return pa.concat_tables(parts).sort_by([("place_id", "ascending"), ("date", "ascending")])
