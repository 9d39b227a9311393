"""When each event became known: its date plus its source's publication lag.

A forecast made on day D can only use what had been published by D. Sources differ: UCDP GED
publishes once a year (an event of March is out the following June, about a year later on
average), UCDP Candidate about a month after the month, ACLED about a week. The backtest scores
the models both ways: with no lag (what the data could tell at best) and with these lags (what a
user could have known on the day). The lags are configurable (``--lag SOURCE=DAYS``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from tocsin.analysis.timeaxis import NEVER, day_array

# Days from an event's last day to its publication, by source (events.source).
PUBLICATION_LAGS: dict[str, int] = {"ucdp-ged": 365, "ucdp-candidate": 30, "acled": 7}


def parse_lags(values: list[str]) -> dict[str, int]:
    """``["ucdp-ged=365", "acled=7"]`` as a mapping; a clear error for anything else."""
    lags: dict[str, int] = {}
    for value in values:
        source, sep, days = value.partition("=")
        if not sep or not source.strip() or not days.strip().isdigit():
            raise ValueError(f"a publication lag is SOURCE=DAYS (e.g. ucdp-ged=365), not {value!r}")
        lags[source.strip()] = int(days)
    return lags


def event_known_days(events: pa.Table, lags: dict[str, int], event_lag_days: int = 0
                     ) -> NDArray[np.int64]:
    """Per event: the day it became known. ``date_end`` + ``event_lag_days`` + its source's lag,
    or ``published_at`` when that is later (ACLED's timestamp)."""
    day = day_array(events.column("date_end"))
    extra = np.zeros(len(day), dtype=np.int64)
    if lags and "source" in events.column_names:
        sources = np.asarray(events.column("source").to_pylist(), dtype=object)
        for source, days in lags.items():
            extra[sources == source] = days
    known = np.where(day < NEVER, day + event_lag_days + extra, NEVER)
    if "published_at" in events.column_names:
        known = np.maximum(known, day_array(events.column("published_at"), missing=-NEVER))
    return known
