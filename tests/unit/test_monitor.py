"""Monitoring on hand-built protected tables: each alert fires where it should and only there."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from odata.config import Settings, load_settings
from odata.monitor import monitor

CHAMBERS = ("alfa", "beta", "gamma", "delta")
ACTIONS = ("informazione", "orientamento", "formazione", "assistenza")
QUARTERS = ("2022-Q2", "2022-Q3", "2022-Q4")
T = "_T"


def frame(rows: dict[tuple[str, ...], str | None], names: list[str]) -> pd.DataFrame:
    """A published table: ``None`` is a confidential cell."""
    records = [
        {**dict(zip(names, key, strict=True)), "value": "" if v is None else v,
         "obs_status": "C" if v is None else ""}
        for key, v in rows.items()
    ]  # fmt: skip
    return pd.DataFrame(records, columns=[*names, "value", "obs_status"])


def programme(
    persons: dict[tuple[str, str], int | None],
    spent_share: dict[str, float] | None = None,
    over: tuple[str, str] | None = None,
    silent: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Published tables of a 4-chamber programme: 40 persons per chamber and action unless
    ``persons`` says otherwise; 80 % of the budget spent unless ``spent_share`` says so."""
    counts = {(c, a): persons.get((c, a), 40) for c in CHAMBERS for a in ACTIONS}
    participants: dict[tuple[str, ...], str | None] = {}
    for chamber, action in itertools.product((T, *CHAMBERS), (T, *ACTIONS)):
        members = [c for c in CHAMBERS if chamber in (T, c)]
        chosen = [a for a in ACTIONS if action in (T, a)]
        values = [counts[c, a] for c in members for a in chosen]
        hidden = any(v is None for v in values)
        total = sum(v or 0 for v in values)
        participants[chamber, action, T] = None if hidden and chamber != T else str(total)
        for quarter in QUARTERS:
            quiet = chamber == silent
            participants[chamber, action, quarter] = "0" if quiet else str(max(total // 3, 5))
    per_chamber = {(c,): "30" for c in (T, *CHAMBERS)}
    budget = {}
    for name, share in (("previsto", 1.0), ("impegnato", 0.95), ("speso", None)):
        rows: dict[tuple[str, ...], str | None] = {}
        for chamber in (T, *CHAMBERS):
            used = share if share is not None else (spent_share or {}).get(chamber, 0.8)
            rows[T, chamber, T] = f"{300 * used:.2f}"
            for quarter in QUARTERS:
                value = 100 * used
                if name == "speso" and over == (chamber, quarter):
                    value = 99.0  # above the 95 committed
                rows[T, chamber, quarter] = f"{value:.2f}"
        budget[f"budget-{name}"] = frame(rows, ["voce", "camera", "trimestre"])
    events = {
        (c, T, q): "0" if c == silent else "3" for c in (T, *CHAMBERS) for q in (T, *QUARTERS)
    }
    return {
        "partecipanti-camera-azione-trimestre": frame(
            participants, ["camera", "azione", "trimestre"]
        ),
        "business-plan-camera": frame(per_chamber, ["camera"]),
        "imprese-costituite-camera": frame(per_chamber, ["camera"]),
        "eventi-camera-azione-trimestre": frame(events, ["camera", "azione", "trimestre"]),
        **budget,
    }


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(None, environ={})


def codes(tables: dict[str, pd.DataFrame], settings: Settings) -> set[tuple[str, str, str]]:
    alerts = monitor(tables, settings).alerts
    return {(r.codice, r.camera, r.azione) for r in alerts.itertuples()}


def local(found: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    return {a for a in found if a[1] != T}  # national targets are the programme's, not ours


def test_a_steady_programme_raises_no_chamber_alert(settings: Settings) -> None:
    assert local(codes(programme({}), settings)) == set()


def test_behind_pace(settings: Settings) -> None:
    found = codes(programme({("beta", "formazione"): 12}), settings)
    assert local(found) == {("ritardo-azione", "beta", "formazione")}


def test_spend_ahead_of_results_needs_both(settings: Settings) -> None:
    lagging = programme({("beta", "formazione"): 12}, spent_share={"beta": 0.95})
    assert ("spesa-senza-risultati", "beta", T) in codes(lagging, settings)
    steady = programme({}, spent_share={"beta": 0.95})
    assert local(codes(steady, settings)) == set()


def test_underspend_and_spent_above_committed(settings: Settings) -> None:
    tables = programme({}, spent_share={"gamma": 0.4}, over=("delta", "2022-Q3"))
    assert local(codes(tables, settings)) == {
        ("sottoutilizzo", "gamma", T),
        ("spesa-oltre-impegni", "delta", T),
    }


def test_no_data_in_the_last_complete_quarter(settings: Settings) -> None:
    found = codes(programme({}, silent="alfa"), settings)
    assert ("dati-mancanti", "alfa", T) in found


def test_a_confidential_cell_is_said_confidential_not_guessed(settings: Settings) -> None:
    found = local(codes(programme({("gamma", "assistenza"): None}), settings))
    assert found == {("dati-riservati", "gamma", "assistenza")}
    kpi = monitor(programme({("gamma", "informazione"): None}), settings).kpi
    row = kpi[
        (kpi.camera == "gamma") & (kpi.indicatore == "informati") & (kpi.misura == "raggiunto")
    ]
    assert row["obs_status"].tolist() == ["C"] and row["value"].tolist() == [""]


def test_kpi_chamber_targets_add_up_to_the_national_one(settings: Settings) -> None:
    kpi = monitor(programme({}), settings).kpi
    target = kpi[kpi.misura == "obiettivo"].assign(value=lambda f: f.value.astype(int))
    for _, rows in target.groupby("indicatore"):
        national = rows[rows.camera == T]["value"].item()
        assert rows[rows.camera != T]["value"].sum() == national
