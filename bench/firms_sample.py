"""Generate a large FIRMS CSV by resampling a real one (rows drawn with replacement, jittered)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv


def resample_firms(real_csv: str, out_csv: str, rows: int, seed: int = 7,
                   last_day: str | None = None, span_days: int = 365 * 3, jitter: float = 0.002) -> None:
    """Write ``rows`` detections drawn from ``real_csv``, keeping its exact column layout.

    Coordinates are jittered by up to ``jitter`` degrees (by default half a VIIRS pixel) and
    dates shifted by whole days: back from each real date by up to ``span_days``, or, with
    ``last_day``, set to one of the
    ``span_days`` days ending there. The few draws that still coincide with another are
    dropped, since a real download holds no repeated detections.
    """
    source = pacsv.read_csv(real_csv, convert_options=pacsv.ConvertOptions(
        column_types={"acq_time": pa.string(), "acq_date": pa.string()}))
    rng = np.random.default_rng(seed)
    draft = Path(out_csv).with_suffix(".draft.csv")
    wanted = int(rows * 1.001) + 10  # a margin for the coinciding draws
    with open(draft, "wb") as sink:
        sink.write((",".join(source.column_names) + "\n").encode())
        for start in range(0, wanted, 1_000_000):
            n = min(1_000_000, wanted - start)
            picked = source.take(pa.array(rng.integers(0, source.num_rows, n)))
            lat = np.round(picked["latitude"].to_numpy() + rng.uniform(-jitter, jitter, n), 5)
            lon = np.round(picked["longitude"].to_numpy() + rng.uniform(-jitter, jitter, n), 5)
            days = rng.integers(0, span_days, n).astype("timedelta64[D]")
            dates = (np.datetime64(last_day, "D") if last_day else
                     np.array(picked["acq_date"].to_pylist(), dtype="datetime64[D]")) - days
            for name, values in (("latitude", lat), ("longitude", lon),
                                 ("acq_date", dates.astype(str))):
                picked = picked.set_column(picked.schema.get_field_index(name), name,
                                           pa.array(values))
            pacsv.write_csv(picked, sink, write_options=pacsv.WriteOptions(
                include_header=False, quoting_style="none"))
    key = "satellite, acq_date, acq_time, latitude, longitude"
    duckdb.execute(
        f"COPY (SELECT * FROM read_csv('{draft}', all_varchar = true) "
        f"QUALIFY row_number() OVER (PARTITION BY {key}) = 1 LIMIT {rows}) "
        f"TO '{out_csv}' (HEADER, QUOTE '')"
    )
    os.remove(draft)
