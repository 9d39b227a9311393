"""The field tools in the replay publisher: KoboToolbox's API v2 and ODK Central's OData and REST
API as they answer, with invented Arabic submissions in their real layouts (photos attached).

``ReplayPublisher.field`` holds a ``FieldForms``; its routes answer before the others, so the
replay's faults (429 with Retry-After, 500, an expired token, a truncated body, HTML) apply to
the field tools as to every publisher. Invented content: the places are real (so the gazetteer
finds them), the events are not.
"""

from __future__ import annotations

import io
import json
import random
import secrets
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

from tocsin.sync.http import Response

KOBO_TOKEN = "replay-token"
KOBO_ASSET = "aTocsinArabic01"
ODK_EMAIL, ODK_PASSWORD = "monitor@example.org", "replay-password"
ODK_FORM = "tocsin_incident_report"

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
    asset: str = KOBO_ASSET,
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


@dataclass
class KoboForm:
    """One Kobo asset: its submissions (``_id`` order) and files by download path."""

    asset: str = KOBO_ASSET
    token: str = KOBO_TOKEN
    records: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, record: dict[str, Any], files: dict[str, bytes] | None = None) -> None:
        self.records.append(record)
        self.files.update(files or {})


@dataclass
class OdkForm:
    """One ODK Central form: its submissions and attachments by (instanceID, name)."""

    project: int = 1
    form: str = ODK_FORM
    records: list[dict[str, Any]] = field(default_factory=list)
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def add(self, record: dict[str, Any], files: dict[str, bytes]) -> None:
        self.records.append(record)
        for name, content in files.items():
            self.files[(record["__id"], name)] = content


@dataclass
class FieldForms:
    kobo: KoboForm = field(default_factory=KoboForm)
    odk: OdkForm = field(default_factory=OdkForm)

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
               body: bytes, base: str, tokens: set[str]) -> Response | None:
        """The reply when the request is for a field tool, else None. ``tokens`` are the
        publisher's live session tokens (an expire-token fault clears them)."""
        if path.startswith("/api/v2/assets/") or path.startswith("/media/original/"):
            return self._kobo(path, query, headers, base)
        if path.startswith("/v1/"):
            return self._odk(method, path, query, headers, body, tokens)
        return None

    def _kobo(self, path: str, query: dict[str, str], headers: dict[str, str], base: str) -> Response:
        kobo = self.kobo
        if headers.get("authorization") != f"Token {kobo.token}":
            return reply(401, {"detail": "Invalid token."})
        if path in kobo.files:
            return Response(200, {"Content-Type": "image/jpeg"}, kobo.files[path])
        if path != f"/api/v2/assets/{kobo.asset}/data/":
            return reply(404, {"detail": "Not found."})
        after = json.loads(query.get("query", "{}")).get("_id", {}).get("$gt", 0)
        limit = int(query.get("limit", "100"))
        matching = sorted((r for r in kobo.records if r["_id"] > after), key=lambda r: r["_id"])
        more = len(matching) > limit
        following = urllib.parse.urlencode({**query, "start": str(limit)})
        return reply(200, {"count": len(matching), "previous": None, "results": matching[:limit],
                           "next": f"{base}{path}?{following}" if more else None})

    def _odk(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
             body: bytes, tokens: set[str]) -> Response:
        odk = self.odk
        if path == "/v1/sessions" and method == "POST":
            try:
                login = json.loads(body or b"{}")
            except json.JSONDecodeError:
                login = {}
            if login != {"email": ODK_EMAIL, "password": ODK_PASSWORD}:
                return reply(401, {"message": "Could not authenticate with the provided credentials."})
            token = secrets.token_hex(16)
            tokens.add(token)
            return reply(200, {"token": token, "expiresAt": "2099-01-01T00:00:00Z"})
        if headers.get("authorization", "").removeprefix("Bearer ") not in tokens:
            return reply(401, {"message": "Could not authenticate with the provided credentials."})
        if path == "/v1/users/current":
            return reply(200, {"id": 1, "email": ODK_EMAIL, "type": "user"})
        base = f"/v1/projects/{odk.project}/forms/{odk.form}"
        path = urllib.parse.unquote(path)
        if path == f"{base}.svc/Submissions":
            since = query.get("$filter", "").removeprefix("__system/submissionDate ge ").strip()
            rows = sorted((r for r in odk.records if r["__system"]["submissionDate"] >= since),
                          key=lambda r: r["__system"]["submissionDate"])
            skip, top = int(query.get("$skip", 0)), int(query.get("$top", 100))
            return reply(200, {"@odata.context": "replay", "value": rows[skip:skip + top]})
        prefix = f"{base}/submissions/"
        if path.startswith(prefix) and "/attachments" in path:
            instance, _, rest = path[len(prefix):].partition("/attachments")
            if rest in ("", "/"):
                return reply(200, [{"name": n, "exists": True} for i, n in odk.files if i == instance])
            content = odk.files.get((instance, rest.lstrip("/")))
            if content is not None:
                return Response(200, {"Content-Type": "image/jpeg"}, content)
        return reply(404, {"message": "not found"})


def reply(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"Content-Type": "application/json", **(headers or {})},
                    json.dumps(data, ensure_ascii=False).encode("utf-8"))
