"""Pages and API over the bundled Darfur sample: map data, place pages, search, Arabic, slow links."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from web_support import log_in

from tocsin.analysis.siege import STAGES
from tocsin.i18n import plural_base
from tocsin.lake import Lake
from tocsin.web.app import create_app
from tocsin.web.data import MAJOR_CLASSES, NOT_COMPUTED, WebData
from tocsin.web.i18n import Translator, pick_language, strings
from tocsin.web.routes.api import parse_bbox
from tocsin.workspace import Workspace

EL_FASHER = "El Fasher"


def el_fasher_id(workspace: Workspace) -> str:
    con = Lake(workspace.lake_dir).connect()
    (place_id,) = con.execute("SELECT place_id FROM gazetteer WHERE name = ?", [EL_FASHER]).fetchone()
    return str(place_id)


def coordinate_count(geometry: dict) -> int:
    return len(re.findall(r"-?\d+\.?\d*,\s*-?\d+\.?\d*\]", json.dumps(geometry["coordinates"])))


def test_map_boundaries_are_simplified_for_the_zoom(client: TestClient, web_workspace: Workspace) -> None:
    log_in(client, "victor")
    coarse = client.get("/api/v1/map/areas?zoom=5").json()
    fine = client.get("/api/v1/map/areas?zoom=11").json()
    con = Lake(web_workspace.lake_dir).connect()
    polygons = con.execute("SELECT count(*) FROM areas WHERE admin_level >= 1 AND "
                           "geometry_type IN ('Polygon', 'MultiPolygon')").fetchone()[0]
    assert len(coarse["features"]) == len(fine["features"]) == polygons
    assert {f["properties"]["admin_level"] for f in coarse["features"]} == {1, 2}
    assert any(f["properties"]["name_ar"] for f in coarse["features"])
    assert sum(map(coordinate_count, (f["geometry"] for f in coarse["features"]))) * 3 < \
        sum(map(coordinate_count, (f["geometry"] for f in fine["features"])))


def test_map_places_by_zoom_and_view(client: TestClient, web_workspace: Workspace) -> None:
    log_in(client, "victor")
    overview = client.get("/api/v1/map/places?zoom=6").json()["features"]
    assert overview and {f["properties"]["class"] for f in overview} <= MAJOR_CLASSES
    assert EL_FASHER in {f["properties"]["name"] for f in overview}
    bbox = (25.2, 13.5, 25.5, 13.8)
    close = client.get("/api/v1/map/places?zoom=11&bbox=" + ",".join(map(str, bbox))).json()["features"]
    con = Lake(web_workspace.lake_dir).connect()
    inside = con.execute("SELECT count(*) FROM gazetteer WHERE longitude BETWEEN ? AND ? AND "
                         "latitude BETWEEN ? AND ?", [bbox[0], bbox[2], bbox[1], bbox[3]]).fetchone()[0]
    assert len(close) >= inside > len([f for f in close if f["properties"]["class"] in MAJOR_CLASSES])
    for feature in close:
        lon, lat = feature["geometry"]["coordinates"]
        assert bbox[0] - 0.01 <= lon <= bbox[2] + 0.01 and bbox[1] - 0.01 <= lat <= bbox[3] + 0.01
    assert client.get("/api/v1/map/places?zoom=11&bbox=26,13,25,14").status_code == 422
    assert client.get("/api/v1/map/places?zoom=11&bbox=a,b").status_code == 422


def test_map_data_is_compressed_and_revalidated(client: TestClient) -> None:
    log_in(client, "victor")
    first = client.get("/api/v1/map/places?zoom=6", headers={"accept-encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    assert int(first.headers["content-length"]) < len(first.content) / 3
    again = client.get("/api/v1/map/places?zoom=6", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_el_fasher_page(client: TestClient, web_workspace: Workspace) -> None:
    log_in(client, "alice")
    place_id = el_fasher_id(web_workspace)
    found = client.get("/places", params={"q": "Al Fashir"})
    assert f'href="/places/{place_id}"' in found.text
    api = client.get(f"/api/v1/places/{place_id}").json()
    con = Lake(web_workspace.lake_dir).connect()
    linked = con.execute("SELECT count(*) FROM event_links WHERE place_id = ?", [place_id]).fetchone()[0]
    assert api["events_count"] == linked > 0
    assert api["name_ar"] == "الفاشر" and api["admin1"] == "North Darfur"
    assert api["displacement"] and api["displacement"][0]["idps"] > 0
    assert api["forecast"] == api["burnings"] == {"status": "not_computed"}
    # The siege tracker judges as of the sample's latest dated data (UCDP, end of 2023).
    history = api["stage_history"]
    assert history and history[0]["stage"] == api["stage"] and history[0]["evidence"]
    assert [row["date"] for row in history] == sorted((row["date"] for row in history), reverse=True)
    page = client.get(f"/places/{place_id}").text
    assert "<h1>El Fasher" in page and "الفاشر" in page
    assert f"Events placed at this place ({linked})" in page
    assert page.count("Not computed yet") == 2
    assert history[0]["evidence"][0] in page
    assert f"{api['displacement'][0]['idps']:,}" in page
    assert client.get("/places/p-nonexistent").status_code == 404
    assert client.get("/api/v1/places/p-nonexistent").json()["detail"].startswith("no place")


def test_a_place_no_source_names_is_said_by_where_it_is(client: TestClient,
                                                        web_workspace: Workspace) -> None:
    """Most villages HIU surveyed as destroyed have no name in any source: their page says
    where they are, in each language, where it once said "?"."""
    con = Lake(web_workspace.lake_dir).connect()
    place_id, lat, lon = con.execute(
        "SELECT place_id, latitude, longitude FROM gazetteer WHERE name IS NULL AND name_ar IS NULL "
        "AND place_class = 'village' ORDER BY place_id LIMIT 1").fetchone()
    csrf = log_in(client, "victor")
    page = client.get(f"/places/{place_id}").text
    assert f"<h1>unnamed village at {lat:.2f}° N, {lon:.2f}° E" in page
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    log_in(client, "amal")  # her language is Arabic
    page = re.sub("[\u2066-\u2069]", "", client.get(f"/places/{place_id}").text)  # isolated digits
    assert f"<h1>قرية بلا اسم عند خط العرض {lat:.2f} شمالًا" in page


def test_arabic_users_get_right_to_left_pages_and_arabic_names(client: TestClient,
                                                               web_workspace: Workspace) -> None:
    log_in(client, "amal")  # her language is Arabic
    page = client.get(f"/places/{el_fasher_id(web_workspace)}").text
    assert '<html lang="ar" dir="rtl">' in page
    assert "<h1>الفاشر" in page and "شمال دارفور" in page
    search = client.get("/places", params={"q": "الفاشر"}).text
    assert "الفاشر" in search and 'dir="rtl"' in search
    login = TestClient(client.app, base_url="https://testserver").get("/login?lang=ar").text
    assert 'dir="rtl"' in login and "تسجيل الدخول" in login


def test_arabic_pages_use_the_organisations_digits(client: TestClient, web_workspace: Workspace,
                                                   records_url: str) -> None:
    """The organisation chose Arabic-Indic digits: its Arabic readers see ٢٥٢٬٦٠٩, isolated."""
    from tocsin.report.preferences import set_digits

    log_in(client, "amal")
    place = f"/places/{el_fasher_id(web_workspace)}"
    western = client.get(place).text
    population = re.search(r"\u2066([0-9,]{5,})\u2069", western)
    assert population, "numbers in Arabic pages are isolated left-to-right"
    set_digits(records_url, "Darfur Network", "arabic_indic")
    client.cookies.clear()
    log_in(client, "amal")
    arabic = client.get(place).text
    assert population.group(1).translate(str.maketrans("0123456789,", "٠١٢٣٤٥٦٧٨٩٬")) in arabic


def test_pages_work_without_javascript_and_load_light(client: TestClient) -> None:
    log_in(client, "victor")
    gzip_header = {"accept-encoding": "gzip"}
    total = 0
    for path in ("/siege", "/at-risk", "/alerts", "/places?q=Nyala", "/account"):
        page = client.get(path, headers=gzip_header)
        assert page.status_code == 200
        assert "<script" not in page.text, path
    map_page = client.get("/map", headers=gzip_header)
    total += int(map_page.headers.get("content-length", len(map_page.content)))
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', map_page.text)
    assert "/static/vendor/leaflet/leaflet.js" in assets and "/static/map.js" in assets
    for asset in assets:
        response = client.get(asset, headers=gzip_header)
        assert response.status_code == 200, asset
        total += int(response.headers.get("content-length", len(response.content)))
    assert total < 500_000
    # The map page lists the largest places, so it is useful without JavaScript too.
    assert "El Fasher" in map_page.text and "Nyala" in map_page.text
    # Nothing is fetched from another host.
    assert not re.search(r'(?:src|href)="(?:https?:)?//', map_page.text)


def test_user_input_is_escaped_in_pages(client: TestClient) -> None:
    log_in(client, "victor")
    page = client.get("/places", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "private, no-store"


def test_openapi_describes_the_api(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert {"/api/v1/map/places", "/api/v1/map/areas", "/api/v1/places/{place_id}",
            "/api/v1/siege-board", "/api/v1/alerts"} <= set(spec["paths"])
    assert not any(path.startswith("/login") for path in spec["paths"])


# -- analyses that land later: the sections fill in when their tables exist ------------------
@pytest.fixture
def analysed_workspace(web_workspace: Workspace, tmp_path: Path) -> Workspace:
    """A copy of the sample with forecasts and burnings as the other issues will write them
    (derived tables), for El Fasher; siege stages are the tracker's own (no stored table)."""
    home = tmp_path / "ws"
    shutil.copytree(web_workspace.home, home)
    workspace = Workspace(home)
    place_id = el_fasher_id(workspace)
    lake = Lake(workspace.lake_dir)
    tables = {
        "forecasts": pa.table({
            "place_id": [place_id], "as_of": [dt.date(2024, 5, 10)], "horizon_days": [30],
            "probability": [0.82], "model": ["test"], "reasons": [["encircled for 10 days"]]}),
        "burnings": pa.table({
            "place_id": [place_id], "place_name": [EL_FASHER], "latitude": [13.6], "longitude": [25.3],
            "first_detection": [dt.date(2024, 5, 11)], "last_detection": [dt.date(2024, 5, 12)],
            "detections": [14], "frp_total": [230.5], "score": [0.9], "confidence": ["high"],
            "reasons": [["14 detections in a village"]], "detection_ids": [["a", "b"]]}),
    }
    staged = {}
    for name, table in tables.items():
        staged[name] = lake.staging_path(name, "derived")
        pq.write_table(table, staged[name])
    with workspace.write_lock():
        lake.replace_derived(staged, {name: "test" for name in staged})
    return workspace


