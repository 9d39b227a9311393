"""The field tools' connectors (KoboToolbox, ODK Central) on the sync base, and their driver.

A field connector is a sync ``Connector`` like ACLED's: settings, credentials, the retrying
``Client`` (backoff honouring Retry-After, one token refresh on 401, errors naming the source,
the request and the reply, credentials masked), and ``pull(ctx)`` yielding ``Chunk`` s: a page of
submissions as the tool gives them and the bookmark that holds once they are stored. Only the
driver differs from the lake's (``sync_source``): field reports go to the records database and
their attachments to the evidence locker (``IntakeStore.store_batch``: a submission is stored once
by its instanceID, its attachments once by name; a chunk's attachments go into the locker as
one batch, one commit), and the chunk's bookmark is committed to ``intake_bookmarks`` once every
submission of the chunk is. A sync killed anywhere resumes from
the last committed chunk; what it reads again adds nothing.

They are not in the lake's connector registry: `tocsin sync` (no source) does not pull them;
`tocsin sync kobo|odk` does, with its own options.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from tocsin.i18n import Said
from tocsin.intake.parse import Attachment, Submission
from tocsin.intake.store import AttachmentMissing, IntakeStore, Outcome
from tocsin.lake import Lake
from tocsin.sync.base import Connector, Credentials, SyncContext, make_client
from tocsin.sync.http import Request, SyncError, Transport

PAGE_SIZE = 100


class FieldConnector(Connector):
    """Subclasses set ``name`` (also the reports' ``source``), ``key`` (the bookmark's name, per
    server and form), and write ``pull``, ``submission`` and ``fetch``."""

    source: ClassVar[str]
    key: str

    def __init__(self, settings: Mapping[str, Any], credentials: Credentials, client: Any) -> None:
        super().__init__(settings, credentials, client)
        server = str(settings.get("base_url") or "")
        if not server.startswith(("http://", "https://")):
            raise SyncError(self.name, Said("sync.server_not_http", server=repr(server)))
        self.server = server.rstrip("/")
        self.page_size = int(settings.get("page_size", PAGE_SIZE))

    def submission(self, record: dict[str, Any]) -> Submission:
        raise NotImplementedError

    def fetch(self, sub: Submission, attachment: Attachment, folder: Path) -> Path:
        raise NotImplementedError

    def close(self) -> None:
        """Let go of what the connector holds (sessions, temporary files)."""

    def download(self, request: Request, folder: Path, name: str,
                 refresh: Callable[[], Request] | None = None) -> Path:
        """The file a request answers, in ``folder``; a 404 is AttachmentMissing (recorded on
        the report, not fatal). Written to a temporary name, then renamed: never half a file."""
        try:
            reply = self.client.send(request, refresh)
        except SyncError as exc:
            if exc.status == 404:
                raise AttachmentMissing(
                    f"attachment {name}: the server has no such file (HTTP 404)") from exc
            raise
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=folder, suffix=Path(name).suffix or ".bin")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(reply.body)
        except BaseException:
            os.unlink(temp)
            raise
        final = folder / Path(name).name
        os.replace(temp, final)
        return final


def field_connector(cls: type[FieldConnector], settings: Mapping[str, Any],
                    credentials: Mapping[str, str], transport: Transport | None = None,
                    sleep: Callable[[float], None] | None = None) -> FieldConnector:
    """A field connector with the sync base's retrying client (``settings["retry"]``)."""
    creds = Credentials(cls.name, credentials)
    missing = [n for n in cls.credentials if not creds.get(n)]
    if missing:
        raise SyncError(cls.name, Said("sync.no_credentials", names=", ".join(missing)))
    return cls(settings, creds, make_client(cls.name, settings, creds, transport, sleep))


def bookmark_state(text: str | None) -> dict[str, Any]:
    """A stored bookmark as the connector's state (one written before states were JSON is the
    state's ``legacy`` value)."""
    if not text:
        return {}
    try:
        state = json.loads(text)
    except json.JSONDecodeError:
        return {"legacy": text}
    return state if isinstance(state, dict) else {"legacy": text}


def sync_reports(store: IntakeStore, connector: FieldConnector, user: str) -> Outcome:
    """Pull one form to the end of what its server has, storing chunk by chunk."""
    actor = store.viewer(user)
    outcome = Outcome()
    ctx = SyncContext(store.workspace, Lake(store.workspace.lake_dir),
                      bookmark_state(store.bookmark(connector.key)))
    with tempfile.TemporaryDirectory(prefix="tocsin-intake-", dir=store.workspace.home) as tmp:
        try:
            _pull(store, connector, actor, ctx, Path(tmp), outcome)
        finally:
            connector.close()
    return outcome


def _pull(store: IntakeStore, connector: FieldConnector, actor: Any, ctx: SyncContext,
          folder: Path, outcome: Outcome) -> None:
    for chunk in connector.pull(ctx):
        subs = [connector.submission(dict(record)) for record in chunk.rows]
        # Each submission's files in a folder of its own: two may name a file alike.
        place = {id(sub): folder / str(n) for n, sub in enumerate(subs)}
        store.store_batch(subs, actor=actor, source=connector.name, outcome=outcome,
                          fetch=lambda s, a, place=place: connector.fetch(s, a, place[id(s)]))
        shutil.rmtree(folder)
        folder.mkdir()
        # Every submission of the chunk is committed: its bookmark holds now.
        store.set_bookmark(connector.key, json.dumps(chunk.state, sort_keys=True))
        ctx.state = dict(chunk.state)
