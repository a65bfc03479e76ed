"""Editions on the portal: the changelog every dataset carries, embargoes, and withdrawal.

The portal is the record: the latest dataset of a package holds the package's changelog (a
JSON list of editions, each published or withdrawn, with dates and the reason), and a release
kept private under embargo carries its ``embargo_until`` on its edition datasets. So any
machine with a token can publish the next edition, lift a due embargo or withdraw an edition
without local state.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from odata.errors import DataError, UsageError
from odata.publish.client import Portal
from odata.publish.mapping import DatasetSpec

__all__ = [
    "changelog_of",
    "parse_when",
    "pending_embargo",
    "with_changelog",
    "with_embargo",
    "withdrawn_entry",
]

#: a date and time without an offset is the publisher's local time
LOCAL = ZoneInfo("Europe/Rome")


def changelog_of(dataset: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The dataset's edition history; [] when it has none (or none readable)."""
    raw = (dataset or {}).get("changelog") or "[]"
    try:
        entries = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return []
    return [e for e in entries if isinstance(e, dict) and e.get("edition")]


def dump(entries: Iterable[dict[str, Any]]) -> str:
    """The changelog as stored: editions in order, keys sorted, so equal logs compare equal."""
    ordered = sorted(entries, key=lambda e: (str(e.get("issued", "")), str(e["edition"])))
    return json.dumps(ordered, ensure_ascii=False, sort_keys=True)


def withdrawn_entry(entries: list[dict[str, Any]], edition: str) -> dict[str, Any] | None:
    return next(
        (e for e in entries if e["edition"] == edition and e.get("status") == "withdrawn"), None
    )


def with_changelog(portal: Portal, specs: list[DatasetSpec], release: str) -> list[DatasetSpec]:
    """``specs`` with the package's changelog, this edition added, on its latest and edition
    dataset.

    Raises:
        DataError: this edition was withdrawn (publishing it again would undo that).
    """
    logs: dict[str, str] = {}
    for spec in specs:
        if spec.package in logs:
            continue
        entries = changelog_of(portal.dataset(spec.package))
        gone = withdrawn_entry(entries, release)
        if gone:
            raise DataError(
                f"edition {release} of {spec.package} was withdrawn on {gone.get('withdrawn')}:"
                " nothing was published",
                hint="build a new release (a new [release] id) with the correction",
            )
        entry = {
            "edition": release,
            "dataset": f"{spec.package}-{release}".lower(),
            "issued": spec.metadata.get("issued", ""),
            "status": "published",
        }
        logs[spec.package] = dump([e for e in entries if e["edition"] != release] + [entry])
    return [
        dataclasses.replace(s, metadata={**s.metadata, "changelog": logs[s.package]}) for s in specs
    ]


def parse_when(text: str, now: dt.datetime) -> dt.datetime:
    """An ISO 8601 date and time (Europe/Rome when it has no offset), in UTC, in the future.

    Raises:
        UsageError: unreadable, or not after ``now``.
    """
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--embargo-until {text!r} is not an ISO 8601 date and time",
            hint="e.g. 2027-01-15T10:00 (Europe/Rome) or 2027-01-15T09:00+00:00",
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=LOCAL)
    when = when.astimezone(dt.UTC)
    if when <= now:
        raise UsageError(
            f"--embargo-until {when.isoformat()} is not in the future",
            hint="to publish now, leave out --embargo-until",
        )
    return when


def pending_embargo(portal: Portal, specs: list[DatasetSpec]) -> dt.datetime | None:
    """The embargo recorded on this release's private edition datasets, if any."""
    for spec in specs:
        if spec.name == spec.package:
            continue
        dataset = portal.dataset(spec.name)
        if dataset and dataset.get("private") and dataset.get("embargo_until"):
            return dt.datetime.fromisoformat(str(dataset["embargo_until"])).astimezone(dt.UTC)
    return None


def with_embargo(specs: list[DatasetSpec], until: dt.datetime | None) -> list[DatasetSpec]:
    """Edition datasets carry ``embargo_until`` (cleared once it is lifted)."""
    stamp = until.isoformat(timespec="seconds") if until else ""
    return [
        s
        if s.name == s.package
        else dataclasses.replace(s, metadata={**s.metadata, "embargo_until": stamp})
        for s in specs
    ]
