"""`odata build` end to end on small synthetic sources: layout, table shape, disclosure rules,
the audit summary and the disclosure note, refusal to overwrite, nothing written on a failed
ingest, and byte-identical releases from the same inputs."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from odata.anonymize.model import CONFIDENTIAL, TOTAL, read_specs
from odata.anonymize.tables import TableSet, build_tables, margins
from odata.build import (
    AUDIT_SUMMARY,
    DISCLOSURE_NOTE,
    BuildResult,
    audit_command,
    build_release,
    previous_release,
    resolve_release,
)
from odata.config import Settings, load_settings
from odata.errors import ConfigError, DataError, SourceError
from odata.ingest import ingest
from odata.sources.manifest import load_manifest
from odata.sources.synthetic import generate

PACKAGES = ("imprese-migranti", "progetto-imprese-migranti")
PRIVATE_P = "17.25"  # an unusual dominance parameter, to prove it never reaches public text
KEY = "0123456789abcdef" * 4  # a test key (the demo makes a random one)


@dataclass
class Built:
    root: Path
    sources: Path
    first: BuildResult
    second: BuildResult


def settings_for(root: Path, release: str, sources: Path | None = None) -> Settings:
    paths = {
        "sources": str(sources or root / "sources"),
        "build": str(root / "build"),
        "state": str(root / "state"),
    }
    return load_settings(
        None,
        environ={"ODATA_PSEUDONYM_KEY": KEY},
        overrides={"paths": paths, "release": {"id": release}},
    )


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sources")
    generate(folder, seed=1, scale=5, settings=load_settings(None, environ={}))
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, sources: Path) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("build")
    (root / "state").mkdir()
    (root / "state" / "private.toml").write_text(f"[disclosure]\np_percent = {PRIVATE_P}\n")
    first = build_release(settings_for(root, "r1", sources))
    second = build_release(settings_for(root, "r2", sources))
    yield Built(root, sources, first, second)


@pytest.fixture(scope="module")
def tableset(sources: Path) -> TableSet:
    settings = load_settings(None, environ={})
    ingested = ingest(load_manifest(sources / "sources.toml"), settings=settings)
    return build_tables(ingested, key=bytes.fromhex(KEY), settings=settings)


def test_populations_keep_one_grid_for_all_their_tables(tableset: TableSet) -> None:
    names = [spec.name for spec in tableset.specs]
    assert len(names) == len(set(names))
    for aggregate in tableset.aggregates:
        dims = {d.name: d for d in aggregate.dimensions}
        inner = aggregate.inner
        for dim in aggregate.dimensions:
            codes = set(inner[dim.name])
            assert (TOTAL in codes) == (not dim.additive), (aggregate.id, dim.name)
        full = 1
        for dim in aggregate.dimensions:
            full *= inner[dim.name].nunique()
        assert len(inner) == full and not inner.duplicated(list(dims)).any(), aggregate.id
        for spec in aggregate.tables:
            assert spec.population == aggregate.id and spec.kind == aggregate.kind
            assert all(dims[d.name] == d for d in spec.dimensions), spec.name


def test_non_additive_totals_lie_between_the_largest_part_and_the_sum(tableset: TableSet) -> None:
    for aggregate in tableset.aggregates:
        names = [d.name for d in aggregate.dimensions]
        for dim in aggregate.dimensions:
            if dim.additive or not dim.total:  # an untotalled year's _T is never published
                continue
            rest = [n for n in names if n != dim.name]
            inner = aggregate.inner
            parts = inner[inner[dim.name] != TOTAL].groupby(rest)["value"].agg(["max", "sum"])
            total = inner[inner[dim.name] == TOTAL].set_index(rest)["value"]
            joined = parts.join(total)
            assert (joined["max"] <= joined["value"]).all(), (aggregate.id, dim.name)
            assert (joined["value"] <= joined["sum"]).all(), (aggregate.id, dim.name)


def test_years_are_never_totalled_in_the_published_tables(tableset: TableSet) -> None:
    years = [d for spec in tableset.specs for d in spec.dimensions if d.name == "anno"]
    assert years and all(not d.total for d in years)


def test_cells_shared_by_two_populations_are_equal(tableset: TableSet) -> None:
    by_id = {a.id: a for a in tableset.aggregates}

    def value(population: str, cell: tuple[tuple[str, str], ...]) -> int:
        coords = dict(cell)
        aggregate = by_id[population]
        spec = next(s for s in aggregate.tables if set(coords) <= set(s.dimension_names))
        frame = margins(aggregate, spec)
        for name in spec.dimension_names:
            frame = frame[frame[name] == coords.get(name, TOTAL)]
        return int(frame["value"].iloc[0])

    assert tableset.links
    for link in tableset.links:
        assert value(link.left, link.left_cell) == value(link.right, link.right_cell), link


def test_programme_totals_match_the_registers(tableset: TableSet) -> None:
    by_id = {a.id: a for a in tableset.aggregates}
    plans = by_id["business-plan"]
    assert int(margins(plans, plans.tables[0])["value"].iloc[0]) == 420
    budget = by_id["budget-previsto"]
    assert int(margins(budget, budget.tables[0])["value"].iloc[0]) == 322_082_000  # cents


def tables(release: Path) -> list[tuple[object, Path]]:
    return list(read_specs(release))


def test_release_layout(built: Built) -> None:
    release = built.first.path
    assert release == built.root / "build" / "releases" / "r1"
    assert sorted(p.name for p in release.iterdir()) == sorted([*PACKAGES, "cassetto-digitale"])
    for package in PACKAGES:
        folder = release / package
        assert (folder / "datapackage.json").is_file()
        assert (folder / DISCLOSURE_NOTE).is_file()
        assert (folder / AUDIT_SUMMARY).is_file()
        descriptor = json.loads((folder / "datapackage.json").read_text())
        paths = {r["path"] for r in descriptor["resources"]}
        written = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
        assert written == paths | {"datapackage.json"}
    assert not [p for p in (built.root / "build" / "releases").iterdir() if p.name.startswith(".")]
    report = built.first.report
    assert report == built.root / "state" / "reports" / "r1" / "build-report.json"
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert "intervals" in json.loads(report.read_text())["audit"]


def test_every_table_is_long_with_margins_and_protected(built: Built) -> None:
    found = tables(built.first.path)
    assert len(found) >= 20
    for spec, path in found:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        names = list(spec.dimension_names)
        assert list(frame.columns) == [*names, "value", "obs_status"], spec.name
        assert 0 < len(frame) <= 50_000, spec.name
        assert not frame.duplicated(names).any(), spec.name
        for dim in spec.dimensions:
            assert (frame[dim.name] == TOTAL).any() == dim.total, (spec.name, dim.name)
        assert set(frame["obs_status"]) <= {"", CONFIDENTIAL}, spec.name
        hidden = frame["obs_status"] == CONFIDENTIAL
        assert ((frame["value"] == "") == hidden).all(), spec.name
        values = pd.to_numeric(frame.loc[~hidden, "value"])
        assert (values >= 0).all(), spec.name
        if spec.kind in ("persons", "firms"):
            assert (values == values.round()).all(), spec.name
            floor = 5 if spec.kind == "persons" else 3
            assert not ((values >= 1) & (values < floor)).any(), spec.name


def test_grand_totals_add_up_and_are_shown(built: Built) -> None:
    for spec, path in tables(built.first.path):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        totalled = [d.name for d in spec.dimensions if d.total]
        slices = [d.name for d in spec.dimensions if not d.total]  # one grand total per year
        total = frame[(frame[totalled] == TOTAL).all(axis=1)]
        expected = len(frame.drop_duplicates(slices)) if slices else 1
        assert len(total) == expected and (total["obs_status"] == "").all(), spec.name


def test_audit_summary_passed_and_public(built: Built) -> None:
    assert built.first.audit.passed
    for package in PACKAGES:
        data = json.loads((built.first.path / package / AUDIT_SUMMARY).read_text())
        assert data["passed"] is True
        assert data["release"] == "r1" and data["package"] == package
        assert data["tables"] and all(
            set(t) == {"cells", "suppressed"} for t in data["tables"].values()
        )
        assert "intervals" not in json.dumps(data)
    assert sum(built.first.suppressed.values()) > 0


def test_disclosure_note_is_bilingual_and_has_no_private_parameter(built: Built) -> None:
    for package in PACKAGES:
        note = (built.first.path / package / DISCLOSURE_NOTE).read_text(encoding="utf-8")
        assert "## Italiano" in note and "## English" in note
        assert note.index("## Italiano") < note.index("## English")
        assert "5 persone" in note and "5 persons" in note
    for path in built.first.path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()  # Parquet too
            for secret in (PRIVATE_P, PRIVATE_P.replace(".", ","), "p_percent"):
                assert secret.encode() not in data, path


def test_same_inputs_give_identical_files(built: Built, tmp_path: Path) -> None:
    """The same sources, key and release id in another folder give the same bytes, Parquet,
    the guides' PDFs and descriptors included (no clock anywhere but the configured
    ``created``)."""
    (tmp_path / "state").mkdir()
    shutil.copy(built.root / "state" / "private.toml", tmp_path / "state" / "private.toml")
    again = build_release(settings_for(tmp_path, "r1", built.sources))
    first = sorted(p.relative_to(built.first.path) for p in built.first.path.rglob("*"))
    assert first == sorted(p.relative_to(again.path) for p in again.path.rglob("*"))
    assert any(p.suffix == ".parquet" for p in first)
    assert any(p.suffix == ".pdf" for p in first)  # printed by Chromium, dated by the release
    for name in first:
        if (built.first.path / name).is_file():
            assert (built.first.path / name).read_bytes() == (again.path / name).read_bytes(), name


def test_packages_stand_on_their_own(built: Built) -> None:
    """Each package: bilingual metadata, licence, a schema for every table with a definition
    of every column, foreign keys to code lists inside it (with _T), bytes and sha256 of every
    file, a Parquet twin of every table, and the standard validator's approval."""
    from odata.validate import validate_package

    for package in PACKAGES:
        folder = built.first.path / package
        descriptor = json.loads((folder / "datapackage.json").read_text())
        assert descriptor["title_translated"].keys() == {"it", "en"}
        assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
        assert descriptor["version"] == "r1" and descriptor["created"].startswith("20")
        assert descriptor["temporal"]["start"] < descriptor["temporal"]["end"]
        resources = {r["name"]: r for r in descriptor["resources"]}
        for resource in resources.values():
            data = (folder / resource["path"]).read_bytes()
            assert resource["bytes"] == len(data)
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        for spec, path in tables(built.first.path):
            if path.parent.parent != folder:
                continue
            resource = resources[spec.name]
            schema = resource["schema"]
            assert schema["missingValues"] == [""]
            assert schema["primaryKey"] == list(spec.dimension_names)
            for field in schema["fields"]:
                assert field["title_translated"]["en"] and field["description_translated"]["en"]
            for key in schema["foreignKeys"]:
                codes = pd.read_csv(
                    folder / resources[key["reference"]["resource"]]["path"],
                    dtype=str,
                    keep_default_na=False,
                )
                assert "_T" in set(codes["code"]) and codes["label_en"].all()
            twin = pd.read_parquet(folder / resources[f"{spec.name}-parquet"]["path"])
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            assert len(twin) == len(frame)
            assert twin["value"].isna().sum() == (frame["obs_status"] == CONFIDENTIAL).sum()
        for engine in ("fast", "frictionless"):
            assert validate_package(folder / "datapackage.json", engine=engine) == [], engine


