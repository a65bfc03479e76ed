"""odata: the open-data kit of the Italian observatory on migrant entrepreneurship.

It turns the programme's raw registers into anonymized, validated Frictionless data packages,
publishes them to CKAN and serves them as Voilà briefs. Data flows one way:
sources → ingest → anonymize → package → validate → publish → briefs / report.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from odata.config import Settings, load_settings
from odata.errors import ExitCode, OdataError, Problem

try:
    __version__ = version("odata")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["ExitCode", "OdataError", "Problem", "Settings", "__version__", "load_settings"]
