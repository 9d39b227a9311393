"""Helpers for the sync tests: a publisher with invented ACLED and real UCDP records, settings
that point connectors at it, and what the workspace ends up showing."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml

from tocsin.lake import Lake
from tocsin.sync.base import make_connector, sync_source
from tocsin.sync.replay import DEMO_CREDENTIALS, ReplayPublisher, invented_acled_events, ucdp_record
from tocsin.workspace import Workspace

SAMPLE_UCDP = Path(__file__).resolve().parents[2] / "data" / "sample" / "ucdp_ged241_darfur_api.csv"


def ucdp_records(limit: int | None = None) -> list[dict[str, Any]]:
    """Real UCDP GED 24.1 Darfur events (the bundled sample) as the API's JSON records."""
    with open(SAMPLE_UCDP, encoding="utf-8", newline="") as handle:
        rows = [ucdp_record(r) for r in csv.DictReader(handle)]
    return rows[:limit] if limit else rows


def publisher(acled: int = 120, ucdp: int = 150, latency_s: float = 0.0) -> ReplayPublisher:
    pub = ReplayPublisher(latency_s=latency_s)
    pub.acled_events = invented_acled_events(acled)
    pub.ucdp_releases = {"24.1": ucdp_records(ucdp)}
    return pub


def settings(base_url: str, page: int = 25) -> dict[str, dict[str, Any]]:
    return {
        "acled": {"base_url": base_url, "country": "Sudan", "start": "2023-01-01", "limit": page,
                  "retry": {"attempts": 4, "backoff_s": 0.01}},
        "ucdp": {"base_url": base_url + "/api", "country_id": "625", "ged_version": "24.1",
                 "candidate_version": "25.0.1", "ged_path": "gedevents/{version}",
                 "candidate_path": "gedevents/{version}", "pagesize": page,
                 "retry": {"attempts": 4, "backoff_s": 0.01}},
    }


def write_settings(workspace: Workspace, values: dict[str, dict[str, Any]]) -> None:
    workspace.home.mkdir(parents=True, exist_ok=True)
    (workspace.home / "sync.yaml").write_text(yaml.safe_dump({"sources": values}))


def credentials_env() -> dict[str, str]:
    return {"TOCSIN_ACLED_USERNAME": DEMO_CREDENTIALS["acled"]["username"],
            "TOCSIN_ACLED_PASSWORD": DEMO_CREDENTIALS["acled"]["password"],
            "TOCSIN_UCDP_TOKEN": DEMO_CREDENTIALS["ucdp"]["token"]}


def run(workspace: Workspace, name: str, transport: Any, values: dict[str, Any],
        sleeps: list[float] | None = None) -> Any:
    connector = make_connector(name, workspace, transport, settings=values,
                               credentials=DEMO_CREDENTIALS[name],
                               sleep=(sleeps.append if sleeps is not None else lambda _: None))
    return sync_source(workspace, connector)


def visible(workspace: Workspace, source: str) -> list[tuple[str, Any]]:
    """(source_id, fatalities) of every event the workspace shows for ``source``."""
    con = Lake(workspace.lake_dir).connect(["events"])
    try:
        return sorted(con.execute("SELECT source_id, fatalities FROM events WHERE source = ?",
                                  [source]).fetchall())
    finally:
        con.close()
