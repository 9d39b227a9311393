"""Features measured in the backtest and kept off by default: the country's violence against
its past year, and violence weighted by distance and age kernels. Each uses only what was known
by the date."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from forecast_factories import days_before, event, inputs, north_of, place

from tocsin.analysis.features import FeatureBuilder, FeatureParams

AS_OF = date(2023, 4, 10)
LAT, LON = 15.6, 32.5


def _column(builder: FeatureBuilder, name: str, day: date = AS_OF) -> np.ndarray:
    return builder.at(day)[:, builder.names.index(name)]


def test_the_country_surge_rises_when_a_war_starts_and_ignores_what_is_not_known_yet() -> None:
    places = [place("a", LAT, LON), place("b", north_of(LAT, 300), LON)]
    old = [event(f"o{i}", days_before(AS_OF, 40 + 30 * i), LAT, LON, category="battle") for i in range(11)]
    war = [event(f"w{i}", days_before(AS_OF, i), north_of(LAT, 200), LON, category="battle")
           for i in range(20)]
    late = [event("late", AS_OF + timedelta(days=1), LAT, LON, category="battle")]
    builder = FeatureBuilder(inputs(places, old + war + late), FeatureParams(country_features=True))
    recent = _column(builder, "country_violent_events_30d")
    surge = _column(builder, "country_violence_surge")
    # Everyone gets the country's figure, far from the fighting or not.
    assert (recent == 20).all() and np.allclose(surge, np.log(21 / (11 * 30 / 335 + 1)))
    calm = _column(builder, "country_violence_surge", days_before(AS_OF, 25))
    assert (calm < surge).all()


def test_decay_kernels_weigh_nearer_and_newer_violence_more() -> None:
    places = [place("a", LAT, LON)]
    events = [event("near-new", days_before(AS_OF, 2), north_of(LAT, 5), LON, category="battle"),
              event("far-old", days_before(AS_OF, 60), north_of(LAT, 40), LON, category="battle")]
    builder = FeatureBuilder(inputs(places, events), FeatureParams(decay_features=True))
    for scale, half_life in builder.params.decay_kernels:
        value = float(_column(builder, f"violence_decay_{scale}km_{half_life}d")[0])
        expected = sum(np.exp(-km / scale) * 2 ** (-age / half_life) for km, age in ((5, 2), (40, 60)))
        assert abs(value - expected) < 1e-3 * expected
    before = _column(builder, "violence_decay_25km_30d", days_before(AS_OF, 3))[0]
    assert 0 < before < _column(builder, "violence_decay_25km_30d")[0]
