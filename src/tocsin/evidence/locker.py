"""EvidenceLocker: the one API that the CLI and the web app call.

Every change is one database transaction holding the item rows and the custody entries that
record them, committed under the workspace write lock; then the entries are appended to the
``custody.jsonl`` mirror. A process killed at any point leaves either no trace (blob orphaned
in ``tmp/`` or unreferenced), or a committed change whose mirror lines :meth:`recover` adds on
the next write. See docs/methods/evidence.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tocsin.evidence import access
from tocsin.evidence.crypto import (
    NONCE_BYTES,
    StreamEncryptor,
    canonical_json,
    decrypt_stream,
    new_data_key,
    seal,
    sha256_hex,
    unseal,
    unwrap_key,
    wrap_key,
)
from tocsin.evidence.custody import (
    GENESIS,
    KEY_ACTIONS,
    Entry,
    KeyRing,
    jsonl_line,
    key_ring,
    make_entry,
    parse_jsonl,
)
from tocsin.evidence.errors import AccessDenied, EvidenceError
from tocsin.evidence.keys import KeyStore, SigningKeyPair
from tocsin.evidence.media import file_facts
from tocsin.evidence.merkle import merkle_root_hex
from tocsin.evidence.store import BlobStore
from tocsin.i18n import Said
from tocsin.lake import fsync_path, pause_for_tests
from tocsin.records.db import session_factory
from tocsin.records.evidence_models import (
    SENSITIVITIES,
    CustodyEntry,
    EvidenceItem,
    EvidenceKey,
    EvidenceLink,
    SigningKey,
    TimestampAuthority,
    TimestampCheckpoint,
    TimestampToken,
)
from tocsin.records.models import Incident, Organisation, User
from tocsin.workspace import Workspace

# At most this many custody entries are mirrored by recovery: one interrupted transaction
# writes no more. A longer gap is not a crash but a lost or replaced mirror, left for verify
# to report (and for a person to restore from backup).
MAX_MIRROR_REPAIR = 4
# A batch (``add_batch``) writes up to this many entries in one transaction; recovery mirrors
# such a gap only when every missing entry names the same batch (signed in its details).
MAX_BATCH = 256
# Fields of a confidential item kept only encrypted (never in the log or in clear rows).
# The file name too: "statement_Fatima_Ahmed.pdf" names a witness. In clear such an item is
# called "item-<id><suffix>".
SEALED_FIELDS = ("filename", "description", "source_url", "embedded")
BLOB_CONTEXT = b"tocsin-evidence-blob/1"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _one_batch(entries: Sequence[Entry]) -> bool:
    """Whether the entries all belong to one batch (``add_batch``): the tail of one
    transaction, which a kill between commit and mirror can leave unmirrored."""
    batches = {json.dumps((e.body.get("details") or {}).get("batch"), sort_keys=True)
               for e in entries}
    return len(entries) <= MAX_BATCH and len(batches) == 1 and batches != {"null"}


def entry_from_row(row: CustodyEntry) -> Entry:
    return Entry.from_json({"seq": row.seq, "prev_hash": row.prev_hash,
                            "entry_hash": row.entry_hash, "key_id": row.key_id,
                            "signature": row.signature, "payload": row.payload})


class _HashingSink:
    """Passes bytes on to ``sink`` and hashes them on the way."""

    def __init__(self, sink: IO[bytes]) -> None:
        self.sink = sink
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.sink.write(data)


@dataclass(frozen=True)
class Actor:
    """The acting user, as the locker needs it."""

    user_id: int
    username: str
    role: str
    organisation_id: int
    organisation_name: str


@dataclass(frozen=True)
class Upload:
    """A file to add that is not on disk under its name: a seekable handle (the web app's
    upload, read straight into the store, encrypted as it streams when confidential)."""

    name: str
    handle: IO[bytes]


@dataclass(frozen=True)
class Addition:
    """One file of a batch (``EvidenceLocker.add_batch``) and what its ``add`` entry says:
    ``place_fields`` as the caller resolved them, ``custody`` added to the entry's details,
    ``within(session, item_id, sha256)`` run in the batch's transaction."""

    path: Path
    collector: str
    captured_at: dt.datetime
    sensitivity: str
    place_fields: dict[str, Any]
    method: str | None = None
    custody: dict[str, Any] | None = None
    within: Callable[[Session, int, str], None] | None = None


@dataclass(frozen=True)
class AddedItem:
    item_id: int
    sha256: str
    size: int
    media_type: str
    filename: str
    duplicate_of: list[int] = field(default_factory=list)


def _summary(i: EvidenceItem) -> dict[str, Any]:
    return {"item_id": i.id, "filename": i.filename, "sha256": i.sha256, "size": i.size,
            "media_type": i.media_type, "sensitivity": i.sensitivity, "status": i.status,
            "collector": i.collector, "captured_at": i.captured_at.isoformat(),
            "place_id": i.place_id, "derived_from": i.derived_from}


