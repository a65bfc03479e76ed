"""Withdraw an edition from the portal: a disclosure incident or an erratum.

The edition's datasets keep their pages (a citation must not lead to nothing) but lose their
data: each DataStore table is dropped, each stored file is overwritten with a short notice
before its resource is deleted (a deleted CKAN resource keeps its file on disk), and the page
shows a bilingual notice with the date and the reason. The latest dataset, when it holds that
edition, is emptied the same way until a new release is published. The package's changelog
marks the edition withdrawn, and `odata publish` refuses to publish it again.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from odata.anonymize.pii import scan_text
from odata.config import Settings
from odata.errors import DisclosureError, PortalError, UsageError
from odata.publish.client import Portal, upload
from odata.publish.editions import changelog_of, dump
from odata.publish.publisher import drop_datastore

__all__ = ["WithdrawResult", "withdraw_edition"]

log = logging.getLogger(__name__)

MAX_REASON = 500
TOMBSTONE = "Ritirata / Withdrawn\n"
MARKS = {"it": "[RITIRATA]", "en": "[WITHDRAWN]"}


@dataclass(frozen=True)
class WithdrawResult:
    edition: str
    #: every dataset that now shows the notice
    datasets: tuple[str, ...]
    #: resources whose data were removed
    removed: int
    applied: bool


def withdraw_edition(
    settings: Settings,
    edition: str,
    reason: str,
    *,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> WithdrawResult:
    """Withdraw ``edition`` (a release id) of every package that has it on the portal.

    Raises:
        UsageError: an empty or over-long reason, or no dataset of that edition.
        DisclosureError: the reason looks like personal data (it is published).
        PortalError: no token, or one that may not edit the organization.
    """
    reason = " ".join(reason.split())
    _check_reason(reason, settings)
    token = settings.ckan_token.reveal() if settings.ckan_token else None
    if not token:
        raise PortalError(
            "no portal token: ODATA_CKAN_TOKEN is not set",
            hint="set ODATA_CKAN_TOKEN to a token of an editor of the organization",
        )
    portal = Portal.of(settings, token)
    portal.identity(settings.portal.organization)
    found = portal.read(
        "package_search", fq=f'version:"{edition}"', include_private=True, rows=1000
    )["results"]
    suffix = f"-{edition}".lower()
    editions = [d for d in found if str(d["name"]).endswith(suffix)]
    if not editions:
        raise UsageError(
            f"no dataset of edition {edition} on the portal",
            hint="the edition is the release id, as in the edition dataset's name",
        )
    latest = [d for d in found if d not in editions]
    when = (today or dt.date.today()).isoformat()
    targets = editions + latest
    removed = sum(len(d.get("resources", [])) for d in targets)
    if not dry_run:
        for dataset in editions:
            package = str(dataset["name"])[: -len(suffix)]
            entries = _withdrawn_log(changelog_of(portal.dataset(package)), edition, when, reason)
            for target in [dataset, *[d for d in latest if d["name"] == package]]:
                _empty(portal, target)
                _notice(portal, target, edition, when, reason, entries)
            if not any(d["name"] == package for d in latest) and portal.dataset(package):
                portal.write("package_patch", id=package, changelog=entries)
    return WithdrawResult(edition, tuple(d["name"] for d in targets), removed, not dry_run)


def _check_reason(reason: str, settings: Settings) -> None:
    if not reason or len(reason) > MAX_REASON:
        raise UsageError(
            f"the reason must be a sentence of 1 to {MAX_REASON} characters",
            hint="it is published on the portal in the withdrawal notice",
        )
    if scan_text(reason, allow=[settings.publisher.email]):
        raise DisclosureError(
            "the reason looks like it holds personal data: nothing was withdrawn",
            hint="describe the problem without names, codes, e-mails or phone numbers",
        )


def _withdrawn_log(entries: list[dict[str, Any]], edition: str, when: str, reason: str) -> str:
    kept = [e for e in entries if e["edition"] != edition]
    old = next((e for e in entries if e["edition"] == edition), {"edition": edition})
    return dump([*kept, {**old, "status": "withdrawn", "withdrawn": when, "reason": reason}])


def _empty(portal: Portal, dataset: dict[str, Any]) -> None:
    """Drop the dataset's DataStore tables, overwrite its files, delete its resources."""
    with tempfile.TemporaryDirectory() as folder:
        notice = Path(folder) / "ritirata-withdrawn.txt"
        notice.write_text(TOMBSTONE, encoding="utf-8")
        for resource in dataset.get("resources", []):
            if resource.get("datastore_active"):
                drop_datastore(portal, resource["id"])
            if resource.get("url_type") == "upload":
                portal.write(
                    "resource_patch", files=upload(notice), id=resource["id"], hash="", size=0
                )
            portal.write("resource_delete", id=resource["id"])
    log.info("withdraw · %s · %d resources removed", dataset["name"], len(dataset["resources"]))


def _marked(title: dict[str, str]) -> dict[str, str]:
    """The title with the withdrawal mark in front (once, however often it is withdrawn)."""
    out = {}
    for lang, mark in MARKS.items():
        text = str(title.get(lang, ""))
        out[lang] = text if text.startswith(mark) else f"{mark} {text}".strip()
    return out


def _notice(
    portal: Portal,
    dataset: dict[str, Any],
    edition: str,
    when: str,
    reason: str,
    entries: str,
) -> None:
    portal.write(
        "package_patch",
        id=dataset["id"],
        changelog=entries,
        withdrawal_translated={
            "it": f"**Edizione {edition} ritirata il {when}.** Motivo: {reason}\n\n"
            "I dati di questa edizione non sono più disponibili. La cronologia delle edizioni "
            "indica quelle valide.",
            "en": f"**Edition {edition} withdrawn on {when}.** Reason: {reason}\n\n"
            "The data of this edition are no longer available. The edition history lists the "
            "valid ones.",
        },
        title_translated=_marked(dataset.get("title_translated") or {}),
    )
