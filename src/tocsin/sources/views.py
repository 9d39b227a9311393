"""ViEWS fatality forecasts (country-month and PRIO-GRID-month), a peer system's output."""

from __future__ import annotations

from tocsin.i18n import Said
from tocsin.sources.base import Adapter, Check, Plan, col
from tocsin.sources.raw import RawInput
from tocsin.sources.sql import json_object, lit, num

LICENSE = "CC BY 4.0 - ViEWS (Uppsala University / PRIO)"
# PRIO-GRID cells whose centre lies in Sudan's bounding box (with half a cell to spare): a cell
# outside it is not a Sudan cell, whatever the file says (analysis/units.py numbers the grid).
SUDAN_BOX = (8.0, 23.5, 21.5, 39.0)      # lat min, lat max, lon min, lon max


def pg_centre_sql(pg: str) -> tuple[str, str]:
    """Latitude and longitude of a PRIO-GRID cell's centre (cell 1 at -89.75, -179.75; 720 a row)."""
    return (f"(floor(({pg} - 1) / 720) * 0.5 - 89.75)", f"((({pg} - 1) % 720) * 0.5 - 179.75)")


class ViewsAdapter(Adapter):
    kind = "views"
    about = "ViEWS forecasts CSV as published on HDX (country-month or PRIO-GRID-month)"
    signature = ("month_id", "main_mean")
    what = "ViEWS"

    def required(self, raw: RawInput) -> list[str]:
        unit = "pg_id" if "pg_id" in raw.columns else "country_id"
        return [unit, "month_id", "main_mean", "main_dich"]

    def plan(self, raw: RawInput) -> Plan:
        grid = "pg_id" in raw.columns
        unit = "pg_id" if grid else "country_id"
        month_id = f"TRY_CAST({col('month_id')} AS INTEGER)"
        level = "priogrid-month" if grid else "country-month"
        extra = [c for c in raw.columns if c not in (unit, "month_id", "main_mean", "main_dich")]
        columns = {
            "system": "'views'",
            "level": lit(level),
            "unit_id": col(unit),
            # ViEWS counts months from January 1980 = 1.
            "month_start": f"CAST(DATE '1980-01-01' + to_months({month_id} - 1) AS DATE)",
            "month_id": month_id,
            "predicted_fatalities": num("main_mean"),
            "probability": num("main_dich"),
            "attributes": json_object(extra, raw.columns),
        }
        checks = [
            Check(unit, f"{col(unit)} IS NOT NULL", Said("check.views_unit", unit=unit)),
            Check("month_id", f"{month_id} BETWEEN 1 AND 2000", Said("check.views_month")),
            Check("main_mean", f"{num('main_mean')} >= 0", Said("check.predicted_fatalities")),
            Check("main_dich", f"{num('main_dich')} BETWEEN 0 AND 1", Said("check.probability")),
        ]
        if grid:
            pg = f"TRY_CAST({col('pg_id')} AS BIGINT)"
            lat, lon = pg_centre_sql(pg)
            south, north, west, east = SUDAN_BOX
            checks.append(Check("pg_id", f"{pg} BETWEEN 1 AND 259200 AND {lat} BETWEEN {south} AND "
                                         f"{north} AND {lon} BETWEEN {west} AND {east}",
                                Said("check.priogrid_cell")))
        if "isoab" in raw.columns:
            checks.append(Check("isoab", f"{col('isoab')} = 'SDN'", Said("check.isoab_sudan")))
        source_id = f"concat_ws(':', {lit(level)}, {col(unit)}, {col('month_id')})"
        return Plan("external_forecasts", "views", LICENSE, columns, source_id, checks)
