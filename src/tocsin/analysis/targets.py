"""What a forecast predicts: a place suffers an atrocity-grade event within H days.

Atrocity-grade, by default (``TargetSpec``):
- violence against civilians (UCDP one-sided, ACLED attack) with at least one death, or any event
  whose source counts at least one civilian death;
- sexual violence;
- a settlement burning detected with high or medium confidence (when the burnings table exists).

An event hits a place when its precision allows it: an exact point within the place's settlement
radius, or a "near" event linked to the place (places/linking.py). Admin-level events never hit a
town. The label of (place, origin D, horizon H) is whether a hit is dated in (D, D + H].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tocsin.analysis.proximity import DatedPairs


@dataclass(frozen=True)
class TargetSpec:
    min_deaths: int = 1
    civilian_categories: tuple[str, ...] = ("attack_on_civilians",)
    always_categories: tuple[str, ...] = ("sexual_violence",)
    count_civilian_deaths: bool = True
    burning_confidences: tuple[str, ...] = ("high", "medium")

    def describe(self) -> str:
        parts = [f"violence against civilians with at least {self.min_deaths} death(s)"]
        if self.count_civilian_deaths:
            parts.append(f"any event with at least {self.min_deaths} civilian death(s)")
        parts += [c.replace("_", " ") for c in self.always_categories]
        parts.append(f"a settlement burning of {'/'.join(self.burning_confidences)} confidence")
        return "; ".join(parts)


def _ints(column: pa.ChunkedArray) -> NDArray[np.int64]:
    return np.asarray(pc.fill_null(column, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


def atrocity_mask(events: pa.Table, spec: TargetSpec) -> NDArray[np.bool_]:
    """Which events are atrocity-grade under ``spec``."""
    category = np.asarray(pc.fill_null(events.column("category"), "").to_numpy(zero_copy_only=False))
    targeting = np.asarray(pc.fill_null(events.column("civilian_targeting"), False)
                           .to_numpy(zero_copy_only=False), dtype=bool)
    deaths = _ints(events.column("fatalities"))
    civilian_deaths = _ints(events.column("civilian_deaths"))
    against_civilians = np.isin(category, spec.civilian_categories) | targeting
    mask = (against_civilians & (deaths >= spec.min_deaths)) | np.isin(category, spec.always_categories)
    if spec.count_civilian_deaths:
        mask |= civilian_deaths >= spec.min_deaths
    return mask


@dataclass
class Hits:
    """(day, known, place) of every atrocity-grade hit on a place, sorted by day."""

    day: NDArray[np.int64]
    known: NDArray[np.int64]
    place: NDArray[np.int64]

    @classmethod
    def combine(cls, parts: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]]) -> Hits:
        day = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
        known = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
        place = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
        order = np.argsort(day, kind="stable")
        return cls(day[order], known[order], place[order])

    def labels(self, as_of: int, horizon_days: int, n_places: int) -> NDArray[np.bool_]:
        """Places hit in (as_of, as_of + horizon_days]: the truth a forecast is scored on."""
        lo = int(np.searchsorted(self.day, as_of, side="right"))
        hi = int(np.searchsorted(self.day, as_of + horizon_days, side="right"))
        out = np.zeros(n_places, dtype=bool)
        out[self.place[lo:hi]] = True
        return out

    def recent_counts(self, as_of: int, days: int, n_places: int) -> NDArray[np.float64]:
        """Hits known at as_of and dated in (as_of - days, as_of] per place (persistence)."""
        lo = int(np.searchsorted(self.day, as_of - days, side="right"))
        hi = int(np.searchsorted(self.day, as_of, side="right"))
        known = self.known[lo:hi] <= as_of
        return np.bincount(self.place[lo:hi][known], minlength=n_places).astype(np.float64)


def point_hits(pairs: DatedPairs, radius_km: NDArray[np.float64],
               selected: NDArray[np.bool_]) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Hits of exact points: each selected point (sorted order) on every place whose settlement
    radius holds it."""
    inside = (pairs.pair_km <= radius_km[pairs.pair_place]) & selected[pairs.pair_point]
    point = pairs.pair_point[inside]
    return pairs.day[point], pairs.known[point], pairs.pair_place[inside].astype(np.int64)
