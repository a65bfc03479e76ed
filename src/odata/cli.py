"""The ``odata`` command line: one thin command per stage (parse, call, show; no logic)."""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

from odata import __version__, console
from odata.config import Settings, load_settings
from odata.descriptors import locate_package, package_names

if TYPE_CHECKING:
    from odata.portal import PortalStatus
from odata.errors import (
    DataError,
    DisclosureError,
    PortalError,
    SourceError,
    ValidationFailed,
    display_path,
)

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@dataclass
class Options:
    """What the group's flags decided, handed to every command."""

    config: Path | None = None
    verbosity: int = 0
    debug: bool = False

    def settings(self) -> Settings:
        return load_settings(self.config)


def json_option(command: F) -> F:
    """``--json``: machine-readable results on stdout (progress and errors stay on stderr)."""
    return click.option("--json", "as_json", is_flag=True, help="Print results as JSON on stdout.")(
        command
    )


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="odata")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file. Default: the nearest odata.toml, else built-in defaults.",
)
@click.option("-v", "--verbose", count=True, help="Show more of what is happening (-vv: debug).")
@click.option("-q", "--quiet", is_flag=True, help="Show only errors.")
@click.option("--debug", is_flag=True, help="Show the full traceback when something fails.")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: int, quiet: bool, debug: bool) -> None:
    """Turn the programme's registers into open data: anonymized, validated data packages
    published to a CKAN portal, and public briefs built on them.

    Secrets are read only from the environment (ODATA_CKAN_TOKEN, ODATA_PSEUDONYM_KEY) or
    from owner-only files under .odata/secrets/, and are never printed.

    \b
    Exit codes: 0 ok · 1 unexpected error (a bug) · 2 usage · 3 configuration or unreadable
    input · 4 data failed its checks · 5 portal or publish failure · 130 interrupted.
    """
    verbosity = 2 if debug else (-1 if quiet else verbose)
    console.setup_logging(verbosity)
    ctx.obj = Options(config=config, verbosity=verbosity, debug=debug)


def pass_options(command: F) -> F:
    """Give the command the group's :class:`Options` as its first argument."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        options = click.get_current_context().find_object(Options) or Options()
        return command(options, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _descriptors(settings: Settings, target: str, datapackages: Path) -> list[Path]:
    """The descriptors a validate target names: a release's packages, or one package."""
    from odata.build import release_packages

    if (found := release_packages(settings, target)) is not None:
        return found
    return [locate_package(target, datapackages)]


@cli.command()
@click.argument("packages", nargs=-1)
@json_option
@click.option(
    "--limit-problems", default=50, show_default=True, help="Show at most this many problems."
)
@click.option(
    "--engine",
    type=click.Choice(["fast", "frictionless"]),
    default="fast",
    show_default=True,
    help="fast: vectorized, also checks margins and obs_status; frictionless: the standard "
    "library (the authority). Same problems, same words (docs/validation.md).",
)
@pass_options
def validate(
    options: Options,
    packages: tuple[str, ...],
    as_json: bool,
    limit_problems: int,
    engine: Literal["fast", "frictionless"],
) -> None:
    """Check data packages against their descriptors and report every problem found.

    PACKAGES are package names (folders under datapackage/), package folders, descriptor
    files, or releases (an id under build/releases/ or a release folder: every package in
    it); none means every package under datapackage/. Each table is checked for types,
    constraints, primary and foreign keys, and each file for its size and hash. Problems are
    listed with file, row and column; the command exits 4 if there is any.

    \b
    Example:
        odata validate riferimenti
        odata validate 2026-q3            # every package of a built release
        odata validate 2026-q3 --engine frictionless
        odata validate datapackage/riferimenti --json | jq '.[].problems'
    """
    from odata.validate import validate_package

    settings = options.settings()
    root = settings.path("datapackages")
    targets = list(packages) or package_names(root)
    descriptors = [d for target in targets for d in _descriptors(settings, target, root)]
    results = {display_path(d): validate_package(d, engine=engine) for d in descriptors}
    problems = [p for found in results.values() for p in found]
    if as_json:
        report = [
            {"package": name, "valid": not found, "problems": [p.as_dict() for p in found]}
            for name, found in results.items()
        ]
        console.out.print_json(json.dumps(report))
    else:
        for name, found in results.items():
            mark = (
                "[green]valid[/]"
                if not found
                else f"[red]{console.count(len(found), 'problem')}[/]"
            )
            console.out.print(f"{name}: {mark}")
    if problems:
        console.show_problems(problems, limit=limit_problems)
        failed = sum(1 for found in results.values() if found)
        raise ValidationFailed(
            f"validation failed: {console.count(len(problems), 'problem')} in {failed} of"
            f" {console.count(len(results), 'package')}",
            hint="fix the rows listed above; `odata validate --json` lists them all",
        )