def test_siege_forecast_and_burnings_show_when_computed(analysed_workspace: Workspace,
                                                        records_url: str) -> None:
    app = create_app(analysed_workspace, database_url=records_url)
    with TestClient(app, base_url="https://testserver") as client:
        log_in(client, "alice")
        board = client.get("/api/v1/siege-board").json()
        # The tracker's board: stages from analysis/siege.py, each town once (sub-places folded).
        assert board and all(row["stage"] in STAGES[1:] for row in board)
        assert len({row["name"] for row in board}) == len(board)
        assert client.get("/api/v1/at-risk").json()[0]["risk"] == pytest.approx(0.82)
        overview = client.get("/api/v1/map/places?zoom=6").json()["features"]
        fasher = next(f["properties"] for f in overview if f["properties"]["name"] == EL_FASHER)
        assert fasher["risk"] == 0.82
        page = client.get(f"/places/{fasher['id']}").text
        assert "encircled for 10 days" in page and "14 detections" in page
        # The history keeps the days the stage changed, not every day.
        history = client.get(f"/api/v1/places/{fasher['id']}").json()["stage_history"]
        assert all(a["stage"] != b["stage"] for a, b in itertools.pairwise(history))
        assert board[0]["stage"].replace("_", " ") in client.get("/siege").text
    app.state.sessions.kw["bind"].dispose()


