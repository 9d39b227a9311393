"""A KoboToolbox replay server on 127.0.0.1 and invented Arabic submissions in Kobo's real
layout, for tests, the benchmark and demonstrations. Shipped with the package (like
tocsin.web.testing) so the benchmark and a user checking an install can run it.

The server answers ``/api/v2/assets/{uid}/data/`` as Kobo does (``query`` on ``_id``, ``sort``,
``limit``, ``next``) and serves each attachment at its ``download_url``; it checks the token.
"""

from __future__ import annotations

import io
import json
import random
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "replay-token"
ASSET = "aTocsinArabic01"

# Invented content: the places are real (so the gazetteer finds them), the events are not.
PLACES = [
    ("الفاشر", "El Fasher", 13.628, 25.349),
    ("نيالا", "Nyala", 12.05, 24.88),
    ("الجنينة", "El Geneina", 13.45, 22.45),
    ("زالنجي", "Zalingei", 12.91, 23.47),
    ("الضعين", "Ed Daein", 11.46, 26.13),
]
DESCRIPTIONS = [
    "أُغلقت الطرق المؤدية إلى السوق منذ الفجر",
    "انقطعت المياه عن الحي الشرقي",
    "سُمع قصف مدفعي قرب المستشفى",
    "احترقت منازل في الجهة الغربية",
    "منعت نقطة تفتيش دخول شاحنات الغذاء",
]
SIGNS = ["roads_closed", "water_cut", "power_cut", "network_cut", "markets_closed", "shelling", "burning"]


