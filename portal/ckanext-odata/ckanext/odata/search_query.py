"""Parse the part of the Solr (Lucene) query syntax that CKAN sends to ``package_search``.

CKAN, its web pages and extensions such as ckanext-dcat build ``q`` and ``fq`` strings in Solr's
syntax (``+capacity:public``, ``tags:"economy"``, ``state:(active OR draft)``,
``metadata_modified:[2024-01-01T00:00:00Z TO NOW]``). Without Solr we still have to understand
them, so this module turns such a string into a small tree that ``search.py`` evaluates.

The grammar is deliberately smaller than Lucene's: whatever this parser cannot give a precise
meaning to (fuzzy ``~``, boosts ``^``, wildcards, regular expressions, local parameters
``{!...}``, and boolean mixes whose Lucene meaning is surprising, such as ``a OR b c``) raises
:class:`QuerySyntaxError` with a message that says what to write instead. A refused query is
better than a silently wrong list of datasets.

Semantics: juxtaposed clauses are all required (CKAN asks Solr for ``q.op=AND``); ``+x`` is
``x``; ``-x``, ``!x`` and ``NOT x`` exclude; ``AND``/``&&`` and ``OR``/``||`` combine clauses;
``field:(a OR b)`` applies ``field`` to every bare term inside the parentheses.

It also reads the rest of a ``package_search`` request (rows, start, sort, fl, facets, qf/df)
into a :class:`SearchRequest`, and knows how CKAN's Solr schema treats each field. It imports
nothing from CKAN, so it can be tested without a portal; ``search.py`` turns
:class:`QuerySyntaxError` into CKAN's ``SearchQueryError``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias


class QuerySyntaxError(ValueError):
    """A query uses syntax that this search cannot honour; the message says which and why."""


@dataclass(frozen=True)
class MatchAll:
    """``*:*`` or an empty query: every dataset."""


@dataclass(frozen=True)
class Term:
    """A word or a quoted phrase; ``field`` is None for free text (the default field)."""

    field: str | None
    value: str
    phrase: bool = False


@dataclass(frozen=True)
class Exists:
    """``field:*``: the field has a non-empty value."""

    field: str


@dataclass(frozen=True)
class Range:
    """``field:[low TO high]`` (``{``/``}`` for exclusive ends); a None end is open (``*``)."""

    field: str
    low: str | None
    high: str | None
    low_inclusive: bool
    high_inclusive: bool


@dataclass(frozen=True)
class Not:
    """Datasets that do not match ``node``."""

    node: Node


@dataclass(frozen=True)
class And:
    """Datasets that match every node."""

    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Datasets that match at least one node."""

    nodes: tuple[Node, ...]


Node: TypeAlias = "MatchAll | Term | Exists | Range | Not | And | Or"

# Characters that end a bare word, besides white space (Lucene's term syntax). '-', '+', '!'
# and '/' inside a word are kept literally, as in "covid-19" or "2020/2021".
_WORD_END = set('()"[]{}^~*?:\\')
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*\Z")
_MAGIC_FIELDS = {"_query_", "_val_"}


def parse(text: str | None) -> Node:
    """Parse one ``q`` or ``fq`` string; empty, ``""`` and ``''`` mean every dataset."""
    if text is None or text.strip() in ("", '""', "''"):
        return MatchAll()
    return _Parser(text).parse()


