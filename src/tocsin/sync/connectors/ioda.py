"""IODA v2: internet connectivity signals for a country and its regions, window by window.

``/signals/raw/{country|region}/{code}?from=...&until=...&datasource=...`` (epoch seconds), for
bgp, ping-slash24 and merit-nt. The bookmark is the end of the last window committed per entity;
the last window is asked again (a signal's latest points are revised) and repeats are dropped by
their identity (entity, datasource, time). No credentials: IODA is open.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from tocsin.sync.base import Chunk, Connector, SyncContext, register_connector
from tocsin.sync.http import Request, SyncError


@register_connector
class IodaConnector(Connector):
    name = "ioda"
    about = "IODA internet connectivity (BGP, active probing, telescope) for a country and regions"

    def pull(self, ctx: SyncContext) -> Iterator[Chunk]:
        now = int(datetime.now(UTC).timestamp())
        window = int(float(self.settings.get("window_days", 7)) * 86400)
        entities = [("country", str(self.settings["country"]))] + [
            ("region", str(r)) for r in self.settings.get("regions") or []]
        start = int(datetime.fromisoformat(str(self.settings["start"])).replace(tzinfo=UTC).timestamp())
        if ctx.since:
            start = int(datetime(ctx.since.year, ctx.since.month, ctx.since.day, tzinfo=UTC).timestamp())
        for kind, code in entities:
            key = f"{kind}:{code}"
            first = start if ctx.since else int(ctx.state.get(key, start))
            while first < now:
                until = min(first + window, now)
                rows: list[dict[str, Any]] = []
                for source in self.settings["datasources"]:
                    request = Request("GET", f"{self.settings['base_url']}/signals/raw/{kind}/{code}",
                                      params={"from": str(first), "until": str(until),
                                              "datasource": source})
                    ctx.say(f"ioda: {key} {source} {datetime.fromtimestamp(first, UTC):%Y-%m-%d}")
                    rows += _flatten(self.name, request, self.client.get_json(request, expect="IODA JSON"))
                # The newest hours are revised: the bookmark stays a day short of now.
                state = {**ctx.state, key: min(until, now - 86400) if until >= now else until}
                yield Chunk(state=state, kind="ioda", rows=rows, name=f"ioda-{kind}-{code}-{first}.csv",
                            request=f"GET /signals/raw/{kind}/{code} from {first}")
                ctx.state = state
                first = until
                if until >= now:
                    break


def _flatten(source: str, request: Request, reply: Any) -> list[dict[str, Any]]:
    """IODA's series (value i at from + i*step) as the flat layout the ioda adapter reads."""
    if not isinstance(reply, dict) or not isinstance(reply.get("data"), list):
        raise SyncError(source, f"{request.shown()}: expected an object with a `data` list")
    rows = []
    for group in reply["data"]:
        for series in group if isinstance(group, list) else [group]:
            try:
                step, first = int(series["step"]), int(series["from"])
                for i, value in enumerate(series["values"]):
                    if value is not None:
                        rows.append({"entityType": series["entityType"], "entityCode": series["entityCode"],
                                     "entityName": series.get("entityName", ""),
                                     "datasource": series["datasource"], "time": first + i * step,
                                     "value": value, "step": step})
            except (KeyError, TypeError, ValueError) as exc:
                raise SyncError(source, f"{request.shown()}: a series lacks or mangles {exc}") from exc
    return rows
