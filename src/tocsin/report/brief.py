"""`tocsin brief`: the situation report, as HTML and PDF, in English or Arabic.

One HTML document is the brief; the PDF is WeasyPrint's rendering of the same document, so the
two never disagree. The brief's numbers are kept beside it as JSON: the next brief in the same
folder compares itself with the latest earlier one ("what changed").
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from tocsin import arabic
from tocsin.i18n import Said
from tocsin.lake import Lake, fsync_path
from tocsin.report.data import BriefData, coverage_of, gather, previous_window, signal_rules, source_notes
from tocsin.report.judgements import judgements
from tocsin.report.map_svg import MapDrawing, draw_map, render_map
from tocsin.report.words import Words, strings
from tocsin.workspace import Workspace

if TYPE_CHECKING:
    from tocsin.report.pdf_workers import PdfRenderers

LANGUAGES = ("en", "ar")
DEFAULT_DAYS = 30
SHARED_FILE_MODE = 0o644


class BriefError(Exception):
    """The brief cannot be written (bad date, empty workspace, unwritable folder)."""


@dataclass
class BriefFiles:
    html: Path
    pdf: Path
    data: Path


def latest_date(workspace: Workspace) -> date | None:
    """The last day the workspace has dated observations for (events or fire detections)."""
    con = Lake(workspace.lake_dir).connect(["events", "fire_detections"])
    return con.execute("SELECT max(d) FROM (SELECT max(date_end) AS d FROM events "
                       "UNION ALL SELECT max(acq_date) FROM fire_detections)").fetchone()[0]


def previous_brief(out_dir: Path, as_of: date, lang: str) -> dict[str, Any] | None:
    """The latest brief in ``out_dir`` written for an earlier day, in the same language."""
    earlier = []
    for path in out_dir.glob(f"brief-*-{lang}.json"):
        try:
            data = json.loads(path.read_text())
            when = date.fromisoformat(data["as_of"])
        except (ValueError, KeyError, OSError):
            continue  # not a brief's data file: ignore rather than fail the new brief
        if when < as_of:
            earlier.append((when, data))
    return max(earlier, key=lambda pair: pair[0])[1] if earlier else None


def changes(data: BriefData, con_previous: dict[str, Any], previous: dict[str, Any] | None
            ) -> dict[str, Any]:
    """This period's measures against the previous brief's, or the previous window's."""
    now = {"events": data.totals["events"], "deaths": data.totals["deaths"],
           "attacks": data.totals["attacks_on_civilians"],
           "burnings": len(data.burnings) if data.burnings is not None else None,
           "siege": len(data.siege) if data.siege is not None else None}
    if previous:
        totals = previous["totals"]
        before = {"events": totals["events"], "deaths": totals["deaths"],
                  "attacks": totals["attacks_on_civilians"],
                  "burnings": len(previous["burnings"]) if previous.get("burnings") is not None else None,
                  "siege": len(previous["siege"]) if previous.get("siege") is not None else None}
        basis = {"kind": "previous", "previous": previous["as_of"]}
    else:
        totals = con_previous["totals"]
        before = {"events": totals["events"], "deaths": totals["deaths"],
                  "attacks": totals["attacks_on_civilians"], "burnings": totals["burnings"],
                  "siege": None}
        basis = {"kind": "window", "start": con_previous["start"].isoformat(),
                 "end": con_previous["end"].isoformat()}
    rows = []
    for key in ("events", "deaths", "attacks", "burnings", "siege"):
        if now[key] is None and before[key] is None:
            continue
        delta = (now[key] - before[key]) if None not in (now[key], before[key]) else None
        rows.append({"measure": key, "now": now[key], "before": before[key], "change": delta})
    return {"basis": basis, "rows": rows}


def blind_spots(data: BriefData, lang: str, digits: str = arabic.DEFAULT_DIGITS) -> list[str]:
    """What the brief cannot see, from the data's own coverage and lag, then the known limits."""
    s = strings(lang)
    words = Words(lang, digits)
    notes = source_notes()
    lines = []
    for row in data.sources:
        if row["to"] is not None and row["lag_days"] is not None and row["lag_days"] > data.days:
            table = s.get(f"table_{row['table']}", row["table"])
            lines.append(s["blind_lag"].format(source=f"{words.source(row['source'], notes)} ({table})",
                                               last=words.d(row["to"]), lag=words.n(row["lag_days"])))
    for row in data.sources:
        late = row.get("publication_lag_days")
        if row["to"] is not None and late and late > data.days:
            note = notes.get(row["source"], {})
            lines.append(s["blind_publication_lag"].format(
                source=words.source(row["source"], notes), as_of=words.d(data.as_of),
                lag=note.get("lag_ar" if lang == "ar" else "lag_en", "")))
    sources = {row["source"] for row in data.sources}
    if data.last_event is None:
        lines.append(s["blind_none_events"])
    if "ucdp-ged" in sources:
        lines.append(s["blind_ucdp"])
    if any(row["table"] == "fire_detections" for row in data.sources):
        lines.append(s["blind_firms"])
    if data.imprecise_events:
        lines.append(words.count("blind_imprecise", data.imprecise_events))
    if not data.has_connectivity:
        lines.append(s["blind_connectivity"])
    return lines


