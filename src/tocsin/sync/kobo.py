"""KoboToolbox (API v2): submissions of one form (asset), oldest first, from ``_id`` past the
bookmark; attachments by their ``download_url``; token authentication.

``GET {server}/api/v2/assets/{uid}/data/?format=json&sort={"_id":1}&query={"_id":{"$gt":N}}
&limit=L`` answers ``{"count", "next", "results": [...]}`` with each submission in Kobo's layout
(tocsin.intake.parse).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from tocsin.intake.connector import Connector, HttpTransport, SyncError
from tocsin.intake.form import question_types
from tocsin.intake.parse import Attachment, Submission, SubmissionError, read_submission
from tocsin.intake.store import AttachmentMissing

PAGE_SIZE = 100


def multiple_questions() -> frozenset[str]:
    return frozenset(n for n, t in question_types().items() if t.startswith("select_multiple"))


class KoboConnector(Connector):
    source = "kobo"

    def __init__(
        self,
        server: str,
        asset_uid: str,
        token: str,
        page_size: int = PAGE_SIZE,
        transport: HttpTransport | None = None,
    ) -> None:
        if not server.startswith(("http://", "https://")):
            raise SyncError(f"--server must be an http(s) URL, not {server!r}")
        self.server = server.rstrip("/")
        self.asset_uid = asset_uid
        self.page_size = page_size
        self.transport = transport or HttpTransport({"Authorization": f"Token {token}"})
        self.key = f"kobo:{self.server}:{asset_uid}"
        self._multiple = multiple_questions()

    def _page_url(self, after: int) -> str:
        query = urllib.parse.urlencode(
            {
                "format": "json",
                "limit": str(self.page_size),
                "sort": json.dumps({"_id": 1}),
                "query": json.dumps({"_id": {"$gt": after}}),
            }
        )
        return f"{self.server}/api/v2/assets/{self.asset_uid}/data/?{query}"

    def submissions(self, bookmark: str | None) -> Iterator[tuple[Submission, str]]:
        after = int(bookmark) if bookmark else 0
        while True:
            page = self.transport.get_json(self._page_url(after))
            results = page.get("results") or []
            for record in results:
                where = f"kobo asset {self.asset_uid} _id {record.get('_id')}"
                try:
                    sub = read_submission(
                        record, form_id=self.asset_uid, where=where, multiple=self._multiple
                    )
                except SubmissionError as exc:
                    raise SyncError(str(exc)) from exc
                after = int(record["_id"])
                yield sub, str(after)
            if not results or not page.get("next"):
                return

    def fetch(self, sub: Submission, attachment: Attachment, folder: Path) -> Path:
        if not attachment.download_url:
            raise AttachmentMissing(
                f"attachment {attachment.name}: named by the answers but not among "
                "the submission's _attachments"
            )
        return self.transport.download(attachment.download_url, folder, attachment.name)
