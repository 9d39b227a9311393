"""Recorded publishers: answers to connector requests from recorded records, in each API's shape.

``ReplayPublisher`` holds what each publisher would hold (ACLED events and deletions, UCDP
releases, FIRMS detections, HAPI rows, IODA signals; Kobo and ODK Central submissions in
``field``, tocsin.sync.field_replay), loaded from a folder of recorded records
(``data/sample/replay``), and answers requests the way the real APIs do: OAuth tokens that
expire, pages, filters, ``NextPageUrl``, 404 for a release not out yet. It can misbehave on
purpose (``Fault``): a 429 with Retry-After, a 500, an expired token, a truncated body, HTML
instead of JSON, a new or a missing field, a reply of another body altogether.

Two ways to reach it: ``ReplayTransport`` (in-process, no network: the demo) and ``serve``
(an HTTP server on 127.0.0.1: tests and the benchmark, so the real urllib transport is used).
Shipped in the package, like the connectors, so tests, bench and demo share one publisher.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import accumulate
from pathlib import Path
from typing import Any

from tocsin.sync.field_replay import FieldForms
from tocsin.sync.http import Request, Response

DEMO_CREDENTIALS = {"acled": {"username": "demo@example.org", "password": "r3play-pass"},
                    "ucdp": {"token": "replay-token"}, "firms": {"map_key": "replaykey0123456789"},
                    "hapi": {"app_identifier": "ZGVtbzpkZW1vQGV4YW1wbGUub3Jn"}}


@dataclass
class Fault:
    """Misbehave on the ``times`` next requests whose path contains ``path`` (after ``skip``
    matching ones). ``kind``: status (``status`` with ``headers``), expire-token, truncate, html,
    add-field, drop-field (``field_name``, in every entry of the reply's list, nested lists too),
    body (a 200 of ``body``, as ``content_type``)."""

    path: str
    kind: str
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    skip: int = 0
    field_name: str = ""
    body: bytes = b""
    content_type: str = "application/json"


class ReplayPublisher:
    def __init__(self, folder: Path | None = None, latency_s: float = 0.0) -> None:
        self.acled_events: list[dict[str, Any]] = []
        self.acled_deleted: list[dict[str, Any]] = []
        self.ucdp_releases: dict[str, list[dict[str, Any]]] = {}
        self.firms: list[dict[str, Any]] = []
        self.hapi: dict[str, list[dict[str, Any]]] = {}
        self.ioda: list[dict[str, Any]] = []
        self.field = FieldForms()  # KoboToolbox and ODK Central (tocsin.sync.field_replay)
        self.faults: list[Fault] = []
        self.latency_s = latency_s
        self.tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.requests: list[str] = []
        self.firms_transactions = 0
        self._lock = threading.Lock()
        if folder is not None:
            self.load(folder)

    # -- recorded records -----------------------------------------------------------------
    def load(self, folder: Path) -> None:
        def read(name: str) -> Any:
            import gzip

            path, packed = folder / name, folder / f"{name}.gz"
            if path.exists():
                return json.loads(path.read_text(encoding="utf-8"))
            return json.loads(gzip.decompress(packed.read_bytes())) if packed.exists() else None

        acled = read("acled.json") or {}
        self.acled_events = acled.get("data", [])
        self.acled_deleted = acled.get("deleted", [])
        self.ucdp_releases = (read("ucdp.json") or {}).get("releases", {})
        self.firms = (read("firms.json") or {}).get("detections", [])
        self.hapi = read("hapi.json") or {}
        self.ioda = (read("ioda.json") or {}).get("signals", [])

    def held_acled_ids(self) -> set[str]:
        deleted = {d["event_id_cnty"] for d in self.acled_deleted}
        return {e["event_id_cnty"] for e in self.acled_events} - deleted

    # -- answering ------------------------------------------------------------------------
    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Response:
        if self.latency_s:
            time.sleep(self.latency_s)
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query))
        form = dict(urllib.parse.parse_qsl(body.decode(errors="replace"))) if body else {}
        headers = {k.lower(): v for k, v in headers.items()}
        base = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            self.requests.append(f"{method} {parts.path}")
            fault = self._fault(parts.path)
        if fault is not None and fault.kind == "status":
            return _reply(fault.status, {"error": "replayed failure"}, fault.headers)
        if fault is not None and fault.kind == "expire-token":
            self.tokens.clear()
        reply = self._route(method, parts.path, query, form, headers, base, body)
        if fault is not None and reply.status == 200:
            reply = _spoil(reply, fault)
        return reply

    def _fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path in path and fault.times > 0:
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                return fault
        return None

    def _route(self, method: str, path: str, query: dict[str, str], form: dict[str, str],
               headers: dict[str, str], base: str, body: bytes = b"") -> Response:
        field = self.field.answer(method, path, query, headers, body, base, self.tokens)
        if field is not None:
            return field
        if path == "/oauth/token" and method == "POST":
            return self._token(form)
        if path.startswith("/api/acled/read") or path.startswith("/api/deleted/read"):
            if headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
                return _reply(401, {"message": "Unauthorized: the access token is invalid or expired"})
            return self._acled(path, query)
        if path.startswith("/api/gedevents/"):
            if headers.get("x-ucdp-access-token") != DEMO_CREDENTIALS["ucdp"]["token"]:
                return _reply(401, {"message": "an access token is required (x-ucdp-access-token)"})
            return self._ucdp(path.rsplit("/", 1)[1], query, base + path)
        if path.startswith("/api/area/csv/") or path.startswith("/mapserver/mapkey_status/"):
            return self._firms(path)
        if path.startswith("/api/v2/"):
            return self._hapi(path, query, headers)
        if path.startswith("/v2/signals/raw/"):
            return self._ioda(path, query)
        if path == "/v2/entities/query":
            return self._ioda_entities(query)
        return _reply(404, {"error": f"no such endpoint {path}"})

    def _token(self, form: dict[str, str]) -> Response:
        expected = DEMO_CREDENTIALS["acled"]
        if form.get("grant_type") == "password":
            if form.get("username") != expected["username"] or form.get("password") != expected["password"]:
                return _reply(400, {"error": "invalid_grant", "error_description": "bad credentials"})
        elif form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return _reply(400, {"error": "invalid_grant", "error_description": "refresh token expired"})
        else:
            return _reply(400, {"error": "unsupported_grant_type"})
        token, refresh = secrets.token_hex(16), secrets.token_hex(16)
        self.tokens.add(token)
        self.refresh_tokens.add(refresh)
        return _reply(200, {"token_type": "Bearer", "expires_in": 86400, "access_token": token,
                            "refresh_token": refresh})

    def _acled(self, path: str, query: dict[str, str]) -> Response:
        limit, page = int(query.get("limit", 5000)), int(query.get("page", 1))
        if path.startswith("/api/deleted/read"):
            since = int(query.get("deleted_timestamp", 0))
            rows = sorted((d for d in self.acled_deleted if int(d["deleted_timestamp"]) > since),
                          key=lambda d: (int(d["deleted_timestamp"]), d["event_id_cnty"]))
        else:
            deleted = {d["event_id_cnty"] for d in self.acled_deleted}
            since = int(query.get("timestamp", 0))
            start = query.get("event_date", "0000")
            rows = sorted((e for e in self.acled_events
                           if e["event_id_cnty"] not in deleted and int(e["timestamp"]) >= since
                           and e["event_date"] >= start
                           and (not query.get("country") or e["country"] == query["country"])),
                          key=lambda e: (int(e["timestamp"]), e["event_id_cnty"]))
        chunk = rows[(page - 1) * limit: page * limit]
        return _reply(200, {"status": 200, "success": True, "count": len(chunk), "messages": [],
                            "data": chunk, "filename": "acled-replay"})

    def _ucdp(self, version: str, query: dict[str, str], here: str) -> Response:
        if version not in self.ucdp_releases:
            return _reply(404, {"message": f"version {version} not found"})
        size = min(int(query.get("pagesize", 100)), 1000)
        page = int(query.get("page", 0))
        rows = [r for r in self.ucdp_releases[version]
                if not query.get("Country") or str(r.get("country_id")) == query["Country"]]
        pages = max(1, -(-len(rows) // size))
        following = {**query, "page": str(page + 1)}
        return _reply(200, {"TotalCount": len(rows), "TotalPages": pages,
                            "PreviousPageUrl": "", "Result": rows[page * size:(page + 1) * size],
                            "NextPageUrl": (here + "?" + urllib.parse.urlencode(following))
                            if page + 1 < pages else ""})

    def _firms(self, path: str) -> Response:
        parts = path.strip("/").split("/")
        if parts[0] == "mapserver":
            return _reply(200, {"transaction_limit": 5000, "current_transactions": self.firms_transactions,
                                "transaction_interval": "10 minutes"})
        self.firms_transactions += 1
        _, _, _, _key, product, area, days, day = parts[:8]
        from datetime import date, timedelta

        first = date.fromisoformat(day)
        last = first + timedelta(days=int(days) - 1)
        west, south, east, north = (float(v) for v in area.split(","))
        # The archive (_SP) holds what NRT held, in this replay.
        product = product.replace("_SP", "_NRT")
        rows = [r for r in self.firms if r["product"] == product
                and first.isoformat() <= r["acq_date"] <= last.isoformat()
                and west <= float(r["longitude"]) <= east and south <= float(r["latitude"]) <= north]
        return _csv_reply([{k: v for k, v in r.items() if k != "product"} for r in rows])

    def _hapi(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Response:
        if not query.get("app_identifier") and not headers.get("x-hdx-hapi-app-identifier"):
            return _reply(400, {"detail": "app_identifier is required"})
        name = path.rstrip("/").rsplit("/", 1)[1]
        rows = self.hapi.get(name, [])
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 10000))
        return _reply(200, {"data": rows[offset:offset + limit]})

    def _ioda_entities(self, query: dict[str, str]) -> Response:
        """IODA's entity list: the regions whose series the replay holds, for ``relatedTo``."""
        kind = query.get("entityType")
        country = query.get("relatedTo", "").removeprefix("country/")
        seen = {(s["entityCode"], s.get("entityName", "")) for s in self.ioda if s["entityType"] == kind
                and s.get("country", country) == country}
        data = [{"code": code, "name": name, "type": kind,
                 "attrs": {"country_code": country, "fqid": f"geo.netacuity.AF.{country}.{code}"}}
                for code, name in sorted(seen)]
        return _reply(200, {"type": "entity", "error": None, "requestParameters": query, "data": data})

    def _ioda(self, path: str, query: dict[str, str]) -> Response:
        entity_type, code = path.strip("/").split("/")[3:5]
        start, until = int(query.get("from", 0)), int(query.get("until", 2**62))
        wanted = query.get("datasource")
        series = []
        for signal in self.ioda:
            if signal["entityType"] != entity_type or signal["entityCode"] != code:
                continue
            if wanted and signal["datasource"] != wanted:
                continue
            step = int(signal["step"])
            values, first = [], None
            for i, value in enumerate(signal["values"]):
                t = int(signal["from"]) + i * step
                if start <= t < until:
                    first = t if first is None else first
                    values.append(value)
            if first is not None:
                series.append({**signal, "from": first, "until": first + len(values) * step,
                               "values": values})
        return _reply(200, {"type": "signals", "error": None, "data": [series]})


def _reply(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"Content-Type": "application/json", **(headers or {})},
                    json.dumps(data).encode())