def coverage_lines(data: BriefData, s: dict[str, str], words: Words) -> dict[str, Any]:
    """"Event data through D" and, when the brief's day lies past it, the warning
    (tocsin.coverage: the same rule as the forecast and the siege board), from the sources as
    known on the brief's day (report.data.source_coverage), in the brief's language and digits.
    Page one states the gap as a judgement too (report.judgements, j_stale)."""
    from tocsin.coverage import STALE_AFTER_DAYS, coverage_json, data_through

    coverage = [c for c in coverage_of(data.sources) if c.table == "events"]
    through = data_through(coverage)
    found = coverage_json(coverage, data.as_of)
    notes = source_notes()
    sources = s["list_sep"].join(f"{words.source(c.source, notes)} {words.d(c.through)}"
                                 for c in coverage if c.through)
    found["line"] = s["data_through"].format(through=words.d(through) if through else "-",
                                             sources=sources or "-")
    gap = (data.as_of - through).days if through else None
    found["warning_line"] = (s["data_gap"].format(through=words.d(through), gap=words.n(gap))
                             if through and gap is not None and gap > STALE_AFTER_DAYS else None)
    return found


@dataclass(frozen=True)
class Gathered:
    """What a brief says in any language: the period's data and the window before it. Gathered
    once for the day's briefs in both languages: the lake's reads, the siege board, the evidence
    and field-report counts are the same in each, and so is the map's drawing."""
    data: BriefData
    before: dict[str, Any]

    @cached_property
    def drawing(self) -> MapDrawing:
        return draw_map(self.data.map_layers, self.data.siege, risk=self.data.risk)


def gather_brief(workspace: Workspace, as_of: date, days: int) -> Gathered:
    if days < 1:
        raise BriefError(Said("brief.days_positive", days=days))
    workspace.require()
    con = Lake(workspace.lake_dir).connect()
    try:
        data = gather(con, as_of, days)
        for provider in SECTION_PROVIDERS:
            provider(workspace, con, data)
        before = previous_window(con, as_of, days)
    finally:
        con.close()
    return Gathered(data, before)


def build_context(workspace: Workspace, as_of: date, lang: str, days: int, out_dir: Path,
                  digits: str = arabic.DEFAULT_DIGITS, asks: str | None = None,
                  gathered: Gathered | None = None
                  ) -> tuple[dict[str, Any], BriefData, dict[str, Any]]:
    """The template's context in ``lang``; from ``gathered`` when given (it is not changed)."""
    if lang not in LANGUAGES:
        raise BriefError(Said("brief.unknown_language", lang=lang, languages=", ".join(LANGUAGES)))
    gathered = gathered or gather_brief(workspace, as_of, days)
    # A copy: the coverage lines and judgements set below are this language's.
    data, before = copy.copy(gathered.data), gathered.before
    previous = previous_brief(out_dir, as_of, lang)
    change = changes(data, before, previous)
    s = strings(lang)
    words = Words(lang, digits)
    data.coverage = coverage_lines(data, s, words)
    found = judgements(data, change, previous)
    data.judgements = [j.to_json() for j in found]
    context = {
        "s": s, "w": words, "lang": lang, "data": data, "days": days,
        "judgements": [(words.judgement(j), words.evidence(j), words.confidence(j.confidence))
                       for j in found],
        "asks": asks, "blind": blind_spots(data, lang, digits), "notes": source_notes(),
        "changes": change, "name": words.place,
        "map_svg": render_map(data.map_layers, data.siege, words, risk=data.risk,
                              drawing=gathered.drawing),
        "mass_killing_deaths": signal_rules()["mass_killing_deaths"],
        "burnings_listed": BURNINGS_LISTED,
        "evidence_parts": s["list_sep"].join(
            f"{words.n(count)} {s.get('sensitivity_' + kind, kind)}" for kind, count in
            sorted((data.evidence or {}).get("by_sensitivity", {}).items())),
        "transliterated": arabic.TRANSLITERATED_MARK in "".join(
            words.place(r) for r in [*(data.siege or []), *data.top_places, *data.killings]),
        "written": words.d(datetime.now(UTC).date()),
        "counter_style": ", arabic-indic" if lang == "ar" and digits == "arabic_indic" else "",
    }
    return context, data, change


