"""ACLED CAST (Conflict Alert System): expected political-violence events per admin1 and month.

CAST publishes, for each country's first-order areas, the number of events it expects in each
of the next months, by type: battles, explosions/remote violence (ERV) and violence against
civilians (VAC). The API (``/cast/read``) and the dashboard's CSV export share one layout:
country, admin1, month (a month name), year, total_forecast, battles_forecast, erv_forecast,
vac_forecast, the *_observed counts once the month has passed, and timestamp (when CAST last
wrote the row: its publication, for as-of discipline). The API wraps the rows as
``{"data": [...]}``; both are read here.

Rows go to ``external_forecasts`` (level ``admin1-month``, unit_id the COD-AB state P-code) with
the published counts in ``attributes``. Tocsin is a Sudan system: a row for another country, or
for a state name it does not know, is refused with its line. ACLED's terms forbid redistributing
CAST output, so the tests write small files in its layout.
"""

from __future__ import annotations

import json
from pathlib import Path

from tocsin.errors import input_error
from tocsin.i18n import Said
from tocsin.sources.base import Adapter, Check, Plan, col
from tocsin.sources.raw import CsvInput, RawInput, RowsInput
from tocsin.sources.sql import count_check, json_object, lit, mapped

LICENSE = "ACLED terms of use (acleddata.com); not for redistribution"
REQUIRED = ["country", "admin1", "month", "year", "total_forecast"]
COUNTS = ["total_forecast", "battles_forecast", "erv_forecast", "vac_forecast"]
# COD-AB names of Sudan's states (admin1), with the spellings ACLED uses where they differ.
SUDAN_ADMIN1 = {
    "Khartoum": "SD01", "North Darfur": "SD02", "South Darfur": "SD03", "West Darfur": "SD04",
    "East Darfur": "SD05", "Central Darfur": "SD06", "South Kordofan": "SD07", "Blue Nile": "SD08",
    "White Nile": "SD09", "Red Sea": "SD10", "Kassala": "SD11", "Gedaref": "SD12",
    "Al Qadarif": "SD12", "North Kordofan": "SD13", "Sennar": "SD14", "Aj Jazirah": "SD15",
    "Al Jazirah": "SD15", "Gezira": "SD15", "River Nile": "SD16", "Northern": "SD17",
    "West Kordofan": "SD18", "Abyei PCA": "SD19", "Abyei": "SD19",
}
MONTH = ("CAST(coalesce(try_strptime({m} || ' ' || {y}, '%B %Y'), "
         "try_strptime({m} || ' ' || {y}, '%m %Y'), try_strptime({m} || ' ' || {y}, '%b %Y')) AS DATE)")


def cast_month(month: str = "month", year: str = "year") -> str:
    return MONTH.format(m=col(month), y=col(year))


class CastAdapter(Adapter):
    kind = "acled-cast"
    about = "ACLED CAST forecasts (admin1 x month; API JSON or CSV export)"
    signature = ("total_forecast", "admin1")
    what = "ACLED CAST"

    def read(self, path: Path) -> RawInput:
        if path.suffix.lower() != ".json":
            return CsvInput.open(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise input_error(path.name, Said("check.cast_json", error=str(exc))) from exc
        rows = data.get("data") if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise input_error(path.name, Said("check.cast_rows"))
        columns = list(dict.fromkeys(k for r in rows for k in r))
        records = [{k: None if r.get(k) is None else str(r[k]) for k in columns} for r in rows]
        return RowsInput(path, columns, records, unit="row")

    def required(self, raw: RawInput) -> list[str]:
        return REQUIRED

    def plan(self, raw: RawInput) -> Plan:
        month = cast_month()
        extra = [c for c in raw.columns if c not in ("country", "admin1", "month", "year")]
        pcode = mapped("admin1", SUDAN_ADMIN1)
        columns = {
            "system": "'acled-cast'",
            "level": "'admin1-month'",
            "unit_id": pcode,
            "month_start": month,
            "month_id": f"CAST(date_diff('month', DATE '1980-01-01', {month}) + 1 AS INTEGER)",
            "predicted_fatalities": "NULL",
            "probability": "NULL",
            "attributes": json_object(extra, raw.columns),
        }
        known = ", ".join(lit(n) for n in sorted(SUDAN_ADMIN1))
        checks = [
            Check("country", f"{col('country')} = 'Sudan'", Said("check.country_sudan")),
            Check("admin1", f"{pcode} IS NOT NULL", Said("check.cast_state", known=known)),
            Check("month", f"{month} BETWEEN DATE '1997-01-01' AND DATE '2100-12-01'",
                  Said("check.cast_month")),
            *[count_check(c, Said("check.expected_events")) for c in COUNTS
              if c in raw.columns],
            Check("total_forecast", f"{col('total_forecast')} IS NOT NULL",
                  Said("check.expected_events_given")),
        ]
        source_id = f"concat_ws(':', 'admin1-month', {pcode}, strftime({month}, '%Y-%m'), " \
                    f"{col('timestamp') if 'timestamp' in raw.columns else lit('')})"
        return Plan("external_forecasts", "acled-cast", LICENSE, columns, source_id, checks)
