"""UCDP Georeferenced Event Dataset (GED): the HDX layout and the UCDP API layout; the same
layouts for UCDP Candidate events (monthly, provisional), kept as their own source."""

from __future__ import annotations

from tocsin.i18n import Said
from tocsin.schema.actors import canonical_sql
from tocsin.schema.taxonomy import load_taxonomy
from tocsin.sources.base import Adapter, Check, Plan, col
from tocsin.sources.raw import RawInput
from tocsin.sources.sql import (
    count_check,
    count_ok,
    date,
    date_check,
    integer,
    latitude_check,
    longitude_check,
    mapped,
    num,
)

LICENSE = "CC BY 4.0 - Uppsala Conflict Data Program (UCDP GED)"
BASE = ["id", "type_of_violence", "side_a", "side_b", "where_prec", "where_coordinates",
        "adm_1", "adm_2", "latitude", "longitude", "country", "date_prec", "date_start",
        "date_end", "deaths_civilians"]
# The two layouts name the estimates differently and write dates differently.
LAYOUTS = {
    "api": {"best": "best_est", "low": "low_est", "high": "high_est",
            "date": ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y"), "shown": "MM/DD/YYYY hh:mm:ss"},
    # The API's JSON (written out by sync) names them as HDX does, with ISO dates.
    "hdx": {"best": "best", "low": "low", "high": "high",
            "date": ("%Y-%m-%d %H:%M:%S.%g", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d",
                     "%Y-%m-%dT%H:%M:%S.%g", "%Y-%m-%dT%H:%M:%S"),
            "shown": "YYYY-MM-DD hh:mm:ss"},
}
VIOLENCE = {"1": "state-based", "2": "non-state", "3": "one-sided"}
# where_prec: 1 exact, 2 within ~25 km, 3 admin2, 4 admin1, 5 part of the country, 6 country,
# 7 international waters or airspace.
PRECISION = {"1": "exact", "2": "near", "3": "admin2", "4": "admin1", "5": "region",
             "6": "country", "7": "unknown"}
# The API layout gives only the Gleditsch-Ward country code: Sudan and its neighbours.
GW_ISO3 = {"625": "SDN", "626": "SSD", "483": "TCD", "482": "CAF", "530": "ETH", "531": "ERI",
           "651": "EGY", "620": "LBY", "500": "UGA", "490": "COD", "501": "KEN"}
DATE_PRECISION = {"1": "day", "2": "days", "3": "week", "4": "month", "5": "year"}


def _side_id(raw: RawInput, side: str) -> str | None:
    """The side's id column (``side_a_new_id``; GED's HDX layout and API both publish it)."""
    name = f"{side}_new_id"
    return col(name) if name in raw.columns else None


class UcdpGedAdapter(Adapter):
    kind = "ucdp-ged"
    about = "UCDP GED events CSV (HDX layout or UCDP API layout)"
    signature = ("type_of_violence", "where_prec", "date_prec")
    what = "UCDP GED"
    license = LICENSE

    def required(self, raw: RawInput) -> list[str]:
        layout = LAYOUTS["api" if "best_est" in raw.columns else "hdx"]
        return [*BASE, layout["best"], layout["low"], layout["high"]]

    def plan(self, raw: RawInput) -> Plan:
        layout = LAYOUTS["api" if "best_est" in raw.columns else "hdx"]
        start, end = date("date_start", *layout["date"]), date("date_end", *layout["date"])
        source_category = mapped("type_of_violence", VIOLENCE)
        taxonomy = load_taxonomy()
        columns = {
            "event_uid": f"'{self.kind}:' || {col('id')}",
            "date_start": start,
            "date_end": f"coalesce({end}, {start})",
            "date_precision": mapped("date_prec", DATE_PRECISION),
            "category": taxonomy.sql_case("ucdp-ged", source_category),
            "source_category": source_category,
            "civilian_targeting": f"{col('type_of_violence')} = '3'",
            # One actor whatever UCDP's side (RSF 8635 and SFA 9645: schema/actors.yaml).
            "actor1": canonical_sql(col("side_a"), _side_id(raw, "side_a")),
            "actor2": canonical_sql(col("side_b"), _side_id(raw, "side_b")),
            "fatalities": integer(layout["best"]),
            "fatalities_low": integer(layout["low"]),
            "fatalities_high": integer(layout["high"]),
            "civilian_deaths": integer("deaths_civilians"),
            "latitude": num("latitude"),
            "longitude": num("longitude"),
            "location_precision": f"coalesce({mapped('where_prec', PRECISION)}, 'unknown')",
            "source_precision": f"TRY_CAST({col('where_prec')} AS INTEGER)",
            "location_name": col("where_coordinates"),
            "admin1_name": col("adm_1"),
            "admin2_name": col("adm_2"),
            "country_iso3": col("iso3") if "iso3" in raw.columns else mapped("country_id", GW_ISO3),
            "notes": col("source_headline") if "source_headline" in raw.columns else "NULL",
        }
        checks = [
            Check("id", f"TRY_CAST({col('id')} AS BIGINT) IS NOT NULL", Said("check.ucdp_id")),
            date_check("date_start", start, layout["shown"]),
            Check("date_end", f"{col('date_end')} IS NULL OR {end} >= {start}",
                  Said("check.date_after", shown=layout["shown"], start="date_start")),
            Check("type_of_violence", f"{col('type_of_violence')} IN ('1', '2', '3')",
                  Said("check.type_of_violence")),
            Check("where_prec", f"{col('where_prec')} IN ('1','2','3','4','5','6','7')",
                  Said("check.where_prec")),
            latitude_check("latitude"),
            longitude_check("longitude"),
            Check(layout["best"], count_ok(layout["best"]), Said("check.deaths")),
            count_check(layout["low"], Said("check.deaths_low")),
            count_check(layout["high"], Said("check.deaths_high")),
            count_check("deaths_civilians", Said("check.deaths_civilians")),
        ]
        return Plan("events", self.kind, self.license, columns, col("id"), checks)


class UcdpCandidateAdapter(UcdpGedAdapter):
    """UCDP Candidate events: GED's layout, released monthly, replaced by each newer release
    and by the yearly GED release that covers their months (see tocsin.sync.connectors.ucdp)."""

    kind = "ucdp-candidate"
    about = "UCDP Candidate events (monthly, provisional; GED layout)"
    what = "UCDP Candidate"
    license = "CC BY 4.0 - Uppsala Conflict Data Program (UCDP Candidate Events Dataset)"
