"""Generate a large FIRMS CSV by resampling a real one (rows drawn with replacement, jittered)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv


def resample_firms(real_csv: str, out_csv: str, rows: int, seed: int = 7) -> None:
    """Write ``rows`` detections drawn from ``real_csv``, keeping its exact column layout.

    Coordinates are jittered by up to half a VIIRS pixel and dates shifted by whole days so
    that every row is a distinct detection, as in a real multi-year download.
    """
    source = pacsv.read_csv(real_csv, convert_options=pacsv.ConvertOptions(
        column_types={"acq_time": pa.string(), "acq_date": pa.string()}))
    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    with open(out_csv, "wb") as sink:
        sink.write((",".join(source.column_names) + "\n").encode())
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            picked = source.take(pa.array(rng.integers(0, source.num_rows, n)))
            lat = np.round(picked["latitude"].to_numpy() + rng.uniform(-0.002, 0.002, n), 5)
            lon = np.round(picked["longitude"].to_numpy() + rng.uniform(-0.002, 0.002, n), 5)
            days = rng.integers(0, 365 * 3, n).astype("timedelta64[D]")
            dates = (np.array(picked["acq_date"].to_pylist(), dtype="datetime64[D]") - days)
            picked = picked.set_column(picked.schema.get_field_index("latitude"), "latitude",
                                       pa.array(lat))
            picked = picked.set_column(picked.schema.get_field_index("longitude"), "longitude",
                                       pa.array(lon))
            picked = picked.set_column(picked.schema.get_field_index("acq_date"), "acq_date",
                                       pa.array(dates.astype(str)))
            pacsv.write_csv(picked, sink, write_options=pacsv.WriteOptions(
                include_header=False, quoting_style="none"))