@cli.group()
def portal() -> None:
    """Run a real local CKAN portal (with DataStore and DCAT-AP_IT) for the demo and tests.

    The portal lives under .portal/ (CKAN's own venv, and per instance its config, file store,
    logs and sysadmin token); its databases are in the local PostgreSQL 15. Settings are in
    odata.toml [portal.local]; docs/deploy.md explains both this and a production set-up.

    \b
    Example:
        odata portal up && odata portal status
    """


def _show_status(status: PortalStatus, as_json: bool) -> None:
    if as_json:
        console.out.print_json(json.dumps(dataclasses.asdict(status)))
        return
    for part, state in status.parts.items():
        console.out.print(f"{part:>10}: {state}")
    console.out.print(f"{'url':>10}: {status.url}")


@portal.command("up")
@json_option
@pass_options
def portal_up_command(options: Options, as_json: bool) -> None:
    """Install (the first time), start and check the local CKAN portal, then print its URL.

    Installs missing Debian packages (redis-server, libpq-dev, gcc), starts PostgreSQL if it
    is down, creates the instance's databases, ckan.ini, a sysadmin with an API token (kept
    owner-only under .portal/<instance>/secrets/) and the programme's organization, and serves
    CKAN with gunicorn on 127.0.0.1. Running it again when the portal is up changes nothing.

    \b
    Example:
        odata portal up
        ODATA_PORTAL_INSTANCE=scratch ODATA_PORTAL_PORT=5070 odata portal up
    """
    from odata.portal import portal_up

    def step(message: str) -> None:
        console.err.print(f"[dim]portal · {message}[/]")

    status = portal_up(options.settings(), progress=None if as_json else step)
    _show_status(status, as_json)
    if not as_json:
        console.err.print(f"[green]Portal up[/] at {status.url} in {status.seconds:.1f} s")


@portal.command("down")
@pass_options
def portal_down_command(options: Options) -> None:
    """Stop the local portal: only the processes `odata portal up` started, by their PIDs.

    PostgreSQL is stopped only if `up` started it and no other instance still runs.
    Data stay; `odata portal up` starts it again in seconds.

    \b
    Example:
        odata portal down
    """
    from odata.portal import portal_down

    stopped = portal_down(options.settings())
    names = [name for name, was in stopped.items() if was]
    console.err.print(f"stopped: {', '.join(names) if names else 'nothing was running'}")


@portal.command("status")
@json_option
@pass_options
def portal_status_command(options: Options, as_json: bool) -> None:
    """Report each part of the local portal: venv, PostgreSQL, Redis, CKAN, API, token.

    Exits 5 when the portal does not answer.

    \b
    Example:
        odata portal status --json
    """
    from odata.portal import portal_status

    status = portal_status(options.settings())
    _show_status(status, as_json)
    if status.parts["api"] == "no answer":
        raise PortalError("the portal is not answering", hint="start it with `odata portal up`")
    if not status.healthy:
        raise PortalError(
            "the portal answers but its sysadmin token is missing",
            hint="run `odata portal up` to create one, or set ODATA_CKAN_TOKEN",
        )


@portal.command("reset")
@click.option("--yes", is_flag=True, help="Confirm: delete every dataset, file and user.")
@pass_options
def portal_reset_command(options: Options, yes: bool) -> None:
    """Stop the local portal and delete its data: databases, file store, config and token.

    The CKAN installation is kept, so the next `odata portal up` starts from an empty portal
    in seconds. Nothing happens without --yes.

    \b
    Example:
        odata portal reset --yes
    """
    from odata.portal import portal_reset

    if not yes:
        raise click.UsageError("reset deletes every dataset of the local portal: add --yes")
    portal_reset(options.settings())
    console.err.print("portal data deleted")


