"""The *progetto* brief: the chambers' activities against the programme's targets.

Targets, pace, funnel, chambers (table and map of their provinces), participants, events,
budget and the monitoring alerts, all from the programme's published tables. The pace is
the share of the programme calendar (``[programme]`` in odata.toml, public settings) elapsed
at the end of the last quarter with reported activity.
"""

from __future__ import annotations

import csv
import html
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from odata.briefs import charts
from odata.briefs.brief import Brief, reference_file
from odata.briefs.i18n import CONFIDENTIAL, t
from odata.briefs.view import Filter, Panel, State, fmt, shown

__all__ = ["Progetto"]

TOTAL = "_T"
DEFAULT_CALENDAR = (date(2019, 5, 16), date(2022, 11, 30))  # odata.toml [programme]
INDICATORS = ("informati", "orientati", "formati", "business-plan", "imprese")
SERIES = (
    ("budget-previsto", "planned"),
    ("budget-impegnato", "committed"),
    ("budget-speso", "spent"),
)
_SERIES_TEXT = {
    "planned": ("previsto", "planned"),
    "committed": ("impegnato", "committed"),
    "spent": ("speso", "spent"),
}


@cache
def _chamber_provinces(path: Path) -> dict[str, tuple[str, ...]]:
    """Chamber → provinces it covers (committed reference list, not statistics)."""
    out: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["chamber"], []).append(row["province"])
    return {k: tuple(v) for k, v in out.items()}


