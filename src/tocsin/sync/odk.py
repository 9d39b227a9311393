"""ODK Central: submissions of one form through its OData feed, oldest first from the bookmark
(the last ``__system/submissionDate`` stored), attachments through the REST API, over pyodk
(decision 0032).

- pyodk (``pyodk.Client``, its config and cache files in a private temporary folder) logs in
  (``POST /v1/sessions``), keeps the session token, adds it to every request and re-logs in when
  it is cleared; it also builds Central's URLs with Central's own quoting of instance ids;
- Tocsin's sync ``Client`` sends every request through it (``PyodkTransport``), so retries,
  Retry-After, the one refresh after a 401 (the token is dropped, pyodk logs in again) and the
  error messages are those of every other connector; pyodk's own retries are switched off;
- ``GET projects/{p}/forms/{f}.svc/Submissions?$filter=__system/submissionDate ge T
  &$orderby=__system/submissionDate&$top=N&$skip=K`` gives ``{"value": [...]}`` with groups as
  nested objects and geopoints as GeoJSON (tocsin.intake.parse flattens both);
- ``GET projects/{p}/forms/{f}/submissions/{instanceId}/attachments[/{name}]``.

``ge`` rather than ``gt``: submissions sharing the bookmark's instant are read again, and the
store recognises them by instanceID (adds nothing), so none is skipped.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tocsin.i18n import Said
from tocsin.intake.parse import Attachment, Submission, SubmissionError, read_submission
from tocsin.sync.base import Chunk, SyncContext
from tocsin.sync.field import FieldConnector, field_connector
from tocsin.sync.http import Request, Response, SyncError, listed_in
from tocsin.sync.kobo import multiple_questions, refused

SUBMISSIONS = "projects/{project_id}/forms/{form_id}.svc/Submissions"
ATTACHMENTS = "projects/{project_id}/forms/{form_id}/submissions/{instance_id}/attachments"


class PyodkTransport:
    """A sync Transport over pyodk's session to one ODK Central server."""

    def __init__(self, server: str, email: str, password: str) -> None:
        import pyodk
        import toml
        from requests.adapters import HTTPAdapter

        # pyodk reads its settings from a TOML file and keeps the token in a cache file: both
        # in a folder only this user can open, removed by ``close``.
        self._folder = Path(tempfile.mkdtemp(prefix="tocsin-pyodk-"))
        config = self._folder / "pyodk_config.toml"
        config.touch(mode=0o600)
        config.write_text(toml.dumps({"central": {"base_url": server, "username": email,
                                                  "password": password}}), encoding="utf-8")
        try:
            self.central = pyodk.Client(config_path=config, cache_path=self._folder / "pyodk_cache.toml")
        except pyodk.errors.PyODKError as exc:
            self.close()
            raise SyncError("odk", Said("sync.pyodk_refused", exc=str(exc))) from exc
        # One retry policy, Tocsin's (the Client's): none inside pyodk's adapter.
        self.central.session.mount("https://", HTTPAdapter(max_retries=0))
        self.central.session.mount("http://", HTTPAdapter(max_retries=0))

    def url(self, template: str, **values: Any) -> str:
        """An absolute Central URL, each value quoted as Central expects (pyodk's formatter)."""
        session = self.central.session
        return str(session.urljoin(session.urlformat(template, **values)))

    def send(self, request: Request, timeout: float) -> Response:
        import requests
        from pyodk.errors import PyODKError

        try:
            reply = self.central.session.request(request.method, request.full_url(),
                                                 headers=dict(request.headers), data=request.form,
                                                 timeout=timeout)
        except PyODKError as exc:  # logging in failed: say what Central answered
            answer = exc.args[1] if len(exc.args) > 1 else None
            if isinstance(answer, requests.Response):
                return Response(answer.status_code, dict(answer.headers), answer.content)
            raise ConnectionError(str(exc)) from exc
        except requests.Timeout as exc:
            raise TimeoutError(f"no answer in {timeout:.0f} s ({exc})") from exc
        except requests.ConnectionError as exc:
            raise ConnectionError(str(exc)) from exc
        return Response(reply.status_code, dict(reply.headers), reply.content)

    def forget_token(self) -> None:
        """Drop the session token (memory and cache): pyodk logs in again on the next request."""
        self.central.session.headers.pop("Authorization", None)
        (self._folder / "pyodk_cache.toml").unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)


