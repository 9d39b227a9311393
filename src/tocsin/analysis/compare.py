"""Tocsin against the peers, on the peers' own units, months and metrics.

For each peer forecast held in the lake (``external_forecasts``: ViEWS PRIO-GRID and country
months, ACLED CAST admin1 months), Tocsin makes its own forecast for the same unit and month
*as of the peer's publication* (features from events known before that day, models trained on
months that had ended by it), and both are scored on what the events table says happened. A
peer forecast is scored only for months it was published for and whose outcome the data covers
in full (up to ``data_through``). Publication: ViEWS files say nothing of it, so a file's
(batch's) first forecast month is taken as published on its first day, its lead 1 (ViEWS
forecasts from the month after its data ends); CAST rows carry their ``timestamp``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tocsin.analysis.evaluation.peers import Contender, score_side_by_side
from tocsin.analysis.inputs import ForecastInputs
from tocsin.analysis.timeaxis import to_day
from tocsin.analysis.units import (
    ONSET_DEATHS,
    TARGETS,
    UnitForecaster,
    UnitParams,
    build_panel,
    month_index,
    month_start,
)
from tocsin.i18n import Clauses, Said

PEERS = {"views": ("views", ("priogrid-month", "country-month")),
         "cast": ("acled-cast", ("admin1-month",))}
CAST_FIELDS = {"total": "total_forecast", "battles": "battles_forecast", "erv": "erv_forecast",
               "vac": "vac_forecast"}


class CompareError(ValueError):
    """Nothing can be compared (no overlapping months, no peer forecasts)."""


@dataclass
class Comparison:
    against: str
    rows: list[dict[str, object]] = field(default_factory=list)   # one per level/target/lead/model
    notes: list[str] = field(default_factory=list)

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows)


def _published(peer: pa.Table) -> list[date]:
    """Per row: the day the row's forecast was published (see module doc)."""
    months = peer.column("month_start").to_pylist()
    batches = peer.column("batch_id").to_pylist() if "batch_id" in peer.column_names else [""] * len(months)
    attributes = peer.column("attributes").to_pylist()
    first: dict[str, date] = {}
    for b, m in zip(batches, months, strict=True):
        first[b] = min(first.get(b, m), m)
    out = []
    for b, attrs in zip(batches, attributes, strict=True):
        stamp = json.loads(attrs).get("timestamp") if attrs else None
        day = first[b]
        if stamp and str(stamp).strip().isdigit():
            from datetime import UTC, datetime

            day = datetime.fromtimestamp(int(stamp), UTC).date()
        out.append(day)
    return out


def _peer_values(peer: pa.Table, level: str, target: str) -> tuple[np.ndarray, np.ndarray | None]:
    if level.startswith(("priogrid", "country")):
        expected = np.asarray(peer.column("predicted_fatalities").to_pylist(), dtype=float)
        probability = np.asarray(peer.column("probability").to_pylist(), dtype=float)
        return expected, probability
    values = [json.loads(a or "{}").get(CAST_FIELDS[target]) for a in peer.column("attributes").to_pylist()]
    return np.asarray([np.nan if v in (None, "") else float(v) for v in values]), None


