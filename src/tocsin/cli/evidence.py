"""`tocsin evidence ...`: the evidence locker on the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tocsin.cli.common import err, fail, out, print_json, print_table, t, t_count

app = typer.Typer(no_args_is_help=True, help="Evidence with a tamper-evident chain of custody.")
authority_app = typer.Typer(no_args_is_help=True, help="RFC 3161 time-stamping authorities.")
app.add_typer(authority_app, name="authority")
witness_app = typer.Typer(no_args_is_help=True, help=(
    "Witness another Tocsin's custody log: hold and cosign its signed heads."))
app.add_typer(witness_app, name="witness")

AsUser = Annotated[str | None, typer.Option("--as", envvar="TOCSIN_USER", help="Acting user.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print as JSON.")]


def open_locker(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from tocsin.evidence.locker import EvidenceLocker
    from tocsin.workspace import WorkspaceError

    try:
        ctx.obj.require()
    except WorkspaceError as exc:
        fail(exc)
    return EvidenceLocker(ctx.obj)


def run_or_fail(action: Any) -> Any:
    """Call ``action``; evidence, workspace and database errors exit 1 with their message."""
    from sqlalchemy.exc import SQLAlchemyError

    from tocsin.evidence.errors import EvidenceError
    from tocsin.workspace import WorkspaceError

    try:
        return action()
    except (EvidenceError, WorkspaceError) as exc:
        fail(exc)
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0]
        hint = t("evidence.run_init") \
            if "no such table" in first or "does not exist" in first else ""
        fail(t("evidence.records_database_refused", first=first, hint=hint))


def _parse_time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        fail(t("evidence.captured_at_expected_iso", text=text))
    if value.tzinfo is None:
        fail(t("evidence.captured_at_has_no", text=text))
    return value


def _size_or_zero(path: Path) -> int:
    """For the progress bar only: the locker names a file it cannot read."""
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


def _after_write(locker: Any) -> None:
    """Queue a time-stamp of the new state and send what is queued (quietly when offline)."""
    try:
        counts = locker.timestamp(timeout=5.0)
    except Exception as exc:  # never fail a completed write because time-stamping failed
        err.print(t("evidence.time_stamping_postponed", exc=exc))
        return
    if counts["stamped"]:
        out.print(t_count("evidence.time_stamped_by", counts["stamped"], stamped=counts["stamped"]))
    if counts["queued"]:
        err.print(t("evidence.time_stamp_request_s", queued=counts['queued']))


@app.command()
def add(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Files to store.", show_default=False)],
    collector: Annotated[str, typer.Option(help="Who collected the files.")],
    captured_at: Annotated[str, typer.Option(help="When they were captured (ISO 8601 with zone).")],
    sensitivity: Annotated[str, typer.Option(help="public, restricted or confidential.")],
    place: Annotated[str | None, typer.Option(help="Gazetteer place id or name.")] = None,
    lat: Annotated[float | None, typer.Option(help="Latitude (WGS 84).")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude (WGS 84).")] = None,
    source_url: Annotated[str | None, typer.Option(help="Where it was found online.")] = None,
    description: Annotated[str | None, typer.Option(help="What it shows.")] = None,
    event: Annotated[list[str] | None, typer.Option(help="Lake event_uid (repeatable).")] = None,
    incident: Annotated[list[int] | None, typer.Option(help="Incident id (repeatable).")] = None,
    method: Annotated[str | None, typer.Option(help="How it was collected (phone camera, "
                                                     "web capture, interview ...).")] = None,
    copy: Annotated[bool, typer.Option("--copy", help="The file is a copy, not the original.")]
    = False,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Store files by SHA-256 and record them in the custody log."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    locker = open_locker(ctx)
    when = _parse_time(captured_at)
    total = sum(_size_or_zero(f) for f in files)
    with Progress(BarColumn(), DownloadColumn(), TransferSpeedColumn(), console=err,
                  transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(t("evidence.storing"), total=total)
        added = run_or_fail(lambda: locker.add(
            files, user=as_user or "", collector=collector, captured_at=when,
            sensitivity=sensitivity, place=place, lat=lat, lon=lon, source_url=source_url,
            description=description, events=event or [], incidents=incident or [],
            method=method, original=not copy,
            on_bytes=lambda n: progress.advance(task, n)))
    if as_json:
        print_json([a.__dict__ for a in added])
    else:
        for item in added:
            again = t("evidence.same_content", items=', '.join(map(str, item.duplicate_of))) \
                if item.duplicate_of else ""
            out.print(t("evidence.added_item_bytes_sha", item_id=item.item_id, filename=item.filename,
                        media_type=item.media_type, size=item.size, sha256=item.sha256, again=again))
    _after_write(locker)


@app.command("list")
def list_items(
    ctx: typer.Context,
    incident: Annotated[int | None, typer.Option(help="Only this incident's items.")] = None,
    as_json: AsJson = False,
) -> None:
    """List items (no content, no sealed metadata)."""
    items = run_or_fail(lambda: open_locker(ctx).items(incident))
    if as_json:
        print_json(items)
        return
    table = Table(t("evidence.id"), t("evidence.file"), t("evidence.type"), t("evidence.bytes"),
                  t("evidence.sensitivity"), t("evidence.status"), t("evidence.captured"),
                  t("evidence.collector"),
                  title=t("evidence.evidence"))
    for i in items:
        table.add_row(str(i["item_id"]), i["filename"], i["media_type"], f"{i['size']:,}",
                      i["sensitivity"], i["status"], i["captured_at"][:16], i["collector"])
    print_table(table)


@app.command()
def show(ctx: typer.Context, item: Annotated[int, typer.Argument(help="Item id.")],
         as_user: AsUser = None) -> None:
    """An item's metadata as JSON (a logged view when it unseals a confidential item)."""
    locker = open_locker(ctx)
    print_json(run_or_fail(lambda: locker.metadata(item, as_user or "")))


