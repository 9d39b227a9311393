"""The siege stages on small hand-made inputs: each stage, its evidence, and its limits."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from siege_support import (
    CITY,
    TOWN,
    VILLAGE,
    burnings,
    connectivity,
    displacement,
    event,
    places,
    prices,
    run,
    stage_on,
)

from tocsin.analysis.siege import STAGES, STAGES_SCHEMA, default_rules, escalations, stage_changes

D = dt.date(2023, 6, 1)


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def test_calm_without_events_and_one_row_per_place_and_day() -> None:
    table = run([], day(0), day(9))
    assert table.schema == STAGES_SCHEMA
    # The village is not a tracked class by default; the town and the city are, every day.
    assert sorted(set(table.column("place_id").to_pylist())) == ["p-city", "p-town"]
    assert table.num_rows == 2 * 10
    assert set(table.column("stage").to_pylist()) == {"calm"}
    assert set(table.column("stage_rank").to_pylist()) == {0}


def test_fighting_within_the_ring_threatens_and_then_fades() -> None:
    table = run([event(day(2), km=25, bearing=90)], day(0), day(20))
    assert stage_on(table, "p-town", day(1)) == "calm"  # nothing before the event: no look-ahead
    assert stage_on(table, "p-town", day(2)) == "threatened"
    assert stage_on(table, "p-town", day(15)) == "threatened"  # 14-day window: days 2..15
    assert stage_on(table, "p-town", day(16)) == "calm"
    assert stage_on(table, "p-city", day(2)) == "calm"  # 600 km away
    row = next(r for r in table.to_pylist() if r["place_id"] == "p-town" and r["date"] == day(2))
    assert row["evidence"][0]["signal"] == "armed_activity_nearby"
    assert "25 km E" in row["evidence"][0]["detail"]


def test_fighting_beyond_the_ring_is_not_a_threat() -> None:
    table = run([event(day(2), km=45, bearing=0)], day(0), day(5))
    assert set(table.column("stage").to_pylist()) == {"calm"}


@pytest.mark.parametrize("precision", ["admin2", "admin1", "country"])
def test_events_placed_only_to_an_area_never_touch_a_town(precision: str) -> None:
    # An admin-level event's point is an area centroid: even right on the town it says nothing
    # about fighting next to the town.
    table = run([event(day(1), precision=precision, fatalities=50, linked=None),
                 event(day(1), "attack_on_civilians", precision=precision, fatalities=200,
                       linked=None)], day(0), day(3))
    assert set(table.column("stage").to_pylist()) == {"calm"}


def test_activity_on_three_sides_encircles() -> None:
    sides = [event(day(1), km=20, bearing=0), event(day(3), km=15, bearing=120),
             event(day(5), km=30, bearing=240)]
    table = run(sides, day(0), day(8))
    assert stage_on(table, "p-town", day(3)) == "threatened"  # two sides
    assert stage_on(table, "p-town", day(5)) == "encircled"
    row = next(r for r in table.to_pylist() if r["place_id"] == "p-town" and r["date"] == day(5))
    assert {e["ref"] for e in row["evidence"]} == {e["event_uid"] for e in sides}


def test_attacks_inside_the_town_are_an_assault() -> None:
    table = run([event(day(3), "attack_on_civilians", km=1, fatalities=5)], day(0), day(5))
    assert stage_on(table, "p-town", day(3)) == "under_assault"
    two = run([event(day(2), "looting_destruction", km=1), event(day(3), "abduction", km=1)],
              day(0), day(5))
    assert stage_on(two, "p-town", day(2)) == "threatened"
    assert stage_on(two, "p-town", day(3)) == "under_assault"


def test_one_death_at_a_protest_is_not_an_assault() -> None:
    # Omdurman, 9 February 2023: one protester killed (UCDP one-sided violence, exact).
    table = run([event(day(3), "attack_on_civilians", km=1, fatalities=1)], day(0), day(5))
    assert stage_on(table, "p-town", day(3)) == "threatened"


def test_killings_near_the_town_count_at_it() -> None:
    # UCDP "near" precision: the event is linked to the town at level near.
    near = event(day(3), "attack_on_civilians", km=1, fatalities=30, precision="near")
    table = run([near], day(0), day(5))
    assert stage_on(table, "p-town", day(3)) == "under_assault"


def test_events_on_a_sub_place_count_for_its_town() -> None:
    # A hamlet inside the town (the gazetteer's parent_id): its killings are the town's.
    hamlet = dict(VILLAGE, place_id="p-hamlet", latitude=13.01, longitude=25.01)
    table_places = places(TOWN, CITY, hamlet).append_column(
        "parent_id", pa.array([None, None, "p-town"], pa.string()))
    killing = event(day(3), "attack_on_civilians", at=hamlet, km=0, fatalities=8)
    table = run([killing], day(0), day(5), places=table_places)
    assert stage_on(table, "p-town", day(3)) == "under_assault"
    # Without the hierarchy the hamlet is just a point 1.5 km away: a threat, not an assault.
    flat = run([killing], day(0), day(5), places=places(TOWN, CITY, hamlet))
    assert stage_on(flat, "p-town", day(3)) == "threatened"


def test_small_battles_inside_do_not_make_an_assault_but_a_deadly_one_does() -> None:
    small = run([event(day(3), km=1, fatalities=2)], day(0), day(5))
    assert stage_on(small, "p-town", day(3)) == "threatened"
    deadly = run([event(day(3), km=1, fatalities=6), event(day(4), km=2, fatalities=6)], day(0), day(5))
    assert stage_on(deadly, "p-town", day(3)) == "threatened"
    assert stage_on(deadly, "p-town", day(4)) == "under_assault"  # 12 killed in the window


def test_an_event_counts_from_its_last_possible_day() -> None:
    # Known only as "some day in June": it cannot have been known before June 30.
    month = event(day(0), "attack_on_civilians", km=1, end=day(29), fatalities=5)
    table = run([month], day(0), day(30))
    assert stage_on(table, "p-town", day(28)) == "calm"
    assert stage_on(table, "p-town", day(29)) == "under_assault"


def test_price_spike_cuts_off_only_a_threatened_town() -> None:
    history = [(dt.date(2023, m, 15), c, 100.0) for m in (1, 2, 3, 4) for c in ("Sorghum", "Millet")]
    spike = [(dt.date(2023, 5, 15), "Sorghum", 190.0), (dt.date(2023, 5, 15), "Millet", 170.0)]
    market = prices(history + spike)
    known = dt.date(2023, 6, 4)  # 15 May + 20 days publication lag
    calm = run([], dt.date(2023, 6, 1), dt.date(2023, 6, 10), prices=market)
    assert set(calm.column("stage").to_pylist()) == {"calm"}
    threat = [event(dt.date(2023, 5, 28), km=30)]
    table = run(threat, dt.date(2023, 6, 1), dt.date(2023, 6, 10), prices=market)
    assert stage_on(table, "p-town", known - dt.timedelta(days=1)) == "threatened"
    assert stage_on(table, "p-town", known) == "cut_off"
    row = next(r for r in table.to_pylist() if r["place_id"] == "p-town" and r["date"] == known)
    assert row["evidence"][0]["kind"] == "price"
    assert "1.9x" in row["evidence"][0]["detail"] and row["evidence"][0]["date"] == dt.date(2023, 5, 15)


def test_one_commodity_spiking_is_not_enough() -> None:
    history = [(dt.date(2023, m, 15), c, 100.0) for m in (1, 2, 3, 4) for c in ("Sorghum", "Millet")]
    market = prices([*history, (dt.date(2023, 5, 15), "Sorghum", 300.0),
                     (dt.date(2023, 5, 15), "Millet", 105.0)])
    table = run([event(dt.date(2023, 5, 28), km=30)], dt.date(2023, 6, 1), dt.date(2023, 6, 10),
                prices=market)
    assert "cut_off" not in table.column("stage").to_pylist()


def test_internet_outage_in_the_state_cuts_off() -> None:
    normal = [(dt.date(2023, 5, d), "bgp", 100.0) for d in range(20, 32)]
    outage = [(dt.date(2023, 6, 1), "bgp", 20.0), (dt.date(2023, 6, 2), "bgp", 100.0)]
    signals = connectivity(normal + outage)
    table = run([event(dt.date(2023, 5, 30), km=30)], dt.date(2023, 5, 31), dt.date(2023, 6, 6),
                connectivity=signals)
    assert stage_on(table, "p-town", dt.date(2023, 5, 31)) == "threatened"
    assert stage_on(table, "p-town", dt.date(2023, 6, 1)) == "cut_off"
    assert stage_on(table, "p-town", dt.date(2023, 6, 3)) == "cut_off"  # 3-day window
    assert stage_on(table, "p-town", dt.date(2023, 6, 4)) == "threatened"
    assert stage_on(table, "p-city", dt.date(2023, 6, 1)) == "calm"  # another state


def test_displacement_surge_is_not_a_fall() -> None:
    rounds = displacement([(dt.date(2023, 5, 1), 20_000), (dt.date(2023, 5, 20), 35_000),
                           (dt.date(2023, 6, 10), 120_000)])
    threat = [event(dt.date(2023, 5, 20), km=30), event(dt.date(2023, 6, 10), km=2, fatalities=20)]
    table = run(threat, dt.date(2023, 5, 20), dt.date(2023, 6, 30), displacement=rounds)
    assert stage_on(table, "p-town", dt.date(2023, 5, 26)) == "threatened"
    assert stage_on(table, "p-town", dt.date(2023, 5, 27)) == "cut_off"  # +75%, known 7 days on
    # People arriving in the locality say nothing of who holds the town: after the assault of
    # 10 June the outcome is unrecorded, not "overrun" (Nyala, September 2023).
    assert stage_on(table, "p-town", dt.date(2023, 6, 10)) == "under_assault"
    assert stage_on(table, "p-town", dt.date(2023, 6, 30)) == "outcome_unrecorded"
    row = next(r for r in table.to_pylist() if r["place_id"] == "p-town"
               and r["date"] == dt.date(2023, 6, 17))
    assert row["idps_in_locality"] == 120_000
    assert row["exposed"] == 50_000 + 120_000


def test_a_mass_outflow_is_a_signal() -> None:
    # A locality losing most of its displaced in one round (a camp emptied by an attack).
    rounds = displacement([(dt.date(2023, 5, 1), 80_000), (dt.date(2023, 5, 20), 20_000)])
    known = dt.date(2023, 5, 27)
    table = run([event(dt.date(2023, 5, 20), km=30)], known, known, displacement=rounds)
    row = next(r for r in table.to_pylist() if r["place_id"] == "p-town")
    assert row["stage"] == "cut_off" and "displacement_outflow" in row["signals"]
    assert "-75%" in row["evidence"][0]["detail"]


def test_burnings_assault_and_mass_burning_overruns() -> None:
    fires = burnings([(day(2), day(3), 5, 0.7), (day(10), day(11), 40, 0.95)])
    table = run([], day(0), day(14), burnings=fires)
    assert stage_on(table, "p-town", day(2)) == "calm"  # known once its last detection is in
    assert stage_on(table, "p-town", day(3)) == "under_assault"
    assert stage_on(table, "p-town", day(11)) == "overrun"
    row = next(r for r in table.to_pylist() if r["place_id"] == "p-town" and r["date"] == day(11))
    assert [e["kind"] for e in row["evidence"]] == ["burning"]
    assert "40 fire detections" in row["evidence"][0]["detail"]


def test_displacement_alone_is_not_a_siege() -> None:
    # `requires`: cut off needs a threat in the month before.
    rounds = displacement([(dt.date(2023, 5, 1), 20_000), (dt.date(2023, 5, 20), 120_000)])
    known = dt.date(2023, 5, 27)
    nothing = run([], known, known, displacement=rounds)
    assert stage_on(nothing, "p-town", known) == "calm"
    threat = run([event(dt.date(2023, 5, 20), km=30)], known, known, displacement=rounds)
    assert stage_on(threat, "p-town", known) == "cut_off"
    row = threat.to_pylist()[0] if threat.to_pylist()[0]["place_id"] == "p-town" else threat.to_pylist()[1]
    assert "displacement_surge" in row["signals"]


def test_control_taken_after_an_assault_is_overrun() -> None:
    evs = [event(day(1), "attack_on_civilians", km=1, fatalities=10),
           event(day(4), "territory_change", km=1)]
    table = run(evs, day(0), day(6))
    assert stage_on(table, "p-town", day(3)) == "under_assault"
    assert stage_on(table, "p-town", day(4)) == "overrun"


def test_place_classes_are_configurable() -> None:
    rules = default_rules()
    from dataclasses import replace

    table = run([event(day(1), "attack_on_civilians", at=VILLAGE, km=0.5, fatalities=5)], day(0), day(2),
                rules=replace(rules, place_classes=("village",)))
    assert set(table.column("place_id").to_pylist()) == {"p-village"}
    assert stage_on(table, "p-village", day(1)) == "under_assault"


def test_without_evidence_the_stages_are_the_same() -> None:
    evs = [event(day(1), km=20, bearing=0), event(day(3), "attack_on_civilians", km=1)]
    full = run(evs, day(0), day(10))
    bare = run(evs, day(0), day(10), evidence=False)
    assert full.column("stage").to_pylist() == bare.column("stage").to_pylist()
    assert all(len(e) == 0 for e in bare.column("evidence").to_pylist())
    assert any(len(e) > 0 for e in full.column("evidence").to_pylist())


def test_stage_changes_and_escalations() -> None:
    evs = [event(day(1), km=20), event(day(20), km=20),
           event(day(40), "attack_on_civilians", km=1, fatalities=5)]
    table = run(evs, day(0), day(160))
    town = table.filter(pa.compute.equal(table.column("place_id"), "p-town"))
    changes = [(r["date"], STAGES[r["previous_rank"]], r["stage"]) for r in stage_changes(town).to_pylist()]
    # After the assault the town is not calm again for 90 days: nothing says what became of it.
    assert changes == [(day(1), "calm", "threatened"), (day(15), "threatened", "calm"),
                       (day(20), "calm", "threatened"), (day(34), "threatened", "calm"),
                       (day(40), "calm", "under_assault"),
                       (day(54), "under_assault", "outcome_unrecorded"),
                       (day(54 + 90), "outcome_unrecorded", "calm")]
    # The return to threatened on day 20 is within 14 days of the last threat: no new escalation.
    ups = [(r["date"], r["stage"]) for r in escalations(town, quiet_days=14).to_pylist()]
    assert ups == [(day(1), "threatened"), (day(40), "under_assault")]
    assert len(escalations(town, quiet_days=0)) == 3


def test_unnamed_and_unplaced_places_are_skipped() -> None:
    nameless = dict(TOWN, place_id="p-x", name="")
    nowhere = dict(CITY, place_id="p-y", latitude=None)
    table = run([], day(0), day(1), places=places(TOWN, nameless, nowhere))
    assert set(table.column("place_id").to_pylist()) == {"p-town"}


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError, match="before start"):
        run([], day(5), day(1))


def control(*rows: tuple[str, dt.date, str, str | None]) -> pa.Table:
    from tocsin.analysis.siege import CONTROL_SCHEMA

    return pa.Table.from_pylist([{"record_id": str(i), "place_id": p, "date": d, "kind": k,
                                  "actor": a, "source_url": "https://example.org/report",
                                  "note": None} for i, (p, d, k, a) in enumerate(rows, 1)],
                                schema=CONTROL_SCHEMA)


def test_a_recorded_fall_is_remembered_until_a_return() -> None:
    fights = [event(day(1), km=1, fatalities=40)]
    changes = control(("p-town", day(3), "fell", "RSF"), ("p-town", day(200), "returned", None))
    table = run(fights, day(0), day(210), control=changes)
    assert stage_on(table, "p-town", day(2)) == "under_assault"
    for d in (day(3), day(30), day(199)):  # long after the fighting stopped
        assert stage_on(table, "p-town", d) == "fallen"
    row = next(r for r in table.to_pylist() if r["place_id"] == "p-town" and r["date"] == day(100))
    assert row["held_by"] == "RSF" and row["fell_on"] == day(3)
    assert row["evidence"][0]["kind"] == "control"
    assert row["evidence"][0]["ref"] == "records:control_changes:1"
    assert "https://example.org/report" in row["evidence"][0]["detail"]
    assert stage_on(table, "p-town", day(200)) == "calm"  # the return is evidence
    # Before the day of the fall, the record changes nothing (as-of discipline).
    early = run(fights, day(0), day(2), control=changes)
    assert stage_on(early, "p-town", day(2)) == "under_assault"


def test_a_fall_on_a_sub_place_counts_for_the_town() -> None:
    camp = dict(VILLAGE, place_id="p-camp", place_class="camp", latitude=13.02, longitude=25.02)
    table_places = places(TOWN, CITY, camp).append_column(
        "parent_id", pa.array([None, None, "p-town"], pa.string()))
    table = run([], day(0), day(5), places=table_places,
                control=control(("p-camp", day(2), "fell", "RSF")))
    assert stage_on(table, "p-town", day(2)) == "fallen"
    assert stage_on(table, "p-camp", day(2)) == "fallen"


def test_a_mass_killing_after_a_battle_overruns_without_an_assault_first() -> None:
    # The same day: a battle, and the attacker's killing of 60 in the town (El Geneina,
    # 15 June 2023). No assault recorded before; the town is then remembered as fallen.
    evs = [event(day(5), km=1, fatalities=3, precision="near"),
           event(day(5), "attack_on_civilians", km=1, fatalities=60, precision="near")]
    table = run(evs, day(0), day(60))
    assert stage_on(table, "p-town", day(4)) == "threatened" or stage_on(table, "p-town", day(4)) == "calm"
    assert stage_on(table, "p-town", day(5)) == "overrun"
    row = next(r for r in table.to_pylist() if r["place_id"] == "p-town" and r["date"] == day(40))
    assert row["stage"] == "fallen" and row["held_by"] == "RSF" and row["fell_on"] == day(5)
    # A mass killing with no battle there is an assault, not a change of control.
    alone = run([evs[1]], day(0), day(10))
    assert stage_on(alone, "p-town", day(5)) == "under_assault"


def test_territory_change_needs_no_assault_first() -> None:
    table = run([event(day(4), "territory_change", km=1)], day(0), day(6))
    assert stage_on(table, "p-town", day(3)) == "calm"
    assert stage_on(table, "p-town", day(4)) == "overrun"


def test_a_recapture_in_the_events_changes_who_holds_the_town() -> None:
    # ACLED: "Non-state actor overtakes territory", then "Government regains territory".
    taken = event(day(2), "territory_change", km=1)
    retaken = dict(event(day(60), "territory_change", km=1), actor1="SAF", actor2="RSF")
    table = run([taken, retaken], day(0), day(100))
    held = {r["date"]: r["held_by"] for r in table.to_pylist() if r["place_id"] == "p-town"
            and r["stage"] == "fallen"}
    assert held[day(40)] == "RSF" and held[day(95)] == "SAF"


def test_two_dtm_series_are_never_compared() -> None:
    # IOM's weekly rounds and its monthly series count differently (Nyala locality, 2023: weekly
    # 77,400 on 29 Nov, monthly 142,400 on 30 Nov). Each round is compared with its own series.
    weekly = displacement([(dt.date(2023, 5, 1), 20_000), (dt.date(2023, 5, 20), 21_000)])
    monthly = displacement([(dt.date(2023, 4, 30), 60_000), (dt.date(2023, 5, 31), 61_000)])
    monthly = monthly.set_column(monthly.schema.get_field_index("operation"), "operation",
                                 pa.array(["Armed Clashes (Monthly)"] * 2))
    both = pa.concat_tables([weekly, monthly])
    threat = [event(dt.date(2023, 5, 25), km=30)]
    table = run(threat, dt.date(2023, 6, 1), dt.date(2023, 6, 10), displacement=both)
    town = [r for r in table.to_pylist() if r["place_id"] == "p-town"]
    assert all("displacement_surge" not in r["signals"] and "displacement_outflow" not in r["signals"]
               for r in town)
