"""The ``cassetto-digitale`` package: guides for immigrant entrepreneurs and their catalogue.

The guides are Markdown files in the repository (``cassetto/guides/<topic>/<language>.md``,
YAML front matter: title, topic, language, audience, summary, reviewed, sources; see
cassetto/README.md) listed by ``cassetto/catalogue.yaml``. :func:`write_cassetto` renders each
to a self-contained, accessible HTML page (``lang`` and ``dir`` set, right to left for Arabic,
no script, no external resource), prints that same page to a tagged PDF beside it (one
Chromium for every guide, dated with the release, so a release prints the same bytes; see
:mod:`odata.pdf`), writes the catalogue table (one row per guide, language and format) and the
package descriptor. A catalogue that claims a language with no file, or a guide that the
catalogue does not list, fails the build.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from markdown_it import MarkdownIt

from odata.config import Settings
from odata.errors import ConfigError, display_path
from odata.packages.descriptor import bytes_and_hash
from odata.pdf import print_pdfs

__all__ = ["FORMATS", "PACKAGE", "Guide", "read_guides", "write_cassetto"]

PACKAGE = "cassetto-digitale"
#: Every guide is published in each format: the HTML page and the PDF printed from it.
FORMATS = ("html", "pdf")
_MEDIATYPES = {"html": "text/html", "pdf": "application/pdf"}
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})
_REQUIRED = ("title", "topic", "language", "audience", "summary", "reviewed", "sources")
_LANGUAGE_NAMES = {
    "it": ("italiano", "Italian"),
    "en": ("inglese", "English"),
    "fr": ("francese", "French"),
    "ar": ("arabo", "Arabic"),
    "zh": ("cinese", "Chinese"),
}


@dataclass(frozen=True)
class Guide:
    """One language version of one guide."""

    topic: str
    language: str
    title: str
    audience: str
    summary: str
    reviewed: dt.date
    sources: tuple[tuple[str, str], ...]
    body: str
    path: Path

    @property
    def resource(self) -> str:
        """The name of the HTML resource (the PDF's is :meth:`resource_of` ``"pdf"``)."""
        return f"{self.topic}-{self.language}"

    def resource_of(self, fmt: str) -> str:
        """The resource name of the guide in format ``fmt`` (``html`` keeps the plain name)."""
        return self.resource if fmt == "html" else f"{self.resource}-{fmt}"

    def path_of(self, fmt: str) -> str:
        """The file of the guide in format ``fmt``, relative to the package folder."""
        return f"guides/{self.resource}.{fmt}"


def read_guides(folder: Path) -> tuple[dict[str, Any], list[Guide]]:
    """The catalogue and every guide it lists, checked against each other.

    Raises:
        ConfigError: a missing file, a bad front matter, or a catalogue out of step.
    """
    catalogue_path = folder / "catalogue.yaml"
    if not catalogue_path.is_file():
        raise ConfigError("no catalogue of the cassetto digitale", file=str(catalogue_path))
    catalogue = yaml.safe_load(catalogue_path.read_text(encoding="utf-8"))
    entries = _entries(catalogue, catalogue_path)
    guides = []
    for entry in entries:
        for language in entry["languages"]:
            path = folder / "guides" / entry["slug"] / f"{language}.md"
            if not path.is_file():
                raise ConfigError(
                    f"the catalogue lists {entry['slug']} in {language}, but the file is missing",
                    file=display_path(path),
                )
            guides.append(_guide(path, entry["slug"], language))
    listed = {g.path.resolve() for g in guides}
    extra = sorted(p for p in (folder / "guides").glob("*/*.md") if p.resolve() not in listed)
    if extra:
        raise ConfigError(
            "a guide is not in the catalogue",
            file=display_path(extra[0]),
            hint="add its language to cassetto/catalogue.yaml",
        )
    return catalogue, guides


def _entries(catalogue: Any, path: Path) -> list[dict[str, Any]]:
    entries = catalogue.get("guides") if isinstance(catalogue, dict) else catalogue
    if not isinstance(entries, list) or not entries:
        raise ConfigError("the catalogue lists no guide", file=display_path(path))
    for entry in entries:
        if not isinstance(entry, dict) or not {"slug", "languages"} <= set(entry):
            raise ConfigError("a catalogue entry lacks slug or languages", file=display_path(path))
    return entries


def _guide(path: Path, topic: str, language: str) -> Guide:
    text = path.read_text(encoding="utf-8")
    where = display_path(path)
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        raise ConfigError("the guide has no YAML front matter", file=where)
    head, body = text[4:].split("\n---\n", 1)
    meta = yaml.safe_load(head)
    missing = [k for k in _REQUIRED if not isinstance(meta, dict) or not meta.get(k)]
    if missing:
        raise ConfigError(f"front matter lacks {missing[0]}", file=where, column=missing[0])
    if meta["topic"] != topic or meta["language"] != language:
        raise ConfigError("front matter topic or language differs from the path", file=where)
    reviewed = meta["reviewed"]
    if not isinstance(reviewed, dt.date):
        raise ConfigError("reviewed must be a date (YYYY-MM-DD)", file=where, column="reviewed")
    sources = tuple((str(s["title"]), str(s["url"])) for s in meta["sources"])
    return Guide(
        topic, language, str(meta["title"]), str(meta["audience"]), str(meta["summary"]),
        reviewed, sources, body, path,
    )  # fmt: skip


def render(guide: Guide) -> str:
    """A self-contained, accessible HTML page of the guide."""
    direction = "rtl" if guide.language in RIGHT_TO_LEFT else "ltr"
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(guide.body)
    title = html.escape(guide.title)
    day = guide.reviewed.isoformat()
    return f"""<!DOCTYPE html>
<html lang="{guide.language}" dir="{direction}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, "Noto Sans", "Noto Sans Arabic", "WenQuanYi Micro Hei",
  "Noto Sans CJK SC", sans-serif;
  max-width: 42rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.6; color: #1b1b1b; }}
h1, h2, h3 {{ line-height: 1.25; }}
a {{ color: #0b5cad; }}
footer {{ margin-top: 3rem; font-size: 0.9rem; color: #444; border-top: 1px solid #ccc; }}
@media print {{
  body {{ margin: 0 auto; }}
  h1, h2, h3 {{ break-after: avoid; }}
  tr, li {{ break-inside: avoid; }}
  main a[href^="http"]::after {{ content: "(" attr(href) ")"; font-size: 0.85em;
    margin: 0 0.3em; direction: ltr; unicode-bidi: isolate; }}
}}
</style>
</head>
<body>
<main>
{body}</main>
<footer><p><time datetime="{day}">{day}</time></p></footer>
</body>
</html>
"""


def write_cassetto(root: Path, settings: Settings) -> Path:
    """Write the ``cassetto-digitale`` package under ``root`` (a release folder being built):
    every guide as HTML and as PDF, the catalogue table and the descriptor; return the
    descriptor.

    Raises:
        ConfigError: the catalogue and the guides disagree, or a front matter is bad.
        PrintError: Chromium is missing or could not print a guide.
    """
    folder = root / PACKAGE
    _, guides = read_guides(settings.path("cassetto"))  # the catalogue chose the guides
    (folder / "guides").mkdir(parents=True)
    (folder / "data").mkdir()
    for guide in guides:
        (folder / guide.path_of("html")).write_text(render(guide), encoding="utf-8")
    print_pdfs(  # the PDF is printed from the very page published beside it
        [(folder / g.path_of("html"), folder / g.path_of("pdf")) for g in guides],
        settings.release.created,
        creator="odata cassetto",
        tagged=True,
    )
    rows = [
        {
            "argomento": guide.topic,
            "titolo": guide.title,
            "lingua": guide.language,
            "pubblico": guide.audience,
            "formato": fmt,
            "revisione": guide.reviewed.isoformat(),
            "risorsa": guide.resource_of(fmt),
            "sintesi": guide.summary,
        }
        for guide in guides
        for fmt in FORMATS
    ]
    frame = pd.DataFrame(rows).sort_values(["argomento", "lingua", "formato"])
    frame.to_csv(folder / "data" / "catalogo.csv", index=False, lineterminator="\n")
    return _descriptor(folder, guides, settings)


def _descriptor(folder: Path, guides: list[Guide], settings: Settings) -> Path:
    meta = yaml.safe_load(
        (settings.path("datapackages") / PACKAGE / "package.yaml").read_text(encoding="utf-8")
    )
    fields = meta.pop("fields")
    meta.pop("$schema", None)
    schema_fields = [
        {
            "name": name,
            "type": "date" if name == "revisione" else "string",
            "title": it,
            "title_translated": {"it": it, "en": en},
            "description": text_it,
            "description_translated": {"it": text_it, "en": text_en},
            "constraints": {"required": True},
        }
        for name, ((it, text_it), (en, text_en)) in (
            (n, (tuple(v["it"]), tuple(v["en"]))) for n, v in fields.items()
        )
    ]
    resources: list[dict[str, Any]] = [
        {
            "name": "catalogo",
            "path": "data/catalogo.csv",
            "type": "table",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "title": "Catalogo delle guide",
            "title_translated": {"it": "Catalogo delle guide", "en": "Catalogue of the guides"},
            **bytes_and_hash(folder / "data" / "catalogo.csv"),
            "schema": {
                "missingValues": [""],
                "primaryKey": ["risorsa"],
                "fields": schema_fields,
            },
        }
    ]
    for guide in sorted(guides, key=lambda g: (g.topic, g.language)):
        language_it, language_en = _LANGUAGE_NAMES.get(guide.language, (guide.language,) * 2)
        for fmt in FORMATS:
            path = guide.path_of(fmt)
            resources.append(
                {
                    "name": guide.resource_of(fmt),
                    "path": path,
                    "format": fmt,
                    "mediatype": _MEDIATYPES[fmt],
                    **({"encoding": "utf-8"} if fmt == "html" else {}),
                    "title": guide.title if fmt == "html" else f"{guide.title} (PDF)",
                    "description": guide.summary,
                    "languages": [guide.language],
                    "x-odata-guide": {
                        "topic": guide.topic,
                        "audience": guide.audience,
                        "reviewed": guide.reviewed.isoformat(),
                        "language_it": language_it,
                        "language_en": language_en,
                        "sources": [{"title": t, "path": u} for t, u in guide.sources],
                    },
                    **bytes_and_hash(folder / path),
                }
            )
    descriptor = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        **meta,
        "version": settings.release.id,
        "created": f"{settings.release.created.isoformat()}T00:00:00Z",
        "resources": resources,
    }
    out = folder / "datapackage.json"
    out.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return out
