"""Build data/sample/replay: what `tocsin demo` syncs from, with no network.

The replay publisher (tocsin.sync.replay) answers connector requests from these records as the
APIs would. Every record comes from a file of the bundled sample, put in its API's shape:
UCDP GED 24.1 (the API's JSON records), FIRMS VIIRS S-NPP NRT detections (the area API's CSV
rows), the HDX HAPI IDP figures and WFP's Darfur food prices (HAPI v2's JSON records). No
ACLED: its terms forbid redistributing its data, and invented events have no place in a demo's
brief.

    python scripts/make_replay.py
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

from tocsin.sync.replay import hapi_price_record, ucdp_record

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
OUT = SAMPLE / "replay"


def rows(name: str) -> list[dict[str, str]]:
    with open(SAMPLE / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def admin_pcodes() -> dict[str, tuple[str, str]]:
    """Darfur's states and localities by the names WFP's file gives them -> (P-code, COD name)."""
    found: dict[str, tuple[str, str]] = {}
    areas = json.loads((SAMPLE / "cod_ab_darfur_admin2.geojson").read_text(encoding="utf-8"))
    for feature in areas["features"]:
        props = feature["properties"]
        found[props["adm1_name"]] = (props["adm1_pcode"], props["adm1_name"])
        found[props["adm2_name"]] = (props["adm2_pcode"], props["adm2_name"])
    found.setdefault("Eastern Darfur", found.get("East Darfur", (None, "East Darfur")))
    return found


def write(name: str, data: object) -> None:
    OUT.mkdir(exist_ok=True)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    # mtime=0: the same records give the same bytes (the file does not change on every rebuild).
    (OUT / f"{name}.gz").write_bytes(gzip.compress(body, mtime=0))


def main() -> None:
    write("ucdp.json", {"releases": {"24.1": [ucdp_record(r) for r in rows("ucdp_ged241_darfur_api.csv")]}})
    write("firms.json", {"detections": [{**r, "product": "VIIRS_SNPP_NRT"} for r in
                                        rows("firms_viirs_snpp_nrt_darfur_2025-10-31_2025-11-08.csv")]})
    write("hapi.json", {"idps": rows("hdx_hapi_idps_darfur.csv"),
                        "food-prices-market-monitor": [hapi_price_record(r, admin_pcodes()) for r in
                                                       rows("wfp_food_prices_darfur.csv")]})
    (OUT / "README.md").write_text(__doc__.split("\n\n    python")[0] + "\n\nRebuild with "
                                   "`python scripts/make_replay.py`.\n", encoding="utf-8")


if __name__ == "__main__":
    main()
