"""Every page says how current the data is, and warns when it stops before today."""

from __future__ import annotations

from fastapi.testclient import TestClient
from web_support import log_in


def test_every_page_shows_the_event_data_end_and_warns(client: TestClient) -> None:
    log_in(client, "victor")
    for path in ("/map", "/siege", "/at-risk"):
        page = client.get(path)
        assert page.status_code == 200
        assert 'id="freshness"' in page.text and "Event data through 2023-12-29" in page.text
        assert "not evidence of calm" in page.text   # the sample's events end in 2023
    assert "freshness" not in client.get("/login").text.split("<main")[0]
