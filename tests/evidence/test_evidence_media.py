"""Media types and embedded metadata: photos (EXIF), PDFs (creation dates), videos (movie
header), and files that claim to be one of those but are not."""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

from tocsin.evidence.media import file_facts, sniff_media_type

MP4_EPOCH = dt.datetime(1904, 1, 1, tzinfo=dt.UTC)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def mp4(created: dt.datetime, seconds: int, version: int = 0) -> bytes:
    stamp = int((created - MP4_EPOCH).total_seconds())
    if version == 0:
        header = bytes([0, 0, 0, 0]) + struct.pack(">IIII", stamp, stamp, 1000, seconds * 1000)
    else:
        header = bytes([1, 0, 0, 0]) + struct.pack(">QQIQ", stamp, stamp, 600, seconds * 600)
    return (box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + box(b"free", b"\x00" * 100)
            + box(b"moov", box(b"mvhd", header + b"\x00" * 80)) + box(b"mdat", b"\x00" * 1000))


def test_video_creation_time_and_duration(tmp_path: Path) -> None:
    created = dt.datetime(2024, 5, 10, 14, 29, 58, tzinfo=dt.UTC)
    for version in (0, 1):
        path = tmp_path / f"VID_{version}.mp4"
        path.write_bytes(mp4(created, 75, version))
        media_type, meta = file_facts(path)
        assert media_type == "video/mp4"
        assert meta == {"CreationDate": "2024-05-10T14:29:58Z",
                        "ModificationDate": "2024-05-10T14:29:58Z", "DurationSeconds": 75.0}


def test_truncated_or_fake_files_give_no_metadata(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(mp4(dt.datetime(2024, 5, 10, tzinfo=dt.UTC), 5)[:60])
    assert file_facts(broken) == ("video/mp4", {})
    fake_jpeg = tmp_path / "fake.jpg"
    fake_jpeg.write_bytes(b"\xff\xd8\xff but not really a JPEG")
    assert file_facts(fake_jpeg) == ("image/jpeg", {})


def test_pdf_dates_and_producer(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Producer (Microsoft Word) /CreationDate "
                     b"(D:20231106120501+03'00') /ModDate (D:20231107Z) >> endobj\n%%EOF")
    media_type, meta = file_facts(path)
    assert media_type == "application/pdf"
    assert meta == {"CreationDate": "2023-11-06T12:05:01+03:00",
                    "ModDate": "2023-11-07T00:00:00Z", "Producer": "Microsoft Word"}


def test_magic_bytes_win_over_the_name() -> None:
    assert sniff_media_type(b"%PDF-1.4 ...", "photo.jpg") == "application/pdf"
    assert sniff_media_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ", "x.bin") == "image/webp"
    assert sniff_media_type(b"\x00\x00\x00\x18ftypqt  ", "clip") == "video/quicktime"
    assert sniff_media_type(b"plain words", "notes") == "text/plain"
    assert sniff_media_type(b"\x00\x01\x02\xff\xfe", "blob") == "application/octet-stream"
    assert sniff_media_type(b"a,b\n1,2\n", "table.csv") == "text/csv"
