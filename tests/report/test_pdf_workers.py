"""The brief's PDF renderers: processes of their own that give the same PDF, byte for byte, as
this process would; a renderer that dies or fails costs time, never a brief."""

from __future__ import annotations

import io
import signal
from datetime import date
from pathlib import Path

import pytest

from tocsin.report.brief import prepare_brief, render_pdf, write_briefs
from tocsin.report.pdf_workers import (
    PdfRenderers,
    _receive,
    _send,
    kept_between_runs,
    renderers_for_run,
    serve,
)
from tocsin.workspace import Workspace

AS_OF = date(2023, 11, 30)


@pytest.fixture(scope="module")
def documents(sample_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory
              ) -> list[tuple[str, str]]:
    out = tmp_path_factory.mktemp("pdf-workers")
    return [(p.html, p.base_url) for p in
            (prepare_brief(sample_workspace, AS_OF, lang, out) for lang in ("en", "ar"))]


@pytest.fixture(scope="module")
def laid_out_here(documents: list[tuple[str, str]]) -> list[bytes]:
    return [render_pdf(*document) for document in documents]


def test_renderers_give_the_same_pdf_as_this_process(documents: list[tuple[str, str]],
                                                     laid_out_here: list[bytes]) -> None:
    # Three documents on two renderers: one renderer lays out two, in order.
    with PdfRenderers(2) as renderers:
        pdfs = renderers.render([*documents, documents[0]])
    assert pdfs == [*laid_out_here, laid_out_here[0]]
    assert all(pdf.startswith(b"%PDF") for pdf in pdfs)


def test_a_renderer_that_dies_costs_its_brief_nothing(documents: list[tuple[str, str]],
                                                      laid_out_here: list[bytes]) -> None:
    with PdfRenderers(2) as renderers:
        victim = renderers._processes[1]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        assert renderers.render(documents) == laid_out_here
        # The dead renderer is not asked again; the living one takes every document.
        assert renderers._healthy == [renderers._processes[0]]
        assert renderers.render(documents[::-1]) == laid_out_here[::-1]


def test_a_document_a_renderer_cannot_lay_out_is_told_not_lost() -> None:
    # The renderer's loop, on pipes in memory: a document that fails answers with its error,
    # the next one still gets its PDF, and the end of input ends the loop.
    incoming = io.BytesIO()
    _send(incoming, ("<p>one</p>", "/no/such/folder"))
    _send(incoming, (None, "."))           # not HTML: WeasyPrint raises
    _send(incoming, ("<p>three</p>", "."))
    incoming.seek(0)
    answers = io.BytesIO()
    serve(incoming, answers)
    answers.seek(0)
    kinds = [_receive(answers) for _ in range(3)]
    assert [k for k, _ in kinds] == ["pdf", "error", "pdf"]
    assert kinds[0][1].startswith(b"%PDF") and "Error" in kinds[1][1]
    with pytest.raises(EOFError):
        _receive(answers)


def test_write_briefs_with_renderers_writes_what_it_writes_without(
        sample_workspace: Workspace, tmp_path: Path) -> None:
    alone = write_briefs(sample_workspace, AS_OF, ("en", "ar"), tmp_path / "alone")
    with PdfRenderers(2) as renderers:
        helped = write_briefs(sample_workspace, AS_OF, ("en", "ar"), tmp_path / "helped",
                              renderers=renderers)
    for one, other in zip(alone, helped, strict=True):
        assert one.pdf.read_bytes() == other.pdf.read_bytes()
        assert one.html.read_text() == other.html.read_text()


def test_renderers_never_asked_are_ended_not_waited_for() -> None:
    # The brief did not run: the renderers are killed, not waited for through their warm-up.
    renderers = PdfRenderers(2)
    renderers.close()
    assert [p.returncode for p in renderers._processes] == [-signal.SIGKILL] * 2


def test_renderers_kept_between_runs_serve_the_next_run(documents: list[tuple[str, str]],
                                                        laid_out_here: list[bytes]) -> None:
    """`tocsin update --every`: the renderers a run starts lay out the next run's briefs too,
    the same bytes; one that died between runs is not asked again (new ones start); all end
    when the loop does. Outside the loop each run's renderers end with it."""
    with kept_between_runs():
        with renderers_for_run(2) as first:
            assert first.render(documents) == laid_out_here
        assert first.serves(2)   # the run ended; its renderers did not
        with renderers_for_run(2) as second:
            assert second is first and second.render(documents) == laid_out_here
        first._processes[0].send_signal(signal.SIGKILL)
        first._processes[0].wait()
        with renderers_for_run(2) as third:
            assert third is not first and not set(third.pids) & set(first.pids)
            assert third.render(documents[::-1]) == laid_out_here[::-1]
        assert all(p.poll() is not None for p in first._processes)   # the broken pair ended
    assert all(p.poll() is not None for p in third._processes)
    with renderers_for_run(2) as alone:
        assert alone.serves(2) and alone is not third
    assert all(p.poll() is not None for p in alone._processes)