class EvidenceLocker:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.store = BlobStore(workspace.home / "evidence")
        self.keys = KeyStore(workspace.home / "keys")
        self._sessions: sessionmaker[Session] | None = None

    # -- plumbing ---------------------------------------------------------------------------
    def session(self) -> Session:
        if self._sessions is None:
            self._sessions = session_factory(self.workspace.database_url)
        return self._sessions()

    def close(self) -> None:
        if self._sessions is not None:
            bind = self._sessions.kw.get("bind")
            if bind is not None:
                bind.dispose()
            self._sessions = None

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """The write lock, a recovered locker and one transaction; mirror after commit."""
        with self.workspace.write_lock():
            self.recover()
            with self.session() as session:
                session.info["pending"] = []
                with session.begin():
                    yield session
                pending: list[Entry] = session.info["pending"]
            pause_for_tests("evidence-before-mirror")
            self._mirror(pending)

    def _mirror(self, entries: Sequence[Entry]) -> None:
        if not entries:
            return
        self.store.create()
        fd = os.open(self.store.mirror_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)  # the log names people and places: private, like the database
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            for entry in entries:
                handle.write(jsonl_line(entry))
            handle.flush()
            os.fsync(handle.fileno())
        fsync_path(self.store.root)

    def mirror_entries(self) -> tuple[list[Entry], list[Any]]:
        if not self.store.mirror_path.exists():
            return [], []
        with open(self.store.mirror_path, encoding="utf-8") as handle:
            return parse_jsonl(handle, "custody.jsonl")

    def db_entries(self, session: Session) -> list[Entry]:
        rows = session.scalars(select(CustodyEntry).order_by(CustodyEntry.seq)).all()
        return [entry_from_row(row) for row in rows]

    def recover(self) -> list[str]:
        """Finish what a killed writer left (call with the write lock held); returns what it did.

        Half-written blobs in ``tmp/`` are removed; a torn last mirror line is cut off; custody
        entries committed to the database but missing from the end of the mirror are appended,
        only when the mirror is an exact prefix of the database log (anything else is left for
        :func:`tocsin.evidence.verify.verify_locker` to report) and the gap is no longer than
        one transaction writes; content of deleted items whose removal was interrupted is
        removed.
        """
        done = [f"removed half-written {p.name}" for p in self.store.sweep_tmp()]
        last_line = self._cut_torn_mirror_line(done)
        with self.session() as session:
            last = session.scalar(select(CustodyEntry).order_by(CustodyEntry.seq.desc()).limit(1))
            # Every write passes here: compare the two ends first, read whole logs only when
            # they differ (after a crash, or tampering that verify will name).
            in_step = (last is None and last_line is None) or (
                last is not None and last_line is not None
                and f'"entry_hash":"{last.entry_hash}"'.encode() in last_line)
            if not in_step:
                done += self._repair_mirror(session)
            live = set(session.scalars(select(EvidenceItem.stored_sha256)
                                       .where(EvidenceItem.status == "active")).all())
            for stored in session.scalars(select(EvidenceItem.stored_sha256)
                                          .where(EvidenceItem.status == "deleted")).all():
                if stored and stored not in live and self.store.remove(stored):
                    done.append(f"removed the content of a deleted item ({stored[:12]})")
        return done

    def _cut_torn_mirror_line(self, done: list[str]) -> bytes | None:
        """Cut a last mirror line that a killed writer left without its newline; return the
        last complete line (None when the mirror is empty or missing)."""
        mirror = self.store.mirror_path
        if not mirror.exists():
            return None
        with open(mirror, "r+b") as handle:
            size = handle.seek(0, os.SEEK_END)
            start = max(0, size - (1 << 20))  # an entry is a few kB; 1 MiB holds the last two
            handle.seek(start)
            tail = handle.read()
            if tail and not tail.endswith(b"\n"):
                keep = tail.rfind(b"\n") + 1
                handle.truncate(start + keep)
                os.fsync(handle.fileno())
                tail = tail[:keep]
                done.append("cut a torn last line off custody.jsonl")
        lines = tail.splitlines()
        return lines[-1] if lines else None

    def _repair_mirror(self, session: Session) -> list[str]:
        in_db = self.db_entries(session)
        mirrored, _ = self.mirror_entries()
        prefix = [e.entry_hash for e in in_db[: len(mirrored)]]
        missing = len(in_db) - len(mirrored)
        if missing > 0 and prefix == [e.entry_hash for e in mirrored] and (
                missing <= MAX_MIRROR_REPAIR or _one_batch(in_db[len(mirrored):])):
            self._mirror(in_db[len(mirrored):])
            return [f"mirrored custody entries {len(mirrored) + 1}-{len(in_db)}"]
        return []

    # -- people and keys ----------------------------------------------------------------------
    def key_state(self, session: Session) -> KeyRing:
        """The organisations' keys in use, as the signed key entries of the log say."""
        rows = session.scalars(select(CustodyEntry).where(CustodyEntry.action.in_(KEY_ACTIONS))
                               .order_by(CustodyEntry.seq)).all()
        ring, findings = key_ring(entry_from_row(row) for row in rows)
        if findings:
            raise EvidenceError(Said("locker.keys_do_not_verify", finding=findings[0]))
        return ring

    def signer(self, session: Session, organisation_id: int) -> SigningKeyPair:
        """The organisation's current signing key: the one its newest signed key entry names."""
        key_id = self.key_state(session).current.get(organisation_id)
        if key_id is None:
            raise EvidenceError(
                f"organisation {organisation_id} has no signing key: run `tocsin keys create`")
        return self.keys.signing_key(organisation_id, key_id)

    def active_kek(self, session: Session, organisation_id: int) -> tuple[str, bytes]:
        kek_id = self.key_state(session).kek.get(organisation_id)
        if kek_id is None:
            raise EvidenceError(
                f"organisation {organisation_id} has no encryption key: run `tocsin keys create`")
        return kek_id, self.keys.kek(organisation_id, kek_id)

    def actor(self, session: Session, username: str | None) -> Actor:
        if not username:
            raise EvidenceError(Said("accounts.say_who_acting_as"))
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise EvidenceError(Said("accounts.unknown_user", username=username))
        org = session.get(Organisation, user.organisation_id)
        assert org is not None
        return Actor(user.id, user.username, user.role, org.id, org.name)

    def record(self, actor: Actor, action: str, item_id: int | None,
               details: dict[str, Any]) -> Entry:
        """Append one signed entry in its own transaction (e.g. an export done elsewhere)."""
        with self._writing() as session:
            return self._append(session, actor, action, item_id, details)

    @contextmanager
    def transaction(self, username: str | None) -> Iterator[tuple[Session, Actor]]:
        """One write transaction for another module's records and the custody entries that
        record them (legal assessments): append with :meth:`append` inside it."""
        with self._writing() as session:
            yield session, self.actor(session, username)

    def append(self, session: Session, actor: Actor, action: str,
               details: dict[str, Any]) -> Entry:
        """Sign and append one entry (about no item) inside :meth:`transaction`."""
        return self._append(session, actor, action, None, details)

    def _append(self, session: Session, actor: Actor, action: str, item_id: int | None,
                details: dict[str, Any], signer: Any = None) -> Entry:
        last = session.scalar(select(CustodyEntry).order_by(CustodyEntry.seq.desc()).limit(1))
        seq, prev = (last.seq + 1, last.entry_hash) if last else (1, GENESIS)
        signer = signer or self.signer(session, actor.organisation_id)
        body = {"at": _now().isoformat(timespec="microseconds"), "action": action,
                "organisation": {"id": actor.organisation_id, "name": actor.organisation_name},
                "user": actor.username, "item": item_id, "details": details}
        entry = make_entry(seq, prev, body, signer)
        session.add(CustodyEntry(seq=seq, action=action, item_id=item_id, payload=entry.payload,
                                 prev_hash=prev, entry_hash=entry.entry_hash,
                                 key_id=entry.key_id, signature=entry.signature))
        session.flush()
        session.info["pending"].append(entry)
        return entry

    def create_keys(self, username: str) -> str:
        """First signing and encryption keys of the acting user's organisation (admins only)."""
        with self._writing() as session:
            actor = self.actor(session, username)
            self._require_admin(actor, "create keys")
            if actor.organisation_id in self.key_state(session).current:
                raise EvidenceError(Said("locker.has_keys", organisation=actor.organisation_name))
            pair = self.keys.create_signing_key(actor.organisation_id)
            kek_id = self.keys.create_kek(actor.organisation_id)
            session.add(SigningKey(key_id=pair.key_id, organisation_id=actor.organisation_id,
                                   public_key=pair.public_hex))
            self._append(session, actor, "key_created", None,
                         {"key_id": pair.key_id, "public_key": pair.public_hex,
                          "kek_id": kek_id}, signer=pair)
            return pair.key_id

    def rotate_keys(self, username: str) -> str:
        """New signing and encryption keys; the old key signs the new one in, and stays."""
        with self._writing() as session:
            actor = self.actor(session, username)
            self._require_admin(actor, "rotate keys")
            old = self.signer(session, actor.organisation_id)
            pair = self.keys.create_signing_key(actor.organisation_id)
            kek_id = self.keys.create_kek(actor.organisation_id)
            session.add(SigningKey(key_id=pair.key_id, organisation_id=actor.organisation_id,
                                   public_key=pair.public_hex))
            retired = session.get(SigningKey, old.key_id)
            if retired is not None:
                retired.retired_at = _now()
            self._append(session, actor, "key_rotated", None,
                         {"old_key_id": old.key_id, "new_key_id": pair.key_id,
                          "new_public_key": pair.public_hex, "kek_id": kek_id}, signer=old)
            return pair.key_id

    def public_keys(self, organisation: str | None = None) -> list[dict[str, Any]]:
        with self.session() as session:
            query = select(SigningKey, Organisation).join(
                Organisation, Organisation.id == SigningKey.organisation_id)
            if organisation:
                query = query.where(Organisation.name == organisation)
            return [{"key_id": k.key_id, "organisation_id": o.id, "organisation": o.name,
                     "public_key": k.public_key, "created_at": k.created_at,
                     "retired_at": k.retired_at}
                    for k, o in session.execute(query.order_by(SigningKey.created_at)).all()]

    @staticmethod
    def _require_admin(actor: Actor, what: str) -> None:
        if actor.role != "admin":
            raise AccessDenied(Said("access.admin_only", role=actor.role,
                                    to=Said(f"access.to_{what.replace(' ', '_')}")))

    # -- adding -------------------------------------------------------------------------------
    def add(self, files: Sequence[Path | Upload], *, user: str, collector: str, captured_at: dt.datetime,
            sensitivity: str, place: str | None = None, lat: float | None = None,
            lon: float | None = None, source_url: str | None = None,
            description: str | None = None, events: Sequence[str] = (),
            incidents: Sequence[int] = (), method: str | None = None, original: bool = True,
            derived_from: int | None = None,
            on_bytes: Callable[[int], None] | None = None,
            max_bytes: int | None = None, custody: dict[str, Any] | None = None,
            within: Callable[[Session, int, str], None] | None = None,
            resolved_place: dict[str, Any] | None = None) -> list[AddedItem]:
        """Store each file and record it, with one signed ``add`` entry per file (each file its
        own transaction: a failure part-way keeps the files already added).

        ``custody`` is added to each ``add`` entry's details (field intake names the form, the
        submission and the collector's pseudonym there); ``within(session, item_id, sha256)``
        runs inside each file's transaction, so a caller's own rows commit with the item or not
        at all. ``resolved_place`` (place_id, place_name, lat, lon, location_from) is a place the
        caller already matched against the gazetteer (a sync of thousands does it once)."""
        files = [f if isinstance(f, Upload) else Path(f) for f in files]
        self._check_add(files, collector, captured_at, sensitivity, lat, lon)
        place_fields = resolved_place or self._resolve_place(place, lat, lon)
        self._check_events(events)
        added = []
        for path in files:
            added.append(self._add_one(path, user=user, collector=collector,
                                       captured_at=captured_at, sensitivity=sensitivity,
                                       place_fields=place_fields, source_url=source_url,
                                       description=description, events=list(events),
                                       incidents=list(incidents), method=method,
                                       original=original, derived_from=derived_from,
                                       on_bytes=on_bytes, max_bytes=max_bytes, custody=custody,
                                       within=within))
        return added

    @staticmethod
    def _check_add(files: Sequence[Path | Upload], collector: str, captured_at: dt.datetime,
                   sensitivity: str, lat: float | None, lon: float | None) -> None:
        if not files:
            raise EvidenceError(Said("locker.no_file"))
        for path in files:
            name = path.name
            shown = ascii(str(path if isinstance(path, Path) else name))[1:-1]
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                raise EvidenceError(Said("locker.name_not_utf8", file=shown)) from None
            if len(name.encode("utf-8")) > 255:
                raise EvidenceError(Said("locker.name_long", file=f"{shown[:80]}…"))
            if isinstance(path, Path):
                try:
                    readable = path.is_file()
                except OSError as exc:  # e.g. a path too long for the system
                    raise EvidenceError(f"{shown[:80]}…: {exc.strerror}") from None
                if not readable:
                    raise EvidenceError(Said("locker.not_readable", file=str(path)))
        if sensitivity not in SENSITIVITIES:
            raise EvidenceError(Said("locker.sensitivity", sensitivities=", ".join(SENSITIVITIES),
                                     sensitivity=sensitivity))
        if not collector.strip():
            raise EvidenceError(Said("locker.no_collector"))
        if captured_at.tzinfo is None:
            raise EvidenceError(Said("locker.captured_zone"))
        try:
            captured_at.astimezone(dt.UTC)
        except OverflowError:
            raise EvidenceError(Said("locker.captured_years", captured_at=captured_at.isoformat())) from None
        if captured_at > _now() + dt.timedelta(hours=1):
            raise EvidenceError(Said("locker.captured_future", captured_at=captured_at.isoformat()))
        if (lat is None) != (lon is None):
            raise EvidenceError(Said("locker.lat_lon"))
        if lat is not None and not -90 <= lat <= 90:
            raise EvidenceError(Said("locker.lat_range", lat=lat))
        if lon is not None and not -180 <= lon <= 180:
            raise EvidenceError(Said("locker.lon_range", lon=lon))

    def _resolve_place(self, place: str | None, lat: float | None,
                       lon: float | None) -> dict[str, Any]:
        if place is None:
            return {"place_id": None, "place_name": None, "lat": lat, "lon": lon,
                    "location_from": "coordinates" if lat is not None else None}
        from tocsin.lake import Lake

        lake = Lake(self.workspace.lake_dir)
        if not self.workspace.exists() or lake.derived_path("gazetteer") is None:
            raise EvidenceError(Said("locker.place_needs_gazetteer"))
        con = lake.connect()
        row = con.execute("SELECT place_id, name, latitude, longitude FROM gazetteer "
                          "WHERE place_id = ?", [place]).fetchone()
        if row is None:
            from tocsin.places.lookup import find_places, surely_named

            matches = find_places(self.workspace, place, limit=3)
            if not matches:
                raise EvidenceError(Said("locker.no_place", place=place))
            best = matches[0]
            if not surely_named(best, place):  # evidence filed under a look-alike's name misleads
                raise EvidenceError(Said("places.not_sure", name=place, nearest=best["name"],
                                         place_id=best["place_id"]))
            if len(matches) > 1 and matches[1].get("score") == best.get("score") \
                    and matches[1]["name"] != best["name"]:
                names = ", ".join(f"{m['name']} ({m['place_id']})" for m in matches)
                raise EvidenceError(Said("locker.place_ambiguous", place=place, names=names))
            row = (best["place_id"], best["name"], best["latitude"], best["longitude"])
        place_lat = lat if lat is not None else row[2]
        place_lon = lon if lon is not None else row[3]
        return {"place_id": row[0], "place_name": row[1], "lat": place_lat, "lon": place_lon,
                "location_from": "coordinates" if lat is not None else "place"}

    def _check_events(self, events: Sequence[str]) -> None:
        if not events:
            return
        from tocsin.lake import Lake

        if not self.workspace.exists():
            raise EvidenceError(Said("locker.event_needs_events"))
        con = Lake(self.workspace.lake_dir).connect()
        known = {r[0] for r in con.execute(
            "SELECT event_uid FROM events WHERE event_uid IN (SELECT unnest(?))",
            [list(events)]).fetchall()}
        missing = [e for e in events if e not in known]
        if missing:
            raise EvidenceError(Said("locker.no_event", events=", ".join(missing)))

    def _adding(self, user: str, work: Callable[[Session, Actor, Any], Any]) -> Any:
        """``work(session, actor, signer)`` in one write transaction (the write lock, a
        recovered locker), its custody entries mirrored after the commit."""
        with self.workspace.write_lock():
            self.recover()
            with self.session() as session:
                session.info["pending"] = []
                with session.begin():
                    actor = self.actor(session, user)
                    done = work(session, actor, self.signer(session, actor.organisation_id))
                    pause_for_tests("evidence-before-commit")
                pending = session.info["pending"]
            pause_for_tests("evidence-before-mirror")
            self._mirror(pending)
        return done

    def _add_one(self, path: Path | Upload, *, user: str, **options: Any) -> AddedItem:
        def work(session: Session, actor: Actor, signer: Any) -> AddedItem:
            for incident_id in options["incidents"]:
                if session.get(Incident, incident_id) is None:
                    raise EvidenceError(Said("locker.no_incident_option", incident_id=incident_id))
            return self._add_in(session, actor, signer, path, **options)

        return self._adding(user, work)  # type: ignore[no-any-return]

    def add_batch(self, additions: Sequence[Addition], *, user: str) -> list[AddedItem]:
        """Store several files in one transaction: one write lock, one commit, one fsync of the
        mirror for the lot, and still one signed ``add`` entry per file, each naming the batch
        (``details.batch``: its id and size), so recovery mirrors a gap only when it is one
        batch's tail. All of them are added or none (a kill rolls the batch back; blobs already
        stored are content-addressed and found again by the next try)."""
        if not additions:
            return []
        if len(additions) > MAX_BATCH:
            raise EvidenceError(Said("locker.batch_size", limit=MAX_BATCH, count=len(additions)))
        for a in additions:
            self._check_add([a.path], a.collector, a.captured_at, a.sensitivity, None, None)
        batch = {"id": uuid.uuid4().hex, "size": len(additions)}

        def work(session: Session, actor: Actor, signer: Any) -> list[AddedItem]:
            return [self._add_in(
                session, actor, signer, a.path, collector=a.collector, captured_at=a.captured_at,
                sensitivity=a.sensitivity, place_fields=a.place_fields, source_url=None,
                description=None, events=[], incidents=[], method=a.method, original=True,
                derived_from=None, custody=a.custody, within=a.within, batch=batch)
                for a in additions]

        return self._adding(user, work)  # type: ignore[no-any-return]

    def _add_in(self, session: Session, actor: Actor, signer: Any, path: Path | Upload, *,
                collector: str, captured_at: dt.datetime, sensitivity: str,
                place_fields: dict[str, Any], source_url: str | None, description: str | None,
                events: list[str], incidents: list[int], method: str | None, original: bool,
                derived_from: int | None, on_bytes: Callable[[int], None] | None = None,
                max_bytes: int | None = None, custody: dict[str, Any] | None = None,
                within: Callable[[Session, int, str], None] | None = None,
                batch: dict[str, Any] | None = None) -> AddedItem:
        """One file stored and recorded inside the caller's transaction."""
        source = path.handle if isinstance(path, Upload) else path
        media_type, embedded = file_facts(source, path.name)
        encrypted = sensitivity == "confidential"
        data_key = new_data_key() if encrypted else None
        nonce = os.urandom(NONCE_BYTES) if encrypted else None
        encryptor = StreamEncryptor(data_key, nonce, BLOB_CONTEXT) \
            if data_key and nonce else None
        blob = self.store.put(source, encryptor, on_bytes, max_bytes)
        duplicates = list(session.scalars(select(EvidenceItem.id).where(
            EvidenceItem.sha256 == blob.sha256,
            EvidenceItem.status == "active")).all())
        item = EvidenceItem(
            organisation_id=actor.organisation_id, sha256=blob.sha256,
            stored_sha256=blob.stored_sha256, size=blob.size, filename=path.name,
            media_type=media_type, sensitivity=sensitivity, metadata_json="{}",
            metadata_sha256="", collector=collector,
            captured_at=captured_at.astimezone(dt.UTC),
            place_id=place_fields["place_id"], lat=place_fields["lat"],
            lon=place_fields["lon"], derived_from=derived_from, original=original,
            added_by=actor.user_id, content_nonce=nonce.hex() if nonce else None)
        session.add(item)
        session.flush()
        metadata = {
            "item_id": item.id, "sha256": blob.sha256, "size": blob.size,
            "filename": path.name, "media_type": media_type,
            "sensitivity": sensitivity, "collector": collector,
            "captured_at": item.captured_at.isoformat(), "capture_method": method,
            "original": original, "source_url": source_url,
            "description": description, **place_fields, "events": sorted(events),
            "incidents": sorted(incidents), "embedded": embedded,
            "derived_from": derived_from, "organisation_id": actor.organisation_id,
            "added_by": actor.username, "encrypted": encrypted,
        }
        public = self._public_metadata(metadata)
        item.filename = public["filename"]
        item.metadata_json = canonical_json(public).decode("utf-8")
        item.metadata_sha256 = sha256_hex(canonical_json(metadata))
        if data_key is not None:
            sealed = {k: metadata[k] for k in SEALED_FIELDS}
            item.sealed = seal(data_key, canonical_json(sealed),
                               f"meta:{item.id}".encode())
            kek_id, kek = self.active_kek(session, actor.organisation_id)
            session.add(EvidenceKey(item_id=item.id,
                                    organisation_id=actor.organisation_id,
                                    kek_id=kek_id, wrapped_key=wrap_key(
                                        kek, data_key, f"item:{item.id}".encode())))
        else:
            session.add(EvidenceKey(item_id=item.id,
                                    organisation_id=actor.organisation_id,
                                    kek_id="", wrapped_key=""))
        for event_uid in sorted(set(events)):
            session.add(EvidenceLink(item_id=item.id, kind="event", target=event_uid))
        for incident_id in sorted(set(incidents)):
            session.add(EvidenceLink(item_id=item.id, kind="incident",
                                     target=str(incident_id)))
        self._append(session, actor, "add", item.id, {
            "metadata": public, "metadata_sha256": item.metadata_sha256,
            "stored_sha256": blob.stored_sha256,
            **({"intake": custody} if custody else {}),
            **({"batch": batch} if batch else {})}, signer=signer)
        if within is not None:
            within(session, item.id, blob.sha256)
        return AddedItem(item.id, blob.sha256, blob.size, media_type, path.name, duplicates)

    @staticmethod
    def _public_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
        if not metadata["encrypted"]:
            return dict(metadata)
        return {**metadata, **dict.fromkeys(SEALED_FIELDS), "sealed": list(SEALED_FIELDS),
                "filename": f"item-{metadata['item_id']}{Path(metadata['filename']).suffix}"}

    # -- reading ------------------------------------------------------------------------------
    def items(self, incident: int | None = None) -> list[dict[str, Any]]:
        with self.session() as session:
            query = select(EvidenceItem).order_by(EvidenceItem.id)
            if incident is not None:
                query = query.join(EvidenceLink).where(EvidenceLink.kind == "incident",
                                                       EvidenceLink.target == str(incident))
            return [_summary(i) for i in session.scalars(query).all()]

    def item(self, item_id: int) -> dict[str, Any]:
        """One item as :meth:`items` lists it (no content, no sealed metadata)."""
        with self.session() as session:
            return _summary(self._item(session, item_id))

    def may_open(self, item_id: int, user: str) -> bool:
        """Whether ``user`` may open the item (for a web page deciding what to show)."""
        with self.session() as session:
            item = self._item(session, item_id)
            actor = self.actor(session, user)
            try:
                self.check_open(session, item, actor)
            except AccessDenied:
                return False
            return item.status == "active"

    def check_open(self, session: Session, item: EvidenceItem, actor: Actor) -> None:
        """access.check_open, and field intake's rule: a survivor's photos only for the
        organisation's designated responders (tocsin.intake.access)."""
        access.check_open(item.sensitivity, actor.role, actor.organisation_id,
                          self.allowed_orgs(session, item.id), item.id)
        self._survivors_rule(session, item.id, actor)

    @staticmethod
    def _survivors_rule(session: Session, item_id: int, actor: Actor) -> None:
        from tocsin.intake.access import survivor_item_denied

        problem = survivor_item_denied(session, item_id, actor.user_id)
        if problem is not None:
            raise AccessDenied(problem)

    def allowed_orgs(self, session: Session, item_id: int) -> set[int]:
        return set(session.scalars(select(EvidenceKey.organisation_id)
                                   .where(EvidenceKey.item_id == item_id)).all())

    def _item(self, session: Session, item_id: int) -> EvidenceItem:
        item = session.get(EvidenceItem, item_id)
        if item is None:
            raise EvidenceError(Said("locker.no_item", item_id=item_id))
        return item

    def _data_key(self, session: Session, item: EvidenceItem, organisation_id: int) -> bytes:
        wrapped = session.get(EvidenceKey, (item.id, organisation_id))
        if wrapped is None or not wrapped.wrapped_key:
            raise AccessDenied(Said("access.no_key", item_id=item.id))
        kek = self.keys.kek(organisation_id, wrapped.kek_id)
        try:
            return unwrap_key(kek, wrapped.wrapped_key, f"item:{item.id}".encode())
        except InvalidTag as exc:
            raise EvidenceError(Said("locker.key_does_not_open", item_id=item.id)) \
                from exc

    def metadata(self, item_id: int, user: str, *, log_view: bool = True) -> dict[str, Any]:
        """The item's full metadata; unsealing a confidential item's is a logged view."""
        with self.session() as session:
            item = self._item(session, item_id)
            actor = self.actor(session, user)
            public = json.loads(item.metadata_json)
            if item.sensitivity != "confidential":
                return dict(public)
            self.check_open(session, item, actor)
        if item.sealed is None:
            return {**public, "sealed": "removed with the content"}
        with self._writing() as session:
            item = self._item(session, item_id)
            data_key = self._data_key(session, item, actor.organisation_id)
            if log_view:
                self._append(session, actor, "view", item.id, {"what": "metadata"})
            sealed = json.loads(unseal(data_key, item.sealed, f"meta:{item.id}".encode()))
        return {k: v for k, v in {**public, **sealed}.items() if k != "sealed"}

    def open(self, item_id: int, user: str, sink: IO[bytes], purpose: str | None = None, *,
             log_view: bool = True) -> dict[str, Any]:
        """Write the item's content to ``sink``; restricted and confidential views are logged
        (the entry is committed before any byte is given out). Raises when the stored bytes no
        longer hash to the recorded SHA-256, or the ciphertext fails its GCM tag: bytes already
        written to ``sink`` must then be discarded (the CLI writes to a temporary file).
        ``log_view=False`` only for callers that logged the access themselves (an export)."""
        with self.session() as session:
            item = self._item(session, item_id)
            actor = self.actor(session, user)
            if item.status != "active":
                raise EvidenceError(Said("locker.deleted", item_id=item_id))
            self.check_open(session, item, actor)
        if item.sensitivity != "public" and log_view:
            with self._writing() as session:
                self._append(session, actor, "view", item.id,
                             {"what": "content", "purpose": purpose})
        hashing = _HashingSink(sink)
        path = self.store.path_for(item.stored_sha256 or item.sha256)
        if not path.exists():
            raise EvidenceError(Said("locker.content_missing", item_id=item_id, blob=path.name[:12]))
        with open(path, "rb") as source:
            if item.content_nonce:
                with self.session() as session:
                    data_key = self._data_key(session, item, actor.organisation_id)
                try:
                    decrypt_stream(data_key, bytes.fromhex(item.content_nonce), BLOB_CONTEXT,
                                   source, hashing)
                except InvalidTag as exc:
                    raise EvidenceError(Said("locker.ciphertext_altered", item_id=item_id)) from exc
            else:
                while chunk := source.read(4 << 20):
                    hashing.write(chunk)
        if hashing.digest.hexdigest() != item.sha256:
            raise EvidenceError(Said("locker.hash_mismatch", item_id=item_id))
        return json.loads(item.metadata_json)  # type: ignore[no-any-return]

    # -- changing -----------------------------------------------------------------------------
    def redact(self, item_id: int, redacted_file: Path, *, user: str, reason: str,
               sensitivity: str | None = None, description: str | None = None) -> AddedItem:
        """Store a redacted copy as a new item derived from the original, which stays intact."""
        if not reason.strip():
            raise EvidenceError(Said("locker.why_redacted"))
        with self.session() as session:
            item = self._item(session, item_id)
            actor = self.actor(session, user)
            if item.status != "active":
                raise EvidenceError(Said("locker.nothing_to_redact", item_id=item_id))
            access.check_edit(actor.role, actor.organisation_id,
                              self.allowed_orgs(session, item.id), item.id, "redact")
            self._survivors_rule(session, item.id, actor)
            links = session.scalars(select(EvidenceLink).where(EvidenceLink.item_id == item_id)).all()
        new = self.add([redacted_file], user=user, collector=item.collector,
                       captured_at=item.captured_at, sensitivity=sensitivity or item.sensitivity,
                       place=item.place_id, lat=item.lat, lon=item.lon, description=description,
                       events=[lnk.target for lnk in links if lnk.kind == "event"],
                       incidents=[int(lnk.target) for lnk in links if lnk.kind == "incident"],
                       method="redaction", original=False, derived_from=item.id)[0]
        with self._writing() as session:
            self._append(session, actor, "redact", item.id,
                         {"redacted_item": new.item_id, "reason": reason,
                          "redacted_sha256": new.sha256})
        return new

    def delete(self, item_id: int, *, user: str, reason: str) -> None:
        """Remove an item's content (and sensitive metadata) for someone's safety; a signed
        tombstone stays in the log. Encrypted items lose their wrapped keys too, so even
        backups of the ciphertext can no longer be opened."""
        if not reason.strip():
            raise EvidenceError(Said("locker.why_deleted"))
        with self._writing() as session:
            item = self._item(session, item_id)
            actor = self.actor(session, user)
            if item.status == "deleted":
                raise EvidenceError(Said("locker.already_deleted", item_id=item_id))
            access.check_delete(actor.role, actor.organisation_id, item.organisation_id, item.id)
            item.status = "deleted"
            item.sealed = None
            for key in session.scalars(select(EvidenceKey).where(EvidenceKey.item_id == item_id)):
                session.delete(key)
            self._append(session, actor, "delete", item.id,
                         {"reason": reason, "sha256": item.sha256,
                          "stored_sha256": item.stored_sha256})
        self._finish_deletions()

    def _finish_deletions(self) -> None:
        """Remove the content of what was just deleted (its transaction committed)."""
        with self.workspace.write_lock():
            self.recover()

    def transfer(self, item_id: int, *, user: str, to_organisation: str, note: str = "") -> None:
        """Give another organisation access (re-wrapping the data key under its key)."""
        with self._writing() as session:
            item = self._item(session, item_id)
            actor = self.actor(session, user)
            allowed = self.allowed_orgs(session, item.id)
            access.check_edit(actor.role, actor.organisation_id, allowed, item.id, "transfer")
            self._survivors_rule(session, item.id, actor)
            target = session.scalar(select(Organisation).where(Organisation.name == to_organisation))
            if target is None:
                raise EvidenceError(Said("locker.unknown_org", name=to_organisation))
            if target.id in allowed:
                raise EvidenceError(Said("locker.already_has", organisation=target.name, item_id=item_id))
            if item.content_nonce:
                data_key = self._data_key(session, item, actor.organisation_id)
                kek_id, kek = self.active_kek(session, target.id)
                wrapped = wrap_key(kek, data_key, f"item:{item.id}".encode())
            else:
                kek_id, wrapped = "", ""
            session.add(EvidenceKey(item_id=item.id, organisation_id=target.id, kek_id=kek_id,
                                    wrapped_key=wrapped))
            self._append(session, actor, "transfer", item.id,
                         {"to_organisation": {"id": target.id, "name": target.name},
                          "note": note})

    def link(self, item_id: int, *, user: str, incident: int | None = None,
             event: str | None = None) -> None:
        if (incident is None) == (event is None):
            raise EvidenceError(Said("locker.link_single"))
        if event is not None:
            self._check_events([event])
        with self._writing() as session:
            item = self._item(session, item_id)
            actor = self.actor(session, user)
            access.check_edit(actor.role, actor.organisation_id,
                              self.allowed_orgs(session, item.id), item.id, "link")
            self._survivors_rule(session, item.id, actor)
            if incident is not None and session.get(Incident, incident) is None:
                raise EvidenceError(Said("locker.no_incident", incident_id=incident))
            kind, target = ("incident", str(incident)) if incident is not None else ("event", event)
            if session.get(EvidenceLink, (item.id, kind, target)) is not None:
                raise EvidenceError(Said("locker.already_linked", item_id=item_id, target=target,
                                         kind=Said(f"locker.link_{kind}")))
            session.add(EvidenceLink(item_id=item.id, kind=kind, target=target))
            self._append(session, actor, "link", item.id, {"kind": kind, "target": target})

    # -- tree heads ---------------------------------------------------------------------------
    def signed_head(self, user: str, *, from_size: int | None = None, publish: bool = True,
                    timeout: float = 5.0) -> dict[str, Any]:
        """The custody log's current head, signed by the acting user's organisation, with a
        consistency proof from ``from_size`` when asked; time-stamped by every authority
        reachable; published as ``evidence/heads/latest.json`` (what the web app serves)."""
        from tocsin.evidence.custody import verify_chain
        from tocsin.evidence.heads import make_head, timestamp_head

        with self.workspace.write_lock():
            self.recover()
            with self.session() as session:
                actor = self.actor(session, user)
                entries = self.db_entries(session)
                findings, _ = verify_chain(entries)
                if findings:  # a head vouches for the log: never sign one that does not verify
                    raise EvidenceError(Said("locker.no_head_over", finding=findings[0]))
                signer = self.signer(session, actor.organisation_id)
                head = make_head(entries, {"id": actor.organisation_id,
                                           "name": actor.organisation_name}, signer,
                                 [e for e in entries if e.body.get("action") in KEY_ACTIONS],
                                 from_size=from_size)
                authorities = session.scalars(select(TimestampAuthority)).all()
            failed = timestamp_head(head, authorities, timeout) if authorities else []
            if publish:
                self.store.write_head(head)
        head["timestamp_failures"] = failed
        return head

    def published_head(self, from_size: int | None = None) -> dict[str, Any] | None:
        """The last published head, with a consistency proof from ``from_size`` computed from
        the log (for a witness that holds an older head); None when none was published."""
        from tocsin.evidence.heads import consistency, log_tree

        head = self.store.read_head()
        if head is None or from_size is None:
            return head
        with self.session() as session:
            entries = self.db_entries(session)[: int(head["tree_size"])]
        return {**head, "consistency": consistency(log_tree(entries), from_size)}

    # -- timestamps ---------------------------------------------------------------------------
    def add_authority(self, name: str, url: str, ca_pem: str | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise EvidenceError(Said("locker.authority_url", url=url))
        with self.workspace.write_lock(), self.session() as session, session.begin():
            if session.get(TimestampAuthority, name) is not None:
                raise EvidenceError(Said("locker.authority_exists", name=name))
            session.add(TimestampAuthority(name=name, url=url, ca_pem=ca_pem))

    @staticmethod
    def leaves(entries: Sequence[Entry]) -> list[str]:
        """What a checkpoint commits to: every log entry, every blob and every metadata record
        (as the log states them, so that verification can recompute them from the log)."""
        log, blobs, meta = [], [], []
        for entry in entries:
            log.append(f"log:{entry.seq}:{entry.entry_hash}")
            body = entry.body
            if body.get("action") == "add":
                details = body["details"]
                blobs.append(f"blob:{body['item']}:{details['stored_sha256']}")
                meta.append(f"meta:{body['item']}:{details['metadata_sha256']}")
        return blobs + meta + log

    def checkpoint(self) -> int | None:
        """Queue a time-stamp of the current state with every authority, when the log moved
        since the last checkpoint; returns the checkpoint id (None when nothing to do)."""
        with self.workspace.write_lock(), self.session() as session, session.begin():
            authorities = session.scalars(select(TimestampAuthority)).all()
            entries = self.db_entries(session)
            if not authorities or not entries:
                return None
            last = session.scalar(select(TimestampCheckpoint)
                                  .order_by(TimestampCheckpoint.id.desc()).limit(1))
            if last is not None and last.head_seq == entries[-1].seq:
                return None
            leaves = self.leaves(entries)
            checkpoint = TimestampCheckpoint(root=merkle_root_hex(leaves),
                                             head_seq=entries[-1].seq, leaves=leaves)
            session.add(checkpoint)
            session.flush()
            for authority in authorities:
                session.add(TimestampToken(checkpoint_id=checkpoint.id, authority=authority.name,
                                           url=authority.url, status="queued"))
            return checkpoint.id

    def send_timestamps(self, timeout: float = 10.0) -> dict[str, int]:
        """Send queued requests; unreachable authorities keep theirs queued for next time."""
        from tocsin.evidence.crypto import b64
        from tocsin.evidence.timestamp import AuthorityUnreachable, TimestampError, request_token

        counts = {"stamped": 0, "queued": 0, "failed": 0}
        with self.workspace.write_lock(), self.session() as session:
            queued = session.scalars(select(TimestampToken).where(
                TimestampToken.status == "queued").order_by(TimestampToken.id)).all()
            unreachable: set[str] = set()
            for token in queued:
                checkpoint = session.get(TimestampCheckpoint, token.checkpoint_id)
                authority = session.get(TimestampAuthority, token.authority)
                assert checkpoint is not None
                if token.authority in unreachable:
                    counts["queued"] += 1
                    continue
                token.attempts += 1
                try:
                    der, info = request_token(token.url, bytes.fromhex(checkpoint.root),
                                              ca_pem=authority.ca_pem if authority else None,
                                              timeout=timeout)
                except AuthorityUnreachable as exc:
                    token.last_error = str(exc)
                    unreachable.add(token.authority)
                    counts["queued"] += 1
                except TimestampError as exc:
                    token.last_error = str(exc)
                    token.status = "failed"
                    counts["failed"] += 1
                else:
                    token.token, token.gen_time = b64(der), info.gen_time
                    token.status, token.last_error = "stamped", None
                    counts["stamped"] += 1
                    # A copy outside the database: trusted time survives a wiped table.
                    self.store.write_timestamp(token.id, {
                        "token_id": token.id, "authority": token.authority, "url": token.url,
                        "gen_time": info.gen_time.isoformat(), "token": token.token,
                        "checkpoint": {"id": checkpoint.id, "root": checkpoint.root,
                                       "head_seq": checkpoint.head_seq,
                                       "leaves": checkpoint.leaves}})
                session.commit()
        return counts

    def timestamp(self, timeout: float = 10.0) -> dict[str, int]:
        self.checkpoint()
        return self.send_timestamps(timeout)