def compare(inputs: ForecastInputs, peer: pa.Table, against: str, data_through: date | None,
            start: date | None = None, end: date | None = None, lags: dict[str, int] | None = None,
            params: UnitParams | None = None, reps: int = 500) -> Comparison:
    """Score Tocsin and the peer ``against`` ("views" or "cast") on every unit-month both cover.
    Raises CompareError, saying why, when no month can be compared."""
    if against not in PEERS:
        raise CompareError(Said("compare.unknown_peer", peer=against, peers=", ".join(PEERS)))
    system, levels = PEERS[against]
    peer = peer.filter(pc.equal(peer.column("system"), system)) if peer.num_rows else peer
    if peer.num_rows == 0:
        raise CompareError(Said("compare.no_peer_forecasts", peer=against, system=system))
    if data_through is None:
        raise CompareError(Said("compare.no_events"))
    last_full = int(month_index(to_day(data_through) + 1)) - 1   # last month wholly covered
    result = Comparison(against)
    published = np.asarray([to_day(d) for d in _published(peer)])
    months = np.asarray([int(month_index(to_day(m))) for m in peer.column("month_start").to_pylist()])
    peer_range = f"{month_start(int(months.min()))} .. {month_start(int(months.max()))}"
    wanted = months <= last_full
    if start:
        wanted &= months >= int(month_index(to_day(start)))
    if end:
        wanted &= months <= int(month_index(to_day(end)))
    if not wanted.any():
        raise CompareError(Said(
            "compare.no_month_asked" if start or end else "compare.no_month", peer=against,
            peer_range=peer_range, data_through=data_through,
            last_month=f"{month_start(last_full):%Y-%m}", start=start or "…", end=end or "…"))
    levels_col = np.asarray(peer.column("level").to_pylist(), dtype=object)
    units_col = np.asarray(peer.column("unit_id").to_pylist(), dtype=object)
    for level in levels:
        at_level = wanted & (levels_col == level)
        if not at_level.any():
            result.notes.append(Said("compare.no_level_forecast", peer=against, level=level))
            continue
        units = sorted(set(units_col[at_level].tolist()))
        ours = ["SDN"] if level == "country-month" else units
        panel = build_panel(inputs, level, ours, lags)
        forecaster = UnitForecaster(panel, params)
        index = {u: i for i, u in enumerate(ours)}
        rows_idx = np.flatnonzero(at_level)
        for target in TARGETS[level]:
            observed_all = forecaster.outcomes(target)
            peer_expected, peer_probability = _peer_values(peer.take(rows_idx), level, target)
            keep = np.isfinite(peer_expected)
            if not keep.any():
                continue
            sel = rows_idx[keep]
            pub_month = np.asarray([int(month_index(d)) for d in published[sel]])
            lead = months[sel] - pub_month + 1
            unit = np.asarray([index.get("SDN" if level == "country-month" else u, -1)
                               for u in units_col[sel]])
            ours_expected = np.full(len(sel), np.nan)
            ours_probability = np.full(len(sel), np.nan)
            last_month = np.full(len(sel), np.nan)
            for day in np.unique(published[sel]).tolist():
                x, counts = forecaster.features(int(day), target)
                origin_col = panel.month_of(int(month_index(day)))
                for k in np.unique(lead[published[sel] == day]).tolist():
                    if k < 1:
                        continue
                    model = forecaster.fit(int(day), target, int(k))
                    expected, probability = model.predict(x)
                    m = (published[sel] == day) & (lead == k)
                    ours_expected[m] = expected[unit[m]]
                    if probability is not None:
                        ours_probability[m] = probability[unit[m]]
                    last_month[m] = counts[unit[m], origin_col - 1] if origin_col > 0 else 0.0
            ok = np.isfinite(ours_expected) & (unit >= 0)
            observed = observed_all[unit[ok], [panel.month_of(int(m)) for m in months[sel][ok]]]
            threshold = ONSET_DEATHS if target == "deaths" else 1.0
            for k in np.unique(lead[ok]).tolist():
                m = lead[ok] == k
                contenders = [
                    Contender("tocsin", ours_expected[ok][m],
                              ours_probability[ok][m] if target == "deaths" else None),
                    Contender(against, peer_expected[keep][ok][m],
                              peer_probability[keep][ok][m] if peer_probability is not None else None),
                    Contender("last_month", last_month[ok][m],
                              (last_month[ok][m] >= threshold).astype(float) if target == "deaths"
                              else None),
                ]
                for row in score_side_by_side(observed[m], months[sel][ok][m], contenders, threshold, reps):
                    result.rows.append({"level": level, "target": target, "lead_months": int(k), **row})
    if not result.rows:
        raise CompareError(Said("compare.nothing_paired", peer=against, notes=Clauses(result.notes)))
    return result