def test_new_lake_state_is_seen_without_restart(analysed_workspace: Workspace) -> None:
    data = WebData(analysed_workspace)
    assert data.at_risk() is not NOT_COMPUTED
    assert len(data.siege_board()) > 1  # computed by the siege tracker
    lake = Lake(analysed_workspace.lake_dir)
    manifest = lake.manifest()
    del manifest["derived"]["forecasts"]
    lake._write_manifest(manifest)
    assert data.at_risk() is NOT_COMPUTED


# -- strings and parsers -----------------------------------------------------------------------
def test_every_string_the_templates_use_exists() -> None:
    templates = Path(__file__).resolve().parents[2] / "src" / "tocsin" / "web" / "templates"
    used = {key for page in templates.glob("*.html")
            for key in re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", page.read_text(encoding="utf-8"))}
    assert len(used) > 50
    keys = set(strings("en"))
    # t("stage_" ~ stage) and the like: some key must start with the prefix.
    prefixes = {key for key in used if key.endswith("_")}
    assert used - prefixes - keys == set()
    assert all(any(k.startswith(prefix) for k in keys) for prefix in prefixes)
    from tocsin.schema.taxonomy import load_taxonomy

    assert {f"category_{c}" for c in load_taxonomy().categories} <= keys  # every event category


def test_arabic_and_english_have_the_same_keys_and_placeholders() -> None:
    en, ar = strings("en"), strings("ar")
    assert {plural_base(k) for k in en} == {plural_base(k) for k in ar}  # Arabic has more forms
    for key in en:
        assert set(re.findall(r"{(\w+)[^}]*}", en[key])) == set(re.findall(r"{(\w+)[^}]*}", ar[key])), key
    assert Translator("ar").dir == "rtl" and Translator("en").dir == "ltr"


@given(st.one_of(st.none(), st.text(max_size=5)), st.one_of(st.none(), st.text(max_size=60)))
def test_pick_language_always_answers_a_supported_language(requested: str | None, header: str | None) -> None:
    language = pick_language(requested, header)
    assert language in ("en", "ar")
    if requested in ("en", "ar"):
        assert language == requested


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=6))
def test_bbox_parser_accepts_only_ordered_boxes(values: list[float]) -> None:
    from fastapi import HTTPException

    text = ",".join(repr(v) for v in values)
    try:
        box = parse_bbox(text)
    except HTTPException as exc:
        assert exc.status_code == 422
        return
    if box is None:
        assert text == ""
        return
    west, south, east, north = box
    assert -180 <= west <= east <= 180 and -90 <= south <= north <= 90
