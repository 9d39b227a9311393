"""OCHA COD-AB administrative boundaries: admin0/1/2 polygons and the admin centroid points."""

from __future__ import annotations

import json
from pathlib import Path

from tocsin.i18n import Said
from tocsin.sources.base import Adapter, Check, Plan, col
from tocsin.sources.documents import read_geojson
from tocsin.sources.raw import RawInput, RowsInput
from tocsin.sources.sql import date, num

LICENSE = "CC BY-IGO - OCHA Common Operational Datasets (COD-AB)"


def _level(columns: list[str]) -> int | None:
    """The admin level of a polygon file: the deepest adm{N}_pcode its features carry."""
    levels = [n for n in range(5) if f"adm{n}_pcode" in columns]
    return max(levels) if levels else None


class CodAbAdapter(Adapter):
    kind = "cod-ab"
    about = "OCHA COD-AB admin boundaries GeoJSON (admin0/1/2 polygons or admin points)"
    signature = ("adm0_pcode", "valid_on")
    what = "COD-AB boundaries"

    def read(self, path: Path) -> RawInput:
        return read_geojson(path)

    def required(self, raw: RawInput) -> list[str]:
        if "admin_level" in raw.columns:  # the admin points file
            return ["admin_level", "adm0_pcode"]
        level = _level(raw.columns)
        return [f"adm{level if level is not None else 1}_pcode", "adm0_pcode"]

    def open(self, path: Path) -> RawInput:
        raw = super().open(path)
        assert isinstance(raw, RowsInput)
        for record in raw.records:  # WKB needs shapely: DuckDB's spatial extension is not here
            record["_wkb"] = _wkb_hex(record.get("_geometry"))
        raw.columns.append("_wkb")
        return raw

    def plan(self, raw: RawInput) -> Plan:
        if "admin_level" in raw.columns:  # the points file: one row per area, any level
            level = f"TRY_CAST({col('admin_level')} AS SMALLINT)"
            by_level = lambda field: (  # noqa: E731
                f"CASE {level} " + " ".join(
                    f"WHEN {n} THEN {col(field.format(n=n))}" for n in range(3)) + " END")
            pcode, name_en = by_level("adm{n}_pcode"), col("name")
            name_ar = col("name1")
            parent = f"CASE {level} WHEN 2 THEN {col('adm1_pcode')} WHEN 1 THEN {col('adm0_pcode')} END"
            lat, lon = num("y_coord"), num("x_coord")
            area = "NULL"
        else:
            n = _level(raw.columns) or 0
            level = str(n)
            pcode, name_en, name_ar = (col(f"adm{n}_pcode"), col(f"adm{n}_name"),
                                       col(f"adm{n}_name1"))
            parent = col(f"adm{n - 1}_pcode") if n > 0 else "NULL"
            lat, lon, area = num("center_lat"), num("center_lon"), num("area_sqkm")
        columns = {
            "pcode": pcode,
            "admin_level": level,
            "name_en": name_en,
            "name_ar": name_ar,
            "parent_pcode": parent,
            "geometry_type": col("_geometry_type"),
            "geometry_wkb": f"from_hex({col('_wkb')})",
            "center_lat": lat,
            "center_lon": lon,
            "area_sqkm": area,
            "valid_on": date("valid_on"),
        }
        checks = [
            Check("pcode", f"{pcode} IS NOT NULL", Said("check.pcode")),
            Check("_geometry", f"{col('_wkb')} IS NOT NULL", Said("check.area_geometry")),
        ]
        source_id = f"{pcode} || ':' || lower({col('_geometry_type')})"
        return Plan("areas", "cod-ab", LICENSE, columns, source_id, checks)


def _wkb_hex(geometry: str | None) -> str | None:
    if not geometry:
        return None
    from shapely.geometry import shape  # only for area files: every other ingest skips its import

    try:
        geom = shape(json.loads(geometry))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon", "Point"):
        return None
    return geom.wkb_hex
