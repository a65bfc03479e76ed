"""What a brief's kernel needs to know, handed over through environment variables.

Voilà starts kernels in ``dashboards/`` with the server's environment, so ``odata briefs
serve`` writes these variables before it starts Voilà and the notebooks read them back here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from odata.config import Settings

__all__ = ["BRIEFS", "LANGUAGES", "BriefSettings"]

BRIEFS = ("imprese", "progetto", "cassetto")
LANGUAGES = ("it", "en")

ENV_SOURCE = "ODATA_BRIEFS_SOURCE"  # "release" (offline, the built release) or "portal"
ENV_RELEASE_DIR = "ODATA_BRIEFS_RELEASE_DIR"  # a release folder: build/releases/<id>
ENV_PORTAL_URL = "ODATA_BRIEFS_PORTAL_URL"  # the CKAN the release was published to
ENV_CACHE_DIR = "ODATA_BRIEFS_CACHE_DIR"  # DataStore answers kept between kernels
ENV_LANGUAGE = "ODATA_BRIEFS_LANGUAGE"  # the language a visitor sees first
ENV_REFERENCE_DIR = "ODATA_BRIEFS_REFERENCE_DIR"  # committed reference data (boundaries)
ENV_PROGRAMME = "ODATA_BRIEFS_PROGRAMME"  # the programme calendar, "start/end" (ISO dates)
ENV_STATIC_DIR = "ODATA_BRIEFS_STATIC_DIR"  # the static render: its drawn panels warm kernels


@dataclass(frozen=True)
class BriefSettings:
    """Where a brief reads its published tables and which language it opens in."""

    source: Literal["release", "portal"]
    release_dir: Path | None
    portal_url: str
    cache_dir: Path | None
    language: str = "it"
    reference_dir: Path | None = None
    programme: tuple[date, date] | None = None
    static_dir: Path | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        source: str,
        cache_dir: Path | None,
        release_dir: Path | None,
        static_dir: Path | None = None,
    ) -> BriefSettings:
        """What ``odata briefs serve`` hands to kernels, from odata's own settings."""
        return cls(
            source="portal" if source == "portal" else "release",
            release_dir=release_dir,
            portal_url=settings.portal.url.rstrip("/"),
            cache_dir=cache_dir,
            reference_dir=settings.path("datapackages") / "riferimenti" / "data",
            programme=(settings.programme.start, settings.programme.end),
            static_dir=static_dir,
        )

    def environ(self) -> dict[str, str]:
        """These settings as the environment variables a kernel reads."""
        return {
            ENV_SOURCE: self.source,
            ENV_RELEASE_DIR: str(self.release_dir or ""),
            ENV_PORTAL_URL: self.portal_url,
            ENV_CACHE_DIR: str(self.cache_dir or ""),
            ENV_LANGUAGE: self.language,
            ENV_REFERENCE_DIR: str(self.reference_dir or ""),
            ENV_PROGRAMME: _dates(self.programme),
            ENV_STATIC_DIR: str(self.static_dir or ""),
        }

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> BriefSettings:
        """Read the settings back inside a kernel (unknown values fall back to safe ones)."""
        env = os.environ if env is None else env
        source: Literal["release", "portal"] = (
            "portal" if env.get(ENV_SOURCE) == "portal" else "release"
        )
        language = env.get(ENV_LANGUAGE, "it")
        return cls(
            source=source,
            release_dir=Path(env[ENV_RELEASE_DIR]) if env.get(ENV_RELEASE_DIR) else None,
            portal_url=env.get(ENV_PORTAL_URL, "").rstrip("/"),
            cache_dir=Path(env[ENV_CACHE_DIR]) if env.get(ENV_CACHE_DIR) else None,
            language=language if language in LANGUAGES else "it",
            reference_dir=Path(env[ENV_REFERENCE_DIR]) if env.get(ENV_REFERENCE_DIR) else None,
            programme=_calendar(env.get(ENV_PROGRAMME, "")),
            static_dir=Path(env[ENV_STATIC_DIR]) if env.get(ENV_STATIC_DIR) else None,
        )


def _dates(calendar: tuple[date, date] | None) -> str:
    return "/".join(d.isoformat() for d in calendar) if calendar else ""


def _calendar(text: str) -> tuple[date, date] | None:
    try:
        start, end = (date.fromisoformat(part) for part in text.split("/"))
    except ValueError:
        return None
    return start, end
