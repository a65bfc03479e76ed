"""The report's chapters as HTML, from the published tables of one release.

Charts and tables are the briefs' own panels (``odata.briefs``), so a figure in the report is
the figure a policymaker sees in a brief and downloads from the portal. Sentences quote cells
through :meth:`Report.cite`, which prints the number (or "riservato") and names its table.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from markdown_it import MarkdownIt

from odata.briefs.cassetto import Cassetto
from odata.briefs.data import ReleaseTables
from odata.briefs.imprese import TOTAL, Imprese
from odata.briefs.progetto import INDICATORS, Progetto
from odata.briefs.settings import BriefSettings
from odata.briefs.view import fmt, parse_state

__all__ = ["CHAPTERS", "Report", "chapter"]


@dataclass
class Report:
    """The release a report is written from, and the briefs that read it."""

    release_dir: Path
    portal_url: str = ""
    settings: BriefSettings | None = None

    @cached_property
    def tables(self) -> ReleaseTables:
        return ReleaseTables(self.release_dir, self.portal_url)

    @cached_property
    def imprese(self) -> Imprese:
        return Imprese(self.tables, self.settings)

    @cached_property
    def progetto(self) -> Progetto:
        return Progetto(self.tables, self.settings)

    @cached_property
    def cassetto(self) -> Cassetto:
        return Cassetto(self.tables, self.settings)

    @property
    def edition(self) -> str:
        return self.release_dir.name

    def cite(
        self, value: float | None, package: str, table: str, decimals: int = 0, lang: str = "it"
    ) -> str:
        """A number in a sentence with its source table (confidential cells say so)."""
        number = fmt(value, lang, decimals)
        return (
            f'<span class="odata-figure" data-package="{package}" data-table="{table}">'
            f'{number}</span><sup class="odata-cite">[{package}/{table}]</sup>'
        )

    def panels(self, brief: Imprese | Progetto | Cassetto, keys: list[str], query: str = "") -> str:
        state = parse_state(query, brief.filters("it"))
        return "".join(brief.panel_html(key, state) for key in keys)


def _section(anchor: str, title: str, *parts: str) -> str:
    body = "".join(parts)
    heading = f"<h2>{html.escape(title)}</h2>"
    return f'<section class="odata-chapter" id="{anchor}">{heading}{body}</section>'


def _p(text: str) -> str:
    return f"<p>{text}</p>"


# -- chapters ------------------------------------------------------------------------------
def summary(report: Report) -> str:
    """Executive summary in English, then its Italian twin: the figures a reader quotes."""
    imprese, progetto = report.imprese, report.progetto
    years = imprese.years()
    last, first = years[-1], years[0]
    count, share = imprese._territory_share(last, TOTAL)
    count0, share0 = imprese._territory_share(first, TOTAL)
    reached = {i: progetto._kpi(TOTAL, i, "raggiunto") for i in INDICATORS}
    target = {i: progetto._kpi(TOTAL, i, "obiettivo") for i in INDICATORS}
    met = sum(1 for i in INDICATORS if (reached[i] or 0) >= (target[i] or float("inf")))
    spent = progetto.cell("budget-speso", voce=TOTAL, camera=TOTAL, trimestre=TOTAL)
    planned = progetto.cell("budget-previsto", voce=TOTAL, camera=TOTAL, trimestre=TOTAL)
    spent_share = None if spent is None or not planned else 100 * spent / planned
    alerts = len(progetto.frame("alerts"))
    texts = {}
    for lang in ("en", "it"):

        def firms(value: float | None, decimals: int = 0, lang: str = lang) -> str:
            return report.cite(value, FIRMS, "imprese-attive-territorio", decimals, lang)

        def kpi(value: float | None, lang: str = lang) -> str:
            return report.cite(value, PROGRAMME, "kpi", 0, lang)

        def budget(value: float | None, lang: str = lang) -> str:
            return report.cite(value, PROGRAMME, "budget-speso", 1, lang)

        texts[lang] = (
            _SUMMARY[lang][0].format(
                last=last, first=first, count=firms(count), share=firms(share, 1),
                count0=firms(count0), share0=firms(share0, 1),
            ),
            _SUMMARY[lang][1].format(
                met=met, informed=kpi(reached["informati"]), informed_t=kpi(target["informati"]),
                trained=kpi(reached["formati"]), trained_t=kpi(target["formati"]),
                firms=kpi(reached["imprese"]), firms_t=kpi(target["imprese"]),
                spent=budget(spent_share), alerts=alerts,
            ),
        )  # fmt: skip
    note = (
        "Every figure comes from a published, protected table of edition "
        f"<strong>{html.escape(report.edition)}</strong>, named in brackets; "
        "«riservato» marks a cell hidden by statistical disclosure control."
    )
    return _section(
        "executive-summary", "Executive summary", *map(_p, texts["en"]), _p(note)
    ) + _section("sintesi", "Sintesi", *map(_p, texts["it"]))


FIRMS = "imprese-migranti"
PROGRAMME = "progetto-imprese-migranti"
_SUMMARY = {
    "en": (
        "At the end of {last}, {count} active firms were run by people born abroad: {share}% "
        "of all firms, against {share0}% ({count0} firms) in {first}.",
        "The programme met {met} of its 5 targets: {informed} people informed (target "
        "{informed_t}), {trained} trained (target {trained_t}), {firms} firms created (target "
        "{firms_t}). {spent}% of the budget was spent; the monitoring raised {alerts} alerts "
        "for the steering committee (chapter 3).",
    ),
    "it": (
        "A fine {last} le imprese attive guidate da persone nate all'estero erano {count}, il "
        "{share}% del totale, contro il {share0}% ({count0} imprese) del {first}.",
        "Il programma ha raggiunto {met} obiettivi su 5: {informed} persone informate "
        "(obiettivo {informed_t}), {trained} formate (obiettivo {trained_t}), {firms} imprese "
        "costituite (obiettivo {firms_t}). Speso il {spent}% del budget; {alerts} avvisi per la "
        "Cabina di Regia (capitolo 3).",
    ),
}


def landscape(report: Report) -> str:
    """Chapter 1: the landscape of migrant-led firms (stock, trend, sectors, territories...)."""
    keys = ["confronto", "andamento", "mappa", "settori", "forme", "origini", "titolari"]
    dynamics = ["demografia", "sopravvivenza"]
    return _section(
        "imprese",
        "1. Le imprese migranti in Italia",
        _p(
            "Stock, incidenza sul totale delle imprese, andamento, settori, territori, forma "
            "giuridica, aree di nascita dei titolari, donne e giovani."
        ),
        report.panels(report.imprese, keys),
        "<h3>1.1 La dinamica imprenditoriale</h3>",
        _p(
            "Iscrizioni, cessazioni e sopravvivenza si riferiscono a tutte le imprese del "
            "registro: la tabella pubblicata non distingue la titolarità (vedi Metodologia)."
        ),
        report.panels(report.imprese, dynamics),
    )


def programme(report: Report) -> str:
    """Chapter 2: the chambers' activity by chamber and action, participants, budget."""
    return _section(
        "programma",
        "2. Le attività delle camere di commercio",
        report.panels(
            report.progetto,
            [
                "percorso",
                "camere",
                "mappa-camere",
                "partecipanti-sesso-eta",
                "partecipanti-origine",
                "eventi",
                "budget",
            ],
        ),
    )


