"""Plan and apply a release on the portal: only what changed, safely, verified.

**Plan**: per dataset and resource, ``create`` / ``update`` / ``unchanged`` / ``delete`` with
the reason. A resource changed when its sha256 (kept in the resource's ``hash``) or its
metadata differ, or its table is missing from the DataStore; a dataset when a field we set
differs, or when it is still private (an interrupted publish). An unchanged release makes no
write call.

**Apply**: a new dataset is created private, its resources uploaded one by one and each
verified (the file read back and hashed; the DataStore row count and first rows checked), and
only then made public in one call. An existing dataset is made private while it is updated
in place (resource ids and URLs stay stable), each changed resource verified; resources no
longer in the release are deleted last, then the dataset is public again. So a dataset that is
private and not under embargo is one whose publish was interrupted: its DataStore tables are
checked row by row count and sample before the plan trusts them.

Running the command again after an interruption finishes the job. A resource is found by name;
a create whose answer was lost is looked for before it is retried, and a second resource of
the same name (left by an interrupted create on an older version) is deleted.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import ckanapi
import requests

from odata.errors import PublishError
from odata.publish.client import Portal, upload
from odata.publish.mapping import DatasetSpec, ResourceSpec, datastore_fields

__all__ = ["Step", "apply_plan", "make_plan"]

log = logging.getLogger(__name__)

Action = Literal["create", "update", "unchanged", "delete", "hold"]
CHUNK_ROWS = 5_000
SAMPLE_ROWS = 3


@dataclass(frozen=True)
class Step:
    """One line of the plan: a dataset (``resource`` None) or one of its resources."""

    dataset: str
    resource: str | None
    action: Action
    why: str
    #: the portal's id of the resource to delete (a duplicate shares the name of the kept one)
    resource_id: str | None = None


def make_plan(
    portal: Portal, specs: list[DatasetSpec], *, keep_private: bool = False
) -> list[Step]:
    """What publishing ``specs`` would do (reads only); ``keep_private``: under embargo."""
    steps: list[Step] = []
    for spec in specs:
        existing = portal.dataset(spec.name)
        if existing is None:
            steps.append(Step(spec.name, None, "create", "new dataset"))
            steps += [Step(spec.name, r.name, "create", "new") for r in spec.resources]
            continue
        changed = _changed_fields(spec.metadata, existing)
        private = bool(existing.get("private"))
        if private and not keep_private:
            steps.append(Step(spec.name, None, "update", "still private (interrupted publish)"))
        elif changed:
            steps.append(Step(spec.name, None, "update", f"metadata: {', '.join(changed)}"))
        else:
            steps.append(Step(spec.name, None, "unchanged", "same metadata"))
        by_name, duplicates = _by_name(existing.get("resources", []))
        for resource in spec.resources:
            step = _resource_step(spec.name, resource, by_name.get(resource.name))
            if private and step.action == "unchanged" and resource.datastore:
                step = _checked_datastore(portal, step, resource, by_name[resource.name])
            steps.append(step)
        wanted = {r.name for r in spec.resources}
        steps += [
            Step(spec.name, name, "delete", "no longer in the release", by_name[name]["id"])
            for name in sorted(set(by_name) - wanted)
        ]
        steps += [
            Step(spec.name, r["name"], "delete", "duplicate of the same name", r["id"])
            for r in duplicates
        ]
    return steps


def _by_name(
    resources: list[dict[str, Any]],
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The first resource of each name, and the later ones of a name already seen."""
    first: dict[str, dict[str, Any]] = {}
    later = []
    for resource in resources:
        if resource["name"] in first:
            later.append(resource)
        else:
            first[resource["name"]] = resource
    return first, later


def _checked_datastore(
    portal: Portal, step: Step, resource: ResourceSpec, old: dict[str, Any]
) -> Step:
    """An interrupted load may have left the hash right and the table short: count and sample."""
    if _datastore_matches(portal, old["id"], resource, _row_count(resource)):
        return step
    return Step(step.dataset, step.resource, "update", "DataStore table incomplete")


