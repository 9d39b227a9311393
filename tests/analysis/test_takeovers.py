"""The siege tracker's falls and assaults as forecast features and reasons: read from a stage
history without looking ahead, measured from other places only, and told with who took what,
how far, in which direction and how long ago, in English and Arabic."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
from forecast_factories import days_before, inputs, north_of, place

from tocsin.analysis.features import FAR_KM, LONG_AGO_DAYS, FeatureBuilder, FeatureParams
from tocsin.analysis.reasons import Explainer, Places
from tocsin.analysis.siege import STAGE_RANK, takeovers
from tocsin.analysis.timeaxis import to_day
from tocsin.spatial import haversine_km

AS_OF = date(2023, 12, 1)
LAT, LON = 14.4, 33.5


def _history(rows: list[tuple[str, date, str, date | None, str | None]]) -> pa.Table:
    return pa.table({"place_id": [r[0] for r in rows], "date": pa.array([r[1] for r in rows], pa.date32()),
                     "stage_rank": pa.array([STAGE_RANK[r[2]] for r in rows], pa.int16()),
                     "fell_on": pa.array([r[3] for r in rows], pa.date32()),
                     "held_by": pa.array([r[4] for r in rows], pa.string())})


def test_a_fall_is_dated_on_its_overrun_and_named_by_its_fallen_rows() -> None:
    d = date(2023, 10, 20)
    history = _history([
        ("nyala", d, "under_assault", None, None),
        ("nyala", d + timedelta(days=6), "overrun", None, None),
        ("nyala", d + timedelta(days=20), "fallen", d + timedelta(days=6), "RSF"),
        # A chunk boundary repeats a stage: not a second assault.
        ("kutum", d, "under_assault", None, None),
        ("kutum", d + timedelta(days=3), "under_assault", None, None),
        ("kutum", d + timedelta(days=40), "calm", None, None),
        ("kutum", d + timedelta(days=50), "under_assault", None, None),
    ])
    rows = takeovers(history).to_pylist()
    assert rows == [
        {"place_id": "kutum", "date": d, "kind": "assault", "actor": None},
        {"place_id": "nyala", "date": d, "kind": "assault", "actor": None},
        {"place_id": "nyala", "date": d + timedelta(days=6), "kind": "fell", "actor": "RSF"},
        {"place_id": "kutum", "date": d + timedelta(days=50), "kind": "assault", "actor": None},
    ]
    assert takeovers(history.slice(0, 0)).num_rows == 0


def _builder(falls: list[dict[str, object]]) -> tuple[FeatureBuilder, Explainer]:
    places = [place("Wad Madani", LAT, LON, place_class="city", name_ar="ود مدنى"),
              place("Khartoum", north_of(LAT, 140), LON, place_class="city", name_ar=None),
              place("Rufaa", north_of(LAT, 30), LON + 0.1, place_class="town", name_ar="رفاعة")]
    builder = FeatureBuilder(inputs(places, [], takeovers=falls), FeatureParams(takeover_features=True))
    explainer = Explainer(builder, Places([p["name"] for p in places], [p["name_ar"] for p in places],
                                          builder.static["place_rank"]), to_day(AS_OF))
    return builder, explainer


def test_features_see_other_places_falls_known_by_the_date_only() -> None:
    falls = [{"place_id": "Khartoum", "date": days_before(AS_OF, 9), "kind": "fell", "actor": "RSF"},
             {"place_id": "Rufaa", "date": days_before(AS_OF, 3), "kind": "assault", "actor": None},
             {"place_id": "Rufaa", "date": AS_OF + timedelta(days=2), "kind": "fell", "actor": "RSF"},
             {"place_id": "Wad Madani", "date": days_before(AS_OF, 1), "kind": "assault", "actor": None}]
    builder, _ = _builder(falls)
    row = builder.at(AS_OF)[0]
    col = {n: float(row[i]) for i, n in enumerate(builder.names)}
    to_rufaa = float(haversine_km(LAT, LON, north_of(LAT, 30), LON + 0.1))
    # Its own assault is not a neighbour's; the fall after the date is not known yet.
    assert col["assault_nearest_km_30d"] == np.float32(to_rufaa)
    assert col["assaults_100km_90d"] == 1
    assert col["fall_nearest_km_365d"] == np.float32(140.0) or abs(col["fall_nearest_km_365d"] - 140.0) < 0.01
    assert col["rsf_fall_days_since_300km"] == 9
    expected = (np.exp(-to_rufaa / 50) * 2 ** (-3 / 30) + np.exp(-140.0 / 50) * 2 ** (-9 / 30))
    assert abs(col["takeover_pressure"] - expected) < 1e-4
    quiet = builder.at(AS_OF - timedelta(days=400))[0]
    q = {n: float(quiet[i]) for i, n in enumerate(builder.names)}
    assert q["assault_nearest_km_30d"] == FAR_KM and q["rsf_fall_days_since_300km"] == LONG_AGO_DAYS
    assert q["takeover_pressure"] == 0


def test_reasons_say_who_took_which_town_how_far_and_when() -> None:
    falls = [{"place_id": "Khartoum", "date": days_before(AS_OF, 9), "kind": "fell", "actor": "RSF"},
             {"place_id": "Rufaa", "date": days_before(AS_OF, 3), "kind": "assault", "actor": None}]
    builder, explainer = _builder(falls)
    row = builder.at(AS_OF)[0]
    fell = explainer.phrase(0, "rsf_fall_days_since_300km", 9.0, row)
    assert fell == ("the RSF took Khartoum, 140 km to the north, 9 days ago",
                    "سيطرت قوات الدعم السريع على الخرطوم، على بعد 140 كم إلى الشمال، قبل 9 أيام")
    km = float(haversine_km(LAT, LON, north_of(LAT, 30), LON + 0.1))
    assault = explainer.phrase(0, "assault_nearest_km_30d", km, row)
    assert assault is not None
    assert assault[0] == f"Rufaa came under assault, {km:.0f} km to the north, 3 days ago"
    assert assault[1] == f"تعرّضت رفاعة لهجوم، على بعد {km:.0f} كم إلى الشمال، قبل 3 أيام"
    # Nothing near: no reason rather than an empty one.
    assert explainer.phrase(2, "fall_nearest_km_365d", FAR_KM, builder.at(AS_OF)[2]) is None
