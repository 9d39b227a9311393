"""What forecasts are made from: ``ForecastInputs`` holds plain Arrow tables; everything
downstream is pure. Reading them from a workspace is the forecasts job's
(``tocsin.jobs.steps.forecasts.read_inputs``)."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

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
    # Falls and assaults the siege tracker saw (analysis.siege.takeovers): place_id, date,
    # kind ("fell" or "assault"), actor (who took it, where known).
    takeovers: pa.Table | None = None
