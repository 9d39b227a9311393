"""Reasons name the driver, its value and what it is compared to, in English and Arabic; never a
bare class or population (the 2023 forecasts on the real data included)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from forecast_factories import days_before, event, inputs, north_of, place

from tocsin.analysis.features import FeatureBuilder, FeatureParams
from tocsin.analysis.model_store import MAX_AGE_DAYS, load_model, save_model
from tocsin.analysis.reasons import STATIC, Explainer, Places, ago, describe, killed
from tocsin.analysis.timeaxis import to_day
from tocsin.spatial import haversine_km

AS_OF = date(2023, 6, 1)
LAT, LON = 13.6, 25.35
BARE = re.compile(r"^(a (city|town|village|camp|hamlet|place|village or IDP site|isolated dwelling)|"
                  r"population [\d,]+|nearest monitored market .*)$")


def _explainer(events: list[dict[str, object]]) -> tuple[FeatureBuilder, Explainer]:
    places = [place("El Fasher", LAT, LON, place_class="city", name_ar="الفاشر"),
              place("Tawila", north_of(LAT, -40), LON - 0.3, place_class="town", name_ar="طويلة")]
    # With the RSF and sides features (off in the default model, but reasons must read them).
    builder = FeatureBuilder(inputs(places, events), FeatureParams(actor_features=True))
    names = [p["name"] for p in places]
    explainer = Explainer(builder, Places(names, [p["name_ar"] for p in places],
                                          builder.static["place_rank"]), to_day(AS_OF))
    return builder, explainer


def test_the_nearest_event_is_told_with_its_actors_deaths_and_the_town_it_was_near() -> None:
    tawila_lat, tawila_lon = north_of(LAT, -40), LON - 0.3
    events = [event("e1", days_before(AS_OF, 3), tawila_lat, tawila_lon, category="battle", deaths=39,
                    actor1="Government of Sudan", actor2="RSF")]
    builder, explainer = _explainer(events)
    found = builder.nearest_violence(AS_OF, np.array([0]))[0]
    en, ar = explainer.event(0, found)
    km = float(haversine_km(LAT, LON, tawila_lat, tawila_lon))
    assert en == (f"fighting {km:.0f} km to the south-west near Tawila, 3 days ago "
                  "(Government of Sudan v RSF, 39 killed)")
    assert ar == (f"قتال على بعد {km:.0f} كم إلى الجنوب الغربي قرب طويلة، قبل 3 أيام "
                  "(حكومة السودان ضد قوات الدعم السريع، 39 قتيلًا)")


def test_of_events_at_one_point_the_latest_is_told_and_a_months_old_one_says_why() -> None:
    # Events geocoded to the town share its point: the reason tells the last fighting there,
    # not the first of the year (Nyala's 2023 reasons read "fighting at the place, 182 days ago").
    town = [event(f"t{days}", days_before(AS_OF, days), LAT, LON, category="battle", deaths=days,
                  actor1="Government of Sudan", actor2="RSF") for days in (182, 60, 45)]
    builder, explainer = _explainer(town)
    row = builder.at(AS_OF)[0]
    year = explainer.phrase(0, "nearest_violence_km_365d", 0.0, row)
    # The nearest of the year is 45 days old: a reason only as the nearest of its window.
    assert year == ("the nearest violence in the last year: fighting at the place, 45 days ago "
                    "(Government of Sudan v RSF, 45 killed)",
                    "أقرب عنف خلال السنة الأخيرة: قتال في المكان نفسه، قبل 45 يومًا "
                    "(حكومة السودان ضد قوات الدعم السريع، 45 قتيلًا)")
    # Within the month it is said as the month's nearest, once: both windows give one phrase.
    builder, explainer = _explainer([*town, event("t3", days_before(AS_OF, 3), LAT, LON,
                                                  category="battle", deaths=1)])
    row = builder.at(AS_OF)[0]
    month = explainer.phrase(0, "nearest_violence_km_30d", 0.0, row)
    assert month is not None and month[0] == "fighting at the place, 3 days ago (1 killed)"
    assert explainer.phrase(0, "nearest_violence_km_365d", 0.0, row) == month
    # One event is one event, in English.
    here = explainer.phrase(0, "attacks_here_7d", 1.0, row)
    assert here is not None and here[0] == "1 atrocity-grade event at the place itself in the last 7 days"
    assert describe("deaths_10km_30d", 1.0) == "1 death in a violent event within 10 km in the last 30 days"
    assert describe("violent_events_10km_30d", 2.0) == "2 violent events within 10 km in the last 30 days"


def test_one_event_is_told_once_even_when_two_features_lead_to_it() -> None:
    # Tendelti, West Darfur, in the demo's forecast of 2023-12-29: the year's nearest violence
    # and the latest within 25 km were the same fight, and the reasons told it twice.
    builder, explainer = _explainer([event("fight", days_before(AS_OF, 198), LAT, LON,
                                           category="battle", deaths=8, actor1="Arab",
                                           actor2="Masalit"),
                                     event("far", days_before(AS_OF, 60), LAT + 0.5, LON)])
    row = builder.at(AS_OF)[0]
    names = builder.names
    year = explainer.phrase(0, "nearest_violence_km_365d", 0.0, row)
    latest = explainer.phrase(0, "days_since_violence_25km",
                              float(row[names.index("days_since_violence_25km")]), row)
    assert year is not None and latest is not None and latest[0] in year[0]  # one fight, twice
    contribution = np.zeros(len(names) + 1)
    contribution[names.index("nearest_violence_km_365d")] = 3.0
    contribution[names.index("days_since_violence_25km")] = 2.0
    contribution[names.index("violent_events_100km_90d")] = 1.0
    reasons = [en for en, _ in explainer.reasons(0, row, contribution)]
    assert reasons[0] == year[0]
    assert sum("198 days ago" in r for r in reasons) == 1, reasons
    # The slot goes to the next driver instead.
    assert len(reasons) == 2 and reasons[1].startswith("1 violent event within 100 km"), reasons


def test_sides_rsf_and_rings_carry_their_values_and_comparisons() -> None:
    events = [event(f"s{i}", days_before(AS_OF, 5 + i), LAT + dlat, LON + dlon, category="battle", deaths=2,
                    actor1="Government of Sudan", actor2="RSF")
              for i, (dlat, dlon) in enumerate([(0.2, 0), (-0.2, 0), (0, 0.2)])]
    events.append(event("old", days_before(AS_OF, 200), LAT + 0.1, LON, category="battle", deaths=4))
    builder, explainer = _explainer(events)
    row = builder.at(AS_OF)[0]
    col = {n: float(row[i]) for i, n in enumerate(builder.names)}
    assert col["violence_sides_50km_21d"] == 3 and col["rsf_violence_50km_30d"] == 3
    sides = explainer.phrase(0, "violence_sides_50km_21d", 3.0, row)
    assert sides == ("violence on 3 of 8 sides within 50 km in the last 21 days",
                     "عنف من 3 جهات من أصل 8 في نطاق 50 كم خلال آخر 21 يومًا")
    rsf = explainer.phrase(0, "rsf_violence_50km_30d", 3.0, row)
    assert rsf is not None and rsf[0] == "the RSF in 3 violent events within 50 km in the last 30 days"
    ring = explainer.phrase(0, "violent_events_50km_90d", col["violent_events_50km_90d"], row)
    assert ring is not None
    assert ring[0] == ("3 violent events within 50 km in the last 90 days, against 0.3 per 90 days in the "
                       "rest of the year")


def test_static_facts_are_never_a_reason_and_a_quiet_place_still_gets_one() -> None:
    builder, explainer = _explainer([event("far", days_before(AS_OF, 100), LAT + 0.5, LON)])
    row = builder.at(AS_OF)[0]
    for name in STATIC:
        assert explainer.phrase(0, name, float(row[builder.names.index(name)]), row) is None
    # SHAP says only the class and the population pushed the forecast up: the reason is then the
    # nearest violence on record, not "a city".
    contribution = np.zeros(len(builder.names) + 1)
    contribution[builder.names.index("place_rank")] = 2.0
    contribution[builder.names.index("population")] = 1.0
    reasons = explainer.reasons(0, row, contribution)
    assert len(reasons) == 1 and reasons[0][0].startswith("an attack on civilians 56 km to the north")
    assert not any(BARE.match(en) for en, _ in reasons)


def test_arabic_counts_follow_arabic_number_agreement() -> None:
    assert [ago(d)[1] for d in (0, 1, 2, 5, 12)] == ["اليوم", "أمس", "قبل يومين", "قبل 5 أيام", "قبل 12 يومًا"]
    assert [killed(n)[1] for n in (1, 2, 7, 39)] == ["قتيل واحد", "قتيلان", "7 قتلى", "39 قتيلًا"]


@pytest.fixture(scope="module")
def real_2023(sample_workspace):  # type: ignore[no-untyped-def]
    """The bundled sample (real UCDP Darfur events, the Darfur gazetteer); one model trained as
    of 2023-01-01 (four years of origins, not ten: these tests are about what reasons say)."""
    from tocsin.analysis.forecast import ForecastParams, fit_forecaster
    from tocsin.jobs.steps.forecasts import read_inputs

    data = read_inputs(sample_workspace)
    builder = FeatureBuilder(data)
    return sample_workspace, data, fit_forecaster(builder, date(2023, 1, 1), 30,
                                                  ForecastParams(training_years=4))


def test_no_reason_in_a_2023_top_30_is_a_bare_class_or_population(real_2023) -> None:  # type: ignore[no-untyped-def]
    from tocsin.analysis.forecast import score_places

    _, data, fitted = real_2023
    seen = 0
    for month in range(1, 13):
        table = score_places(fitted, data.places, date(2023, month, 1), top=30)
        for row in table.to_pylist():
            assert 1 <= len(row["reasons"]) == len(row["reasons_ar"]) <= 3
            for en, ar in zip(row["reasons"], row["reasons_ar"], strict=True):
                assert not BARE.match(en), (month, row["name"], en)
                assert re.search(r"\d", en) and re.search(r"[\u0600-\u06FF]", ar), (en, ar)
                seen += 1
    assert seen >= 12 * 30


def test_a_stored_model_forecasts_as_the_fitted_one_and_only_when_it_may(real_2023, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from tocsin.analysis.forecast import score_places

    _, data, fitted = real_2023
    save_model(tmp_path, fitted, date(2023, 1, 1), "inputs-1")
    stored = load_model(tmp_path, 30)
    assert stored is not None
    names = fitted.builder.names
    assert stored.why_not(date(2023, 2, 1), names, "inputs-1") is None
    assert "after 2022-12-01" in (stored.why_not(date(2022, 12, 1), names, "inputs-1") or "")
    assert "inputs changed" in (stored.why_not(date(2023, 2, 1), names, "inputs-2") or "")
    late = date(2023, 1, 1) + timedelta(days=MAX_AGE_DAYS + 1)
    assert f"over {MAX_AGE_DAYS} days" in (stored.why_not(late, names, "inputs-1") or "")
    again = stored.forecaster(fitted.builder)
    a = score_places(fitted, data.places, date(2023, 2, 1), top=20)
    b = score_places(again, data.places, date(2023, 2, 1), top=20)
    assert a.column("place_id").to_pylist() == b.column("place_id").to_pylist()
    assert np.allclose(a.column("probability").to_numpy(), b.column("probability").to_numpy())
    assert np.allclose(a.column("history_probability").to_numpy(), b.column("history_probability").to_numpy())
    assert load_model(tmp_path, 7) is None


def test_with_the_siege_falls_and_assaults_no_2023_reason_is_bare_and_some_name_a_takeover(  # type: ignore[no-untyped-def]
        sample_workspace) -> None:
    """The same check with the siege tracker's falls and assaults as features (off by default):
    their reasons say which town, how far, which way and when, in both languages."""
    from tocsin.analysis.forecast import ForecastParams, fit_forecaster, score_places
    from tocsin.jobs.steps.forecasts import read_inputs

    data = read_inputs(sample_workspace, takeovers=True)
    assert data.takeovers is not None and data.takeovers.num_rows > 0
    params = FeatureParams(takeover_features=True)
    fitted = fit_forecaster(FeatureBuilder(data, params), date(2023, 1, 1), 30,
                            ForecastParams(training_years=4, features=params))
    told = []
    for month in range(1, 13):
        for row in score_places(fitted, data.places, date(2023, month, 1), top=30).to_pylist():
            for en, ar in zip(row["reasons"], row["reasons_ar"], strict=True):
                assert not BARE.match(en), (month, row["name"], en)
                assert re.search(r"\d", en) and re.search(r"[\u0600-\u06FF]", ar), (en, ar)
                if "came under assault" in en or " took " in en or "was overrun" in en:
                    assert re.search(r"\d+ km to the [a-z-]+, ", en) and "على بعد" in ar, (en, ar)
                    told.append(en)
    assert told, "no reason named a fall or an assault in the 2023 top 30s"


def test_arabic_tolls_and_days_agree_with_their_number() -> None:
    """Arabic counts the dead and the days in the form CLDR's plural category gives the
    number: two and 3-10 and 11-99 and 100 each take their own (103 like 3, 111 like 11)."""
    from tocsin.analysis.reasons import _days_ar, killed

    tolls = {n: killed(n) for n in (1, 2, 3, 10, 11, 99, 100, 103, 111, 1000)}
    assert tolls[1] == ("1 killed", "قتيل واحد") and tolls[2][1] == "قتيلان"
    assert [tolls[n][1].split()[-1] for n in (3, 10, 103)] == ["قتلى"] * 3
    assert [tolls[n][1].split()[-1] for n in (11, 99, 111)] == ["قتيلًا"] * 3
    assert [tolls[n][1] for n in (100, 1000)] == ["100 قتيل", "1,000 قتيل"]
    assert tolls[1000][0] == "1,000 killed"
    assert [_days_ar(n) for n in (1, 2, 7, 30, 100)] == ["يوم واحد", "يومين", "7 أيام", "30 يومًا", "100 يوم"]
