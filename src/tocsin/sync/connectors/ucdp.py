"""UCDP's API: the yearly GED release and the monthly Candidate releases, for one country.

``/api/gedevents/{version}?pagesize=1000&Country=625`` page by page, following ``NextPageUrl``;
the access token goes in the ``x-ucdp-access-token`` header (required since February 2026).

Versions supersede each other, and the lake stays append-only, so supersession is withdrawals:
- a page's events replace earlier copies of the same ids (ids are stable across releases);
- once a Candidate release is read whole, it replaces the events of earlier Candidate releases
  in the months it covers (their ids that it no longer has are withdrawn);
- once a GED release is read whole, it supersedes the Candidate events it covers (up to the end
  of the year before its release: 25.1 covers 2024) and the events of earlier GED releases
  read by sync that it dropped.
After a Candidate release is read, the next one (26.0.3 after 26.0.2) is looked for; a 404 means
there is none yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from tocsin.i18n import Said
from tocsin.sqltext import sql_str
from tocsin.sync.base import Chunk, Connector, SyncContext, register_connector
from tocsin.sync.http import Request, SyncError, listed_in, parse_json

EXPECTED = ("id", "date_start", "date_end", "type_of_violence", "where_prec", "best")


@register_connector
class UcdpConnector(Connector):
    name = "ucdp"
    about = "UCDP GED (yearly) and Candidate (monthly) events for a country, versions superseding"
    credentials = ("token",)
    lake_sources = ("ucdp-ged", "ucdp-candidate")

    def pull(self, ctx: SyncContext) -> Iterator[Chunk]:
        ged = str(self.settings["ged_version"])
        if ctx.state.get("ged_version") != ged or not ctx.state.get("ged_done"):
            yield from self._release(ctx, "ged", ged)
        version = str(ctx.state.get("candidate_version") or self.settings["candidate_version"])
        while True:
            unread = ctx.state.get("candidate_version") != version or not ctx.state.get("candidate_done")
            if unread and not (yield from self._release(ctx, "candidate", version)):
                return  # that release is not published (yet)
            version = next_candidate(version)
            if not self._exists(ctx, version):
                return

    # -- one release ----------------------------------------------------------------------
    def _release(self, ctx: SyncContext, kind: str, version: str) -> Iterator[Chunk]:
        """Read a release page by page (resuming at the bookmarked page), then supersede.
        Returns False when the release does not exist."""
        key = f"{kind}_"
        resume = ctx.state.get(key + "version") == version and ctx.state.get(key + "next")
        url = ctx.state[key + "next"] if resume else self._first_url(kind, version)
        page = int(ctx.state.get(key + "page", 1)) if resume else 1
        adapter = "ucdp-ged" if kind == "ged" else "ucdp-candidate"
        while url:
            ctx.say(Said("sync.page", source="ucdp", what=f"{kind} {version}", page=page))
            reply = self._get(url, allow_missing=page == 1 and kind == "candidate")
            if reply is None:
                return False
            rows = reply["Result"]
            _check_fields(self.name, rows, url)
            following = reply.get("NextPageUrl") or None
            state = {**ctx.state, key + "version": version, key + "next": following,
                     key + "page": page + 1, key + "done": False}
            yield Chunk(state=state, kind=adapter, rows=rows, replace=True,
                        name=f"ucdp-api-{kind}-{version}-p{page}.csv", request=f"GET {url}")
            ctx.state = state
            url, page = following, page + 1
        done = {**ctx.state, key + "version": version, key + "next": None, key + "done": True}
        withdrawals = self._superseded(ctx, kind, version)
        yield Chunk(state=done, withdrawals=withdrawals, name=f"ucdp-api-{kind}-{version}-supersedes")
        ctx.state = done
        return True

    def _first_url(self, kind: str, version: str) -> str:
        path = str(self.settings[f"{kind}_path"]).format(version=version)
        return (f"{self.settings['base_url']}/{path}?pagesize={int(self.settings.get('pagesize', 1000))}"
                f"&Country={self.settings['country_id']}")

    def _exists(self, ctx: SyncContext, version: str) -> bool:
        url = self._first_url("candidate", version).replace(
            f"pagesize={int(self.settings.get('pagesize', 1000))}", "pagesize=1")
        return self._get(url, allow_missing=True) is not None

    def _get(self, url: str, allow_missing: bool = False) -> dict[str, Any] | None:
        request = Request("GET", url, headers={"x-ucdp-access-token": self.creds["token"]})
        try:
            reply = self.client.send(request)
        except SyncError as exc:
            if allow_missing and exc.status == 404:
                return None
            raise
        data = parse_json(self.name, request.shown(self.client.secrets), reply, "UCDP JSON")
        listed_in(self.name, request.shown(), data, "Result")
        return data

    # -- supersession ---------------------------------------------------------------------
    def _superseded(self, ctx: SyncContext, kind: str, version: str) -> list[dict[str, Any]]:
        """Withdrawals of what this release makes obsolete, each naming the batch it hides."""
        con = ctx.lake.connect(["events"])
        mine = sql_str(f"ucdp-api-{kind}-{version}-%")
        try:
            if kind == "ged":
                covered = ged_covers(version)
                rows = con.execute(
                    "SELECT source, source_id, batch_id FROM events WHERE "
                    f"(source = 'ucdp-candidate' AND date_start <= {sql_str(covered.isoformat())}) "
                    f"OR (source = 'ucdp-ged' AND source_file LIKE 'ucdp-api-ged-%' "
                    f"AND source_file NOT LIKE {mine})").fetchall()
                reason = f"superseded by UCDP GED {version}"
            else:
                rows = con.execute(
                    "SELECT source, source_id, batch_id FROM events WHERE source = 'ucdp-candidate' "
                    f"AND source_file NOT LIKE {mine} AND date_trunc('month', date_start) IN ("
                    "SELECT DISTINCT date_trunc('month', date_start) FROM events WHERE "
                    f"source = 'ucdp-candidate' AND source_file LIKE {mine})").fetchall()
                reason = f"superseded by UCDP Candidate {version}"
        finally:
            con.close()
        return [{"target_table": "events", "target_source": source, "target_id": source_id,
                 "target_batch": batch_id, "reason": reason} for source, source_id, batch_id in rows]


def next_candidate(version: str) -> str:
    """26.0.2 -> 26.0.3 (Candidate releases are numbered by month within the year)."""
    major, minor, month = version.split(".")
    return f"{major}.{minor}.{int(month) + 1}"


def ged_covers(version: str) -> date:
    """The last day a GED release covers: 25.1 is released in 2025 and covers 2024."""
    return date(2000 + int(version.split(".")[0]) - 1, 12, 31)


def _check_fields(source: str, rows: list[dict[str, Any]], url: str) -> None:
    if not rows:
        return
    missing = [f for f in EXPECTED if f not in rows[0]]
    if missing:
        raise SyncError(source, Said("sync.fields_missing", request=f"GET {url}", rows="events",
                                     missing=", ".join(missing), fields=", ".join(sorted(rows[0])),
                                     publisher="UCDP"))

