"""Benchmark: siege stages for every town, city and camp of Sudan, every day of a year, against a
plain per-town Python loop over the same data, in the same run.

    .venv/bin/python bench/siege.py [--events 20000] [--year 2023] [--rounds 2]

Data: the real files in ../shared/data (COD-AB, GeoNames, OSM places, DTM sites, UCDP GED, DTM,
WFP prices) ingested once into bench/out/siege-ws; UCDP's 2023 events are resampled (jittered by
up to ~5 km and 3 days) up to --events, ACLED's volume for Sudan, and kept in bench/out/. Each
contender runs in its own process, so its peak memory is its own; ratios are taken round by
round and the median reported. The loop must give the same stages as the vectorised code: the
number of rows that differ is printed (it should be 0).

The loop re-implements the event signals (ring, sides, inside, linked, with the place hierarchy:
a sub-place's events count for its town; a mass killing only after a battle) and the memory
stages (fallen, outcome_unrecorded) place by place and day by day in plain Python; market, DTM,
connectivity and burning items are per market or locality, not per town, and it takes them from
tocsin.analysis.siege as they are.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness import DATA, OUT, ROOT, SUDAN_FILES, measure

WORKSPACE = OUT / "siege-ws"


def prepare(n_events: int, year: int) -> Path:
    """Parquet inputs in bench/out (made once): the lake's tables, events resampled to n."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    folder = OUT / f"siege-inputs-{year}-{n_events}"
    if (folder / "events.parquet").exists():
        return folder
    tocsin = str(Path(sys.executable).with_name("tocsin"))
    if not (WORKSPACE / "lake" / "_manifest.json").exists():
        print("ingesting the real data into bench/out/siege-ws (once) ...", flush=True)
        for kind, name in SUDAN_FILES:
            subprocess.run([tocsin, "--home", str(WORKSPACE), "ingest", kind, str(DATA / name)],
                           check=True, stdout=subprocess.DEVNULL)
    sys.path.insert(0, str(ROOT / "src"))
    from tocsin.siege_watch import load_inputs
    from tocsin.workspace import Workspace

    inputs = load_inputs(Workspace(WORKSPACE))
    events = inputs.events
    in_year = pc.equal(pc.year(events.column("date_end")), year)
    real = events.filter(in_year)
    rng = np.random.default_rng(20231)
    picks = rng.integers(0, real.num_rows, n_events)
    sample = real.take(pa.array(picks))
    shift = rng.integers(-3, 4, n_events)
    start = pc.cast(sample.column("date_start"), pa.int32()).to_numpy() + shift
    end = pc.cast(sample.column("date_end"), pa.int32()).to_numpy() + shift
    lat = sample.column("latitude").to_numpy(zero_copy_only=False) + rng.uniform(-0.045, 0.045, n_events)
    lon = sample.column("longitude").to_numpy(zero_copy_only=False) + rng.uniform(-0.045, 0.045, n_events)
    # Jittered points keep their link only while the original was exact/near-linked; the
    # benchmark is about speed, and both contenders read the same rows.
    sample = (sample.set_column(sample.schema.get_field_index("event_uid"), "event_uid",
                                pa.array([f"bench:{i}" for i in range(n_events)]))
              .set_column(sample.schema.get_field_index("date_start"), "date_start",
                          pa.array(start.astype(np.int32)).cast(pa.date32()))
              .set_column(sample.schema.get_field_index("date_end"), "date_end",
                          pa.array(end.astype(np.int32)).cast(pa.date32()))
              .set_column(sample.schema.get_field_index("latitude"), "latitude", pa.array(lat))
              .set_column(sample.schema.get_field_index("longitude"), "longitude", pa.array(lon)))
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in (("places", inputs.places), ("prices", inputs.prices),
                        ("displacement", inputs.displacement), ("events", sample)):
        pq.write_table(table, folder / f"{name}.parquet")
    return folder


# -- the contenders (run in child processes) -------------------------------------------------------
def load(folder: Path) -> dict:
    import pyarrow.parquet as pq

    return {name: pq.read_table(folder / f"{name}.parquet")
            for name in ("places", "events", "prices", "displacement")}


def run_vectorised(folder: Path, year: int, evidence: bool) -> dict:
    from tocsin.analysis.siege import siege_stages

    data = load(folder)
    start = time.perf_counter()
    table = siege_stages(data["places"], data["events"], dt.date(year, 1, 1), dt.date(year, 12, 31),
                         prices=data["prices"], displacement=data["displacement"], evidence=evidence)
    seconds = time.perf_counter() - start
    stages = list(zip(table.column("place_id").to_pylist(), table.column("date").to_pylist(),
                      table.column("stage_rank").to_pylist(), strict=True))
    return {"seconds": seconds, "rows": table.num_rows, "stages": _digest(stages),
            "past_calm": sum(1 for s in stages if s[2] > 0),
            "evidence_rows": sum(len(e) for e in table.column("evidence").to_pylist())}


