"""ACLED: the event export CSV, and the admin2 x month aggregates ACLED publishes on HDX.

ACLED's terms forbid redistributing its data, so no ACLED file ships with Tocsin; the tests
write small files in ACLED's published column layout.
"""

from __future__ import annotations

from tocsin.i18n import Said
from tocsin.schema.taxonomy import load_taxonomy
from tocsin.sources.base import Adapter, Check, Plan, col
from tocsin.sources.raw import RawInput
from tocsin.sources.sql import (
    count_ok,
    date,
    date_check,
    integer,
    latitude_check,
    lit,
    longitude_check,
    mapped,
    num,
)

LICENSE = "ACLED terms of use (acleddata.com); not for redistribution"
EVENT_COLUMNS = ["event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type",
                 "actor1", "actor2", "country", "admin1", "admin2", "location", "latitude",
                 "longitude", "geo_precision", "notes", "fatalities"]
AGGREGATE_COLUMNS = ["Country", "Admin1", "Admin2", "ISO3", "Admin2 Pcode", "Admin1 Pcode",
                     "Month", "Year", "Events", "Fatalities"]
DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d/%m/%Y")
TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
# geo_precision 3 means the source named only a region and ACLED placed the event at its
# capital or centroid: treated as the first-order area, never as the town at that point.
GEO_PRECISION = {"1": "exact", "2": "near", "3": "admin1"}
# ACLED's numeric iso is ISO 3166 numeric: Sudan and its neighbours.
ISO_NUMERIC = {"729": "SDN", "728": "SSD", "148": "TCD", "140": "CAF", "231": "ETH", "232": "ERI",
               "818": "EGY", "434": "LBY"}
# On HDX, ACLED publishes one aggregate file per kind of event; its name says which.
AGGREGATE_CATEGORY = {"civilian_targeting": "attack_on_civilians", "demonstration": "protest"}


class AcledAdapter(Adapter):
    kind = "acled"
    about = "ACLED event export CSV (event_id_cnty, event_date, event_type, ...)"
    signature = ("event_id_cnty", "sub_event_type")
    what = "ACLED event export"

    def required(self, raw: RawInput) -> list[str]:
        return EVENT_COLUMNS

    def plan(self, raw: RawInput) -> Plan:
        day = date("event_date", *DATE_FORMATS)
        has = raw.columns.__contains__
        columns = {
            "event_uid": f"'acled:' || {col('event_id_cnty')}",
            "date_start": day,
            "date_end": day,
            "date_precision": f"coalesce({mapped('time_precision', TIME_PRECISION)}, 'day')",
            "published_at": (f"to_timestamp(TRY_CAST({col('timestamp')} AS BIGINT))"
                             if has("timestamp") else "NULL"),
            "category": load_taxonomy().sql_case("acled", col("event_type"),
                                                 col("sub_event_type"), col("notes")),
            "source_category": col("event_type"),
            "source_subcategory": col("sub_event_type"),
            "civilian_targeting": (f"{col('civilian_targeting')} IS NOT NULL"
                                   if has("civilian_targeting") else
                                   f"{col('event_type')} = 'Violence against civilians'"),
            "actor1": col("actor1"),
            "actor2": col("actor2"),
            "fatalities": integer("fatalities"),
            "latitude": num("latitude"),
            "longitude": num("longitude"),
            "location_precision": f"coalesce({mapped('geo_precision', GEO_PRECISION)}, 'unknown')",
            "source_precision": f"TRY_CAST({col('geo_precision')} AS INTEGER)",
            "location_name": col("location"),
            "admin1_name": col("admin1"),
            "admin2_name": col("admin2"),
            "country_iso3": mapped("iso", ISO_NUMERIC) if has("iso") else "NULL",
            "notes": col("notes"),
        }
        checks = [
            Check("event_id_cnty", f"{col('event_id_cnty')} IS NOT NULL", Said("check.acled_event_id")),
            date_check("event_date", day, Said("check.shown_acled_day")),
            Check("event_type", f"{col('event_type')} IS NOT NULL", Said("check.acled_event_type")),
            latitude_check("latitude"),
            longitude_check("longitude"),
            Check("geo_precision", f"{col('geo_precision')} IN ('1', '2', '3')",
                  Said("check.acled_geo_precision")),
            Check("fatalities", count_ok("fatalities"), Said("check.fatalities")),
        ]
        return Plan("events", "acled", LICENSE, columns, col("event_id_cnty"), checks)


class AcledHdxAdapter(Adapter):
    kind = "acled-hdx"
    about = "ACLED admin2 x month aggregates as published on HDX (CSV)"
    signature = ("Admin2 Pcode", "Events", "Fatalities")
    what = "ACLED HDX aggregate"

    def required(self, raw: RawInput) -> list[str]:
        return AGGREGATE_COLUMNS

    def plan(self, raw: RawInput) -> Plan:
        month = (f"CAST(coalesce(try_strptime({col('Month')} || ' ' || {col('Year')}, '%B %Y'), "
                 f"try_strptime({col('Month')} || ' ' || {col('Year')}, '%m %Y')) AS DATE)")
        name = raw.file.name.lower()
        category = next((c for key, c in AGGREGATE_CATEGORY.items() if key in name), None)
        columns = {
            "country_iso3": col("ISO3"),
            "admin1_name": col("Admin1"),
            "admin1_pcode": col("Admin1 Pcode"),
            "admin2_name": col("Admin2"),
            "admin2_pcode": col("Admin2 Pcode"),
            "month_start": month,
            "events": integer("Events"),
            "fatalities": integer("Fatalities"),
            "category": lit(category) if category else "NULL",
        }
        source_id = (f"concat_ws(':', {lit(category or 'all')}, {col('Admin2 Pcode')}, "
                     f"strftime({month}, '%Y-%m'))")
        checks = [
            Check("Admin2 Pcode", f"{col('Admin2 Pcode')} IS NOT NULL", Said("check.admin2_pcode")),
            date_check("Month", month, Said("check.shown_month_year")),
            Check("Events", count_ok("Events"), Said("check.events")),
            Check("Fatalities", count_ok("Fatalities"), Said("check.fatalities")),
        ]
        return Plan("event_aggregates", "acled-hdx", LICENSE, columns, source_id, checks)
