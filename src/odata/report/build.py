"""`odata report`: execute the report notebooks on a release, then write HTML, PDF, and scan.

The notebooks in ``notebooks/`` run in order with papermill (their ``parameters`` cell gets
the release folder), each displaying one chapter. Their HTML outputs are joined into one
self-contained page (inline CSS and SVG, no script, no external request), printed to PDF by
Debian's Chromium, and both files are scanned for personal data before they are kept.
"""

from __future__ import annotations

import html
import logging
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from odata.anonymize.pii import scan_paths, scan_text
from odata.briefs.style import CSS
from odata.build import resolve_release
from odata.config import Settings
from odata.errors import DisclosureError, OdataError

__all__ = ["CHROMIUM", "REPORT_FOLDER", "ReportResult", "build_report", "report_files"]

log = logging.getLogger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
PACKAGE = "progetto-imprese-migranti"  # the programme's dataset: the report is published with it
REPORT_FOLDER = "rapporto"


class ReportError(OdataError):
    """The report could not be executed or printed."""

    code = "report-failed"


@dataclass(frozen=True)
class ReportResult:
    html: Path
    pdf: Path
    pages: int
    seconds: float


def report_files(release_dir: Path) -> tuple[Path, Path]:
    """Where a release's report lives: inside the programme's package, published with it."""
    folder = release_dir / PACKAGE / REPORT_FOLDER
    name = f"rapporto-{release_dir.name}"
    return folder / f"{name}.html", folder / f"{name}.pdf"


