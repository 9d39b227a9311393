"""UCDP's SFA (side 9645) and RSF (8635) are one actor: in the lake after a sync, in the siege
tracker's "held by", the forecast's RSF features and reasons, and the brief's names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.analysis.siege_support import event, stage_on
from tests.analysis.siege_support import run as siege_run
from tocsin.analysis.features import is_rsf
from tocsin.analysis.reasons import actors
from tocsin.lake import Lake
from tocsin.report.words import Words, actor_names
from tocsin.schema.actors import canonical, canonical_sql
from tocsin.sync.http import UrllibTransport
from tocsin.sync.replay import serve
from tocsin.workspace import Workspace

from .sync_support import publisher, run, settings, ucdp_records


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    ws.init()
    return ws


def sfa_page() -> list[dict]:
    """Real UCDP records, the RSF's recoded as UCDP codes the coalition since 2025: side SFA
    (id 9645), on side b of state-based rows and side a of one-sided ones."""
    rows = ucdp_records()
    rsf = [r for r in rows if r["side_b"] == "RSF" or r["side_a"] == "RSF"]
    assert len(rsf) >= 10, "the sample should hold RSF rows"
    rows = [r for r in rows if r in rsf][:30] + [r for r in rows if r not in rsf][:30]
    for r in rsf[::2]:
        side = "side_b" if r["side_b"] == "RSF" else "side_a"
        r[side], r[f"{side}_new_id"] = "SFA", 9645
    assert sum("SFA" in (r["side_a"], r["side_b"]) for r in rows) >= 10
    return rows


def test_a_ucdp_page_with_sfa_rows_lands_as_the_rsf(workspace: Workspace) -> None:
    pub = publisher(ucdp=0)
    pub.ucdp_releases = {"24.1": sfa_page()}
    with serve(pub) as url:
        outcome = run(workspace, "ucdp", UrllibTransport(), settings(url)["ucdp"])
    assert outcome.ok, outcome.error
    con = Lake(workspace.lake_dir).connect(["events"])
    names = {a for row in con.execute("SELECT actor1, actor2 FROM events").fetchall() for a in row}
    con.close()
    assert "RSF" in names and "SFA" not in names


def test_one_name_in_the_siege_tracker_the_forecast_and_the_brief() -> None:
    # A town taken in an SFA assault is held by the RSF (events ingested before the mapping).
    evs = [event(dt.date(2025, 6, 5), km=1, fatalities=3, precision="near"),
           event(dt.date(2025, 6, 5), "attack_on_civilians", km=1, fatalities=60, precision="near")]
    for e in evs:
        e["actor1"] = "SFA"
    table = siege_run(evs, dt.date(2025, 6, 1), dt.date(2025, 7, 20))
    assert stage_on(table, "p-town", dt.date(2025, 6, 5)) == "overrun"
    row = next(r for r in table.to_pylist() if r["date"] == dt.date(2025, 7, 10))
    assert row["stage"] == "fallen" and row["held_by"] == "RSF"
    assert all("SFA" not in e["detail"] for e in row["evidence"])
    # The forecast's RSF features and its reasons.
    assert is_rsf("SFA") and is_rsf("Sudan Founding Alliance") and not is_rsf("SAF")
    assert actors("Government of Sudan", "SFA") == actors("Government of Sudan", "RSF")
    # The brief, in both languages.
    assert Words("en").actor("SFA") == "RSF"
    assert Words("ar").actor("SFA") == actor_names()["RSF"]


def test_ucdp_side_ids_decide_before_names() -> None:
    assert canonical("Sudan Founding Alliance (Tasis)") == "RSF"
    assert canonical("whatever UCDP writes", 9645) == canonical("RSF", "8635") == "RSF"
    assert canonical("Government of Sudan", 112) == "Government of Sudan"
    assert canonical(None) is None


@given(st.one_of(st.sampled_from(["SFA", " sfa ", "RSF", "Rapid Support Forces", "SAF", "Civilians",
                                  "Government of Sudan", "", "Ta'sis"]), st.text(max_size=12)),
       st.one_of(st.none(), st.sampled_from(["8635", "9645", "112", "", "x"])))
def test_the_ingest_sql_and_python_agree(name: str, side: str | None) -> None:
    sql = canonical_sql("$name", "$side" if side is not None else None)
    got = duckdb.execute(f"SELECT {sql}", {"name": name, **({"side": side} if side is not None else {})}
                         ).fetchone()[0]
    assert got == canonical(name, side)
