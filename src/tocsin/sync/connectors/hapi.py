"""HDX HAPI v2: IOM DTM displacement figures and WFP food prices for a country, page by page.

``/api/v2/affected-people/idps`` and
``/api/v2/food-security-nutrition-poverty/food-prices-market-monitor``, each with
``location_code=SDN&limit=...&offset=...`` and the ``app_identifier`` (base64 of "app:email")
HAPI asks every caller for. HAPI has no "changed since" filter, so each pull reads an endpoint
whole; figures already held are recognised by their identity and dropped, and each endpoint's
offset is bookmarked so a kill resumes mid-way. IDPs go through the ``dtm`` adapter into
``displacement``; prices through ``hapi-prices`` into ``prices``, the table WFP's HDX file
(``wfp-prices``) fills, with the same checks.
"""

from __future__ import annotations

from collections.abc import Iterator

from tocsin.i18n import Said
from tocsin.sync.base import Chunk, Connector, SyncContext, register_connector
from tocsin.sync.http import Request, listed_in

ENDPOINTS = {"idps": ("/api/v2/affected-people/idps", "dtm"),
             "prices": ("/api/v2/food-security-nutrition-poverty/food-prices-market-monitor",
                        "hapi-prices")}


@register_connector
class HapiConnector(Connector):
    name = "hapi"
    about = "HDX HAPI: IOM DTM displaced people and WFP food prices for a country"
    credentials = ("app_identifier",)
    lake_sources = ("iom-dtm", "wfp")

    def pull(self, ctx: SyncContext) -> Iterator[Chunk]:
        limit = int(self.settings.get("limit", 10000))
        for name, (path, kind) in ENDPOINTS.items():
            offset = int(ctx.state.get(f"{name}_offset", 0))
            while True:
                request = Request("GET", f"{self.settings['base_url']}{path}",
                                  params={"location_code": str(self.settings["location"]),
                                          "output_format": "json", "limit": str(limit),
                                          "offset": str(offset)},
                                  headers={"X-HDX-HAPI-APP-IDENTIFIER": self.creds["app_identifier"]})
                ctx.say(Said("sync.hapi_rows", name=name, offset=offset))
                reply = self.client.get_json(request, expect="HAPI JSON")
                rows = listed_in(self.name, request.shown(), reply, "data")
                done = len(rows) < limit
                state = {**ctx.state, f"{name}_offset": 0 if done else offset + len(rows)}
                yield Chunk(state=state, kind=kind, rows=rows, name=f"hapi-{name}-{offset}.csv",
                            request=f"GET {path} offset {offset}")
                ctx.state = state
                if done:
                    break
                offset += len(rows)
