"""Submissions as Kobo and ODK really lay them out, read into one shape.

Layouts handled (the formpack fixtures in shared/data/kobo-formpack-fixtures are real ones):

- KoboToolbox API v2 JSON (``/api/v2/assets/{uid}/data/``): group-prefixed names
  (``where/point``), geopoint as ``"lat lon alt accuracy"``, ``_geolocation`` ``[lat, lon]``,
  ``_attachments`` with ``download_url`` and ``filename``, ``meta/instanceID``, ``_id``,
  ``_uuid``, ``_submission_time``, ``_submitted_by``;
- Kobo's CSV (``;`` or ``,``) and XLSX exports: the same names with or without the group
  prefix, geopoints split into ``_point_latitude`` ... columns, select_multiple either
  space-separated or as one 0/1 column per choice (``what/categories/burning``);
- ODK Central OData: groups as nested objects, geopoint as GeoJSON, ``__id``, ``__system``.

Names are matched on their last path segment: the form's question names are unique.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any


class SubmissionError(ValueError):
    """A submission that cannot be read at all (no instance id); names where it came from."""


@dataclass(frozen=True)
class Attachment:
    """A file a submission names: the question's value (``name``), where to get it."""

    name: str
    question: str | None = None
    download_url: str | None = None
    media_type: str | None = None


@dataclass
class Submission:
    instance_id: str
    form_id: str
    fields: dict[str, Any]
    submission_id: str | None = None
    submitted_at: dt.datetime | None = None
    submitted_by: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    where: str = ""  # "file.csv row 3", "kobo asset X _id 12": for messages


_SYSTEM = {
    "_id",
    "_uuid",
    "_submission_time",
    "_submitted_by",
    "_attachments",
    "_geolocation",
    "_status",
    "_validation_status",
    "_notes",
    "_tags",
    "_index",
    "_xform_id_string",
    "__version__",
    "formhub/uuid",
    "_version_",
    "__id",
    "__system",
    "meta",
}
_GEO_PART = re.compile(r"^(?P<q>.+)_(?P<part>latitude|longitude|altitude|precision)$")


def leaf(name: str) -> str:
    return name.rstrip("/").rsplit("/", 1)[-1]


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """ODK Central's nested groups to Kobo's ``group/name`` keys (GeoJSON points kept whole)."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value.get("type") != "Point" and key != "__system":
            flat.update(flatten(value, f"{path}/"))
        else:
            flat[path] = value
    return flat


def parse_geopoint(value: Any) -> tuple[float, float] | None:
    """``"lat lon alt acc"`` (Kobo, XForm), ``[lat, lon]`` (Kobo's _geolocation) or a GeoJSON
    point (ODK Central: coordinates are lon, lat); None when empty. Raises ValueError on junk."""
    if value is None or value == "" or value == [None, None]:
        return None
    if isinstance(value, Mapping):
        coordinates = value.get("coordinates") or []
        if len(coordinates) < 2:
            raise ValueError(f"GeoJSON point without coordinates: {value!r}")
        return float(coordinates[1]), float(coordinates[0])
    if isinstance(value, list | tuple):
        if len(value) < 2:
            raise ValueError(f"expected [lat, lon], found {value!r}")
        return float(value[0]), float(value[1])
    parts = str(value).split()
    if len(parts) < 2:
        raise ValueError(f"expected a geopoint 'lat lon [alt accuracy]', found {value!r}")
    lat, lon = float(parts[0]), float(parts[1])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"geopoint {value!r} is not a latitude and longitude")
    return lat, lon


def parse_time(value: Any) -> dt.datetime | None:
    """Kobo writes ``2017-12-28T15:02:02`` (UTC, no zone) and ``...-05:00``; ODK ``...Z``."""
    if value in (None, ""):
        return None
    text = str(value).strip().replace("Z", "+00:00")
    when = dt.datetime.fromisoformat(text)
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def split_multiple(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v)]
    return [part for part in str(value).split() if part]


def read_submission(
    record: Mapping[str, Any], *, form_id: str, where: str, multiple: frozenset[str] = frozenset()
) -> Submission:
    """One submission in any of the layouts above. ``multiple`` names the select_multiple
    questions, whose one-column-per-choice form is folded back into a list."""
    flat = flatten(record)
    fields: dict[str, Any] = {}
    split_choices: dict[str, list[str]] = {}
    geo_parts: dict[str, dict[str, str]] = {}
    for key, value in flat.items():
        if key in _SYSTEM or key.startswith(("meta/", "__system", "formhub/")):
            continue
        parts = key.split("/")
        if len(parts) >= 2 and parts[-2] in multiple and leaf(key) not in multiple:
            # Kobo's "one column per choice" export: what/categories/burning = 1
            if str(value).strip() in ("1", "1.0", "True", "true"):
                split_choices.setdefault(parts[-2], []).append(parts[-1])
            continue
        # Kobo's CSV splits geopoints: _point_latitude, or _where/point_latitude with groups.
        match = (
            _GEO_PART.match(leaf(key.lstrip("_")))
            if key.startswith("_") or leaf(key).startswith("_")
            else None
        )
        if match:
            geo_parts.setdefault(match["q"].lstrip("_"), {})[match["part"]] = value
            continue
        if key.endswith("_URL"):
            continue
        fields[leaf(key)] = value
    for name, chosen in split_choices.items():
        if not split_multiple(fields.get(name)):
            fields[name] = " ".join(chosen)
    for name, parts in geo_parts.items():
        if fields.get(name) in (None, "") and parts.get("latitude") not in (None, ""):
            fields[name] = f"{parts['latitude']} {parts.get('longitude', '')}"

    system = flat.get("__system") if isinstance(flat.get("__system"), Mapping) else {}
    instance = (
        flat.get("meta/instanceID")
        or flat.get("instanceID")
        or flat.get("__id")
        or (f"uuid:{flat['_uuid']}" if flat.get("_uuid") else None)
    )
    if not instance:
        raise SubmissionError(
            f"{where}: no meta/instanceID, __id or _uuid: cannot tell this submission from a resubmission"
        )
    attachments = [
        Attachment(
            name=PurePosixPath(str(a.get("filename") or a.get("name"))).name,
            question=a.get("question_xpath"),
            download_url=a.get("download_url") or a.get("download_large_url"),
            media_type=a.get("mimetype") or a.get("contentType"),
        )
        for a in (flat.get("_attachments") or [])
        if a.get("filename") or a.get("name")
    ]
    if flat.get("_geolocation") and fields.get("point") in (None, ""):
        geo = flat["_geolocation"]
        if isinstance(geo, str):
            geo = json.loads(geo)
        if geo and geo[0] is not None:
            fields["point"] = f"{geo[0]} {geo[1]}"
    submitted = flat.get("_submission_time") or system.get("submissionDate")
    return Submission(
        instance_id=str(instance),
        form_id=form_id,
        fields=fields,
        submission_id=str(flat["_id"]) if flat.get("_id") not in (None, "") else None,
        submitted_at=parse_time(submitted),
        attachments=attachments,
        submitted_by=flat.get("_submitted_by") or system.get("submitterName"),
        raw=dict(record),
        where=where,
    )
