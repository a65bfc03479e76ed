"""Template helpers: show a translated field in the visitor's language (Italian or English).

CKAN's own templates already read ``title_translated`` / ``notes_translated`` through
``h.get_translated``; these helpers cover our snippets, which also fall back to the primary
language when a text is missing in the current one.
"""

from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.odata.validators import field_languages


def _current_lang() -> str:
    return str(tk.h.lang() or "").split("_")[0]


def _primary_lang() -> str:
    return str(tk.config.get("ckan.locale_default") or "it").split("_")[0]


def _decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def odata_text(value: Any) -> Any:
    """A ``{lang: text}`` value in the current language, else the primary one, else any."""
    value = _decode(value)
    if not isinstance(value, dict):
        return value or ""
    for lang in (_current_lang(), _primary_lang()):
        if value.get(lang):
            return value[lang]
    return next((text for text in value.values() if text), "")


def odata_translated(data: dict[str, Any], field: str) -> Any:
    """``data[field + "_translated"]`` in the current language, else the core ``data[field]``."""
    return odata_text(data.get(field + "_translated")) or data.get(field) or ""


def odata_tags(pkg: dict[str, Any]) -> list[dict[str, str]]:
    """Tag dicts (as ``snippets/tag_list.html`` wants them) for the current language's
    keywords; the core tags when the dataset has no translated keywords."""
    tags = odata_text(pkg.get("tags_translated"))
    if isinstance(tags, list) and tags:
        return [{"name": tag, "display_name": tag} for tag in tags]
    return list(pkg.get("tags") or [])


def odata_field_languages(field: dict[str, Any], object_type: str | None = None) -> list[str]:
    """The languages a form shows one input for (the schema's ``form_languages``)."""
    schema = tk.h.scheming_get_dataset_schema(object_type or "dataset")
    return field_languages(field, schema)


def odata_form_value(data: dict[str, Any], field_name: str, lang: str) -> Any:
    """The value of one language's input: what was just submitted (``<field>-<lang>``, after a
    validation error) or the stored value."""
    submitted = data.get(f"{field_name}-{lang}")
    if submitted is not None:
        return submitted
    value = _decode(data.get(field_name))
    if isinstance(value, dict):
        text = value.get(lang, "")
        return ", ".join(text) if isinstance(text, list) else text
    return ""


def odata_lang_errors(errors: Any, lang: str, languages: list[str]) -> list[str]:
    """The error messages to show under one language's input: those that name it, plus
    (under the first language) those that name no language."""
    messages = [str(m) for m in (errors or []) if isinstance(m, str)]
    named = [m for m in messages if f'"{lang}"' in m]
    if lang == languages[0]:
        named += [m for m in messages if not any(f'"{other}"' in m for other in languages)]
    return named


def odata_language_name(lang: str) -> str:
    """The language's own name for form labels ("italiano", "English")."""
    names = {"it": "italiano", "en": "English"}
    return names.get(lang, lang)


def odata_schema_fields(value: Any) -> list[dict[str, Any]]:
    """The fields of a Table Schema (JSON string or dict), for display; [] when unreadable."""
    schema = _decode(value)
    fields = schema.get("fields") if isinstance(schema, dict) else None
    return [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []


def odata_changelog_entries(value: Any) -> list[dict[str, Any]]:
    """The edition history (JSON string or list), newest first; [] when unreadable."""
    entries = _decode(value)
    if not isinstance(entries, list):
        return []
    kept = [e for e in entries if isinstance(e, dict) and e.get("edition")]
    return sorted(kept, key=lambda e: str(e.get("issued") or e["edition"]), reverse=True)


def all_helpers() -> dict[str, Any]:
    """The helpers this module registers with CKAN (ITemplateHelpers)."""
    return {
        fn.__name__: fn
        for fn in (
            odata_text,
            odata_translated,
            odata_tags,
            odata_field_languages,
            odata_form_value,
            odata_lang_errors,
            odata_language_name,
            odata_schema_fields,
            odata_changelog_entries,
        )
    }
