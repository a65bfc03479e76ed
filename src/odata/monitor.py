"""Monitoring for the Cabina di Regia: KPIs against the targets, and alerts, from protected cells.

Everything here reads the **published** tables of ``progetto-imprese-migranti`` (after
suppression): a confidential cell stays unknown, so an alert resting on one says the data are
confidential instead of guessing. Nothing reads a register.

* **KPI** (``kpi``): for each target (informed, oriented, trained, business plans, firms
  created) and chamber, ``raggiunto`` (persons reached: the published cell, or confidential)
  and ``obiettivo`` (the programme's target; for a chamber, its expected share of it, see
  below). Years and quarters do not enter: the programme's calendar is its own alert.
* **A chamber's expected share**: the median, over the programme's large actions (at least
  ten persons per chamber nationally), of the chamber's share of each action's persons. A
  chamber lagging on one action keeps its usual share on the others, so the median is robust
  to the lag it must reveal.
* **Alerts** (``alerts``), each with a code, a severity, the chamber and action, a reason in
  Italian and English, and the cells it rests on:

  - ``ritardo-azione``: a chamber reached less than :data:`LAG_RATIO` of its expected share
    of an action's persons (expected at least :data:`MIN_EXPECTED`); ``dati-riservati``
    instead when that cell is confidential although at least :data:`CONFIDENTIAL_EXPECTED`
    persons were expected;
  - ``obiettivo-nazionale``: a national target not reached at the pace of the calendar;
  - ``spesa-senza-risultati``: a chamber spent at least :data:`SPEND_AHEAD` of its planned
    budget while lagging on an action;
  - ``sottoutilizzo``: a chamber spent less than :data:`UNDERSPEND` of its planned budget by
    the end of the programme;
  - ``spesa-oltre-impegni``: in some quarter a chamber spent more than it had committed;
  - ``dati-mancanti``: a chamber reported neither events nor participants in the last
    complete quarter before the reference date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from odata.anonymize.model import CONFIDENTIAL, TOTAL, Dimension, TableSpec
from odata.config import Settings

__all__ = ["ALERTS", "ALERTS_SCHEMA", "INDICATORS", "KPI_SPEC", "PROGETTO", "Monitoring", "monitor"]

PROGETTO = "progetto-imprese-migranti"
ALERTS = "alerts"

#: The KPI table: a statistical table like the others (audited), its cells copied from the
#: protected tables. A magnitude for the audit: a chamber's share of a target may be 1 to 4
#: and is no count of persons; the persons it reports are published cells already.
KPI_SPEC = TableSpec(
    name="kpi",
    package=PROGETTO,
    kind="magnitude",
    population="kpi",
    dimensions=(
        Dimension("camera"),
        Dimension("indicatore", additive=False, total=False),
        Dimension("misura", additive=False, total=False),
    ),
    title_it="Avanzamento verso gli obiettivi del programma, per camera di commercio",
    title_en="Progress towards the programme's targets, by chamber of commerce",
    question_it=(
        "Quanto manca a ogni obiettivo (informati, orientati, formati, business plan, imprese "
        "costituite), in Italia e per camera? raggiunto: persone raggiunte (cella delle tabelle "
        "protette, riservata se lo è là); obiettivo: l'obiettivo del programma e, per una "
        "camera, la sua quota attesa (la quota mediana della camera sulle azioni principali)."
    ),
    question_en=(
        "How far is each target (informed, oriented, trained, business plans, firms created), "
        "in Italy and by chamber? raggiunto: persons reached (the cell of the protected tables, "
        "confidential where it is there); obiettivo: the programme's target and, for a chamber, "
        "its expected share (the chamber's median share of the main actions)."
    ),
)

CODES = (
    "ritardo-azione",
    "dati-riservati",
    "obiettivo-nazionale",
    "spesa-senza-risultati",
    "sottoutilizzo",
    "spesa-oltre-impegni",
    "dati-mancanti",
)


def _text_field(name: str, it: str, en: str, **constraints: object) -> dict[str, object]:
    return {
        "name": name,
        "type": "string",
        "title": it,
        "title_translated": {"it": it, "en": en},
        "constraints": {"required": True, **constraints},
    }


#: Table Schema of the alerts (plain text resting on published cells).
ALERTS_SCHEMA: dict[str, object] = {
    "missingValues": [""],
    "fields": [
        _text_field("codice", "Codice dell'allerta", "Alert code", enum=list(CODES)),
        _text_field("gravita", "Gravità", "Severity", enum=["alta", "media", "info"]),
        _text_field("camera", "Camera di commercio (_T: il programma)", "Chamber (_T: all)"),
        _text_field("azione", "Azione (_T: tutte o nessuna)", "Action (_T: all or none)"),
        _text_field("motivo_it", "Motivo", "Reason (Italian)"),
        _text_field("motivo_en", "Motivo (inglese)", "Reason"),
        _text_field("celle", "Celle su cui si basa", "Cells it rests on"),
    ],
    "foreignKeys": [
        {"fields": ["camera"], "reference": {"resource": "codici-camera", "fields": ["code"]}},
        {"fields": ["azione"], "reference": {"resource": "codici-azione", "fields": ["code"]}},
    ],
}

LAG_RATIO = 0.65
MIN_EXPECTED = 3.0
CONFIDENTIAL_EXPECTED = 10.0
SPEND_AHEAD = 0.9
UNDERSPEND = 0.6
NO_CHAMBER = "_Z"

#: Target -> (table, its action code or None, Italian label, English label).
INDICATORS: Mapping[str, tuple[str, str | None]] = {
    "informati": ("partecipanti-camera-azione-trimestre", "informazione"),
    "orientati": ("partecipanti-camera-azione-trimestre", "orientamento"),
    "formati": ("partecipanti-camera-azione-trimestre", "formazione"),
    "business-plan": ("business-plan-camera", None),
    "imprese": ("imprese-costituite-camera", None),
}
_TARGET_OF = {
    "informati": "informed",
    "orientati": "oriented",
    "formati": "trained",
    "business-plan": "business_plans",
    "imprese": "firms",
}
_PARTICIPANTS = "partecipanti-camera-azione-trimestre"


@dataclass(frozen=True)
class Monitoring:
    """The two published tables (long format, codes as text)."""

    kpi: pd.DataFrame
    alerts: pd.DataFrame


def monitor(published: Mapping[str, pd.DataFrame], settings: Settings) -> Monitoring:
    """KPIs and alerts from the protected tables of ``progetto-imprese-migranti``."""
    cells = _Cells(published)
    chambers = [c for c in cells.codes(_PARTICIPANTS, "camera") if c not in (TOTAL, NO_CHAMBER)]
    actions = [a for a in cells.codes(_PARTICIPANTS, "azione") if a != TOTAL]
    share = _expected_shares(cells, chambers, actions)
    kpi = _kpi(cells, chambers, share, settings)
    alerts: list[dict[str, str]] = []
    lagging = _lags(cells, chambers, actions, share, alerts)
    _national(kpi, settings, cells, alerts)
    _budget(cells, chambers, lagging, alerts)
    _freshness(cells, chambers, settings, alerts)
    frame = pd.DataFrame(alerts, columns=list(_ALERT_COLUMNS))
    rank = frame["gravita"].map({"alta": 0, "media": 1, "info": 2})
    frame = frame.assign(_rank=rank).sort_values(["_rank", "camera", "codice", "azione"])
    frame = frame.drop(columns="_rank")
    return Monitoring(kpi=kpi, alerts=frame.reset_index(drop=True))


_ALERT_COLUMNS = ("codice", "gravita", "camera", "azione", "motivo_it", "motivo_en", "celle")


class _Cells:
    """Published cells by table and coordinates: a number, or None when confidential."""

    def __init__(self, published: Mapping[str, pd.DataFrame]) -> None:
        self.tables = published

    def codes(self, table: str, dimension: str) -> list[str]:
        return list(dict.fromkeys(self.tables[table][dimension].astype(str)))

    def get(self, table: str, **coords: str) -> float | None:
        frame = self.tables[table]
        mask = np.ones(len(frame), dtype=bool)
        for name in frame.columns:
            if name in ("value", "obs_status"):
                continue
            mask &= frame[name].astype(str).to_numpy() == coords.get(name, TOTAL)
        row = frame[mask]
        if len(row) != 1:
            raise KeyError(f"{table} {coords}")
        if str(row["obs_status"].iloc[0]) == CONFIDENTIAL:
            return None
        return float(row["value"].iloc[0])


def _ref(table: str, **coords: str) -> str:
    inside = ",".join(f"{k}={v}" for k, v in sorted(coords.items()))
    return f"{table}[{inside}]"


def _expected_shares(cells: _Cells, chambers: list[str], actions: list[str]) -> dict[str, float]:
    """Each chamber's median share of the large actions' persons (see the module docstring)."""
    large = []
    for action in actions:
        total = cells.get(_PARTICIPANTS, azione=action)
        if total is not None and total >= 10 * len(chambers):
            large.append((action, total))
    shares: dict[str, float] = {}
    for chamber in chambers:
        seen = [
            value / total
            for action, total in large
            if (value := cells.get(_PARTICIPANTS, camera=chamber, azione=action)) is not None
        ]
        shares[chamber] = float(np.median(seen)) if seen else 1.0 / len(chambers)
    norm = sum(shares.values())
    return {c: s / norm for c, s in shares.items()}


def _kpi(
    cells: _Cells, chambers: list[str], share: Mapping[str, float], settings: Settings
) -> pd.DataFrame:
    rows = []
    for indicator, (table, action) in INDICATORS.items():
        target = int(getattr(settings.programme.targets, _TARGET_OF[indicator]))
        split = _largest_remainder(target, [share[c] for c in chambers])
        coords = {"azione": action} if action else {}
        for chamber, expected in zip([TOTAL, *chambers], [target, *split], strict=True):
            reached = cells.get(table, camera=chamber, **coords)
            rows.append(
                (chamber, indicator, "raggiunto", "" if reached is None else str(int(reached)))
            )
            rows.append((chamber, indicator, "obiettivo", str(int(expected))))
    frame = pd.DataFrame(rows, columns=["camera", "indicatore", "misura", "value"])
    frame["obs_status"] = np.where(frame["value"] == "", CONFIDENTIAL, "")
    return frame


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to ``weights`` that sum to ``total`` exactly."""
    raw = np.array(weights) / sum(weights) * total
    out = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - out), kind="stable")[: total - int(out.sum())]:
        out[i] += 1
    return [int(x) for x in out]


