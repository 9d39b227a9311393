"""What forecasts are made from, and reading it from a workspace.

``ForecastInputs`` holds plain Arrow tables; everything downstream is pure. ``read_inputs`` is the
only function here that does I/O: it is what the commands call.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from tocsin.lake import Lake
from tocsin.workspace import Workspace, WorkspaceError

PLACE_COLUMNS = ("place_id, name, name_ar, place_class, latitude, longitude, radius_km, population, "
                 "households, admin1_pcode, admin2_pcode, hiu_status")
EVENT_COLUMNS = ("e.event_uid, e.date_start, e.date_end, e.published_at, e.category, "
                 "e.civilian_targeting, e.fatalities, e.civilian_deaths, e.latitude, e.longitude, "
                 "e.location_precision, e.source, e.source_category, e.actor1, e.actor2, "
                 "l.place_id AS linked_place_id, l.admin1_pcode, l.admin2_pcode")


@dataclass(frozen=True)
class ForecastInputs:
    """Tables a forecast may use. ``burnings`` and ``stages`` are optional: the burnings
    detector and the siege board plug in here when they have run."""

    places: pa.Table            # gazetteer columns PLACE_COLUMNS
    events: pa.Table            # events joined to event_links (EVENT_COLUMNS)
    displacement: pa.Table      # admin2 rows: admin2_pcode, idps, period_end
    prices: pa.Table            # market, latitude, longitude, commodity, price_type, unit, date, price
    aggregates: pa.Table        # event_aggregates: admin2_pcode, month_start, events, fatalities
    burnings: pa.Table | None = None   # place_id, latitude, longitude, first_detection, confidence
    stages: pa.Table | None = None     # place_id, date, stage_rank


def read_inputs(workspace: Workspace, stages: pa.Table | None = None, siege: bool = False
                ) -> ForecastInputs:
    """Read what the lake holds. Fails with a clear message when there is nothing to forecast.
    With ``siege``, the siege tracker's stages feed the siege features (unless ``stages`` are
    given). Off by default: on the Sudan backtest they lowered average precision (model card)."""
    workspace.require()
    lake = Lake(workspace.lake_dir)
    manifest = lake.manifest()
    if "gazetteer" not in manifest["derived"] or "event_links" not in manifest["derived"]:
        raise WorkspaceError("the workspace has no gazetteer or event links yet: ingest places "
                             "(osm-places, geonames, ...) and events (ucdp-ged, acled) first")
    con = lake.connect()
    try:
        places = con.sql(f"SELECT {PLACE_COLUMNS} FROM gazetteer ORDER BY place_id").to_arrow_table()
        events = con.sql(f"SELECT {EVENT_COLUMNS} FROM events e LEFT JOIN event_links l "
                         "USING (event_uid) ORDER BY e.event_uid").to_arrow_table()
        if events.num_rows == 0:
            raise WorkspaceError("the workspace holds no conflict events: ingest ucdp-ged or acled first")
        displacement = con.sql(
            "SELECT admin2_pcode, CAST(idps AS DOUBLE) AS idps, period_end FROM displacement "
            "WHERE admin_level = 2 AND admin2_pcode IS NOT NULL AND idps IS NOT NULL "
            "AND period_end IS NOT NULL").to_arrow_table()
        prices = con.sql(
            "SELECT coalesce(market_id, market) AS market, market AS market_name, latitude, longitude, "
            "commodity, price_type, unit, date, price FROM prices WHERE price > 0 AND latitude IS NOT NULL "
            "AND date IS NOT NULL AND coalesce(price_flag, 'actual') <> 'forecast'").to_arrow_table()
        aggregates = con.sql(
            "SELECT admin2_pcode, month_start, events, fatalities FROM event_aggregates "
            "WHERE admin2_pcode IS NOT NULL").to_arrow_table()
        burnings = None
        if "burnings" in manifest["derived"]:
            burnings = con.sql("SELECT place_id, latitude, longitude, first_detection, confidence "
                               "FROM burnings").to_arrow_table()
    finally:
        con.close()
    if stages is None and siege:
        # Imported here: the siege tracker is only needed when its stages are wanted.
        from tocsin.siege_watch import stage_history

        stages = stage_history(workspace)
    return ForecastInputs(places, events, displacement, prices, aggregates, burnings, stages)
