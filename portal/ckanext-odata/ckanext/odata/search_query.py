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

The module imports nothing from CKAN, so it can be tested without a portal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union


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


Node = Union[MatchAll, Term, Exists, Range, Not, And, Or]

# Characters that end a bare word (Lucene's term syntax). '-', '+', '!' and '/' inside a word
# are kept literally, as in "covid-19" or "2020/2021".
_WORD_END = set('()"[]{}^~*?:\\') | {" ", "\t", "\n", "\r"}
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
        if word.isalpha() and end < len(self.text) and not (
            self.text[end].isspace() or self.text[end] in '("'
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
            elif char in _WORD_END:
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
