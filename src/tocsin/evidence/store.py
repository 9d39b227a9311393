"""Content-addressed blob storage under ``<home>/evidence``.

``blobs/ab/cd/<sha256>`` holds the bytes whose SHA-256 is the name: the content itself, or for
encrypted items the ciphertext (so a file name never reveals a confidential file's hash).
A blob is written to ``tmp/``, fsynced and renamed into place; an existing blob is never
overwritten. ``custody.jsonl`` mirrors the custody log, one canonical JSON entry per line;
``timestamps/<id>.json`` keeps each stamped RFC 3161 token with the checkpoint it covers.
"""

from __future__ import annotations

import hashlib
import os
import queue
import stat
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tocsin.evidence.crypto import CHUNK, StreamEncryptor
from tocsin.evidence.errors import EvidenceError
from tocsin.lake import atomic_write_text, fsync_path, pause_for_tests


@dataclass(frozen=True)
class StoredBlob:
    sha256: str  # of the content
    stored_sha256: str  # of the bytes on disk
    size: int  # of the content
    created: bool  # False when the same bytes were already stored


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def blobs_dir(self) -> Path:
        return self.root / "blobs"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    @property
    def mirror_path(self) -> Path:
        return self.root / "custody.jsonl"

    def create(self) -> None:
        for folder in (self.root, self.blobs_dir, self.tmp_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if stat.S_IMODE(folder.stat().st_mode) != 0o700:
                os.chmod(folder, 0o700)  # restricted blobs are stored in clear: keep them private

    def path_for(self, stored_sha256: str) -> Path:
        return self.blobs_dir / stored_sha256[:2] / stored_sha256[2:4] / stored_sha256

    def put(self, source: Path | IO[bytes], encryptor: StreamEncryptor | None = None,
            on_bytes: Callable[[int], None] | None = None,
            max_bytes: int | None = None) -> StoredBlob:
        """Copy ``source`` (a path or a binary handle) in, hashing (and encrypting) as it
        streams; never loads it whole. ``on_bytes(n)`` is told of each chunk read (for a
        progress display); more than ``max_bytes`` raises :class:`TooLarge` as soon as read."""
        self.create()
        tmp = self.tmp_dir / f"{uuid.uuid4().hex}.part"
        content = hashlib.sha256()
        stored = hashlib.sha256() if encryptor else content
        size = 0
        try:
            with _reader(source) as reader, _private_file(tmp) as writer:
                # The disk write of one chunk overlaps the hashing of the next (hashlib and
                # file writes both release the GIL), keeping the copy near hashing speed; the
                # ciphertext of an encrypted item is hashed on the writing thread too.
                with _BackgroundWriter(writer, stored if encryptor else None) as background:
                    while chunk := reader.read(CHUNK):
                        size += len(chunk)
                        if max_bytes is not None and size > max_bytes:
                            raise TooLarge(f"the file is larger than {max_bytes:,} bytes")
                        content.update(chunk)
                        if on_bytes is not None:
                            on_bytes(len(chunk))
                        if encryptor is not None:
                            chunk = encryptor.update(chunk)
                        background.write(chunk)
                    if encryptor is not None:
                        background.write(encryptor.finalize())
                os.fsync(writer.fileno())
            final = self.path_for(stored.hexdigest())
            pause_for_tests("evidence-blob-written")
            created = not final.exists()
            if created:
                final.parent.parent.mkdir(exist_ok=True, mode=0o700)
                final.parent.mkdir(exist_ok=True, mode=0o700)
                # link() fails when the name exists: a blob is never replaced, even in a race.
                try:
                    os.link(tmp, final)
                except FileExistsError:
                    created = False
                else:
                    fsync_path(final.parent)
        finally:
            tmp.unlink(missing_ok=True)
        return StoredBlob(content.hexdigest(), stored.hexdigest(), size, created)

    def remove(self, stored_sha256: str) -> bool:
        path = self.path_for(stored_sha256)
        if not path.exists():
            return False
        path.unlink()
        fsync_path(path.parent)
        return True

    def sweep_tmp(self) -> list[Path]:
        """Remove half-written blobs of writers that died (needs the workspace write lock)."""
        if not self.tmp_dir.exists():
            return []
        removed = list(self.tmp_dir.iterdir())
        for path in removed:
            path.unlink(missing_ok=True)
        return removed

    @property
    def timestamps_dir(self) -> Path:
        return self.root / "timestamps"

    def write_timestamp(self, token_id: int, record: dict[str, Any]) -> None:
        """Keep a stamped token with its checkpoint as ``timestamps/<token id>.json``."""
        import json

        self.timestamps_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.timestamps_dir / f"{token_id}.json", json.dumps(record, indent=1))

    def timestamp_files(self) -> dict[int, Path]:
        if not self.timestamps_dir.exists():
            return {}
        return {int(p.stem): p for p in self.timestamps_dir.glob("*.json") if p.stem.isdigit()}

    @property
    def heads_dir(self) -> Path:
        return self.root / "heads"

    def write_head(self, head: dict[str, Any]) -> None:
        """Keep a signed tree head, and publish it as ``heads/latest.json``."""
        import json

        self.heads_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = json.dumps(head, indent=1, sort_keys=True)
        atomic_write_text(self.heads_dir / f"{head['tree_size']:09d}.json", text)
        atomic_write_text(self.heads_dir / "latest.json", text)

    def read_head(self) -> dict[str, Any] | None:
        import json

        path = self.heads_dir / "latest.json"
        if not path.exists():
            return None
        return dict(json.loads(path.read_text(encoding="utf-8")))

    def all_blobs(self) -> dict[str, Path]:
        if not self.blobs_dir.exists():
            return {}
        return {p.name: p for p in self.blobs_dir.glob("*/*/*") if p.is_file()}


class TooLarge(EvidenceError):
    """A file over the size limit (the web app's), found while reading it."""


@contextmanager
def _reader(source: Path | IO[bytes]) -> Iterator[IO[bytes]]:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb", buffering=0) as handle:
            yield handle
    else:
        source.seek(0)
        yield source


@contextmanager
def _private_file(path: Path) -> Iterator[IO[bytes]]:
    """A new file, 0600 from its first byte (never replacing one)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb", buffering=0) as handle:
        yield handle


class _BackgroundWriter:
    """Writes chunks (hashing them first, when given a digest) on a second thread, at most two
    chunks behind the reader."""

    def __init__(self, handle: object, digest: Any = None) -> None:
        self._handle = handle
        self._digest = digest
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _BackgroundWriter:
        self._thread.start()
        return self

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                try:
                    if self._digest is not None:
                        self._digest.update(chunk)
                    view = memoryview(chunk)
                    while view:
                        written = self._handle.write(view)  # type: ignore[attr-defined]
                        view = view[written:]
                except BaseException as exc:  # re-raised on the caller's thread
                    self._error = exc

    def write(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def __exit__(self, *exc_info: object) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc_info[0] is None:
            raise self._error
