"""Exports carried by hand where there is no connection at all: Kobo's JSON (the API's
``results``, a list, or a formpack-style ``{"submissions": [...]}``), CSV (``;`` or ``,``) and
XLSX exports, with the attachments ZIP Kobo makes
(``<user>/attachments/<form uuid>/<instance uuid>/<file>``)."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from tocsin.intake.parse import Attachment, Submission, SubmissionError, read_submission
from tocsin.intake.store import AttachmentMissing
from tocsin.sync.kobo import multiple_questions


class ExportError(ValueError):
    """The file is not a Kobo/ODK export Tocsin can read; the message names file and place."""


def _records(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ExportError(f"{path}: not JSON ({exc})") from exc
        if isinstance(data, dict):
            data = data.get("results", data.get("submissions", data.get("value")))
        if not isinstance(data, list):
            raise ExportError(
                f"{path}: expected a list of submissions, or an object with "
                "'results', 'submissions' or 'value'"
            )
        for number, record in enumerate(data, 1):
            if not isinstance(record, dict):
                raise ExportError(f"{path}: submission {number} is not an object")
            yield record, f"{path.name} submission {number}"
    elif suffix == ".csv":
        with open(path, newline="", encoding="utf-8-sig") as handle:
            head = handle.readline()
            handle.seek(0)
            delimiter = ";" if head.count(";") > head.count(",") else ","
            for number, row in enumerate(csv.DictReader(handle, delimiter=delimiter), 2):
                yield {k: v for k, v in row.items() if k is not None}, f"{path.name} line {number}"
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(c) if c is not None else "" for c in next(rows, [])]
        for number, row in enumerate(rows, 2):
            values = {h: ("" if v is None else str(v)) for h, v in zip(header, row, strict=False) if h}
            if any(values.values()):
                yield values, f"{path.name} sheet {sheet.title} row {number}"
    else:
        raise ExportError(
            f"{path}: expected a Kobo export (.json, .csv or .xlsx), not {suffix or 'no suffix'}"
        )


def read_export(path: Path, form_id: str | None = None) -> Iterator[Submission]:
    multiple = multiple_questions()
    for record, where in _records(path):
        try:
            yield read_submission(record, form_id=form_id or path.stem, where=where, multiple=multiple)
        except SubmissionError as exc:
            raise ExportError(str(exc)) from exc


class ZipAttachments:
    """Finds a submission's file in Kobo's attachments ZIP: by its instance folder, else by a
    file name that is unique in the archive."""

    def __init__(self, path: Path | None) -> None:
        self.zip = zipfile.ZipFile(path) if path else None
        self.by_folder: dict[tuple[str, str], str] = {}
        self.by_name: dict[str, list[str]] = {}
        for name in self.zip.namelist() if self.zip else []:
            parts = PurePosixPath(name)
            if name.endswith("/"):
                continue
            self.by_folder[(parts.parent.name, parts.name)] = name
            self.by_name.setdefault(parts.name, []).append(name)

    def fetch(self, sub: Submission, attachment: Attachment, folder: Path) -> Path:
        if self.zip is None:
            raise AttachmentMissing(
                f"attachment {attachment.name}: no attachments ZIP was given (--attachments)"
            )
        instance = sub.instance_id.removeprefix("uuid:")
        member = self.by_folder.get((instance, attachment.name))
        if member is None and len(self.by_name.get(attachment.name, [])) == 1:
            member = self.by_name[attachment.name][0]
        if member is None:
            raise AttachmentMissing(f"attachment {attachment.name}: not in the attachments ZIP")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / attachment.name
        with self.zip.open(member) as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        return target
