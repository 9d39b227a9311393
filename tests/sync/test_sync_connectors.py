"""ACLED and UCDP connectors against the replay publisher over HTTP on 127.0.0.1, misbehaving."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tocsin.lake import Lake
from tocsin.sync.base import load_credentials
from tocsin.sync.http import SyncError, UrllibTransport, retry_after
from tocsin.sync.replay import Fault, ReplayTransport, invented_acled_events, serve
from tocsin.workspace import Workspace

from .sync_support import publisher, run, settings, ucdp_records, visible


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    ws.init()
    return ws


def test_acled_pages_corrections_and_deletions_end_with_what_acled_holds(workspace: Workspace) -> None:
    pub = publisher(acled=60)
    with serve(pub) as url:
        first = run(workspace, "acled", UrllibTransport(), settings(url)["acled"])
        assert first.ok, first.error
        assert first.batches >= 3  # 60 rows, 25 a page: three pages, each its own batch
        assert [i for i, _ in visible(workspace, "acled")] == sorted(pub.held_acled_ids())
        # ACLED corrects one event (new timestamp), deletes another, adds two.
        corrected = pub.acled_events[5]
        corrected.update(fatalities="99", timestamp=str(int(pub.acled_events[-1]["timestamp"]) + 10))
        deleted = pub.acled_events[7]["event_id_cnty"]
        pub.acled_deleted.append({"event_id_cnty": deleted, "deleted_timestamp": "1800000000"})
        pub.acled_events += invented_acled_events(2, timestamp=1_800_000_000, first_id=1000)
        again = run(workspace, "acled", UrllibTransport(), settings(url)["acled"])
    assert again.ok, again.error
    shown = dict(visible(workspace, "acled"))
    assert sorted(shown) == sorted(pub.held_acled_ids())
    assert deleted not in shown and again.withdrawn == 1
    assert shown[corrected["event_id_cnty"]] == 99       # the correction replaced the old copy
    assert len(shown) == len(visible(workspace, "acled"))  # no id twice


def test_expired_token_is_refreshed_and_429_waits_as_told(workspace: Workspace) -> None:
    pub = publisher(acled=30)
    pub.faults = [Fault("/api/acled/read", "expire-token", skip=1),
                  Fault("/api/acled/read", "status", status=429, headers={"Retry-After": "7"}),
                  Fault("/api/acled/read", "status", status=503, skip=1)]
    sleeps: list[float] = []
    with serve(pub) as url:
        outcome = run(workspace, "acled", UrllibTransport(), settings(url)["acled"], sleeps)
    assert outcome.ok, outcome.error
    assert 7.0 in sleeps                                   # Retry-After honoured
    assert pub.requests.count("POST /oauth/token") == 2    # logged in, then refreshed after 401
    assert [i for i, _ in visible(workspace, "acled")] == sorted(pub.held_acled_ids())


@pytest.mark.parametrize(("fault", "said", "arabic"), [
    (Fault("/api/acled/read", "truncate", skip=1), "cut short", "الردّ مبتور"),
    (Fault("/api/acled/read", "html", skip=1), "HTML instead of", "صفحة HTML بدل الردّ المنتظر"),
    (Fault("/api/acled/read", "drop-field", skip=1, field_name="event_date"), "lack event_date",
     "تنقص الردَّ الحقولُ"),
    (Fault("/api/acled/read", "status", status=500, times=10, skip=1), "failed 4 times", "بعد"),
    (Fault("/api/acled/read", "status", status=403, skip=1), "answered HTTP 403", "برمز HTTP"),
])
def test_a_bad_reply_names_source_and_request_and_keeps_what_was_committed(
        workspace: Workspace, fault: Fault, said: str, arabic: str) -> None:
    """The error names the source and the request; it is told in the session's language (a
    field monitor's Arabic), while the outcome's text, which runs.jsonl and --json keep, stays
    English. What was committed before the fault stays, and the next run completes it."""
    from tocsin.i18n import ARABIC_LETTER, Catalogue, told

    pub = publisher(acled=60)
    pub.faults = [fault]
    with serve(pub) as url:
        broken = run(workspace, "acled", UrllibTransport(), settings(url)["acled"])
        assert not broken.ok and said in (broken.error or "")
        assert broken.error.startswith("acled: ") and "/api/acled/read" in broken.error
        assert DEMO_PASSWORD not in broken.error
        in_arabic = told(broken.error, Catalogue("cli", "ar"))
        assert arabic in in_arabic and "/api/acled/read" in in_arabic and said not in in_arabic
        assert ARABIC_LETTER.search(in_arabic) and DEMO_PASSWORD not in in_arabic
        assert json.loads(json.dumps(broken.to_json()))["error"] == str(broken.error)
        assert len(visible(workspace, "acled")) == 25     # the first page stays, with its bookmark
        assert Lake(workspace.lake_dir).bookmarks()["acled"]["state"]["page"] == 2
        pub.faults = []
        fixed = run(workspace, "acled", UrllibTransport(), settings(url)["acled"])
    assert fixed.ok, fixed.error
    assert [i for i, _ in visible(workspace, "acled")] == sorted(pub.held_acled_ids())


def test_a_sync_error_pickles_and_keeps_its_words() -> None:
    import pickle

    from tocsin.i18n import Catalogue, Said, said_of

    error = SyncError("acled", Said("sync.answered_http", request="GET /x", status=500, snippet="boom"),
                      status=500)
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) == "acled: GET /x answered HTTP 500: boom"
    assert again.status == 500 and again.source == "acled"
    assert "برمز HTTP" in said_of(again).told(Catalogue("cli", "ar"))
    assert str(SyncError("ucdp", "plain words")) == "ucdp: plain words"


DEMO_PASSWORD = "r3play-pass"


REFUSAL = {"success": False, "error": "Access to this country is not granted", "data": []}


@pytest.mark.parametrize(("case", "fault", "said", "arabic", "named"), [
    ("refusal", Fault("/api/acled/read", "body", body=json.dumps(REFUSAL).encode()),
     "ACLED says Access to this country is not granted", "يقول", "Access to this country is not granted"),
    ("no token", Fault("/oauth/token", "body", body=b'{"token_type": "Bearer"}'),
     "gave no `access_token` (fields: token_type)", "رمز دخول `access_token`", "/oauth/token"),
    ("deletion without its id", Fault("/api/deleted/read", "drop-field", field_name="event_id_cnty"),
     "/api/deleted/read page 1: the deletions lack event_id_cnty", "تنقص الردَّ الحقولُ", "event_id_cnty"),
])
def test_an_acled_refusal_a_tokenless_login_or_an_id_less_deletion_is_named_in_both_languages(
        workspace: Workspace, case: str, fault: Fault, said: str, arabic: str, named: str) -> None:
    from tocsin.i18n import ARABIC_LETTER, Catalogue, told

    pub = publisher(acled=10)
    # ACLED deletes an event (its deletions page then drops the id of what it deleted).
    pub.acled_deleted.append({"event_id_cnty": pub.acled_events[3]["event_id_cnty"],
                              "deleted_timestamp": "1800000000"})
    pub.faults = [fault]
    outcome = run(workspace, "acled", ReplayTransport(pub), settings("http://replay")["acled"])
    assert not outcome.ok and said in (outcome.error or "")
    in_arabic = told(outcome.error, Catalogue("cli", "ar"))
    assert arabic in in_arabic and ARABIC_LETTER.search(in_arabic) and said not in in_arabic
    assert named in in_arabic and DEMO_PASSWORD not in str(outcome.error) + in_arabic
    # Nothing of a run that could not log in or was refused; the events of one whose deletions
    # were unreadable stay, and nothing is withdrawn on a row that does not say what it withdraws.
    assert len(visible(workspace, "acled")) == (9 if case == "deletion without its id" else 0)
    assert outcome.withdrawn == 0


def test_a_new_field_is_taken_in_stride(workspace: Workspace) -> None:
    pub = publisher(acled=30)
    pub.faults = [Fault("/api/acled/read", "add-field", field_name="population_best", times=5)]
    outcome = run(workspace, "acled", ReplayTransport(pub), settings("http://replay")["acled"])
    assert outcome.ok, outcome.error
    assert len(visible(workspace, "acled")) == 30


def test_ucdp_versions_supersede_and_the_token_travels_in_its_header(workspace: Workspace) -> None:
    pub = publisher(ucdp=120)
    events = ucdp_records(400)
    with serve(pub) as url:
        values = settings(url)["ucdp"]
        assert run(workspace, "ucdp", UrllibTransport(), values).ok
        assert len(visible(workspace, "ucdp-ged")) == 120
        # Candidate 25.0.1 appears with 30 events; then 25.0.2 replaces its months' events.
        candidate = [{**e, "id": 900_000 + i, "date_start": f"2024-03-0{1 + i % 9}T00:00:00",
                      "date_end": f"2024-03-0{1 + i % 9}T00:00:00"} for i, e in enumerate(events[:30])]
        pub.ucdp_releases["25.0.1"] = candidate
        assert run(workspace, "ucdp", UrllibTransport(), values).ok
        assert len(visible(workspace, "ucdp-candidate")) == 30
        pub.ucdp_releases["25.0.2"] = candidate[:20]     # ten events withdrawn in the new release
        outcome = run(workspace, "ucdp", UrllibTransport(), values)
        assert outcome.ok, outcome.error
        assert [i for i, _ in visible(workspace, "ucdp-candidate")] == sorted(
            str(e["id"]) for e in candidate[:20])
        # GED 25.1 (covering 2024) supersedes every Candidate event of 2024 and drops 20 of 24.1's.
        pub.ucdp_releases["25.1"] = events[20:120]
        outcome = run(workspace, "ucdp", UrllibTransport(), {**values, "ged_version": "25.1"})
        assert outcome.ok, outcome.error
    assert visible(workspace, "ucdp-candidate") == []
    assert [i for i, _ in visible(workspace, "ucdp-ged")] == sorted(str(e["id"]) for e in events[20:120])
    assert all(r.endswith("/api/gedevents/25.1") or "gedevents" in r for r in pub.requests)


def test_ucdp_refuses_without_its_token(workspace: Workspace) -> None:
    pub = publisher(ucdp=10)
    from tocsin.sync.base import make_connector, sync_source

    connector = make_connector("ucdp", workspace, ReplayTransport(pub), credentials={"token": "wrong"},
                               settings=settings("http://replay")["ucdp"])
    outcome = sync_source(workspace, connector)
    assert "HTTP 401" in (outcome.error or "") and "wrong" not in outcome.error


def test_credentials_from_env_or_a_private_file_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "credentials.toml"
    path.write_text('[acled]\nusername = "me@example.org"\npassword = "s3cret"\n')
    monkeypatch.setenv("TOCSIN_CREDENTIALS", str(path))
    os.chmod(path, 0o644)
    with pytest.raises(SyncError, match="can be read by others"):
        load_credentials("acled", ("username", "password"))
    os.chmod(path, 0o600)
    creds = load_credentials("acled", ("username", "password"))
    assert creds["password"] == "s3cret" and "s3cret" not in repr(creds) + str(creds)
    monkeypatch.setenv("TOCSIN_ACLED_PASSWORD", "from-env")
    assert load_credentials("acled", ("username", "password"))["password"] == "from-env"


def test_missing_credentials_say_which_variables(workspace: Workspace,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tocsin.sync.base import make_connector, sync_source

    monkeypatch.setenv("TOCSIN_CREDENTIALS", str(workspace.home / "none.toml"))
    connector = make_connector("acled", workspace, ReplayTransport(publisher()),
                               settings=settings("http://replay")["acled"])
    outcome = sync_source(workspace, connector)
    assert "TOCSIN_ACLED_USERNAME" in (outcome.error or "")


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after("12") == 12.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after("soon") is None
