"""Properties of the siege stages over random inputs: no look-ahead, one day is like a range."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from siege_support import TOWN, burnings, displacement, event, events, places

from tocsin.analysis.siege import siege_stages

START = dt.date(2023, 3, 1)
CATEGORIES = ["battle", "attack_on_civilians", "remote_violence", "territory_change",
              "siege_related", "looting_destruction", "protest"]

an_event = st.builds(
    lambda d, length, cat, km, bearing, prec, fat: event(
        START + dt.timedelta(days=d), cat, km=km, bearing=bearing, precision=prec, fatalities=fat,
        end=START + dt.timedelta(days=d + length)),
    st.integers(0, 60), st.sampled_from([0, 0, 0, 6, 30]), st.sampled_from(CATEGORIES),
    st.floats(0, 50), st.floats(0, 359), st.sampled_from(["exact", "exact", "near", "admin2"]),
    st.integers(0, 60))
a_round = st.tuples(st.integers(0, 60), st.integers(0, 200_000))
a_burning = st.tuples(st.integers(0, 60), st.integers(0, 3), st.integers(1, 50), st.floats(0, 1))


def _known_by(table: pa.Table, column: str, day: dt.date, lag_days: int = 0) -> pa.Table:
    values = table.column(column)
    if pa.types.is_timestamp(values.type):
        values = pc.cast(pc.cast(values, pa.timestamp("s", tz="UTC")), pa.date32())
    limit = pa.scalar(day - dt.timedelta(days=lag_days), pa.date32())
    return table.filter(pc.less_equal(values, limit))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(an_event, max_size=25), st.lists(a_round, max_size=6), st.lists(a_burning, max_size=4),
       st.integers(0, 70))
def test_a_day_is_judged_only_on_what_was_known_by_then(evs, rounds, fires, offset) -> None:  # type: ignore[no-untyped-def]
    as_of = START + dt.timedelta(days=offset)
    ev_table = events(*evs)
    dtm = displacement(sorted((START + dt.timedelta(days=d), n) for d, n in rounds))
    burns = burnings([(START + dt.timedelta(days=d), START + dt.timedelta(days=d + n), k, s)
                      for d, n, k, s in fires])
    everything = siege_stages(places(), ev_table, as_of, as_of, displacement=dtm, burnings=burns)
    known = siege_stages(places(), _known_by(ev_table, "date_end", as_of), as_of, as_of,
                         displacement=_known_by(dtm, "period_end", as_of, lag_days=7),
                         burnings=_known_by(burns, "last_detection", as_of))
    assert everything.column("stage").to_pylist() == known.column("stage").to_pylist()
    assert everything.column("evidence").to_pylist() == known.column("evidence").to_pylist()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(an_event, max_size=25), st.integers(0, 70))
def test_a_single_day_agrees_with_a_range(evs, offset) -> None:  # type: ignore[no-untyped-def]
    as_of = START + dt.timedelta(days=offset)
    table = events(*evs)
    whole = siege_stages(places(), table, START, START + dt.timedelta(days=70))
    one = siege_stages(places(), table, as_of, as_of)
    on_day = whole.filter(pc.equal(whole.column("date"), pa.scalar(as_of, pa.date32())))
    assert on_day.column("place_id").to_pylist() == one.column("place_id").to_pylist()
    assert on_day.column("stage").to_pylist() == one.column("stage").to_pylist()
    assert on_day.column("signals").to_pylist() == one.column("signals").to_pylist()


@settings(max_examples=25, deadline=None)
@given(st.lists(an_event, max_size=20))
def test_a_town_far_away_is_untouched(evs) -> None:  # type: ignore[no-untyped-def]
    # Every generated event is within 50 km of TOWN; a town 300 km away must stay calm.
    far = dict(TOWN, place_id="p-far", name="Far", latitude=TOWN["latitude"] + 2.7)
    table = siege_stages(places(TOWN, far), events(*evs), START, START + dt.timedelta(days=70))
    far_rows = table.filter(pc.equal(table.column("place_id"), "p-far"))
    assert set(far_rows.column("stage").to_pylist()) == {"calm"}


BOXES = {"Sudan": ((8.0, 23.0), (21.0, 39.0)), "north": ((55.0, 70.0), (20.0, 40.0)),
         "south": ((-60.0, -45.0), (-75.0, -60.0))}


def coordinates(box: str):  # type: ignore[no-untyped-def]
    (lat0, lat1), (lon0, lon1) = BOXES[box]
    return st.lists(st.tuples(st.floats(lat0, lat1), st.floats(lon0, lon1)), max_size=50)


@pytest.mark.parametrize("box", sorted(BOXES))
@settings(max_examples=40, deadline=None)
@given(data=st.data(), km=st.floats(1.0, 300.0))
def test_grid_pairs_are_exactly_the_pairs_within_reach(box, data, km) -> None:  # type: ignore[no-untyped-def]
    """The grid-hash join finds every (place, event) pair within ``km``, and only those, at any
    latitude (longitude degrees shrink towards the poles)."""
    import numpy as np

    from tocsin.analysis.siege import pairs_within
    from tocsin.spatial import haversine_km

    p = np.array(data.draw(coordinates(box)), dtype=float).reshape(-1, 2)
    e = np.array(data.draw(coordinates(box)), dtype=float).reshape(-1, 2)
    pi, ei, dist = pairs_within(p[:, 0], p[:, 1], e[:, 0], e[:, 1], km)
    found = set(zip(pi.tolist(), ei.tolist(), strict=True))
    expected = {(i, j) for i in range(len(p)) for j in range(len(e))
                if haversine_km(p[i, 0], p[i, 1], e[j, 0], e[j, 1]) <= km}
    assert found == expected
    assert len(found) == len(pi)  # no pair twice
    assert np.allclose(dist, haversine_km(p[pi, 0], p[pi, 1], e[ei, 0], e[ei, 1]))