def _alert(
    alerts: list[dict[str, str]],
    code: str,
    severity: str,
    chamber: str,
    action: str,
    reason: tuple[str, str],
    refs: list[str],
) -> None:
    alerts.append(
        {
            "codice": code,
            "gravita": severity,
            "camera": chamber,
            "azione": action,
            "motivo_it": reason[0],
            "motivo_en": reason[1],
            "celle": "; ".join(refs),
        }
    )


def _lags(
    cells: _Cells,
    chambers: list[str],
    actions: list[str],
    share: Mapping[str, float],
    alerts: list[dict[str, str]],
) -> set[str]:
    lagging: set[str] = set()
    for action in actions:
        national = cells.get(_PARTICIPANTS, azione=action)
        if not national:
            continue
        for chamber in chambers:
            expected = share[chamber] * national
            reached = cells.get(_PARTICIPANTS, camera=chamber, azione=action)
            refs = [
                _ref(_PARTICIPANTS, camera=chamber, azione=action, trimestre=TOTAL),
                _ref(_PARTICIPANTS, camera=TOTAL, azione=action, trimestre=TOTAL),
            ]
            if reached is None:
                if expected >= CONFIDENTIAL_EXPECTED:
                    _alert(alerts, "dati-riservati", "info", chamber, action, (
                        f"Attesi circa {expected:.0f} partecipanti, ma il dato è riservato: "
                        "non è possibile valutare il ritardo.",
                        f"About {expected:.0f} participants expected, but the figure is "
                        "confidential: the lag cannot be assessed.",
                    ), refs)  # fmt: skip
                continue
            if expected >= MIN_EXPECTED and reached < LAG_RATIO * expected:
                lagging.add(chamber)
                _alert(alerts, "ritardo-azione", "alta", chamber, action, (
                    f"Raggiunte {reached:.0f} persone contro circa {expected:.0f} attese "
                    f"({reached / expected:.0%}) in base alla quota abituale della camera.",
                    f"Reached {reached:.0f} persons against about {expected:.0f} expected "
                    f"({reached / expected:.0%}) from the chamber's usual share.",
                ), refs)  # fmt: skip
    return lagging


