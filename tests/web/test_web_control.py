"""The web place page records a sourced change of control (analysts and admins only), and the
siege board then shows the town as fallen, with the record as its evidence."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from web_support import log_in

from tocsin.places.lookup import find_places
from tocsin.records.control import list_control_changes
from tocsin.workspace import Workspace

SOURCE = "https://www.reuters.com/world/africa/sudans-rsf-says-it-took-control-army-base-nyala-2023-10-26/"


def _nyala(workspace: Workspace) -> str:
    return str(find_places(workspace, "Nyala", limit=1)[0]["place_id"])


def test_an_analyst_records_a_fall_and_the_board_shows_it(client: TestClient,
                                                           web_workspace: Workspace) -> None:
    nyala = _nyala(web_workspace)
    csrf = log_in(client, "alice")  # analyst
    page = client.get(f"/places/{nyala}").text
    assert f'action="/places/{nyala}/control"' in page
    form = {"csrf_token": csrf, "kind": "fell", "day": "2023-10-26", "actor": "RSF",
            "source_url": SOURCE, "note": "16th Infantry Division base taken"}
    response = client.post(f"/places/{nyala}/control", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    rows = list_control_changes(client.app.state.sessions)  # type: ignore[attr-defined]
    assert [(r["place_id"], r["kind"], str(r["day"]), r["actor"], r["recorded_by"]) for r in rows] == \
        [(nyala, "fell", "2023-10-26", "RSF", "alice")]
    board = {r["place_id"]: r for r in client.get("/api/v1/siege-board").json()}
    # The sample's data end in 2023: the board judges its last day, after the fall.
    assert board[nyala]["stage"] == "fallen"
    history = client.get(f"/api/v1/places/{nyala}").json()["stage_history"]
    assert history[0]["stage"] == "fallen" and any(SOURCE in e for e in history[0]["evidence"])


def test_a_viewer_cannot_record(client: TestClient,
                                                          web_workspace: Workspace) -> None:
    nyala = _nyala(web_workspace)
    csrf = log_in(client, "victor")  # viewer
    assert "/control" not in client.get(f"/places/{nyala}").text
    form = {"csrf_token": csrf, "kind": "fell", "day": "2023-10-26", "actor": "RSF",
            "source_url": SOURCE}
    assert client.post(f"/places/{nyala}/control", data=form).status_code == 403
    assert list_control_changes(client.app.state.sessions) == []  # type: ignore[attr-defined]


def test_a_fall_needs_a_source_an_actor_and_the_csrf_token(client: TestClient,
                                                         web_workspace: Workspace) -> None:
    nyala = _nyala(web_workspace)
    csrf = log_in(client, "adam")  # admin
    form = {"csrf_token": csrf, "kind": "fell", "day": "2023-10-26", "actor": "RSF",
            "source_url": SOURCE}
    bad = client.post(f"/places/{nyala}/control", data={**form, "csrf_token": csrf,
                                                       "source_url": "hearsay"})
    assert bad.status_code == 422 and re.search("http", bad.text)
    no_actor = client.post(f"/places/{nyala}/control", data={**form, "csrf_token": csrf, "actor": ""})
    assert no_actor.status_code == 422
    forged = client.post(f"/places/{nyala}/control", data={**form, "csrf_token": "x"})
    assert forged.status_code == 403
    assert list_control_changes(client.app.state.sessions) == []  # type: ignore[attr-defined]