def apply_plan(
    portal: Portal,
    specs: list[DatasetSpec],
    steps: list[Step],
    token: str | None,
    progress: Callable[[str], None] | None = None,
    *,
    keep_private: bool = False,
) -> None:
    """Carry out ``steps`` (from :func:`make_plan` on the same specs); ``keep_private`` leaves
    every dataset private at the end (an embargo)."""
    by_dataset: dict[str, list[Step]] = {}
    for step in steps:
        by_dataset.setdefault(step.dataset, []).append(step)
    for spec in specs:
        mine = by_dataset.get(spec.name, [])
        if all(s.action == "unchanged" for s in mine):
            continue
        if progress:
            progress(spec.name)
        head = mine[0]
        if head.action == "create":
            dataset = portal.create(
                "package_create", partial(portal.dataset, spec.name), **spec.metadata, private=True
            )
        else:
            dataset = portal.dataset(spec.name) or {}
            if head.action == "update":
                dataset = portal.write(
                    "package_patch", id=dataset["id"], **spec.metadata, private=True
                )
        existing, _ = _by_name(dataset.get("resources", []))
        resources = {r.name: r for r in spec.resources}
        for step in mine[1:]:
            if step.action in ("create", "update"):
                assert step.resource is not None
                _put(portal, dataset["id"], resources[step.resource], existing, token)
        for step in mine[1:]:
            if step.action == "delete" and step.resource_id:
                portal.write("resource_delete", id=step.resource_id)
        if not keep_private and (head.action != "unchanged" or dataset.get("private")):
            portal.write("package_patch", id=dataset["id"], private=False)
        log.info("publish · %s · %d steps", spec.name, len(mine))


def _normal(value: Any) -> str:
    """Comparable text of a field; every kind of empty is the same (the portal drops them)."""
    if isinstance(value, dict) and not any(value.values()):
        value = None
    if value in ([], "", {}):
        value = None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = sorted(value)  # the portal keeps themes and languages in its own order
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _changed_fields(wanted: dict[str, Any], existing: dict[str, Any]) -> list[str]:
    changed = []
    for key, value in wanted.items():
        if key == "owner_org":
            continue
        if _normal(value) != _normal(existing.get(key)):
            changed.append(key)
    return changed


def _resource_step(dataset: str, wanted: ResourceSpec, old: dict[str, Any] | None) -> Step:
    if old is None:
        return Step(dataset, wanted.name, "create", "new")
    if old.get("hash") != f"sha256:{wanted.sha256}":
        return Step(dataset, wanted.name, "update", "content changed (sha256)")
    if wanted.datastore and not old.get("datastore_active"):
        return Step(dataset, wanted.name, "update", "not in the DataStore")
    fields = wanted.fields()
    differ = [k for k in fields if _normal(fields[k]) != _normal(_portal_value(old, k))]
    if differ:
        return Step(dataset, wanted.name, "update", f"metadata: {', '.join(differ)}")
    return Step(dataset, wanted.name, "unchanged", "same sha256 and metadata")


def _portal_value(old: dict[str, Any], key: str) -> Any:
    value = old.get(key)
    if key == "size" and value is not None:
        return int(value)
    if key == "schema" and isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _put(
    portal: Portal,
    dataset_id: str,
    resource: ResourceSpec,
    existing: dict[str, dict[str, Any]],
    token: str | None,
) -> None:
    """Upload (create or replace in place) one resource, load its table, verify both."""
    fields = resource.fields()
    old = existing.get(resource.name)
    if old is None:
        made = portal.create(
            "resource_create",
            partial(_resource_named, portal, dataset_id, resource.name),
            files=upload(resource.path),
            package_id=dataset_id,
            **fields,
        )
    else:
        made = portal.write("resource_patch", files=upload(resource.path), id=old["id"], **fields)
        if resource.datastore or old.get("datastore_active"):
            drop_datastore(portal, old["id"])
    _verify_file(made, resource, token)
    if resource.datastore and resource.schema is not None:
        rows = _load_datastore(portal, made["id"], resource)
        _verify_datastore(portal, made["id"], resource, rows)


