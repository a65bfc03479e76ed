"""Validators of the odata dataset schema: bilingual fields, EU vocabulary URIs, Table Schemas.

There is no ckanext-fluent for CKAN 2.11, so translated fields are our own: a field such as
``title_translated`` takes ``{"it": "...", "en": "..."}`` (a dict, its JSON string, or the web
form's one input per language, ``title_translated-it`` ...), is stored as a JSON string in the
package extras (resource fields: in the resource's extras) and comes back from ``package_show``
as a dict. The languages are the schema's ``form_languages``; the first one is the primary
language, which fills CKAN's core field (``title``, ``notes``, resource ``name`` ...), so that
search, the activity stream and every stock template keep working.

Errors name the field (the key of the 409 error dict) and the language (in the message).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

Key = tuple[Any, ...]
Data = dict[Key, Any]
Errors = dict[Key, list[str]]

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_missing = tk.missing
_Invalid = tk.Invalid
_StopOnError = tk.StopOnError


def scheming_validator(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark ``fn(field, schema)`` as a factory that ckanext-scheming calls with the field.

    (scheming's own decorator does the same; importing it here would be circular, because
    scheming loads every plugin's validators while its validation module is being imported.)
    """
    fn.is_a_scheming_validator = True  # type: ignore[attr-defined]
    return fn


def _(text: str) -> str:
    """Translate a message when a catalogue exists (CKAN's ``_``), else keep the English."""
    return str(tk._(text))


# ---------------------------------------------------------------------------------------------
# languages


def field_languages(field: dict[str, Any], schema: dict[str, Any] | None) -> list[str]:
    """The languages of a translated field: its own ``form_languages``, the schema's, or the
    portal's default locale; the first one is the primary language."""
    languages = field.get("form_languages") or (schema or {}).get("form_languages")
    if not languages:
        languages = [tk.config.get("ckan.locale_default") or "en"]
    return [str(lang) for lang in languages]


def _empty(value: Any) -> bool:
    return value is _missing or value is None or value == "" or value == {} or value == []


# ---------------------------------------------------------------------------------------------
# parsing: one place that turns any accepted input into {lang: value}


def _as_object(value: Any) -> Any:
    """A JSON string becomes what it encodes; anything else is returned as it is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _Invalid(
                _('Expected an object with one entry per language, e.g. {"it": "...", "en": "..."}')
            ) from None
    return value


def parse_texts(
    value: Any, languages: list[str], required: bool
) -> tuple[dict[str, str], list[str]]:
    """``value`` → ({lang: text} in ``languages`` order, problems).

    Unknown languages and non-text values are problems; so is a missing or empty language
    when ``required``. Texts are stripped; empty optional languages are left out.
    """
    try:
        obj = _as_object(value)
    except _Invalid as err:
        return {}, [str(err.error)]
    if not isinstance(obj, dict):
        return {}, [
            _('Expected an object with one entry per language, e.g. {"it": "...", "en": "..."}')
        ]
    problems = _unknown_languages(obj, languages)
    texts: dict[str, str] = {}
    for lang in languages:
        text = obj.get(lang)
        if text is not None and not isinstance(text, str):
            problems.append(
                _('Language "{lang}": expected text, got {kind}').format(
                    lang=lang, kind=type(text).__name__
                )
            )
        elif text and text.strip():
            texts[lang] = text.strip()
        elif required:
            problems.append(_('Missing text in language "{lang}"').format(lang=lang))
    return texts, problems


def parse_tags(
    value: Any, languages: list[str], required: bool
) -> tuple[dict[str, list[str]], list[str]]:
    """``value`` → ({lang: [tag, ...]}, problems); a language's tags may be a list or a
    comma-separated string (the web form). Tags follow CKAN's own tag rules."""
    try:
        obj = _as_object(value)
    except _Invalid as err:
        return {}, [str(err.error)]
    if not isinstance(obj, dict):
        return {}, [
            _(
                "Expected an object with a list of keywords per language,"
                ' e.g. {"it": ["..."], "en": ["..."]}'
            )
        ]
    problems = _unknown_languages(obj, languages)
    out: dict[str, list[str]] = {}
    for lang in languages:
        tags, lang_problems = _language_tags(obj.get(lang), lang)
        problems.extend(lang_problems)
        if tags:
            out[lang] = tags
        elif required and not lang_problems:
            problems.append(_('Missing keywords in language "{lang}"').format(lang=lang))
    return out, problems


