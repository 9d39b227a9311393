"""IODA (Internet Outage Detection and Analysis, Georgia Tech) connectivity signals.

Two layouts, both as IODA publishes them:

- the signals API's JSON (``/v2/signals/raw/region/{code}``): ``{"data": [[{"entityType",
  "entityCode", "entityName", "datasource", "from", "until", "step", "values": [...]}]]}``,
  one series per entity and datasource, value i measured at ``from + i * step`` (epoch seconds);
- a flat CSV with one value per row: entityType, entityCode, entityName, datasource, time
  (epoch seconds or ISO 8601, UTC), value (optionally step).

Datasources: ``bgp`` (routed prefixes seen by BGP), ``ping-slash24`` (active probing: /24
blocks answering), ``merit-nt`` (unsolicited traffic reaching a network telescope), ``gtr``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tocsin.errors import input_error
from tocsin.i18n import Said
from tocsin.sources.base import Adapter, Check, Plan, col
from tocsin.sources.raw import CsvInput, RawInput, RowsInput
from tocsin.sources.sql import lit, num

LICENSE = "IODA, Georgia Institute of Technology (terms of use: ioda.inetintel.cc.gatech.edu)"
COLUMNS = ["entityType", "entityCode", "entityName", "datasource", "time", "value"]
ENTITY_TYPES = ("country", "region", "asn")
EARLIEST = "2000-01-01"  # IODA's signals start in the 2010s; earlier times are typos


def _time_sql() -> str:
    raw = col("time")
    return (f"CASE WHEN regexp_full_match({raw}, '[0-9]{{9,11}}') "
            f"THEN to_timestamp(CAST({raw} AS BIGINT)) "
            f"ELSE TRY_CAST({raw} AS TIMESTAMP WITH TIME ZONE) END")


class IodaAdapter(Adapter):
    kind = "ioda"
    about = "IODA internet connectivity signals (signals API JSON, or CSV: one value per row)"
    signature = ("entityType", "entityCode", "datasource")
    what = "IODA signals"

    def read(self, path: Path) -> RawInput:
        if path.suffix.lower() != ".json":
            return CsvInput.open(path)
        return read_signals_json(path)

    def required(self, raw: RawInput) -> list[str]:
        return COLUMNS

    def plan(self, raw: RawInput) -> Plan:
        time = _time_sql()
        step = "step" if "step" in raw.columns else None
        columns = {
            "entity_type": f"lower({col('entityType')})",
            "entity_code": col("entityCode"),
            "entity_name": col("entityName"),
            "datasource": f"lower({col('datasource')})",
            "time": time,
            "step_seconds": f"TRY_CAST({col(step)} AS INTEGER)" if step else "NULL",
            "value": num("value"),
        }
        checks = [
            Check("entityType", f"lower({col('entityType')}) IN ({', '.join(map(lit, ENTITY_TYPES))})",
                  Said("check.ioda_entity_type")),
            Check("entityCode", f"{col('entityCode')} IS NOT NULL", Said("check.ioda_entity_code")),
            Check("datasource", f"{col('datasource')} IS NOT NULL",
                  Said("check.ioda_datasource")),
            Check("time", f"{time} BETWEEN TIMESTAMPTZ '{EARLIEST}' AND now() + INTERVAL 1 DAY",
                  Said("check.ioda_time", earliest=EARLIEST)),
            Check("value", f"{col('value')} IS NULL OR {num('value')} >= 0",
                  Said("check.ioda_value")),
        ]
        return Plan("connectivity", "ioda", LICENSE, columns, None, checks, window="time")


def read_signals_json(path: Path) -> RowsInput:
    """The signals API's nested series, one record per value. Records are numbered by series
    and value ("series 2 value 17" is record ...) so that errors can point into the file."""
    name = path.name
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise input_error(name, Said("check.json_utf8")) from exc
    except json.JSONDecodeError as exc:
        raise input_error(name, Said("check.valid_json", error=exc.msg), line=exc.lineno) from exc
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, list):
        raise input_error(name, Said("check.ioda_document"),
                          column="data")
    series = [s for group in data for s in (group if isinstance(group, list) else [group])]
    records: list[dict[str, str | None]] = []
    for number, item in enumerate(series, start=1):
        if not isinstance(item, dict):
            raise input_error(name, Said("check.ioda_series"), line=number, column="data",
                              unit="series")
        for key in ("from", "step", "values"):
            if key not in item:
                raise input_error(name, Said("check.ioda_series_with", key=key), line=number, column=key,
                                  unit="series")
        try:
            start, step = int(item["from"]), int(item["step"])
        except (TypeError, ValueError) as exc:
            raise input_error(name, Said("check.ioda_whole_seconds"), line=number,
                              column="from", found=str(item.get("from")), unit="series") from exc
        if step <= 0 or not isinstance(item["values"], list):
            raise input_error(name, Said("check.ioda_step_values"), line=number,
                              column="step", found=str(item["step"]), unit="series")
        for i, value in enumerate(item["values"]):
            records.append({
                "entityType": _text(item.get("entityType")), "entityCode": _text(item.get("entityCode")),
                "entityName": _text(item.get("entityName")), "datasource": _text(item.get("datasource")),
                "time": str(start + i * step), "step": str(step), "value": _text(value),
            })
    return RowsInput(path, [*COLUMNS, "step"], records, unit="value")


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value)