def run_loop(folder: Path, year: int) -> dict:
    """The same rules, one place at a time, one day at a time, in plain Python."""
    from tocsin.analysis import siege as S

    data = load(folder)
    rules = S.default_rules()
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    start = time.perf_counter()
    places = S._Places.of(data["places"], rules.place_classes)
    ev = data["events"].to_pylist()
    # Per-market / per-locality items, shared (see the module docstring).
    shared: dict[str, list[tuple[int, int, float]]] = {}
    series = S._displacement_series(data["displacement"])
    for sig in rules.signals:
        if sig.kind in ("price_spike", "displacement", "outage", "burnings"):
            items = S._items_for(sig, None, {"prices": data["prices"]}, places, rules, series)  # type: ignore[arg-type]
            shared[sig.name] = list(zip(items.place.tolist(), items.day.tolist(),
                                        items.value.tolist(), strict=True))
    epoch = dt.date(1970, 1, 1)
    day0, day1 = (first - epoch).days, (last - epoch).days
    lookback = rules.lookback_days()
    # Which tracked places each event counts for (itself and its ancestors).
    counts_for = [set(places.targets(e["place_id"])) for e in ev]
    results = []
    for p, pid in enumerate(places.ids):
        plat, plon, radius = float(places.lat[p]), float(places.lon[p]), float(places.radius[p])
        items: dict[str, list[tuple]] = {s.name: [] for s in rules.signals}
        battles: list[int] = []
        reach = rules.ring_km / 111.32 / math.cos(math.radians(abs(plat) + 1))  # degrees, generous
        for n, e in enumerate(ev):
            lat, lon = e["latitude"], e["longitude"]
            # What anyone writing this loop would do first: skip events far outside the ring
            # (events linked to the place are kept whatever their point).
            linked_here = p in counts_for[n]
            if not linked_here and (lat is None or lon is None or abs(lat - plat) > reach
                                    or abs(lon - plon) > reach):
                continue
            cat, prec = e["category"], e["location_precision"]
            known = (e["date_end"] - epoch).days
            exact_here = linked_here and e["link_level"] == "exact"
            near_here = linked_here and e["link_level"] in ("exact", "near")
            km = bearing = None
            if prec in ("exact", "near") and e["latitude"] is not None and e["longitude"] is not None:
                km = _haversine(plat, plon, e["latitude"], e["longitude"])
                bearing = _bearing(plat, plon, e["latitude"], e["longitude"])
            for sig in rules.signals:
                cats = S._categories(sig, rules)
                if cat not in cats:
                    continue
                value = float(e["fatalities"] or 0) if "min_fatalities" in sig.params else 1.0
                if sig.kind == "ring_events" and km is not None and km <= rules.ring_km:
                    if sig.get("include_inside") or not exact_here:
                        items[sig.name].append((known, value, -1))
                elif sig.kind == "ring_sectors" and km is not None and km <= rules.ring_km:
                    if not exact_here and km > radius:
                        n = int(sig.get("sectors", 8))
                        items[sig.name].append((known, value, int(bearing // (360.0 / n)) % n))
                elif (sig.kind == "inside_events" and exact_here) or (
                        sig.kind == "linked_events" and near_here):
                    items[sig.name].append((known, value, -1, e["actor1"] or ""))
            if near_here and cat == "battle":
                battles.append(known)
        for name, rows in shared.items():
            items[name] = [(d, v, -1) for q, d, v in rows if q == p]

        def holds(sig, day, items=items, battles=battles) -> bool:  # type: ignore[no-untyped-def]
            inside = [(r[1], r[2]) for r in items[sig.name] if day - sig.window_days < r[0] <= day]
            after = sig.get("after_battle_days")
            if after is not None and not any(day - after <= d <= day for d in battles):
                return False
            if sig.kind == "ring_sectors":
                return len({s for _, s in inside}) >= int(sig.get("min_sectors", 3))
            total = sum(v for v, _ in inside)
            if "min_fatalities" in sig.params:
                return total >= float(sig.get("min_fatalities")) - 1e-9 and total > 0
            return total >= float(sig.get("min_events", 1)) - 1e-9

        first_day = day0 - lookback
        # Like the vectorised code, nothing known before the first day computed counts.
        for name in items:
            items[name] = [r for r in items[name] if r[0] >= first_day]
        battles[:] = [d for d in battles if d >= first_day]
        raw = {st.name: {} for st in rules.stages}
        for day in range(first_day, day1 + 1):
            for st in rules.stages:
                raw[st.name][day] = any(holds(sig, day) for sig in st.signals)
        ranks = {}
        for day in range(first_day, day1 + 1):
            rank = 0
            for st in rules.stages:
                ok = raw[st.name][day]
                if ok and st.requires:
                    needed, days = st.requires
                    ok = any(raw[needed].get(d, False) for d in range(day - days + 1, day + 1))
                if ok:
                    rank = st.rank
            ranks[day] = rank
        for day, rank in _remembered(ranks, items, rules):
            if day >= day0:
                results.append((pid, epoch + dt.timedelta(days=day), rank))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(results), "stages": _digest(results),
            "past_calm": sum(1 for r in results if r[2] > 0), "list": results}


def _remembered(ranks: dict[int, int], items: dict[str, list[tuple]], rules):  # type: ignore[no-untyped-def]
    """The memory stages, day by day: a fall from the first overrun day (held by the actor of
    its largest item), outcome_unrecorded for the days after an assault."""
    from tocsin.analysis import siege as S

    over_r, fallen_r = S.STAGE_RANK["overrun"], S.STAGE_RANK["fallen"]
    assault_r, unrec_r = S.STAGE_RANK["under_assault"], S.STAGE_RANK["outcome_unrecorded"]
    remember = rules.memory["remember_falls_days"]
    unrec_days = rules.memory["outcome_unrecorded_days"]
    overrun = [sig for st in rules.stages if st.name == "overrun" for sig in st.signals]
    holder, fall_day, last_assault, previous_over = None, None, None, False
    for day in sorted(ranks):
        rank = ranks[day]
        over = rank == over_r
        if fall_day is not None and day - fall_day > remember:
            holder, fall_day = None, None
        if over and not previous_over:
            best = None
            for sig in overrun:
                for row in items[sig.name]:
                    if day - sig.window_days < row[0] <= day and (best is None or row[1] > best[1]):
                        best = row
            actor = (best[3] or None) if best is not None and len(best) > 3 else None
            if not (fall_day is not None and holder is not None and actor in (None, holder)):
                holder, fall_day = actor, day
        previous_over = over
        if rank >= assault_r:
            last_assault = day
        out = rank
        if fall_day is not None:
            if not over:
                out = fallen_r
        elif rank < unrec_r and last_assault is not None and day - last_assault <= unrec_days:
            out = unrec_r
        yield day, out


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def _bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0


def _digest(rows: list) -> str:  # type: ignore[type-arg]
    text = repr(sorted((str(a), str(b), int(c)) for a, b, c in rows))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- the harness ---------------------------------------------------------------------------------
def child(argv: list[str]) -> tuple[float, float, dict]:
    """Wall seconds, peak resident MB and the JSON the child printed."""
    wall, peak, out = measure(argv)
    return wall, peak, json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", choices=["vectorised", "vectorised-evidence", "loop"])
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.child:
        folder = Path(args.folder)
        if args.child == "loop":
            result = run_loop(folder, args.year)
            result.pop("list")
        else:
            result = run_vectorised(folder, args.year, evidence=args.child == "vectorised-evidence")
        print(json.dumps(result))
        return

    folder = prepare(args.events, args.year)
    import pyarrow.parquet as pq

    meta = {n: pq.read_metadata(folder / f"{n}.parquet").num_rows for n in ("places", "events")}
    print(f"inputs: {meta['events']:,} events ({args.year}, resampled from UCDP GED), "
          f"{meta['places']:,} gazetteer places, real WFP prices and DTM rounds")
    contenders = ["vectorised", "vectorised-evidence", "loop"]
    times: dict[str, list[float]] = {c: [] for c in contenders}
    peaks = dict.fromkeys(contenders, 0.0)
    results: dict[str, dict] = {}
    ratios: list[float] = []
    for round_ in range(1, args.rounds + 1):
        for name in contenders:
            _, peak, result = child([sys.executable, __file__, "--child", name, "--folder", str(folder),
                                     "--year", str(args.year)])
            times[name].append(result["seconds"])
            peaks[name] = max(peaks[name], peak)
            results[name] = result
        ratios.append(times["loop"][-1] / times["vectorised"][-1])
        print(f"round {round_}: " + ", ".join(f"{n} {times[n][-1]:.2f} s" for n in contenders)
              + f"; loop / vectorised {ratios[-1]:.1f}x", flush=True)
    v, loop = results["vectorised"], results["loop"]
    print(f"\nplaces x days: {v['rows']:,} rows ({v['past_calm']:,} past calm); "
          f"evidence rows: {results['vectorised-evidence']['evidence_rows']:,}")
    print(f"same stages in both: {'yes' if v['stages'] == loop['stages'] else 'NO'} "
          f"(digests {v['stages']} / {loop['stages']})")
    for name in contenders:
        print(f"{name:<22} median {statistics.median(times[name]):7.2f} s   peak {peaks[name]:6.0f} MB")
    print(f"loop / vectorised (median of rounds): {statistics.median(ratios):.1f}x")


if __name__ == "__main__":
    main()
