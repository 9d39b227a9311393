"""ODK Central: submissions of one form through its OData feed, oldest first from the
bookmark (the last ``__system/submissionDate`` stored), attachments through the REST API.

- ``POST /v1/sessions`` ``{"email", "password"}`` gives a bearer token;
- ``GET /v1/projects/{p}/forms/{f}.svc/Submissions?$filter=__system/submissionDate ge T
  &$orderby=__system/submissionDate&$top=N&$skip=K`` gives ``{"value": [...]}`` with groups as
  nested objects and geopoints as GeoJSON (tocsin.intake.parse flattens both);
- ``GET /v1/projects/{p}/forms/{f}/submissions/{instanceId}/attachments[/{name}]``.

``ge`` rather than ``gt``: submissions sharing the bookmark's instant are read again, and the
store recognises them by instanceID (adds nothing), so none is skipped.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from tocsin.intake.connector import Connector, HttpTransport, SyncError
from tocsin.intake.parse import Attachment, Submission, SubmissionError, read_submission
from tocsin.sync.kobo import multiple_questions

PAGE_SIZE = 100


class OdkConnector(Connector):
    source = "odk"

    def __init__(
        self,
        server: str,
        project: int,
        form: str,
        email: str,
        password: str,
        page_size: int = PAGE_SIZE,
        transport: HttpTransport | None = None,
    ) -> None:
        if not server.startswith(("http://", "https://")):
            raise SyncError(f"--server must be an http(s) URL, not {server!r}")
        self.server = server.rstrip("/")
        self.project, self.form = project, form
        self.email, self.password = email, password
        self.page_size = page_size
        self.transport = transport or HttpTransport()
        self.key = f"odk:{self.server}:{project}:{form}"
        self._multiple = multiple_questions()

    def _login(self) -> None:
        if "Authorization" in self.transport.headers:
            return
        answer = self.transport.post_json(
            f"{self.server}/v1/sessions", {"email": self.email, "password": self.password}
        )
        if not isinstance(answer, dict) or not answer.get("token"):
            raise SyncError(f"{self.server}: ODK Central gave no session token")
        self.transport.headers["Authorization"] = f"Bearer {answer['token']}"

    def _base(self) -> str:
        return f"{self.server}/v1/projects/{self.project}/forms/{urllib.parse.quote(self.form)}"

    def submissions(self, bookmark: str | None) -> Iterator[tuple[Submission, str]]:
        self._login()
        skip = 0
        while True:
            params = {"$orderby": "__system/submissionDate", "$top": str(self.page_size), "$skip": str(skip)}
            if bookmark:
                params["$filter"] = f"__system/submissionDate ge {bookmark}"
            page = self.transport.get_json(f"{self._base()}.svc/Submissions?{urllib.parse.urlencode(params)}")
            values = page.get("value") or []
            for record in values:
                where = f"odk form {self.form} {record.get('__id')}"
                try:
                    sub = read_submission(record, form_id=self.form, where=where, multiple=self._multiple)
                except SubmissionError as exc:
                    raise SyncError(str(exc)) from exc
                names = self.transport.get_json(
                    f"{self._base()}/submissions/{urllib.parse.quote(sub.instance_id)}/attachments"
                )
                sub.attachments = [Attachment(name=a["name"]) for a in names if a.get("exists", True)]
                yield sub, str(record.get("__system", {}).get("submissionDate") or bookmark or "")
            if len(values) < self.page_size:
                return
            skip += len(values)

    def fetch(self, sub: Submission, attachment: Attachment, folder: Path) -> Path:
        url = (
            f"{self._base()}/submissions/{urllib.parse.quote(sub.instance_id)}/attachments/"
            f"{urllib.parse.quote(attachment.name)}"
        )
        return self.transport.download(url, folder, attachment.name)