def _language_tags(raw: Any, lang: str) -> tuple[list[str], list[str]]:
    if raw is None or raw == "":
        return [], []
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list):
        return [], [_('Language "{lang}": expected a list of keywords').format(lang=lang)]
    tags: list[str] = []
    problems: list[str] = []
    check_length = tk.get_validator("tag_length_validator")
    check_name = tk.get_validator("tag_name_validator")
    for tag in raw:
        if not isinstance(tag, str):
            problems.append(
                _('Language "{lang}": keyword {tag!r} is not text').format(lang=lang, tag=tag)
            )
            continue
        tag = tag.strip()
        if not tag or tag in tags:
            continue
        try:
            check_length(tag, {})
            check_name(tag, {})
        except _Invalid as err:
            problems.append(_('Language "{lang}": {error}').format(lang=lang, error=err.error))
            continue
        tags.append(tag)
    return tags, problems


def _unknown_languages(obj: dict[str, Any], languages: list[str]) -> list[str]:
    return [
        _('Unexpected language "{lang}" (expected: {expected})').format(
            lang=lang, expected=", ".join(languages)
        )
        for lang in obj
        if lang not in languages
    ]


def _collect(key: Key, data: Data, field_name: str) -> Any:
    """The submitted value: the field itself, or the web form's ``<field>-<lang>`` inputs,
    which CKAN has put in the ``__extras`` of the dataset or resource. Those inputs are
    removed from ``__extras`` either way (resources would otherwise store them)."""
    extras = data.get((*key[:-1], "__extras"))
    form: dict[str, Any] = {}
    if isinstance(extras, dict):
        prefix = field_name + "-"
        for name in [name for name in extras if name.startswith(prefix)]:
            form[name[len(prefix) :]] = extras.pop(name)
    value = data.get(key, _missing)
    return form if _empty(value) and form else value


def _store(key: Key, data: Data, value: dict[str, Any]) -> None:
    if value:
        data[key] = json.dumps(value, ensure_ascii=False)
    else:
        data.pop(key, None)
        raise _StopOnError


# ---------------------------------------------------------------------------------------------
# scheming validators (each gets the field and the schema; scheming calls them at load time)


def _per_language(
    field: dict[str, Any],
    schema: dict[str, Any],
    parse: Callable[..., tuple[dict[str, Any], list[str]]],
    missing: str,
) -> Callable[..., None]:
    """A validator storing one value per language as a JSON string, with ``parse`` checking
    them; ``missing`` (with ``{lang}``) is the message for each language a required field lacks."""
    languages = field_languages(field, schema)
    required = bool(field.get("required"))
    name = field["field_name"]

    def validator(key: Key, data: Data, errors: Errors, context: dict[str, Any]) -> None:
        value = _collect(key, data, name)
        if _empty(value):
            if required:
                errors[key].extend(_(missing).format(lang=lang) for lang in languages)
            data.pop(key, None)
            raise _StopOnError
        parsed, problems = parse(value, languages, required)
        if problems:
            errors[key].extend(problems)
            raise _StopOnError
        _store(key, data, parsed)

    return validator


@scheming_validator
def odata_translated(field: dict[str, Any], schema: dict[str, Any]) -> Callable[..., None]:
    """A text per language → a JSON string; required fields need every language."""
    return _per_language(field, schema, parse_texts, 'Missing text in language "{lang}"')


