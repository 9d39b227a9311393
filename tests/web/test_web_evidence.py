"""Evidence in the web app: upload, viewer, and who sees what (SQLite and PostgreSQL).

The rules are the locker's (tocsin.evidence.access); these tests check that the web app applies
them everywhere: lists, pages, content and the API, and that views land in the custody log.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from web_support import error_detail, log_in

from tocsin.evidence.locker import EvidenceLocker
from tocsin.records.db import make_engine
from tocsin.records.evidence_models import CustodyEntry
from tocsin.web.app import create_app
from tocsin.workspace import DATABASE_URL_ENV, Workspace

PHOTO = b"\x89PNG\r\n\x1a\n" + b"burnt market, El Fasher" * 20


@pytest.fixture
def evidence_client(web_workspace: Workspace, records_url: str, tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A writable copy of the sample whose records database is ``records_url``, with keys for
    both organisations (their admins made them)."""
    home = tmp_path / "ws"
    shutil.copytree(web_workspace.home, home)
    monkeypatch.setenv(DATABASE_URL_ENV, records_url)
    monkeypatch.delenv("TOCSIN_MASTER_KEY", raising=False)
    workspace = Workspace(home)
    locker = EvidenceLocker(workspace)
    locker.create_keys("adam")
    locker.create_keys("sara")
    locker.close()
    app = create_app(workspace, database_url=records_url)
    with TestClient(app, base_url="https://testserver") as client:
        yield client
    app.state.sessions.kw["bind"].dispose()
    if getattr(app.state, "evidence_locker", None) is not None:
        app.state.evidence_locker.close()


