"""Features as of a date: rings, precision, optional burnings and siege stages, no look-ahead."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from forecast_factories import burning, column, days_before, event, inputs, north_of, place

from tocsin.analysis.features import FeatureBuilder, build_features
from tocsin.analysis.forecast import forecast
from tocsin.analysis.inputs import ForecastInputs
from tocsin.jobs.steps.forecasts import read_inputs
from tocsin.workspace import Workspace

AS_OF = date(2020, 6, 1)
LAT, LON = 13.0, 25.0


def test_rings_count_precise_events_by_distance_and_window() -> None:
    recent = days_before(AS_OF, 10)
    older = days_before(AS_OF, 200)
    events = [event(f"e{km}", recent, north_of(LAT, km), LON, category="battle", deaths=km)
              for km in (5, 20, 40, 80, 150)]
    events.append(event("old", older, north_of(LAT, 5), LON, category="battle", deaths=7))
    features = build_features(inputs([place("A", LAT, LON)], events), AS_OF)
    assert [column(features, f"violent_events_{r}km_30d", "A") for r in (10, 25, 50, 100)] == [1, 2, 3, 4]
    assert column(features, "deaths_50km_30d", "A") == 5 + 20 + 40
    assert column(features, "violent_events_10km_365d", "A") == 2
    assert column(features, "deaths_10km_365d", "A") == 12
    assert column(features, "nearest_violence_km_30d", "A") == pytest.approx(5, abs=0.01)
    assert column(features, "days_since_violence_25km", "A") == 10


def test_admin_level_events_never_count_at_a_town() -> None:
    # An admin2 event's point is the locality centroid: right on top of the town here.
    events = [event("area", days_before(AS_OF, 3), LAT, LON, precision="admin2", deaths=40),
              event("region", days_before(AS_OF, 3), LAT, LON, precision="admin1", deaths=40)]
    features = build_features(inputs([place("A", LAT, LON), place("B", LAT, LON, admin2_pcode="SD02002")],
                                     events), AS_OF)
    for name in ("violent_events_10km_30d", "deaths_100km_365d", "attacks_10km_90d", "attacks_here_30d"):
        assert column(features, name, "A") == 0
    assert column(features, "admin2_events_90d", "A") == 1        # the admin2 event, in its locality
    assert column(features, "admin2_deaths_365d", "A") == 40
    assert column(features, "admin2_events_90d", "B") == 0        # another locality


def test_front_approach_and_time_since_attack() -> None:
    events = [event("far", days_before(AS_OF, 120), north_of(LAT, 60), LON),
              event("near", days_before(AS_OF, 5), north_of(LAT, 8), LON)]
    features = build_features(inputs([place("A", LAT, LON)], events), AS_OF)
    assert column(features, "front_approach_km", "A") == pytest.approx(52, abs=0.1)
    assert column(features, "days_since_attack_10km", "A") == 5
    assert column(features, "attacks_50km_365d", "A") == 1          # the far one is 60 km off
    assert column(features, "violent_events_100km_365d", "A") == 2


def test_labels_look_at_the_next_h_days_only() -> None:
    events = [event("today", AS_OF, LAT, LON), event("soon", AS_OF + timedelta(days=5), LAT, LON),
              event("later", AS_OF + timedelta(days=20), LAT, LON),
              event("killed_none", AS_OF + timedelta(days=2), north_of(LAT, 30), LON, deaths=0)]
    builder = FeatureBuilder(inputs([place("A", LAT, LON), place("B", north_of(LAT, 30), LON)], events))
    a, b = 0, 1
    assert builder.labels(AS_OF, 7)[a] and not builder.labels(AS_OF, 4)[a]
    assert builder.labels(AS_OF + timedelta(days=5), 30)[a]     # "later"
    assert not builder.labels(AS_OF + timedelta(days=20), 30)[a]
    assert not builder.labels(AS_OF, 30)[b]                      # no death: not atrocity-grade
    # The event dated on the origin is known at the origin, not part of what is forecast.
    assert builder.at(AS_OF)[a, builder.names.index("attacks_here_7d")] == 1


def test_near_events_hit_only_their_linked_place() -> None:
    near = event("near", AS_OF + timedelta(days=3), north_of(LAT, 1), LON, precision="near",
                 linked_place_id="B")
    builder = FeatureBuilder(inputs([place("A", LAT, LON), place("B", north_of(LAT, 15), LON)], [near]))
    assert builder.labels(AS_OF, 7).tolist() == [False, True]


def test_burnings_are_optional_and_count_from_their_first_detection() -> None:
    places = [place("A", LAT, LON), place("B", north_of(LAT, 40), LON)]
    without = build_features(inputs(places, []), AS_OF)
    assert column(without, "burnings_50km_90d", "A") == 0
    burnings = [burning(days_before(AS_OF, 5), north_of(LAT, 3), LON),
                burning(days_before(AS_OF, 5), north_of(LAT, 4), LON, confidence="low"),
                burning(AS_OF, north_of(LAT, 2), LON),                      # known only tomorrow
                burning(AS_OF + timedelta(days=3), north_of(LAT, 40), LON, place_id="B")]
    builder = FeatureBuilder(inputs(places, [], burnings=burnings))
    features = builder.at(AS_OF)
    assert features[0, builder.names.index("burnings_10km_30d")] == 1
    assert features[0, builder.names.index("burnings_50km_30d")] == 1
    assert features[1, builder.names.index("burnings_50km_30d")] == 1
    assert builder.labels(AS_OF, 7).tolist() == [False, True]        # a burning is atrocity-grade
    assert builder.labels(days_before(AS_OF, 6), 7).tolist() == [True, False]


def test_siege_stage_of_the_place_and_its_neighbours_as_of_the_date() -> None:
    places = [place("A", LAT, LON), place("B", north_of(LAT, 30), LON), place("C", north_of(LAT, 80), LON)]
    stages = [{"place_id": "A", "date": days_before(AS_OF, 10), "stage_rank": 3},
              {"place_id": "A", "date": AS_OF + timedelta(days=1), "stage_rank": 5},
              {"place_id": "C", "date": days_before(AS_OF, 400), "stage_rank": 1},
              {"place_id": "C", "date": days_before(AS_OF, 100), "stage_rank": 0}]
    features = build_features(inputs(places, [], stages=stages), AS_OF)
    assert [column(features, "siege_stage", p) for p in "ABC"] == [3, 0, 0]
    assert [column(features, "neighbour_siege_stage", p) for p in "ABC"] == [0, 3, 0]
    later = build_features(inputs(places, [], stages=stages), AS_OF + timedelta(days=1))
    assert column(later, "siege_stage", "A") == 5


# --- no look-ahead ---------------------------------------------------------------------------
CUTOFF = date(2013, 3, 15)


def _after(table: pa.Table, column_name: str, cutoff: date) -> pa.ChunkedArray:
    values = table.column(column_name)
    if pa.types.is_timestamp(values.type):
        values = pc.cast(values, pa.date32())
    return pc.fill_null(pc.greater(values, pa.scalar(cutoff, pa.date32())), False)


def _scramble_after(data: ForecastInputs, cutoff: date) -> ForecastInputs:
    """Delete half and rewrite the other half of every row dated after the cutoff, in every table."""
    rng = np.random.default_rng(3)

    def scramble(table: pa.Table | None, dated: str, numeric: list[str]) -> pa.Table | None:
        if table is None:
            return None
        future = np.asarray(_after(table, dated, cutoff))
        keep = ~future | (rng.random(len(future)) < 0.5)
        table = table.filter(pa.array(keep))
        future = np.asarray(_after(table, dated, cutoff))
        for name in numeric:
            index = table.schema.get_field_index(name)
            values = np.asarray(pc.fill_null(pc.cast(table.column(name), pa.float64()), 0.0))
            changed = np.where(future, values * 3 + 17, values)
            table = table.set_column(index, name, pa.array(changed).cast(table.schema.field(name).type))
        return table

    events = scramble(data.events, "date_end", ["fatalities", "civilian_deaths", "latitude"])
    # Events that began before the cutoff but ended after it are unknown at the cutoff too.
    events = events.set_column(events.schema.get_field_index("category"), "category", pc.if_else(
        _after(events, "date_end", cutoff), pa.scalar("attack_on_civilians"), events.column("category")))
    return ForecastInputs(
        places=data.places, events=events,
        displacement=scramble(data.displacement, "period_end", ["idps"]),
        prices=scramble(data.prices, "date", ["price"]),
        aggregates=scramble(data.aggregates, "month_start", []),
        burnings=scramble(data.burnings, "first_detection", ["latitude"]),
        stages=scramble(data.stages, "date", ["stage_rank"]))


def same(a: pa.Table, b: pa.Table) -> bool:
    """Equal tables, NaN equal to NaN (Arrow's ``equals`` says NaN differs from itself)."""
    if a.schema != b.schema or a.num_rows != b.num_rows:
        return False
    for name in a.column_names:
        x, y = a.column(name), b.column(name)
        if pa.types.is_floating(x.type):
            if not np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True):
                return False
        elif x.to_pylist() != y.to_pylist():
            return False
    return True


