"""What every connector is, and the one driver that commits what connectors pull.

A connector (one per publisher API, e.g. ``acled``, ``ucdp``; the field tools Kobo and ODK
Central too, tocsin.sync.field, whose driver stores into the records database instead) only
knows its publisher: it reads its bookmark from ``ctx.state``, asks for what is new, and yields
``Chunk`` s — rows in the layout of one of the file adapters (``tocsin.sources``), withdrawals of
rows the publisher deleted or replaced, and the bookmark that holds once the chunk is committed.
The driver (``sync_source``) does the rest the same way for every source: the rows go through
the same ingest pipeline as files (checks, quarantine, provenance, atomic batches), and the
bookmark moves in the very manifest write that commits the batch, so a kill at any point resumes
from the last committed chunk, with nothing lost and nothing twice.

Writing a connector::

    @register_connector
    class MyConnector(Connector):
        name = "my-source"                 # the bookmark's and the settings' key
        about = "what it pulls"
        credentials = ("token",)           # TOCSIN_MY_SOURCE_TOKEN or [my-source] token = ...

        def pull(self, ctx: SyncContext) -> Iterator[Chunk]:
            page = ctx.state.get("page", 1)
            ...  # self.client.get_json(Request(...)); yield Chunk(state={"page": page + 1}, ...)
"""

from __future__ import annotations

import csv
import json
import os
import stat
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from tocsin.errors import InputError
from tocsin.i18n import Said, said_of
from tocsin.lake import Batch, Lake, new_batch_id
from tocsin.schema.tables import TABLES
from tocsin.sync.http import Client, RetryPolicy, SyncError, Transport, UrllibTransport
from tocsin.workspace import Workspace

CREDENTIALS_ENV = "TOCSIN_CREDENTIALS"      # path of the credentials file
SETTINGS_FILE = "sync.yaml"                 # in the workspace: overrides the bundled settings
CREDENTIALS_FILE = "credentials.toml"       # in the workspace, or ~/.config/tocsin/


# -- settings and credentials -------------------------------------------------------------
def load_settings(workspace: Workspace | None = None) -> dict[str, dict[str, Any]]:
    """Per source: what to pull, from where, how often. The bundled ``sources.yaml`` merged with
    the workspace's ``sync.yaml`` (a user's file, so errors name it)."""
    text = resources.files("tocsin.sync").joinpath("sources.yaml").read_text(encoding="utf-8")
    settings: dict[str, dict[str, Any]] = yaml.safe_load(text)["sources"]
    path = workspace.home / SETTINGS_FILE if workspace else None
    if path is not None and path.exists():
        try:
            mine = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SyncError("settings", Said("sync.settings_not_yaml", path=str(path), exc=str(exc))) from exc
        if not isinstance(mine, dict) or not isinstance(mine.get("sources", {}), dict):
            raise SyncError("settings", Said("sync.settings_not_mapping", path=str(path)))
        for name, values in (mine.get("sources") or {}).items():
            if not isinstance(values, dict):
                raise SyncError("settings", Said("sync.settings_source_not_mapping", path=str(path),
                                                 name=name))
            settings[name] = {**settings.get(name, {}), **values}
    return settings


class Credentials(Mapping[str, str]):
    """A source's secrets. Never printed: repr and str show only which names are set."""

    def __init__(self, source: str, values: Mapping[str, str]) -> None:
        self._source = source
        self._values = dict(values)

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Credentials({self._source!r}, set={sorted(self._values)})"

    __str__ = __repr__

    def secrets(self) -> tuple[str, ...]:
        return tuple(v for v in self._values.values() if v)


def env_name(source: str, key: str) -> str:
    return f"TOCSIN_{source.upper().replace('-', '_')}_{key.upper()}"


def credentials_file(workspace: Workspace | None) -> Path | None:
    if os.environ.get(CREDENTIALS_ENV):
        return Path(os.environ[CREDENTIALS_ENV]).expanduser()
    for candidate in ([workspace.home / CREDENTIALS_FILE] if workspace else []) + [
            Path.home() / ".config" / "tocsin" / CREDENTIALS_FILE]:
        if candidate.exists():
            return candidate
    return None


def load_credentials(source: str, names: tuple[str, ...], workspace: Workspace | None = None
                     ) -> Credentials:
    """From the environment (``TOCSIN_<SOURCE>_<NAME>``) first, then the credentials file
    (TOML, a table per source), which is refused when others may read it."""
    values = {n: os.environ[env_name(source, n)] for n in names if os.environ.get(env_name(source, n))}
    path = credentials_file(workspace)
    if path is not None and len(values) < len(names) and path.exists():
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SyncError(source, Said("sync.credentials_readable", path=str(path),
                                         mode=stat.filemode(mode)))
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SyncError(source, Said("sync.credentials_not_toml", path=str(path), exc=str(exc))) from exc
        table = data.get(source, {})
        for name in names:
            if name not in values and isinstance(table.get(name), str) and table[name]:
                values[name] = table[name]
    return Credentials(source, values)