# Sections that later analyses fill in (siege board, forecasts): each takes the workspace, an
# open lake connection and the brief's data, and sets its part of the data.
def _siege_section(workspace: Workspace, con: Any, data: BriefData) -> None:
    """The siege board on the brief's day (None when the workspace has no gazetteer yet)."""
    from tocsin.jobs.steps.siege import brief_rows, brief_signals_alone

    data.siege = brief_rows(workspace, data.as_of)
    if data.siege is not None:
        data.siege_alone = brief_signals_alone(workspace, data.as_of)


def _risk_section(workspace: Workspace, con: Any, data: BriefData) -> None:
    """The places most at risk from the latest forecast stored on or before the brief's day
    (`tocsin forecast --store`); a forecast is never read from after the brief's day."""
    from tocsin.report.data import first_forecast_after, has_table, stored_forecast

    if has_table(con, "forecasts"):
        data.risk = stored_forecast(con, data.as_of, RISK_HORIZON_DAYS, RISK_PLACES)
        if data.risk is None:
            data.risk_first_after = first_forecast_after(con, data.as_of, RISK_HORIZON_DAYS)


def _evidence_section(workspace: Workspace, con: Any, data: BriefData) -> None:
    """How much evidence the locker holds for the period: counts only, never names or files
    (the brief is forwarded; confidential items stay in the locker)."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from tocsin.records.db import session_factory
    from tocsin.records.evidence_models import EvidenceItem

    end = datetime.combine(data.as_of, datetime.max.time(), UTC)
    start = datetime.combine(data.period_start, datetime.min.time(), UTC)
    held = EvidenceItem.status != "deleted"
    try:
        with session_factory(workspace.database_url)() as session:
            by_sensitivity = dict(session.execute(
                select(EvidenceItem.sensitivity, func.count()).where(
                    held, EvidenceItem.captured_at.between(start, end))
                .group_by(EvidenceItem.sensitivity)).all())
            places = session.scalar(select(func.count(func.distinct(EvidenceItem.place_id))).where(
                held, EvidenceItem.captured_at.between(start, end)))
            total = session.scalar(select(func.count()).where(held, EvidenceItem.captured_at <= end))
    except SQLAlchemyError:
        return  # no records database or no locker tables: the section says nothing is held
    data.evidence = {"in_period": sum(by_sensitivity.values()), "by_sensitivity": by_sensitivity,
                     "places": places or 0, "total": total or 0}


def _field_reports_section(workspace: Workspace, con: Any, data: BriefData) -> None:
    """Field reports of the period as counts: never a report's words, place of a survivor or
    person (the brief is forwarded to other organisations)."""
    from sqlalchemy.exc import SQLAlchemyError

    from tocsin.intake.store import period_counts
    from tocsin.records.db import session_factory

    sessions = session_factory(workspace.database_url)
    try:
        data.field_reports = period_counts(sessions, data.period_start, data.as_of)
    except SQLAlchemyError:
        return  # no field-report tables yet: the line is left out
    finally:
        sessions.kw["bind"].dispose()


RISK_HORIZON_DAYS, RISK_PLACES = 30, 10
# The strongest burnings of the period the brief lists; the rest it counts (its data file and
# `tocsin detect burnings` hold them all). A month of sweeps lists hundreds: 28 pages, most of
# the brief's time laying them out, and no reader's one page.
BURNINGS_LISTED = 20
SECTION_PROVIDERS: list[Any] = [_siege_section, _risk_section, _evidence_section, _field_reports_section]


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tocsin.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(context: dict[str, Any]) -> str:
    return _environment().get_template("brief.html.j2").render(**context)


def _write_atomic(path: Path, content: bytes) -> None:
    """Write beside the target, fsync, rename: a reader never sees half a brief."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temp, SHARED_FILE_MODE)  # a brief is for forwarding: not mkstemp's owner-only 0600
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


@dataclass
class PreparedBrief:
    """A brief with everything but its PDF: the files it will be, its HTML, its data."""
    files: BriefFiles
    html: str
    record: dict[str, Any]
    base_url: str


def prepare_brief(workspace: Workspace, as_of: date, lang: str, out_dir: Path,
                  days: int = DEFAULT_DAYS, digits: str = arabic.DEFAULT_DIGITS,
                  asks: str | None = None, gathered: Gathered | None = None) -> PreparedBrief:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BriefError(f"cannot create the output folder {out_dir}: {exc}") from exc
    context, data, change = build_context(workspace, as_of, lang, days, out_dir, digits, asks,
                                          gathered)
    html = render_html(context)
    stem = out_dir / f"brief-{as_of.isoformat()}-{lang}"
    files = BriefFiles(stem.with_suffix(".html"), stem.with_suffix(".pdf"), stem.with_suffix(".json"))
    record = {**data.to_json(), "lang": lang, "digits": digits, "asks": asks, "changes": change}
    return PreparedBrief(files, html, record, str(out_dir))


