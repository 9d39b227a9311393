"""KoboToolbox (API v2): submissions of one form (asset), oldest first, from ``_id`` past the
bookmark; attachments by their ``download_url``; token authentication.

``GET {server}/api/v2/assets/{uid}/data/?format=json&sort={"_id":1}&query={"_id":{"$gt":N}}
&limit=L`` answers ``{"count", "next", "results": [...]}`` with each submission in Kobo's layout
(tocsin.intake.parse). Each page is a chunk whose bookmark is its last ``_id``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tocsin.i18n import Said, said_of
from tocsin.intake.form import question_types
from tocsin.intake.parse import Attachment, Submission, SubmissionError, read_submission
from tocsin.intake.store import AttachmentMissing
from tocsin.sync.base import Chunk, SyncContext
from tocsin.sync.field import FieldConnector, field_connector
from tocsin.sync.http import Request, SyncError, Transport, listed_in


def multiple_questions() -> frozenset[str]:
    return frozenset(n for n, t in question_types().items() if t.startswith("select_multiple"))


def refused(exc: SyncError, what: str) -> SyncError:
    """A 401/403 said as what it is, with what to fix; other errors unchanged."""
    if exc.status in (401, 403):
        return SyncError(exc.source, Said("sync.credentials_refused", exc=said_of(exc), what=what),
                         status=exc.status)
    return exc


class KoboConnector(FieldConnector):
    name = "kobo"
    about = "KoboToolbox submissions of one form, with their attachments"
    credentials = ("token",)

    def __init__(self, settings: Any, credentials: Any, client: Any) -> None:
        super().__init__(settings, credentials, client)
        self.asset_uid = str(settings["asset"])
        self.key = f"kobo:{self.server}:{self.asset_uid}"
        self._multiple = multiple_questions()
        self._auth = {"Authorization": f"Token {self.creds['token']}"}

    def pull(self, ctx: SyncContext) -> Iterator[Chunk]:
        after = int(ctx.state.get("after") or ctx.state.get("legacy") or 0)
        while True:
            request = Request("GET", f"{self.server}/api/v2/assets/{self.asset_uid}/data/", params={
                "format": "json", "limit": str(self.page_size), "sort": json.dumps({"_id": 1}),
                "query": json.dumps({"_id": {"$gt": after}})}, headers=self._auth)
            try:
                page = self.client.get_json(request, expect="a page of Kobo submissions")
            except SyncError as exc:
                raise refused(exc, "the Kobo API token (TOCSIN_KOBO_TOKEN)") from exc
            results = listed_in(self.name, request.shown(self.client.secrets), page, "results")
            if results:
                after = int(results[-1]["_id"])
                yield Chunk(state={"after": after}, kind="field-report", rows=results,
                            name=f"kobo {self.asset_uid} to _id {after}",
                            request=request.shown(self.client.secrets))
            if not results or not page.get("next"):
                return

    def submission(self, record: dict[str, Any]) -> Submission:
        where = f"kobo asset {self.asset_uid} _id {record.get('_id')}"
        try:
            return read_submission(record, form_id=self.asset_uid, where=where, multiple=self._multiple)
        except SubmissionError as exc:
            raise SyncError(self.name, str(exc)) from exc

    def fetch(self, sub: Submission, attachment: Attachment, folder: Path) -> Path:
        if not attachment.download_url:
            raise AttachmentMissing(
                f"attachment {attachment.name}: named by the answers but not among "
                "the submission's _attachments"
            )
        return self.download(Request("GET", attachment.download_url, headers=self._auth),
                             folder, attachment.name)


def kobo_connector(server: str, asset: str, token: str, *, page_size: int | None = None,
                   retry: dict[str, Any] | None = None, transport: Transport | None = None,
                   sleep: Callable[[float], None] | None = None) -> KoboConnector:
    settings: dict[str, Any] = {"base_url": server, "asset": asset, "retry": retry or {}}
    if page_size:
        settings["page_size"] = page_size
    connector = field_connector(KoboConnector, settings, {"token": token}, transport, sleep)
    assert isinstance(connector, KoboConnector)
    return connector