def jpeg(seed: int, size: int = 24) -> bytes:
    """A small, real JPEG (different for each seed)."""
    from PIL import Image

    rng = random.Random(seed)
    image = Image.new("RGB", (size, size), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    for _ in range(8):
        image.putpixel((rng.randrange(size), rng.randrange(size)), (rng.randrange(256),) * 3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def arabic_submission(
    index: int,
    *,
    server: str,
    asset: str = ASSET,
    photos: int = 1,
    rng: random.Random | None = None,
    day: str = "2024-05-10",
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """One submission as Kobo's API gives it, and its attachments by download path."""
    rng = rng or random.Random(index)
    _, _, lat, lon = PLACES[index % len(PLACES)]
    instance = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    files: dict[str, bytes] = {}
    record: dict[str, Any] = {
        "_id": 1000 + index,
        "_uuid": instance,
        "meta/instanceID": f"uuid:{instance}",
        "formhub/uuid": "0f6c0b3b9e0e4c64a1c0b6a1f4a2d6e1",
        "__version__": "vTocsin2026120101",
        "start": f"{day}T08:00:00.000+02:00",
        "end": f"{day}T08:10:00.000+02:00",
        "_submission_time": f"{day}T{6 + index % 12:02d}:{index % 60:02d}:00",
        "_submitted_by": f"monitor{index % 7}",
        "consent/consent_given": "yes",
        "monitor/pseudonym": f"نجمة-{index % 7}",
        "monitor/reporter_name": f"راصد رقم {index}",
        "what/categories": "siege_related looting_destruction" if index % 3 else "remote_violence",
        "what/siege_signs": " ".join(sorted({SIGNS[index % 7], SIGNS[(index * 3) % 7]})),
        "what/child_harmed": "no",
        "what/description": DESCRIPTIONS[index % len(DESCRIPTIONS)],
        "where/location_method": "gps",
        "where/point": f"{lat + rng.uniform(-0.01, 0.01):.6f} {lon + rng.uniform(-0.01, 0.01):.6f} 710 5",
        "when/date": day,
        "who/group": "rsf",
        "who/vehicles": "سيارات دفع رباعي عليها مدافع",
        "harmed/killed_men": str(index % 4),
        "harmed/injured_women": str(index % 3),
        "safety/reporter_safe": "yes",
    }
    lat_s, lon_s = record["where/point"].split()[:2]
    record["_geolocation"] = [float(lat_s), float(lon_s)]
    attachments = []
    for number in range(1, photos + 1):
        filename = f"photo_{index}_{number}.jpg"
        record[f"media/photo_{number}"] = filename
        path = f"/media/original/{asset}/{instance}/{filename}"
        files[path] = jpeg(index * 10 + number)
        attachments.append(
            {
                "download_url": f"{server}{path}",
                "mimetype": "image/jpeg",
                "filename": f"monitor/attachments/0f6c0b3b9e0e4c64a1c0b6a1f4a2d6e1/{instance}/{filename}",
                "instance": 1000 + index,
                "xform": 7,
                "id": 5000 + index * 10 + number,
                "question_xpath": f"media/photo_{number}",
            }
        )
    record["_attachments"] = attachments
    return record, files


class KoboReplay:
    """Submissions and files a replay server answers with (add more while it runs)."""

    def __init__(self, asset: str = ASSET, token: str = TOKEN) -> None:
        self.asset = asset
        self.token = token
        self.records: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []

    def add(self, record: dict[str, Any], files: dict[str, bytes] | None = None) -> None:
        self.records.append(record)
        self.files.update(files or {})


def _handler(replay: KoboReplay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            replay.requests.append(self.path)
            if self.headers.get("Authorization") != f"Token {replay.token}":
                self._send(401, b'{"detail": "Invalid token."}')
                return
            url = urllib.parse.urlsplit(self.path)
            if url.path in replay.files:
                self._send(200, replay.files[url.path], "image/jpeg")
                return
            if url.path != f"/api/v2/assets/{replay.asset}/data/":
                self._send(404, b'{"detail": "Not found."}')
                return
            params = dict(urllib.parse.parse_qsl(url.query))
            after = json.loads(params.get("query", "{}")).get("_id", {}).get("$gt", 0)
            limit = int(params.get("limit", "100"))
            matching = sorted((r for r in replay.records if r["_id"] > after), key=lambda r: r["_id"])
            page = matching[:limit]
            more = len(matching) > limit
            host = f"http://{self.server.server_address[0]}:{self.server.server_address[1]}"
            body = {
                "count": len(matching),
                "previous": None,
                "results": page,
                "next": f"{host}{url.path}?{url.query}&start={limit}" if more else None,
            }
            self._send(200, json.dumps(body, ensure_ascii=False).encode("utf-8"))

    return Handler


@contextmanager
def serve(replay: KoboReplay) -> Iterator[str]:
    """Run the replay server on 127.0.0.1 (a free port); yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(replay))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def serve_forever(replay: KoboReplay, port: int = 0) -> None:  # pragma: no cover - manual use
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(replay))
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


# -- ODK Central ------------------------------------------------------------------------------------
ODK_EMAIL, ODK_PASSWORD = "monitor@example.org", "replay-password"


def odk_submission(index: int, rng: random.Random | None = None,
                   day: str = "2024-05-10") -> tuple[dict[str, Any], dict[str, bytes]]:
    """One submission as ODK Central's OData feed gives it (groups nested, GeoJSON point)."""
    rng = rng or random.Random(index)
    _, _, lat, lon = PLACES[index % len(PLACES)]
    instance = f"uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    photo = f"odk_{index}.jpg"
    record = {
        "__id": instance, "meta": {"instanceID": instance},
        "__system": {"submissionDate": f"{day}T{6 + index % 12:02d}:{index % 60:02d}:00.000Z",
                     "submitterName": f"collect{index % 3}", "reviewState": None},
        "consent": {"consent_given": "yes"}, "monitor": {"pseudonym": f"قمر-{index % 5}"},
        "what": {"categories": "siege_related", "siege_signs": "water_cut markets_closed",
                 "child_harmed": "no", "description": DESCRIPTIONS[index % len(DESCRIPTIONS)]},
        "where": {"location_method": "gps",
                  "point": {"type": "Point", "coordinates": [lon, lat, 700.0],
                            "properties": {"accuracy": 5}}},
        "when": {"date": day}, "media": {"photo_1": photo}, "safety": {"reporter_safe": "yes"},
    }
    return record, {photo: jpeg(20_000 + index)}


class OdkReplay:
    def __init__(self, project: int = 1, form: str = "tocsin_incident_report") -> None:
        self.project, self.form = project, form
        self.records: list[dict[str, Any]] = []
        self.files: dict[tuple[str, str], bytes] = {}
        self.token = "odk-session-token"
        self.requests: list[str] = []

    def add(self, record: dict[str, Any], files: dict[str, bytes]) -> None:
        self.records.append(record)
        for name, content in files.items():
            self.files[(record["__id"], name)] = content


def _odk_handler(replay: OdkReplay) -> type[BaseHTTPRequestHandler]:
    base = f"/v1/projects/{replay.project}/forms/{replay.form}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, kind: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/v1/sessions" and body == {"email": ODK_EMAIL, "password": ODK_PASSWORD}:
                self._send(200, {"token": replay.token, "expiresAt": "2099-01-01T00:00:00Z"})
            else:
                self._send(401, {"message": "Could not authenticate with the provided credentials."})

        def do_GET(self) -> None:
            replay.requests.append(self.path)
            if self.headers.get("Authorization") != f"Bearer {replay.token}":
                self._send(401, {"message": "unauthorized"})
                return
            url = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(url.path)
            if path == f"{base}.svc/Submissions":
                params = dict(urllib.parse.parse_qsl(url.query))
                since = params.get("$filter", "").removeprefix("__system/submissionDate ge ").strip()
                rows = sorted((r for r in replay.records if r["__system"]["submissionDate"] >= since),
                              key=lambda r: r["__system"]["submissionDate"])
                skip, top = int(params.get("$skip", 0)), int(params.get("$top", 100))
                self._send(200, {"@odata.context": "replay", "value": rows[skip:skip + top]})
                return
            prefix = f"{base}/submissions/"
            if path.startswith(prefix) and "/attachments" in path:
                instance, _, rest = path[len(prefix):].partition("/attachments")
                if rest in ("", "/"):
                    self._send(200, [{"name": n, "exists": True} for i, n in replay.files if i == instance])
                    return
                content = replay.files.get((instance, rest.lstrip("/")))
                if content is not None:
                    self._send(200, content, "image/jpeg")
                    return
            self._send(404, {"message": "not found"})

    return Handler


@contextmanager
def serve_odk(replay: OdkReplay) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _odk_handler(replay))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