class Progetto(Brief):
    name = "progetto"
    package = "progetto-imprese-migranti"
    has_map = True
    tables_used = (
        "kpi",
        "alerts",
        "partecipanti-camera-azione-trimestre",
        "partecipanti-azione-sesso-eta",
        "partecipanti-azione-origine-generazione",
        "eventi-camera-azione-trimestre",
        "budget-previsto",
        "budget-impegnato",
        "budget-speso",
        "codici-camera",
        "codici-azione",
        "codici-indicatore",
        "codici-trimestre",
        "codici-sesso",
        "codici-classe-eta",
        "codici-area-origine",
        "codici-voce",
    )
    layout = (
        ("obiettivi", "_targets", ("camera",)),
        ("percorso", "_funnel", ("camera",)),
        ("camere", "_chambers", ("indicatore",)),
        ("mappa-camere", "_chambers_map", ("indicatore",)),
        ("partecipanti-sesso-eta", "_sex_age", ("azione",)),
        ("partecipanti-origine", "_origin", ("azione",)),
        ("eventi", "_events", ("camera", "azione")),
        ("budget", "_budget", ("camera",)),
        ("avvisi", "_alerts", ("camera",)),
    )

    def filters(self, lang: str) -> list[Filter]:
        chambers = self.labels("camera", lang)
        actions = self.labels("azione", lang)
        indicators = self.labels("indicatore", lang)
        return [
            Filter(
                "camera",
                t("chamber", lang),
                tuple(
                    (c, t("all", lang) if c == TOTAL else label) for c, label in chambers.items()
                ),
                TOTAL,
            ),
            Filter(
                "azione",
                t("action", lang),
                tuple((c, t("all", lang) if c == TOTAL else label) for c, label in actions.items()),
                TOTAL,
            ),
            Filter(
                "indicatore",
                t("indicator", lang),
                tuple((c, indicators[c]) for c in INDICATORS),
                INDICATORS[0],
            ),
        ]

    # -- pace --------------------------------------------------------------------------------
    def last_quarter(self) -> str:
        """The last quarter in which any activity was reported."""
        frame = self.frame("partecipanti-camera-azione-trimestre")
        active = frame[(frame["camera"] == TOTAL) & (frame["azione"] == TOTAL)]
        active = active[(active["trimestre"] != TOTAL) & (active["value"].fillna(1) > 0)]
        return str(active["trimestre"].max())

    def expected_share(self) -> float:
        """Percent of the programme calendar elapsed at the end of the last reported quarter."""
        start, end = self.settings.programme or DEFAULT_CALENDAR
        year, quarter = self.last_quarter().split("-Q")
        month = 3 * int(quarter)
        close = date(int(year) + (month == 12), month % 12 + 1, 1)
        elapsed = (close - start).days / max((end - start).days, 1)
        return round(100 * min(max(elapsed, 0.0), 1.0), 1)

    def _kpi(self, chamber: str, indicator: str, measure: str) -> float | None:
        return self.cell("kpi", camera=chamber, indicatore=indicator, misura=measure)

    # -- panels ------------------------------------------------------------------------------
    def _targets(self, state: State) -> Panel:
        lang, chamber = state["lang"], state["camera"]
        names = self.labels("indicatore", lang)
        expected = self.expected_share()
        rows = []
        for code in INDICATORS:
            reached = self._kpi(chamber, code, "raggiunto")
            target = self._kpi(chamber, code, "obiettivo")
            share = None if reached is None or not target else 100 * reached / target
            rows.append(
                {
                    "indicatore": code,
                    "label": names[code],
                    "raggiunto": reached,
                    "obiettivo": target,
                    "value": share,
                    "expected": expected,
                    "shown": (
                        f"{shown(reached, '', lang)} / {shown(target, '', lang)}"
                        f" ({fmt(share, lang)}%)"
                        if share is not None
                        else CONFIDENTIAL[lang]
                    ),
                }
            )
        where = self.labels("camera", lang)[chamber] if chamber != TOTAL else t("all", lang)
        alt = (
            f"{t('targets', lang)} — {where}: "
            + "; ".join(f"{r['label']} {r['shown']}" for r in rows)
            + f". {t('expected_now', lang)}: {fmt(expected, lang, 1)}% ({self.last_quarter()})."
        )
        data = pd.DataFrame(rows)[["indicatore", "raggiunto", "obiettivo", "value", "expected"]]
        data["camera"] = chamber
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="obiettivi",
            title=f"{t('targets', lang)} — {where}",
            data=data,
            alt=alt,
            sources=[self.provenance("kpi", lang)],
            chart=charts.progress(
                rows,
                description=alt,
                expected_title=f"{t('pct_target', lang)} · | {t('expected_now', lang)}",
            ),
            table_columns={"label": t("targets", lang), "shown": t("reached", lang)},
        ).with_table([{"label": r["label"], "shown": r["shown"]} for r in rows])

    def _funnel(self, state: State) -> Panel:
        lang, chamber = state["lang"], state["camera"]
        names = self.labels("indicatore", lang)
        rows = []
        for code in INDICATORS:
            value = self._kpi(chamber, code, "raggiunto")
            rows.append(
                {
                    "indicatore": code,
                    "label": names[code],
                    "value": value,
                    "shown": shown(value, "", lang),
                }
            )
        alt = f"{t('funnel', lang)}: " + " → ".join(f"{r['label']} {r['shown']}" for r in rows)
        data = pd.DataFrame(rows)[["indicatore", "value"]]
        data.insert(0, "camera", chamber)
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="percorso",
            title=t("funnel", lang),
            data=data,
            alt=alt,
            sources=[self.provenance("kpi", lang)],
            chart=charts.bars(rows, value_title=t("reached", lang), description=alt),
            table_columns={"label": t("funnel", lang), "shown": t("reached", lang)},
        ).with_table([{"label": r["label"], "shown": r["shown"]} for r in rows])

    def _chamber_rows(self, state: State) -> list[dict[str, Any]]:
        lang, indicator = state["lang"], state["indicatore"]
        names = self.labels("camera", lang)
        rows = []
        for chamber in (c for c in names if c != TOTAL):
            reached = self._kpi(chamber, indicator, "raggiunto")
            target = self._kpi(chamber, indicator, "obiettivo")
            share = None if reached is None or not target else 100 * reached / target
            rows.append(
                {
                    "camera": chamber,
                    "label": names[chamber],
                    "raggiunto": reached,
                    "obiettivo": target,
                    "value": share,
                    "shown": fmt(share, lang) + "%" if share is not None else CONFIDENTIAL[lang],
                }
            )
        return rows

    def _chambers(self, state: State) -> Panel:
        lang = state["lang"]
        indicator = self.labels("indicatore", lang)[state["indicatore"]]
        rows = sorted(self._chamber_rows(state), key=lambda r: -(r["value"] or -1))
        behind = [r["label"] for r in rows if r["value"] is not None and r["value"] < 100]
        alt = (
            f"{t('chambers', lang)} ({indicator}): "
            + ", ".join(f"{r['label']} {r['shown']}" for r in rows[:3])
            + f"; {len(behind)} < 100%."
        )
        data = pd.DataFrame(rows)[["camera", "raggiunto", "obiettivo", "value"]]
        data.insert(1, "indicatore", state["indicatore"])
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        table = [
            {
                "label": r["label"],
                "reached": shown(r["raggiunto"], "", lang),
                "target": shown(r["obiettivo"], "", lang),
                "shown": r["shown"],
            }
            for r in rows
        ]
        return Panel(
            key="camere",
            title=f"{t('chambers', lang)}: {indicator} ({t('pct_target', lang)})",
            data=data,
            alt=alt,
            sources=[self.provenance("kpi", lang)],
            chart=charts.bars(
                rows, value_title=t("pct_target", lang), description=alt, percent=True
            ),
            table_columns={
                "label": t("chamber", lang),
                "reached": t("reached", lang),
                "target": t("target", lang),
                "shown": t("pct_target", lang),
            },
        ).with_table(table)

    def _chambers_map(self, state: State) -> Panel:
        lang = state["lang"]
        indicator = self.labels("indicatore", lang)[state["indicatore"]]
        provinces = _chamber_provinces(reference_file(self.settings, "camere_province.csv"))
        names = {
            g["properties"]["code"]: g["properties"]["name"]
            for g in self.topology()["objects"]["province"]["geometries"]
        }
        rows = [
            {
                "code": province,
                "camera": r["camera"],
                "label": f"{names.get(province, province)} ({r['label']})",
                "value": r["value"],
                "shown": r["shown"],
            }
            for r in self._chamber_rows(state)
            for province in provinces.get(r["camera"], ())
        ]
        alt = f"{t('chambers_map', lang)} ({indicator}): {len(rows)} " + (
            "province" if lang == "it" else "provinces"
        )
        data = pd.DataFrame(rows)[["code", "camera", "value"]].rename(
            columns={"code": "territorio"}
        )
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="mappa-camere",
            title=f"{t('chambers_map', lang)}: {indicator} ({t('pct_target', lang)})",
            data=data,
            alt=alt,
            sources=[self.provenance("kpi", lang)],
            chart=charts.choropleth(
                self.topology(),
                rows,
                legend_title=t("pct_target", lang),
                description=alt,
                confidential=CONFIDENTIAL[lang],
            ),
            table_columns={"label": t("territory", lang), "shown": t("pct_target", lang)},
        ).with_table([{"label": r["label"], "shown": r["shown"]} for r in rows])

    def _sex_age(self, state: State) -> Panel:
        lang, action = state["lang"], state["azione"]
        sexes = {k: v for k, v in self.labels("sesso", lang).items() if k != TOTAL}
        ages = {k: v for k, v in self.labels("classe-eta", lang).items() if k != TOTAL}
        rows = []
        for age, age_label in ages.items():
            for sex, sex_label in sexes.items():
                value = self.cell(
                    "partecipanti-azione-sesso-eta", azione=action, sesso=sex, classe_eta=age
                )
                rows.append(
                    {
                        "classe_eta": age,
                        "sesso": sex,
                        "label": age_label,
                        "series": sex_label,
                        "value": value,
                        "shown": shown(value, "", lang),
                    }
                )
        alt = f"{t('participants_sex_age', lang)}: " + ", ".join(
            f"{r['label']} {r['series']} {r['shown']}" for r in rows
        )
        data = pd.DataFrame(rows)[["classe_eta", "sesso", "value"]]
        data.insert(0, "azione", action)
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="partecipanti-sesso-eta",
            title=f"{t('participants_sex_age', lang)} — {self._action_label(action, lang)}",
            data=data,
            alt=alt,
            sources=[self.provenance("partecipanti-azione-sesso-eta", lang)],
            chart=charts.grouped_bars(
                [r for r in rows if r["value"] is not None],
                value_title="n.",
                description=alt,
                series_title=t("participants_sex_age", lang).split()[-1],
            ),
            table_columns={"label": "", "series": "", "shown": "n."},
        ).with_table(
            [{"label": r["label"], "series": r["series"], "shown": r["shown"]} for r in rows]
        )

    def _action_label(self, action: str, lang: str) -> str:
        return t("all", lang) if action == TOTAL else self.labels("azione", lang)[action]

    def _origin(self, state: State) -> Panel:
        lang, action = state["lang"], state["azione"]
        names = {k: v for k, v in self.labels("area-origine", lang).items() if k != TOTAL}
        rows = []
        for code, label in names.items():
            value = self.cell(
                "partecipanti-azione-origine-generazione",
                azione=action,
                area_origine=code,
                generazione=TOTAL,
            )
            rows.append(
                {
                    "area_origine": code,
                    "label": label,
                    "value": value,
                    "shown": shown(value, "", lang),
                }
            )
        alt = f"{t('participants_origin', lang)}: " + ", ".join(
            f"{r['label']} {r['shown']}" for r in rows
        )
        data = pd.DataFrame(rows)[["area_origine", "value"]]
        data.insert(0, "azione", action)
        data["generazione"] = TOTAL
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="partecipanti-origine",
            title=f"{t('participants_origin', lang)} — {self._action_label(action, lang)}",
            data=data,
            alt=alt,
            sources=[self.provenance("partecipanti-azione-origine-generazione", lang)],
            chart=charts.bars(rows, value_title="n.", description=alt),
            table_columns={"label": t("participants_origin", lang), "shown": "n."},
        ).with_table([{"label": r["label"], "shown": r["shown"]} for r in rows])

    def _events(self, state: State) -> Panel:
        lang, chamber, action = state["lang"], state["camera"], state["azione"]
        quarters = {k: v for k, v in self.labels("trimestre", lang).items() if k != TOTAL}
        rows = []
        for code, label in quarters.items():
            value = self.cell(
                "eventi-camera-azione-trimestre", camera=chamber, azione=action, trimestre=code
            )
            rows.append(
                {
                    "trimestre": code,
                    "x": code,
                    "series": t("events_n", lang),
                    "label": label,
                    "value": value,
                    "shown": shown(value, "", lang),
                }
            )
        total = self.cell(
            "eventi-camera-azione-trimestre", camera=chamber, azione=action, trimestre=TOTAL
        )
        alt = f"{t('events', lang)}: {shown(total, '', lang)} " + t("events_n", lang)
        data = pd.DataFrame(rows)[["trimestre", "value"]]
        data.insert(0, "azione", action)
        data.insert(0, "camera", chamber)
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="eventi",
            title=f"{t('events', lang)} — {self._action_label(action, lang)}",
            data=data,
            alt=alt,
            sources=[self.provenance("eventi-camera-azione-trimestre", lang)],
            chart=charts.lines(
                [r for r in rows if r["value"] is not None],
                x_title="",
                value_title=t("events_n", lang),
                description=alt,
            ),
            table_columns={"label": "", "shown": t("events_n", lang)},
        ).with_table([{"label": r["label"], "shown": r["shown"]} for r in rows])

    def _budget(self, state: State) -> Panel:
        lang, chamber = state["lang"], state["camera"]
        lines = self.labels("voce", lang)
        rows = []
        for voce, label in lines.items():
            for table, series in SERIES:
                value = self.cell(table, voce=voce, camera=chamber, trimestre=TOTAL)
                it, en = _SERIES_TEXT[series]
                rows.append(
                    {
                        "voce": voce,
                        "misura": series,
                        "label": t("all", lang) if voce == TOTAL else label,
                        "series": en if lang == "en" else it,
                        "value": value,
                        "shown": shown(value, "", lang),
                    }
                )
        totals = [r for r in rows if r["voce"] == TOTAL]
        alt = f"{t('budget', lang)}: " + ", ".join(f"{r['series']} {r['shown']} €" for r in totals)
        data = pd.DataFrame(rows)[["voce", "misura", "value"]]
        data.insert(1, "camera", chamber)
        data["obs_status"] = ["" if r["value"] is not None else "C" for r in rows]
        return Panel(
            key="budget",
            title=f"{t('budget', lang)} ({t('eur', lang)})",
            data=data,
            alt=alt,
            sources=[self.provenance(table, lang) for table, _ in SERIES],
            chart=charts.grouped_bars(
                [r for r in rows if r["value"] is not None],
                value_title=t("eur", lang),
                description=alt,
                series_title="",
            ),
            table_columns={"label": "", "series": "", "shown": t("eur", lang)},
        ).with_table(
            [{"label": r["label"], "series": r["series"], "shown": r["shown"]} for r in rows]
        )

    def _alerts(self, state: State) -> Panel:
        lang, chamber = state["lang"], state["camera"]
        frame = self.frame("alerts")
        if chamber != TOTAL:
            frame = frame[frame["camera"] == chamber]
        names = self.labels("camera", lang)
        reason = "motivo_en" if lang == "en" else "motivo_it"
        rows = "".join(
            f"<tr><td>{html.escape(r['gravita'])}</td>"
            f"<td>{html.escape(names.get(r['camera'], r['camera']))}"
            f"</td><td>{html.escape(r[reason])}</td><td><small>{html.escape(r['celle'])}</small></td></tr>"
            for r in frame.to_dict("records")
        )
        body = (
            '<table class="odata-table odata-alerts"><thead><tr>'
            f'<th scope="col">{t("severity", lang)}</th><th scope="col">{t("chamber", lang)}</th>'
            f'<th scope="col">{t("reason", lang)}</th><th scope="col">{t("rests_on", lang)}</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>"
            if len(frame)
            else f"<p>{t('no_alerts', lang)}</p>"
        )
        return Panel(
            key="avvisi",
            title=t("alerts", lang),
            data=frame.reset_index(drop=True),
            alt=f"{t('alerts', lang)}: {len(frame)}",
            sources=[self.provenance("alerts", lang)],
            body_html=body,
        )