@pytest.fixture(scope="module")
def sample_inputs(sample_workspace: Workspace) -> ForecastInputs:
    data = read_inputs(sample_workspace)
    # Hand-made burnings and siege stages around the real places, on both sides of the cutoff.
    places = data.places.slice(0, 400).to_pylist()
    burnings, stages = [], []
    for i, p in enumerate(places[::20]):
        day = CUTOFF + timedelta(days=(i * 37) % 300 - 150)
        burnings.append(burning(day, p["latitude"], p["longitude"], ("high", "medium", "low")[i % 3],
                                place_id=p["place_id"] if i % 2 else None))
        stages.append({"place_id": p["place_id"], "date": day, "stage_rank": i % 6})
    full = ForecastInputs(data.places, data.events, data.displacement, data.prices, data.aggregates,
                          inputs([], [], burnings=burnings).burnings,
                          inputs([], [], stages=stages).stages)
    return full


def test_nothing_after_the_date_changes_the_features(sample_inputs: ForecastInputs) -> None:
    scrambled = _scramble_after(sample_inputs, CUTOFF)
    assert scrambled.events.num_rows < sample_inputs.events.num_rows          # the scramble bites
    before = build_features(sample_inputs, CUTOFF)
    after = build_features(scrambled, CUTOFF)
    assert same(before, after)
    # Control: the same scramble a year earlier does change the features, so the test can fail.
    earlier = build_features(_scramble_after(sample_inputs, date(2012, 3, 15)), CUTOFF)
    assert not same(before, earlier)


