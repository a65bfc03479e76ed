"""The fast engine's descriptor shortcut never lets a descriptor error through.

``plainly_valid`` spares the import of frictionless for descriptors it knows to be valid. Here
it is held to that claim: on every descriptor odata meets it says yes and frictionless agrees;
on hundreds of broken variants frictionless rejects, it says no (so frictionless is asked and
its errors are reported as they are).
"""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from odata.validate import validate_package
from odata.validate.fast import standard
from odata.validate.fast.descriptor import descriptor_problems, load_descriptor
from odata.validate.fast.standard import V2, plainly_valid

from ..conftest import REPO, RIFERIMENTI
from .test_validate_parity import write_package

_spec = importlib.util.spec_from_file_location("bench_validate", REPO / "bench" / "validate.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

Descriptor = dict[str, Any]


def register(tmp_path: Path) -> Path:
    """The benchmark's register descriptor (its data is not needed here)."""
    return bench.generate(50, tmp_path / "register")


def corpus(tmp_path: Path) -> list[Path]:
    releases = sorted((REPO / "build" / "releases").glob("*/*/datapackage.json"))
    v2 = write_package(tmp_path / "v2")
    data = json.loads(v2.read_text())
    v2.write_text(json.dumps({"$schema": V2, **data}))
    return [
        RIFERIMENTI / "datapackage.yaml",
        register(tmp_path),
        write_package(tmp_path / "parity"),
        v2,
        *releases,
    ]


def frictionless_finds(path: Path) -> bool:
    return bool(descriptor_problems(path, "x"))


def test_every_descriptor_odata_meets_is_plainly_valid(tmp_path: Path) -> None:
    for path in corpus(tmp_path):
        assert plainly_valid(load_descriptor(path), path), path
        assert not frictionless_finds(path), path


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key or index path in ``value``, parents before children."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*at, key)
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:2]):  # the first items stand for the rest
            yield (*at, index)
            yield from _paths(item, (*at, index))


def _set(descriptor: Descriptor, path: tuple[Any, ...], value: Any) -> Descriptor:
    changed = copy.deepcopy(descriptor)
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


def _drop(descriptor: Descriptor, path: tuple[Any, ...]) -> Descriptor:
    changed = copy.deepcopy(descriptor)
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return changed


#: values put in place of every property in turn: wrong types, unsafe paths, bad names
ODD_VALUES: list[Any] = [None, True, 7, -1, 2.5, "", "NOT a name", "../up", "/abs", [], {}, [1]]
#: properties added at every mapping: frictionless knows and checks each of them
ODD_KEYS: dict[str, Any] = {
    "profile": "tabular-data-package",
    "missingValues": ["NA"],
    "fields": [],
    "required": True,
    "data": [[1]],
    "example": "x",
    "bareNumber": "no",
    "email": "not an email",
    "exclusiveMinimum": 0,
}


def mutations(descriptor: Descriptor) -> Iterator[Descriptor]:
    for path in _paths(descriptor):
        for value in ODD_VALUES:
            yield _set(descriptor, path, value)
        yield _drop(descriptor, path)
        parent = path[:-1]
        if not parent or isinstance(path[-1], str):
            for key, value in ODD_KEYS.items():
                yield _set(descriptor, (*parent, key), value)


def _written(folder: Path, descriptor: Descriptor, suffix: str) -> Path:
    path = folder / f"datapackage{suffix}"
    text = yaml.safe_dump(descriptor) if suffix == ".yaml" else json.dumps(descriptor)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("base", ["register", "v2"])
def test_no_broken_variant_passes_for_plainly_valid(base: str, tmp_path: Path) -> None:
    """Whatever is changed, plainly_valid never says yes where frictionless says no."""
    path = register(tmp_path) if base == "register" else corpus(tmp_path)[3]
    descriptor = load_descriptor(path)
    if base == "v2":  # the smaller parity schema, fields trimmed to keep the test short
        fields = descriptor["resources"][0]["schema"]["fields"]
        descriptor["resources"][0]["schema"]["fields"] = fields[:4] + fields[-1:]
        descriptor["resources"][0]["schema"]["foreignKeys"] = []
    rejected = accepted = 0
    for variant in mutations(descriptor):
        written = _written(tmp_path, variant, ".json")
        if plainly_valid(variant, written):
            accepted += 1
            assert not frictionless_finds(written), json.dumps(variant)[:400]
        else:
            rejected += 1
    assert rejected > 100 and accepted > 10


@pytest.mark.parametrize("value", [None, 7, "x", [], {"a": [1]}])
def test_odata_own_properties_are_ignored_by_frictionless(value: Any, tmp_path: Path) -> None:
    """The properties plainly_valid takes with any value are indeed not frictionless's."""
    descriptor = load_descriptor(register(tmp_path))
    resource = descriptor["resources"][0]
    descriptor.update(dict.fromkeys(standard._PACKAGE_EXTRA, value))
    resource.update(dict.fromkeys(standard._RESOURCE_EXTRA, value))
    resource["schema"]["fields"][0].update(dict.fromkeys(standard._FIELD_EXTRA, value))
    path = _written(tmp_path, descriptor, ".json")
    assert plainly_valid(descriptor, path)
    assert not frictionless_finds(path)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda d: d.update(name="Registro Bench"), "package-error"),
        (lambda d: d["resources"][0].update(path="../imprese.csv"), "resource-error"),
        (lambda d: d["resources"][0]["schema"].update(primaryKey=["nope"]), "schema-error"),
        (lambda d: d["resources"][0]["schema"]["fields"][0].update(required=True), "field-error"),
    ],
)
def test_the_fast_engine_reports_frictionless_descriptor_errors(
    change: Any, code: str, tmp_path: Path
) -> None:
    path = register(tmp_path)
    descriptor = load_descriptor(path)
    change(descriptor)
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    fast = validate_package(path, "fast")
    assert [p.code for p in fast] == [code]
    assert fast == descriptor_problems(path, fast[0].file or "")


def test_a_yml_descriptor_is_left_to_frictionless(tmp_path: Path) -> None:
    """frictionless parses by suffix in several places: only it can say how it reads .yml."""
    path = _written(tmp_path, load_descriptor(register(tmp_path)), ".yml")
    assert not plainly_valid(load_descriptor(path), path)