@cli.group()
def sources() -> None:
    """Raw sources: make synthetic demo ones, check files as the build reads them, get templates.

    Raw sources are private: they live under .odata/sources/ (or [paths] sources in odata.toml),
    never in git, and their personal columns never appear in a message. The file sources.toml
    in that folder says which file is which chamber and source, and how to read it
    (docs/sources.md).

    \b
    Example:
        odata sources generate && odata sources check
    """


@sources.command("generate")
@click.option("--seed", default=1, show_default=True, help="Random seed: same seed, same bytes.")
@click.option(
    "--scale",
    default=5.0,
    show_default=True,
    help="Size of the business register in units of 10,000 firms (600 ≈ the national one).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write. Default: [paths] sources of odata.toml (.odata/sources).",
)
@json_option
@pass_options
def sources_generate(
    options: Options, seed: int, scale: float, out: Path | None, as_json: bool
) -> None:
    """Write synthetic raw sources for the demo, tests and benchmarks (fictitious people).

    Writes a participant register and an events list per programme chamber (in the chambers'
    own formats: ;-separated CSV with decimal commas, UTF-8 with BOM, Windows-1252, XLSX), the
    budget ledger, a business-register extract calibrated on published figures
    (docs/calibration.md), the sources manifest sources.toml and a private manifest of the
    problems planted for monitoring to find.

    \b
    Example:
        odata sources generate --seed 1
        odata sources generate --scale 600 --out /data/big   # ~6 million firms
    """
    from odata.sources.synthetic import generate

    if seed < 0 or scale <= 0:
        raise click.UsageError("--seed must be 0 or more and --scale more than 0")
    settings = options.settings()
    folder = out or settings.path("sources")
    with console.progress(quiet=as_json) as bar:
        task = bar.add_task("generating", total=None)
        counts = generate(
            folder,
            seed=seed,
            scale=scale,
            settings=settings,
            progress=lambda path, rows: bar.update(task, advance=rows, description=path),
        )
    if as_json:
        console.out.print_json(json.dumps({"folder": str(folder), "rows": counts}))
        return
    for path, rows in sorted(counts.items()):
        console.out.print(f"{rows:>10,}  {path}")
    console.err.print(f"[green]Written[/] {len(counts)} files to {display_path(folder)}")


@sources.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sources manifest. Default: sources.toml in the sources folder.",
)
@click.option(
    "--kind",
    type=click.Choice(["registro", "eventi", "budget", "imprese", "titolari"]),
    help="What a file not listed in the manifest holds.",
)
@click.option("--chamber", help="Chamber code of a registro or eventi file not in the manifest.")
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx"]), help="File format.")
@click.option("--encoding", help="utf-8, utf-8-sig or cp1252. Default: strict UTF-8, then cp1252.")
@click.option("--delimiter", help="CSV delimiter. Default: ;")
@click.option("--decimal", help="Decimal separator. Default: ,")
@click.option("--date-format", help="Date format, e.g. %d/%m/%Y (the default).")
@click.option(
    "--limit-problems", default=50, show_default=True, help="Show at most this many problems."
)
@json_option
@pass_options
def sources_check(
    options: Options,
    files: tuple[Path, ...],
    manifest: Path | None,
    kind: str | None,
    chamber: str | None,
    file_format: str | None,
    encoding: str | None,
    delimiter: str | None,
    decimal: str | None,
    date_format: str | None,
    limit_problems: int,
    as_json: bool,
) -> None:
    """Read source files exactly as the build will, and list every problem found.

    With no FILES, checks every file of the sources manifest. A FILE listed in the manifest
    is read with its declared dialect; any other FILE needs --kind (and --chamber for registro
    and eventi). The files are only read, never changed. Exits 3 if a file cannot be read at
    all (encoding, delimiter, columns), 4 if it is readable but has bad values.

    \b
    Example:
        odata sources check
        odata sources check registri/torino.csv
        odata sources check nuovo.xlsx --kind registro --chamber torino --format xlsx
    """
    from odata.ingest import check_sources
    from odata.sources.manifest import load_manifest, spec_for

    settings = options.settings()
    manifest = manifest or settings.path("sources") / "sources.toml"
    dialect = {
        key: value
        for key, value in {
            "format": file_format,
            "encoding": encoding,
            "delimiter": delimiter,
            "decimal": decimal,
            "date_format": date_format,
        }.items()
        if value is not None
    }
    listed = load_manifest(manifest) if manifest.is_file() or not files else []
    by_path = {spec.path: spec for spec in listed}
    if files:
        specs = []
        for file in files:
            spec = by_path.get(file.resolve())
            if spec is None:
                if kind is None:
                    raise click.UsageError(
                        f"{file} is not in {manifest}: say what it is with --kind"
                    )
                spec = spec_for(file, kind=kind, chamber=chamber, **dialect)
            specs.append(spec)
    else:
        specs = listed
    results = check_sources(specs, settings=settings)
    problems = [p for result in results.values() for p in result.problems]
    if as_json:
        report = [
            {
                "source": name,
                "file": r.spec.label,
                "readable": r.readable,
                "rows": r.table.num_rows,
                "problems": [p.as_dict() for p in r.problems],
            }
            for name, r in results.items()
        ]
        console.out.print_json(json.dumps(report))
    else:
        for result in results.values():
            state = (
                "[green]ok[/]"
                if result.ok
                else (
                    "[red]unreadable[/]"
                    if not result.readable
                    else f"[red]{console.count(len(result.problems), 'problem')}[/]"
                )
            )
            console.out.print(f"{result.spec.label}: {result.table.num_rows:,} rows, {state}")
    if not problems:
        return
    console.show_problems(problems, limit=limit_problems)
    unreadable = [r for r in results.values() if not r.readable]
    failed = sum(1 for r in results.values() if not r.ok)
    error = SourceError if unreadable else DataError
    raise error(
        f"{failed} of {console.count(len(results), 'source file')} failed the checks",
        hint="fix the rows listed above; nothing was changed in the files",
    )


