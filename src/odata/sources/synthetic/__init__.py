"""Seeded synthetic raw sources: what the chambers and InfoCamere would hand in.

``generate()`` writes, under one folder, every raw source of docs/sources.md: a participant
register and an events list per programme chamber (in the chambers' own dialects and habits),
the budget ledger, the business-register extract (firms and owners, calibrated on published
figures, see docs/calibration.md), the sources manifest ``sources.toml`` and the private
``manifest.private.json`` of what was planted. Same seed and scale, same bytes.

Only the business register grows with ``scale`` (10,000 firms per unit; 600 ≈ the national
register); the programme has the first edition's real size whatever the scale.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from odata.config import Settings, load_settings
from odata.sources.synthetic import calibration as cal
from odata.sources.synthetic.budget import BudgetRow, build_budget
from odata.sources.synthetic.business_register import write_business_register
from odata.sources.synthetic.manifest import Manifest, programme_section
from odata.sources.synthetic.programme import plan_programme
from odata.sources.synthetic.register_files import (
    QUIRKS,
    ChamberFormat,
    assign_formats,
    write_events,
    write_register,
)
from odata.sources.synthetic.registers import Registers, build_registers
from odata.sources.synthetic.writers import DIALECTS, source_entry, write_csv, write_sources_toml

__all__ = ["BUDGET_COLUMNS", "SOURCES_TOML", "generate"]

log = logging.getLogger(__name__)

SOURCES_TOML = "sources.toml"
BUDGET_COLUMNS = ("voce", "camera", "trimestre", "previsto", "impegnato", "speso")
_BUDGET_DIALECT = DIALECTS["excel-it-utf8"]
_REGISTER_DIALECT = DIALECTS["export-utf8"]  # InfoCamere extracts: ISO dates, decimal point


def generate(
    out: Path,
    *,
    seed: int = 1,
    scale: float = 1.0,
    settings: Settings | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write every raw source under ``out`` (see docs/sources.md); return row counts per file.

    ``out`` is created if missing; files of an earlier generation are overwritten (and a
    chamber's register in the other format removed), so the folder always matches the seed.
    ``progress`` is called with a file's path and the rows just written.

    Raises:
        ValueError: ``seed`` is negative or ``scale`` is not positive.
        ConfigError: ``settings`` is None and the configuration cannot be read.
    """
    if seed < 0 or not scale > 0:
        raise ValueError("seed must be ≥ 0 and scale > 0")
    settings = settings or load_settings()
    out.mkdir(parents=True, exist_ok=True)
    when = dt.datetime.combine(settings.programme.end, dt.time(18, 0))
    manifest = Manifest(seed=seed, scale=scale)
    counts: dict[str, int] = {}
    entries: list[dict[str, str]] = []

    def record(path: str, kind: str, rows: int, entry: dict[str, str], **details: object) -> None:
        counts[path] = rows
        entries.append(entry)
        manifest.add_file(path, kind, rows, **details)
        if progress:
            progress(path, rows)

    plan = plan_programme(seed, settings)
    registers = build_registers(seed, plan, settings)
    formats = assign_formats(seed, [c.code for c in plan.chambers])
    for chamber in plan.chambers:
        _write_chamber(out, chamber.code, registers, formats[chamber.code], seed, when, record)
    rows, anomalies = build_budget(seed, plan, registers, settings)
    written = write_csv(out / "budget.csv", BUDGET_COLUMNS, _budget_cells(rows), _BUDGET_DIALECT)
    record("budget.csv", "budget", written, source_entry("budget", "budget.csv", _BUDGET_DIALECT),
           dialect=_BUDGET_DIALECT.name, quirks=[])  # fmt: skip
    register = write_business_register(out / "registro-imprese", seed=seed, scale=scale,
                                       progress=progress)  # fmt: skip
    for name, rows_written in (("imprese", register.firms), ("titolari", register.owners)):
        path = f"registro-imprese/{name}.csv"
        counts[path] = rows_written
        entries.append(source_entry(name, path, _REGISTER_DIALECT))
        manifest.add_file(path, name, rows_written, dialect=_REGISTER_DIALECT.name, quirks=[])
    write_sources_toml(out / SOURCES_TOML, entries)
    planned = sum(r.planned for r in rows)
    manifest.programme = programme_section(registers, plan.lags, anomalies, planned)
    manifest.business_register = _register_section(register.stock_by_group)
    manifest.write(out)
    log.info("sources · generate · %d files, seed %d, scale %g", len(counts), seed, scale)
    return counts


def _write_chamber(
    out: Path,
    chamber: str,
    registers: Registers,
    fmt: ChamberFormat,
    seed: int,
    when: dt.datetime,
    record: Callable[..., None],
) -> None:
    """A chamber's register and events list, recorded in both manifests."""
    extension = fmt.dialect.format
    register_path = f"registri/{chamber}.{extension}"
    for stale in ("csv", "xlsx"):
        if stale != extension:
            (out / f"registri/{chamber}.{stale}").unlink(missing_ok=True)
    rows = write_register(out / register_path, registers.rows[chamber], registers.outcomes, fmt,
                          seed=seed, when=when)  # fmt: skip
    quirks = {q: QUIRKS[q] for q in fmt.quirks}
    record(register_path, "registro", rows,
           source_entry("registro", register_path, fmt.dialect, chamber),
           chamber=chamber, dialect=fmt.dialect.name, quirks=sorted(quirks))  # fmt: skip
    events_path = f"eventi/{chamber}.csv"
    rows = write_events(out / events_path, registers.events[chamber], fmt)
    event_quirks = sorted(q for q in quirks if q.startswith("action-labels"))
    record(events_path, "eventi", rows,
           source_entry("eventi", events_path, fmt.events_dialect, chamber),
           chamber=chamber, dialect=fmt.events_dialect.name, quirks=event_quirks)  # fmt: skip


def _budget_cells(rows: list[BudgetRow]) -> list[list[str | None]]:
    money = _BUDGET_DIALECT.money
    return [
        [r.line, r.chamber or None, r.quarter, money(r.planned), money(r.committed), money(r.spent)]
        for r in rows
    ]


def _register_section(stock: dict[str, int]) -> dict[str, object]:
    total = sum(stock.values())
    return {
        "calibration_date": cal.CALIBRATION_DATE.isoformat(),
        "extract_window": [cal.EXTRACT_START.isoformat(), cal.EXTRACT_END.isoformat()],
        "registered_on_calibration_date": stock,
        "migrant_share_on_calibration_date": round(stock["migrant"] / total, 4) if total else 0,
        "target_migrant_share": cal.FOREIGN_SHARE[cal.CALIBRATION_DATE.year],
    }