@app.command("open")
def open_item(
    ctx: typer.Context,
    item: Annotated[int, typer.Argument(help="Item id.")],
    output: Annotated[Path, typer.Option("--out", help="Where to write the content.")],
    purpose: Annotated[str | None, typer.Option(help="Why (recorded in the log).")] = None,
    as_user: AsUser = None,
) -> None:
    """Write an item's content to a file (checked against its SHA-256; views are logged)."""
    locker = open_locker(ctx)
    if output.exists():
        fail(t("evidence.exists_choose_another_out", output=output))
    tmp = output.with_name(f".{output.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as sink:
            run_or_fail(lambda: locker.open(item, as_user or "", sink, purpose))
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    out.print(t("evidence.wrote_item", item=item, output=output))


@app.command()
def redact(
    ctx: typer.Context,
    item: Annotated[int, typer.Argument(help="The original item.")],
    redacted_file: Annotated[Path, typer.Argument(help="The redacted version (made by you).")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the log).")],
    sensitivity: Annotated[str | None, typer.Option(help="Of the new item (default: the "
                                                         "original's).")] = None,
    description: Annotated[str | None, typer.Option(help="Of the new item.")] = None,
    as_user: AsUser = None,
) -> None:
    """Store a redacted copy as a new item linked to the original, which stays intact."""
    locker = open_locker(ctx)
    new = run_or_fail(lambda: locker.redact(item, redacted_file, user=as_user or "", reason=reason,
                                     sensitivity=sensitivity, description=description))
    out.print(t("evidence.added_item_redaction_item", item_id=new.item_id, item=item))
    _after_write(locker)


@app.command()
def delete(
    ctx: typer.Context,
    item: Annotated[int, typer.Argument(help="Item id.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the signed tombstone).")],
    as_user: AsUser = None,
) -> None:
    """Remove an item's content for someone's safety; a signed tombstone stays in the log."""
    locker = open_locker(ctx)
    run_or_fail(lambda: locker.delete(item, user=as_user or "", reason=reason))
    out.print(t("evidence.deleted_content_item_its", item=item))
    _after_write(locker)


@app.command()
def transfer(
    ctx: typer.Context,
    item: Annotated[int, typer.Argument(help="Item id.")],
    to_org: Annotated[str, typer.Option("--to-org", help="Organisation receiving access.")],
    note: Annotated[str, typer.Option(help="Recorded in the log.")] = "",
    as_user: AsUser = None,
) -> None:
    """Give another organisation access to an item (recorded as a transfer)."""
    locker = open_locker(ctx)
    run_or_fail(lambda: locker.transfer(item, user=as_user or "", to_organisation=to_org, note=note))
    out.print(t("evidence.transferred_item", item=item, to_org=to_org))
    _after_write(locker)


@app.command()
def link(
    ctx: typer.Context,
    item: Annotated[int, typer.Argument(help="Item id.")],
    incident: Annotated[int | None, typer.Option(help="Incident id.")] = None,
    event: Annotated[str | None, typer.Option(help="Lake event_uid.")] = None,
    as_user: AsUser = None,
) -> None:
    """Link an item to an incident or an event."""
    locker = open_locker(ctx)
    run_or_fail(lambda: locker.link(item, user=as_user or "", incident=incident, event=event))
    out.print(t("evidence.linked_item", item=item))
    _after_write(locker)


@app.command()
def log(
    ctx: typer.Context,
    item: Annotated[int | None, typer.Option(help="Only this item's entries.")] = None,
    as_json: AsJson = False,
) -> None:
    """The custody log, oldest first."""
    locker = open_locker(ctx)

    def read() -> list[dict[str, Any]]:
        with locker.session() as session:
            rows = []
            for entry in locker.db_entries(session):
                body = entry.body
                if item is not None and body.get("item") != item:
                    continue
                rows.append({"seq": entry.seq, "at": body.get("at"), "action": body.get("action"),
                             "organisation": (body.get("organisation") or {}).get("name"),
                             "user": body.get("user"), "item": body.get("item"),
                             "details": body.get("details"), "entry_hash": entry.entry_hash,
                             "key_id": entry.key_id})
            return rows

    rows = run_or_fail(read)
    if as_json:
        print_json(rows)
        return
    table = Table(t("evidence.seq"), t("evidence.at"), t("evidence.action"), t("evidence.item"),
                  t("evidence.who"), t("evidence.hash"), title=t("evidence.custody_log"))
    for row in rows:
        table.add_row(str(row["seq"]), (row["at"] or "")[:19], row["action"],
                      str(row["item"] or ""), f"{row['user']} ({row['organisation']})",
                      row["entry_hash"][:16])
    print_table(table)


def _print_report(report: Any, as_json: bool, what: str) -> None:
    if as_json:
        print_json(report.to_json())
    else:
        for note in report.notes:
            out.print(t("evidence.note", note=note))
        checked = ", ".join(f"{v} {k}" for k, v in report.checked.items())
        if report.ok:
            out.print(t("evidence.ok_verifies", what=what, checked=checked))
        else:
            for finding in report.findings:
                err.print(t("evidence.tampered", finding=finding))
            err.print(t("evidence.problem_s_found", n_findings=len(report.findings), checked=checked))
    if not report.ok:
        raise typer.Exit(1)


OrgKeys = Annotated[list[str] | None, typer.Option(
    "--org-key", help="Pin an organisation's key by fingerprint (its key id, or the SHA-256 of "
                      "the public key, as published); repeatable.")]


def _fingerprints(values: list[str] | None) -> list[str]:
    from tocsin.evidence.custody import normalise_fingerprint

    try:
        return [normalise_fingerprint(v) for v in values or []]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--org-key") from None


@app.command()
def verify(
    ctx: typer.Context,
    quick: Annotated[bool, typer.Option(help="Skip re-hashing blobs (checks they exist).")]
    = False,
    witness: Annotated[list[Path] | None, typer.Option(
        help="A witness folder holding heads of this log (repeatable): a fork, truncation or "
             "rollback against any head it holds is a finding.")] = None,
    org_key: OrgKeys = None,
    as_json: AsJson = False,
) -> None:
    """Recompute every hash, the chain, the signatures and the time-stamps; name what is wrong."""
    from tocsin.evidence.heads import Witness
    from tocsin.evidence.verify import verify_locker

    locker = open_locker(ctx)
    pins = _fingerprints(org_key)

    def run() -> Any:
        witnesses = [Witness.open(w) for w in witness or []]
        with ctx.obj.write_lock():
            repaired = locker.recover()
        report = verify_locker(locker, hash_blobs=not quick, witnesses=witnesses, pins=pins)
        report.notes[:0] = [t("evidence.repaired", what=r) for r in repaired]
        return report

    _print_report(run_or_fail(run), as_json, t("evidence.the_locker"))


@app.command()
def export(
    ctx: typer.Context,
    incident: Annotated[int, typer.Option(help="Incident id.")],
    output: Annotated[Path, typer.Option("--out", help="The bundle (.zip) to write.")],
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Write a self-describing, verifiable bundle of an incident's evidence."""
    from tocsin.evidence.bundle import export_bundle

    locker = open_locker(ctx)
    if output.exists():
        fail(t("evidence.exists_choose_another_out", output=output))
    if not output.parent.is_dir():
        fail(t("evidence.out_folder_does_not", output=output, parent=output.parent))
    result = run_or_fail(lambda: export_bundle(locker, incident, output, as_user or ""))
    if as_json:
        print_json(result)
        return
    out.print(t("evidence.wrote_item_s", output=output, n_items=len(result['items'])))
    for withheld in result["withheld"]:
        err.print(t("evidence.withheld_item", item_id=withheld['item_id'], reason=withheld['reason']))


@app.command("verify-bundle")
def verify_bundle_command(
    bundle: Annotated[Path, typer.Argument(help="A bundle written by `tocsin evidence export`.")],
    org_key: OrgKeys = None,
    witness: Annotated[Path | None, typer.Option(
        help="Take the maker's key from this witness folder (the key it pins).")] = None,
    as_json: AsJson = False,
) -> None:
    """Check a bundle on its own: files, manifest signature and maker, custody log, keys,
    signed head, time-stamps."""
    from tocsin.evidence.bundle import verify_bundle
    from tocsin.evidence.heads import Witness

    pins = _fingerprints(org_key)
    witnesses = []
    if witness is not None:
        witnesses = [run_or_fail(lambda: Witness.open(witness))]
    _print_report(verify_bundle(bundle, pins=pins, witnesses=witnesses), as_json, str(bundle))


@app.command()
def head(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option("--out", help="Also write the head here.")]
    = None,
    from_size: Annotated[int | None, typer.Option(
        help="Add a consistency proof from a head of this many entries (a witness's last).")]
    = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Sign, time-stamp and publish the custody log's current head (tree size and Merkle root),
    for witnesses to hold: `tocsin evidence witness cosign`."""
    from tocsin.lake import atomic_write_text

    locker = open_locker(ctx)
    signed = run_or_fail(lambda: locker.signed_head(as_user or "", from_size=from_size))
    failures = signed.pop("timestamp_failures")
    for failure in failures:
        err.print(t("evidence.time_stamp_not_obtained", failure=failure))
    if output is not None:
        try:
            atomic_write_text(output, json.dumps(signed, indent=1, sort_keys=True))
        except OSError as exc:
            fail(t("evidence.cannot_write_out", output=output, exc=exc))
    if as_json:
        print_json(signed)
        return
    out.print(t("evidence.signed_head_entries_root", tree_size=signed['tree_size'],
                root_hash=signed['root_hash'], name=signed['organisation']['name'],
                key_id=signed['key_id'], n_timestamps=len(signed.get('timestamps', []))))
    if output is not None:
        out.print(t("evidence.wrote", output=output))


@app.command()
def proof(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(help="The custody entry to prove.", min=1)],
    size: Annotated[int | None, typer.Option(help="Tree size (default: the whole log).")] = None,
) -> None:
    """An inclusion proof (RFC 9162) of one custody entry in the log's tree, as JSON."""
    from tocsin.evidence.heads import inclusion, log_tree

    locker = open_locker(ctx)

    def build() -> dict[str, Any]:
        with locker.session() as session:
            entries = locker.db_entries(session)
        tree = log_tree(entries)
        wanted = size or tree.size
        if not seq <= wanted <= tree.size:
            fail(t("evidence.entry_not_tree_log", seq=seq, wanted=wanted, size=tree.size))
        return {"entry_hash": entries[seq - 1].entry_hash, "root_hash": tree.root(wanted).hex(),
                **inclusion(tree, seq, wanted)}

    print_json(run_or_fail(build))


@witness_app.command("init")
def witness_init(
    folder: Annotated[Path, typer.Argument(help="A folder outside the workspace you witness.")],
    name: Annotated[str | None, typer.Option(help="The witness's name (yours).")] = None,
) -> None:
    """Make a witness folder with its own cosigning key."""
    from tocsin.evidence.heads import Witness

    witness = run_or_fail(lambda: Witness.init(folder, name))
    out.print(t("evidence.witness_ready_key", name=witness.name, folder=folder,
                key_id=witness.config['key_id']))


@witness_app.command("cosign")
def witness_cosign(
    folder: Annotated[Path, typer.Argument(help="The witness folder.")],
    head_file: Annotated[Path, typer.Argument(help="A head from `tocsin evidence head --out`.")],
    org_key: Annotated[str | None, typer.Option(
        "--org-key", help="The publisher's key fingerprint, pinned on the first head.")] = None,
) -> None:
    """Check a head against the last one held (same log, pinned key, consistency proof), then
    record and cosign it; a fork, truncation or rollback is refused (exit 1)."""
    from tocsin.evidence.custody import normalise_fingerprint
    from tocsin.evidence.heads import Witness, read_head

    if org_key is not None:
        try:
            normalise_fingerprint(org_key)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--org-key") from None

    def cosign() -> dict[str, Any]:
        witness = Witness.open(folder)
        first = not witness.heads
        record = witness.cosign(read_head(head_file), org_key)
        if first and org_key is None:
            err.print(t("evidence.pinned_key_on_first",
                        pinned_key=witness.config['publisher']['pinned_key'],
                        name=record['head']['organisation']['name']))
        return record

    record = run_or_fail(cosign)
    out.print(t("evidence.cosigned_head_entries", tree_size=record['head']['tree_size'],
                root_hash=record['head']['root_hash'][:16]))


@witness_app.command("show")
def witness_show(
    folder: Annotated[Path, typer.Argument(help="The witness folder.")],
    as_json: AsJson = False,
) -> None:
    """The heads a witness holds."""
    from tocsin.evidence.heads import Witness

    witness = run_or_fail(lambda: Witness.open(folder))
    if as_json:
        print_json({"config": witness.config, "heads": witness.heads})
        return
    table = Table(t("evidence.size"), t("evidence.root"), t("evidence.issued"), t("evidence.by"),
                  t("evidence.seen"), title=t("evidence.witness", name=witness.name))
    for record in witness.heads:
        h = record["head"]
        table.add_row(str(h["tree_size"]), h["root_hash"][:16], h["issued_at"],
                      h["organisation"].get("name", ""), record["seen_at"])
    out.print(table)


@app.command()
def timestamp(
    ctx: typer.Context,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each authority.")] = 10.0,
    as_json: AsJson = False,
) -> None:
    """Time-stamp the current state and send queued requests to every authority."""
    counts = run_or_fail(lambda: open_locker(ctx).timestamp(timeout))
    if as_json:
        print_json(counts)
        return
    out.print(t("evidence.stamped_still_queued_refused", stamped=counts['stamped'],
                queued=counts['queued'], failed=counts['failed']))
    if counts["failed"]:
        raise typer.Exit(1)


@authority_app.command("add")
def authority_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short name.")],
    url: Annotated[str, typer.Argument(help="The authority's RFC 3161 HTTP(S) URL.")],
    ca_cert: Annotated[Path | None, typer.Option(help="PEM of the CA its certificate chains to.")]
    = None,
) -> None:
    """Add a time-stamping authority (several may be configured)."""
    ca_pem = None
    if ca_cert is not None:
        try:
            ca_pem = ca_cert.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            fail(t("evidence.ca_cert", ca_cert=ca_cert, exc=exc))
        if "BEGIN CERTIFICATE" not in ca_pem:
            fail(t("evidence.ca_cert_not_pem", ca_cert=ca_cert))
    run_or_fail(lambda: open_locker(ctx).add_authority(name, url, ca_pem))
    out.print(t("evidence.added_authority", name=name, url=url))


@authority_app.command("list")
def authority_list(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List time-stamping authorities."""
    from sqlalchemy import select

    from tocsin.records.evidence_models import TimestampAuthority

    locker = open_locker(ctx)
    with locker.session() as session:
        rows = [{"name": a.name, "url": a.url, "ca": bool(a.ca_pem)}
                for a in session.scalars(select(TimestampAuthority))]
    if as_json:
        print_json(rows)
        return
    out.print(json.dumps(rows, indent=2))