@cache
def _font_config() -> Any:
    # One per process: both languages' PDFs use it (fontconfig set up once, not per brief).
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


# The map, inline in the HTML (for browsers): for the PDF it is handed to WeasyPrint as an
# image instead. Same drawing, same PDF bytes (tested), but its 200 kB are then read by an XML
# parser in C rather than tokenised character by character as HTML: half a second a brief.
_MAP_SVG = re.compile(r'<svg xmlns="http://www.w3.org/2000/svg"[^>]* class="map">.*?</svg>', re.S)
MAP_URL = "tocsin-map:"


def render_pdf(html: str, base_url: str, inline_map: bool = False) -> bytes:
    """The PDF of a brief's HTML. Imported here: WeasyPrint loads Pango and fonts, which only
    the PDF needs. ``inline_map``: the map as the HTML has it (the slow way; tests compare)."""
    from weasyprint import HTML

    maps: dict[str, bytes] = {}
    if not inline_map:
        def as_image(found: re.Match[str]) -> str:
            url = f"{MAP_URL}{len(maps)}"
            maps[url] = found.group(0).encode()
            return f'<img class="map" style="display: block; width: 100%" src="{url}">'

        html = _MAP_SVG.sub(as_image, html)
    return HTML(string=html, base_url=base_url, url_fetcher=_fetcher(maps)).write_pdf(
        font_config=_font_config())


def _fetcher(maps: dict[str, bytes]) -> Any:
    """WeasyPrint's fetcher, answering for the brief's maps from memory."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class MapFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url in maps:
                return URLFetcherResponse(url, body=maps[url],
                                          headers={"Content-Type": "image/svg+xml"})
            return super().fetch(url, headers)

    return MapFetcher()


def encode_record(prepared: PreparedBrief) -> bytes:
    """The brief's data file, as written."""
    return json.dumps(prepared.record, ensure_ascii=False, indent=1, default=str).encode()


def finish_brief(prepared: PreparedBrief, pdf: bytes, record: bytes | None = None) -> BriefFiles:
    """Write the brief's files; ``record``: its data file already encoded (``encode_record``)."""
    files = prepared.files
    # The PDF and HTML first, the data file last: it marks the brief as complete for the next one.
    _write_atomic(files.pdf, pdf)
    _write_atomic(files.html, prepared.html.encode())
    _write_atomic(files.data, record if record is not None else encode_record(prepared))
    return files


def write_brief(workspace: Workspace, as_of: date, lang: str, out_dir: Path,
                days: int = DEFAULT_DAYS, digits: str = arabic.DEFAULT_DIGITS,
                asks: str | None = None) -> BriefFiles:
    """Write brief-<as_of>-<lang>.html, .pdf and .json into ``out_dir``."""
    prepared = prepare_brief(workspace, as_of, lang, out_dir, days, digits, asks)
    return finish_brief(prepared, render_pdf(prepared.html, prepared.base_url))


def write_briefs(workspace: Workspace, as_of: date, langs: tuple[str, ...] | list[str],
                 out_dir: Path, days: int = DEFAULT_DAYS,
                 renderers: PdfRenderers | None = None) -> list[BriefFiles]:
    """The day's brief in each language, as ``write_brief`` writes it. Every brief and its PDF
    is made before any file is written: a failure leaves the briefs of the day before as they
    were. ``renderers``: processes that lay the PDFs out side by side (started and warmed
    ahead by `tocsin update`, decision 0049); without them, one after the other here."""
    gathered = gather_brief(workspace, as_of, days)
    prepared = [prepare_brief(workspace, as_of, lang, out_dir, days, gathered=gathered)
                for lang in langs]
    documents = [(p.html, p.base_url) for p in prepared]
    if renderers is None:
        pdfs = [render_pdf(*document) for document in documents]
        records = [encode_record(p) for p in prepared]
    else:
        # The renderers lay the PDFs out in their own processes (the thread only waits on
        # their pipes); meanwhile this one encodes the data files.
        with ThreadPoolExecutor(1) as pool:
            laid_out = pool.submit(renderers.render, documents)
            records = [encode_record(p) for p in prepared]
            pdfs = laid_out.result()
    return [finish_brief(p, pdf, record) for p, pdf, record in zip(prepared, pdfs, records, strict=True)]
