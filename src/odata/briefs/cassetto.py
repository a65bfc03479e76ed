"""The *cassetto* brief: the documentation catalogue by topic and language, with search.

Each topic is listed once, its title and summary in the reader's language when a guide in that
language exists (else Italian), with links to every language it is available in.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from odata.briefs import charts
from odata.briefs.brief import Brief
from odata.briefs.i18n import t
from odata.briefs.view import Filter, Panel, State

__all__ = ["Cassetto"]

ALL = "_T"
LANGUAGE_NAMES = {
    "it": ("Italiano", "Italian"),
    "en": ("Inglese", "English"),
    "fr": ("Francese", "French"),
    "ar": ("Arabo", "Arabic"),
    "zh": ("Cinese", "Chinese"),
}
SEARCH_CHARS = 80


class Cassetto(Brief):
    name = "cassetto"
    package = "cassetto-digitale"
    tables_used = ("catalogo",)
    layout = (
        ("guide-argomento", "_by_topic", ("lingua_guida",)),
        ("catalogo", "_catalogue", ("argomento", "lingua_guida", "cerca")),
    )

    def catalogue(self) -> pd.DataFrame:
        """One row per guide and language: the HTML rows (each also has a PDF row)."""
        frame = self.frame("catalogo")
        return frame[frame["formato"] == "html"]

    def pdf_of(self, topic: str, lang: str) -> str | None:
        """The resource name of the PDF of a guide in a language, if the catalogue has one."""
        frame = self.frame("catalogo")
        found = frame[
            (frame["formato"] == "pdf") & (frame["argomento"] == topic) & (frame["lingua"] == lang)
        ]
        return str(found["risorsa"].iloc[0]) if len(found) else None

    def topic_titles(self, lang: str) -> dict[str, str]:
        """Topic → title of its guide in ``lang`` (Italian when there is none in ``lang``)."""
        frame = self.catalogue()
        titles: dict[str, str] = {}
        for wanted in ("it", lang):
            for row in frame[frame["lingua"] == wanted].to_dict("records"):
                titles[row["argomento"]] = row["titolo"]
        return dict(sorted(titles.items()))

    def filters(self, lang: str) -> list[Filter]:
        languages = sorted(set(self.catalogue()["lingua"]), key=list(LANGUAGE_NAMES).index)
        return [
            Filter(
                "argomento",
                t("topic", lang),
                ((ALL, t("all", lang)), *self.topic_titles(lang).items()),
                ALL,
            ),
            Filter(
                "lingua_guida",
                t("guide_language", lang),
                ((ALL, t("all", lang)), *((c, _language(c, lang)) for c in languages)),
                ALL,
            ),
            Filter("cerca", t("search", lang), (), "", free_text=SEARCH_CHARS),
        ]

    def _by_topic(self, state: State) -> Panel:
        lang, language = state["lang"], state["lingua_guida"]
        frame = self.catalogue()
        if language != ALL:
            frame = frame[frame["lingua"] == language]
        titles = self.topic_titles(lang)
        counts = frame.groupby("argomento").size()
        rows = [
            {
                "argomento": code,
                "label": titles[code],
                "value": float(counts.get(code, 0)),
                "shown": str(int(counts.get(code, 0))),
            }
            for code in titles
        ]
        alt = f"{t('guides_by_topic', lang)}: " + ", ".join(
            f"{r['label']} {r['shown']}" for r in rows
        )
        data = pd.DataFrame(rows)[["argomento", "value"]]
        data["lingua"] = language
        data["obs_status"] = ""
        return Panel(
            key="guide-argomento",
            title=t("guides_by_topic", lang),
            data=data,
            alt=alt,
            sources=[self.provenance("catalogo", lang)],
            chart=charts.bars(rows, value_title=t("guides", lang), description=alt),
            table_columns={"label": t("topic", lang), "shown": t("guides", lang)},
        ).with_table([{"label": r["label"], "shown": r["shown"]} for r in rows])

    def matches(self, state: State) -> pd.DataFrame:
        """Catalogue rows the filters and the search keep (search: words in title/summary)."""
        frame = self.catalogue()
        if state["argomento"] != ALL:
            frame = frame[frame["argomento"] == state["argomento"]]
        if state["lingua_guida"] != ALL:
            frame = frame[frame["lingua"] == state["lingua_guida"]]
        words = re.findall(r"\w+", state["cerca"].casefold())
        if words:
            text = (
                frame["titolo"] + " " + frame["sintesi"] + " " + frame["argomento"]
            ).str.casefold()
            keep = pd.Series(True, index=frame.index)
            for word in words:
                keep &= text.str.contains(word, regex=False)
            frame = frame[keep]
        return frame

    def _catalogue(self, state: State) -> Panel:
        lang = state["lang"]
        frame = self.matches(state)
        items = []
        for topic, guides in frame.groupby("argomento", sort=True):
            by_language = {row["lingua"]: row for row in guides.to_dict("records")}
            main = (
                by_language.get(lang) or by_language.get("it") or next(iter(by_language.values()))
            )
            links = " · ".join(
                f'<a href="{html.escape(self.guide_url(row["risorsa"]))}" hreflang="{code}" '
                f'lang="{code}">{html.escape(_language(code, lang))}</a>'
                for code, row in sorted(
                    by_language.items(), key=lambda kv: list(LANGUAGE_NAMES).index(kv[0])
                )
            )
            pdf = self.pdf_of(str(topic), str(main["lingua"]))
            pdf_link = (
                f' · <a class="odata-guide-pdf" href="{html.escape(self.guide_url(pdf))}" '
                f'type="application/pdf">PDF</a>'
                if pdf
                else ""
            )
            items.append(
                f'<li class="odata-guide" data-topic="{html.escape(str(topic))}">'
                f'<a class="odata-guide-main" '
                f'href="{html.escape(self.guide_url(main["risorsa"]))}" '
                f'lang="{main["lingua"]}"><strong>{html.escape(main["titolo"])}</strong></a>'
                f"{pdf_link}"
                f'<br><span lang="{main["lingua"]}">{html.escape(main["sintesi"])}</span>'
                f"<br><small>{t('open_guide', lang)}: {links}</small></li>"
            )
        body = (
            f'<ul class="odata-catalogue">{"".join(items)}</ul>'
            if items
            else (f"<p>{t('no_guides', lang)}</p>")
        )
        data = frame[
            [
                "argomento",
                "titolo",
                "lingua",
                "pubblico",
                "formato",
                "revisione",
                "risorsa",
                "sintesi",
            ]
        ].reset_index(drop=True)
        return Panel(
            key="catalogo",
            title=t("catalogue", lang),
            data=data,
            alt=f"{t('catalogue', lang)}: {len(frame)} {t('guides', lang)}",
            sources=[self.provenance("catalogo", lang)],
            body_html=body,
        )

    def guide_url(self, resource: str) -> str:
        return self.tables.guide_url(self.package, resource)


def _language(code: str, lang: str) -> str:
    it, en = LANGUAGE_NAMES.get(code, (code, code))
    return en if lang == "en" else it
