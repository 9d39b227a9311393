"""ACLED's API (since 2025): OAuth password grant, then ``/api/acled/read`` page by page.

Incremental by ``timestamp`` (when ACLED last changed an event): each pull asks for events
changed at or after the newest timestamp already committed, so new and corrected events both
come; a corrected event replaces its earlier copy. Deletions come from ``/api/deleted/read``
and withdraw the events the workspace holds. The bookmark holds only timestamps and a page
number, never a token (tokens live in memory for the run).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tocsin.i18n import Said
from tocsin.sync.base import Chunk, Connector, SyncContext, register_connector
from tocsin.sync.http import Request, SyncError, listed_in

EXPECTED = ("event_id_cnty", "event_date", "event_type", "timestamp")


@register_connector
class AcledConnector(Connector):
    name = "acled"
    about = "ACLED events for a country (OAuth API), with corrections and deletions"
    credentials = ("username", "password")

    token: str | None = None
    refresh_token: str | None = None

    # -- authentication -------------------------------------------------------------------
    def _login(self) -> None:
        form = {"username": self.creds["username"], "password": self.creds["password"],
                "grant_type": "password", "client_id": "acled", "scope": "authenticated"}
        self._take_token(self._token_request(form))

    def _refresh(self) -> None:
        if self.refresh_token:
            try:
                self._take_token(self._token_request({"refresh_token": self.refresh_token,
                                                      "grant_type": "refresh_token",
                                                      "client_id": "acled"}))
                return
            except SyncError:
                pass  # a refresh token lasts 14 days: past that, log in again
        self._login()

    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        request = Request("POST", f"{self.settings['base_url']}/oauth/token", form=form)
        reply = self.client.get_json(request, expect="an OAuth token (JSON)")
        if not isinstance(reply, dict) or not reply.get("access_token"):
            found = ", ".join(sorted(reply)) if isinstance(reply, dict) else type(reply).__name__
            raise SyncError(self.name, Said("sync.no_token", request=request.shown(), found=found))
        return reply

    def _take_token(self, reply: dict[str, Any]) -> None:
        self.token = str(reply["access_token"])
        self.refresh_token = str(reply.get("refresh_token") or "") or None
        self.client.secrets = (*self.client.secrets, self.token)

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        if self.token is None:
            self._login()

        def request() -> Request:
            return Request("GET", f"{self.settings['base_url']}{path}", params=params,
                           headers={"Authorization": f"Bearer {self.token}"})

        def refreshed() -> Request:
            self._refresh()
            return request()

        first = request()
        reply = self.client.get_json(first, refresh=refreshed, expect="ACLED JSON")
        listed_in(self.name, first.shown(), reply, "data")
        if reply.get("success") is False or reply.get("error"):
            said = reply.get("error") or reply.get("messages")
            raise SyncError(self.name, Said("sync.publisher_says", request=first.shown(),
                                            publisher="ACLED", said=str(said)))
        return reply

    # -- pulling --------------------------------------------------------------------------
    def pull(self, ctx: SyncContext) -> Iterator[Chunk]:
        state = dict(ctx.state)
        if ctx.since is not None and state.get("since") != ctx.since.isoformat():
            state = {"since": ctx.since.isoformat()}  # --since starts a new pull from that day
        yield from self._events(ctx, state)
        yield from self._deletions(ctx, dict(ctx.state))

    def _events(self, ctx: SyncContext, state: dict[str, Any]) -> Iterator[Chunk]:
        limit = int(self.settings.get("limit", 5000))
        start = state.get("since") or str(self.settings.get("start", "2023-04-15"))
        pull_from = int(state.get("pull_from", state.get("timestamp", 0)))
        # A pull cut short is read again from its first page, not from the bookmarked one: pages
        # are offsets into a set ACLED changes (a deletion shifts every later event one place
        # back, and resuming at page N would skip one). The pages committed before come back
        # unchanged and are dropped below, so this costs requests, not batches.
        page = 1
        newest = int(state.get("timestamp", 0))
        # What the lake holds, by id, at which ACLED timestamp: the newest events of the last
        # pull come again (asked from its newest timestamp on) and are dropped here when ACLED
        # has not changed them, so a pull with nothing new commits nothing.
        held = _held_versions(ctx)
        while True:
            params = {"_format": "json", "country": str(self.settings["country"]),
                      "event_date": start, "event_date_where": ">=",
                      "timestamp": str(pull_from), "timestamp_where": ">=",
                      "limit": str(limit), "page": str(page)}
            ctx.say(Said("sync.events_page", source="acled", page=page))
            reply = self._get("/api/acled/read", params)
            rows = reply["data"]
            _check_fields(self.name, rows, page)
            stamps = [int(r["timestamp"]) for r in rows if str(r.get("timestamp", "")).isdigit()]
            newest = max([newest, *stamps])
            done = len(rows) < limit
            rows = [r for r in rows if held.get(str(r["event_id_cnty"])) != str(r.get("timestamp"))]
            held.update((str(r["event_id_cnty"]), str(r.get("timestamp"))) for r in rows)
            after = {**state, "since": start, "timestamp": newest,
                     "pull_from": newest if done else pull_from, "page": 1 if done else page + 1,
                     "deleted_timestamp": state.get("deleted_timestamp", 0)}
            yield Chunk(state=after, kind="acled", rows=rows, replace=True,
                        name=f"acled-api-{pull_from}-p{page}.csv",
                        request=f"GET /api/acled/read page {page}")
            ctx.state = after
            state = after
            if done:
                return
            page += 1

    def _deletions(self, ctx: SyncContext, state: dict[str, Any]) -> Iterator[Chunk]:
        since = int(state.get("deleted_timestamp", 0))
        page = 1
        held = _held_ids(ctx)
        limit = int(self.settings.get("limit", 5000))
        newest = since
        while True:
            ctx.say(Said("sync.deletions_page", source="acled", page=page))
            reply = self._get("/api/deleted/read", {"_format": "json", "deleted_timestamp": str(since),
                                                    "deleted_timestamp_where": ">", "limit": str(limit),
                                                    "page": str(page)})
            rows = reply["data"]
            withdrawals = []
            for row in rows:
                missing = [f for f in ("event_id_cnty", "deleted_timestamp") if f not in row]
                if missing:
                    raise SyncError(self.name, Said(
                        "sync.fields_missing", request=f"/api/deleted/read page {page}",
                        rows="deletions", missing=", ".join(missing),
                        fields=", ".join(sorted(row)), publisher="ACLED"))
                newest = max(newest, int(row["deleted_timestamp"]))
                if str(row["event_id_cnty"]) in held:
                    withdrawals.append({"target_table": "events", "target_source": "acled",
                                        "target_id": str(row["event_id_cnty"]),
                                        "reason": "deleted at the source",
                                        "withdrawn_at": _utc(int(row["deleted_timestamp"]))})
            done = len(rows) < limit
            after = {**ctx.state, "deleted_timestamp": newest if done else since}
            yield Chunk(state=after, withdrawals=withdrawals, name=f"acled-deleted-{since}-p{page}",
                        request=f"GET /api/deleted/read page {page}")
            ctx.state = after
            if done:
                return
            page += 1


def _check_fields(source: str, rows: list[dict[str, Any]], page: int) -> None:
    """A renamed or missing field is an error naming it, not a page of quarantined rows."""
    if not rows:
        return
    missing = [f for f in EXPECTED if f not in rows[0]]
    if missing:
        raise SyncError(source, Said("sync.fields_missing", request=f"/api/acled/read page {page}",
                                     rows="records", missing=", ".join(missing),
                                     fields=", ".join(sorted(rows[0])), publisher="ACLED"))


def _held_versions(ctx: SyncContext) -> dict[str, str]:
    """source_id -> the ACLED timestamp (epoch seconds, as text) of each event the lake shows."""
    con = ctx.lake.connect(["events"])
    try:
        return {r[0]: str(r[1]) for r in con.execute(
            "SELECT source_id, CAST(epoch(published_at) AS BIGINT) FROM events "
            "WHERE source = 'acled' AND published_at IS NOT NULL").fetchall()}
    finally:
        con.close()


def _held_ids(ctx: SyncContext) -> set[str]:
    con = ctx.lake.connect(["events"])
    try:
        return {r[0] for r in con.execute("SELECT source_id FROM events WHERE source = 'acled'").fetchall()}
    finally:
        con.close()


def _utc(stamp: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(stamp, UTC)
