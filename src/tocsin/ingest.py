"""Ingesting files into a workspace: the lock, the per-file pipeline, then derived tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tocsin.errors import InputError
from tocsin.lake import Lake
from tocsin.sources.base import IngestResult, ingest_file
from tocsin.sources.registry import ADAPTERS
from tocsin.workspace import Workspace


@dataclass
class IngestOutcome:
    results: list[IngestResult] = field(default_factory=list)
    errors: list[tuple[str, InputError]] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)


def ingest_paths(workspace: Workspace, kind: str, paths: list[Path], *, strict: bool = False,
                 step: Callable[[str], None] | None = None,
                 rebuild: bool = True) -> IngestOutcome:
    """Each file is its own batch: one refused file does not stop the others. With
    ``rebuild`` the derived tables are brought up to date at the end."""
    say = step or (lambda _: None)
    if not workspace.exists():
        workspace.init()
    outcome = IngestOutcome()
    lake = Lake(workspace.lake_dir)
    with workspace.write_lock():
        lake.sweep_orphans()
        for path in paths:
            try:
                result = ingest_file(lake, workspace.rejects_dir, ADAPTERS[kind], path,
                                     strict=strict, step=lambda s, p=path: say(f"{p.name}: {s}"))
                outcome.results.append(result)
            except InputError as exc:
                outcome.errors.append((path.name, exc))
        if rebuild:
            from tocsin.places.derived import refresh

            # Also catches up after a run that died between its commit and this rebuild.
            say("rebuilding the gazetteer and event links")
            outcome.rebuilt = refresh(lake)
    return outcome


def rebuild_derived(workspace: Workspace) -> list[str]:
    from tocsin.places.derived import refresh

    with workspace.write_lock():
        return refresh(Lake(workspace.lake_dir))