@scheming_validator
def odata_translated_core(field: dict[str, Any], schema: dict[str, Any]) -> Callable[..., None]:
    """Copy the primary language into the core field: ``title_translated`` → ``title``.

    Runs after ``odata_translated`` and after the core field's own validators (CKAN validates
    keys in sorted order, and ``title`` sorts before ``title_translated``).
    """
    languages = field_languages(field, schema)
    core = field["field_name"].removesuffix("_translated")

    def validator(key: Key, data: Data, errors: Errors, context: dict[str, Any]) -> None:
        texts = json.loads(data[key])
        text = texts.get(languages[0]) or next(iter(texts.values()), "")
        data[(*key[:-1], core)] = text

    return validator


@scheming_validator
def odata_translated_tags(field: dict[str, Any], schema: dict[str, Any]) -> Callable[..., None]:
    """Keywords per language → a JSON string. CKAN's core tags are set from them by our
    package_create/package_update wrappers (``core_tags``), before validation."""
    return _per_language(field, schema, parse_tags, 'Missing keywords in language "{lang}"')


@scheming_validator
def odata_translated_output(field: dict[str, Any], schema: dict[str, Any]) -> Callable[[Any], Any]:
    """Stored JSON string → dict for ``package_show``; a legacy plain string becomes the
    primary language's text."""
    primary = field_languages(field, schema)[0]

    def validator(value: Any) -> Any:
        if isinstance(value, str):
            try:
                decoded = json.loads(value)
            except ValueError:
                return {primary: value}
            return decoded if isinstance(decoded, dict) else {primary: value}
        return value

    return validator


def odata_required_in_group(key: Key, data: Data, errors: Errors, context: dict[str, Any]) -> None:
    """Required within a repeating group (publisher, holder, contact ...) once any of its
    subfields is filled: an empty group from the web form is simply ignored."""
    value = data.get(key)
    if not _empty(value):
        return
    group = key[:-1]
    siblings = [v for k, v in data.items() if len(k) == len(key) and k[:-1] == group and k != key]
    if any(not _empty(v) for v in siblings):
        errors[key].append(_("Missing value"))
    data.pop(key, None)
    raise _StopOnError


# ---------------------------------------------------------------------------------------------
# EU authority tables (data-theme, frequency, language, file-type ...)


def authority_uri(value: str, vocabulary: str) -> str:
    """``"ANNUAL"`` or its URI → the URI in the EU authority table ``vocabulary``.

    Raises Invalid for anything else, naming the table, so a typo never reaches the catalogue.
    """
    base = f"{EU_AUTHORITY}{vocabulary}/"
    text = value.strip()
    code = text[len(base) :] if text.startswith(base) else text.upper()
    if not _CODE.match(code) or (text.startswith("http") and not text.startswith(base)):
        raise _Invalid(_('"{value}" is not a code or URI of {base}').format(value=value, base=base))
    return base + code


def odata_authority_uri(vocabulary: str) -> Callable[[Any], Any]:
    """A single code or URI of an EU authority table (e.g. frequency) → its URI."""

    def validator(value: Any) -> Any:
        if _empty(value):
            return value
        if not isinstance(value, str):
            raise _Invalid(
                _("Expected a code or URI, got {kind}").format(kind=type(value).__name__)
            )
        return authority_uri(value, vocabulary)

    return validator


def odata_authority_uris(vocabulary: str) -> Callable[[Any], Any]:
    """A list of codes or URIs (or one, or a JSON list) of an EU authority table → URIs."""

    def validator(value: Any) -> Any:
        if _empty(value):
            return value
        items = _as_list(value)
        uris: list[str] = []
        for item in items:
            if not isinstance(item, str):
                raise _Invalid(
                    _("Expected codes or URIs, got {kind}").format(kind=type(item).__name__)
                )
            if item.strip():
                uri = authority_uri(item, vocabulary)
                if uri not in uris:
                    uris.append(uri)
        return uris

    return validator


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            raise _Invalid(_("Invalid JSON list")) from None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    raise _Invalid(_("Expected a list, got {kind}").format(kind=type(value).__name__))


# ---------------------------------------------------------------------------------------------
# licence and Table Schema


