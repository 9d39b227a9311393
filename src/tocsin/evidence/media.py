"""What a file is and what it says about itself: media type from magic bytes (then the file
name), and embedded metadata (EXIF of photos, creation dates of PDFs) where present."""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

# (offset, magic, media type); the first match wins.
_MAGIC: list[tuple[int, bytes, str]] = [
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (0, b"OggS", "audio/ogg"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
]
_FTYP_BRANDS = {b"heic": "image/heic", b"heix": "image/heic", b"mif1": "image/heif",
                b"qt  ": "video/quicktime", b"M4A ": "audio/mp4"}


def sniff_media_type(head: bytes, filename: str) -> str:
    for offset, magic, media_type in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return media_type
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}[head[8:12]]
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12], "video/mp4")
    guessed, _ = mimetypes.guess_type(filename)
    if guessed:
        return guessed
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


_EXIF_WANTED = {
    "DateTimeOriginal", "DateTimeDigitized", "DateTime", "OffsetTimeOriginal", "Make", "Model",
    "Software", "LensModel", "ImageDescription", "Artist",
}


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip("\x00")
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    try:
        return float(value) if not isinstance(value, int | str) else value
    except (TypeError, ValueError):
        return str(value)


def _gps_degrees(values: Any, ref: str) -> float | None:
    try:
        degrees, minutes, seconds = (float(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    sign = -1.0 if ref in ("S", "W") else 1.0
    return round(sign * (degrees + minutes / 60 + seconds / 3600), 7)


Source = Path | IO[bytes]


@contextmanager
def _opened(source: Source) -> Iterator[IO[bytes]]:
    """A binary handle on a path, or the given (seekable) handle rewound, left open."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            yield handle
    else:
        source.seek(0)
        try:
            yield source
        finally:
            source.seek(0)


def _size(handle: IO[bytes]) -> int:
    here = handle.tell()
    end = handle.seek(0, os.SEEK_END)
    handle.seek(here)
    return end


def image_metadata(path: Source) -> dict[str, Any]:
    """EXIF fields that matter for provenance, GPS as decimal degrees; {} when none."""
    from PIL import ExifTags, Image, UnidentifiedImageError

    try:
        with _opened(path) as handle, Image.open(handle) as image:
            exif = image.getexif()
            found: dict[str, Any] = {"width": image.width, "height": image.height}
            for tag_id, value in {**exif, **exif.get_ifd(ExifTags.IFD.Exif)}.items():
                name = ExifTags.TAGS.get(tag_id)
                if name in _EXIF_WANTED:
                    found[name] = _plain(value)
            gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
            if gps:
                lat = _gps_degrees(gps.get(2), str(gps.get(1, "N")))
                lon = _gps_degrees(gps.get(4), str(gps.get(3, "E")))
                if lat is not None and lon is not None:
                    found["GPSLatitude"], found["GPSLongitude"] = lat, lon
            return found
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return {}


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate)\s*\(D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?"
                       rb"([Z+\-])?(\d{2})?'?(\d{2})?'?\)")
_PDF_TEXT = re.compile(rb"/(Producer|Creator|Author)\s*\(([^)]{0,200})\)")


def pdf_metadata(path: Source) -> dict[str, Any]:
    """Creation and modification dates (ISO 8601) and producer from the PDF Info dictionary,
    read from the first and last 256 KiB (where the Info dictionary is in practice)."""
    with _opened(path) as handle:
        size = _size(handle)
        data = handle.read(256 * 1024)
        if size > 512 * 1024:
            handle.seek(size - 256 * 1024)
            data += handle.read()
    found: dict[str, Any] = {}
    for match in _PDF_DATE.finditer(data):
        name = match.group(1).decode()
        year, month, day, hour, minute, second = (g.decode() if g else d for g, d in zip(
            match.groups()[1:7], ("", "01", "01", "00", "00", "00"), strict=True))
        zone = match.group(8)
        offset = "Z" if zone in (None, b"Z") else \
            f"{zone.decode()}{(match.group(9) or b'00').decode()}:{(match.group(10) or b'00').decode()}"
        found.setdefault(name, f"{year}-{month}-{day}T{hour}:{minute}:{second}{offset}")
    for match in _PDF_TEXT.finditer(data):
        found.setdefault(match.group(1).decode(), match.group(2).decode("latin-1"))
    return found


_MP4_EPOCH = 2082844800  # seconds from 1904-01-01 (QuickTime's epoch) to 1970-01-01


def _boxes(handle: Any, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    """ISO BMFF boxes between two offsets: type -> (payload offset, payload end)."""
    import struct

    found: dict[bytes, tuple[int, int]] = {}
    offset = start
    while offset + 8 <= end:
        handle.seek(offset)
        size, kind = struct.unpack(">I4s", handle.read(8))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", handle.read(8))[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header:
            break
        found.setdefault(kind, (offset + header, min(offset + size, end)))
        offset += size
    return found


def video_metadata(path: Source) -> dict[str, Any]:
    """Creation and modification times (UTC) and duration from an MP4/MOV's movie header;
    only box headers are read, however large the video."""
    import datetime as dt
    import struct

    try:
        with _opened(path) as handle:
            moov = _boxes(handle, 0, _size(handle)).get(b"moov")
            if moov is None:
                return {}
            mvhd = _boxes(handle, *moov).get(b"mvhd")
            if mvhd is None:
                return {}
            handle.seek(mvhd[0])
            version = handle.read(4)[0]
            if version == 1:
                created, modified, scale, duration = struct.unpack(">QQIQ", handle.read(28))
            else:
                created, modified, scale, duration = struct.unpack(">IIII", handle.read(16))
    except (OSError, struct.error, IndexError):
        return {}
    found: dict[str, Any] = {}
    for name, value in (("CreationDate", created), ("ModificationDate", modified)):
        if value > _MP4_EPOCH:  # 0 means "not set"
            when = dt.datetime.fromtimestamp(value - _MP4_EPOCH, dt.UTC)
            found[name] = when.isoformat().replace("+00:00", "Z")
    if scale:
        found["DurationSeconds"] = round(duration / scale, 3)
    return found


def embedded_metadata(path: Source, media_type: str) -> dict[str, Any]:
    if media_type.startswith("image/"):
        return image_metadata(path)
    if media_type == "application/pdf":
        return pdf_metadata(path)
    if media_type in ("video/mp4", "video/quicktime", "audio/mp4"):
        return video_metadata(path)
    return {}


def file_facts(path: Source, name: str | None = None) -> tuple[str, dict[str, Any]]:
    """Media type and embedded metadata of a file, or of a seekable handle named ``name``."""
    with _opened(path) as handle:
        head = handle.read(64)
    media_type = sniff_media_type(head, name or Path(str(path)).name)
    return media_type, embedded_metadata(path, media_type)
