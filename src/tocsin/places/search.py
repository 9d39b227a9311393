"""Finding places by any spelling, English or Arabic."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from rapidfuzz import fuzz, process

from tocsin.places.names import normalize, skeleton

FUZZY_CUTOFF = 80


@dataclass(frozen=True)
class Match:
    place_id: str
    matched_name: str
    how: str  # exact, same-sound, similar
    score: float


class PlaceIndex:
    """The place_names table, indexed three ways: normalised name, name key, fuzzy name key."""

    def __init__(self, names: pa.Table, importance: dict[str, float]) -> None:
        self.importance = importance
        self.by_normalized: dict[str, list[tuple[str, str]]] = {}
        self.by_skeleton: dict[str, list[tuple[str, str]]] = {}
        for row in names.to_pylist():
            entry = (row["place_id"], row["name"])
            self.by_normalized.setdefault(row["normalized"], []).append(entry)
            if row["skeleton"]:
                self.by_skeleton.setdefault(row["skeleton"], []).append(entry)
        self.skeletons = list(self.by_skeleton)

    def find(self, query: str, limit: int = 10) -> list[Match]:
        wanted, key = normalize(query), skeleton(query)
        best: dict[str, Match] = {}

        def offer(entries: list[tuple[str, str]], how: str, score: float) -> None:
            for place_id, name in entries:
                if place_id not in best or best[place_id].score < score:
                    best[place_id] = Match(place_id, name, how, score)

        offer(self.by_normalized.get(wanted, []), "exact", 1.0)
        if key:
            offer(self.by_skeleton.get(key, []), "same-sound", 0.9)
            for other, similarity, _ in process.extract(key, self.skeletons, scorer=fuzz.ratio,
                                                        score_cutoff=FUZZY_CUTOFF, limit=50):
                if other != key:
                    offer(self.by_skeleton[other], "similar", 0.8 * similarity / 100)
        ranked = sorted(best.values(),
                        key=lambda m: (-m.score, -self.importance.get(m.place_id, 0.0)))
        return ranked[:limit]