def test_nothing_after_the_date_changes_the_forecast(sample_inputs: ForecastInputs) -> None:
    before = forecast(sample_inputs, CUTOFF, 30, top=25)
    after = forecast(_scramble_after(sample_inputs, CUTOFF), CUTOFF, 30, top=25)
    assert before.num_rows == 25
    assert same(before, after)


def test_features_do_not_use_duckdbs_shared_connection() -> None:
    import duckdb

    duckdb.execute("SELECT 42")     # another caller's result, left unfetched on the default connection
    try:
        features = build_features(inputs([place("A", LAT, LON)], []), AS_OF)
        assert features.num_rows == 1
    finally:
        duckdb.execute("SELECT 1").fetchall()


def test_nearest_recent_violence_has_a_distance_direction_and_age() -> None:
    from tocsin.analysis.reasons import where_violence

    events = [event("north", days_before(AS_OF, 3), north_of(LAT, 20), LON, category="battle"),
              event("east", days_before(AS_OF, 1), LAT, LON + 0.5, category="battle"),
              event("old", days_before(AS_OF, 40), north_of(LAT, 2), LON, category="battle")]
    builder = FeatureBuilder(inputs([place("A", LAT, LON), place("far", LAT + 5, LON)], events))
    near, far = builder.nearest_violence(AS_OF, np.array([0, 1]))
    assert far is None
    assert near is not None and near[0] == pytest.approx(20, abs=0.1) and near[2] == 3
    assert where_violence(near) == ("violence 20 km to the north, 3 days ago",
                                    "عنف على بعد 20 كم إلى الشمال، قبل 3 أيام")
    east = builder.nearest_violence(AS_OF, np.array([0]), days=2)[0]
    assert where_violence(east, 2)[0] == "violence 54 km to the east, yesterday"
    assert where_violence(None)[0] == "no violence within 100 km in the last 30 days"
