"""Scoring burnings against verified cases: precision, recall, F1 and average precision.

A truth list says, for places and date ranges, whether the place burned (imagery, witnesses).
Each truth row is one item, scored by the strongest burning that matches it (same place or
close enough, dates overlapping within a tolerance) or 0 when none does. With ``complete``
the list claims to cover everything: burnings that match no row are items labelled "no".
Without it, they are counted (``unlabelled``) but not scored, since a user's list of verified
cases is rarely all that happened.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from tocsin.errors import InputError, Problem
from tocsin.i18n import Said
from tocsin.spatial import haversine_km

YES = {"yes", "y", "true", "t", "1", "burned", "نعم"}
NO = {"no", "n", "false", "f", "0", "not burned", "لا"}
DATE_FROM = ("date_from", "start", "from", "date")
DATE_TO = ("date_to", "end", "to", "date")


@dataclass
class TruthRow:
    line: int
    burned: bool
    date_from: date
    date_to: date
    place: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    place_id: str | None = None
    kind: str | None = None


@dataclass
class Evaluation:
    threshold: float
    precision: float | None
    recall: float | None
    f1: float | None
    average_precision: float | None
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int
    positives: int
    negatives: int
    unlabelled_burnings: int
    complete: bool
    by_kind: dict[str, dict[str, float | int]] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# The columns a truth list locates its rows by, named in its problems as they are spelt.
_WHERE = {"place": "place", "latitude": "latitude", "longitude": "longitude"}


def parse_truth_csv(text: str, file_name: str) -> list[TruthRow]:
    """A truth list: CSV with a header; ``place`` (a name) or ``latitude`` and ``longitude``;
    ``date_from`` and ``date_to`` (or one ``date``), YYYY-MM-DD; ``burned`` yes/no. Optional
    ``place_id`` (a gazetteer id) and ``kind`` (a label kept in the report)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputError([Problem(file_name, 1, None, Said("truth.header_line"))]) from None
    col = {name: i for i, name in enumerate(header)}
    problems: list[Problem] = []
    if "burned" not in col:
        problems.append(Problem(file_name, 1, "burned", Said("truth.burned_column", column="burned"),
                                ",".join(header)))
    if not ({"place", "place_id"} & col.keys() or {"latitude", "longitude"} <= col.keys()):
        problems.append(Problem(file_name, 1, None, Said("truth.place_columns", **_WHERE),
                                ",".join(header)))
    start_col = next((c for c in DATE_FROM if c in col), None)
    end_col = next((c for c in DATE_TO if c in col), None)
    if start_col is None or end_col is None:
        problems.append(Problem(file_name, 1, None, Said("truth.date_columns", start="date_from",
                                                            end="date_to", single="date"),
                                ",".join(header)))
    if problems:
        raise InputError(problems, Said("truth.not_a_truth_list", file=file_name))
    assert start_col is not None and end_col is not None
    rows: list[TruthRow] = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue

        def get(name: str, values: list[str] = values) -> str:
            i = col.get(name)
            return values[i].strip() if i is not None and i < len(values) else ""

        burned_text = get("burned").lower()
        if burned_text not in YES | NO:
            problems.append(Problem(file_name, line, "burned", Said("truth.yes_or_no", yes="yes", no="no"),
                                    get("burned")))
            continue
        dates = []
        for name in (start_col, end_col):
            try:
                dates.append(date.fromisoformat(get(name)))
            except ValueError:
                problems.append(Problem(file_name, line, name, Said("truth.date"), get(name)))
        if len(dates) < 2:
            continue
        if dates[1] < dates[0]:
            problems.append(Problem(file_name, line, end_col,
                                    Said("truth.date_on_or_after", start=dates[0]), get(end_col)))
            continue
        lat = lon = None
        if get("latitude") or get("longitude"):
            try:
                lat, lon = float(get("latitude")), float(get("longitude"))
            except ValueError:
                problems.append(Problem(file_name, line, "latitude", Said("truth.degrees", **_WHERE),
                                        f"{get('latitude')},{get('longitude')}"))
                continue
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                problems.append(Problem(file_name, line, "latitude", Said("truth.on_earth", **_WHERE),
                                        f"{lat},{lon}"))
                continue
        place, place_id = get("place") or None, get("place_id") or None
        if lat is None and place is None and place_id is None:
            problems.append(Problem(file_name, line, "place", Said("truth.place_given")))
            continue
        rows.append(TruthRow(line, burned_text in YES, dates[0], dates[1], place, lat, lon,
                             place_id, get("kind") or None))
    if problems:
        raise InputError(problems, Said("truth.bad_rows", file=file_name, count=len(problems)))
    return rows


