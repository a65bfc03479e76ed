"""The portal's action API through ckanapi, with timeouts, bounded retries and an identity check.

Only timeouts, dropped connections, 408, 429 and 5xx are retried (exponential backoff within an
overall deadline); a 4xx is an answer and is never retried. A create whose answer was lost may
still have happened, so :meth:`Portal.create` looks for what it made before trying again
instead of making a duplicate. The token is never printed or logged: errors name the action,
not the request.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ckanapi
import requests

from odata.config import Settings
from odata.errors import PortalError, PublishError

__all__ = ["Portal", "Transient"]

log = logging.getLogger(__name__)

TIMEOUT_S = 120.0
DEADLINE_S = 600.0
FIRST_WAIT_S = 0.5


class Transient(Exception):
    """A failure worth retrying (timeout, dropped connection, 408, 429, 5xx)."""


class _Remote(ckanapi.RemoteCKAN):  # type: ignore[misc]
    def _request_fn(
        self, url: str, data: Any, headers: Any, files: Any, requests_kwargs: Any
    ) -> tuple[int, str]:
        try:
            r = self.session.post(
                url, data=data, headers=headers, files=files, allow_redirects=False,
                **requests_kwargs,
            )  # fmt: skip
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise Transient(type(exc).__name__) from None
        if r.status_code in (408, 429) or r.status_code >= 500:
            raise Transient(f"HTTP {r.status_code}")
        return int(r.status_code), str(r.text)


class Portal:
    """One portal, as one user. ``writes`` counts the write calls this client made."""

    def __init__(
        self,
        url: str,
        token: str | None,
        deadline_s: float = DEADLINE_S,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self.url = url.rstrip("/")
        self._remote = _Remote(self.url, apikey=token, user_agent="odata-publish")
        self._deadline = deadline_s
        self._timeout = timeout_s
        self.writes = 0

    @classmethod
    def of(cls, settings: Settings, token: str | None) -> Portal:
        """The portal of ``settings``, with its timeout and deadline."""
        p = settings.portal
        return cls(p.url, token, deadline_s=p.deadline, timeout_s=p.request_timeout)

    def read(self, action: str, **data: Any) -> Any:
        return self._call(action, data, None)

    def dataset(self, name: str) -> dict[str, Any] | None:
        """The dataset ``name`` (or id) as the token sees it; None when there is none."""
        try:
            found: dict[str, Any] = self.read("package_show", id=name)
        except ckanapi.NotFound:
            return None
        return found

    def write(
        self, action: str, files: Callable[[], Mapping[str, Any]] | None = None, **data: Any
    ) -> Any:
        """A write call; ``files`` opens the upload afresh for each attempt."""
        self.writes += 1
        return self._call(action, data, files)

    def create(
        self,
        action: str,
        find: Callable[[], Any],
        files: Callable[[], Mapping[str, Any]] | None = None,
        **data: Any,
    ) -> Any:
        """A create call that is safe to retry: after a transient failure ``find`` looks for
        what the lost attempt may have made (a dataset or resource by name), and that is
        returned rather than created twice."""
        self.writes += 1
        return self._call(action, data, files, find=find)

    def identity(self, organization: str) -> str:
        """The token's user name, checked to be able to write into ``organization``.

        Raises:
            PortalError: no token, a token the portal does not know (it then answers as
                anonymous), or a user who cannot edit the organization.
        """
        try:
            user = self.read("user_show", include_datasets=False)
        except (ckanapi.NotAuthorized, ckanapi.NotFound, ckanapi.ValidationError):
            user = None
        if not user or not user.get("name"):
            raise PortalError(
                "the portal does not recognise the token (it would act as anonymous)",
                hint="set ODATA_CKAN_TOKEN to a valid API token of an editor of the organization",
            )
        orgs = self.read("organization_list_for_user", permission="create_dataset")
        if not user.get("sysadmin") and organization not in {o["name"] for o in orgs}:
            raise PortalError(
                f"user {user['name']} may not publish into organization {organization}",
                hint="make the token's user an editor of the organization",
            )
        return str(user["name"])

    def _call(
        self,
        action: str,
        data: Mapping[str, Any],
        files: Callable[[], Mapping[str, Any]] | None,
        find: Callable[[], Any] | None = None,
    ) -> Any:
        start = time.monotonic()
        wait = FIRST_WAIT_S
        failed = False
        while True:
            if failed and find is not None and (made := find()) is not None:
                log.info("%s: the lost attempt had succeeded", action)
                return made
            opened = dict(files()) if files else None
            payload = dict(data)
            if opened:  # a multipart form carries text only: structured fields go as JSON
                payload = {
                    k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                    for k, v in payload.items()
                }
            try:
                return self._remote.call_action(
                    action, payload, files=opened, requests_kwargs={"timeout": self._timeout}
                )
            except ckanapi.ValidationError as exc:
                fields = exc.error_dict if hasattr(exc, "error_dict") else {}
                reasons = "; ".join(
                    f"{k}: {v[0] if isinstance(v, list) and v else v}"
                    for k, v in sorted(fields.items())
                    if k != "__type"
                )
                raise PublishError(
                    f"the portal refused {action}: {reasons or exc}",
                    hint="fix the package metadata (datapackage/<name>/package.yaml) and rebuild",
                ) from None
            except ckanapi.NotAuthorized:
                raise PortalError(
                    f"the token may not call {action}",
                    hint="make the token's user an editor of the organization",
                ) from None
            except Transient as exc:
                if time.monotonic() - start + wait > self._deadline:
                    raise PortalError(
                        f"the portal kept failing on {action} ({exc})",
                        hint="check `odata portal status`; running the command again resumes",
                    ) from None
                log.warning("%s: %s, retrying in %.1f s", action, exc, wait)
                time.sleep(wait)
                wait = min(wait * 2, 30.0)
                failed = True
            finally:
                for handle in (opened or {}).values():
                    if hasattr(handle, "close"):
                        handle.close()
                    elif isinstance(handle, tuple) and hasattr(handle[-1], "close"):
                        handle[-1].close()


def upload(path: Path) -> Callable[[], Mapping[str, Any]]:
    """A ``files`` argument that opens ``path`` for one attempt."""
    return lambda: {"upload": (path.name, path.open("rb"))}
