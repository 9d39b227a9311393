"""The ingest of decision 0047 (DuckDB's Arrow stream into pyarrow's Parquet writer, bad rows left
out on the way, identity hashes counted on the way) writes the same lake and the same quarantine
as the ingest before it (DuckDB COPY, then a second pass), on the real FIRMS files.

The expected digests were taken with the earlier ingest (commit cba38f7; how: firms_scenarios.py).
They also hold with the stream cut into tiny batches and row groups, and with the identity hashes
counted by the second pass instead (as for files over KEY_HASH_ROWS rows).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from firms_scenarios import SCENARIOS, VIIRS, run

from tocsin.sources import base

BEFORE_0047 = {
    "viirs": "5a0be12e18998ce394a87d5337eddf18a48251ec9b24daac7270495e4ea31375",
    "modis": "66050b0ab8006d2beb559eb476e840348a1499e51acb4542e7cf452cf0b36207",
    "viirs damaged": "972e8afc60e59bb683642efad125a39205f2b6f4acdc24a6fb8e23bd9683b19e",
    "modis damaged": "1b7818a4534b238a1b900c6801c5284e226a8b4fbfc7c0cb9a5b94087180a235",
    "both, then an overlap": "aea002187b5fb8223d2906721624a03c75481e813b970c27ee473ebe73649d23",
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_lake_and_quarantine_are_as_before(scenario: str, shared_data: Path, tmp_path: Path) -> None:
    assert run(shared_data, tmp_path, SCENARIOS[scenario]) == BEFORE_0047[scenario]


@pytest.mark.parametrize("scenario", ["viirs damaged", "both, then an overlap"])
def test_batch_and_row_group_edges_change_nothing(
    scenario: str, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of 997 rows (a prime: bad rows and repeats fall anywhere in a batch), row groups of
    # 2,500 (a group ends inside a batch), and the second pass for the identity hashes.
    monkeypatch.setattr(base, "BATCH_ROWS", 997)
    monkeypatch.setattr(base, "ROW_GROUP_ROWS", 2_500)
    monkeypatch.setattr(base, "KEY_HASH_ROWS", 3_000)
    assert run(shared_data, tmp_path, SCENARIOS[scenario]) == BEFORE_0047[scenario]


def test_the_digest_sees_a_changed_lake(shared_data: Path, tmp_path: Path) -> None:
    """The check can fail: one value changed in the file changes the digest."""
    real = shared_data / VIIRS
    text = real.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = text[7].split(",")
    fields[12] = str(float(fields[12]) + 0.01)  # frp
    text[7] = ",".join(fields)
    changed = tmp_path / real.name
    changed.write_text("".join(text), encoding="utf-8")
    assert run(shared_data, tmp_path, lambda data, folder: [changed]) != BEFORE_0047["viirs"]


def test_staged_files_hold_the_row_groups_asked_for(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    from tocsin.lake import Lake

    monkeypatch.setattr(base, "BATCH_ROWS", 997)
    monkeypatch.setattr(base, "ROW_GROUP_ROWS", 5_000)
    run(shared_data, tmp_path, SCENARIOS["viirs"])
    (path,) = Lake(tmp_path / "ws" / "lake").table_files("fire_detections")
    meta = pq.ParquetFile(path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [5_000] * 4 + [4_664]
    # The provenance in the footer, as DuckDB's COPY wrote it: the file describes itself.
    assert set(meta.metadata) == {b"source", b"batch_id", b"source_file", b"license", b"retrieved_at"}
    assert meta.metadata[b"source"] == b"firms-viirs"
    assert meta.metadata[b"source_file"] == Path(SCENARIOS["viirs"](shared_data, tmp_path)[0]).name.encode()