def test_every_package_passes_the_standard_frictionless_cli(built: Built) -> None:
    """The acceptance is the standard tool, run as users run it, not our wrapper of its API."""
    cli = Path(sys.executable).with_name("frictionless")
    for descriptor in sorted(built.first.path.glob("*/datapackage.json")):
        run = subprocess.run(
            [str(cli), "validate", "--json", str(descriptor)],
            capture_output=True,
            text=True,
            check=False,
        )
        report = json.loads(run.stdout)
        assert (run.returncode, report["valid"]) == (0, True), (descriptor, report["stats"])
        assert report["stats"]["tasks"] >= 3, descriptor


def test_second_build_is_audited_against_the_first(built: Built) -> None:
    assert built.second.previous == built.first.path
    data = json.loads((built.second.path / PACKAGES[0] / AUDIT_SUMMARY).read_text())
    assert data["previous_release"] == "r1"


def test_a_release_is_never_overwritten(built: Built) -> None:
    before = (built.first.path / PACKAGES[0] / "datapackage.json").stat().st_mtime_ns
    with pytest.raises(ConfigError, match="already exists"):
        build_release(settings_for(built.root, "r1", built.sources))
    assert (built.first.path / PACKAGES[0] / "datapackage.json").stat().st_mtime_ns == before


