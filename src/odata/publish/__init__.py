"""Publish a built release to the CKAN portal (see :mod:`.publisher` for the protocol)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from odata.config import Settings
from odata.errors import DataError, PortalError
from odata.publish.client import Portal
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


def publish_release(
    settings: Settings,
    release: str | Path,
    *,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
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
    return publish_checked(settings, folder, dry_run=dry_run, progress=progress)


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
) -> PublishResult:
    """Check the token, plan, and (unless ``dry_run``) apply the plan, for a release folder
    that :func:`check_release` passed."""
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
    missing = missing_required(portal, specs)
    if missing:
        raise DataError(
            "the portal requires fields the release leaves empty: nothing was published",
            problems=missing,
            hint="fill them in datapackage/<name>/package.yaml or [publisher], and rebuild",
        )
    steps = make_plan(portal, specs)
    if not dry_run:
        apply_plan(portal, specs, steps, token, progress)
    urls = {s.name: f"{portal.url}/dataset/{s.name}" for s in specs}
    return PublishResult(folder, tuple(steps), not dry_run, portal.writes, urls)