def _national(
    kpi: pd.DataFrame, settings: Settings, cells: _Cells, alerts: list[dict[str, str]]
) -> None:
    start, end = settings.programme.start, settings.programme.end
    quarters = [q for q in cells.codes(_PARTICIPANTS, "trimestre") if q != TOTAL]
    reference = min(end, _quarter_end(quarters[-1])) if quarters else end
    elapsed = min(1.0, max(0.0, (reference - start).days / max(1, (end - start).days)))
    national = kpi[kpi["camera"] == TOTAL].pivot(
        index="indicatore", columns="misura", values="value"
    )
    for indicator, (table, action) in INDICATORS.items():
        reached_text = national.loc[indicator, "raggiunto"]
        if reached_text == "":
            continue
        reached, target = float(reached_text), float(national.loc[indicator, "obiettivo"])
        due = target * elapsed
        if reached < due:
            coords = {"azione": action} if action else {}
            _alert(alerts, "obiettivo-nazionale", "media", TOTAL, action or TOTAL, (
                f"{reached:.0f} su un obiettivo di {target:.0f} ({reached / target:.0%}); "
                f"al {reference:%d/%m/%Y} ne erano attesi {due:.0f}.",
                f"{reached:.0f} of a target of {target:.0f} ({reached / target:.0%}); "
                f"{due:.0f} were due by {reference:%Y-%m-%d}.",
            ), [_ref(table, camera=TOTAL, **coords)])  # fmt: skip