@pytest.mark.parametrize("corrupt", ["unreadable", "bad-value"])
def test_a_failed_ingest_writes_nothing(sources: Path, tmp_path: Path, corrupt: str) -> None:
    copy = tmp_path / "sources"
    shutil.copytree(sources, copy)
    budget = copy / "budget.csv"
    if corrupt == "unreadable":
        budget.write_bytes(b"\xff\xfe\x00garbage;;\n")
        expected: type[Exception] = SourceError
    else:
        lines = budget.read_text(encoding="utf-8-sig").splitlines()
        cells = lines[1].split(";")
        cells[2] = "2021-Q9"
        lines[1] = ";".join(cells)
        budget.write_text("\n".join(lines) + "\n", encoding="utf-8")
        expected = DataError
    settings = settings_for(tmp_path, "broken", sources=copy)
    with pytest.raises(expected):
        build_release(settings)
    releases = tmp_path / "build" / "releases"
    assert not releases.exists() or not any(releases.iterdir())


def test_a_build_needs_the_pseudonym_key(sources: Path, tmp_path: Path) -> None:
    paths = {"sources": str(sources), "build": str(tmp_path / "b"), "state": str(tmp_path / "s")}
    settings = load_settings(None, environ={}, overrides={"paths": paths})
    with pytest.raises(ConfigError, match="no pseudonym key"):
        build_release(settings)
    assert not (tmp_path / "b").exists()