class _Parser:
    """Recursive descent over the query text; ``pos`` is the next unread character."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    # -- helpers ---------------------------------------------------------------------------

    def error(self, message: str) -> QuerySyntaxError:
        return QuerySyntaxError(f"{message} (in query {self.text!r})")

    def peek(self, length: int = 1) -> str:
        return self.text[self.pos : self.pos + length]

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip_ws(self) -> None:
        while not self.at_end() and self.text[self.pos].isspace():
            self.pos += 1

    def keyword(self, word: str) -> bool:
        """True (and consume it) if an operator keyword stands at the cursor on its own."""
        end = self.pos + len(word)
        if self.text[self.pos : end] != word:
            return False
        if (
            word.isalpha()
            and end < len(self.text)
            and not (self.text[end].isspace() or self.text[end] in '("')
        ):
            return False  # a word that merely starts with AND/OR/NOT, e.g. "ORdine"
        self.pos = end
        return True

    # -- grammar ---------------------------------------------------------------------------

    def parse(self) -> Node:
        self.skip_ws()
        if self.peek(2) == "{!":
            raise self.error("local parameters ({!...}) are not supported")
        node = self.expression(field=None, nested=False)
        if not self.at_end():
            raise self.error(f"unexpected {self.peek()!r} at position {self.pos}")
        return node

    def expression(self, field: str | None, nested: bool) -> Node:
        """Clauses joined by AND/OR or juxtaposition, up to the end or a closing parenthesis."""
        clauses: list[Node] = []
        operators: set[str] = set()
        signed = False
        while True:
            self.skip_ws()
            if self.at_end() or (nested and self.peek() == ")"):
                break
            if self.peek() in ("+", "-") and self.peek(2)[1:].strip() == "":
                self.pos += 1  # a lone sign, as in "imprese - agricoltura": nothing to apply to
                continue
            operator = self.operator()
            if not clauses and operator:
                raise self.error(f"{operator} must stand between two clauses")
            if clauses:
                operators.add(operator or "AND")
            self.skip_ws()
            if operator and (self.at_end() or self.peek() == ")"):
                raise self.error(f"{operator} must be followed by a clause")
            clause, has_sign = self.clause(field)
            clauses.append(clause)
            signed = signed or has_sign
        return self.combine(clauses, operators, signed)

    def combine(self, clauses: list[Node], operators: set[str], signed: bool) -> Node:
        if not clauses:
            raise self.error("empty query or empty parentheses")
        if "OR" in operators and ("AND" in operators or signed):
            raise self.error(
                "OR mixed with AND, juxtaposition, '+', '-' or NOT at the same level is "
                "ambiguous; group with parentheses, e.g. '(a OR b) c'"
            )
        if len(clauses) == 1:
            return clauses[0]
        if "OR" in operators:
            return Or(tuple(clauses))
        return And(tuple(clauses))

    def operator(self) -> str:
        """The explicit operator before the next clause ('AND' or 'OR'), or '' if none."""
        if self.keyword("OR") or self.keyword("||"):
            return "OR"
        if self.keyword("AND") or self.keyword("&&"):
            return "AND"
        return ""

    def clause(self, field: str | None) -> tuple[Node, bool]:
        """An atom with an optional sign; returns it and whether a sign was written."""
        sign = self.peek()
        if sign in ("+", "-", "!"):
            self.pos += 1
            node = self.atom(field)
            return (node if sign == "+" else Not(node)), True
        if self.keyword("NOT"):
            self.skip_ws()
            return Not(self.atom(field)), True
        return self.atom(field), False

    def atom(self, field: str | None) -> Node:
        """A parenthesised group, a phrase, a range, ``*:*``/``*``, or a (fielded) word."""
        char = self.peek()
        if self.at_end() or char.isspace():
            raise self.error("a sign or NOT must be followed by a clause")
        if self.peek(2) == "{!":
            raise self.error("local parameters ({!...}) are not supported")
        if char == "(":
            return self.group(field)
        if char == '"':
            return Term(field, self.phrase(), phrase=True)
        if char in "[{":
            return self.range(field)
        if char == "*":
            return self.star(field)
        if char == "/":
            raise self.error("regular expressions (/.../) are not supported")
        word = self.word()
        if self.peek() == ":":
            return self.fielded(word, field)
        if word in ("AND", "OR", "NOT"):
            raise self.error(f"{word} must stand between two clauses")
        return Term(field, word)

    def group(self, field: str | None) -> Node:
        self.pos += 1
        node = self.expression(field, nested=True)
        if self.peek() != ")":
            raise self.error("missing closing parenthesis")
        self.pos += 1
        self.refuse_suffix()
        return node

    def fielded(self, name: str, outer: str | None) -> Node:
        """``name:value``; the value may be a group, a phrase, a range, ``*`` or a word."""
        if outer is not None:
            raise self.error(
                f"unexpected ':' in a value of {outer}: quote the value or escape the colon (\\:)"
            )
        if name in _MAGIC_FIELDS:
            raise self.error(f"magic field {name} is not supported")
        if not _FIELD_NAME.match(name):
            raise self.error(f"{name!r} is not a valid field name")
        self.pos += 1  # the colon
        if self.at_end() or self.peek().isspace():
            raise self.error(f"field {name}: has no value")
        if self.peek() in "+-!":
            raise self.error(f"signs go before the field, not after {name}:")
        return self.atom(name)

    def star(self, field: str | None) -> Node:
        """``*:*`` (everything) or ``field:*`` (has a value); any other wildcard is refused."""
        if field is None and self.peek(3) == "*:*":
            self.pos += 3
            node: Node = MatchAll()
        elif self.peek(2)[1:] in ("", " ", ")") or self.peek(2)[1:].isspace():
            self.pos += 1
            node = MatchAll() if field is None else Exists(field)
        else:
            raise self.error("wildcards (* and ?) are not supported, only *:* and field:*")
        self.refuse_suffix()
        return node

    def word(self) -> str:
        """A bare word, with backslash escapes resolved (``\\:`` is a literal colon)."""
        chars: list[str] = []
        while not self.at_end():
            char = self.peek()
            if char == "\\":
                if self.pos + 1 >= len(self.text):
                    raise self.error("the query ends with a lone backslash")
                chars.append(self.text[self.pos + 1])
                self.pos += 2
            elif char in _WORD_END or char.isspace():
                break
            else:
                chars.append(char)
                self.pos += 1
        if not chars:
            raise self.error(f"unexpected {self.peek()!r} at position {self.pos}")
        self.refuse_suffix()
        return "".join(chars)

    def phrase(self) -> str:
        """A double-quoted phrase; ``\\"`` inside it is a literal quote."""
        self.pos += 1
        chars: list[str] = []
        while not self.at_end() and self.peek() != '"':
            if self.peek() == "\\" and self.pos + 1 < len(self.text):
                self.pos += 1
            chars.append(self.peek())
            self.pos += 1
        if self.at_end():
            raise self.error("unterminated quoted phrase")
        self.pos += 1
        self.refuse_suffix()
        return "".join(chars)

    def range(self, field: str | None) -> Range:
        """``[low TO high]``, ``{low TO high}`` or a mix of the two brackets."""
        if field is None:
            raise self.error("a range needs a field, e.g. metadata_modified:[... TO NOW]")
        low_inclusive = self.peek() == "["
        self.pos += 1
        low = self.range_bound()
        self.skip_ws()
        if not self.keyword("TO"):
            raise self.error("a range must read [low TO high]")
        high = self.range_bound()
        self.skip_ws()
        if self.peek() not in ("]", "}"):
            raise self.error("a range must end with ] or }")
        high_inclusive = self.peek() == "]"
        self.pos += 1
        self.refuse_suffix()
        return Range(field, low, high, low_inclusive, high_inclusive)

    def range_bound(self) -> str | None:
        self.skip_ws()
        if self.peek() == '"':
            return self.phrase()
        start = self.pos
        while not self.at_end() and not self.peek().isspace() and self.peek() not in "]}":
            self.pos += 1
        bound = self.text[start : self.pos]
        if not bound:
            raise self.error("a range bound is missing")
        return None if bound == "*" else bound

    def refuse_suffix(self) -> None:
        """Boosts, fuzziness, proximity and wildcards right after a value are refused."""
        char = self.peek()
        if char == "^":
            raise self.error("boosts (^) are not supported")
        if char == "~":
            raise self.error("fuzzy and proximity searches (~) are not supported")
        if char in ("*", "?"):
            raise self.error("wildcards (* and ?) are not supported, only *:* and field:*")
        if self.peek(2) == "{!":
            raise self.error("local parameters ({!...}) are not supported")