@sources.command("templates")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("modelli"),
    show_default=True,
    help="Folder to write the templates to.",
)
def sources_templates(out: Path) -> None:
    """Write blank templates of every source for the chambers' data stewards.

    For each source: a CSV (UTF-8 with BOM, ;-separated, Italian header row) and an XLSX with
    the header row and an "Istruzioni" sheet explaining each column, its format and whether it
    is personal data.

    \b
    Example:
        odata sources templates --out modelli/
    """
    from odata.sources.templates import write_templates

    for path in write_templates(out):
        console.out.print(display_path(path))


@cli.command()
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sources manifest. Default: sources.toml in the sources folder.",
)
@click.option("--release", "release_id", help="Release id. Default: [release] id of odata.toml.")
@click.option("--previous", help="Earlier release (id or path) to audit against. Default: latest.")
@click.option(
    "--create-key",
    is_flag=True,
    help="Demo only: create a throwaway pseudonym key if none is set (says so).",
)
@click.option(
    "--if-new",
    is_flag=True,
    help="If the release was already built, say so and exit 0 (instead of refusing).",
)
@json_option
@pass_options
def build(
    options: Options,
    manifest: Path | None,
    release_id: str | None,
    previous: str | None,
    create_key: bool,
    if_new: bool,
    as_json: bool,
) -> None:
    """Build a release: read the sources, protect the tables, audit them, scan for personal data.

    Reads every file of the sources manifest (stopping at the first unreadable file or bad
    value, before anything is written), counts unique persons through keyed pseudonyms
    (ODATA_PSEUDONYM_KEY), aggregates the published tables, applies primary and secondary
    suppression, audits every suppressed cell with linear programs (against the previous
    release too) and scans every output for personal data. Only a release that passes both is
    written, to build/releases/<id>/; releases are never overwritten. Information-loss figures
    go to a private report under .odata/reports/.

    \b
    Example:
        odata build --create-key          # the demo: a throwaway key is created if missing
        ODATA_RELEASE=2026-q4 odata build --previous 2026-q3
    """
    from odata.build import build_release, releases_dir

    overrides = {"release": {"id": release_id}} if release_id else {}
    settings = load_settings(options.config, overrides=overrides)
    existing = releases_dir(settings) / settings.release.id
    if if_new and existing.is_dir():
        console.err.print(
            f"Release {settings.release.id} is already built at {display_path(existing)}: "
            "nothing to do (releases are never overwritten)"
        )
        return

    def stage(name: str) -> None:
        if not as_json:
            console.err.print(f"[dim]build · {name}[/]")

    result = build_release(
        settings, manifest=manifest, previous=previous, create_key=create_key, progress=stage
    )
    _show_audit(result.audit, as_json, extra={"release": result.release, "path": str(result.path)})
    if not as_json:
        _show_loss(result.loss)
        console.err.print(
            f"[green]Release {result.release}[/] written to {display_path(result.path)}"
            f" (private report: {display_path(result.report)})"
        )


