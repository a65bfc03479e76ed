"""The private manifest: what the generator planted, as ground truth for tests and monitoring.

``manifest.private.json`` sits beside the sources and is never published (it describes the
synthetic truth: which chamber lags on what, which file carries which quirk). It holds counts
and codes only, no personal data. Keys are sorted and nothing depends on the clock, so the
same seed gives the same bytes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from odata.sources.synthetic import calibration as cal
from odata.sources.synthetic.budget import Anomaly
from odata.sources.synthetic.programme import Lag
from odata.sources.synthetic.registers import Registers

__all__ = ["MANIFEST_NAME", "Manifest", "person_totals"]

MANIFEST_NAME = "manifest.private.json"


@dataclass
class Manifest:
    """Collected while generating, written last."""

    seed: int
    scale: float
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    programme: dict[str, Any] = field(default_factory=dict)
    business_register: dict[str, Any] = field(default_factory=dict)

    def add_file(self, path: str, kind: str, rows: int, **details: Any) -> None:
        """Record one written file (path relative to the sources folder)."""
        self.files[path] = {"kind": kind, "rows": rows, **details}

    def write(self, folder: Path) -> Path:
        """Write the manifest into ``folder``; return its path."""
        data = {
            "generator": "odata.sources.synthetic",
            "seed": self.seed,
            "scale": self.scale,
            "files": self.files,
            "programme": self.programme,
            "business_register": self.business_register,
        }
        path = folder / MANIFEST_NAME
        text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
        path.write_text(text + "\n", encoding="utf-8")
        return path


def person_totals(registers: Registers) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Unique persons per action nationally and per chamber, plus business plans and firms
    (person-level flags), counted from what was generated."""
    national: dict[str, set[str]] = defaultdict(set)
    chambers: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for chamber, rows in registers.rows.items():
        for row in rows:
            national[row.action].add(row.person.codice_fiscale)
            chambers[chamber][row.action].add(row.person.codice_fiscale)
            outcome = registers.outcomes.get(row.person.codice_fiscale)
            for flag in ("business_plan", "firm"):
                if outcome is not None and getattr(outcome, flag):
                    national[flag].add(row.person.codice_fiscale)
                    chambers[chamber][flag].add(row.person.codice_fiscale)
    national_counts = {k: len(v) for k, v in sorted(national.items())}
    chamber_counts = {
        c: {k: len(v) for k, v in sorted(actions.items())}
        for c, actions in sorted(chambers.items())
    }
    return national_counts, chamber_counts


def programme_section(
    registers: Registers, lags: tuple[Lag, ...], anomalies: list[Anomaly], budget_cents: int
) -> dict[str, Any]:
    """The programme part of the manifest: totals, lags, budget anomalies."""
    national, chambers = person_totals(registers)
    return {
        "published_results": cal.PUBLISHED_RESULTS,
        "national_persons": national,
        "persons_by_chamber": chambers,
        "persons_in_two_chambers": registers.movers,
        "lags": [
            {
                "chamber": lag.chamber,
                "action": lag.action,
                "expected": lag.expected,
                "planted": lag.planted,
                "ratio_to_expected": lag.ratio_to_target,
                "ratio_to_normal_pace": lag.ratio_to_normal,
            }
            for lag in lags
        ],
        "budget_anomalies": [
            {"chamber": a.chamber, "kind": a.kind, "detail": a.detail} for a in anomalies
        ],
        "budget_planned_total_eur": f"{budget_cents // 100}.{budget_cents % 100:02d}",
        "notes": (
            "expected = the chamber's share of the programme target for the action "
            "(settings.programme.targets x the chamber's weight); planted = unique persons "
            "generated before people moving between chambers."
        ),
    }