# -- fields, as CKAN's Solr schema defines them (ckan/config/solr/schema.xml) -------------------

# fmt: off
KEYWORD_FIELDS = frozenset({
    "id", "name", "state", "dataset_type", "type", "capacity", "owner_org", "organization",
    "license_id", "tags", "groups", "res_format", "res_url", "res_type", "version", "url",
    "creator_user_id", "site_id", "entity_type", "permission_labels", "private",
    "num_resources", "num_tags",
})
TEXT_FIELDS = frozenset({
    "title", "notes", "author", "author_email", "maintainer", "maintainer_email", "res_name",
    "res_description", "text",
})
MULTI_VALUED = frozenset({
    "tags", "groups", "res_format", "res_url", "res_type", "res_name", "res_description",
})
# Solr-only fields (tracking counts, index bookkeeping, relationships) there is no data for.
UNKNOWABLE_FIELDS = frozenset({
    "views_total", "views_recent", "resources_accessed_total", "resources_accessed_recent",
    "indexed_ts", "index_id", "revision_id", "ckan_url", "download_url", "urls", "license",
    "data_dict", "validated_data_dict", "_version_", "depends_on", "dependency_of",
    "derives_from", "has_derivation", "links_to", "linked_from", "child_of", "parent_of",
})
# fmt: on
NGRAM_FIELDS = {"name_ngram": "name", "title_ngram": "title"}  # package_autocomplete's fields
DATE_FIELDS = frozenset({"metadata_modified", "metadata_created"})
DEFAULT_QUERY_FIELDS = "name^4 title^4 tags^2 groups^2 text"  # CKAN's QUERY_FIELDS


