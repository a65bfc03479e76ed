"""Print self-contained HTML pages to PDF with Debian's Chromium, and read a PDF's text back.

Used at build time for the cassetto digitale's guides (:mod:`odata.cassetto`) and by
``odata report`` for the Observatory report. One Chromium prints every page of a call (headless,
no network: a page that asks for anything but a local file gets nothing), and each PDF's dates
are set to the release's date afterwards, so the same release prints the same bytes and an
unchanged PDF is not uploaded again. :func:`pdf_text` is what the PII scan reads of a PDF.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from odata.errors import OdataError, SourceError

__all__ = ["CHROMIUM", "PrintError", "pdf_text", "print_pdf", "print_pdfs"]

log = logging.getLogger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu"]
_FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


class PrintError(OdataError):
    """Raised when Debian's Chromium is missing or cannot print a page to PDF."""

    code = "print-failed"


def print_pdf(
    page: Path, pdf: Path, created: date, *, creator: str = "odata", tagged: bool = False
) -> int:
    """Print one page (see :func:`print_pdfs`); return its page count."""
    return print_pdfs([(page, pdf)], created, creator=creator, tagged=tagged)[0]


def print_pdfs(
    jobs: Sequence[tuple[Path, Path]],
    created: date,
    *,
    creator: str = "odata",
    tagged: bool = False,
) -> list[int]:
    """Print each ``(page, pdf)`` pair, A4 with page numbers, with one headless Chromium;
    return the page count of each PDF, in order.

    The PDFs' creation and modification dates are ``created`` (the release's date) and their
    creator is ``creator``: nothing in them depends on the clock. ``tagged`` makes an
    accessible PDF: a structure tree from the HTML (headings, lists, tables), the page's
    ``lang`` as the document language, and an outline of the headings. Chromium is driven from
    a thread of its own, because Playwright's sync API refuses to run where an asyncio loop is
    already running (a notebook, a test session that also drives a browser).

    Raises:
        PrintError: Chromium is missing, or could not open or print a page.
    """
    if not jobs:
        return []
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(_print, jobs, tagged).result()
    pages = [_dated(pdf, created, creator) for _, pdf in jobs]
    log.info("pdf · %d files · %.1f s", len(jobs), time.perf_counter() - started)
    return pages


def pdf_text(path: Path) -> str:
    """The text of every page of a PDF, pages in order, each page starting on a new line.

    Raises:
        SourceError: the file is not a PDF that can be read.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        pages = [(page.extract_text() or "").rstrip("\n") for page in PdfReader(path).pages]
    except (PyPdfError, OSError, ValueError) as exc:
        raise SourceError("cannot read the PDF's text", file=str(path)) from exc
    return "\n".join(pages)


def _print(jobs: Sequence[tuple[Path, Path]], tagged: bool) -> None:
    from playwright.sync_api import Error, sync_playwright

    if not CHROMIUM.exists():
        raise PrintError("Debian's chromium is needed to print PDFs", file=str(CHROMIUM),
                         hint="make setup installs it (apt-get install chromium)")  # fmt: skip
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=_ARGS)
        except Error as exc:
            raise PrintError("Chromium did not start", file=str(CHROMIUM)) from exc
        try:
            context = browser.new_context()
            context.route("**/*", _local_only)  # every page is self-contained: prove it
            tab = context.new_page()
            tab.emulate_media(media="print")
            for page, pdf in jobs:
                try:
                    tab.goto(page.resolve().as_uri())
                    tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                    tab.pdf(
                        path=str(pdf),
                        format="A4",
                        print_background=True,
                        margin={"top": "18mm", "bottom": "18mm", "left": "15mm", "right": "15mm"},
                        display_header_footer=True,
                        header_template="<span></span>",
                        footer_template=_FOOTER,
                        tagged=tagged,
                        outline=tagged,
                    )
                except Error as exc:
                    raise PrintError("Chromium could not print the page", file=str(page)) from exc
        finally:
            browser.close()


def _dated(pdf: Path, created: date, creator: str) -> int:
    from pypdf import PdfReader, PdfWriter

    stamp = f"D:{created:%Y%m%d}000000+00'00'"
    writer = PdfWriter(clone_from=PdfReader(str(pdf)))
    writer.add_metadata({"/CreationDate": stamp, "/ModDate": stamp, "/Creator": creator})
    with pdf.open("wb") as handle:
        writer.write(handle)
    return len(writer.pages)


def _local_only(route: Any) -> None:
    if route.request.url.startswith("file:"):
        route.continue_()
    else:
        route.abort()