def odata_license_id(value: Any, context: dict[str, Any]) -> Any:
    """A licence id of the portal's register (see schemas/licenses.json), e.g. ``cc-by-4.0``;
    case does not matter, the register's spelling is stored.

    CKAN itself accepts any string, and a wrong id would silently become an unknown licence
    in the DCAT-AP_IT catalogue.
    """
    if _empty(value):
        return value
    register = model.Package.get_license_register()
    known = {str(key).lower(): key for key in register}
    if isinstance(value, str) and value.strip().lower() in known:
        return known[value.strip().lower()]  # "CC-BY-4.0" (Data Package style) → "cc-by-4.0"
    raise _Invalid(
        _('Unknown licence "{value}" (known: {known})').format(
            value=value, known=", ".join(sorted(register.keys()))
        )
    )


def odata_table_schema(value: Any) -> Any:
    """A Frictionless Table Schema → its JSON string, stored as sent.

    A string is kept byte for byte (so a publisher can compare hashes); a dict is serialised.
    Either way it must be a JSON object with a ``fields`` list of objects that have a name.
    """
    if _empty(value):
        return value
    if isinstance(value, dict):
        obj, text = value, json.dumps(value, ensure_ascii=False)
    elif isinstance(value, str):
        try:
            obj, text = json.loads(value), value
        except ValueError as err:
            raise _Invalid(_("Table Schema: invalid JSON ({error})").format(error=err)) from None
    else:
        raise _Invalid(_("Table Schema: expected a JSON object"))
    fields = obj.get("fields") if isinstance(obj, dict) else None
    if not isinstance(fields, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) for f in fields
    ):
        raise _Invalid(
            _('Table Schema: expected an object with a "fields" list of {"name": ...} objects')
        )
    return text


CHANGELOG_STATUSES = ("published", "withdrawn")


def odata_changelog(value: Any) -> Any:
    """The edition history → its JSON string: a list of objects, each with an ``edition`` and a
    ``status`` of published or withdrawn (odata publish and odata withdraw write it)."""
    if _empty(value):
        return value
    try:
        entries = json.loads(value) if isinstance(value, str) else value
    except ValueError as err:
        raise _Invalid(_("Edition history: invalid JSON ({error})").format(error=err)) from None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and e.get("edition") and e.get("status") in CHANGELOG_STATUSES
        for e in entries
    ):
        raise _Invalid(
            _('Edition history: expected a list of {"edition": ..., "status": ...} objects')
        )
    return value if isinstance(value, str) else json.dumps(entries, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# core tags from tags_translated (called before validation by the package_* wrappers)


def core_tags(data_dict: dict[str, Any], field_name: str = "tags_translated") -> list[str] | None:
    """Every language's keywords, in order and without repeats, for CKAN's core ``tags``;
    None when ``data_dict`` carries no readable translated keywords (then tags are left alone).

    The core tags have to be set before validation: CKAN validates ``tags`` as a nested list,
    whose entries a validator of another field cannot add or remove.
    """
    value = data_dict.get(field_name)
    if _empty(value):
        prefix = field_name + "-"
        value = {k[len(prefix) :]: v for k, v in data_dict.items() if k.startswith(prefix)}
    if _empty(value):
        return None
    try:
        obj = _as_object(value)
    except _Invalid:
        return None
    if not isinstance(obj, dict):
        return None
    tags: list[str] = []
    for raw in obj.values():
        for tag in _loose_tags(raw):
            if tag not in tags:
                tags.append(tag)
    return tags


def _loose_tags(raw: Any) -> Iterable[str]:
    if isinstance(raw, str):
        raw = raw.split(",")
    if isinstance(raw, list):
        for tag in raw:
            if isinstance(tag, str) and tag.strip():
                yield tag.strip()


def all_validators() -> dict[str, Callable[..., Any]]:
    """The validators this module registers with CKAN (IValidators)."""
    return {
        fn.__name__: fn
        for fn in (
            odata_translated,
            odata_translated_core,
            odata_translated_tags,
            odata_translated_output,
            odata_required_in_group,
            odata_authority_uri,
            odata_authority_uris,
            odata_license_id,
            odata_table_schema,
            odata_changelog,
        )
    }