def _csv_reply(rows: list[dict[str, Any]]) -> Response:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Response(200, {"Content-Type": "text/csv"}, out.getvalue().encode())


def _spoil(reply: Response, fault: Fault) -> Response:
    if fault.kind == "truncate":
        return Response(200, reply.headers, reply.body[: max(1, len(reply.body) // 2)])
    if fault.kind == "html":
        return Response(200, {"Content-Type": "text/html"},
                        b"<html><body><h1>Service temporarily unavailable</h1></body></html>")
    if fault.kind == "body":
        return Response(200, {"Content-Type": fault.content_type}, fault.body)
    if fault.kind in ("add-field", "drop-field"):
        data = json.loads(reply.body)
        rows = data.get("data") if isinstance(data.get("data"), list) else data.get("Result", [])
        for row in _entries(rows):
            if fault.kind == "add-field":
                row[fault.field_name] = "new"
            else:
                row.pop(fault.field_name, None)
        return Response(200, reply.headers, json.dumps(data).encode())
    return reply


def _entries(rows: list[Any]) -> Iterator[dict[str, Any]]:
    """The records of a reply's list, through nested lists (IODA groups its series in lists)."""
    for row in rows:
        if isinstance(row, list):
            yield from _entries(row)
        else:
            yield row


class ReplayTransport:
    """A transport that asks a ReplayPublisher in-process (no socket, no network)."""

    def __init__(self, publisher: ReplayPublisher) -> None:
        self.publisher = publisher

    def send(self, request: Request, timeout: float) -> Response:
        body = urllib.parse.urlencode(request.form).encode() if request.form is not None else b""
        return self.publisher.handle(request.method, request.full_url(), dict(request.headers), body)


@contextmanager
def serve(publisher: ReplayPublisher) -> Iterator[str]:
    """Serve the publisher over HTTP on 127.0.0.1 (a free port); yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = f"http://{self.headers.get('Host', '127.0.0.1')}{self.path}"
            reply = publisher.handle(self.command, url, dict(self.headers.items()), body)
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def ucdp_record(row: dict[str, str]) -> dict[str, Any]:
    """A row of UCDP's API-layout CSV (best_est, MM/DD/YYYY dates) as the API's JSON record
    (best, ISO dates, numbers as numbers), for recording a release from a published file."""
    from datetime import datetime

    record: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or value is None:  # a trailing comma's empty field
            continue
        name = {"best_est": "best", "high_est": "high", "low_est": "low"}.get(key, key)
        if key in ("date_start", "date_end") and value:
            value = datetime.strptime(value.split(" ")[0], "%m/%d/%Y").strftime("%Y-%m-%dT00:00:00")
        elif value.lstrip("-").isdigit() and key not in ("relid",):
            record[name] = int(value)
            continue
        record[name] = value if value != "" else None
    return record


def hapi_price_record(row: dict[str, str], pcodes: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A row of WFP's HDX prices CSV as HDX HAPI v2's food-prices-market-monitor serves it
    (numbers as numbers, the month as the reference period, admin P-codes from ``pcodes``:
    admin name -> (P-code, HAPI's name)). For recording a replay from a published file."""
    import calendar
    from datetime import date

    day = date.fromisoformat(row["date"])
    first, last = day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    admin1 = pcodes.get(row["admin1"], (None, row["admin1"]))
    admin2 = pcodes.get(row["admin2"], (None, row["admin2"]))
    return {
        "location_ref": 1, "location_code": "SDN", "location_name": "Sudan", "has_hrp": True,
        "in_gho": True, "admin1_ref": None, "admin1_code": admin1[0], "admin1_name": admin1[1],
        "provider_admin1_name": row["admin1"], "admin2_ref": None, "admin2_code": admin2[0],
        "admin2_name": admin2[1], "provider_admin2_name": row["admin2"], "admin_level": 2,
        "market_code": row["market_id"], "market_name": row["market"],
        "commodity_code": row["commodity_id"], "commodity_name": row["commodity"],
        "commodity_category": row["category"], "currency_code": row["currency"],
        "unit": row["unit"], "price_flag": row["priceflag"], "price_type": row["pricetype"],
        "price": float(row["price"]), "lat": float(row["latitude"]), "lon": float(row["longitude"]),
        "reference_period_start": f"{first.isoformat()}T00:00:00",
        "reference_period_end": f"{last.isoformat()}T23:59:59",
    }


ACLED_FIELDS = ["event_id_cnty", "event_date", "year", "time_precision", "disorder_type",
                "event_type", "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2",
                "assoc_actor_2", "inter2", "interaction", "civilian_targeting", "iso", "region",
                "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude",
                "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp"]
# (admin1, location, latitude, longitude, weight): where invented events are set.
InventedPlace = tuple[str, str, float, float, float]
_INVENTED_PLACES = [("North Darfur", "El Fasher", 13.63, 25.35), ("South Darfur", "Nyala", 12.05, 24.88),
                    ("West Darfur", "El Geneina", 13.45, 22.45), ("Central Darfur", "Zalingei", 12.91, 23.47),
                    ("East Darfur", "El Daein", 11.46, 26.13)]


def invented_acled_events(n: int, start: str = "2024-01-01", timestamp: int = 1_704_067_200,
                          seed: int = 0, first_id: int = 1, days: int = 365,
                          places: Sequence[InventedPlace] | None = None) -> list[dict[str, Any]]:
    """``n`` ACLED records in the API's real layout with invented content (ACLED's terms forbid
    redistributing its data): ids SDN-REPLAY-1..., spread over ``days`` days from ``start``
    (one a day, then round again), at five Darfur towns, or at ``places`` (admin1, location,
    latitude, longitude, weight), each drawn as often as its weight says."""
    import random
    from datetime import date, timedelta

    rng = random.Random(seed)
    day0 = date.fromisoformat(start)
    chosen = list(places or ())
    weights = list(accumulate(p[4] for p in chosen))
    rows = []
    for i in range(n):
        # The five towns take the draws they always took: what tests made from them is unchanged.
        admin1, town, lat, lon, *_ = (rng.choices(chosen, cum_weights=weights)[0] if chosen else
                                      _INVENTED_PLACES[rng.randrange(len(_INVENTED_PLACES))])
        day = day0 + timedelta(days=i % days)
        kind = rng.choice([("Violence against civilians", "Attack"), ("Battles", "Armed clash"),
                           ("Explosions/Remote violence", "Shelling/artillery/missile attack")])
        rows.append({
            "event_id_cnty": f"SDN-REPLAY-{first_id + i}", "event_date": day.isoformat(),
            "year": str(day.year), "time_precision": "1", "disorder_type": "Political violence",
            "event_type": kind[0], "sub_event_type": kind[1], "actor1": "Invented actor A",
            "assoc_actor_1": "", "inter1": "2", "actor2": "Civilians (Sudan)", "assoc_actor_2": "",
            "inter2": "7", "interaction": "27",
            "civilian_targeting": "Civilian targeting" if kind[0].startswith("Violence") else "",
            "iso": "729", "region": "Northern Africa", "country": "Sudan", "admin1": admin1,
            "admin2": town, "admin3": "", "location": town, "latitude": f"{lat:.4f}",
            "longitude": f"{lon:.4f}", "geo_precision": "1", "source": "Invented for tests",
            "source_scale": "Other", "notes": f"Invented replay record {first_id + i}; not an event.",
            "fatalities": str(rng.randrange(0, 12)), "tags": "", "timestamp": str(timestamp + i)})
    return rows
