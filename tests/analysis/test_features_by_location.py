"""The violence features counted by location (events sharing coordinates counted once per
location, then spread over its pairs) equal the same features counted one pair per event."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.forecast_factories import event, inputs, north_of, place
from tocsin.analysis.features import FAR_KM, LONG_AGO_DAYS, FeatureBuilder, FeatureParams
from tocsin.analysis.timeaxis import to_day

AS_OF = date(2024, 3, 1)
PLACES = [place(f"p{i}", north_of(13.0, 20 * i), 25.0 + 0.1 * i) for i in range(6)]
SPOTS = [(north_of(13.0, km), 25.0) for km in (0, 8, 24, 45, 90, 140)]


def per_pair(builder: FeatureBuilder, d: int) -> dict[str, np.ndarray]:
    """The reference: every (event, place) pair in the window counted on its own."""
    p, n, v = builder.params, builder.n, builder.violence
    out: dict[str, np.ndarray] = {}
    pairs, known = v.window(d, max(p.windows_days))
    place_, km, point = v.pair_place[pairs], v.pair_km[pairs], v.pair_point[pairs]
    age = d - v.day[point]
    deaths = builder.violence_deaths[point]
    for w in p.windows_days:
        for r in p.rings_km:
            m = known & (age < w) & (km <= r)
            out[f"violent_events_{r}km_{w}d"] = np.bincount(place_[m], minlength=n)
            out[f"deaths_{r}km_{w}d"] = np.bincount(place_[m], weights=deaths[m], minlength=n)

    def nearest(mask):
        found = np.full(n, FAR_KM)
        np.minimum.at(found, place_[mask], km[mask].astype(float))
        return found

    out["nearest_violence_km_30d"] = nearest(known & (age < 30))
    out["nearest_violence_km_365d"] = nearest(known)
    out["front_approach_km"] = nearest(known & (age >= 30)) - out["nearest_violence_km_30d"]
    rsf = builder.violence_rsf[point]
    out["rsf_violence_50km_30d"] = np.bincount(place_[known & rsf & (age < 30) & (km <= 50)], minlength=n)
    out["rsf_violence_100km_90d"] = np.bincount(place_[known & rsf & (age < 90) & (km <= 100)], minlength=n)
    pairs, known = v.window(d, LONG_AGO_DAYS)
    m = known & (v.pair_km[pairs] <= 25)
    last = np.full(n, d - LONG_AGO_DAYS, dtype=np.int64)
    np.maximum.at(last, v.pair_place[pairs][m], v.day[v.pair_point[pairs][m]])
    out["days_since_violence_25km"] = (d - last).astype(float)
    return out


rows = st.lists(st.tuples(st.integers(0, len(SPOTS) - 1), st.integers(0, 500), st.integers(0, 40),
                          st.sampled_from(["battle", "attack_on_civilians", "remote_violence"]),
                          st.booleans(), st.integers(0, 20)), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(rows, st.integers(0, 60))
def test_counts_by_location_equal_counts_by_pair(found, back):
    events = [event(f"e{i}", AS_OF - timedelta(days=ago), *SPOTS[spot], category=kind, deaths=dead,
                    actor1="RSF" if rsf else "SAF", published_at=None)
              for i, (spot, ago, dead, kind, rsf, _) in enumerate(found)]
    builder = FeatureBuilder(inputs(PLACES, events), FeatureParams(actor_features=True))
    d = to_day(AS_OF) - back
    matrix = builder.at(d)
    for name, expected in per_pair(builder, d).items():
        got = matrix[:, builder.names.index(name)]
        assert np.array_equal(got, np.asarray(expected, dtype=np.float32)), name
