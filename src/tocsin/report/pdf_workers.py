"""The brief's PDFs laid out in processes of their own, started before the jobs ahead of the
brief and warmed while those run.

WeasyPrint lays a document out in pure Python, on one core: about a second for each language's
brief, and importing WeasyPrint and loading its fonts takes about another second. In
`tocsin update` the jobs before the brief (event links, alerts, forecasts) mostly keep one core
busy. Two renderers start when the run has work to do, import WeasyPrint and lay out a page in
both scripts on the other core, then lay out the English and Arabic briefs side by side.

They call the same ``render_pdf`` as this process would: the PDF is the same, byte for byte
(tested). A renderer that fails or dies is not trusted with anything else; its brief is laid
out in this process instead, so a broken renderer costs time, never a brief.

Messages on the pipes are a 8-byte length, then a pickle: ``(html, base_url)`` in, and
``("pdf", bytes)`` or ``("error", text)`` out. Both ends are this program.
"""

from __future__ import annotations

import os
import pickle
import re
import signal
import struct
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from importlib import resources
from typing import IO, Any

HEADER = struct.Struct("<Q")
DEFAULT_RENDERERS = 2  # one per language of the day's brief


class RendererError(Exception):
    """A renderer process failed or died: its document is laid out in this process instead."""


def _send(stream: IO[bytes], message: Any) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(body)) + body)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        raise EOFError("the pipe closed")
    size = HEADER.unpack(head)[0]
    body = stream.read(size)
    if len(body) < size:
        raise EOFError(f"the pipe closed after {len(body)} of {size} bytes")
    return pickle.loads(body)


class PdfRenderers:
    """Renderer processes, started at once. ``render`` lays out documents, one per renderer at
    a time; ``close`` ends them (also as a context manager)."""

    def __init__(self, count: int = DEFAULT_RENDERERS) -> None:
        self._processes: list[subprocess.Popen[bytes]] = []
        self._healthy: list[subprocess.Popen[bytes]] = []
        self._used = False
        try:
            for _ in range(count):
                self._processes.append(subprocess.Popen(
                    [sys.executable, "-m", "tocsin.report.pdf_workers"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE))
        except OSError:
            self.close()   # none left behind when the second cannot start
            raise
        self._healthy = list(self._processes)

    def __enter__(self) -> PdfRenderers:
        return self

    def serves(self, count: int) -> bool:
        """Whether these are ``count`` renderers, every one of them alive and trusted."""
        return (len(self._processes) == count and self._healthy == self._processes
                and all(p.poll() is None for p in self._processes))

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes]

    def __exit__(self, *_: object) -> None:
        self.close()

    def render(self, documents: Sequence[tuple[str, str]]) -> list[bytes]:
        """The PDF of each (html, base_url), in order. A document whose renderer fails is laid
        out here instead."""
        from tocsin.report.brief import render_pdf

        if not documents:
            return []
        self._used = True
        workers = list(self._healthy)
        if not workers:
            return [render_pdf(html, base) for html, base in documents]
        # Document i goes to renderer i mod n; each renderer takes its documents in turn.
        shares = [list(range(i, len(documents), len(workers))) for i in range(len(workers))]
        results: dict[int, bytes] = {}
        failed: list[int] = []

        def lay_out(worker: subprocess.Popen[bytes], indexes: list[int]) -> None:
            for position, index in enumerate(indexes):
                try:
                    results[index] = self._one(worker, documents[index])
                except RendererError:
                    self._healthy.remove(worker)
                    failed.extend(indexes[position:])
                    return

        with ThreadPoolExecutor(len(workers)) as pool:
            list(pool.map(lay_out, workers, shares))
        for index in sorted(failed):
            results[index] = render_pdf(*documents[index])
        return [results[i] for i in range(len(documents))]

    @staticmethod
    def _one(worker: subprocess.Popen[bytes], document: tuple[str, str]) -> bytes:
        assert worker.stdin is not None and worker.stdout is not None
        try:
            _send(worker.stdin, document)
            kind, value = _receive(worker.stdout)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError) as exc:
            raise RendererError(f"renderer {worker.pid}: {exc}") from exc
        if kind != "pdf":
            raise RendererError(f"renderer {worker.pid}: {value}")
        return value

    def close(self) -> None:
        """End the renderers: at the end of their input once they have worked; at once when
        never asked (the brief did not run), rather than wait for a warm-up nobody needs."""
        for process in self._processes:
            if process.stdin is not None:
                with suppress(OSError):  # end of input: the renderer leaves its loop
                    process.stdin.close()
            if not self._used:
                process.kill()
        for process in self._processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        self._healthy = []