@cli.command()
@click.argument("release", required=False)
@click.option(
    "--dry-run", is_flag=True, help="Print the plan (what would change, and why); write nothing."
)
@click.option(
    "--embargo-until",
    metavar="DATETIME",
    help="Publish the edition private until this ISO 8601 time (Europe/Rome if no offset).",
)
@click.option(
    "--release-due",
    is_flag=True,
    help="Only make public a release whose embargo has passed; otherwise do nothing.",
)
@json_option
@pass_options
def publish(
    options: Options,
    release: str | None,
    dry_run: bool,
    embargo_until: str | None,
    release_due: bool,
    as_json: bool,
) -> None:
    """Publish a built release to the CKAN portal: only what changed, safely, verified.

    Validates and audits RELEASE again (default: [release] id of odata.toml), checks that the
    token (ODATA_CKAN_TOKEN) may publish into the organization, then plans per dataset and
    resource: create, update, unchanged or delete, with the reason (content hashes decide).
    Each package becomes a latest dataset (stable name and resource URLs) and an edition
    dataset; tables also go to the DataStore with a data dictionary. A new dataset stays
    private until every resource is uploaded and read back; an interrupted run is finished by
    running the command again. An unchanged release makes no write call.

    Every dataset carries the package's edition history (changelog); a withdrawn edition is
    refused. With --embargo-until the edition datasets stay private until that time and the
    latest datasets keep the previous edition; any later run (a cron job with --release-due)
    publishes the release once the time has passed.

    \b
    Example:
        odata publish --dry-run
        odata publish 2026-q3
        odata publish 2026-q4 --embargo-until 2027-01-15T10:00
        odata publish 2026-q4 --release-due
    """
    from odata.publish import publish_release

    settings = options.settings()

    def progress(name: str) -> None:
        if not as_json:
            console.err.print(f"[dim]publish · {name}[/]")

    result = publish_release(
        settings,
        release or settings.release.id,
        dry_run=dry_run,
        progress=progress,
        embargo_until=embargo_until,
        release_due=release_due,
    )
    embargo = result.embargo_until.isoformat() if result.embargo_until else None
    counts: dict[str, int] = {}
    for step in result.steps:
        counts[step.action] = counts.get(step.action, 0) + 1
    if as_json:
        console.out.print_json(
            json.dumps(
                {
                    "release": result.release.name,
                    "applied": result.applied,
                    "writes": result.writes,
                    "plan": [dataclasses.asdict(s) for s in result.steps],
                    "datasets": result.urls,
                    "embargo_until": embargo,
                    "note": result.note,
                }
            )
        )
        return
    if result.note:
        console.err.print(f"Nothing to do: {result.note}")
        return
    for step in result.steps:
        if step.action != "unchanged" or step.resource is None:
            target = step.dataset + (f" / {step.resource}" if step.resource else "")
            console.out.print(f"{step.action:9} {target}  ({step.why})")
    if embargo:
        console.err.print(f"Under embargo until {embargo}: the edition datasets stay private")
    summary = ", ".join(f"{n} {a}" for a, n in sorted(counts.items()))
    verb = "Published" if result.applied else "Plan (dry run, nothing written)"
    console.err.print(f"{verb}: {summary}; {result.writes} write calls")
    if result.applied:
        for name, url in result.urls.items():
            console.out.print(f"{name}: {url}")


@cli.command()
@click.argument("edition")
@click.option(
    "--reason",
    required=True,
    help="Why, in a sentence (published in the notice; Italian and English if you can).",
)
@click.option("--dry-run", is_flag=True, help="List the datasets it would withdraw; write nothing.")
@json_option
@pass_options
def withdraw(options: Options, edition: str, reason: str, dry_run: bool, as_json: bool) -> None:
    """Withdraw an edition from the portal (a disclosure incident, an erratum).

    EDITION is a release id. Its edition datasets, and a latest dataset that still holds it,
    lose their data (DataStore tables dropped, files overwritten, resources deleted) but keep
    their page, which shows a notice with the date and REASON. The package's changelog marks
    the edition withdrawn, and `odata publish` refuses it from then on: publish a corrected
    release under a new id.

    \b
    Example:
        odata withdraw 2026-q3 --reason "Errore nei dati / data error" --dry-run
        odata withdraw 2026-q3 --reason "Errore nei dati / data error"
    """
    from odata.publish.withdraw import withdraw_edition

    result = withdraw_edition(options.settings(), edition, reason, dry_run=dry_run)
    if as_json:
        console.out.print_json(json.dumps(dataclasses.asdict(result)))
        return
    for name in result.datasets:
        console.out.print(name)
    verb = "Withdrawn" if result.applied else "Would withdraw (dry run, nothing written)"
    console.err.print(
        f"{verb}: edition {edition}, {len(result.datasets)} datasets, {result.removed} resources"
    )


