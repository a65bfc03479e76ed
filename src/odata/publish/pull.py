"""`odata pull`: a published dataset back into a valid Frictionless data package.

The dataset carries its own ``datapackage.json`` as the resource named ``datapackage``; every
file it lists is the resource of the same name. Each file is downloaded, checked against the
descriptor's sha256 and written at its path, so the pulled folder is the published package,
byte for byte. Nothing is written if a file is missing or does not match.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import requests

from odata.config import Settings
from odata.errors import PortalError, PublishError
from odata.publish.client import Portal

__all__ = ["pull_dataset"]


def pull_dataset(settings: Settings, dataset: str, out: Path) -> Path:
    """Download ``dataset`` into ``out`` (which must not exist yet); return its descriptor.

    Raises:
        PortalError: the dataset or one of its files cannot be read.
        PublishError: a file differs from the descriptor's hash, or is not listed.
    """
    if out.exists():
        raise PortalError(f"{out} already exists", hint="give a new folder with --out")
    token = settings.ckan_token.reveal() if settings.ckan_token else None
    portal = Portal.of(settings, token)
    shown: dict[str, Any] = portal.read("package_show", id=dataset)
    by_name = {r["name"]: r for r in shown["resources"]}
    if "datapackage" not in by_name:
        raise PublishError(
            f"dataset {dataset} has no datapackage resource (not published by odata)"
        )
    raw = _download(by_name["datapackage"]["url"], token)
    descriptor = json.loads(raw)
    with tempfile.TemporaryDirectory(dir=out.parent if out.parent.exists() else None) as tmp:
        staging = Path(tmp) / "package"
        staging.mkdir()
        (staging / "datapackage.json").write_bytes(raw)
        for resource in descriptor["resources"]:
            name = resource["name"]
            if name not in by_name:
                raise PublishError(f"dataset {dataset} lacks the resource {name}")
            data = _download(by_name[name]["url"], token)
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            if digest != resource.get("hash", digest):
                raise PublishError(f"resource {name} of {dataset} does not match its hash")
            target = staging / resource["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staging, out)
    return out / "datapackage.json"


def _download(url: str, token: str | None) -> bytes:
    headers = {"Authorization": token} if token else {}
    answer = requests.get(url, headers=headers, timeout=120)
    if not answer.ok:
        raise PortalError(f"cannot download a resource (HTTP {answer.status_code})")
    return answer.content
