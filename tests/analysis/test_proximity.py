"""DatedPairs: one tree query per distinct location gives each point exactly the pairs a query
of its own gives; PlacePairs answers one place's window as DatedPairs.window does."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.analysis.proximity import DatedPairs, PlacePairs, chord_for_km, km_for_chord, place_tree, unit_xyz

PLACES_LAT = np.array([13.6, 13.65, 13.7, 12.05, 12.1, 14.0, 13.62])
PLACES_LON = np.array([25.35, 25.4, 25.3, 24.9, 24.95, 25.0, 25.36])
# Candidate event locations: some on places, some between them, one far from all.
SPOTS = [(13.6, 25.35), (13.64, 25.38), (12.07, 24.93), (13.9, 25.1), (10.0, 30.0), (13.62, 25.36)]


def per_point(tree, lat, lon, day, max_km):
    """The reference: every point asks the tree itself."""
    order = np.argsort(day, kind="stable")
    places, kms, sizes = [], [], []
    for i in order.tolist():
        xyz = unit_xyz(lat[i:i + 1], lon[i:i + 1])
        hits = np.asarray(tree.query_ball_point(xyz[0], chord_for_km(max_km), return_sorted=False),
                          dtype=np.int32)
        places.append(hits)
        kms.append(km_for_chord(np.linalg.norm(tree.data[hits] - xyz[0], axis=1)).astype(np.float32))
        sizes.append(len(hits))
    return np.concatenate(places), np.concatenate(kms), np.asarray(sizes)


events = st.lists(st.tuples(st.integers(0, len(SPOTS) - 1), st.integers(0, 60), st.integers(0, 5)),
                  min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(events, st.sampled_from([5.0, 30.0, 100.0]))
def test_shared_locations_give_each_point_its_own_pairs(rows, max_km):
    tree = place_tree(PLACES_LAT, PLACES_LON)
    lat = np.array([SPOTS[s][0] for s, _, _ in rows])
    lon = np.array([SPOTS[s][1] for s, _, _ in rows])
    day = np.array([d for _, d, _ in rows], dtype=np.int64)
    known = day + np.array([k for _, _, k in rows], dtype=np.int64)
    pairs = DatedPairs.build(tree, lat, lon, day, known, max_km)
    place, km, sizes = per_point(tree, lat, lon, day, max_km)
    assert np.array_equal(pairs.pair_place, place)
    assert np.array_equal(pairs.pair_km, km)
    assert np.array_equal(np.diff(pairs.offsets), sizes)
    assert np.array_equal(pairs.day, np.sort(day, kind="stable"))


@settings(max_examples=60, deadline=None)
@given(events, st.integers(0, 70), st.sampled_from([None, 1, 7, 30]))
def test_place_window_is_the_window_of_that_place(rows, as_of, days):
    tree = place_tree(PLACES_LAT, PLACES_LON)
    lat = np.array([SPOTS[s][0] for s, _, _ in rows])
    lon = np.array([SPOTS[s][1] for s, _, _ in rows])
    day = np.array([d for _, d, _ in rows], dtype=np.int64)
    known = day + np.array([k for _, _, k in rows], dtype=np.int64)
    pairs = DatedPairs.build(tree, lat, lon, day, known, 100.0)
    index = PlacePairs.of(pairs, np.array([0, 3, 6]), len(PLACES_LAT))
    window, ok = pairs.window(as_of, days)
    everything = np.arange(len(pairs.pair_place))[window][ok]
    for place in (0, 3, 6):
        expected = everything[pairs.pair_place[everything] == place]
        point, km = index.window(place, as_of, days)
        assert np.array_equal(point, pairs.pair_point[expected])
        assert np.array_equal(km, pairs.pair_km[expected])
    assert 1 not in index