def truth_table(rows: list[TruthRow]) -> pa.Table:
    return pa.Table.from_pylist([asdict(r) for r in rows], schema=pa.schema([
        ("line", pa.int32()), ("burned", pa.bool_()), ("date_from", pa.date32()),
        ("date_to", pa.date32()), ("place", pa.string()), ("latitude", pa.float64()),
        ("longitude", pa.float64()), ("place_id", pa.string()), ("kind", pa.string())]))


def match_truth(burnings: pa.Table, truth: pa.Table, match_km: float = 1.0,
                tolerance_days: int = 2) -> list[np.ndarray]:
    """For each truth row, the burnings (row numbers) that match it: the same place_id, or a
    place within its own radius plus ``match_km`` of the truth point; and days overlapping the
    truth's range widened by ``tolerance_days``."""
    b = burnings.select([c for c in ("place_id", "latitude", "longitude", "radius_km",
                                     "first_detection", "last_detection")
                         if c in burnings.column_names]).to_pydict()
    t = truth.to_pydict()
    nb, nt = burnings.num_rows, truth.num_rows
    b_lat, b_lon = np.asarray(b["latitude"], float), np.asarray(b["longitude"], float)
    reach = np.asarray(b.get("radius_km") or [2.0] * nb, float) + match_km
    first = np.array([ts.date().toordinal() for ts in b["first_detection"]], dtype=np.int64)
    last = np.array([ts.date().toordinal() for ts in b["last_detection"]], dtype=np.int64)
    place_ids = np.array(b["place_id"], dtype=object)
    out = []
    for i in range(nt):
        lat, lon = t["latitude"][i], t["longitude"][i]
        same = np.zeros(nb, dtype=bool)
        if t.get("place_id") and t["place_id"][i]:
            same |= place_ids == t["place_id"][i]
        if lat is not None and lon is not None and nb:
            same |= haversine_km(lat, lon, b_lat, b_lon) <= reach
        lo = t["date_from"][i].toordinal() - tolerance_days
        hi = t["date_to"][i].toordinal() + tolerance_days
        overlap = (first <= hi) & (last >= lo)
        out.append(np.flatnonzero(same & overlap) if nb else np.zeros(0, np.int64))
    return out


def label_burnings(burnings: pa.Table, truth: pa.Table, match_km: float = 1.0,
                   tolerance_days: int = 2, complete: bool = False) -> np.ndarray:
    """Each burning's label from a truth list: 1 when it matches a burned row, else 0 when it
    matches a row that did not burn (or matches none and the list is ``complete``), else -1
    (unknown). What a fit of the weights learns from."""
    labels = np.full(burnings.num_rows, 0 if complete else -1, dtype=np.int8)
    burned = truth.column("burned").to_pylist()
    matches = match_truth(burnings, truth, match_km, tolerance_days)
    for rows, yes in zip(matches, burned, strict=True):
        if not yes:
            labels[rows] = np.maximum(labels[rows], 0)
    for rows, yes in zip(matches, burned, strict=True):
        if yes:
            labels[rows] = 1
    return labels