# -- what connectors yield ----------------------------------------------------------------
@dataclass
class Chunk:
    """One unit the driver commits: rows, withdrawals, and the bookmark true once they are in."""

    state: dict[str, Any]                         # the source's bookmark after this chunk
    kind: str | None = None                       # the file adapter whose layout ``rows`` use
    name: str = ""                                # shown as the rows' source_file
    rows: list[Mapping[str, Any]] = field(default_factory=list)
    replace: bool = False                         # rows replace earlier copies of their ids
    withdrawals: list[dict[str, Any]] = field(default_factory=list)  # see tables.yaml
    request: str = ""                             # what was asked for, for error messages


@dataclass
class SyncContext:
    workspace: Workspace
    lake: Lake
    state: dict[str, Any]            # the bookmark as committed
    since: date | None = None        # --since: start here whatever the bookmark says
    say: Callable[[str], None] = lambda _: None


@dataclass
class SyncOutcome:
    source: str
    batches: int = 0
    rows_added: int = 0
    withdrawn: int = 0
    rejected: int = 0
    requests: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "ok": self.ok}


class Connector:
    """One publisher's API. Subclasses set the class attributes and write ``pull``."""

    name: ClassVar[str]
    about: ClassVar[str]
    credentials: ClassVar[tuple[str, ...]] = ()
    # Credentials that may be missing (the source then works with less, or not at all).
    optional_credentials: ClassVar[tuple[str, ...]] = ()
    # The ``source`` its rows carry in the lake (default: its own name); freshness reads them.
    lake_sources: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: Mapping[str, Any], credentials: Credentials, client: Client) -> None:
        self.settings = settings
        self.creds = credentials
        self.client = client

    def missing_credentials(self) -> list[str]:
        return [n for n in self.credentials if n not in self.creds]

    def day(self, key: str) -> date | None:
        """A day from the settings (``start``, ``until``), None when it is not set. YAML reads
        an unquoted 2025-01-09 as a date, a quoted one as text: both are taken; anything else
        is refused, naming the setting."""
        value = self.settings.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise SyncError(self.name, Said("sync.setting_not_a_day", key=key,
                                            value=repr(value))) from None

    def pull(self, ctx: SyncContext) -> Iterator[Chunk]:
        raise NotImplementedError


CONNECTORS: dict[str, type[Connector]] = {}


def register_connector(cls: type[Connector]) -> type[Connector]:
    if cls.name in CONNECTORS and CONNECTORS[cls.name] is not cls:
        raise ValueError(f"two connectors are named {cls.name!r}")
    CONNECTORS[cls.name] = cls
    return cls


def all_connectors() -> dict[str, type[Connector]]:
    import tocsin.sync.connectors  # noqa: F401  (registers on import)

    return CONNECTORS


# -- the driver ---------------------------------------------------------------------------
def make_connector(name: str, workspace: Workspace, transport: Transport | None = None,
                   settings: Mapping[str, Any] | None = None,
                   sleep: Callable[[float], None] | None = None,
                   credentials: Mapping[str, str] | None = None) -> Connector:
    """The named source's connector with its settings and credentials (``credentials`` given:
    those instead, e.g. a replay's)."""
    connectors = all_connectors()
    if name not in connectors:
        raise SyncError(name, Said("sync.no_such_source", known=", ".join(sorted(connectors))))
    cls = connectors[name]
    chosen = dict(settings if settings is not None else load_settings(workspace).get(name, {}))
    creds = Credentials(name, credentials) if credentials is not None else \
        load_credentials(name, cls.credentials + cls.optional_credentials, workspace)
    return cls(chosen, creds, make_client(name, chosen, creds, transport, sleep))


def make_client(name: str, settings: Mapping[str, Any], creds: Credentials,
                transport: Transport | None = None,
                sleep: Callable[[float], None] | None = None) -> Client:
    """The retrying client of one source, its policy from the settings' ``retry`` (attempts,
    backoff_s, max_wait_s, timeout_s); the credentials are masked in its errors."""
    retry = settings.get("retry", {})
    policy = RetryPolicy(attempts=int(retry.get("attempts", 5)),
                         backoff_s=float(retry.get("backoff_s", 1.0)),
                         max_wait_s=float(retry.get("max_wait_s", 300)),
                         timeout_s=float(retry.get("timeout_s", 60)))
    return Client(name, transport or UrllibTransport(), policy, secrets=creds.secrets(),
                  **({"sleep": sleep} if sleep else {}))


