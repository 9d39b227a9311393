"""Readers for the non-CSV formats publishers use: GeoJSON (plain or zipped) and XLSX sheets.

They turn a document into text records for ``RowsInput``, so these files are validated,
quarantined and committed by the same pipeline as CSV files.
"""

from __future__ import annotations

import json
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tocsin.errors import input_error
from tocsin.i18n import Said
from tocsin.sources.raw import RowsInput, distinct_names

GEOMETRY_COLUMNS = ["_geometry_type", "_geometry", "_lon", "_lat"]


def _load_json_bytes(path: Path) -> bytes:
    name = path.name
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist()
                           if m.lower().endswith((".geojson", ".json"))]
                if not members:
                    raise input_error(name, Said("check.zip_with_geojson"),
                                      found=", ".join(archive.namelist()[:5]))
                return archive.read(members[0])
        return path.read_bytes()
    except zipfile.BadZipFile as exc:
        raise input_error(name, Said("check.readable_zip", error=str(exc))) from exc
    except OSError as exc:
        raise input_error(name, Said("check.readable_file", error=exc.strerror)) from exc


def read_geojson(path: Path, properties: list[str] | None = None) -> RowsInput:
    """Features as records: their properties as text plus geometry columns (type, GeoJSON, a
    representative lon/lat for points)."""
    name = path.name
    data = _load_json_bytes(path)
    if not data.strip():
        raise input_error(name, Said("check.geojson_empty"), line=1)
    try:
        doc = json.loads(data)
    except UnicodeDecodeError as exc:
        raise input_error(name, Said("check.geojson_utf8"), found=str(exc)) from exc
    except json.JSONDecodeError as exc:
        raise input_error(name, Said("check.valid_json_truncated", error=exc.msg),
                          line=exc.lineno, column=f"character {exc.colno}") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(
            doc.get("features"), list):
        raise input_error(name, Said("check.geojson_collection"),
                          found=str(doc.get("type") if isinstance(doc, dict) else type(doc)))
    records: list[dict[str, str | None]] = []
    keys: dict[str, None] = {}
    for number, feature in enumerate(doc["features"], start=1):
        feature = {} if feature is None else feature
        props = feature.get("properties") or {} if isinstance(feature, dict) else None
        geometry = feature.get("geometry") or {} if isinstance(feature, dict) else None
        if not isinstance(props, dict) or not isinstance(geometry, dict):
            raise input_error(name, Said("check.geojson_feature"),
                              line=number, unit="feature", found=json.dumps(feature)[:200])
        record = {k: _text(v) for k, v in props.items()}
        keys.update(dict.fromkeys(props))
        gtype = geometry.get("type")
        record["_geometry_type"] = gtype
        record["_geometry"] = json.dumps(geometry) if geometry else None
        coords = geometry.get("coordinates")
        if gtype == "Point" and isinstance(coords, list) and len(coords) >= 2:
            record["_lon"], record["_lat"] = _text(coords[0]), _text(coords[1])
        records.append(record)
    columns = list(properties or keys) + GEOMETRY_COLUMNS
    return RowsInput(path, columns, records, unit="feature")


def read_xlsx(path: Path, header_row: int | None = None, required: list[str] | None = None) -> RowsInput:
    """The first sheet's rows as records. The header row is given, or found as the first row
    holding every required column (IOM puts a title row above the header)."""
    import openpyxl

    name = path.name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or non-XLSX file
        raise input_error(name, Said("check.xlsx_workbook", error=f"{type(exc).__name__}: {exc}")) from exc
    try:
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        book.close()
    if not rows:
        raise input_error(name, Said("check.xlsx_empty"), unit="row")
    if header_row is None:
        header_row = 1
        for number, row in enumerate(rows[:10], start=1):
            cells = {_text(c).strip() for c in row if _text(c)}
            if required and all(r in cells for r in required):
                header_row = number
                break
    header = distinct_names([(_text(c) or "").strip() or f"column{i + 1}"
                             for i, c in enumerate(rows[header_row - 1])])
    records, numbers = [], []
    for number, row in enumerate(rows[header_row:], start=header_row + 1):
        if any(_text(v) for v in row):
            records.append({h: _text(v) for h, v in zip(header, row, strict=False)})
            numbers.append(number)
    return RowsInput(path, header, records, unit="row", numbers=numbers, header_line=header_row)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None