def build_report(settings: Settings, release: str | None = None) -> ReportResult:
    """Execute, assemble, print and scan the report of ``release`` (default: [release] id)."""
    started = time.monotonic()
    release_dir = resolve_release(settings, release or settings.release.id)
    notebooks = sorted((settings.root / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    if not notebooks:
        raise ReportError("no report notebooks", file="notebooks/", hint="expected NN-name.ipynb")
    parameters = {
        "release_dir": str(release_dir),
        "portal_url": settings.portal.url.rstrip("/"),
        "reference_dir": str(settings.path("datapackages") / "riferimenti" / "data"),
        "programme_dates": f"{settings.programme.start}/{settings.programme.end}",
    }
    chapters = [_execute(notebook, parameters) for notebook in notebooks]
    page = _page(release_dir.name, chapters)
    html_path, pdf_path = report_files(release_dir)
    with tempfile.TemporaryDirectory(prefix="odata-report-") as scratch:
        draft_html = Path(scratch) / html_path.name
        draft_html.write_text(page, encoding="utf-8")
        draft_pdf = Path(scratch) / pdf_path.name
        pages = print_pdf(draft_html, draft_pdf, settings.release.created)
        _scan(draft_html, draft_pdf, settings)
        html_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(draft_html, html_path)
        shutil.copyfile(draft_pdf, pdf_path)
    return ReportResult(html_path, pdf_path, pages, time.monotonic() - started)


def _execute(notebook: Path, parameters: dict[str, str]) -> str:
    """Run one notebook and return the HTML it displayed (code and stdout never shown)."""
    import papermill

    with tempfile.TemporaryDirectory(prefix="odata-nb-") as scratch:
        output = Path(scratch) / notebook.name
        try:
            executed = papermill.execute_notebook(
                str(notebook),
                str(output),
                parameters=parameters,
                kernel_name="python3",
                cwd=str(notebook.parent),
                progress_bar=False,
                log_output=False,
            )
        except Exception as error:  # papermill's errors carry the cell's traceback
            raise ReportError(
                f"{notebook.name} failed to execute ({type(error).__name__})",
                file=str(notebook),
                hint="run it in Jupyter on the same release to see the failing cell",
            ) from None
    parts = [
        output["data"]["text/html"]
        for cell in executed["cells"]
        if cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") in ("display_data", "execute_result")
        and "text/html" in output.get("data", {})
    ]
    return "".join("".join(p) if isinstance(p, list) else p for p in parts)


def _page(edition: str, chapters: list[str]) -> str:
    title = "Osservatorio sull'imprenditoria migrante — Rapporto"
    toc = "".join(
        f'<li><a href="#{anchor}">{html.escape(label)}</a></li>'
        for anchor, label in (
            ("executive-summary", "Executive summary"),
            ("sintesi", "Sintesi"),
            ("imprese", "1. Le imprese migranti in Italia"),
            ("programma", "2. Le attività delle camere di commercio"),
            ("cabina-di-regia", "3. Per la Cabina di Regia"),
            ("metodologia", "4. Metodologia"),
        )
    )
    return (
        '<!DOCTYPE html>\n<html lang="it">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)} · {html.escape(edition)}</title>\n"
        f"<style>{CSS}{_PRINT_CSS}</style>\n</head>\n<body>\n"
        '<main class="odata-brief odata-report">\n'
        f'<header class="odata-cover"><h1>{html.escape(title)}</h1>'
        f"<p>Edizione {html.escape(edition)} · Unioncamere, Ministero del Lavoro e delle "
        "Politiche Sociali · dati CC-BY-4.0</p>"
        f'<nav><h2>Indice</h2><ol class="odata-toc">{toc}</ol></nav></header>\n'
        + "\n".join(chapters)
        + "\n</main>\n</body>\n</html>\n"
    )


_PRINT_CSS = """
.odata-report { margin: 0 auto; }
.odata-report .odata-panels, .odata-report section { display: block; }
.odata-report .odata-panel { margin: 0 0 1rem; break-inside: avoid; }
.odata-report details.odata-table > summary { display: none; }
.odata-report .odata-kpi { border-collapse: collapse; margin: .5rem 0 1rem; }
.odata-report .odata-kpi td, .odata-report .odata-kpi th { border: 1px solid #ccc;
  padding: 2px 8px; }
.odata-cite { font-size: .7em; color: #555; }
.odata-chapter { break-before: page; }
.odata-cover { min-height: 60vh; }
@media print { details.odata-table > table { display: table; } a { color: #1a1a1a; } }
"""


def print_pdf(page: Path, pdf: Path, created: date) -> int:
    """Print the page with Debian's Chromium (headless, no network); return the page count.

    The PDF's dates are set to the release's date, so the same release prints the same bytes
    and an unchanged report is not uploaded again. Chromium is driven from a thread of its
    own: Playwright's sync API refuses to run where an asyncio loop is already running (a
    notebook, a test session that also drives a browser)."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(_print, page, pdf).result()
    return _dated(pdf, created)


def _print(page: Path, pdf: Path) -> None:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise ReportError("Debian's chromium is needed to print the PDF", file=str(CHROMIUM),
                          hint="make setup installs it (apt-get install chromium)")  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless=new", "--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context()
            context.route("**/*", _local_only)  # the page is self-contained: prove it
            tab = context.new_page()
            tab.goto(page.resolve().as_uri())
            tab.emulate_media(media="print")
            tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            tab.pdf(
                path=str(pdf),
                format="A4",
                print_background=True,
                margin={"top": "18mm", "bottom": "18mm", "left": "15mm", "right": "15mm"},
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=(
                    '<div style="font-size:8px;width:100%;text-align:center">'
                    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
                ),
            )
        finally:
            browser.close()


def _dated(pdf: Path, created: date) -> int:
    from pypdf import PdfReader, PdfWriter

    stamp = f"D:{created:%Y%m%d}000000+00'00'"
    writer = PdfWriter(clone_from=PdfReader(str(pdf)))
    writer.add_metadata({"/CreationDate": stamp, "/ModDate": stamp, "/Creator": "odata report"})
    with pdf.open("wb") as handle:
        writer.write(handle)
    return len(writer.pages)


def _local_only(route: Any) -> None:
    if route.request.url.startswith("file:"):
        route.continue_()
    else:
        route.abort()


def _scan(page: Path, pdf: Path, settings: Settings) -> None:
    """No personal data in the HTML or in the PDF's text."""
    from pypdf import PdfReader

    problems = scan_paths([page], allow=[settings.publisher.email])
    text = "\n".join(p.extract_text() or "" for p in PdfReader(str(pdf)).pages)
    problems += scan_text(text, file=pdf.name, allow=[settings.publisher.email])
    if problems:
        raise DisclosureError("the report holds what looks like personal data", problems=problems,
                              hint="nothing was written; check the chapters' text")  # fmt: skip
