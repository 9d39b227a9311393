"""The form, the parsing of real layouts, bad submissions, and who sees a survivor's report."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intake_support import RESPONDER, IntakeSetup

from tocsin.intake.files import ZipAttachments, read_export
from tocsin.intake.form import FORM_ID, question_types, write_xlsform
from tocsin.intake.parse import parse_geopoint, read_submission
from tocsin.intake.reports import events_table, report_clusters, report_signals
from tocsin.intake.store import IntakeError
from tocsin.sync.field_replay import jpeg
from tocsin.sync.kobo import multiple_questions

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]


# -- the form ---------------------------------------------------------------------------------------
def test_form_builds_with_pyxform_arabic_first_and_consent_gates_everything(tmp_path: Path) -> None:
    from pyxform.xls2xform import convert

    path = write_xlsform(tmp_path / "form.xlsx")
    xform = convert(xlsform=str(path), form_name=FORM_ID).xform
    assert 'lang="Arabic (ar)" default="true()"' in xform
    assert "أوافق" in xform and "I agree" in xform
    # Every group but consent is asked only with consent; the survivor module needs its own.
    for group in ("monitor", "what", "where", "when", "who", "harmed", "media", "safety"):
        assert (
            f'nodeset="/{FORM_ID}/{group}" relevant=" /{FORM_ID}/consent/consent_given  = \'yes\'"' in xform
        )
    assert "/sv/sv_consent  = 'yes'" in xform
    assert "survivor_name" not in xform  # Murad Code: a pseudonym, never a name
    assert "places.csv" in xform


def test_shipped_form_is_the_one_the_code_defines(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    shipped = REPO / "forms" / f"{FORM_ID}.xlsx"
    fresh = write_xlsform(tmp_path / "fresh.xlsx")
    rows = [
        [list(r) for r in load_workbook(p).worksheets[0].iter_rows(values_only=True)]
        for p in (shipped, fresh)
    ]
    assert rows[0] == rows[1], "forms/ is stale: run `tocsin forms export --out forms`"


# -- parsing real layouts -------------------------------------------------------------------------------
def test_real_kobo_formpack_exports_parse(shared_data: Path) -> None:
    folder = shared_data / "kobo-formpack-fixtures"
    geo = json.loads((folder / "formpack_fixture_geojson_and_selects_v1.json").read_text())
    record = geo["submissions"][0] | {"_uuid": "x1"}
    sub = read_submission(record, form_id="geo", where="fixture")
    assert parse_geopoint(sub.fields["geo_location"]) == (39.306938, -76.60869)
    assert sub.attachments[0].name == "location.jpeg"
    assert sub.attachments[0].download_url.startswith("https://kc.kobo.org/media/original")
    grouped = json.loads((folder / "formpack_fixture_grouped_translated_v1.json").read_text())
    sub = read_submission(
        grouped["submissions"][0],
        form_id="g",
        where="fixture",
        multiple=frozenset({"What_kind_of_symmetry_do_you_have"}),
    )
    assert sub.instance_id == "uuid:6d1b903a-6d50-4504-bd7b-76c1a5098ed9"
    assert sub.fields["How_many_segments_does_your_body_have"] == "7"
    assert sub.fields["What_kind_of_symmetry_do_you_have"] == "spherical radial bilateral"
    assert sub.submitted_at == dt.datetime(2017, 12, 28, 15, 2, 2, tzinfo=dt.UTC)


def test_arabic_fixture_of_the_same_shape_parses() -> None:
    doc = json.loads((DATA / "tocsin_arabic_v1.json").read_text(encoding="utf-8"))
    subs = [
        read_submission(r, form_id=doc["id_string"], where="fixture", multiple=multiple_questions())
        for r in doc["submissions"]
    ]
    assert subs[0].fields["pseudonym"].startswith("نجمة")
    assert subs[1].fields["categories"] == "siege_related looting_destruction"
    assert parse_geopoint(subs[0].fields["point"])[0] == pytest.approx(13.628, abs=0.02)


def test_odk_central_nested_layout_and_kobo_split_columns() -> None:
    odk = {
        "__id": "uuid:abc",
        "consent": {"consent_given": "yes"},
        "where": {
            "point": {"type": "Point", "coordinates": [25.35, 13.63, 700], "properties": {"accuracy": 5}}
        },
        "what": {"categories": "burning_not_a_category siege_related"},
        "__system": {"submissionDate": "2024-05-10T10:00:00.000Z", "submitterName": "monitor1"},
    }
    sub = read_submission(odk, form_id="f", where="odk", multiple=multiple_questions())
    assert sub.instance_id == "uuid:abc" and sub.submitted_by == "monitor1"
    assert parse_geopoint(sub.fields["point"]) == (13.63, 25.35)
    row = {
        "meta/instanceID": "uuid:csv",
        "what/siege_signs/water_cut": "1",
        "what/siege_signs/power_cut": "0",
        "_where/point_latitude": "13.6",
        "_where/point_longitude": "25.3",
        "where/point": "",
    }
    sub = read_submission(row, form_id="f", where="csv", multiple=multiple_questions())
    assert sub.fields["siege_signs"] == "water_cut"
    assert parse_geopoint(sub.fields["point"]) == (13.6, 25.3)


@given(
    st.floats(-90, 90, allow_nan=False),
    st.floats(-180, 180, allow_nan=False),
    st.floats(0, 5000, allow_nan=False),
    st.floats(0, 100, allow_nan=False),
)
def test_geopoint_layouts_agree(lat: float, lon: float, alt: float, acc: float) -> None:
    text = parse_geopoint(f"{lat!r} {lon!r} {alt} {acc}")
    assert (
        text
        == parse_geopoint([lat, lon])
        == parse_geopoint({"type": "Point", "coordinates": [lon, lat, alt]})
    )


@given(st.lists(st.sampled_from(["roads_closed", "water_cut", "burning", "shelling"]), unique=True))
def test_select_multiple_layouts_agree(chosen: list[str]) -> None:
    spaced = read_submission(
        {"_uuid": "u", "what/siege_signs": " ".join(chosen)},
        form_id="f",
        where="t",
        multiple=multiple_questions(),
    )
    split = read_submission(
        {"_uuid": "u", **{f"what/siege_signs/{c}": "1" for c in chosen}},
        form_id="f",
        where="t",
        multiple=multiple_questions(),
    )
    assert spaced.fields.get("siege_signs", "").split() == split.fields.get("siege_signs", "").split()


# -- bad submissions: a clear reason each, nothing else lost -------------------------------------------------
def _record(instance: str, **answers: str) -> dict[str, str]:
    base = {
        "meta/instanceID": f"uuid:{instance}",
        "_uuid": instance,
        "_id": "1",
        "_submission_time": "2024-05-10T09:00:00",
        "consent/consent_given": "yes",
        "monitor/pseudonym": "نجمة",
        "what/categories": "siege_related",
        "what/siege_signs": "water_cut",
        "what/child_harmed": "no",
        "when/date": "2024-05-10",
        "where/location_method": "gps",
        "where/point": "13.6300 25.3500 700 5",
        "safety/reporter_safe": "yes",
    }
    return {**base, **answers}


def _export(tmp_path: Path, records: list[dict[str, str]], files: dict[str, bytes]) -> tuple[Path, Path]:
    export = tmp_path / "export.json"
    export.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    archive = tmp_path / "attachments.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, content in files.items():
            zipped.writestr(name, content)
    return export, archive


def _import(setup: IntakeSetup, export: Path, archive: Path, user: str = "badr"):  # type: ignore[no-untyped-def]
    zipped = ZipAttachments(archive)
    return setup.store.ingest(
        list(read_export(export)),
        user=user,
        source="file",
        fetch=lambda s, a: zipped.fetch(s, a, setup.workspace.home / "tmp-test"),
    )


def test_bad_submissions_get_a_reason_and_lose_nothing_else(setup: IntakeSetup, tmp_path: Path) -> None:
    records = [
        _record("good", **{"media/photo_1": "ok.jpg"}),
        _record("noconsent", **{"consent/consent_given": "no", "what/description": "لا ينبغي حفظ هذا"}),
        _record("outside", **{"where/point": "48.8566 2.3522 35 5"}),
        _record("corrupt", **{"media/photo_1": "broken.jpg"}),
        _record(
            "unknown",
            **{"where/location_method": "name", "where/point": "", "where/place_name": "قرية لا وجود لها"},
        ),
        _record(
            "byname", **{"where/location_method": "name", "where/point": "", "where/place_name": "الفاشر"}
        ),
    ]
    files = {
        "u/attachments/f/good/ok.jpg": jpeg(1),
        "u/attachments/f/corrupt/broken.jpg": b"\xff\xd8\xff\xe0 not a photo",
    }
    export, archive = _import_args = _export(tmp_path, records, files)
    outcome = _import(setup, *_import_args)
    assert (outcome.reports, outcome.rejected, outcome.attachments) == (5, 1, 2)
    viewer = setup.store.viewer("badr")
    rows = {r["instance_id"].removeprefix("uuid:"): r for r in setup.store.visible(viewer)}
    assert rows["good"]["problems"] == [] and rows["good"]["triage"] == "new"
    assert rows["good"]["place_name"] == "El Fasher"
    assert "no consent" in rows["noconsent"]["problems"][0] and rows["noconsent"]["triage"] == "rejected"
    assert rows["noconsent"]["content"] == {}  # nothing of it kept
    assert "outside Sudan" in rows["outside"]["problems"][0] and rows["outside"]["lat"] is None
    assert any("corrupt" in p for p in rows["corrupt"]["problems"])
    assert rows["corrupt"]["triage"] == "needs_review"
    assert "unknown place name 'قرية لا وجود لها'" in rows["unknown"]["problems"][0]
    assert rows["byname"]["place_name"] == "El Fasher" and rows["byname"]["location_from"] == "name"
    # The corrupt photo is kept as it arrived (in the locker), flagged.
    corrupt = setup.store.get(rows["corrupt"]["id"], viewer)
    assert corrupt["attachments"][0]["item_id"] is not None
    # Every reason reads in Arabic in the inbox too.
    from tocsin.intake.problems import problem_text

    for row in rows.values():
        for problem in row["problems"]:
            assert problem_text(problem, "ar") != problem, problem
            assert problem_text(problem, "en") == problem
    # Importing the same export again adds nothing.
    again = _import(setup, export, archive)
    assert (again.reports, again.duplicates, again.attachments) == (0, 6, 0)


# -- survivors protected ----------------------------------------------------------------------------------
SV = {
    "what/categories": "sexual_violence",
    "what/description": "وصف سري للحادثة",
    "sv/sv_consent": "yes",
    "sv/sv_kinds": "rape",
    "sv/survivor_pseudonym": "وردة",
    "sv/survivor_age_group": "adult",
    "sv/help_wanted": "medical psychosocial",
    "sv/referral_consent": "yes",
    "sv/survivor_contact": "عبر الجارة",
    "monitor/reporter_name": "اسم الراصد الحقيقي",
}


def _sensitive(setup: IntakeSetup, tmp_path: Path) -> int:
    export, archive = _export(tmp_path, [_record("sv1", **SV), _record("plain")], {})
    _import(setup, export, archive)
    with setup.store.sessions() as session:
        from sqlalchemy import select

        from tocsin.records.intake_models import FieldReport

        return int(session.scalar(select(FieldReport.id).where(FieldReport.instance_id == "uuid:sv1")))


def test_survivors_report_only_for_responders(setup: IntakeSetup, tmp_path: Path) -> None:
    report_id = _sensitive(setup, tmp_path)
    store = setup.store
    for username in ("musa", "badr", "amira", "sara", "salim"):  # monitor, analyst, admin; other org
        viewer = store.viewer(username)
        assert report_id not in [r["id"] for r in store.visible(viewer)]
        with pytest.raises(IntakeError, match="no field report"):
            store.get(report_id, viewer)
        assert store.responder_alerts(viewer) == []
    responder = store.viewer(RESPONDER)
    shown = store.get(report_id, responder)
    assert shown["content"]["description"] == "وصف سري للحادثة"
    assert shown["module"]["referral_consent"] == "yes"
    assert store.identity(report_id, "survivor", responder) == {
        "survivor_pseudonym": "وردة",
        "survivor_contact": "عبر الجارة",
    }
    [alert] = store.responder_alerts(responder)
    assert (
        alert["report_id"] == report_id and alert["referral_consent"] == "yes" and alert["kinds"] == ["rape"]
    )
    assert [v["what"] for v in store.views(report_id)] == ["report", "identity:survivor"]
    # Outside the responders: counts only, in the events table too.
    assert store.counts() == {"reports": 2, "sensitive": 1}
    table = events_table(store.report_rows())
    text = json.dumps(table.to_pylist(), default=str, ensure_ascii=False)
    assert "وصف سري" not in text and "وردة" not in text and "اسم الراصد" not in text
    # Nothing readable at rest: not in the clear columns of the database.
    raw = (setup.workspace.home / "records.sqlite").read_bytes()
    for secret in ("وردة", "عبر الجارة", "اسم الراصد الحقيقي", "وصف سري"):
        assert secret.encode() not in raw


def test_reporter_identity_for_analysts_of_the_organisation_only(setup: IntakeSetup, tmp_path: Path) -> None:
    export, archive = _export(tmp_path, [_record("p1", **{"monitor/reporter_name": "حامد"})], {})
    _import(setup, export, archive)
    store = setup.store
    report_id = store.visible(store.viewer("badr"))[0]["id"]
    assert store.identity(report_id, "reporter", store.viewer("badr")) == {"reporter_name": "حامد"}
    with pytest.raises(IntakeError, match="may not open"):
        store.identity(report_id, "reporter", store.viewer("musa"))
    with pytest.raises(IntakeError, match="no field report"):
        store.identity(report_id, "reporter", store.viewer("salim"))
    with pytest.raises(IntakeError, match="only admins and analysts"):
        store.set_verification(report_id, "verified", store.viewer("musa"))
    store.set_verification(report_id, "verified", store.viewer("badr"))
    assert [r["verification"] for r in store.report_rows(verification=("verified",))] == ["verified"]


def test_three_reports_of_water_cut_in_48_hours_raise_a_signal() -> None:
    base = dt.datetime(2024, 5, 10, 8, tzinfo=dt.UTC)
    rows = [
        {
            "id": i,
            "place_id": "p-tawila",
            "place_name": "Tawila",
            "signs": ["water_cut"],
            "submitted_at": base + dt.timedelta(hours=h),
            "occurred_on": None,
        }
        for i, h in enumerate([0, 20, 47, 120])
    ]
    [signal] = report_signals(rows)
    assert signal["text"] == "3 reports of water cut in Tawila in 48 hours"
    assert signal["report_ids"] == [0, 1, 2]
    assert report_signals(rows[:2]) == []


def test_form_and_parser_agree_on_select_multiple() -> None:
    assert {"categories", "siege_signs", "sv_kinds", "help_wanted"} <= multiple_questions()
    assert question_types()["point"] == "geopoint"


def test_no_webhook_for_responder_alerts(setup: IntakeSetup, tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from tocsin.records.models import Alert, WebhookDelivery

    _sensitive(setup, tmp_path)
    with setup.store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 0
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    _ = io  # keep import used


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=80)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "meta/instanceID",
                "_uuid",
                "__id",
                "what/siege_signs",
                "where/point",
                "_geolocation",
                "what/siege_signs/water_cut",
                "_where/point_latitude",
                "x/y/z",
                "consent/consent_given",
            ]
        ),
        st.one_of(st.text(max_size=20), st.integers(), st.none()),
        max_size=8,
    )
)
def test_reading_any_record_keeps_it_whole_or_names_why_not(record: dict[str, object]) -> None:
    from tocsin.intake.parse import SubmissionError

    try:
        sub = read_submission(record, form_id="f", where="row 7", multiple=multiple_questions())
    except SubmissionError as exc:
        assert "row 7" in str(exc)
    except (ValueError, TypeError):
        # A _geolocation that is not a pair of numbers: only that layout may refuse this way.
        assert "_geolocation" in record
    else:
        assert sub.raw == record  # the raw submission is kept (sealed) whatever was made of it


def test_never_stored_twice_whatever_the_order_of_arrivals(setup: IntakeSetup) -> None:
    seen: set[str] = set()

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(st.sampled_from([f"i{n}" for n in range(6)]), max_size=8))
    def arrivals(instances: list[str]) -> None:
        subs = [
            read_submission(_record(i), form_id="f", where=f"arrival {n}", multiple=multiple_questions())
            for n, i in enumerate(instances)
        ]
        outcome = setup.store.ingest(
            subs, user="badr", source="file", fetch=lambda s, a: Path("/nonexistent")
        )
        new = set(instances) - seen
        seen.update(instances)
        assert outcome.reports == len(new)
        assert outcome.duplicates == len(instances) - len(new)
        assert len(setup.store.report_rows()) == len(seen)

    arrivals()


def test_survivors_photo_opens_only_for_responders_in_the_locker(setup: IntakeSetup, tmp_path: Path) -> None:
    from tocsin.evidence.errors import AccessDenied

    export, archive = _export(
        tmp_path, [_record("svp", **SV, **{"media/photo_1": "p.jpg"})], {"x/attachments/f/svp/p.jpg": jpeg(9)}
    )
    outcome = _import(setup, export, archive)
    assert outcome.attachments == 1
    locker = setup.store.locker
    [item] = locker.items()
    assert item["sensitivity"] == "confidential" and item["filename"] == f"item-{item['item_id']}.jpg"
    for username in ("musa", "badr", "amira", "sara", "salim"):
        assert not locker.may_open(item["item_id"], username)
        with pytest.raises(AccessDenied):
            locker.open(item["item_id"], username, io.BytesIO())
    with pytest.raises(AccessDenied, match="designated responders"):
        locker.transfer(item["item_id"], user="badr", to_organisation="Sudan Archive")
    assert locker.may_open(item["item_id"], RESPONDER)
    sink = io.BytesIO()
    locker.open(item["item_id"], RESPONDER, sink, purpose="referral")
    assert sink.getvalue() == jpeg(9)


def test_court_bundle_withholds_a_survivors_photo_from_non_responders(
    setup: IntakeSetup, tmp_path: Path
) -> None:
    from tocsin.evidence.bundle import export_bundle
    from tocsin.records.accounts import add_incident

    export, archive = _export(
        tmp_path,
        [_record("svb", **SV, **{"media/photo_1": "b.jpg"}), _record("plainb", **{"media/photo_1": "c.jpg"})],
        {"x/attachments/f/svb/b.jpg": jpeg(11), "x/attachments/f/plainb/c.jpg": jpeg(12)},
    )
    _import(setup, export, archive)
    with setup.store.sessions() as session, session.begin():
        incident = add_incident(
            session,
            username="rasha",
            title="El Fasher, 10 May 2024",
            category="sexual_violence",
            occurred_from=dt.date(2024, 5, 10),
        )
        incident_id = incident.id
    locker = setup.store.locker
    sv_item, plain_item = (i["item_id"] for i in locker.items())
    locker.link(sv_item, user=RESPONDER, incident=incident_id)
    locker.link(plain_item, user="badr", incident=incident_id)
    by_analyst = export_bundle(locker, incident_id, tmp_path / "analyst.zip", "badr")
    assert by_analyst["items"] == [plain_item]
    assert [w["item_id"] for w in by_analyst["withheld"]] == [sv_item]
    by_responder = export_bundle(locker, incident_id, tmp_path / "responder.zip", RESPONDER)
    assert sorted(by_responder["items"]) == sorted([sv_item, plain_item])
    with zipfile.ZipFile(tmp_path / "analyst.zip") as bundle:
        assert not any(jpeg(11) == bundle.read(name) for name in bundle.namelist())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 3)), min_size=1, max_size=25),
       st.integers(1, 72))
def test_the_busiest_window_is_the_one_a_brute_force_finds(items: list[tuple[int, int]], hours: int) -> None:
    """report_clusters' two-pointer window against every window tried by hand: the same most
    reporters (then reports) within the window, in every chain."""
    base = dt.datetime(2024, 5, 10, tzinfo=dt.UTC)
    window = dt.timedelta(hours=hours)
    rows = [{"id": i, "place_id": "p", "place_name": "P", "signs": ["water_cut"], "organisation_id": 1,
             "collector": f"c{who}", "submitted_at": base + dt.timedelta(hours=h), "occurred_on": None}
            for i, (h, who) in enumerate(items)]
    found = report_clusters(rows, window, threshold=1, independent=True)
    times = sorted((r["submitted_at"], r["id"], r["collector"]) for r in rows)
    chains: list[list[tuple[dt.datetime, int, str]]] = [[times[0]]]
    for item in times[1:]:
        if item[0] - chains[-1][-1][0] > window:
            chains.append([])
        chains[-1].append(item)
    expected = []
    for chain in chains:
        best = max((len({c for t, _, c in chain if start[0] <= t <= start[0] + window}),
                     sum(1 for t, _, _ in chain if start[0] <= t <= start[0] + window)) for start in chain)
        expected.append(best)
    assert sorted((c["reporters"], c["reports"]) for c in found) == sorted(expected)
    assert sum(len(c) for c in chains) == len(rows)  # every report in one chain: none lost
