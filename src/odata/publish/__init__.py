"""Publish a built release to the CKAN portal (see :mod:`.publisher` for the protocol)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from odata.config import Settings
from odata.errors import DataError, PortalError, UsageError
from odata.publish.client import Portal
from odata.publish.editions import (
    parse_when,
    pending_embargo,
    with_changelog,
    with_embargo,
)
from odata.publish.mapping import DatasetSpec, datasets_of_release
from odata.publish.publisher import Step, apply_plan, make_plan
from odata.publish.schema import missing_required

__all__ = ["PublishResult", "Step", "check_release", "publish_checked", "publish_release"]


_TAG = re.compile(r"[\w \-.]+")


def _check_tags(specs: list[DatasetSpec]) -> None:
    """CKAN's tag rule, checked before any write so no package is left half-published."""
    bad = sorted(
        {
            (spec.package, tag)
            for spec in specs
            for tags in spec.metadata["tags_translated"].values()
            for tag in tags
            if not _TAG.fullmatch(tag)
        }
    )
    if bad:
        raise DataError(
            f"keyword {bad[0][1]!r} of {bad[0][0]} is not a valid portal tag",
            hint="tags allow letters, digits, spaces, -, _ and . (fix package.yaml, rebuild)",
        )


@dataclass(frozen=True)
class PublishResult:
    release: Path
    steps: tuple[Step, ...]
    applied: bool
    writes: int
    urls: dict[str, str]
    #: the embargo the release is (now) kept private under, if any
    embargo_until: dt.datetime | None = None
    #: why nothing was done, when ``--release-due`` found nothing due
    note: str = ""


def publish_release(
    settings: Settings,
    release: str | Path,
    *,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    embargo_until: str | None = None,
    release_due: bool = False,
) -> PublishResult:
    """Validate and audit ``release`` again, then publish it (see :func:`publish_checked`).

    Raises:
        ConfigError: not a release.
        DataError: the release fails validation or the audit (nothing is written).
        PortalError: the portal is unreachable or the token cannot publish.
    """
    from odata.build import resolve_release

    folder = resolve_release(settings, release)
    check_release(settings, folder)
    return publish_checked(
        settings,
        folder,
        dry_run=dry_run,
        progress=progress,
        embargo_until=embargo_until,
        release_due=release_due,
    )


def check_release(settings: Settings, folder: Path) -> None:
    """The gate before any portal call: the release validates and passes the audit."""
    from odata.build import audit_command, release_packages
    from odata.validate import validate_package

    problems = [p for d in release_packages(settings, folder) or [] for p in validate_package(d)]
    if problems:
        raise DataError(
            "the release does not validate: nothing was published",
            problems=problems,
            hint=f"odata validate {folder.name}",
        )
    audit = audit_command(settings, folder)
    if not audit.passed:
        raise DataError(
            "the release fails the disclosure audit: nothing was published",
            hint=f"odata audit {folder.name}",
        )


def publish_checked(
    settings: Settings,
    folder: Path,
    *,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    embargo_until: str | None = None,
    release_due: bool = False,
    now: dt.datetime | None = None,
) -> PublishResult:
    """Check the token, plan, and (unless ``dry_run``) apply the plan, for a release folder
    that :func:`check_release` passed.

    ``embargo_until`` (ISO 8601, Europe/Rome without an offset) publishes the edition datasets
    private until then and leaves the latest datasets on the previous edition; a later run
    after that time makes them public. ``release_due`` does only that: it publishes the
    release if its embargo is due, and otherwise does nothing.
    """
    token = settings.ckan_token.reveal() if settings.ckan_token else None
    if not token and not dry_run:
        raise PortalError(
            "no portal token: ODATA_CKAN_TOKEN is not set",
            hint="set ODATA_CKAN_TOKEN (the local portal writes one: `odata portal up`)",
        )
    portal = Portal.of(settings, token)
    if token:
        portal.identity(settings.portal.organization)
    specs = datasets_of_release(folder, settings)
    _check_tags(specs)
    now = now or dt.datetime.now(dt.UTC)
    pending = pending_embargo(portal, specs)
    if release_due and (pending is None or pending > now):
        note = (
            f"embargoed until {pending.isoformat()}: not due yet"
            if pending
            else "no edition of this release waits under embargo"
        )
        return PublishResult(folder, (), False, portal.writes, {}, pending, note)
    until = parse_when(embargo_until, now) if embargo_until else None
    if until and pending is None:
        _refuse_public_edition(portal, specs)
    until = until or (pending if pending and pending > now else None)
    specs = with_embargo(with_changelog(portal, specs, folder.name), until)
    held = [s for s in specs if until and s.name == s.package]
    specs = [s for s in specs if s not in held]
    missing = missing_required(portal, specs)
    if missing:
        raise DataError(
            "the portal requires fields the release leaves empty: nothing was published",
            problems=missing,
            hint="fill them in datapackage/<name>/package.yaml or [publisher], and rebuild",
        )
    steps = make_plan(portal, specs, keep_private=until is not None)
    if not dry_run:
        apply_plan(portal, specs, steps, token, progress, keep_private=until is not None)
    hold = [
        Step(s.name, None, "hold", "keeps the previous edition until the embargo") for s in held
    ]
    urls = {s.name: f"{portal.url}/dataset/{s.name}" for s in specs}
    return PublishResult(folder, tuple(hold + steps), not dry_run, portal.writes, urls, until)


def _refuse_public_edition(portal: Portal, specs: list[DatasetSpec]) -> None:
    """An embargo cannot take back an edition that is already public."""
    for spec in specs:
        found = portal.dataset(spec.name) if spec.name != spec.package else None
        if found and not found.get("private"):
            raise UsageError(
                f"{spec.name} is already public: an embargo cannot take it back",
                hint="withdraw it (odata withdraw) if it must not be public",
            )