# Renderers kept from one run of `tocsin update --every` to the next (``kept_between_runs``):
# starting and warming a renderer costs about 1.8 s of CPU, on the cores the run's jobs use.
# Inside it ``_keeping`` is set, and ``_kept`` holds the renderers the last run started (None
# until a run starts them).
_keeping = False
_kept: PdfRenderers | None = None


@contextmanager
def kept_between_runs() -> Iterator[None]:
    """While open, the renderers a run starts (``renderers_for_run``) stay up for the next run;
    they end when it closes."""
    global _keeping, _kept
    _keeping, _kept = True, None
    try:
        yield
    finally:
        kept, _keeping, _kept = _kept, False, None
        if kept is not None:
            kept.close()


def renderers_for_run(count: int = DEFAULT_RENDERERS) -> AbstractContextManager[PdfRenderers]:
    """Renderers for one run: new ones, ended with the run; inside ``kept_between_runs``, those
    kept from the run before while every one of them is alive and trusted, else new ones that
    are kept in turn."""
    global _kept
    if not _keeping:
        return PdfRenderers(count)
    if _kept is not None and not _kept.serves(count):
        _kept.close()   # one died or failed: it is not trusted again
        _kept = None
    if _kept is None:
        _kept = PdfRenderers(count)
    return nullcontext(_kept)


def kept_pids() -> list[int]:
    """The process ids of the renderers kept for the next run (none outside
    ``kept_between_runs``)."""
    return list(_kept.pids) if _kept is not None else []


def _warm_up() -> None:
    """Lay out a page with the brief's own styles in both scripts, with an SVG image: the
    imports, the fonts and the SVG code are then loaded before the first brief arrives."""
    from tocsin.report.brief import render_pdf

    template = resources.files("tocsin.report").joinpath("templates/brief.html.j2").read_text()
    style = re.search(r"<style>.*?</style>", template, re.S)
    # The template's lines that need its data (the page footer) are left out.
    css = "\n".join(line for line in (style.group(0) if style else "").splitlines()
                    if "{{" not in line and "{%" not in line)
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" class="map">'
           '<circle cx="5" cy="5" r="4"/></svg>')
    for lang, direction, text in (("en", "ltr", "Tocsin 2025"), ("ar", "rtl", "توكسين ٢٠٢٥")):
        render_pdf(f'<html lang="{lang}" dir="{direction}"><head>{css}</head><body><h1>{text}</h1>'
                   f'<p>{text}</p><table><tr><td>{text}</td></tr></table>{svg}</body></html>', ".")


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """A renderer's loop: warm up, then one PDF per document until the input ends."""
    from tocsin.report.brief import render_pdf

    with suppress(Exception):  # a failed warm-up fails again, and is told, on a real brief
        _warm_up()
    while True:
        try:
            html, base_url = _receive(stdin)
        except EOFError:
            return
        try:
            answer: tuple[str, Any] = ("pdf", render_pdf(html, base_url))
        except Exception as exc:  # told to the parent, which lays the document out itself
            answer = ("error", f"{type(exc).__name__}: {exc}")
        _send(stdout, answer)


def main() -> None:
    # Ctrl-C at the terminal reaches the whole process group: the parent decides, and ends its
    # renderers by closing their input (a renderer kept between runs would otherwise print
    # its own KeyboardInterrupt while idle).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The pipe to the parent gets its own descriptor; anything a library prints goes to stderr
    # rather than into a message.
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, channel)
    # Every answer is sent and nothing else is open: leave without tearing the interpreter
    # down (Pango, fonts, WeasyPrint's modules), which kept `tocsin update` waiting a third
    # of a second after its last brief.
    channel.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
