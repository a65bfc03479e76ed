"""The few CKAN API calls the portal set-up needs (publishing has its own client)."""

from __future__ import annotations

import ckanapi

from odata.errors import PortalError

__all__ = ["ensure_organization"]


def ensure_organization(url: str, token: str, name: str, title: str) -> bool:
    """Create the programme's organization if it does not exist; True if created."""
    portal = ckanapi.RemoteCKAN(url, apikey=token, user_agent="odata-portal")
    try:
        portal.action.organization_show(id=name)
        return False
    except ckanapi.NotFound:
        pass
    except ckanapi.NotAuthorized as exc:
        raise PortalError(
            "the portal refused the sysadmin token",
            hint="run `odata portal reset --yes` to recreate the portal",
        ) from exc
    portal.action.organization_create(name=name, title=title)
    return True
