"""Dataset search from PostgreSQL, for CKAN portals that have no Solr.

Stock CKAN 2.11 sends every dataset to Solr when it changes and answers ``package_search``
(dataset list, organization pages, ckanext-dcat's catalogue) from Solr; without Solr it fails.
:func:`install` swaps both halves: the index becomes a no-op and the package query reads the
datasets straight from CKAN's own tables, so nothing can ever be out of date.

How a query runs: load the candidate datasets with a handful of SQL statements (pre-filtered on
state), evaluate ``q`` and ``fq`` in Python over a Solr-like view of each dataset
(:class:`SearchDoc`), keep what the caller's permission labels allow, then count, facet, sort
and page. Full dataset dicts are built (with ``package_show``) only for the page returned. That
is linear in the number of datasets: right for a portal of hundreds or a few thousand
datasets; past that, use Solr.

Semantics follow Solr's schema for CKAN: exact, case-sensitive match on keyword fields (name,
tags, organization, res_format, ...); case- and accent-insensitive substring match on text
fields (title, notes, ...) and for free text; any other field name is a dataset extra. What we
cannot honour raises ``SearchQueryError``, which the API turns into a clear 400 error.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ckan.lib.plugins as lib_plugins
import ckan.lib.search as search_lib
import ckan.lib.search.index as search_index
import ckan.lib.search.query as search_query_module
import ckan.logic as logic
import ckan.model as model
from ckan.common import config as ckan_config
from ckan.lib.navl.dictization_functions import MissingNullEncoder
from ckan.lib.search.common import SearchError, SearchQueryError
from ckan.lib.search.index import PackageSearchIndex as SolrPackageIndex
from ckan.lib.search.query import VALID_SOLR_PARAMETERS
from ckan.lib.search.query import PackageSearchQuery as SolrPackageQuery
from ckan.model.vocabulary import vocabulary_table
from sqlalchemy import and_, select

from ckanext.odata.search_query import (
    DATE_FIELDS,
    MULTI_VALUED,
    NGRAM_FIELDS,
    And,
    Exists,
    MatchAll,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Range,
    SearchRequest,
    Term,
    Weighted,
    field_kind,
    parse_when,
    read_request,
)

log = logging.getLogger(__name__)

Predicate = Callable[["SearchDoc"], bool]

HIDDEN_IN_RESULTS = frozenset({"text", "permission_labels"})  # indexed, not stored, in Solr


# -- install ------------------------------------------------------------------------------


def _no_solr_schema_check(schema_file: str | None = None) -> bool:
    """There is no Solr whose schema version could be checked; CKAN reads False as "skip"."""
    return False


def install(config: Mapping[str, Any]) -> None:
    """Replace CKAN's Solr index and package query with ours (idempotent).

    Called from ``IConfigurer.update_config``, which CKAN runs before its own Solr schema check
    (ckan/config/environment.py:update_config), so the check is replaced in time. Both the type
    registries and the module-level class names are patched: ``index_for``/``query_for`` read the
    registries, while model_dictize (organization counts), the bulk actions and the DataStore
    instantiate ``search.PackageSearchIndex``/``PackageSearchQuery`` directly.
    """
    if config.get("solr_url"):
        log.info("odata_search answers dataset searches from PostgreSQL; solr_url is ignored")
    search_lib._INDICES["package"] = NoopPackageIndex
    search_lib._QUERIES["package"] = PostgresPackageQuery
    patches: list[tuple[object, str, object]] = [
        (search_lib, "PackageSearchIndex", NoopPackageIndex),
        (search_lib, "PackageSearchQuery", PostgresPackageQuery),
        (search_index, "PackageSearchIndex", NoopPackageIndex),
        (search_query_module, "PackageSearchQuery", PostgresPackageQuery),
        (search_lib, "check_solr_schema_version", _no_solr_schema_check),
    ]
    for module, name, value in patches:
        setattr(module, name, value)


class NoopPackageIndex(SolrPackageIndex):  # type: ignore[misc]  # CKAN ships no type hints
    """Accepts every indexing call and does nothing: searches read the database directly."""

    def index_package(self, pkg_dict: dict[str, Any] | None, defer_commit: bool = False) -> None:
        return None

    def update_dict(self, pkg_dict: dict[str, Any], defer_commit: bool = False) -> None:
        return None

    def insert_dict(self, data: dict[str, Any]) -> None:
        return None

    def remove_dict(self, pkg_dict: dict[str, Any]) -> None:
        return None

    def delete_package(self, pkg_dict: dict[str, Any]) -> None:
        return None

    def commit(self) -> None:
        return None

    def clear(self) -> None:
        return None


# -- the dataset view the queries run against -----------------------------------------------


_COMBINING_MARKS = re.compile(r"[\u0300-\u036f]")


def fold(text: str) -> str:
    """Lower-case and strip accents, so "citta" finds "Città" as Solr's text fields do."""
    if text.isascii():
        return text.lower()
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def _texts(value: str) -> list[str]:
    """The strings inside an extra: scheming stores {"it": ..., "en": ...} fields as JSON."""
    if value[:1] in ("{", "["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        leaves: list[str] = []
        stack = [parsed]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif item is not None:
                leaves.append(str(item))
        return leaves
    return [value]


@dataclass
class SearchDoc:
    """One dataset as Solr would have indexed it: field name -> list of string values."""

    package: model.Package
    values: dict[str, list[str]]
    extras: dict[str, str]
    _folded: dict[str, list[str]] = field(default_factory=dict)
    _labels: frozenset[str] | None = None

    def get(self, name: str) -> list[str]:
        """Values of a field; names that are not core fields are extras (``extras_`` optional)."""
        name = NGRAM_FIELDS.get(name, name)
        if name in self.values:
            return self.values[name]
        key = name[len("extras_") :] if name.startswith("extras_") else name
        value = self.extras.get(key)
        return [value] if value else []

    def folded(self, name: str) -> list[str]:
        if name not in self._folded:
            self._folded[name] = [fold(v) for v in self.get(name)]
        return self._folded[name]

    def date(self, name: str) -> datetime.datetime:
        value: datetime.datetime = getattr(self.package, name)
        return value

    def labels(self) -> frozenset[str]:
        """Permission labels from CKAN's own plugin (or an IPermissionLabels override)."""
        if self._labels is None:
            plugin = lib_plugins.get_permission_labels()
            self._labels = frozenset(plugin.get_dataset_labels(self.package))
        return self._labels


def _one(value: Any) -> list[str]:
    return [] if value is None or value == "" else [str(value)]


# fmt: off
_CORE_COLUMNS = (
    "id", "name", "title", "notes", "state", "type", "owner_org", "license_id", "version", "url",
    "author", "author_email", "maintainer", "maintainer_email", "creator_user_id",
)
_LIST_FIELDS = (
    "tags", "groups", "res_format", "res_url", "res_type", "res_name", "res_description", "text",
)
_TEXT_BAG = (  # what Solr's copyFields put into "text", the field of free text
    "name", "title", "notes", "tags", "groups", "organization", "res_name", "res_description",
    "author", "maintainer", "url",
)
# fmt: on


def _base_values(
    pkg: model.Package, org: tuple[str, str] | None, site_id: str
) -> dict[str, list[str]]:
    """Core columns under Solr's names; related rows are added by :func:`load_docs`."""
    values = {name: _one(getattr(pkg, name)) for name in _CORE_COLUMNS}
    values["dataset_type"] = values["type"]
    values["capacity"] = ["private" if pkg.private else "public"]
    values["private"] = ["true" if pkg.private else "false"]
    values["organization"] = [org[0]] if org else []
    values["site_id"] = [site_id]
    values["entity_type"] = ["package"]
    values["num_resources"] = ["0"]
    for name in _LIST_FIELDS:
        values[name] = []
    return values


def load_docs(states: frozenset[str] | None) -> list[SearchDoc]:
    """Every dataset in ``states`` (all if None) with its tags, resources, extras and groups."""
    query = model.Session.query(model.Package)
    if states is not None:
        query = query.filter(model.Package.state.in_(sorted(states)))
    packages = query.all()
    if not packages:
        return []
    orgs = _organizations()
    site_id = str(ckan_config.get("ckan.site_id"))
    docs = {
        p.id: SearchDoc(p, _base_values(p, orgs.get(p.owner_org or ""), site_id), {})
        for p in packages
    }
    ids = list(docs)
    _add_tags(docs, ids)
    _add_resources(docs, ids)
    _add_extras(docs, ids)
    _add_groups(docs, ids)
    for doc in docs.values():
        _finish(doc, orgs.get(doc.package.owner_org or ""))
    return list(docs.values())


def _organizations() -> dict[str, tuple[str, str]]:
    group = model.group_table
    rows = model.Session.execute(
        select(group.c.id, group.c.name, group.c.title).where(
            and_(group.c.is_organization.is_(True), group.c.state == "active")
        )
    )
    return {row.id: (row.name, row.title or "") for row in rows}


def _add_tags(docs: dict[str, SearchDoc], ids: list[str]) -> None:
    """Free tags go to ``tags``, vocabulary tags to ``vocab_<vocabulary>`` (as Solr does)."""
    tag, pkg_tag, vocab = model.tag_table, model.package_tag_table, vocabulary_table
    rows = model.Session.execute(
        select(pkg_tag.c.package_id, tag.c.name, vocab.c.name.label("vocab"))
        .join(tag, tag.c.id == pkg_tag.c.tag_id)
        .outerjoin(vocab, vocab.c.id == tag.c.vocabulary_id)
        .where(and_(pkg_tag.c.package_id.in_(ids), pkg_tag.c.state == "active"))
    )
    for row in rows:
        name = f"vocab_{row.vocab}" if row.vocab else "tags"
        docs[row.package_id].values.setdefault(name, []).append(row.name)


def _add_resources(docs: dict[str, SearchDoc], ids: list[str]) -> None:
    res = model.resource_table
    rows = model.Session.execute(
        select(
            res.c.package_id,
            res.c.format,
            res.c.url,
            res.c.resource_type,
            res.c.name,
            res.c.description,
        )
        .where(and_(res.c.package_id.in_(ids), res.c.state == "active"))
        .order_by(res.c.package_id, res.c.position)
    )
    counts: Counter[str] = Counter()
    for row in rows:
        counts[row.package_id] += 1
        values = docs[row.package_id].values
        for name, value in (
            ("res_format", row.format),
            ("res_url", row.url),
            ("res_type", row.resource_type),
            ("res_name", row.name),
            ("res_description", row.description),
        ):
            values[name].extend(_one(value))
    for package_id, count in counts.items():
        docs[package_id].values["num_resources"] = [str(count)]


def _add_extras(docs: dict[str, SearchDoc], ids: list[str]) -> None:
    extra = model.package_extra_table
    rows = model.Session.execute(
        select(extra.c.package_id, extra.c.key, extra.c.value).where(extra.c.package_id.in_(ids))
    )
    for row in rows:
        docs[row.package_id].extras[row.key] = row.value or ""


def _add_groups(docs: dict[str, SearchDoc], ids: list[str]) -> None:
    member, group = model.member_table, model.group_table
    rows = model.Session.execute(
        select(member.c.table_id, group.c.name, group.c.title)
        .join(group, group.c.id == member.c.group_id)
        .where(
            and_(
                member.c.table_id.in_(ids),
                member.c.table_name == "package",
                member.c.state == "active",
                group.c.is_organization.is_(False),
            )
        )
    )
    for row in rows:
        docs[row.table_id].values["groups"].append(row.name)
        docs[row.table_id].values["text"].append(row.title or "")


def _finish(doc: SearchDoc, org: tuple[str, str] | None) -> None:
    """Derived fields: the tag count, and the ``text`` bag of free text (Solr's copyFields)."""
    values = doc.values
    values["num_tags"] = [str(len(values["tags"]))]
    bag = values["text"]
    for name in _TEXT_BAG:
        bag.extend(values[name])
    bag.extend(v for name, vs in values.items() if name.startswith("vocab_") for v in vs)
    bag.extend(org[1:] if org else ())
    for value in doc.extras.values():
        bag.extend(_texts(value))


# -- compiling a parsed query into a predicate ----------------------------------------------


class Compiler:
    """Turns a parsed query into a predicate, checking every field before any dataset is read.

    ``free_fields`` are the fields a bare word is looked up in (``qf`` for ``q``, ``df`` for
    ``fq``). When ``scoring`` is on, the positive free-text words are kept for relevance.
    """

    def __init__(self, free_fields: Weighted, scoring: bool = False) -> None:
        self.free_fields = free_fields
        self.scoring = scoring
        self.scoring_words: list[str] = []

    def compile(self, node: Node, negated: bool = False) -> Predicate:
        if isinstance(node, MatchAll):
            return lambda doc: True
        if isinstance(node, And):
            parts = [self.compile(n, negated) for n in node.nodes]
            return lambda doc: all(p(doc) for p in parts)
        if isinstance(node, Or):
            parts = [self.compile(n, negated) for n in node.nodes]
            return lambda doc: any(p(doc) for p in parts)
        if isinstance(node, Not):
            inner = self.compile(node.node, not negated)
            return lambda doc: not inner(doc)
        if isinstance(node, Term):
            return self.term(node, negated)
        if isinstance(node, Exists):
            return self.exists(node.field)
        return self.range(node)

    def term(self, node: Term, negated: bool) -> Predicate:
        if node.field is None:
            return self.free_text(node.value, negated)
        name, value = node.field, node.value
        kind = field_kind(name)
        if kind == "date":
            raise QuerySyntaxError(
                f"{name} needs a range, e.g. {name}:[2024-01-01T00:00:00Z TO NOW]"
            )
        if kind == "text":
            wanted = fold(value)
            return lambda doc: any(wanted in v for v in doc.folded(name))
        return lambda doc: value in doc.get(name)

    def free_text(self, value: str, negated: bool) -> Predicate:
        wanted = fold(value)
        if self.scoring and not negated:
            self.scoring_words.append(wanted)
        names = [name for name, _weight in self.free_fields]
        return lambda doc: any(wanted in v for name in names for v in doc.folded(name))

    def exists(self, name: str) -> Predicate:
        if field_kind(name) == "date":
            return lambda doc: True
        return lambda doc: bool(doc.get(name))

    def range(self, node: Range) -> Predicate:
        if field_kind(node.field) != "date":
            raise QuerySyntaxError(
                f"ranges are only supported on {' and '.join(sorted(DATE_FIELDS))}, "
                f"not on {node.field}"
            )
        low, high = parse_when(node.low), parse_when(node.high)

        def inside(doc: SearchDoc) -> bool:
            when = doc.date(node.field)
            if low is not None and (when < low or (when == low and not node.low_inclusive)):
                return False
            return high is None or when < high or (when == high and node.high_inclusive)

        return inside

    def score(self, doc: SearchDoc) -> float:
        """Relevance: each free-text word scores the weight of every field it is found in."""
        return sum(
            weight
            for word in self.scoring_words
            for name, weight in self.free_fields
            if any(word in v for v in doc.folded(name))
        )


# -- sorting, facets, results -----------------------------------------------------------------


def _sort_value(doc: SearchDoc, name: str, compiler: Compiler) -> Any:
    if name == "score":
        return compiler.score(doc)
    if name in DATE_FIELDS:
        return doc.date(name)
    values = doc.folded("title") if name in ("title", "title_string") else doc.get(name)
    return values[0] if values else None


def sort_docs(
    docs: list[SearchDoc], keys: tuple[tuple[str, bool], ...], compiler: Compiler
) -> list[SearchDoc]:
    """Stable multi-key sort; missing values last in either direction; ties by name."""
    ordered = sorted(docs, key=lambda d: d.package.name)
    for name, descending in reversed(keys):

        def key(doc: SearchDoc, name: str = name, descending: bool = descending) -> Any:
            value = _sort_value(doc, name, compiler)
            present = value is not None
            return (present if descending else not present, value if present else 0)

        ordered.sort(key=key, reverse=descending)
    return ordered


def check_facet_fields(names: tuple[str, ...]) -> list[str]:
    """Facets count whole values, so only keyword fields and extras can be faceted on."""
    for name in names:
        if field_kind(name) in ("text", "date"):
            raise QuerySyntaxError(f"faceting on {name} is not supported")
    return list(names)


def facet_counts(
    docs: Iterable[SearchDoc], names: list[str], limit: int, mincount: int
) -> dict[str, dict[str, int]]:
    """Datasets per value, most frequent first (ties by value), like Solr's facet.field."""
    counters: dict[str, Counter[str]] = defaultdict(Counter)
    for doc in docs:
        for name in names:
            counters[name].update(set(doc.get(name)))
    facets: dict[str, dict[str, int]] = {}
    for name in names:
        items = sorted(counters[name].items(), key=lambda kv: (-kv[1], kv[0]))
        items = [(value, count) for value, count in items if count >= mincount]
        facets[name] = dict(items if limit < 0 else items[:limit])
    return facets


def _package_json(package_id: str, validated: bool) -> str:
    """The dataset as package_show gives it, serialised as Solr stored it (JSON string)."""
    context: dict[str, Any] = {
        "model": model,
        "session": model.Session,
        "ignore_auth": True,
        "use_cache": False,
    }
    if not validated:
        context["validate"] = False
    package = logic.get_action("package_show")(context, {"id": package_id})
    return json.dumps(package, cls=MissingNullEncoder)


def _stored(doc: SearchDoc, name: str) -> Any:
    """A field as Solr returns it in ``fl``: lists for multi-valued fields, else scalars."""
    if name in DATE_FIELDS:
        return doc.date(name).isoformat() + "Z"
    if name == "validated_data_dict" or name == "data_dict":
        return _package_json(doc.package.id, validated=name == "validated_data_dict")
    values = doc.get(name)
    if name in MULTI_VALUED or name.startswith("vocab_"):
        return list(values)
    return values[0] if values else None


def project(doc: SearchDoc, names: list[str], compiler: Compiler) -> dict[str, Any]:
    """The requested fields of one result; ``extras_*`` go under "extras" as Solr's query does."""
    if "*" in names:
        names = [n for n in doc.values if n not in HIDDEN_IN_RESULTS]
        names += [*sorted(DATE_FIELDS), "data_dict", "validated_data_dict"]
        names += [f"extras_{key}" for key in doc.extras]
    result: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for name in names:
        key = name.removeprefix("extras_")
        if name == "score":
            result[name] = compiler.score(doc)
        elif name.startswith("extras_") and key in doc.extras:
            extras[key] = doc.extras[key]
        elif name in doc.values or name in DATE_FIELDS or name.endswith("data_dict"):
            value = _stored(doc, name)
            if value is not None:
                result[name] = value
    if extras:
        result["extras"] = extras
    return result


# -- the query class ------------------------------------------------------------------------


class PostgresPackageQuery(SolrPackageQuery):  # type: ignore[misc]
    """``package_search`` without Solr; same contract as CKAN's PackageSearchQuery.run()."""

    def get_index(self, reference: str) -> dict[str, Any]:
        """There is no index copy of a dataset: package_show catches this and reads the tables."""
        raise SearchError("odata_search keeps no search index; read the dataset from the database")

    def get_all_entity_ids(self, max_results: int = 1000) -> list[str]:
        """Every active dataset counts as indexed (``ckan search-index check`` is then clean)."""
        rows = (
            model.Session.query(model.Package.id)
            .filter(model.Package.state == "active")
            .limit(max_results)
        )
        return [row[0] for row in rows]

    def run(
        self, query: dict[str, Any], permission_labels: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Search; sets ``count``, ``results`` and ``facets`` as CKAN's Solr query does.

        ``permission_labels`` None means no restriction (a sysadmin, or ignore_auth).
        """
        try:
            request = read_request(
                query,
                VALID_SOLR_PARAMETERS,
                default_sort=ckan_config.get("ckan.search.default_package_sort"),
                facet_limit=ckan_config.get("search.facets.limit"),
            )
            compiler = Compiler(request.q_fields, scoring=True)
            filter_compiler = Compiler(request.filter_fields)
            predicates = [compiler.compile(request.q)]
            predicates += [filter_compiler.compile(node) for node in request.filters]
            facet_fields = check_facet_fields(request.facet_fields)
        except QuerySyntaxError as exc:
            raise SearchQueryError(str(exc)) from None

        docs = load_docs(request.required_states())
        matched = [d for d in docs if all(p(d) for p in predicates)]
        if permission_labels is not None:
            allowed = frozenset(permission_labels)
            matched = [d for d in matched if d.labels() & allowed]

        self.count = len(matched)
        self.facets = facet_counts(
            matched, facet_fields, request.facet_limit, request.facet_mincount
        )
        end = request.start + request.rows
        page = sort_docs(matched, request.sort, compiler)[request.start : end]
        self.results = self._results(page, request, compiler)
        return {"results": self.results, "count": self.count}

    @staticmethod
    def _results(page: list[SearchDoc], request: SearchRequest, compiler: Compiler) -> list[Any]:
        """Like Solr's query: bare ids or names when ``fl`` is just that, else field dicts."""
        if request.fl in (("id",), ("name",)):
            return [doc.get(request.fl[0])[0] for doc in page]
        return [project(doc, list(request.fl), compiler) for doc in page]
