"""Humanitarian figures: IOM DTM displacement (HDX HAPI) and WFP market prices (WFP's HDX file,
and the same prices as HDX HAPI v2 serves them)."""

from __future__ import annotations

from tocsin.i18n import Said
from tocsin.sources.base import Adapter, Check, Plan, col
from tocsin.sources.raw import RawInput
from tocsin.sources.sql import (
    count_check,
    count_ok,
    date,
    date_check,
    integer,
    joined_id,
    latitude_check,
    longitude_check,
    num,
)

DTM_LICENSE = "CC BY-IGO - IOM Displacement Tracking Matrix via HDX HAPI"
WFP_LICENSE = "CC BY-IGO - WFP VAM via HDX"
DTM_COLUMNS = ["location_code", "admin1_code", "admin1_name", "admin2_code", "admin2_name",
               "admin_level", "operation", "assessment_type", "population", "reporting_round",
               "reference_period_start", "reference_period_end"]
# HDX HAPI v2 food-prices-market-monitor records (WFP VAM's prices): the fields Tocsin reads.
HAPI_PRICE_COLUMNS = ["market_code", "market_name", "commodity_code", "commodity_name", "unit",
                      "currency_code", "price", "price_type", "reference_period_start",
                      "reference_period_end", "lat", "lon", "admin1_code", "admin1_name",
                      "admin2_code", "admin2_name"]
WFP_COLUMNS = ["date", "admin1", "admin2", "market", "market_id", "latitude", "longitude",
               "category", "commodity", "commodity_id", "unit", "priceflag", "pricetype",
               "currency", "price", "usdprice"]


class DtmAdapter(Adapter):
    kind = "dtm"
    about = "IOM DTM IDP figures from HDX HAPI (CSV, admin levels 0-2, by reporting round)"
    signature = ("reporting_round", "assessment_type")
    what = "HDX HAPI IDP"

    def required(self, raw: RawInput) -> list[str]:
        return DTM_COLUMNS

    def plan(self, raw: RawInput) -> Plan:
        start, end = date("reference_period_start"), date("reference_period_end")
        columns = {
            "admin_level": f"TRY_CAST({col('admin_level')} AS SMALLINT)",
            "location_code": col("location_code"),
            "admin1_pcode": col("admin1_code"),
            "admin1_name": col("admin1_name"),
            "admin2_pcode": col("admin2_code"),
            "admin2_name": col("admin2_name"),
            "idps": integer("population"),
            "reporting_round": f"TRY_CAST({col('reporting_round')} AS INTEGER)",
            "operation": col("operation"),
            "assessment_type": col("assessment_type"),
            "period_start": start,
            "period_end": f"coalesce({end}, {start})",
        }
        source_id = joined_id(["location_code", "admin_level", "admin1_code", "admin2_code",
                               "operation", "assessment_type", "reporting_round",
                               "reference_period_start"])
        checks = [
            Check("admin_level", f"{col('admin_level')} IN ('0', '1', '2')", Said("check.admin_level")),
            Check("admin1_code", f"{col('admin_level')} = '0' OR {col('admin1_code')} IS NOT NULL",
                  Said("check.admin1_pcode_for_levels")),
            Check("admin2_code", f"{col('admin_level')} <> '2' OR {col('admin2_code')} IS NOT NULL",
                  Said("check.admin2_pcode_for_level")),
            Check("population", count_ok("population"), Said("check.displaced")),
            date_check("reference_period_start", start, "YYYY-MM-DD"),
        ]
        return Plan("displacement", "iom-dtm", DTM_LICENSE, columns, source_id, checks)


def price_checks(commodity: str, lat: str, lon: str) -> list[Check]:
    """What every market price must hold, whichever layout brings it: a commodity, a point
    (when given) on the globe, a price of 0 or more (WFP's file and HDX HAPI alike)."""
    return [
        Check(commodity, f"{col(commodity)} IS NOT NULL", Said("check.commodity")),
        Check(lat, f"{col(lat)} IS NULL OR {num(lat)} BETWEEN -90 AND 90", latitude_check(lat).expected),
        Check(lon, f"{col(lon)} IS NULL OR {num(lon)} BETWEEN -180 AND 180",
              longitude_check(lon).expected),
        Check("price", f"{num('price')} >= 0", Said("check.price")),
    ]


