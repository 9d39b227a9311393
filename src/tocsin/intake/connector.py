"""The small connector base the field-intake connectors stand on, until issue 12's sync base
class is merged (the lead reconciles the two): HTTP with retries, a bookmark per source that
moves only after what it covers is committed, and temporary files for attachments.

A transport is plain HTTP; tests and the benchmark point it at a replay server on 127.0.0.1
(tocsin.intake.replay) that answers as Kobo or ODK Central do.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tocsin.intake.parse import Attachment, Submission
from tocsin.intake.store import AttachmentMissing, IntakeStore, Outcome

RETRIES = 4
BACKOFF_SECONDS = 0.5
BOOKMARK_EVERY = 20


class SyncError(Exception):
    """The server cannot be reached or refuses us; nothing past the last committed bookmark
    was taken."""


class HttpTransport:
    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        retries: int = RETRIES,
        backoff: float = BACKOFF_SECONDS,
    ) -> None:
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def _open(self, url: str, data: bytes | None = None, headers: Mapping[str, str] | None = None) -> Any:
        request = urllib.request.Request(url, data=data, headers={**self.headers, **(headers or {})})
        for attempt in range(self.retries + 1):
            try:
                return urllib.request.urlopen(request, timeout=self.timeout)
            except urllib.error.HTTPError as exc:
                if exc.code in (401, 403):
                    raise SyncError(f"{url}: the server refused the credentials (HTTP {exc.code})") from exc
                if exc.code == 404 or (exc.code < 500 and exc.code != 429):
                    raise
                error: Exception = exc
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                error = exc
            if attempt < self.retries:
                time.sleep(self.backoff * (2**attempt))
        raise SyncError(f"{url}: no answer after {self.retries + 1} tries ({error})")

    def get_json(self, url: str) -> Any:
        try:
            with self._open(url, headers={"Accept": "application/json"}) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise SyncError(f"{url}: HTTP {exc.code}") from exc

    def post_json(self, url: str, payload: Any) -> Any:
        try:
            with self._open(
                url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
            ) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise SyncError(f"{url}: HTTP {exc.code}") from exc

    def download(self, url: str, folder: Path, name: str) -> Path:
        """The file at ``url`` in ``folder``; a 404 is AttachmentMissing (recorded, not fatal)."""
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=folder, suffix=Path(name).suffix or ".bin")
        try:
            with os.fdopen(handle, "wb") as out, self._open(url) as response:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
        except urllib.error.HTTPError as exc:
            os.unlink(temp)
            if exc.code == 404:
                raise AttachmentMissing(f"attachment {name}: the server has no such file (HTTP 404)") from exc
            raise SyncError(f"{url}: HTTP {exc.code}") from exc
        except BaseException:
            os.unlink(temp)
            raise
        final = folder / Path(name).name
        os.replace(temp, final)
        return final


class Connector:
    """One source of submissions. Subclasses give ``source`` (kind), ``key`` (the bookmark's
    name), ``submissions(bookmark)`` and ``fetch``; ``run`` stores them and moves the bookmark
    after each submission is committed, so a killed sync resumes where it stopped."""

    source = "kobo"
    key = ""

    def submissions(self, bookmark: str | None) -> Iterator[tuple[Submission, str]]:
        raise NotImplementedError

    def fetch(self, sub: Submission, attachment: Attachment, folder: Path) -> Path:
        raise NotImplementedError

    def run(self, store: IntakeStore, user: str) -> Outcome:
        actor = store.viewer(user)
        outcome = Outcome()
        with tempfile.TemporaryDirectory(prefix="tocsin-intake-", dir=store.workspace.home) as tmp:
            folder = Path(tmp)
            pending: str | None = None
            for count, (sub, bookmark) in enumerate(self.submissions(store.bookmark(self.key)), 1):
                store.store_one(sub, actor=actor, source=self.source,
                                fetch=lambda s, a: self.fetch(s, a, folder), outcome=outcome)
                pending = bookmark
                # Every submission up to here is committed; moving the bookmark less often only
                # means a killed sync re-reads (and skips, by instanceID) a few more.
                if count % BOOKMARK_EVERY == 0:
                    store.set_bookmark(self.key, pending)
                    pending = None
                for leftover in folder.iterdir():
                    leftover.unlink()
            if pending is not None:
                store.set_bookmark(self.key, pending)
        return outcome
