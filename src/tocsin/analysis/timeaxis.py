"""Dates as integer days (since 1970-01-01, UTC) for vectorised windows, and back."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

EPOCH = date(1970, 1, 1)
NEVER = np.iinfo(np.int64).max // 4   # "not known yet" for rows without a date


def to_day(value: date) -> int:
    return (value - EPOCH).days


def from_day(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


def day_array(column: pa.ChunkedArray | pa.Array, missing: int = NEVER) -> NDArray[np.int64]:
    """A DATE or TIMESTAMP column as int64 days; nulls become ``missing``."""
    if pa.types.is_timestamp(column.type):
        column = pc.cast(pc.floor_temporal(column, unit="day"), pa.timestamp("s", tz=column.type.tz))
        seconds = pc.cast(pc.cast(column, pa.timestamp("s")), pa.int64())
        days = pc.divide(seconds, 86400)
    else:
        days = pc.cast(pc.cast(column, pa.date32()), pa.int32())
    return np.asarray(pc.fill_null(pc.cast(days, pa.int64()), missing).to_numpy(zero_copy_only=False),
                      dtype=np.int64)


def month_starts(start: date, end: date) -> list[date]:
    """First days of every month from ``start``'s month to ``end`` (inclusive)."""
    months = []
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        if date(year, month, 1) >= start:
            months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