class WfpPricesAdapter(Adapter):
    kind = "wfp-prices"
    about = "WFP VAM market prices CSV as published on HDX"
    signature = ("market_id", "commodity_id", "pricetype")
    what = "WFP food prices"

    def required(self, raw: RawInput) -> list[str]:
        return WFP_COLUMNS

    def plan(self, raw: RawInput) -> Plan:
        day = date("date")
        columns = {
            "date": day,
            "admin1_name": col("admin1"),
            "admin2_name": col("admin2"),
            "market": col("market"),
            "market_id": col("market_id"),
            "latitude": num("latitude"),
            "longitude": num("longitude"),
            "category": col("category"),
            "commodity": col("commodity"),
            "commodity_id": col("commodity_id"),
            "unit": col("unit"),
            "price_flag": col("priceflag"),
            "price_type": col("pricetype"),
            "currency": col("currency"),
            "price": num("price"),
            "usd_price": num("usdprice"),
        }
        source_id = joined_id(["date", "market_id", "commodity_id", "unit", "pricetype",
                               "currency", "priceflag"])
        checks = [
            date_check("date", day, "YYYY-MM-DD"),
            Check("market_id", f"{col('market_id')} IS NOT NULL", Said("check.wfp_market_id")),
            *price_checks("commodity", "latitude", "longitude"),
            count_check("usdprice", Said("check.usd_price")),
        ]
        return Plan("prices", "wfp", WFP_LICENSE, columns, source_id, checks)


class HapiPricesAdapter(Adapter):
    """WFP's market prices as HDX HAPI v2 serves them (``food-prices-market-monitor``): written
    to the same ``prices`` table, with the same checks, as WFP's own HDX file (``wfp-prices``).
    A HAPI record's price is for its reference period; its start is the price's date."""

    kind = "hapi-prices"
    about = "WFP market prices from HDX HAPI v2 (food-prices-market-monitor records)"
    signature = ("market_code", "commodity_code", "reference_period_start")
    what = "HDX HAPI food prices"

    def required(self, raw: RawInput) -> list[str]:
        return HAPI_PRICE_COLUMNS

    def plan(self, raw: RawInput) -> Plan:
        formats = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")
        start, end = date("reference_period_start", *formats), date("reference_period_end", *formats)
        optional = {name: col(name) if name in raw.columns else "NULL"
                    for name in ("commodity_category", "price_flag")}
        columns = {
            "date": start,
            "admin1_name": col("admin1_name"),
            "admin2_name": col("admin2_name"),
            "market": col("market_name"),
            "market_id": col("market_code"),
            "latitude": num("lat"),
            "longitude": num("lon"),
            "category": optional["commodity_category"],
            "commodity": col("commodity_name"),
            "commodity_id": col("commodity_code"),
            "unit": col("unit"),
            "price_flag": optional["price_flag"],
            "price_type": col("price_type"),
            "currency": col("currency_code"),
            "price": num("price"),
            "usd_price": "NULL",
        }
        identity = ["reference_period_start", "market_code", "commodity_code", "unit", "price_type",
                    "currency_code"] + (["price_flag"] if "price_flag" in raw.columns else [])
        checks = [
            date_check("reference_period_start", start, "YYYY-MM-DD"),
            Check("reference_period_end", f"{col('reference_period_end')} IS NULL OR {end} >= {start}",
                  Said("check.date_after", shown="YYYY-MM-DD", start="reference_period_start")),
            Check("market_name", f"{col('market_name')} IS NOT NULL", Said("check.market_name")),
            *price_checks("commodity_name", "lat", "lon"),
        ]
        return Plan("prices", "wfp", WFP_LICENSE + " (HDX HAPI v2)", columns,
                    "'hapi:' || " + joined_id(identity), checks)
