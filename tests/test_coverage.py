"""Coverage: how far each source reaches, and the warning past it (a gap never reads as calm)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tocsin.coverage import coverage_warning, data_through, lake_coverage
from tocsin.ingest import ingest_paths
from tocsin.lake import Lake
from tocsin.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_coverage_names_the_source_and_its_last_day(tmp_path: Path) -> None:
    workspace = Workspace.at(tmp_path / "ws")
    ingest_paths(workspace, "ucdp-ged", [SAMPLE / "ucdp_ged241_darfur_api.csv"], rebuild=False)
    coverage = lake_coverage(Lake(workspace.lake_dir))
    events = [c for c in coverage if c.table == "events"]
    assert len(events) == 1 and events[0].rows > 0
    last = data_through(coverage)
    assert last is not None and last == events[0].through
    assert coverage_warning(coverage, last) is None
    warning = coverage_warning(coverage, date.fromordinal(last.toordinal() + 60))
    assert warning is not None
    assert str(last) in warning and events[0].source in warning and "not evidence of calm" in warning


def test_an_empty_table_is_no_evidence_of_calm(tmp_path: Path) -> None:
    workspace = Workspace.at(tmp_path / "ws")
    workspace.init()
    coverage = lake_coverage(Lake(workspace.lake_dir))
    assert data_through(coverage) is None
    assert "no events data" in (coverage_warning(coverage, date(2024, 3, 31)) or "")
