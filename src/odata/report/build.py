"""`odata report`: execute the report notebooks on a release, then write HTML, PDF, and scan.

The notebooks in ``notebooks/`` run in order with papermill (their ``parameters`` cell gets
the release folder), each displaying one chapter. Their HTML outputs are joined into one
self-contained page (inline CSS and SVG, no script, no external request), printed to PDF by
Debian's Chromium (:mod:`odata.pdf`), and both files are scanned for personal data before
they are kept.
"""

from __future__ import annotations

import html
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from odata.anonymize.pii import scan_paths
from odata.briefs.style import CSS
from odata.build import resolve_release
from odata.config import Settings
from odata.errors import DisclosureError, OdataError
from odata.pdf import print_pdf

__all__ = ["REPORT_FOLDER", "ReportResult", "build_report", "report_files"]

log = logging.getLogger(__name__)

PACKAGE = "progetto-imprese-migranti"  # the programme's dataset: the report is published with it
REPORT_FOLDER = "rapporto"


class ReportError(OdataError):
    """Raised when the report notebooks are missing or one fails to execute."""

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
        pages = print_pdf(draft_html, draft_pdf, settings.release.created, creator="odata report")
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


def _scan(page: Path, pdf: Path, settings: Settings) -> None:
    """No personal data in the HTML or in the PDF's text (the scan reads a PDF's text)."""
    problems = scan_paths([page, pdf], allow=[settings.publisher.email])
    if problems:
        raise DisclosureError("the report holds what looks like personal data", problems=problems,
                              hint="nothing was written; check the chapters' text")  # fmt: skip