def sync_source(workspace: Workspace, connector: Connector, since: date | None = None,
                say: Callable[[str], None] | None = None) -> SyncOutcome:
    """Pull one source to the end of what it has, committing chunk by chunk. Never raises for
    the source's own failures: the outcome says what went wrong (one source must not stop the
    others); what was committed before the failure stays, with its bookmark."""
    tell = say or (lambda _: None)
    outcome = SyncOutcome(connector.name)
    if not workspace.exists():
        workspace.init()
    lake = Lake(workspace.lake_dir)
    missing = connector.missing_credentials()
    if missing:
        outcome.error = Said("sync.error", source=connector.name, message=Said(
            "sync.no_credentials_set", names=", ".join(env_name(connector.name, n) for n in missing),
            source=connector.name, file=CREDENTIALS_FILE))
        return outcome
    with workspace.write_lock():
        lake.sweep_orphans()
        state = dict(lake.bookmarks().get(connector.name, {}).get("state", {}))
        ctx = SyncContext(workspace, lake, state, since, tell)
        try:
            for chunk in connector.pull(ctx):
                commit_chunk(workspace, lake, connector.name, chunk, outcome)
                ctx.state = dict(chunk.state)
            lake.move_bookmark(connector.name, complete=True)
        except SyncError as exc:
            outcome.error = said_of(exc)
        finally:
            outcome.requests = connector.client.requests
            outcome.state = ctx.state
    return outcome


def commit_chunk(workspace: Workspace, lake: Lake, source: str, chunk: Chunk,
                 outcome: SyncOutcome) -> None:
    """Withdrawals first (their own batch), then the rows with the bookmark; a chunk with
    neither only moves the bookmark. A kill between the two re-pulls the chunk, and both steps
    are idempotent: a withdrawal hides nothing new, a replacing row withdraws its earlier copy."""
    from tocsin.sources.base import ingest_file
    from tocsin.sources.registry import ADAPTERS

    if chunk.withdrawals:
        bookmark = None if chunk.rows else (source, chunk.state)
        commit_withdrawals(lake, source, chunk.name or f"{source}-withdrawals", chunk.withdrawals,
                           bookmark)
        outcome.batches += 1
        outcome.withdrawn += len(chunk.withdrawals)
    if chunk.rows:
        if chunk.kind not in ADAPTERS:
            raise SyncError(source, f"connector yielded rows for unknown kind {chunk.kind!r}")
        path = lake.root / "_staging" / (chunk.name or f"{source}-{new_batch_id()}.csv")
        write_rows_csv(path, chunk.rows)
        try:
            result = ingest_file(lake, workspace.rejects_dir, ADAPTERS[chunk.kind], path,
                                 replace=chunk.replace, bookmark=(source, chunk.state))
        except InputError as exc:
            raise SyncError(source, Said("sync.not_ingestible", request=chunk.request or chunk.name,
                                         kind=chunk.kind, problems=exc.lines(limit=3))) from exc
        finally:
            path.unlink(missing_ok=True)
        if result.already_ingested:   # same content as a batch held: only the bookmark moves
            lake.move_bookmark(source, chunk.state)
        outcome.batches += 1
        outcome.rows_added += result.rows_added
        outcome.rejected += result.rejected
        if result.rejected:
            outcome.notes.append(Said("sync.rows_quarantined", chunk=chunk.name,
                                      rejected=result.rejected, file=str(result.rejects_file)))
    elif not chunk.withdrawals:
        lake.move_bookmark(source, chunk.state)


def write_rows_csv(path: Path, rows: list[Mapping[str, Any]]) -> None:
    """Rows (API records) as the CSV a publisher's export would be: columns in first-seen order,
    None empty, nested values as JSON."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


WITHDRAWAL_SCHEMA = pa.schema([("target_table", pa.string()), ("target_source", pa.string()),
                               ("target_id", pa.string()), ("target_batch", pa.string()),
                               ("reason", pa.string()), ("withdrawn_at", pa.timestamp("us", tz="UTC"))])


def commit_withdrawals(lake: Lake, source: str, label: str, rows: list[dict[str, Any]],
                       bookmark: tuple[str, dict[str, Any]] | None) -> str:
    """One batch of withdrawals (see tables.yaml ``withdrawals``); returns its batch id."""
    assert [f.name for f in WITHDRAWAL_SCHEMA] == TABLES["withdrawals"].stored_columns
    batch_id = new_batch_id()
    table = pa.Table.from_pylist([{k: r.get(k) for k in WITHDRAWAL_SCHEMA.names} for r in rows],
                                 schema=WITHDRAWAL_SCHEMA)
    path = lake.staging_path("withdrawals", batch_id)
    pq.write_table(table, path, compression="zstd")
    now = datetime.now(UTC).isoformat()
    batch = Batch(batch_id=batch_id, kind=f"{source}-withdrawals", source=source, file_name=label,
                  file_sha256="", file_bytes=path.stat().st_size, ingested_at=now,
                  rows={"withdrawals": table.num_rows}, license="",
                  withdraws=sorted({str(r["target_table"]) for r in rows}))
    try:
        lake.commit(batch, {"withdrawals": [path]}, bookmark=bookmark)
    finally:
        path.unlink(missing_ok=True)
    return batch_id