def _resource_named(portal: Portal, dataset_id: str, name: str) -> dict[str, Any] | None:
    return _by_name((portal.dataset(dataset_id) or {}).get("resources", []))[0].get(name)


def drop_datastore(portal: Portal, resource_id: str) -> None:
    """Drop the resource's DataStore table, also one an interrupted load left unflagged."""
    with contextlib.suppress(ckanapi.NotFound):
        portal.write("datastore_delete", resource_id=resource_id, force=True)


def _verify_file(made: dict[str, Any], resource: ResourceSpec, token: str | None) -> None:
    headers = {"Authorization": token} if token else {}
    answer = requests.get(made["url"], headers=headers, timeout=120)
    digest = hashlib.sha256(answer.content).hexdigest() if answer.ok else ""
    if digest != resource.sha256:
        raise PublishError(
            f"resource {resource.name} did not arrive intact (HTTP {answer.status_code})",
            hint="run the command again: it re-uploads what does not match",
        )


def _records(resource: ResourceSpec) -> Iterator[dict[str, Any]]:
    assert resource.schema is not None
    kinds = {f["name"]: f["type"] for f in resource.schema["fields"]}
    with resource.path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield {k: _typed(v, kinds.get(k, "string")) for k, v in row.items()}


def _typed(text: str, kind: str) -> Any:
    if text == "":
        return None
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    return text


def _load_datastore(portal: Portal, resource_id: str, resource: ResourceSpec) -> int:
    assert resource.schema is not None
    fields = datastore_fields(resource.schema)
    chunk: list[dict[str, Any]] = []
    total = 0
    created = False
    for record in _records(resource):
        chunk.append(record)
        if len(chunk) == CHUNK_ROWS:
            created = _send(portal, resource_id, fields, chunk, created)
            total += len(chunk)
            chunk = []
    if chunk or not created:
        _send(portal, resource_id, fields, chunk, created)
        total += len(chunk)
    return total


def _send(
    portal: Portal,
    resource_id: str,
    fields: list[dict[str, Any]],
    records: list[dict[str, Any]],
    created: bool,
) -> bool:
    if created:
        portal.write(
            "datastore_upsert", resource_id=resource_id, records=records, method="insert",
            force=True,
        )  # fmt: skip
    else:
        portal.write(
            "datastore_create", resource_id=resource_id, fields=fields, records=records,
            force=True,
        )  # fmt: skip
    return True


def _row_count(resource: ResourceSpec) -> int:
    with resource.path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def _datastore_matches(portal: Portal, resource_id: str, resource: ResourceSpec, rows: int) -> bool:
    """The DataStore table has ``rows`` rows and begins with the file's first rows."""
    try:
        answer = portal.read("datastore_search", resource_id=resource_id, limit=SAMPLE_ROWS)
    except ckanapi.NotFound:
        return False
    sample = [{k: v for k, v in r.items() if k != "_id"} for r in answer.get("records", [])]
    return bool(answer.get("total") == rows and sample == list(_first(resource, SAMPLE_ROWS)))


def _verify_datastore(portal: Portal, resource_id: str, resource: ResourceSpec, rows: int) -> None:
    if not _datastore_matches(portal, resource_id, resource, rows):
        raise PublishError(
            f"the DataStore table of {resource.name} does not match the file",
            hint="run the command again: it reloads what does not match",
        )


def _first(resource: ResourceSpec, n: int) -> Iterator[dict[str, Any]]:
    for i, record in enumerate(_records(resource)):
        if i >= n:
            return
        yield record
