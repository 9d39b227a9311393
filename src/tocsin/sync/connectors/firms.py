"""NASA FIRMS area API: fire detections in a box, per product, five days a request.

``/api/area/csv/{MAP_KEY}/{PRODUCT}/{west,south,east,north}/{DAY_RANGE}/{DATE}`` gives the
detections from DATE for DAY_RANGE (1-5) days. Backfill goes five days at a time; windows older
than ``nrt_days`` ask the archive product (``_SP``), which replaces NRT data after a few months.
The last two days are asked again at every pull (NRT files fill in for a while); the detections
already held are recognised by their identity and dropped. Every request counts against the map
key's budget (5,000 transactions per 10 minutes, read from ``mapkey_status``): a pull stops
before it and resumes at the next run, with a note rather than an error. ``until`` (a day) ends
a bounded backfill there.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tocsin.i18n import Said
from tocsin.sync.base import Chunk, Connector, SyncContext, register_connector
from tocsin.sync.http import Request, SyncError, parse_json

HEADER = ("latitude", "longitude", "acq_date", "acq_time")
REFETCH_DAYS = 2


@register_connector
class FirmsConnector(Connector):
    name = "firms"
    about = "NASA FIRMS fire detections in an area (VIIRS, MODIS; NRT, then the archive)"
    credentials = ("map_key",)
    lake_sources = ("firms-viirs", "firms-modis", "firms")

    def pull(self, ctx: SyncContext) -> Iterator[Chunk]:
        today = datetime.now(UTC).date()
        # ``until``: the last day pulled (a bounded backfill: an investigation's months, or a
        # replay of a past year), never past today. The product and the days asked again
        # still go by today: NRT files are recent ones, whatever the window.
        until = min(self.day("until") or today, today)
        start = self.day("start")
        if start is None:
            raise SyncError(self.name, Said("sync.setting_not_a_day", key="start", value="None"))
        west, south, east, north = (float(v) for v in self.settings["area"])
        area = f"{west},{south},{east},{north}"
        budget = self._remaining()
        for product in self.settings["products"]:
            done = ctx.state.get(product)
            first = date.fromisoformat(done) + timedelta(days=1) if done else ctx.since or start
            if ctx.since and ctx.since < first:
                first = ctx.since
            while first <= until:
                if budget is not None and budget <= 0:
                    ctx.say(Said("sync.firms_budget_spent"))
                    return
                days = min(5, (until - first).days + 1)
                asked = product if (today - first).days < int(self.settings.get("nrt_days", 60)) \
                    else product.replace("_NRT", "_SP")
                url = (f"{self.settings['base_url']}/api/area/csv/{self.creds['map_key']}/{asked}/"
                       f"{area}/{days}/{first.isoformat()}")
                ctx.say(Said("sync.firms_window", asked=asked, first=first, days=days))
                rows = self._csv(Request("GET", url))
                budget = None if budget is None else budget - 1
                last = first + timedelta(days=days - 1)
                # Recent days are asked again next time: NRT files are still filling in.
                keep = min(last, today - timedelta(days=REFETCH_DAYS))
                state = {**ctx.state, product: keep.isoformat()} if keep >= first else dict(ctx.state)
                yield Chunk(state=state, kind="firms", rows=rows,
                            name=f"firms-api-{asked}-{first.isoformat()}-{days}d.csv",
                            request=f"GET /api/area/csv/***/{asked}/{area}/{days}/{first}")
                ctx.state = state
                first = last + timedelta(days=1)

    def _remaining(self) -> int | None:
        """Transactions left in this 10-minute window (None when FIRMS does not say)."""
        url = f"{self.settings['base_url']}/mapserver/mapkey_status/?MAP_KEY={self.creds['map_key']}"
        request = Request("GET", url)
        try:
            status = parse_json(self.name, request.shown(self.client.secrets),
                                self.client.send(request), "the map key's status (JSON)")
        except SyncError:
            return None
        limit = int(self.settings.get("transactions_per_10min", status.get("transaction_limit", 5000)))
        return limit - int(status.get("current_transactions") or 0)

    def _csv(self, request: Request) -> list[dict[str, Any]]:
        reply = self.client.send(request)
        text = reply.body.decode("utf-8", "replace")
        if not text.strip():
            return []
        head = text.splitlines()[0]
        shown = request.shown(self.client.secrets)
        if not all(h in head.split(",") for h in HEADER):
            raise SyncError(self.name, Said("sync.not_firms_csv", request=shown,
                                            head=repr(head[:120])))
        rows = list(csv.DictReader(io.StringIO(text)))
        if rows and None in rows[-1]:
            raise SyncError(self.name, Said("sync.last_row_overlong", request=shown))
        if rows and any(v is None for v in rows[-1].values()):
            raise SyncError(self.name, Said("sync.last_row_cut", request=shown))
        return rows