def evaluate_burnings(burnings: pa.Table, truth: pa.Table, threshold: float = 0.5,
                      match_km: float = 1.0, tolerance_days: int = 2,
                      complete: bool = False) -> Evaluation:
    """burnings (the detector's table) against truth (place_id and/or latitude, longitude;
    date_from, date_to, burned; optional kind), matched by ``match_truth``."""
    t = truth.to_pydict()
    nb, nt = burnings.num_rows, truth.num_rows
    b_score = burnings.column("score").to_numpy(zero_copy_only=False).astype(float)
    b_ids = burnings.column("burning_id").to_pylist()
    matched_burning = np.zeros(nb, dtype=bool)
    items: list[dict[str, Any]] = []
    for i, hits in enumerate(match_truth(burnings, truth, match_km, tolerance_days)):
        matched_burning[hits] = True
        best = int(hits[np.argmax(b_score[hits])]) if len(hits) else -1
        items.append({"truth_line": t.get("line", [None] * nt)[i], "label": bool(t["burned"][i]),
                      "score": float(b_score[best]) if best >= 0 else 0.0,
                      "burning_id": b_ids[best] if best >= 0 else None,
                      "place": (t.get("place") or t.get("name") or [None] * nt)[i]
                      or (t.get("place_id") or [None] * nt)[i],
                      "kind": (t.get("kind") or [None] * nt)[i]})
    unlabelled = np.flatnonzero(~matched_burning)
    if complete:
        names = burnings.column("place_name").to_pylist()
        items += [{"truth_line": None, "label": False, "score": float(b_score[j]),
                   "burning_id": b_ids[j], "place": names[j],
                   "kind": "not in the truth list"} for j in unlabelled.tolist()]
    return _metrics(items, threshold, len(unlabelled), complete)


def _metrics(items: list[dict[str, Any]], threshold: float, unlabelled: int,
             complete: bool) -> Evaluation:
    label = np.array([it["label"] for it in items], dtype=bool)
    score = np.array([it["score"] for it in items], dtype=float)
    flagged = score >= threshold
    tp = int(np.count_nonzero(flagged & label))
    fp = int(np.count_nonzero(flagged & ~label))
    fn = int(np.count_nonzero(~flagged & label))
    tn = int(np.count_nonzero(~flagged & ~label))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision is not None and recall is not None and precision + recall else None)
    by_kind: dict[str, dict[str, float | int]] = {}
    for kind in sorted({str(it["kind"]) for it in items if it["kind"]}):
        rows = np.array([str(it["kind"]) == kind for it in items])
        by_kind[kind] = {"items": int(rows.sum()), "flagged": int((rows & flagged).sum()),
                         "burned": int((rows & label).sum())}
    return Evaluation(threshold, precision, recall, f1, average_precision(label, score), tp, fp, fn,
                      tn, int(label.sum()), int((~label).sum()), unlabelled, complete, by_kind,
                      items)


def average_precision(label: np.ndarray, score: np.ndarray) -> float | None:
    """Mean of the precision at each positive's rank; a positive never detected (score 0)
    adds 0. Ties rank negatives first, so that ties never flatter the detector."""
    positives = int(label.sum())
    if positives == 0:
        return None
    order = np.lexsort((label, -score))  # by score descending; within a tie, negatives first
    ranked = label[order]
    detected = score[order] > 0
    hits = np.cumsum(ranked)
    precision_at = hits / np.arange(1, len(ranked) + 1)
    return float(np.sum(precision_at[ranked & detected]) / positives)


def recall_within(burnings: pa.Table, truth: pa.Table, top: int, match_km: float = 1.0,
                  tolerance_days: int = 2) -> float | None:
    """Share of the burned truth rows that one of the ``top`` highest-scoring burnings matches:
    how far down the ranked leads an analyst must read to find them."""
    burned = truth.column("burned").to_pylist()
    if not any(burned):
        return None
    order = np.argsort(-burnings.column("score").to_numpy(zero_copy_only=False), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    found = sum(1 for rows, yes in zip(match_truth(burnings, truth, match_km, tolerance_days),
                                       burned, strict=True)
                if yes and len(rows) and int(rank[rows].min()) < top)
    return found / sum(burned)
