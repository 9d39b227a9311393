"""NASA FIRMS active fire detections: VIIRS (375 m) and MODIS (1 km), NRT and archive CSVs."""

from __future__ import annotations

from tocsin.i18n import Said
from tocsin.sources.base import Adapter, Check, Plan, col
from tocsin.sources.raw import RawInput
from tocsin.sources.sql import date, date_check, latitude_check, lit, longitude_check, num

LICENSE = "NASA FIRMS open data; acknowledge NASA FIRMS (LANCE)"
COMMON = ["latitude", "longitude", "scan", "track", "acq_date", "acq_time", "satellite",
          "confidence", "version", "frp", "daynight"]
VIIRS = [*COMMON, "bright_ti4", "bright_ti5"]
MODIS = [*COMMON, "brightness", "bright_t31"]


class FirmsAdapter(Adapter):
    kind = "firms"
    about = "NASA FIRMS active fire CSV (VIIRS or MODIS; near-real-time or archive)"
    signature = ("acq_date", "acq_time", "frp")
    what = "FIRMS fire detections"

    def required(self, raw: RawInput) -> list[str]:
        return VIIRS if "bright_ti4" in raw.columns else MODIS

    def plan(self, raw: RawInput) -> Plan:
        viirs = "bright_ti4" in raw.columns
        sensor = "VIIRS" if viirs else "MODIS"
        acq_date = date("acq_date")
        hhmm = f"TRY_CAST({col('acq_time')} AS INTEGER)"
        if viirs:
            confidence = (f"CASE lower({col('confidence')}) WHEN 'l' THEN 'low' WHEN 'n' "
                          "THEN 'nominal' WHEN 'h' THEN 'high' ELSE lower(" +
                          col("confidence") + ") END")
            confidence_ok = Check("confidence", f"lower({col('confidence')}) IN "
                                  "('l', 'n', 'h', 'low', 'nominal', 'high')",
                                  Said("check.viirs_confidence"))
        else:
            value = num("confidence")
            confidence = (f"CASE WHEN {value} < 30 THEN 'low' WHEN {value} < 80 THEN 'nominal' "
                          "ELSE 'high' END")
            confidence_ok = Check("confidence", f"{value} BETWEEN 0 AND 100",
                                  Said("check.modis_confidence"))
        columns = {
            "latitude": num("latitude"),
            "longitude": num("longitude"),
            "acq_date": acq_date,
            "acq_time": hhmm,
            "sensor": lit(sensor),
            "satellite": col("satellite"),
            "confidence": confidence,
            "confidence_raw": col("confidence"),
            "brightness": num("bright_ti4" if viirs else "brightness"),
            "brightness_2": num("bright_ti5" if viirs else "bright_t31"),
            "frp": num("frp"),
            "scan": num("scan"),
            "track": num("track"),
            "daynight": f"upper({col('daynight')})",
            "product_version": col("version"),
            "fire_type": f"TRY_CAST({col('type')} AS SMALLINT)" if "type" in raw.columns
            else "NULL",
        }
        checks = [
            latitude_check("latitude"),
            longitude_check("longitude"),
            date_check("acq_date", acq_date, "YYYY-MM-DD"),
            Check("acq_time", f"{hhmm} BETWEEN 0 AND 2359 AND {hhmm} % 100 < 60",
                  Said("check.acq_time")),
            Check("satellite", f"{col('satellite')} IS NOT NULL", Said("check.satellite")),
            confidence_ok,
            Check("frp", f"{num('frp')} >= 0", Said("check.frp")),
            Check("daynight", f"upper({col('daynight')}) IN ('D', 'N')", Said("check.daynight")),
        ]
        # No source_id: the table's identity (satellite, time, pixel) recognises a detection
        # downloaded twice, even as "16" in one file and "0016" in another.
        return Plan("fire_detections", f"firms-{sensor.lower()}", LICENSE, columns, None, checks,
                    window="acq_date")

