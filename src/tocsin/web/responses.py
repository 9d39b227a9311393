"""JSON responses for the map data: compressed once, revalidated by ETag.

The same few documents (boundaries per zoom, places per zoom) are asked for again and again, and
on a slow link every byte counts: each is gzipped once and kept, and a client that already holds
it gets a 304 with no body.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache

from fastapi import Request
from fastapi.responses import Response


@lru_cache(maxsize=256)
def _packed(text: str) -> tuple[str, bytes, bytes]:
    raw = text.encode("utf-8")
    return f'"{hashlib.sha256(raw).hexdigest()[:32]}"', raw, gzip.compress(raw, compresslevel=9, mtime=0)


def cached_json(request: Request, text: str) -> Response:
    etag, raw, packed = _packed(text)
    headers = {"etag": etag, "cache-control": "private, no-cache", "vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(packed, media_type="application/json", headers=headers)
    return Response(raw, media_type="application/json", headers=headers)