def upload(client: TestClient, csrf: str, sensitivity: str, name: str = "market.png") -> int:
    response = client.post("/evidence", files={"file": (name, PHOTO, "image/png")},
                           data={"sensitivity": sensitivity, "captured_at": "2024-05-10T14:30",
                                 "collector": "Musa Adam", "place_id": "", "description": "witness photo",
                                 "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def views(records_url: str, item_id: int) -> int:
    engine = make_engine(records_url)
    with engine.connect() as connection:
        count = connection.scalar(sa.select(sa.func.count()).select_from(CustodyEntry).where(
            CustodyEntry.item_id == item_id, CustodyEntry.action == "view"))
    engine.dispose()
    return int(count)


def test_upload_and_view_a_confidential_item(evidence_client: TestClient, records_url: str) -> None:
    csrf = log_in(evidence_client, "alice")  # analyst, Darfur Network
    item = upload(evidence_client, csrf, "confidential")
    page = evidence_client.get(f"/evidence/{item}")
    assert page.status_code == 200 and "market.png" in page.text and "witness photo" in page.text
    assert views(records_url, item) == 1  # the page unsealed its metadata: logged
    code = re.search(rf"/evidence/{item}/content\?view=(\w+)", page.text)
    assert code, "the item page links its viewer with a view code"
    assert evidence_client.get(f"/evidence/{item}/content").status_code == 403  # no code
    assert views(records_url, item) == 1
    content = evidence_client.get(f"/evidence/{item}/content?view={code.group(1)}")
    assert content.content == PHOTO and content.headers["content-type"] == "image/png"
    assert "sandbox" in content.headers["content-security-policy"]
    assert views(records_url, item) == 2
    listed = evidence_client.get("/api/v1/evidence").json()
    assert [i["item_id"] for i in listed] == [item]


def test_other_organisation_cannot_see_a_confidential_item(evidence_client: TestClient,
                                                           records_url: str) -> None:
    csrf = log_in(evidence_client, "alice")
    secret = upload(evidence_client, csrf, "confidential")
    public = upload(evidence_client, csrf, "public", "public.png")
    before = views(records_url, secret)
    evidence_client.cookies.clear()
    log_in(evidence_client, "bashir")  # monitor, Sudan Witness
    listing = evidence_client.get("/evidence").text
    assert f"/evidence/{secret}" not in listing and f"/evidence/{public}" in listing
    for method, path in (("GET", f"/evidence/{secret}"), ("GET", f"/evidence/{secret}/content"),
                         ("GET", f"/api/v1/evidence/{secret}"),
                         ("POST", f"/api/v1/evidence/{secret}/content")):
        response = evidence_client.request(method, path)
        assert response.status_code == 404, path
        assert b"burnt market" not in response.content and "witness photo" not in response.text
    assert secret not in [i["item_id"] for i in evidence_client.get("/api/v1/evidence").json()]
    # Same answer as for an item that does not exist: nothing tells that it is there.
    assert evidence_client.get("/api/v1/evidence/999999").json() == \
        {"detail": "no evidence item 999999"}
    assert evidence_client.get(f"/api/v1/evidence/{secret}").json() == \
        {"detail": f"no evidence item {secret}"}
    assert views(records_url, secret) == before


def test_monitors_see_restricted_not_confidential_items_of_their_organisation(
        evidence_client: TestClient) -> None:
    csrf = log_in(evidence_client, "alice")
    restricted = upload(evidence_client, csrf, "restricted")
    confidential = upload(evidence_client, csrf, "confidential")
    evidence_client.cookies.clear()
    log_in(evidence_client, "amal")  # monitor, Darfur Network
    assert evidence_client.get(f"/api/v1/evidence/{restricted}").status_code == 200
    assert evidence_client.get(f"/api/v1/evidence/{confidential}").status_code == 404


def test_viewers_cannot_upload_and_uploads_need_csrf(evidence_client: TestClient) -> None:
    csrf = log_in(evidence_client, "victor")  # viewer
    assert evidence_client.get("/evidence/new").status_code == 403
    response = evidence_client.post("/evidence", files={"file": ("a.png", PHOTO, "image/png")},
                                    data={"sensitivity": "public", "captured_at": "2024-05-10T14:30",
                                          "csrf_token": csrf})
    assert response.status_code == 403
    evidence_client.cookies.clear()
    csrf = log_in(evidence_client, "alice")
    forged = evidence_client.post("/evidence", files={"file": ("a.png", PHOTO, "image/png")},
                                  data={"sensitivity": "public", "captured_at": "2024-05-10T14:30",
                                        "csrf_token": "forged"})
    assert forged.status_code == 403
    bad = evidence_client.post("/evidence", files={"file": ("a.png", PHOTO, "image/png")},
                               data={"sensitivity": "secret", "captured_at": "2024-05-10T14:30",
                                     "csrf_token": csrf})
    assert bad.status_code == 422


def test_api_upload_with_a_token(evidence_client: TestClient) -> None:
    csrf = log_in(evidence_client, "alice")
    token = evidence_client.post("/api/v1/tokens?name=phone", headers={"x-csrf-token": csrf}).json()["token"]
    evidence_client.cookies.clear()
    bearer = {"authorization": f"Bearer {token}"}
    created = evidence_client.post("/api/v1/evidence", headers=bearer,
                                   files={"file": ("clip.png", PHOTO, "image/png")},
                                   data={"sensitivity": "restricted", "captured_at": "2024-05-10T14:30Z",
                                         "place_id": "El Fasher"})
    assert created.status_code == 201, created.text
    item = created.json()["item_id"]
    metadata = evidence_client.get(f"/api/v1/evidence/{item}", headers=bearer).json()
    assert metadata["place_name"] == "El Fasher" and metadata["sha256"]
    bad = evidence_client.post("/api/v1/evidence", headers=bearer,
                               files={"file": ("clip.png", PHOTO, "image/png")},
                               data={"sensitivity": "public", "captured_at": "yesterday"})
    assert bad.status_code == 422 and "captured_at" in bad.json()["detail"]


def test_place_page_lists_only_the_evidence_the_reader_may_open(evidence_client: TestClient,
                                                                 web_workspace: Workspace) -> None:
    from tocsin.lake import Lake

    con = Lake(web_workspace.lake_dir).connect()
    (place_id,) = con.execute("SELECT place_id FROM gazetteer WHERE name = 'El Fasher'").fetchone()
    csrf = log_in(evidence_client, "alice")
    response = evidence_client.post("/evidence", files={"file": ("fasher.png", PHOTO, "image/png")},
                                    data={"sensitivity": "confidential", "captured_at": "2024-05-10T14:30",
                                          "place_id": place_id, "csrf_token": csrf}, follow_redirects=False)
    item = int(response.headers["location"].rsplit("/", 1)[1])
    assert f'href="/evidence/{item}"' in evidence_client.get(f"/places/{place_id}").text
    evidence_client.cookies.clear()
    log_in(evidence_client, "bashir")
    page = evidence_client.get(f"/places/{place_id}").text
    assert "fasher.png" not in page and f"/evidence/{item}" not in page


def test_a_refused_upload_is_told_in_the_readers_language(evidence_client: TestClient) -> None:
    """A field monitor working in Arabic reads why her upload was refused in Arabic; an English
    reader reads what the page always said; the API keeps the English for its clients."""
    photo = {"file": ("a.png", PHOTO, "image/png")}
    refusals = {  # the form sent -> the Arabic that must say what is wrong with it
        (("sensitivity", "secret"), ("captured_at", "2024-05-10T14:30")): "يجب أن تكون الحساسية",
        (("sensitivity", "public"), ("captured_at", "yesterday")): "ليس تاريخًا ووقتًا",
        (("sensitivity", "public"),): "captured_at: هذا الحقل مطلوب",
    }
    english = ["sensitivity must be one of public, restricted, confidential",
               "captured_at 'yesterday' is not a date and time (e.g. 2024-05-10T14:30Z)",
               "captured_at: this field is needed"]
    csrf = log_in(evidence_client, "amal")  # a monitor whose language is Arabic
    for fields, arabic in refusals.items():
        page = evidence_client.post("/evidence", files=photo, data={**dict(fields), "csrf_token": csrf})
        assert page.status_code == 422 and 'dir="rtl"' in page.text
        detail = error_detail(page.text)
        assert arabic in detail and not re.search("must be|is not|needed", detail), detail
    empty = evidence_client.post("/evidence", files={"file": ("a.png", b"", "image/png")},
                                 data={"sensitivity": "public", "captured_at": "2024-05-10T14:30",
                                       "csrf_token": csrf})
    assert empty.status_code == 422 and error_detail(empty.text) == "الملف فارغ"
    refused = evidence_client.get("/admin/users")  # a monitor manages no users
    assert refused.status_code == 403
    assert "لا يسمح الدور" in error_detail(refused.text) and "إدارة المستخدمين" in error_detail(refused.text)

    evidence_client.cookies.clear()
    csrf = log_in(evidence_client, "alice")
    for (fields, _), text in zip(refusals.items(), english, strict=True):
        page = evidence_client.post("/evidence", files=photo, data={**dict(fields), "csrf_token": csrf})
        assert page.status_code == 422 and error_detail(page.text) == text.replace("'", "&#39;")
    api = evidence_client.post("/api/v1/evidence", headers={"x-csrf-token": csrf}, files=photo,
                               data={"sensitivity": "secret", "captured_at": "2024-05-10T14:30"})
    assert api.json() == {"detail": english[0]}
    missing = evidence_client.post("/api/v1/evidence", headers={"x-csrf-token": csrf}, files=photo,
                                   data={"sensitivity": "public"})
    assert missing.json() == {"detail": ["body.captured_at: Field required"]}  # pydantic's own
