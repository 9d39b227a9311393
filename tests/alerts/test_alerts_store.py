"""Alerts in the records database (SQLite and PostgreSQL): one per escalation, acknowledged once."""

from __future__ import annotations

import datetime as dt

import pytest

from tocsin.alerts.store import AlertError, acknowledge, list_alerts, open_records, record_escalations
from tocsin.records.db import upgrade


def escalation(place: str = "p-1", stage: str = "under_assault", day: dt.date = dt.date(2023, 4, 24),
               **extra) -> dict:  # type: ignore[no-untyped-def]
    return {"place_id": place, "name": "El Geneina", "stage": stage, "stage_rank": 4,
            "previous_stage": "calm", "date": day, "exposed": 436_201,
            "reasons": "under_assault: attacks inside",
            "evidence": [{"signal": "attacks_inside", "kind": "event", "ref": "ucdp-ged:510417",
                          "date": dt.date(2023, 4, 24), "detail": "4 killed"}], **extra}


def test_each_escalation_is_recorded_once(records_url: str) -> None:
    sessions = open_records(records_url)
    first = record_escalations(sessions, [escalation(), escalation(stage="threatened"),
                                          escalation()])  # the same one twice in a batch
    assert [(a.stage, a.day) for a in first] == [("under_assault", dt.date(2023, 4, 24)),
                                                 ("threatened", dt.date(2023, 4, 24))]
    again = record_escalations(sessions, [escalation(), escalation(day=dt.date(2023, 6, 1))])
    assert [a.day for a in again] == [dt.date(2023, 6, 1)]
    stored = list_alerts(sessions)
    assert len(stored) == 3
    top = stored[0]
    assert (top.day, top.status, top.exposed) == (dt.date(2023, 6, 1), "open", 436_201)
    assert top.evidence == [{"signal": "attacks_inside", "kind": "event", "ref": "ucdp-ged:510417",
                             "date": "2023-04-24", "detail": "4 killed"}]


def test_an_analyst_acknowledges_an_alert_once(records_url: str) -> None:
    sessions = open_records(records_url)
    (alert,) = record_escalations(sessions, [escalation()])
    with pytest.raises(AlertError, match="say who"):
        acknowledge(sessions, alert.id, "  ")
    done = acknowledge(sessions, alert.id, "amira", note="called the field team")
    assert (done.status, done.acknowledged_by) == ("acknowledged", "amira")
    assert done.note == "called the field team"
    assert done.acknowledged_at is not None and done.acknowledged_at.tzinfo is not None
    with pytest.raises(AlertError, match="already acknowledged by amira"):
        acknowledge(sessions, alert.id, "omar")
    with pytest.raises(AlertError, match="no alert 999"):
        acknowledge(sessions, 999, "omar")
    assert list_alerts(sessions) == []
    assert [a.id for a in list_alerts(sessions, include_acknowledged=True)] == [alert.id]


def test_an_old_records_schema_is_refused_with_the_fix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(url, "0001")
    with pytest.raises(AlertError, match="run `tocsin init`"):
        open_records(url)


def test_the_database_refuses_a_duplicate_recorded_meanwhile(records_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Two scans at once: both see no alert, both insert; the unique constraint keeps one.
    import tocsin.alerts.store as store

    sessions = open_records(records_url)
    assert len(record_escalations(sessions, [escalation()])) == 1
    monkeypatch.setattr(store, "_recorded", lambda *args: False)
    assert record_escalations(sessions, [escalation(), escalation(day=dt.date(2023, 5, 2))])[0].day == \
        dt.date(2023, 5, 2)
    assert len(list_alerts(sessions)) == 2