def field_kind(name: str) -> str:
    """'keyword' (exact), 'text' (words), 'date' or 'extra' (any other name is an extra).

    Fields that only a Solr index holds (tracking counts, ...) are refused rather than
    silently matching nothing.
    """
    if name in UNKNOWABLE_FIELDS or name.startswith("res_extras_"):
        raise QuerySyntaxError(f"searching on {name} is not supported without Solr")
    if name in KEYWORD_FIELDS or name.startswith("vocab_"):
        return "keyword"
    if name in TEXT_FIELDS or name in NGRAM_FIELDS or name.startswith("extras_"):
        return "text"
    if name in DATE_FIELDS:
        return "date"
    return "extra"


def parse_when(bound: str | None) -> datetime.datetime | None:
    """A range bound as naive UTC, like CKAN's timestamp columns; date math is refused."""
    if bound is None:
        return None
    if bound == "NOW":
        return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    try:
        when = datetime.datetime.fromisoformat(bound)
    except ValueError:
        raise QuerySyntaxError(
            f"unsupported date {bound!r}: use an ISO 8601 timestamp such as "
            "2024-01-01T00:00:00Z, NOW or *; date math (NOW-1DAY, /DAY) is not supported"
        ) from None
    if when.tzinfo is not None:
        when = when.astimezone(datetime.UTC).replace(tzinfo=None)
    return when


# -- the whole request ---------------------------------------------------------------------------

Weighted = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class SearchRequest:
    """A ``package_search`` request as the PostgreSQL search needs it, checked and parsed."""

    q: Node
    filters: tuple[Node, ...]
    q_fields: Weighted  # where bare words of q are looked up, with relevance weights
    filter_fields: Weighted  # where bare words of fq are looked up (df)
    rows: int
    start: int
    sort: tuple[tuple[str, bool], ...]  # (field, descending)
    fl: tuple[str, ...]
    facet_fields: tuple[str, ...]
    facet_limit: int  # negative: no limit
    facet_mincount: int

    def required_states(self) -> frozenset[str] | None:
        """States every match must have, so the database is asked only for those datasets."""
        found = [s for s in map(_required_states, self.filters) if s is not None]
        return frozenset.intersection(*found) if found else None


def read_request(
    query: Mapping[str, Any], valid_params: Collection[str], default_sort: str, facet_limit: int
) -> SearchRequest:
    """Check and parse the dict that CKAN's package_search hands to its query class."""
    _check_params(query, valid_params)
    if query.get("defType", "dismax") == "lucene":  # then bare words of q use df
        q_fields = query.get("df") or "text"
    else:
        q_fields = query.get("qf") or DEFAULT_QUERY_FIELDS
    facets_on = str(query.get("facet", "true")).lower() not in ("false", "off", "no", "0")
    return SearchRequest(
        q=_parse_param(query.get("q"), "q"),
        filters=tuple(_parse_param(item, "fq") for item in _filters(query)),
        q_fields=_weighted_fields(q_fields),
        filter_fields=_weighted_fields(query.get("df") or "text"),
        rows=_int(query, "rows", 10),
        start=_int(query, "start", 0),
        sort=_sort_keys(query.get("sort") or default_sort),
        fl=tuple(_names(query.get("fl") or "name")),
        facet_fields=tuple(_names(query.get("facet.field"))) if facets_on else (),
        facet_limit=_int(query, "facet.limit", facet_limit, minimum=None),
        facet_mincount=_int(query, "facet.mincount", 1),
    )