@cli.command()
@click.argument("dataset")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to create. Default: ./<dataset>.",
)
@pass_options
def pull(options: Options, dataset: str, out: Path | None) -> None:
    """Download a published dataset as a valid Frictionless data package.

    Reads the dataset's own datapackage.json from the portal, downloads every file it lists,
    checks each against its sha256 and writes the package to a new folder: byte for byte the
    package that was published. Works without a token for public datasets.

    \b
    Example:
        odata pull imprese-migranti --out imprese
        odata validate imprese
    """
    from odata.publish.pull import pull_dataset

    descriptor = pull_dataset(options.settings(), dataset, out or Path(dataset))
    console.err.print(f"[green]Pulled[/] {dataset} to {display_path(descriptor.parent)}")


@cli.command()
@click.argument("release")
@click.option("--previous", help="Earlier release (id or path). Default: the latest earlier one.")
@json_option
@pass_options
def audit(options: Options, release: str, previous: str | None, as_json: bool) -> None:
    """Audit a built release: can any suppressed cell be recomputed from what is published?

    RELEASE is a release id (a folder of build/releases/) or a release folder. For every
    suppressed cell, linear programs find its smallest and largest possible value given every
    published cell of the release and of the previous one, the margins, non-negativity and
    integer counts. Fails (exit 4) if any interval is narrower than 2 or a person cell of 1-4
    (firm cell of 1-2) is published. Only counts are printed, never intervals.

    \b
    Example:
        odata audit 2026-q3
        odata audit build/releases/2026-q4 --previous 2026-q3 --json
    """
    from odata.build import audit_command

    result = audit_command(options.settings(), release, previous)
    _show_audit(result, as_json, extra={"release": release})
    if not result.passed:
        raise DisclosureError(
            f"the audit failed: {result.narrow} suppressed cells could be recomputed within less"
            f" than 2, {result.small_published} small cells are published",
            hint="rebuild the release; never publish this one",
        )


