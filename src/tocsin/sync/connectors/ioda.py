"""IODA v2: internet connectivity signals for a country and its regions, window by window.

``/signals/raw/{country|region}/{code}?from=...&until=...&datasource=...`` (epoch seconds), for
bgp, ping-slash24 and merit-nt. The bookmark is the end of the last window committed per entity;
the last window is asked again (a signal's latest points are revised) and repeats are dropped by
their identity (entity, datasource, time). No credentials: IODA is open.

The regions are data (``regions`` in sources.yaml: Sudan's 18 states), each named as IODA or
the COD spells it and mapped to its state's P-code; their IODA codes are looked up once a run
from ``/entities/query?entityType=region&relatedTo=country/SD`` (or given as ``code``), and a
configured region IODA does not list stops the sync, naming it and the regions IODA has.
``region_states`` gives the siege tracker each region's state.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from tocsin.i18n import Said
from tocsin.places.names import normalize
from tocsin.sync.base import Chunk, Connector, SyncContext, load_settings, register_connector
from tocsin.sync.http import Request, SyncError, listed_in
from tocsin.workspace import Workspace


def _region(entry: Any) -> dict[str, Any]:
    """A configured region: a bare IODA code (older settings) or {code?, names, state?}."""
    if isinstance(entry, dict):
        names = entry.get("names") or ([entry["name"]] if entry.get("name") else [])
        return {"code": str(entry["code"]) if entry.get("code") is not None else None,
                "names": [str(n) for n in names], "state": entry.get("state")}
    return {"code": str(entry), "names": [], "state": None}


def region_states(settings: dict[str, Any]) -> dict[str, str]:
    """IODA region code and (normalised) name -> the state's P-code, from the settings."""
    found: dict[str, str] = {}
    for region in map(_region, settings.get("regions") or []):
        if not region["state"]:
            continue
        if region["code"]:
            found[region["code"]] = str(region["state"])
        for name in region["names"]:
            found[normalize(name)] = str(region["state"])
    return found


def workspace_region_states(workspace: Workspace) -> dict[str, str]:
    """``region_states`` of the workspace's IODA settings ({} when they cannot be read)."""
    try:
        return region_states(load_settings(workspace).get("ioda", {}))
    except SyncError:
        return {}


@register_connector
class IodaConnector(Connector):
    name = "ioda"
    about = "IODA internet connectivity (BGP, active probing, telescope) for a country and regions"

    def pull(self, ctx: SyncContext) -> Iterator[Chunk]:
        now = int(datetime.now(UTC).timestamp())
        window = int(float(self.settings.get("window_days", 7)) * 86400)
        entities = [("country", str(self.settings["country"]))] + [
            ("region", code) for code in self._region_codes(ctx)]
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
                    ctx.say(Said("sync.ioda_window", key=key, source=source,
                                 day=datetime.fromtimestamp(first, UTC).date()))
                    rows += _flatten(self.name, request, self.client.get_json(request, expect="IODA JSON"))
                # The newest hours are revised: the bookmark stays a day short of now.
                state = {**ctx.state, key: min(until, now - 86400) if until >= now else until}
                yield Chunk(state=state, kind="ioda", rows=rows, name=f"ioda-{kind}-{code}-{first}.csv",
                            request=f"GET /signals/raw/{kind}/{code} from {first}")
                ctx.state = state
                first = until
                if until >= now:
                    break


    def _region_codes(self, ctx: SyncContext) -> list[str]:
        """The configured regions' IODA codes, those named looked up in IODA's entity list."""
        regions = [_region(r) for r in self.settings.get("regions") or []]
        if all(r["code"] for r in regions):
            return [r["code"] for r in regions]
        country = str(self.settings["country"])
        request = Request("GET", f"{self.settings['base_url']}/entities/query",
                          params={"entityType": "region", "relatedTo": f"country/{country}"})
        ctx.say(Said("sync.ioda_regions", country=country))
        reply = self.client.get_json(request, expect="IODA JSON")
        listed = listed_in(self.name, request.shown(), reply, "data")
        if not all(isinstance(e, dict) and "code" in e for e in listed):
            raise SyncError(self.name, Said("sync.entries_lack", request=request.shown(), name="data",
                                            field="code"))
        by_name = {normalize(str(e.get("name", ""))): str(e["code"]) for e in listed}
        codes, missing = [], []
        for region in regions:
            code = region["code"] or next((by_name[normalize(n)] for n in region["names"]
                                           if normalize(n) in by_name), None)
            if code is None:
                missing.append("/".join(region["names"]) or "?")
            else:
                codes.append(code)
        if missing:
            raise SyncError(self.name, Said(
                "sync.no_such_region", request=request.shown(), missing=", ".join(missing),
                country=country, listed=", ".join(sorted(str(e.get("name")) for e in listed)) or "-"))
        return codes


def _flatten(source: str, request: Request, reply: Any) -> list[dict[str, Any]]:
    """IODA's series (value i at from + i*step) as the flat layout the ioda adapter reads."""
    rows = []
    for group in listed_in(source, request.shown(), reply, "data"):
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
                raise SyncError(source, Said("sync.series_mangled", request=request.shown(),
                                             what=str(exc))) from exc
    return rows
