"""`tocsin forms export`, `tocsin intake ...` (import, list, show, verify, responders) and
`tocsin sync kobo|odk`: field reports from the tools monitors already use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from tocsin.cli.common import fail, out, print_json, t
from tocsin.cli.evidence import AsJson, AsUser, run_or_fail

forms = typer.Typer(no_args_is_help=True, help="The incident-report form for Kobo and ODK Central.")
app = typer.Typer(no_args_is_help=True, help="Field reports: import, triage, verify, responders.")
sync = typer.Typer(no_args_is_help=True, help="Fetch new submissions from KoboToolbox or ODK Central.")
PageSize = Annotated[int, typer.Option(min=1, max=256, help="Submissions a page: each page is stored "
                                       "as one batch (reports, then its attachments in one locker "
                                       "transaction) before its bookmark moves.")]


def _store(ctx: typer.Context) -> Any:
    from tocsin.intake.store import IntakeStore
    from tocsin.workspace import WorkspaceError

    try:
        ctx.obj.require()
    except WorkspaceError as exc:
        fail(exc)
    return IntakeStore(ctx.obj)


def _run(action: Any) -> Any:
    from tocsin.intake.files import ExportError
    from tocsin.intake.store import IntakeError
    from tocsin.sync.http import SyncError

    try:
        return run_or_fail(action)
    except (IntakeError, SyncError, ExportError) as exc:
        fail(exc)


def _summary(outcome: Any, as_json: bool) -> None:
    if as_json:
        print_json(outcome.as_dict())
        return
    out.print(
        t("intake.new_report_s_already", reports=outcome.reports, duplicates=outcome.duplicates,
          rejected=outcome.rejected, attachments=outcome.attachments)
    )
    for problem in outcome.problems:
        out.print(f"  - {problem}")


@forms.command("export")
def forms_export(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the XLSForm and the place list.")] = Path(
        "forms"
    ),
) -> None:
    """Write the XLSForm (Arabic, with English) and places.csv from the gazetteer, for upload
    to KoboToolbox or ODK Central."""
    from tocsin.intake.form import FORM_ID, PLACES_FILE, write_places, write_xlsform
    from tocsin.lake import Lake

    form = write_xlsform(out_dir / f"{FORM_ID}.xlsx")
    places: list[dict[str, Any]] = []
    workspace = ctx.obj
    if workspace.exists() and Lake(workspace.lake_dir).derived_path("gazetteer") is not None:
        con = Lake(workspace.lake_dir).connect()
        rows = con.execute(
            "SELECT g.place_id, g.name, g.name_ar, a.name_en FROM gazetteer g LEFT JOIN "
            "(SELECT DISTINCT pcode, name_en FROM areas) a ON a.pcode = g.admin2_pcode "
            "WHERE g.place_class IN ('city', 'town', 'village', 'camp', 'idp_site') "
            "ORDER BY g.importance DESC, g.name"
        ).fetchall()
        places = [{"place_id": r[0], "name": r[1], "name_ar": r[2], "admin2": r[3]} for r in rows]
    count = write_places(out_dir / PLACES_FILE, places)
    out.print(
        t("intake.wrote_places", form=form, value=out_dir / PLACES_FILE, count=count,
          what='' if places else t('intake.no_gazetteer_this_workspace'))
    )


@app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Kobo export (.json, .csv, .xlsx).")],
    attachments: Annotated[Path | None, typer.Option(help="Kobo's attachments ZIP.")] = None,
    form_id: Annotated[str | None, typer.Option(help="Form id (default: the file name).")] = None,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Import an export carried by hand; a resubmission (same instanceID) adds nothing."""
    import tempfile

    from tocsin.intake.files import ZipAttachments, read_export

    if not file.is_file():
        fail(t("intake.no_such_file", file=file))
    if attachments is not None and not attachments.is_file():
        fail(t("intake.no_such_file_2", attachments=attachments))
    store = _store(ctx)

    def go() -> Any:
        zipped = ZipAttachments(attachments)
        with tempfile.TemporaryDirectory(prefix="tocsin-import-", dir=ctx.obj.home) as tmp:
            return store.ingest(
                list(read_export(file, form_id)),
                user=user or "",
                source="file",
                fetch=lambda s, a: zipped.fetch(s, a, Path(tmp)),
            )

    try:
        _summary(_run(go), as_json)
    finally:
        store.close()


@app.command("list")
def list_reports(
    ctx: typer.Context,
    user: AsUser = None,
    as_json: AsJson = False,
    triage: Annotated[str | None, typer.Option(help="Only this triage state.")] = None,
) -> None:
    """Reports you may see (a survivor's report only if you are a designated responder)."""
    store = _store(ctx)
    try:
        rows = _run(lambda: store.visible(store.viewer(user), triage=triage))
        counts = store.counts()
    finally:
        store.close()
    if as_json:
        print_json({"reports": rows, "all_organisations": counts})
        return
    for r in rows:
        out.print(
            f"{r['id']:>5}  {r['occurred_on'] or '?'}  {r['place_name'] or '?'}  "
            f"{', '.join(r['categories'])}  [{r['triage']}, {r['verification']}]"
            + (t("intake.problems", problems='; '.join(r['problems'])) if r["problems"] else "")
        )
    out.print(
        t("intake.report_s_shown_held", n_rows=len(rows), reports=counts['reports'],
          sensitive=counts['sensitive'])
    )