class OdkConnector(FieldConnector):
    name = "odk"
    about = "ODK Central submissions of one form (OData), with their attachments"
    credentials = ("email", "password")

    def __init__(self, settings: Any, credentials: Any, client: Any) -> None:
        super().__init__(settings, credentials, client)
        if not isinstance(client.transport, PyodkTransport):
            raise TypeError("OdkConnector sends through pyodk: use odk_connector(...)")
        self.central: PyodkTransport = client.transport
        self.project, self.form = int(settings["project"]), str(settings["form"])
        self.key = f"odk:{self.server}:{self.project}:{self.form}"
        self._multiple = multiple_questions()

    def _refresh(self, request: Request) -> Callable[[], Request]:
        def again() -> Request:
            self.central.forget_token()
            return request
        return again

    def _json(self, request: Request, expect: str) -> Any:
        try:
            return self.client.get_json(request, self._refresh(request), expect=expect)
        except SyncError as exc:
            raise refused(exc, "the ODK Central account (TOCSIN_ODK_EMAIL, TOCSIN_ODK_PASSWORD)") from exc

    def pull(self, ctx: SyncContext) -> Iterator[Chunk]:
        since = ctx.state.get("since") or ctx.state.get("legacy")
        url = self.central.url(SUBMISSIONS, project_id=self.project, form_id=self.form)
        skip = 0
        while True:
            params = {"$orderby": "__system/submissionDate", "$top": str(self.page_size),
                      "$skip": str(skip)}
            if since:
                params["$filter"] = f"__system/submissionDate ge {since}"
            request = Request("GET", url, params=params)
            page = self._json(request, "an OData page of submissions")
            values = listed_in(self.name, request.shown(), page, "value")
            if values:
                last = values[-1].get("__system", {}).get("submissionDate") or since
                yield Chunk(state={"since": last}, kind="field-report", rows=values,
                            name=f"odk {self.form} to {last}", request=request.shown())
            if len(values) < self.page_size:
                return
            skip += len(values)

    def submission(self, record: dict[str, Any]) -> Submission:
        where = f"odk form {self.form} {record.get('__id')}"
        try:
            sub = read_submission(record, form_id=self.form, where=where, multiple=self._multiple)
        except SubmissionError as exc:
            raise SyncError(self.name, str(exc)) from exc
        listed = self._json(Request("GET", self._attachments(sub)), "a list of attachments")
        sub.attachments = [Attachment(name=a["name"]) for a in listed if a.get("exists", True)]
        return sub

    def _attachments(self, sub: Submission) -> str:
        return self.central.url(ATTACHMENTS, project_id=self.project, form_id=self.form,
                                instance_id=sub.instance_id)

    def fetch(self, sub: Submission, attachment: Attachment, folder: Path) -> Path:
        request = Request("GET", f"{self._attachments(sub)}/"
                          f"{self.central.central.session.urlquote(attachment.name)}")
        return self.download(request, folder, attachment.name, self._refresh(request))

    def close(self) -> None:
        self.central.close()


def odk_connector(server: str, project: int, form: str, email: str, password: str, *,
                  page_size: int | None = None, retry: dict[str, Any] | None = None,
                  sleep: Callable[[float], None] | None = None) -> OdkConnector:
    settings: dict[str, Any] = {"base_url": server, "project": project, "form": form,
                                "retry": retry or {}}
    if page_size:
        settings["page_size"] = page_size
    if not server.startswith(("http://", "https://")):
        raise SyncError("odk", Said("sync.server_not_http", server=repr(server)))
    transport = PyodkTransport(server, email, password)
    try:
        connector = field_connector(OdkConnector, settings, {"email": email, "password": password},
                                    transport, sleep)
    except BaseException:
        transport.close()
        raise
    assert isinstance(connector, OdkConnector)
    return connector