def _show_loss(loss: Mapping[str, Mapping[str, float]]) -> None:
    """Information loss per protected table, on stderr (private figures: never published)."""
    from rich.table import Table

    table = Table(title="Information loss (private: not in the release)", box=None)
    for column in ("table", "cells", "primary", "secondary", "% cells", "% units hidden"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, figures in sorted(loss.items()):
        table.add_row(
            name,
            f"{figures.get('cells', 0):,.0f}",
            f"{figures.get('primary', 0):,.0f}",
            f"{figures.get('secondary', 0):,.0f}",
            f"{100 * figures.get('share_cells', 0):.1f}",
            f"{100 * figures.get('share_units_hidden', 0):.2f}",
        )
    console.err.print(table)


def _show_audit(result: Any, as_json: bool, *, extra: dict[str, str]) -> None:
    """The audit's public figures: counts per table, never intervals or hidden values."""
    from odata.anonymize.audit import summary

    public = {**extra, **summary(result)}
    if as_json:
        console.out.print_json(json.dumps(public))
        return
    for table, counts in sorted(result.per_table.items()):
        console.out.print(f"{table}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    verdict = "[green]passed[/]" if result.passed else "[red]FAILED[/]"
    console.out.print(
        f"audit {verdict}: {result.exact} exactly recomputable, {result.narrow} narrower than 2,"
        f" {result.below_threshold} narrower than the threshold (warning),"
        f" {result.small_published} small cells published"
    )


@cli.group()
def briefs() -> None:
    """Serve the public briefs (imprese, progetto, cassetto): Voilà notebooks over the release.

    Each brief reads only published tables: from the built release (offline, the default) or
    from the portal's DataStore API (`--source portal`). The server keeps warm kernels per
    brief and serves a pre-rendered static view while none is free; docs/briefs.md explains it.

    \b
    Example:
        odata briefs serve                  # foreground, Ctrl-C stops it
        odata briefs serve --background && odata briefs stop
    """


def _briefs_plan(
    options: Options, release: str | None, source: str | None, port: int | None
) -> Any:
    from odata.briefs.service import plan

    return plan(options.settings(), release=release, source=source, port=port)


_release_option = click.option(
    "--release", "release", metavar="ID", help="Release id or folder. Default: [release] id."
)
_source_option = click.option(
    "--source",
    type=click.Choice(["release", "portal"]),
    help="Where the briefs read the published tables. Default: [briefs] source.",
)
_port_option = click.option("--port", type=int, help="Port on 127.0.0.1. Default: [briefs] port.")


@briefs.command("render")
@_release_option
@_source_option
@pass_options
def briefs_render_command(options: Options, release: str | None, source: str | None) -> None:
    """Pre-render each brief's default view (Italian and English) as static HTML + ZIP.

    `odata briefs serve` does this itself before it starts; this command only renders.

    \b
    Example:
        odata briefs render --release 2026-q3
    """
    from odata.briefs.service import render

    written = render(_briefs_plan(options, release, source, None))
    for path in written:
        console.out.print(display_path(path))


@briefs.command("serve")
@_release_option
@_source_option
@_port_option
@click.option("--background", is_flag=True, help="Run detached; `odata briefs stop` ends it.")
@pass_options
def briefs_serve_command(
    options: Options, release: str | None, source: str | None, port: int | None, background: bool
) -> None:
    """Render the static views, then serve the three briefs and print their URLs.

    Only the three brief pages (and what they load) are served: no file listing, no code,
    no tracebacks. Kernels are pre-heated, capped and culled when idle ([briefs] settings).

    \b
    Example:
        odata briefs serve --port 8866
    """
    from odata.briefs.server import briefs_urls
    from odata.briefs.service import render, run, start_background

    settings = options.settings()
    chosen = _briefs_plan(options, release, source, port)
    render(chosen)
    if background:
        urls = start_background(settings, chosen)
        for name, url in urls.items():
            console.out.print(f"{name}: {url}")
        return
    for name, url in briefs_urls(chosen.options).items():
        console.err.print(f"{name}: {url}")
    run(chosen)


@briefs.command("stop")
@_port_option
@pass_options
def briefs_stop_command(options: Options, port: int | None) -> None:
    """Stop the background briefs server (only the process `serve --background` started).

    \b
    Example:
        odata briefs stop
    """
    from odata.briefs.service import stop_background

    settings = options.settings()
    stopped = stop_background(settings, port or settings.briefs.port)
    console.err.print("briefs server stopped" if stopped else "no briefs server was running")


@cli.command("report")
@_release_option
@pass_options
def report_command(options: Options, release: str | None) -> None:
    """Write the Observatory report of a release: one HTML page and a PDF, from its tables.

    Executes notebooks/NN-*.ipynb with papermill (their `parameters` cell gets the release),
    joins the chapters into a self-contained HTML page, prints it to PDF with Debian's
    Chromium, scans both for personal data, and keeps them in the release, in
    progetto-imprese-migranti/rapporto/, so `odata publish` publishes them with the edition.

    \b
    Example:
        odata report --release 2026-q3 && odata publish
    """
    from odata.report.build import build_report

    result = build_report(options.settings(), release)
    console.out.print(display_path(result.html))
    console.out.print(display_path(result.pdf))
    console.err.print(f"report: {result.pages} pages in {result.seconds:.1f} s")


@cli.command("config")
@pass_options
def show_config(options: Options) -> None:
    """Show the settings in force (from odata.toml and ODATA_* variables), secrets hidden.

    Useful to check which configuration file, folders and portal a command would use.

    \b
    Example:
        odata config
        ODATA_RELEASE=2026-q4 odata --config other.toml config
    """
    settings = options.settings()
    console.out.print_json(json.dumps(settings.public_dict()))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``odata`` console script: runs ``cli`` and exits with its code."""
    args = sys.argv[1:] if argv is None else argv
    with console.handle_errors(debug="--debug" in args):
        try:
            result = cli.main(args=args, prog_name="odata", standalone_mode=False)
        except click.ClickException as exc:  # usage errors: click's message and code 2
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            raise KeyboardInterrupt from None
    sys.exit(result if isinstance(result, int) else 0)


__all__ = ["cli", "main"]
