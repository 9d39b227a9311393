"""`import_sanctions(workspace, paths)`: sanctions lists into the records database, resolved.

All files are parsed first; one refused file refuses the whole import (nothing written). Then,
in one transaction under the workspace write lock: the entities are stored (by stable id, so a
second import of the same file adds nothing), and every designated person or company is matched
against the other lists and against Tocsin's own actors. New candidate pairs are recorded with
their score; a pair at or above the automatic threshold is merged at once, and judgements that
an analyst already made are never overwritten. Quarantined entries go to
``rejects/sanctions-<file>.jsonl`` after the commit.

A plain function the job runner can wrap (derived step: reads the list files and the
``ftm_entities`` table, writes ``ftm_entities`` and ``entity_matches``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accountability import resolve
from tocsin.accountability.entities import ACTOR_SCHEMATA, TOCSIN_DATASET, proxy_of, store
from tocsin.accountability.sanctions import ParsedList, Quarantined, parse_file
from tocsin.i18n import Said
from tocsin.records.accountability_models import EntityMatch, FtmEntity
from tocsin.records.db import session_factory
from tocsin.workspace import Workspace

METHOD_VERSION = resolve.METHOD


@dataclass
class ImportReport:
    files: list[dict[str, Any]] = field(default_factory=list)
    new_entities: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    merged: int = 0
    suggested: int = 0
    rejects: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"files": self.files, "new_entities": self.new_entities,
                "quarantined": [{"file": q.path, "where": q.where, "problem": q.problem}
                                for q in self.quarantined],
                "merged": self.merged, "suggested": self.suggested, "rejects": self.rejects}


def dataset_name(parsed: ParsedList) -> str:
    if parsed.authority == "ftm":
        return f"ftm-{Path(parsed.path).stem}"[:50]
    return f"sanctions-{parsed.authority}"


def import_sanctions(workspace: Workspace, paths: Sequence[Path], *,
                     strict: bool = False) -> ImportReport:
    parsed = [parse_file(Path(p), strict=strict) for p in paths]  # refusals raise here
    report = ImportReport()
    with workspace.write_lock(), session_factory(workspace.database_url)() as session, \
            session.begin():
        for one in parsed:
            new = 0
            for entity in one.entities:
                _, created = store(session, entity, dataset=dataset_name(one))
                new += created
            report.files.append({"file": one.path, "layout": one.layout,
                                 "entities": len(one.entities), "sanctions": len(one.sanctions),
                                 "new": new, "quarantined": len(one.quarantined)})
            report.new_entities += new
            report.quarantined += one.quarantined
        session.flush()
        report.merged, report.suggested = resolve_all(session)
    for one in parsed:
        if one.quarantined:
            report.rejects.append(str(_write_rejects(workspace, one)))
    return report


def resolve_all(session: Session, now: dt.datetime | None = None) -> tuple[int, int]:
    """Match every designated or Tocsin actor against the others; returns (merged, suggested)."""
    now = now or dt.datetime.now(dt.UTC)
    rows = session.scalars(select(FtmEntity).where(FtmEntity.schema.in_(ACTOR_SCHEMATA))).all()
    # One group per list; each Tocsin actor is its own group (compared with every list).
    named = [resolve.from_proxy(proxy_of(r), r.id if r.dataset == TOCSIN_DATASET else r.dataset)
             for r in rows]
    known = {(m.left_id, m.right_id) for m in session.scalars(select(EntityMatch)).all()}
    merged = suggested = 0
    for candidate in resolve.candidates(named):
        if (candidate.left, candidate.right) in known:
            continue
        auto = candidate.score >= resolve.AUTO_THRESHOLD
        session.add(EntityMatch(left_id=candidate.left, right_id=candidate.right,
                                score=candidate.score, method=resolve.METHOD,
                                judgement="positive" if auto else "suggested",
                                decided_by="auto" if auto else None,
                                decided_at=now if auto else None))
        merged += auto
        suggested += not auto
    session.flush()
    return merged, suggested


def judge(session: Session, match_id: int, judgement: str, username: str) -> EntityMatch:
    from tocsin.accountability.errors import AccountabilityError

    if judgement not in ("positive", "negative"):
        raise AccountabilityError(Said("matches.judgement", positive="positive", negative="negative"))
    match = session.get(EntityMatch, match_id)
    if match is None:
        raise AccountabilityError(Said("matches.no_match", match_id=match_id))
    match.judgement, match.decided_by = judgement, username
    match.decided_at = dt.datetime.now(dt.UTC)
    session.flush()
    return match


def _write_rejects(workspace: Workspace, parsed: ParsedList) -> Path:
    workspace.rejects_dir.mkdir(parents=True, exist_ok=True)
    target = workspace.rejects_dir / f"sanctions-{Path(parsed.path).name}.jsonl"
    temporary = target.with_suffix(".jsonl.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        for item in parsed.quarantined:
            handle.write(json.dumps({"file": item.path, "where": item.where,
                                     "problem": item.problem, "entry": item.raw},
                                    ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    return target
