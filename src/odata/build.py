"""``odata build``: raw sources → protected tables → a release folder, audited and scanned.

The flow, all or nothing:

1. refuse at once if ``build/releases/<id>`` exists (releases are never overwritten);
2. read the sources manifest and :func:`~odata.ingest.ingest` every source (an unreadable file
   or a bad value stops here, before anything is written);
3. load the pseudonym key, aggregate the populations (:mod:`odata.anonymize.tables`) and
   protect them (:func:`odata.anonymize.suppress.protect`);
4. write each package into ``build/releases/.tmp-<id>/<package>/``: ``data/<table>.csv``
   (UTF-8, comma, long format) and a minimal ``datapackage.json`` with the ``x-odata`` specs;
5. audit the written files (:func:`~odata.anonymize.audit.audit_release`), joined with the
   previous release, and write each package's disclosure note and public audit summary;
   then the ``cassetto-digitale`` package (:func:`~odata.cassetto.write_cassetto`: every
   guide as HTML and as the PDF Chromium prints from it);
6. scan every written file for personal data (:func:`~odata.anonymize.pii.scan_paths`; a
   PDF's text is read with pypdf);
7. only when the audit passed and the scan is clean, rename the temporary folder to
   ``build/releases/<id>`` (one atomic rename); otherwise remove it and raise
   :class:`~odata.errors.DisclosureError`.

The private build report (information loss per table, every audit interval, timings) goes to
``<state>/reports/<id>/build-report.json``, owner-only, never into a release. The same sources,
configuration and code give byte-identical release files: no timestamp, no random order.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from odata.anonymize.audit import AuditResult, audit_release, private_report, summary
from odata.anonymize.model import CONFIDENTIAL, TOTAL, TableSpec, read_specs, write_specs
from odata.anonymize.pii import KnownPII, scan_paths
from odata.anonymize.pseudonym import load_key
from odata.anonymize.tables import Aggregate, Link, TableSet, build_tables, margins, sorted_table
from odata.cassetto import write_cassetto
from odata.config import Settings
from odata.errors import ConfigError, DataError, DisclosureError, Problem, display_path
from odata.ingest import ingest
from odata.monitor import ALERTS, ALERTS_SCHEMA, KPI_SPEC, PROGETTO, monitor
from odata.sources.manifest import load_manifest

__all__ = [
    "AUDIT_SUMMARY",
    "DISCLOSURE_NOTE",
    "BuildResult",
    "audit_command",
    "build_release",
    "previous_release",
    "releases_dir",
    "resolve_release",
]

log = logging.getLogger(__name__)

DISCLOSURE_NOTE = "disclosure-note.md"
AUDIT_SUMMARY = "audit-summary.json"
REPORT = "build-report.json"
_TEMP_PREFIX = ".tmp-"
_LINK_ROUNDS = 4  # protect again while a shared cell is hidden in one population only

#: A cell under the linking rule: population and its non-``_T`` coordinates.
CellKey = tuple[str, tuple[tuple[str, str], ...]]
_RELEASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    """What ``odata build`` made: the release folder and public figures about it.

    ``rows`` and ``suppressed`` are per table (``<package>/<table>``); ``report`` is the
    private build report, which is never published; ``loss`` its information-loss figures
    per table (for the operator's console only).
    """

    release: str
    path: Path
    packages: tuple[str, ...]
    rows: Mapping[str, int]
    suppressed: Mapping[str, int]
    audit: AuditResult
    previous: Path | None
    report: Path
    seconds: Mapping[str, float] = field(default_factory=dict)
    loss: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


def releases_dir(settings: Settings) -> Path:
    """``<build>/releases``, where every release is kept."""
    return settings.path("build") / "releases"


def resolve_release(settings: Settings, id_or_path: str | Path) -> Path:
    """The folder of a release given its id (a folder of ``build/releases``) or its path.

    Raises:
        ConfigError: neither a release id nor a folder holding a release.
    """
    text = str(id_or_path)
    folder = releases_dir(settings)
    if _RELEASE_ID.fullmatch(text) and _is_release(folder / text):
        return (folder / text).resolve()
    path = Path(id_or_path)
    if _is_release(path):
        return path.resolve()
    known = ", ".join(_release_names(folder)) or "none yet"
    raise ConfigError(
        f"no release {text!r}: not a release id nor a release folder",
        file=display_path(folder),
        hint=f"releases in {display_path(folder)}: {known}; `odata build` makes one",
    )


def release_packages(settings: Settings, target: str | Path) -> list[Path] | None:
    """The package descriptors of the release ``target`` names (an id or a release folder),
    or None when ``target`` is not a release (the one resolver every command shares)."""
    try:
        folder = resolve_release(settings, target)
    except ConfigError:
        return None
    return sorted(folder.glob("*/datapackage.json"))


def previous_release(settings: Settings, release: str) -> Path | None:
    """The latest release before ``release`` in name order (its audit's default previous)."""
    earlier = [name for name in _release_names(releases_dir(settings)) if name < release]
    return releases_dir(settings) / earlier[-1] if earlier else None


def audit_command(
    settings: Settings,
    release: str | Path,
    previous: str | Path | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> AuditResult:
    """Audit a built release (id or path) against ``previous`` (default: the latest earlier
    release, if any).

    Raises:
        ConfigError: a release cannot be found.
        SourceError, DataError: a release cannot be read as published tables.
    """
    path = resolve_release(settings, release)
    if previous is not None:
        before: Path | None = resolve_release(settings, previous)
    else:
        before = previous_release(settings, path.name)
    if before is not None and before.resolve() == path:
        before = None
    return _audit(settings, path, before, progress)


def build_release(
    settings: Settings,
    *,
    manifest: Path | None = None,
    previous: str | Path | None = None,
    create_key: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Build release ``settings.release.id`` from the sources (see the module docstring).

    ``manifest`` defaults to ``<sources>/sources.toml``; ``previous`` (an id or a path) to the
    latest earlier release; ``create_key`` lets the demo create a throwaway pseudonym key.
    ``progress`` is called with the name of each stage as it starts.

    Raises:
        ConfigError: the release already exists, its id is not a plain name, the manifest or
            the pseudonym key is missing or invalid.
        SourceError: a source file cannot be read (nothing is written).
        DataError: a source holds bad values, or a table would exceed the row limit.
        DisclosureError: the audit found an unsafe cell or the scan found personal data
            (the temporary folder is removed; the private report says which cells).
    """
    release = settings.release.id
    folder = releases_dir(settings)
    final = folder / release
    _check_new(release, final)
    before = resolve_release(settings, previous) if previous is not None else None
    before = before or previous_release(settings, release)
    clock = _Clock(progress)

    key = load_key(settings, create=create_key)  # a missing key fails before any work
    clock.stage("ingest")
    manifest = manifest or settings.path("sources") / "sources.toml"
    sources = ingest(load_manifest(manifest), settings=settings)
    known = KnownPII.from_registers(
        t for name, t in sorted(sources.items()) if name.startswith("registro/")
    )
    clock.stage("tables")
    tableset = build_tables(sources, key=key, settings=settings)
    del key, sources  # from here on, only aggregates (and digests of the registers' PII)
    _check_rows(tableset, settings.limits.max_table_rows)
    clock.stage("protect")
    published, loss = _protect(tableset, settings, before)
    link_problems = _check_links(tableset.links, tableset, published)
    if link_problems:
        raise DisclosureError(
            "cells that two populations share were not protected alike",
            problems=link_problems,
            hint="a bug in the table definitions or the suppression: please report it",
        )

    clock.stage("monitor")
    monitoring = monitor(published, settings)
    published["kpi"] = monitoring.kpi
    extra = {PROGETTO: [KPI_SPEC]}

    clock.stage("write")
    temp = folder / f"{_TEMP_PREFIX}{release}"
    if temp.exists():
        log.warning("removing %s left by an interrupted build", display_path(temp))
        shutil.rmtree(temp)
    temp.mkdir(parents=True)
    try:
        rows, suppressed = _write_packages(temp, tableset, published, extra)
        _write_alerts(temp / PROGETTO, monitoring.alerts)
        clock.stage("audit")
        result = _audit(settings, temp, before, None)
        result.release = release
        _write_notes(temp, tableset, result, suppressed, settings, before)
        _complete_packages(temp, tableset, settings, extra)
        clock.stage("cassetto")
        write_cassetto(temp, settings)  # the guides as HTML and PDF (one Chromium prints all)
        clock.stage("scan")
        hits = scan_paths([temp], known, allow=[settings.publisher.email])
        report = _write_report(
            settings, release, before, rows, suppressed, loss, result, hits, clock
        )
        if not result.passed:
            raise DisclosureError(
                f"the disclosure audit failed ({_failures(result)})",
                hint=f"nothing was published; the private report is {display_path(report)}",
            )
        if hits:
            raise DisclosureError(
                f"personal data found in {len(hits)} places of the release",
                problems=hits,
                hint="nothing was published; find what copied source values into the output",
            )
        _publish(temp, final)
    finally:
        if temp.exists():
            shutil.rmtree(temp)
    log.info(
        "build · %s · %d tables · %d suppressed cells", release, len(rows), sum(suppressed.values())
    )
    return BuildResult(
        release=release,
        path=final,
        packages=tuple(sorted({a.package for a in tableset.aggregates})),
        rows=rows,
        suppressed=suppressed,
        audit=result,
        previous=before,
        report=report,
        seconds=dict(clock.seconds),
        loss=loss.get("per_table", {}),
    )


# --- steps ------------------------------------------------------------------------------


class _Clock:
    """Stage timings, and the progress callback."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}
        self._stage: str | None = None
        self._start = time.perf_counter()

    def stage(self, name: str) -> None:
        self.stop()
        self._stage = name
        self._start = time.perf_counter()
        if self.progress:
            self.progress(name)

    def stop(self) -> None:
        if self._stage is not None:
            self.seconds[self._stage] = round(time.perf_counter() - self._start, 3)
            self._stage = None


def _check_new(release: str, final: Path) -> None:
    if not _RELEASE_ID.fullmatch(release):
        raise ConfigError(
            f"release id {release!r} is not a plain name",
            column="release.id",
            hint="use letters, digits, '.', '_' and '-' (e.g. 2026-q3)",
        )
    if final.exists():
        raise ConfigError(
            f"release {release} already exists; releases are never overwritten",
            file=display_path(final),
            hint="set a new release id ([release] id in odata.toml or ODATA_RELEASE)",
        )


def _release_names(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".") and _is_release(p))


def _is_release(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*/datapackage.json"))


def _audit(
    settings: Settings, path: Path, previous: Path | None, progress: Callable[[int], None] | None
) -> AuditResult:
    disclosure = settings.disclosure
    return audit_release(
        path,
        previous=previous,
        min_width=disclosure.audit_min_width,
        thresholds={"persons": disclosure.person_threshold, "firms": disclosure.firm_threshold},
        count_floor=1,  # zeros are never suppressed, so the attacker knows a C count is ≥ 1
        progress=progress,
    )


def _failures(result: AuditResult) -> str:
    """The audit's failure counts in words (counts only: no cell, no interval)."""
    skip = {"cells", "suppressed", "min_width"}
    counts = [
        f"{key.replace('_', ' ')}: {value}"
        for key, value in summary(result).items()
        if key not in skip and isinstance(value, int) and not isinstance(value, bool) and value
    ]
    return "; ".join(counts) or "see the private report"


def _check_rows(tableset: TableSet, limit: int) -> None:
    """Every table fits the row budget (computed from its codes, before any work)."""
    problems = []
    for aggregate in tableset.aggregates:
        for spec in aggregate.tables:
            rows = 1
            for dim in spec.dimensions:
                inner = aggregate.dimension(dim.name)
                rows *= (
                    len(dim.hierarchy) + 1 if inner.hierarchy else len(aggregate.codes[dim.name])
                )
            if rows > limit:
                problems.append(
                    Problem(
                        "too-many-rows", f"table {spec.name} would have {rows} rows, above {limit}"
                    )
                )
    if problems:
        raise DataError(
            "some tables exceed the row budget (limits.max_table_rows)",
            problems=problems,
            hint="split the table or publish a coarser level",
        )


def _protect(
    tableset: TableSet, settings: Settings, previous: Path | None
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Every published table (dimension columns, ``value``, ``obs_status``) by table name,
    and the suppression report (private). Populations not under disclosure control are
    published as computed.

    Cells that two populations share are *forced* (published unless that would expose a
    primary), so both populations tend to show them; the previous release's tables keep its
    suppression pattern where values did not change.
    """
    from odata.anonymize.suppress import Population, Protected, protect

    populations = [
        Population(id=a.id, kind=a.kind, dimensions=a.dimensions, inner=a.inner, tables=a.tables)
        for a in tableset.controlled
    ]
    forced = [(link.left, link.left_cell) for link in tableset.links]
    forced += [(link.right, link.right_cell) for link in tableset.links]
    earlier = [Protected(spec, frame) for spec, frame in _read_release(previous)]
    d = settings.disclosure
    hidden: set[CellKey] = set()
    by_id = {a.id: a for a in tableset.aggregates}
    for _ in range(_LINK_ROUNDS):
        protected, report = protect(
            populations,
            person_threshold=d.person_threshold,
            firm_threshold=d.firm_threshold,
            min_contributors=d.magnitude_min_contributors,
            p_percent=_private_parameters(settings)["p_percent"],
            forced=forced,
            previous=earlier,
            hidden=hidden,
        )
        published: dict[str, pd.DataFrame] = {}
        for item in protected:
            aggregate = by_id[item.spec.population]
            published[item.spec.name] = _trimmed(item.cells, item.spec, aggregate)
        one_sided = _one_sided_links(tableset.links, tableset, published) - hidden
        if not one_sided:
            break
        hidden |= one_sided  # hide them on both sides, and protect again
    for aggregate in tableset.public:
        for spec in aggregate.tables:
            published[spec.name] = margins(aggregate, spec).assign(obs_status="")
    missing = [s.name for s in tableset.specs if s.name not in published]
    if missing:
        raise AssertionError(f"protect() returned no table for {missing}")
    return published, _report_dict(report)


def _trimmed(cells: pd.DataFrame, spec: TableSpec, aggregate: Aggregate) -> pd.DataFrame:
    """The table's rows in code order, keeping only the levels its spec publishes (a table
    of regions drops the provinces the suppression step also protected). Dropping published
    rows only ever removes information, so a protected table stays protected."""
    names = list(spec.dimension_names)
    frame = cells[[*names, "value", "obs_status"]]
    keep = pd.Series(True, index=frame.index)
    for dim in spec.dimensions:
        if dim.hierarchy and aggregate.dimension(dim.name).hierarchy != dim.hierarchy:
            keep &= frame[dim.name].isin({*dim.hierarchy, TOTAL})
        if not dim.total:
            keep &= frame[dim.name] != TOTAL
    return sorted_table(frame[keep], aggregate.codes, names)


def _private_parameters(settings: Settings) -> dict[str, float]:
    """The dominance rule's parameter from ``<state>/private.toml`` (``[disclosure]
    p_percent``), never written anywhere public; the suppression step's default otherwise."""
    path = settings.path("state") / "private.toml"
    values: dict[str, float] = {"p_percent": 10.0}
    if not path.is_file():
        return values
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError("private parameters are not valid TOML", file=str(path)) from exc
    section = data.get("disclosure", {})
    unknown = sorted(set(data) - {"disclosure"}) + sorted(set(section) - set(values))
    if unknown:
        raise ConfigError(
            f"unknown private setting {unknown[0]}",
            file=str(path),
            hint="known: [disclosure] p_percent",
        )
    for key, value in section.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{key} must be a positive number", file=str(path), column=key)
        values[key] = float(value)
    return values


def _read_release(release: Path | None) -> list[tuple[TableSpec, pd.DataFrame]]:
    """The statistical tables of a built release, as text frames."""
    if release is None:
        return []
    return [
        (spec, pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False))
        for spec, path in read_specs(release)
    ]


def _report_dict(report: Any) -> dict[str, Any]:
    if hasattr(report, "to_dict"):
        data: dict[str, Any] = report.to_dict()
        return data
    if hasattr(report, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(report)
    return {"report": repr(report)}


def _one_sided_links(
    links: Sequence[Link], tableset: TableSet, published: Mapping[str, pd.DataFrame]
) -> set[CellKey]:
    """Both cells (as linking-rule keys) of every link hidden on one side only."""
    keys: set[CellKey] = set()
    for link in links:
        left = _lookup(tableset, published, link.left, link.left_cell)
        right = _lookup(tableset, published, link.right, link.right_cell)
        if left is not None and right is not None and left[0] != right[0]:
            keys.add((link.left, link.left_cell))
            keys.add((link.right, link.right_cell))
    return keys


def _lookup(
    tableset: TableSet,
    published: Mapping[str, pd.DataFrame],
    population: str,
    cell: tuple[tuple[str, str], ...],
) -> tuple[str, Any] | None:
    """(obs_status, value) of a population's cell in the first table that shows it."""
    coords = dict(cell)
    for spec in next(a for a in tableset.aggregates if a.id == population).tables:
        if not set(coords) <= set(spec.dimension_names):
            continue
        frame = published[spec.name]
        mask = pd.Series(True, index=frame.index)
        for name in spec.dimension_names:
            mask &= frame[name].astype(str) == coords.get(name, TOTAL)
        rows = frame[mask]
        if len(rows):
            return str(rows["obs_status"].iloc[0]), rows["value"].iloc[0]
    return None


def _check_links(
    links: Sequence[Link], tableset: TableSet, published: Mapping[str, pd.DataFrame]
) -> list[Problem]:
    """Cells that two populations share must be both shown (with one value) or both hidden:
    the suppression protects each population alone, and an attacker knows they are equal."""
    problems = []
    for link in links:
        left = _lookup(tableset, published, link.left, link.left_cell)
        right = _lookup(tableset, published, link.right, link.right_cell)
        if left is None or right is None:
            continue
        hidden = (left[0] == CONFIDENTIAL, right[0] == CONFIDENTIAL)
        if hidden[0] != hidden[1] or (not hidden[0] and float(left[1]) != float(right[1])):
            where = ", ".join(f"{k}={v}" for k, v in link.left_cell) or "total"
            problems.append(
                Problem(
                    "unlinked-cell",
                    f"{link.left} [{where}] and {link.right} differ ({link.reason})",
                )
            )
    return problems


def _write_packages(
    root: Path,
    tableset: TableSet,
    published: Mapping[str, pd.DataFrame],
    extra: Mapping[str, Sequence[TableSpec]],
) -> tuple[dict[str, int], dict[str, int]]:
    """Every protected table as CSV, and each package's minimal descriptor (the audit's
    input). ``extra`` adds tables made from protected cells (the KPIs), by package."""
    rows: dict[str, int] = {}
    suppressed: dict[str, int] = {}
    for package in sorted({a.package for a in tableset.aggregates}):
        aggregates = [a for a in tableset.aggregates if a.package == package]
        specs: list[TableSpec] = [s for a in aggregates for s in a.tables]
        data = root / package / "data"
        data.mkdir(parents=True)
        tables = [(s, a.decimals) for a in aggregates for s in a.tables]
        tables += [(s, 0) for s in extra.get(package, ())]
        specs += list(extra.get(package, ()))
        for spec, decimals in tables:
            frame = _formatted(published[spec.name], spec, decimals)
            frame.to_csv(data / f"{spec.name}.csv", index=False, lineterminator="\n")
            label = f"{package}/{spec.name}"
            rows[label] = len(frame)
            suppressed[label] = int((frame["obs_status"] == CONFIDENTIAL).sum())
            log.info("%s · write · %s · %d rows", package, spec.name, len(frame))
        write_specs(root / package, package, specs)
    return rows, suppressed


def _formatted(frame: pd.DataFrame, spec: TableSpec, decimals: int) -> pd.DataFrame:
    """The published columns as text: codes, ``value`` (empty when ``C``), ``obs_status``."""
    names = list(spec.dimension_names)
    status = frame["obs_status"].fillna("").astype(str).to_numpy()
    hidden = status == CONFIDENTIAL
    number = pd.to_numeric(frame["value"], errors="coerce").fillna(0).round().astype("int64")
    if decimals:
        scale = 10**decimals
        text = [f"{v // scale}.{v % scale:0{decimals}d}" for v in number.tolist()]
    else:
        text = [str(v) for v in number.tolist()]
    out = frame[names].astype(str).copy()
    out["value"] = ["" if h else t for h, t in zip(hidden, text, strict=True)]
    out["obs_status"] = status
    return out


def _write_alerts(folder: Path, alerts: pd.DataFrame) -> None:
    """The monitoring alerts (text resting on published cells: no statistical table)."""
    alerts.to_csv(folder / "data" / f"{ALERTS}.csv", index=False, lineterminator="\n")


def _complete_packages(
    root: Path, tableset: TableSet, settings: Settings, extra: Mapping[str, Sequence[TableSpec]]
) -> None:
    """Parquet twins, code lists and the full descriptor of every package."""
    from odata.packages.descriptor import complete_package

    notes = (
        (DISCLOSURE_NOTE, "Nota sulla riservatezza statistica", "Statistical disclosure note"),
        (AUDIT_SUMMARY, "Esito della verifica di riservatezza", "Disclosure audit summary"),
    )
    for package in sorted({a.package for a in tableset.aggregates}):
        aggregates = [a for a in tableset.aggregates if a.package == package]
        specs = [s for a in aggregates for s in a.tables] + list(extra.get(package, ()))
        decimals = {s.name: a.decimals for a in aggregates for s in a.tables}
        alerts = (f"data/{ALERTS}.csv", ALERTS_SCHEMA) if package == PROGETTO else None
        complete_package(root / package, specs, decimals, settings, extra=notes, alerts=alerts)


def _write_notes(
    root: Path,
    tableset: TableSet,
    result: AuditResult,
    suppressed: Mapping[str, int],
    settings: Settings,
    previous: Path | None,
) -> None:
    public = summary(result)
    public["release"] = settings.release.id
    public["previous_release"] = previous.name if previous is not None else None
    for package in sorted({a.package for a in tableset.aggregates}):
        aggregates = [a for a in tableset.aggregates if a.package == package]
        names = [s.name for a in aggregates for s in a.tables]
        tables = {n: public["tables"][n] for n in names if n in public["tables"]}
        own = {
            **{k: v for k, v in public.items() if k != "tables"},
            "package": package,
            "cells": sum(t["cells"] for t in tables.values()),
            "suppressed": sum(t["suppressed"] for t in tables.values()),
            "tables": tables,
        }
        path = root / package / AUDIT_SUMMARY
        path.write_text(json.dumps(own, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        note = disclosure_note(package, aggregates, own, settings)
        (root / package / DISCLOSURE_NOTE).write_text(note, encoding="utf-8")


def disclosure_note(
    package: str, aggregates: Sequence[Aggregate], audit: Mapping[str, Any], settings: Settings
) -> str:
    """The package's disclosure note, Italian then English (public thresholds only)."""
    d = settings.disclosure
    kinds = {a.kind for a in aggregates if a.controlled}
    persons = "persons" in kinds
    firms = "firms" in kinds
    magnitude = "magnitude" in kinds
    free = [s.name for a in aggregates if not a.controlled for s in a.tables]
    passed = bool(audit["passed"])
    previous = audit.get("previous_release")
    cells, hidden = int(audit["cells"]), int(audit["suppressed"])
    it: list[str] = [
        f"# Nota sulla riservatezza · {package} · rilascio {settings.release.id}",
        "",
        "## Italiano",
        "",
        "**Metodo.** Le tabelle sono aggregati: nessun dato di una singola persona o impresa "
        "viene pubblicato.",
    ]
    en: list[str] = [
        "## English",
        "",
        "**Method.** The tables are aggregates: no record of a single person or firm is published.",
    ]
    if persons and package.startswith("progetto"):
        it.append(
            "Ogni persona è contata una sola volta grazie a pseudonimi interni (HMAC-SHA256 del "
            "codice fiscale con una chiave segreta), che non sono mai pubblicati."
        )
        en.append(
            "Each person is counted once through internal pseudonyms (HMAC-SHA256 of the codice "
            "fiscale under a secret key), which are never published."
        )
    rules_it, rules_en = [], []
    if persons:
        rules_it.append(f"le celle che contano da 1 a {d.person_threshold - 1} persone")
        rules_en.append(f"cells counting 1 to {d.person_threshold - 1} persons")
    if firms:
        rules_it.append(f"le celle che contano da 1 a {d.firm_threshold - 1} imprese")
        rules_en.append(f"cells counting 1 to {d.firm_threshold - 1} firms")
    it += [
        "",
        f"**Soglie minime.** Non sono mostrate {' e '.join(rules_it)} (soglie pubbliche: "
        f"{d.person_threshold} persone, {d.firm_threshold} imprese).",
    ]
    en += [
        "",
        f"**Minimum thresholds.** Not shown: {' and '.join(rules_en)} (public thresholds: "
        f"{d.person_threshold} persons, {d.firm_threshold} firms).",
    ]
    if magnitude:
        it.append(
            f"Per le grandezze (addetti) una cella richiede almeno {d.magnitude_min_contributors} "
            "imprese contributrici e deve superare una regola di dominanza, i cui parametri non "
            "sono pubblicati."
        )
        en.append(
            f"For magnitudes (employees) a cell needs at least {d.magnitude_min_contributors} "
            "contributing firms and must pass a dominance rule, whose parameters are not published."
        )
    it += [
        "",
        "**Soppressione secondaria.** Altre celle sono state nascoste, insieme per tutte le "
        "tabelle collegate, in modo che nessuna cella riservata si possa ricalcolare dai "
        "totali, dalle altre tabelle del rilascio o dal rilascio precedente. Soppressione "
        "primaria e secondaria hanno lo stesso segno: `obs_status` = `C` e valore vuoto.",
    ]
    en += [
        "",
        "**Secondary suppression.** Further cells were hidden, jointly across linked tables, so "
        "that no confidential cell can be recomputed from totals, from other tables of the "
        "release or from the previous release. Primary and secondary suppression carry the same "
        "mark: `obs_status` = `C` with an empty value.",
    ]
    against_it = f" e del rilascio precedente ({previous})" if previous else ""
    against_en = f" and of the previous release ({previous})" if previous else ""
    outcome_it = "superata" if passed else "NON superata"
    outcome_en = "passed" if passed else "FAILED"
    it += [
        "",
        "**Verifica indipendente.** Per ogni cella nascosta è stato calcolato, con la "
        "programmazione lineare, l'intervallo dei valori compatibili con tutte le celle "
        f"pubblicate del rilascio{against_it}; nessuna cella nascosta è confinata in un "
        f"intervallo più stretto di {d.audit_min_width:g}. Esito: **{outcome_it}**. Celle "
        f"nascoste in questo pacchetto: {hidden} su {cells} (dettaglio in `{AUDIT_SUMMARY}`).",
        "",
        "**Dati personali.** Una scansione di tutti i file del rilascio non ha trovato codici "
        "fiscali, indirizzi e-mail, numeri di telefono, nomi o date di nascita delle fonti.",
    ]
    en += [
        "",
        "**Independent audit.** For every hidden cell, linear programming computed the range "
        f"of values compatible with every published cell of the release{against_en}; no hidden "
        f"cell is confined to a range narrower than {d.audit_min_width:g}. Result: "
        f"**{outcome_en}**. Hidden cells in this package: {hidden} of {cells} (details in "
        f"`{AUDIT_SUMMARY}`).",
        "",
        "**Personal data.** A scan of every file of the release found no codice fiscale, e-mail "
        "address, phone number, name or birth date from the sources.",
    ]
    if free:
        listed = ", ".join(f"`{n}`" for n in free)
        it += [
            "",
            f"**Tabelle senza tutela statistica.** {listed}: attività pubblica e denaro pubblico "
            "del programma, che non riguardano singole persone o imprese.",
        ]
        en += [
            "",
            f"**Tables without disclosure control.** {listed}: the programme's public activity "
            "and public money, about no single person or firm.",
        ]
    return "\n".join([*it, "", *en, ""])


def _write_report(
    settings: Settings,
    release: str,
    previous: Path | None,
    rows: Mapping[str, int],
    suppressed: Mapping[str, int],
    loss: Mapping[str, Any],
    result: AuditResult,
    hits: Iterable[Problem],
    clock: _Clock,
) -> Path:
    """The private build report, owner-only, under ``<state>/reports/<id>/``."""
    folder = settings.path("state") / "reports" / release
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    clock.stop()
    report = {
        "release": release,
        "previous_release": previous.name if previous is not None else None,
        "tables": {n: {"rows": rows[n], "suppressed": suppressed[n]} for n in sorted(rows)},
        "suppression": loss,
        "audit": private_report(result),
        "pii_problems": [p.as_dict() for p in hits],
        "seconds": clock.seconds,
    }
    path = folder / REPORT
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        json.dump(report, handle, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        handle.write("\n")
    return path


def _publish(temp: Path, final: Path) -> None:
    """Rename the finished temporary folder to the release folder (atomic, never over one)."""
    if final.exists():
        raise ConfigError(
            f"release {final.name} appeared while building; releases are never overwritten",
            file=display_path(final),
        )
    try:
        os.rename(temp, final)
    except OSError as exc:
        raise ConfigError(
            f"cannot move the finished release into place: {exc.strerror}",
            file=display_path(final),
        ) from exc
