"""The *imprese* brief: migrant-owned firms by territory, sector, legal form, owners, demography.

Indicators follow the programme's real dashboard (stock, share of all firms, legal form,
sector, territory, registrations and closures with birth/death/turnover rates, survival,
origin, women and young owners). Every number is a published, protected cell; a share is
confidential when either of its terms is.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from odata.briefs import charts
from odata.briefs.brief import Brief, pick
from odata.briefs.i18n import CONFIDENTIAL, t
from odata.briefs.view import Filter, Panel, State, fmt, series_columns, series_rows, shown

__all__ = ["Imprese"]

MIGRANT = "migrante"
TOTAL = "_T"


def _share(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return 100 * part / whole


class Imprese(Brief):
    name = "imprese"
    package = "imprese-migranti"
    has_map = True
    tables_used = (
        "imprese-attive-territorio",
        "imprese-attive-settore",
        "imprese-attive-forma",
        "titolari-area-nascita",
        "titolari-sesso-eta",
        "demografia-imprese",
        "codici-anno",
        "codici-territorio",
        "codici-sezione-ateco",
        "codici-forma-giuridica",
        "codici-area-nascita",
    )

    def years(self) -> list[str]:
        return sorted(set(self.frame("imprese-attive-territorio")["anno"]))

    def filters(self, lang: str) -> list[Filter]:
        territory = self.labels("territorio", lang)
        parents = self.parents("territorio")
        indent = {c: ("\u2003" if parents.get(c) not in ("", TOTAL) else "") for c in territory}
        sectors = self.labels("sezione-ateco", lang)
        years = self.years()
        return [
            Filter("anno", t("year", lang), tuple((y, y) for y in reversed(years)), years[-1]),
            Filter(
                "territorio",
                t("territory", lang),
                tuple((c, indent[c] + label) for c, label in territory.items()),
                TOTAL,
            ),
            Filter(
                "settore",
                t("sector", lang),
                tuple(
                    (c, t("all", lang) if c == TOTAL else f"{c} {label}")
                    for c, label in sectors.items()
                ),
                TOTAL,
            ),
        ]

    # -- territory ---------------------------------------------------------------------------
    def _region(self, territory: str) -> str | None:
        parent = self.parents("territorio").get(territory, "")
        return parent if parent not in ("", TOTAL) else None

    def _chain(self, territory: str) -> list[str]:
        """The territory, its region (for a province) and Italy: the comparison the issue asks."""
        region = self._region(territory)
        chain = [territory] + ([region] if region else []) + ([TOTAL] if territory != TOTAL else [])
        return chain

    def _territory_share(self, year: str, territory: str) -> tuple[float | None, float | None]:
        table = "imprese-attive-territorio"
        migrant = self.cell(table, anno=year, territorio=territory, titolarita=MIGRANT)
        return migrant, _share(
            migrant, self.cell(table, anno=year, territorio=territory, titolarita=TOTAL)
        )

    layout = (  # panel key, method, the filters it depends on (besides the language)
        ("confronto", "_compare", ("anno", "territorio")),
        ("mappa", "_map", ("anno", "territorio")),
        ("andamento", "_trend", ("territorio",)),
        ("settori", "_sectors", ("anno",)),
        ("settore-andamento", "_sector_trend", ("settore",)),
        ("forme", "_forms", ("anno",)),
        ("origini", "_origins", ("anno",)),
        ("titolari", "_owners", ()),
        ("demografia", "_demography", ()),
        ("sopravvivenza", "_survival", ()),
    )

    def _compare(self, state: State) -> Panel:
        lang, year = state["lang"], state["anno"]
        names = self.labels("territorio", lang)
        rows = []
        for code in self._chain(state["territorio"]):
            count, share = self._territory_share(year, code)
            rows.append(
                {
                    "territorio": code,
                    "label": names[code],
                    "imprese_migranti": count,
                    "value": share,
                    "shown": shown(share, "", lang, 1) + ("%" if share is not None else ""),
                    "count_shown": shown(count, "", lang),
                }
            )
        data = pd.DataFrame(rows)
        first = rows[0]
        alt = (
            f"{first['label']} {year}: {first['count_shown']} {t('firms', lang)}, "
            f"{first['shown']} {t('share_all', lang).lower()}."
        )
        return Panel(
            key="confronto",
            title=f"{t('migrant_firms', lang)} — {t('share_all', lang)} ({year})",
            data=data.assign(obs_status=[("" if r["value"] is not None else "C") for r in rows])[
                ["territorio", "label", "imprese_migranti", "value", "obs_status"]
            ],
            alt=alt,
            sources=[self.provenance("imprese-attive-territorio", lang)],
            chart=charts.bars(
                rows, value_title=t("share_pct", lang), description=alt, percent=True
            ),
            table_columns={"label": t("territory", lang), "count": t("firms", lang)}
            | {"share": t("share_pct", lang)},
        ).with_table(
            [{"label": r["label"], "count": r["count_shown"], "share": r["shown"]} for r in rows]
        )

    def _map(self, state: State) -> Panel:
        lang, year = state["lang"], state["anno"]
        names = self.labels("territorio", lang)
        parents = self.parents("territorio")
        region = self._region(state["territorio"]) or (
            state["territorio"] if state["territorio"] != TOTAL else None
        )
        provinces = [c for c, p in parents.items() if p not in ("", TOTAL)]
        if region:
            provinces = [c for c in provinces if parents[c] == region]
        rows: list[dict[str, Any]] = []
        for code in provinces:
            _, share = self._territory_share(year, code)
            rows.append(
                {
                    "code": code,
                    "label": names[code],
                    "value": share,
                    "shown": fmt(share, lang, 1) + ("%" if share is not None else ""),
                }
            )
        known = [r for r in rows if r["value"] is not None]
        top = sorted(known, key=lambda r: -float(r["value"]))[:3]
        hidden = len(rows) - len(known)
        alt = (
            f"{t('map', lang)} {year}: "
            + ", ".join(f"{r['label']} {r['shown']}" for r in top)
            + (f"; {hidden} {CONFIDENTIAL[lang]}" if hidden else "")
            + "."
        )
        data = pd.DataFrame(rows).rename(columns={"code": "territorio"})
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="mappa",
            title=f"{t('map', lang)} ({year})",
            data=data[["territorio", "label", "value", "obs_status"]],
            alt=alt,
            sources=[self.provenance("imprese-attive-territorio", lang)],
            chart=charts.choropleth(
                self.topology(),
                rows,
                legend_title=t("share_pct", lang),
                description=alt,
                confidential=CONFIDENTIAL[lang],
            ),
            table_columns={"label": t("territory", lang), "shown": t("share_pct", lang)},
        ).with_table([{"label": r["label"], "shown": r["shown"]} for r in rows])

    def _trend(self, state: State) -> Panel:
        lang = state["lang"]
        names = self.labels("territorio", lang)
        rows = []
        for code in self._chain(state["territorio"]):
            for year in self.years():
                count, share = self._territory_share(year, code)
                rows.append(
                    {
                        "territorio": code,
                        "series": names[code],
                        "x": year,
                        "value": share,
                        "imprese_migranti": count,
                        "shown": fmt(share, lang, 1) if share is not None else CONFIDENTIAL[lang],
                    }
                )
        first = [r for r in rows if r["territorio"] == state["territorio"]]
        alt = f"{t('trend', lang)}, {names[state['territorio']]}: " + ", ".join(
            f"{r['x']} {r['shown']}%" for r in first
        )
        data = pd.DataFrame(rows).rename(columns={"x": "anno"})
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="andamento",
            title=f"{t('trend', lang)}: {t('share_all', lang).lower()}",
            data=data[["anno", "territorio", "imprese_migranti", "value", "obs_status"]],
            alt=alt,
            sources=[self.provenance("imprese-attive-territorio", lang)],
            chart=charts.lines(
                [r for r in rows if r["value"] is not None],
                x_title=t("year", lang),
                value_title=t("share_pct", lang),
                description=alt,
                percent=True,
            ),
            table_columns=series_columns(lang),
        ).with_table(series_rows(rows))

    def _sectors(self, state: State) -> Panel:
        lang, year = state["lang"], state["anno"]
        names = self.labels("sezione-ateco", lang)
        frame = pick(self.frame("imprese-attive-settore"), anno=year, titolarita=MIGRANT)
        frame = frame[frame["sezione_ateco"] != TOTAL]
        return self._count_bars(
            frame,
            "sezione_ateco",
            names,
            state,
            "settori",
            t("by_sector", lang),
            "imprese-attive-settore",
        )

    def _forms(self, state: State) -> Panel:
        lang, year = state["lang"], state["anno"]
        names = self.labels("forma-giuridica", lang)
        frame = pick(self.frame("imprese-attive-forma"), anno=year, titolarita=MIGRANT)
        frame = frame[frame["forma_giuridica"] != TOTAL]
        return self._count_bars(
            frame,
            "forma_giuridica",
            names,
            state,
            "forme",
            t("by_form", lang),
            "imprese-attive-forma",
        )

    def _origins(self, state: State) -> Panel:
        lang, year = state["lang"], state["anno"]
        names = self.labels("area-nascita", lang)
        frame = pick(self.frame("titolari-area-nascita"), anno=year, titolarita=MIGRANT)
        frame = frame[frame["area_nascita"] != TOTAL]
        return self._count_bars(
            frame,
            "area_nascita",
            names,
            state,
            "origini",
            t("by_origin", lang),
            "titolari-area-nascita",
        )

    def _count_bars(
        self,
        frame: pd.DataFrame,
        column: str,
        names: dict[str, str],
        state: State,
        key: str,
        title: str,
        resource: str,
    ) -> Panel:
        lang, year = state["lang"], state["anno"]
        frame = frame.sort_values("value", ascending=False, na_position="last")
        rows = [
            {
                column: code,
                "label": names.get(code, code),
                "value": None if status == "C" or pd.isna(value) else float(value),
                "shown": shown(value, status, lang),
            }
            for code, value, status in zip(
                frame[column], frame["value"], frame["obs_status"], strict=True
            )
        ]
        top = [r for r in rows if r["value"] is not None][:3]
        alt = f"{title} ({year}): " + ", ".join(f"{r['label']} {r['shown']}" for r in top) + "."
        return Panel(
            key=key,
            title=f"{title} ({year})",
            data=frame[
                [
                    *([c for c in frame.columns if c not in ("value", "obs_status")]),
                    "value",
                    "obs_status",
                ]
            ].assign(label=[r["label"] for r in rows]),
            alt=alt,
            sources=[self.provenance(resource, lang)],
            chart=charts.bars(rows, value_title=t("firms", lang), description=alt),
            table_columns={"label": title, "shown": t("firms", lang)},
        ).with_table([{"label": r["label"], "shown": r["shown"]} for r in rows])

    def _sector_trend(self, state: State) -> Panel:
        lang, sector = state["lang"], state["settore"]
        names = self.labels("sezione-ateco", lang)
        table = "imprese-attive-settore"
        rows = []
        for code in dict.fromkeys([sector, TOTAL]):
            for year in self.years():
                migrant = self.cell(table, anno=year, sezione_ateco=code, titolarita=MIGRANT)
                total = self.cell(table, anno=year, sezione_ateco=code, titolarita=TOTAL)
                share = _share(migrant, total)
                rows.append(
                    {
                        "sezione_ateco": code,
                        "series": t("all", lang) if code == TOTAL else f"{code} {names[code]}",
                        "x": year,
                        "imprese_migranti": migrant,
                        "value": share,
                        "shown": fmt(share, lang, 1) if share is not None else CONFIDENTIAL[lang],
                    }
                )
        chosen = [r for r in rows if r["sezione_ateco"] == sector]
        alt = f"{t('share_all', lang)}, {chosen[0]['series']}: " + ", ".join(
            f"{r['x']} {r['shown']}%" for r in chosen
        )
        data = pd.DataFrame(rows).rename(columns={"x": "anno"})
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="settore-andamento",
            title=f"{t('sector', lang)}: {t('share_all', lang).lower()} — {chosen[0]['series']}",
            data=data[["anno", "sezione_ateco", "imprese_migranti", "value", "obs_status"]],
            alt=alt,
            sources=[self.provenance("imprese-attive-settore", lang)],
            chart=charts.lines(
                [r for r in rows if r["value"] is not None],
                x_title=t("year", lang),
                value_title=t("share_pct", lang),
                description=alt,
                percent=True,
            ),
            table_columns=series_columns(lang),
        ).with_table(series_rows(rows))

    def _owners(self, state: State) -> Panel:
        lang = state["lang"]
        rows = []
        for year in self.years():

            def owners(sex: str, age: str, year: str = year) -> float | None:
                return self.cell(
                    "titolari-sesso-eta", anno=year, titolarita=MIGRANT, sesso=sex, classe_eta=age
                )

            total = owners(TOTAL, TOTAL)
            women = owners("F", TOTAL)
            young = [owners(TOTAL, c) for c in ("Y_LT25", "Y25T34")]
            under35 = None if None in young else sum(v for v in young if v is not None)
            for key, part in (("women_share", women), ("young_share", under35)):
                share = _share(part, total)
                rows.append(
                    {
                        "indicatore": key,
                        "series": t(key, lang),
                        "x": year,
                        "value": share,
                        "shown": fmt(share, lang, 1) if share is not None else CONFIDENTIAL[lang],
                    }
                )
        last = [r for r in rows if r["x"] == self.years()[-1]]
        alt = f"{t('owners', lang)}, {self.years()[-1]}: " + ", ".join(
            f"{r['series']} {r['shown']}%" for r in last
        )
        data = pd.DataFrame(rows).rename(columns={"x": "anno"})
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="titolari",
            title=t("owners", lang),
            data=data[["anno", "indicatore", "value", "obs_status"]],
            alt=alt,
            sources=[self.provenance("titolari-sesso-eta", lang)],
            chart=charts.lines(
                [r for r in rows if r["value"] is not None],
                x_title=t("year", lang),
                value_title=t("share_pct", lang),
                description=alt,
                percent=True,
            ),
            table_columns=series_columns(lang),
        ).with_table(series_rows(rows))

    def _demography(self, state: State) -> Panel:
        lang = state["lang"]
        frame = self.frame("demografia-imprese")
        years = sorted(c for c in set(frame["coorte"]) if c.isdigit())
        rows = []
        for year in years:
            births = self.cell("demografia-imprese", coorte=year, stato=TOTAL)
            deaths = self.cell("demografia-imprese", coorte=TOTAL, stato=f"CESS{year}")
            stock = self.cell("demografia-imprese", coorte=TOTAL, stato=f"ATT{int(year) - 1}")
            if stock is None:
                continue
            birth = _share(births, stock)
            death = _share(deaths, stock)
            turnover = None if birth is None or death is None else birth + death
            for key, value in (
                ("birth_rate", birth),
                ("death_rate", death),
                ("turnover", turnover),
            ):
                rows.append(
                    {
                        "indicatore": key,
                        "series": t(key, lang),
                        "x": year,
                        "value": value,
                        "shown": fmt(value, lang, 1) if value is not None else CONFIDENTIAL[lang],
                    }
                )
        alt = f"{t('demography', lang)}: " + ", ".join(
            f"{r['x']} {r['series']} {r['shown']}" for r in rows[-3:]
        )
        data = pd.DataFrame(rows).rename(columns={"x": "anno"})
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="demografia",
            title=t("demography", lang),
            data=data[["anno", "indicatore", "value", "obs_status"]],
            alt=alt,
            sources=[self.provenance("demografia-imprese", lang)],
            chart=charts.lines(
                [r for r in rows if r["value"] is not None],
                x_title=t("year", lang),
                value_title="%",
                description=alt,
                percent=True,
            ),
            table_columns=series_columns(lang),
        ).with_table(series_rows(rows))

    def _survival(self, state: State) -> Panel:
        lang = state["lang"]
        frame = self.frame("demografia-imprese")
        last = max(c for c in set(frame["stato"]) if c.startswith("ATT"))
        cohorts = sorted(c for c in set(frame["coorte"]) if c.isdigit())
        rows = []
        for cohort in cohorts:
            born = self.cell("demografia-imprese", coorte=cohort, stato=TOTAL)
            alive = self.cell("demografia-imprese", coorte=cohort, stato=last)
            share = _share(alive, born)
            rows.append(
                {
                    "coorte": cohort,
                    "label": cohort,
                    "value": share,
                    "shown": fmt(share, lang, 1) + "%" if share is not None else CONFIDENTIAL[lang],
                }
            )
        alt = f"{t('survival', lang)} ({last[3:]}): " + ", ".join(
            f"{r['label']} {r['shown']}" for r in rows
        )
        data = pd.DataFrame(rows)
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="sopravvivenza",
            title=f"{t('survival', lang)}: {t('still_active', lang).lower()} {last[3:]}",
            data=data[["coorte", "value", "obs_status"]],
            alt=alt,
            sources=[self.provenance("demografia-imprese", lang)],
            chart=charts.bars(
                rows, value_title=t("still_active", lang), description=alt, percent=True
            ),
            table_columns={"label": t("year", lang), "shown": t("still_active", lang)},
        ).with_table([{"label": r["label"], "shown": r["shown"]} for r in rows])