def test_resolve_release_by_id_or_path(built: Built) -> None:
    settings = settings_for(built.root, "r3")
    assert resolve_release(settings, "r1") == built.first.path
    assert resolve_release(settings, built.second.path) == built.second.path
    with pytest.raises(ConfigError, match="no release"):
        resolve_release(settings, "nope")
    assert previous_release(settings, "r3") == built.root / "build" / "releases" / "r2"
    assert previous_release(settings, "r1") is None


def test_audit_command_passes_on_a_built_release(built: Built) -> None:
    result = audit_command(settings_for(built.root, "r3"), "r2")
    assert result.passed
    assert result.previous == "r1"


def test_no_grand_or_national_total_is_hidden_as_secondary(built: Built) -> None:
    report = json.loads(built.first.report.read_text())
    per_population = report["suppression"]["per_population"]
    assert per_population and all(p["totals_suppressed"] == 0 for p in per_population.values())
    primary = sum(p["primary"] for p in per_population.values())
    secondary = sum(p["secondary"] for p in per_population.values())
    assert 0 < secondary <= primary  # the bound on information loss


def test_validate_and_audit_commands_take_a_release_path(built: Built) -> None:
    from odata.cli import main

    config = built.root / "odata.toml"
    config.write_text(f'[paths]\nbuild = "{built.root / "build"}"\n')
    for command in (["validate", "r1"], ["validate", str(built.first.path)], ["audit", "r1"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["--config", str(config), *command])
        assert exit_info.value.code == 0, command


def test_alerts_find_every_planted_problem_and_little_else(built: Built) -> None:
    """Recall 100 % and precision ≥ 80 % against the generator's private manifest."""
    manifest = json.loads((built.sources / "manifest.private.json").read_text())["programme"]
    folder = built.first.path / "progetto-imprese-migranti"
    alerts = pd.read_csv(folder / "data" / "alerts.csv", dtype=str, keep_default_na=False)
    found = {(r.codice, r.camera, r.azione) for r in alerts.itertuples()}
    kinds = {
        "overspend-vs-results": "spesa-senza-risultati",
        "underspend": "sottoutilizzo",
        "spent-above-committed": "spesa-oltre-impegni",
    }
    planted = {("ritardo-azione", lag["chamber"], lag["action"]) for lag in manifest["lags"]}
    planted |= {(kinds[a["kind"]], a["chamber"], "_T") for a in manifest["budget_anomalies"]}
    confidential = {("dati-riservati", c, a) for _, c, a in planted}
    missed = {p for p in planted if p not in found and ("dati-riservati", *p[1:]) not in found}
    assert not missed
    targets = load_settings(None, environ={}).programme.targets
    short = {  # national targets the manifest's own totals leave unmet
        action
        for action, target in (
            ("informazione", targets.informed),
            ("orientamento", targets.oriented),
            ("formazione", targets.trained),
        )
        if manifest["national_persons"][action] < target
    }
    expected = planted | confidential | {("obiettivo-nazionale", "_T", a) for a in short}
    precision = len(found & expected) / len(found)
    assert precision >= 0.8, sorted(found - expected)
    kpi = pd.read_csv(folder / "data" / "kpi.csv", dtype=str, keep_default_na=False)
    assert set(kpi["indicatore"]) == {
        "informati",
        "orientati",
        "formati",
        "business-plan",
        "imprese",
    }


def test_a_planted_error_in_a_release_table_is_found_by_both_engines(
    built: Built, tmp_path: Path
) -> None:
    """A value broken by hand: same (row, column, code) from both engines, hash too."""
    from odata.validate import validate_package

    copy = tmp_path / "imprese-migranti"
    shutil.copytree(built.first.path / "imprese-migranti", copy)
    path = copy / "data" / "imprese-attive-forma.csv"
    lines = path.read_text().splitlines()
    cells = lines[5].split(",")
    cells[-2] = "-7"  # below minimum 0 (and breaks the margins)
    lines[5] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    found = {}
    for engine in ("fast", "frictionless"):
        problems = validate_package(copy / "datapackage.json", engine=engine)
        found[engine] = {(p.row, p.column, p.code) for p in problems if p.code != "margin-mismatch"}
        assert (6, "value", "constraint-error") in found[engine], engine
        assert any(p.code == "hash-count" for p in problems), engine
    assert found["fast"] == found["frictionless"]