def _quarter_end(quarter: str) -> dt.date:
    year, q = quarter.split("-Q")
    month = 3 * int(q)
    return dt.date(int(year) + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def _budget(
    cells: _Cells, chambers: list[str], lagging: set[str], alerts: list[dict[str, str]]
) -> None:
    if "budget-speso" not in cells.tables:
        return
    quarters = [q for q in cells.codes("budget-speso", "trimestre") if q != TOTAL]
    for chamber in chambers:
        planned = cells.get("budget-previsto", camera=chamber) or 0.0
        spent = cells.get("budget-speso", camera=chamber) or 0.0
        refs = [_ref("budget-speso", camera=chamber), _ref("budget-previsto", camera=chamber)]
        ratio = spent / planned if planned else 0.0
        if planned and ratio < UNDERSPEND:
            _alert(alerts, "sottoutilizzo", "media", chamber, TOTAL, (
                f"Spesa pari al {ratio:.0%} del budget previsto.",
                f"Spent {ratio:.0%} of the planned budget.",
            ), refs)  # fmt: skip
        if planned and ratio >= SPEND_AHEAD and chamber in lagging:
            _alert(alerts, "spesa-senza-risultati", "alta", chamber, TOTAL, (
                f"Spesa pari al {ratio:.0%} del budget previsto, ma la camera è in ritardo "
                "su almeno un'azione.",
                f"Spent {ratio:.0%} of the planned budget while behind on at least one action.",
            ), refs)  # fmt: skip
        over = [
            q
            for q in quarters
            if (cells.get("budget-speso", camera=chamber, trimestre=q) or 0.0)
            > (cells.get("budget-impegnato", camera=chamber, trimestre=q) or 0.0) + 0.005
        ]
        if over:
            _alert(alerts, "spesa-oltre-impegni", "alta", chamber, TOTAL, (
                f"Speso più dell'impegnato nel trimestre {', '.join(over)}.",
                f"Spent more than committed in {', '.join(over)}.",
            ), [_ref("budget-speso", camera=chamber, trimestre=q) for q in over]
               + [_ref("budget-impegnato", camera=chamber, trimestre=q) for q in over])  # fmt: skip


def _freshness(
    cells: _Cells, chambers: list[str], settings: Settings, alerts: list[dict[str, str]]
) -> None:
    quarters = [q for q in cells.codes(_PARTICIPANTS, "trimestre") if q != TOTAL]
    complete = [q for q in quarters if _quarter_end(q) <= settings.programme.end]
    if not complete:
        return
    last = complete[-1]
    events = "eventi-camera-azione-trimestre"
    for chamber in chambers:
        people = cells.get(_PARTICIPANTS, camera=chamber, trimestre=last)
        held = cells.get(events, camera=chamber, trimestre=last) if events in cells.tables else 0
        if people == 0 and held == 0:
            _alert(alerts, "dati-mancanti", "media", chamber, TOTAL, (
                f"Nessun evento e nessun partecipante comunicati per il trimestre {last}.",
                f"No events and no participants reported for {last}.",
            ), [_ref(_PARTICIPANTS, camera=chamber, trimestre=last)])  # fmt: skip