@app.command("show")
def show(
    ctx: typer.Context,
    report_id: int,
    user: AsUser = None,
    identity: Annotated[
        str | None, typer.Option(help="Also open this identity (reporter, survivor): logged.")
    ] = None,
) -> None:
    """One report (a logged view)."""
    store = _store(ctx)
    try:
        viewer = _run(lambda: store.viewer(user))
        row = _run(lambda: store.get(report_id, viewer, what="cli"))
        if identity:
            row["identity"] = _run(lambda: store.identity(report_id, identity, viewer))
    finally:
        store.close()
    print_json(row)


@app.command("verify")
def verify(
    ctx: typer.Context,
    report_id: int,
    status: Annotated[str, typer.Option(help="unverified, corroborated or verified")],
    note: str | None = None,
    user: AsUser = None,
) -> None:
    """Set a report's verification status (admins and analysts; responders for a survivor's)."""
    store = _store(ctx)
    try:
        _run(lambda: store.set_verification(report_id, status, store.viewer(user), note))
    finally:
        store.close()
    out.print(t("intake.report", report_id=report_id, status=status))


@app.command("suggest")
def suggest(ctx: typer.Context, report_id: int, user: AsUser = None) -> None:
    """Events, burnings and other reports near the report in time and place."""
    from tocsin.intake.corroborate import suggestions

    store = _store(ctx)
    try:
        viewer = _run(lambda: store.viewer(user))
        row = _run(lambda: store.get(report_id, viewer, what="suggestions"))
        print_json(suggestions(ctx.obj, store, row, viewer))
    finally:
        store.close()


@app.command("signals")
def signals(
    ctx: typer.Context,
    user: AsUser = None,
    as_json: AsJson = False,
    hours: Annotated[int, typer.Option(help="Window in hours.")] = 48,
    threshold: Annotated[int, typer.Option(help="Reports of one sign at one place.")] = 3,
) -> None:
    """Clusters such as "3 reports of water cut in Tawila in 48 hours", verified or not, among
    the reports you may see."""
    import datetime as dt

    from tocsin.intake.reports import report_signals

    store = _store(ctx)
    try:
        rows = _run(lambda: store.visible(store.viewer(user)))
    finally:
        store.close()
    found = report_signals(rows, dt.timedelta(hours=hours), threshold)
    if as_json:
        print_json(found)
        return
    for signal in found:
        out.print(t("intake.reports", text=signal['text'],
                    items=', '.join(str(i) for i in signal['report_ids'])))
    if not found:
        out.print(t("intake.no_cluster_reports"))


responders = typer.Typer(no_args_is_help=True, help="Designated responders (restricted alerts).")
app.add_typer(responders, name="responders")


@responders.command("add")
def responders_add(ctx: typer.Context, username: str, user: AsUser = None) -> None:
    """Designate a user of your organisation as a responder (admins only)."""
    store = _store(ctx)
    try:
        _run(lambda: store.add_responder(username, by=user or ""))
    finally:
        store.close()
    out.print(t("intake.designated_responder", username=username))


def _secret(env: str, what: str) -> str:
    value = os.environ.get(env)
    if not value:
        fail(t("intake.set_never_on_command", env=env, what=what))
    return str(value)


@sync.command("kobo")
def sync_kobo(
    ctx: typer.Context,
    server: Annotated[str, typer.Option(help="Kobo server, e.g. https://kf.kobotoolbox.org")],
    asset: Annotated[str, typer.Option(help="The form's asset uid.")],
    token_env: Annotated[str, typer.Option(help="Variable holding the API token.")] = "TOCSIN_KOBO_TOKEN",
    page_size: PageSize = 100,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """New submissions of one Kobo form, with their attachments; resumes where it stopped."""
    from tocsin.sync.field import sync_reports
    from tocsin.sync.kobo import kobo_connector

    token = _secret(token_env, "KoboToolbox API token")
    store = _store(ctx)
    try:
        outcome = _run(lambda: sync_reports(store, kobo_connector(server, asset, token, page_size=page_size),
                                            user or ""))
    finally:
        store.close()
    _summary(outcome, as_json)


@sync.command("odk")
def sync_odk(
    ctx: typer.Context,
    server: Annotated[str, typer.Option(help="ODK Central, e.g. https://central.example.org")],
    project: Annotated[int, typer.Option(help="Project id.")],
    form: Annotated[str, typer.Option(help="Form id.")] = "tocsin_incident_report",
    email_env: str = "TOCSIN_ODK_EMAIL",
    password_env: str = "TOCSIN_ODK_PASSWORD",
    page_size: PageSize = 100,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """New submissions of one ODK Central form (OData), with their attachments."""
    from tocsin.sync.field import sync_reports
    from tocsin.sync.odk import odk_connector

    email, password = _secret(email_env, "ODK Central account"), _secret(password_env, "ODK Central password")
    store = _store(ctx)
    try:
        outcome = _run(lambda: sync_reports(store, odk_connector(server, project, form, email, password,
                                                                  page_size=page_size),
                                            user or ""))
    finally:
        store.close()
    _summary(outcome, as_json)
