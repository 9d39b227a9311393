"""How far each source's data reaches, and the warning every dated output gives past it.

A gap in the data must never read as calm: an output judged on a day after the last record of
its sources says so, naming the source and its last date. Everything that judges a date (the
forecast, the siege board and place pages, the map, the brief) asks here rather than deriving it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tocsin.i18n import Listed, Said
from tocsin.lake import Lake

# The column that dates each table's rows (for status) and the one that says how far it reaches.
DATE_COLUMN = {"events": "date_start", "event_aggregates": "month_start",
               "fire_detections": "acq_date", "displacement": "period_start", "prices": "date",
               "external_forecasts": "month_start",
               "connectivity": "CAST(timezone('UTC', time) AS DATE)"}
THROUGH_COLUMN = {**DATE_COLUMN, "events": "coalesce(date_end, date_start)",
                  "displacement": "coalesce(period_end, period_start)"}
# Past this many days beyond the data, an output warns that it cannot see the day it judges.
STALE_AFTER_DAYS = 7


@dataclass(frozen=True)
class SourceCoverage:
    table: str
    source: str
    rows: int
    first: date | None
    through: date | None

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "source": self.source, "rows": self.rows,
                "first": self.first.isoformat() if self.first else None,
                "through": self.through.isoformat() if self.through else None}


def lake_coverage(lake: Lake, tables: tuple[str, ...] | None = None) -> list[SourceCoverage]:
    """Per table and source: rows, first date and the last date the data reaches."""
    wanted = tables or tuple(THROUGH_COLUMN)
    con = lake.connect([t for t in wanted if t in THROUGH_COLUMN])
    found: list[SourceCoverage] = []
    for table in wanted:
        if table not in THROUGH_COLUMN:
            continue
        rows = con.execute(f"SELECT source, count(*), min({DATE_COLUMN[table]}), "
                           f"max({THROUGH_COLUMN[table]}) FROM {table} GROUP BY source "
                           "ORDER BY source").fetchall()
        found.extend(SourceCoverage(table, source, n, _day(first), _day(last))
                     for source, n, first, last in rows)
    con.close()
    return found


def data_through(coverage: list[SourceCoverage], table: str = "events") -> date | None:
    """The last day any source of ``table`` reaches (None when the table is empty)."""
    days = [c.through for c in coverage if c.table == table and c.through]
    return max(days) if days else None


def coverage_gap(coverage: list[SourceCoverage], as_of: date, table: str = "events",
                 tolerance_days: int = STALE_AFTER_DAYS) -> dict[str, Any] | None:
    """What ``coverage_warning`` says, in parts, so that each language writes its own sentence:
    {"last": D or None (no data at all), "sources": [(source, through)], "gap": days,
    "as_of": D}; None when the data reaches ``as_of``."""
    rows = [c for c in coverage if c.table == table and c.through]
    if not rows:
        return {"last": None, "sources": [], "gap": None, "as_of": as_of}
    last = max(c.through for c in rows if c.through)
    gap = (as_of - last).days
    if gap <= tolerance_days:
        return None
    return {"last": last, "sources": [(c.source, c.through) for c in rows], "gap": gap,
            "as_of": as_of}


def coverage_warning(coverage: list[SourceCoverage], as_of: date, table: str = "events",
                     tolerance_days: int = STALE_AFTER_DAYS) -> str | None:
    """A sentence for any output judged on ``as_of`` when the table's data stops more than
    ``tolerance_days`` before it; None when the data reaches that far. For the events, a
    ``Said``: English as a str, told in any language by the CLI (``gap_said``)."""
    gap = coverage_gap(coverage, as_of, table, tolerance_days)
    if gap is None:
        return None
    if table == "events":
        return gap_said(gap)
    if gap["last"] is None:
        return f"no {table.replace('_', ' ')} data at all: nothing here is evidence of calm"
    last = gap["last"]
    sources = ", ".join(f"{source} through {through}" for source, through in gap["sources"])
    return (f"{table.replace('_', ' ')} data ends {last} ({sources}), {gap['gap']} days before "
            f"{as_of}: the absence of records after {last} is not evidence of calm")


def gap_said(gap: dict[str, Any]) -> Said:
    """A gap in the event data (``coverage_gap``'s parts) as a sentence in the catalogue."""
    if gap["last"] is None:
        return Said("coverage.no_events")
    sources = Listed(Said("coverage.source_through", source=source, through=through)
                     for source, through in gap["sources"])
    return Said("coverage.events_end", last=gap["last"], sources=sources, gap=gap["gap"],
                as_of=gap["as_of"])


def judged_day(as_of: date, coverage: list[SourceCoverage], table: str = "events",
               tolerance_days: int = STALE_AFTER_DAYS) -> date:
    """The day features may be computed for when ``as_of`` is asked: ``as_of`` itself, or the
    table's last day when ``as_of`` lies more than ``tolerance_days`` beyond it. Counting the
    days after the data ends as days without violence would read a gap as calm; a forecast
    judged from the last day the data speaks of, and saying so, does not."""
    last = data_through(coverage, table)
    if last is None or (as_of - last).days <= tolerance_days:
        return as_of
    return last


def speaks_of(coverage: list[SourceCoverage], table: str, day: date,
              tolerance_days: int = STALE_AFTER_DAYS) -> bool:
    """Whether some source of ``table`` spans ``day``: from its first day to ``tolerance_days``
    after its last. A year of fire detections from 2025 says nothing of a day in 2024."""
    return any(c.first is not None and c.through is not None and c.first <= day
               and (day - c.through).days <= tolerance_days
               for c in coverage if c.table == table)


def coverage_json(coverage: list[SourceCoverage], as_of: date | None, table: str = "events"
                  ) -> dict[str, Any]:
    """What a --json output carries: the data's end per source and the warning, if any."""
    through = data_through(coverage, table)
    return {"data_through": through.isoformat() if through else None,
            "sources": [c.to_json() for c in coverage if c.table == table],
            "warning": coverage_warning(coverage, as_of, table) if as_of else None}


@dataclass(frozen=True)
class SourceFreshness:
    """One sync source: how far its data reaches, when it was last pulled, how far behind it is."""

    source: str
    lake_sources: tuple[str, ...]
    through: date | None        # the last day its rows reach (events, detections, ...)
    last_sync: str | None        # when a pull last ran to the end (UTC, ISO)
    last_batch_at: str | None    # when its bookmark last moved with a batch
    lag_days: int | None         # today - through

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "lake_sources": list(self.lake_sources),
                "through": self.through.isoformat() if self.through else None,
                "last_sync": self.last_sync, "last_batch_at": self.last_batch_at,
                "lag_days": self.lag_days}


def source_freshness(lake: Lake, coverage: list[SourceCoverage] | None = None,
                     today: date | None = None) -> list[SourceFreshness]:
    """Per sync source (configured or ever synced), with the lake sources its rows carry."""
    from tocsin.sync.base import all_connectors

    coverage = coverage if coverage is not None else lake_coverage(lake)
    bookmarks = lake.bookmarks()
    today = today or datetime.now(UTC).date()
    found = []
    for name, connector in all_connectors().items():
        mine = tuple(connector.lake_sources or (name,))
        days = [c.through for c in coverage if c.source in mine and c.through]
        through = max(days) if days else None
        mark = bookmarks.get(name, {})
        found.append(SourceFreshness(name, mine, through, mark.get("synced_at"), mark.get("moved_at"),
                                     (today - through).days if through else None))
    return found


def _day(value: object) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) and not hasattr(value, "hour") else \
        value.date() if hasattr(value, "date") else None  # type: ignore[union-attr]