def steering(report: Report) -> str:
    """Chapter 3: for the Cabina di Regia, KPI progress and pace, and the alerts."""
    progetto = report.progetto
    expected = progetto.expected_share()
    rows = []
    names = progetto.labels("indicatore", "it")
    for code in INDICATORS:
        reached = progetto._kpi(TOTAL, code, "raggiunto")
        target = progetto._kpi(TOTAL, code, "obiettivo")
        share = None if reached is None or not target else 100 * reached / target
        rows.append(
            f'<tr data-indicatore="{code}" data-raggiunto="{_raw(reached)}" '
            f'data-obiettivo="{_raw(target)}"><td>{html.escape(names[code])}</td>'
            f"<td>{fmt(reached, 'it')}</td><td>{fmt(target, 'it')}</td>"
            f"<td>{fmt(share, 'it', 1)}%</td></tr>"
        )
    table = (
        '<table class="odata-kpi"><thead><tr><th scope="col">Indicatore</th>'
        '<th scope="col">Raggiunto</th><th scope="col">Obiettivo</th>'
        f'<th scope="col">% dell\'obiettivo</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )
    return _section(
        "cabina-di-regia",
        "3. Per la Cabina di Regia",
        _p(
            f"Avanzamento verso gli obiettivi del programma (tabella <code>kpi</code>). Alla fine "
            f"dell'ultimo trimestre con attività ({progetto.last_quarter()}) era trascorso il "
            f"{fmt(expected, 'it', 1)}% del calendario del programma: è il ritmo atteso."
        ),
        table,
        report.panels(report.progetto, ["obiettivi", "avvisi"]),
        _p(
            "Ogni avviso indica le celle pubblicate su cui si basa; un avviso «dati-riservati» "
            "segnala una cella nascosta dove erano attese almeno 10 persone."
        ),
    )


def methodology(report: Report) -> str:
    """Chapter 4: definitions, sources, disclosure control, how to cite."""
    imprese = report.imprese
    ownership = imprese.labels("titolarita", "it")
    definitions = "".join(
        f"<li><strong>{html.escape(code)}</strong>: {html.escape(label)}</li>"
        for code, label in ownership.items()
        if code != TOTAL
    )
    sources = "".join(
        f"<li>{html.escape(s.get('title', ''))}</li>"
        for package in ("imprese-migranti", "progetto-imprese-migranti")
        for s in report.tables.descriptor(package).get("sources", [])
    )
    note = (report.release_dir / "progetto-imprese-migranti" / "disclosure-note.md").read_text(
        encoding="utf-8"
    )
    italian = note.split("## English")[0].split("## Italiano")[-1]
    citations = "".join(
        f"<li>Unioncamere, Osservatorio sull'imprenditoria migrante. "
        f"{html.escape(report.tables.descriptor(p).get('title', p))}, edizione "
        f"{html.escape(report.edition)}. CC-BY-4.0.</li>"
        for p in ("imprese-migranti", "progetto-imprese-migranti", "cassetto-digitale")
    )
    return _section(
        "metodologia",
        "4. Metodologia",
        "<h3>Definizioni</h3>",
        f"<ul>{definitions}</ul>",
        _p(
            "Un'impresa è «migrante» quando oltre il 50% delle cariche è di persone nate "
            "all'estero; «mista» fino al 50%. Le quote sono calcolate sulle imprese attive a "
            "fine anno; una quota è riservata se lo è uno dei suoi termini."
        ),
        "<h3>Fonti</h3>",
        f"<ul>{sources}</ul>",
        "<h3>Tutela della riservatezza</h3>",
        MarkdownIt().render(italian),
        "<h3>Come citare</h3>",
        f"<ul>{citations}</ul>",
    )


def _raw(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


CHAPTERS = {
    "sintesi": summary,
    "imprese": landscape,
    "programma": programme,
    "cabina-di-regia": steering,
    "metodologia": methodology,
}


def chapter(
    name: str,
    release_dir: str,
    *,
    portal_url: str = "",
    reference_dir: str = "",
    programme_dates: str = "",
) -> None:
    """Display one chapter in a notebook (the report notebooks call only this)."""
    from IPython.display import HTML, display

    from odata.briefs.settings import BriefSettings, _calendar

    settings = BriefSettings(
        "release",
        Path(release_dir),
        "",
        None,
        reference_dir=Path(reference_dir) if reference_dir else None,
        programme=_calendar(programme_dates),
    )
    report = Report(Path(release_dir), portal_url, settings)
    display(HTML(CHAPTERS[name](report)))  # type: ignore[no-untyped-call]
