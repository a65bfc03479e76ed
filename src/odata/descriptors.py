"""Find the hand-written data package descriptors under ``datapackage/<name>/``."""

from __future__ import annotations

from pathlib import Path

from odata.errors import ConfigError

__all__ = ["DESCRIPTOR_NAMES", "locate_package", "package_names"]

#: Descriptor file names, in order of preference (the hand-written one is YAML).
DESCRIPTOR_NAMES = ("datapackage.yaml", "datapackage.yml", "datapackage.json")


def package_names(datapackages: Path) -> list[str]:
    """Names of the data packages under ``datapackages`` (folders holding a descriptor)."""
    if not datapackages.is_dir():
        return []
    return sorted(
        folder.name
        for folder in datapackages.iterdir()
        if folder.is_dir() and any((folder / n).is_file() for n in DESCRIPTOR_NAMES)
    )


def locate_package(target: str | Path, datapackages: Path) -> Path:
    """The descriptor file of ``target``: a descriptor path, a package folder, or a name.

    Raises:
        ConfigError: nothing matching ``target`` holds a data package descriptor.
    """
    path = Path(target)
    if path.is_file():
        return path
    for folder in (path, datapackages / str(target)):
        for name in DESCRIPTOR_NAMES:
            if (folder / name).is_file():
                return folder / name
    known = ", ".join(package_names(datapackages)) or "none"
    raise ConfigError(
        "no data package descriptor found",
        file=str(target),
        hint=f"give a folder holding datapackage.yaml or a package name ({known})",
    )