def _parse_param(text: Any, what: str) -> Node:
    if text is not None and not isinstance(text, str):
        raise QuerySyntaxError(f"{what} must be a string")
    try:
        return parse(text)
    except QuerySyntaxError as exc:
        raise QuerySyntaxError(f"{what}: {exc}") from None


def _check_params(query: Mapping[str, Any], valid_params: Collection[str]) -> None:
    """Refuse parameters and values whose Solr meaning would not be honoured."""
    unknown = sorted(set(query) - set(valid_params))
    if unknown:
        raise QuerySyntaxError(f"Invalid search parameters: {unknown}")
    for name, value in query.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str) and "{!" in item:
                raise QuerySyntaxError(f"local parameters ({{!...}}) are not supported in {name}")
    if query.get("defType", "dismax") not in ("dismax", "edismax", "lucene"):
        raise QuerySyntaxError(f"defType {query['defType']!r} is not supported")
    for name in ("bf", "boost"):
        if query.get(name):
            raise QuerySyntaxError(f"{name} (function boosts) is not supported")
    if query.get("mm") not in (None, "", "100%"):
        raise QuerySyntaxError("mm (minimum match) is not supported: every word must match")


def _filters(query: Mapping[str, Any]) -> list[Any]:
    """``fq`` and ``fq_list``, plus the ``+state:active`` that CKAN's Solr query adds."""
    fq = query.get("fq")
    filters = list(fq) if isinstance(fq, (list, tuple)) else ([fq] if fq else [])
    filters.extend(query.get("fq_list") or [])
    if not any("+state:" in item for item in filters if isinstance(item, str)):
        filters.append("+state:active")
    return filters


def _required_states(node: Node) -> frozenset[str] | None:
    if isinstance(node, Term) and node.field == "state":
        return frozenset({node.value})
    if isinstance(node, Or) and all(isinstance(n, Term) and n.field == "state" for n in node.nodes):
        return frozenset(n.value for n in node.nodes if isinstance(n, Term))
    if isinstance(node, And):
        found = [s for s in map(_required_states, node.nodes) if s is not None]
        return frozenset.intersection(*found) if found else None
    return None


def _weighted_fields(spec: str) -> Weighted:
    """``qf`` ("name^4 title^4 text") as (field, weight) pairs."""
    fields: list[tuple[str, float]] = []
    for item in spec.split():
        name, _, weight = item.partition("^")
        try:
            fields.append((name, float(weight) if weight else 1.0))
        except ValueError:
            raise QuerySyntaxError(f"invalid qf/df entry {item!r}") from None
        if field_kind(name) == "date":
            raise QuerySyntaxError(f"{name} cannot be searched as free text")
    if not fields:
        raise QuerySyntaxError("qf/df names no field")
    return tuple(fields)


def _int(query: Mapping[str, Any], name: str, default: int, minimum: int | None = 0) -> int:
    try:
        value = int(query.get(name, default))
    except (TypeError, ValueError):
        raise QuerySyntaxError(f"{name} must be an integer") from None
    if minimum is not None and value < minimum:
        raise QuerySyntaxError(f"{name} must be at least {minimum}")
    return value


def _names(value: Any) -> list[str]:
    """``fl`` and ``facet.field`` arrive as "a b", "a,b" or a list."""
    items = value if isinstance(value, (list, tuple)) else [value or ""]
    return [name for item in items for name in re.split(r"[\s,]+", str(item)) if name]


def _sort_keys(sort: str) -> tuple[tuple[str, bool], ...]:
    """ "field asc|desc, ..." as (field, descending) pairs; text fields cannot be sorted on."""
    keys: list[tuple[str, bool]] = []
    for part in sort.split(","):
        words = part.split()
        if (
            len(words) != 2
            or words[1].lower() not in ("asc", "desc")
            or not _FIELD_NAME.match(words[0])
        ):
            raise QuerySyntaxError(
                f'Invalid "sort" parameter {part.strip()!r}: use "field asc" or "field desc", '
                "separated by commas"
            )
        name = words[0]
        if name not in ("score", "title", "title_string") and field_kind(name) == "text":
            raise QuerySyntaxError(f"sorting on the text field {name} is not supported")
        keys.append((name, words[1].lower() == "desc"))
    return tuple(keys)
