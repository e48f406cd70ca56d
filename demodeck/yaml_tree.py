"""YAML bytes → raw trees that remember line and column (for stage 1, :mod:`demodeck.load`).

Nothing here knows the deck format; it only turns bytes into :data:`Raw` values
(``RawMap``/``RawSeq``/``RawScalar``, each with a 1-based :class:`Mark`) and
reports what makes a file unreadable: bad UTF-8, YAML syntax, tabs, duplicate
keys, non-safe tags, alias bombs, absurd nesting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from demodeck import yaml_hints
from demodeck.errors import Problem
from demodeck.raw import Mark, Raw, RawMap, RawScalar, RawSeq

try:  # libyaml's composer is much faster than the pure-Python one
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 5 * 1024 * 1024  # a year of demos fits in a few hundred KB
MAX_NODES = 200_000  # bounds alias expansion ("billion laughs") in time and memory
MAX_DEPTH = 64  # the deck format is 4 levels deep; anything near this is a mistake
# libyaml's composer recurses in C once per nesting level and overflows the C stack (the
# process dies with SIGSEGV) somewhere past 20,000 levels; a text that could nest deeper than
# this is first checked with the parser's event stream, which does not recurse.
COMPOSE_SAFE_DEPTH = 1_000
# Composing builds every node before any can be counted: a file of "[a,a,a,..." near the
# size limit is millions of nodes and gigabytes. A text of n characters can hold about n
# nodes, so one longer than this is first counted with the event stream, which stops at
# MAX_NODES values.
PRESCAN_CHARS = 64 * 1024


@dataclass
class _Walk:
    path: str
    problems: list[Problem]


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


# Marks are immutable, and deck files put their keys and values at the same few thousand
# (line, column) places, so the converter shares them: a dictionary hit costs less than a
# new frozen dataclass and allocates nothing for the garbage collector to track.
# Bounded: a file may hold millions of places (one long line of "[a,a,a,...").
_MARKS: dict[tuple[int, int], Mark] = {}  # 0-based (line, column) as libyaml counts
_MARKS_MAX = 20_000


def _new_mark(where: tuple[int, int]) -> Mark:
    mark = Mark(where[0] + 1, where[1] + 1)
    if len(_MARKS) < _MARKS_MAX:
        _MARKS[where] = mark
    return mark


_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_NULL_TAG = "tag:yaml.org,2002:null"
_INT_TAG = "tag:yaml.org,2002:int"
_SCALARS: dict[str, Callable[[yaml.constructor.SafeConstructor, yaml.ScalarNode], Any]] = {
    _STR_TAG: yaml.constructor.SafeConstructor.construct_yaml_str,
    _INT_TAG: yaml.constructor.SafeConstructor.construct_yaml_int,
    "tag:yaml.org,2002:float": yaml.constructor.SafeConstructor.construct_yaml_float,
    "tag:yaml.org,2002:bool": yaml.constructor.SafeConstructor.construct_yaml_bool,
    _NULL_TAG: yaml.constructor.SafeConstructor.construct_yaml_null,
    "tag:yaml.org,2002:timestamp": yaml.constructor.SafeConstructor.construct_yaml_timestamp,
}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()

def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


def _too_many(path: str, mark: Mark) -> Problem:
    return Problem(path, mark.line, mark.column,
                   f"the document expands to more than {MAX_NODES:,} values "
                   "(too many aliases, or far too large); refusing to read it")


def _too_deep(path: str, mark: Mark) -> Problem:
    return Problem(path, mark.line, mark.column,
                   f"values are nested more than {MAX_DEPTH} levels deep; refusing to read it")


def _check_limits(root: yaml.Node, path: str) -> Problem | None:
    """Refuse an alias bomb or absurd nesting before anything is expanded.

    Each distinct node is measured once (its expanded size and height are memoised), so
    a "billion laughs" document costs time linear in its *text*, not in its expansion.
    An alias to a node that contains it (``&a [*a]``) is infinitely deep.
    """
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values, height)
    open_nodes: set[int] = set()

    def measure(node: yaml.Node, depth: int) -> tuple[int, int] | Problem:
        key = id(node)
        known = measured.get(key)
        if known is not None:
            return known if depth + known[1] <= MAX_DEPTH else _too_deep(path, _mark(node))
        if depth > MAX_DEPTH or key in open_nodes:
            return _too_deep(path, _mark(node))
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [value for _, value in node.value]  # keys are never expanded
        else:
            children = []
        open_nodes.add(key)
        size, height = 1, 0
        for child in children:
            got = measure(child, depth + 1)
            if isinstance(got, Problem):
                return got
            size, height = size + got[0], max(height, got[1] + 1)
            if size > MAX_NODES:
                return _too_many(path, _mark(child))
        open_nodes.discard(key)
        measured[key] = (size, height)
        return size, height

    got = measure(root, 0)
    return got if isinstance(got, Problem) else None


def _max_depth_bound(text: str) -> int:
    """A cheap upper bound on how deep ``text`` can nest: each flow collection needs a
    bracket, and nested block collections need more indentation at least every other
    level (a block sequence may share its parent key's column)."""
    longest = max(map(len, text.split("\n")))
    return text.count("[") + text.count("{") + 2 * (longest + 1)


def _prescan(path: str, text: str) -> Problem | None:
    """Walk the parser's events, which builds no nodes and does not recurse, and stop at
    the first collection nested deeper than MAX_DEPTH or the first value past MAX_NODES
    (aliases are measured after composing, by :func:`_check_limits`). Only a text that
    could crash libyaml's composer or make it build millions of nodes needs this."""
    stack: list[bool | None] = []  # per open collection: a mapping's "a key comes next"
    values = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionEndEvent):
            stack.pop()
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        is_key = bool(stack) and stack[-1] is True
        if stack and stack[-1] is not None:
            stack[-1] = not stack[-1]
        start = event.start_mark
        mark = Mark(start.line + 1, start.column + 1) if start is not None else Mark(0, 0)
        if not is_key and not isinstance(event, yaml.AliasEvent):
            values += 1
            if values > MAX_NODES:
                return _too_many(path, mark)
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append(True if isinstance(event, yaml.MappingStartEvent) else None)
            if len(stack) > MAX_DEPTH + 1:  # the top collection is at depth 0
                return _too_deep(path, mark)
    return None


class _Fallback(Exception):
    """The one-pass walk met an alias to a collection, or a limit: it cannot vouch for
    the limits (or for where the message should point), so the caller measures first."""


class _Converter:
    """Turns a composed YAML node into a Raw tree; a value is None after a recorded problem.

    Unless the document was ``measured`` by :func:`_check_limits` already, the walk keeps
    the limits itself, which spares a deck file a second walk: it counts values (mapping
    keys are not values) and depth as :func:`_check_limits` does, and raises
    :class:`_Fallback` at the first value past MAX_NODES or MAX_DEPTH and at the second
    visit of a collection node (an alias: the one way a document expands beyond its
    text) before expanding it. Without a second visit the nodes form a tree, where the
    counts are exactly :func:`_check_limits`' sizes and heights.
    """

    __slots__ = ("entered", "measured", "values", "walk")

    def __init__(self, path: str, measured: bool) -> None:
        self.walk = _Walk(path, [])
        self.measured = measured
        self.values = 0
        self.entered: set[int] = set()  # id() of each collection node converted so far

    def value(self, node: yaml.Node, depth: int) -> Raw | None:
        if not self.measured:
            self.values += 1
            if self.values > MAX_NODES or depth > MAX_DEPTH:
                raise _Fallback
        start = node.start_mark
        where = (start.line, start.column)
        mark = _MARKS.get(where) or _new_mark(where)
        if type(node) is yaml.ScalarNode:
            if node.tag == _STR_TAG:  # most values: construct_yaml_str is the text itself
                return RawScalar(node.value, mark)
            return _convert_scalar(node, self.walk, mark)
        if not self.measured:
            if id(node) in self.entered:
                raise _Fallback
            self.entered.add(id(node))
        kind = type(node)
        if kind is yaml.SequenceNode:
            if node.tag != _SEQ_TAG:
                _bad_tag(node, self.walk, mark)
                return None
            return self.sequence(node, mark, depth)
        if kind is yaml.MappingNode:
            if node.tag != _MAP_TAG:
                _bad_tag(node, self.walk, mark)
                return None
            return self.mapping(node, mark, depth)
        return None  # pragma: no cover - the composer makes no other node kinds

    def sequence(self, node: yaml.Node, mark: Mark, depth: int) -> RawSeq | None:
        items: list[Raw] = []
        ok = True
        for item in node.value:  # every item is converted, to report every problem
            raw = self.value(item, depth + 1)
            if raw is None:
                ok = False
            else:
                items.append(raw)
        return RawSeq(items, mark) if ok else None

    def mapping(self, node: yaml.Node, mark: Mark, depth: int) -> RawMap | None:
        walk = self.walk
        entries: dict[str, tuple[Mark, Raw]] = {}
        ok = True
        for key_node, value_node in node.value:
            start = key_node.start_mark
            where = (start.line, start.column)
            key_mark = _MARKS.get(where) or _new_mark(where)
            if key_node.tag == _STR_TAG and type(key_node) is yaml.ScalarNode:
                key = key_node.value  # nearly every key: its text
            else:
                key = _key_text(key_node, walk, key_mark)
                if key is None:
                    ok = False
                    continue
            if key in entries:  # reported, but the rest of the file is still checked
                first = entries[key][0]
                walk.problems.append(Problem(walk.path, key_mark.line, key_mark.column,
                    f"duplicate key '{key}' (first given on line {first.line}); keep only one"))
                continue
            value = self.value(value_node, depth + 1)
            if value is None:
                ok = False
                continue
            entries[key] = (key_mark, value)
        return RawMap(entries, mark) if ok else None


def _key_text(node: yaml.Node, walk: _Walk, mark: Mark) -> str | None:
    """A mapping key as text (``1:`` is the key "1"); None after recording why not."""
    tag = node.tag
    if tag == "tag:yaml.org,2002:merge":
        walk.problems.append(Problem(walk.path, mark.line, mark.column,
                                     "YAML merge keys ('<<') are not supported; "
                                     "write the fields out"))
        return None
    if not isinstance(node, yaml.ScalarNode) or tag not in _SCALARS:
        walk.problems.append(Problem(walk.path, mark.line, mark.column,
                                     "a key must be plain text"))
        return None
    return str(node.value)


def _convert(node: yaml.Node, path: str) -> tuple[Raw | None, list[Problem]]:
    """The Raw tree of a composed document, or the limit it breaks."""
    try:
        converter = _Converter(path, measured=False)
        tree = converter.value(node, 0)
    except _Fallback:  # an alias to a collection, or a limit: measure, then convert
        return _measured_convert(node, path)
    if converter.walk.problems:
        # the walk stops descending at a problem, but the limits cover the whole
        # document and come first: a limit is then the only problem reported
        limit = _check_limits(node, path)
        if limit is not None:
            return None, [limit]
    return tree, converter.walk.problems


def _measured_convert(node: yaml.Node, path: str) -> tuple[Raw | None, list[Problem]]:
    limit = _check_limits(node, path)
    if limit is not None:
        return None, [limit]
    converter = _Converter(path, measured=True)
    return converter.value(node, 0), converter.walk.problems


def _convert_scalar(node: yaml.ScalarNode, walk: _Walk, mark: Mark) -> RawScalar | None:
    try:
        return RawScalar(scalar_value(node), mark)
    except ValueError as exc:
        walk.problems.append(Problem(walk.path, mark.line, mark.column, str(exc)))
        return None


# What PyYAML's constructors raise, besides ValueError, for text their tag cannot read when
# the tag is written out (``!!int ''``: IndexError, ``!!bool ''``: KeyError,
# ``!!timestamp x``: AttributeError); implicit tags only match text they can read.
_CONSTRUCT_CRASHES = (IndexError, KeyError, AttributeError)


def scalar_value(node: yaml.ScalarNode) -> Any:
    """A scalar node's value as :func:`parse_yaml` reads it; raises ValueError, with the
    problem's message, where that reports a problem (a tag that is not allowed, a value
    its tag cannot read)."""
    if node.tag == _INT_TAG:
        text = node.value
        if text.isdigit() and text.isascii() and text[0] != "0":  # "9": no base, no "_"
            return int(text)
    construct = _SCALARS.get(node.tag)
    if construct is None:
        raise ValueError(_bad_tag_message(node))
    try:
        return construct(_CONSTRUCTOR, node)
    except (ValueError, yaml.YAMLError) as exc:  # e.g. a timestamp like 2026-02-30
        raise ValueError(f"cannot read {node.value!r}: {exc}") from exc
    except _CONSTRUCT_CRASHES as exc:  # an explicit tag on text it cannot read: !!int ''
        raise ValueError(f"cannot read {node.value!r} as {_short_tag(node.tag)}") from exc


def _bad_tag(node: yaml.Node, walk: _Walk, mark: Mark) -> None:
    walk.problems.append(Problem(walk.path, mark.line, mark.column, _bad_tag_message(node)))


def _bad_tag_message(node: yaml.Node) -> str:
    return (f"the YAML tag '{_short_tag(node.tag)}' is not allowed; "
            "decks may only hold plain text, numbers, dates, lists and mappings")


def _decode(path: str, data: bytes, problems: list[Problem]) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        problems.append(Problem(path, line, column,
            f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
            "save it as UTF-8"))
        return None
    return text.removeprefix("\ufeff")  # a BOM is harmless; editors on Windows add it


def _reader_problem(path: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    """libyaml refuses control characters with a byte offset, not a line."""
    before = text.encode("utf-8")[: exc.position]
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
    char = exc.character if isinstance(exc.character, int) else ord(exc.character or "?")
    return Problem(path, line, column, f"the file contains the control character U+{char:04X}, "
                   "which YAML does not allow; delete it")


# Newer libyaml refuses deep nesting itself, before our own limit is reached: the user
# gets our message either way, whichever libyaml PyYAML bundles.
_LIBYAML_TOO_DEEP = re.compile(r"maximum nesting depth|nest(ed|ing) too deep", re.IGNORECASE)


def _yaml_problem(path: str, text: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        return _reader_problem(path, text, exc)
    mark = getattr(exc, "problem_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    problem = getattr(exc, "problem", None) or str(exc)
    at = text[mark.index] if mark is not None and 0 <= mark.index < len(text) else ""
    if _LIBYAML_TOO_DEEP.search(problem):  # libyaml's own nesting limit (PyYAML >= 6.0.4)
        return _too_deep(path, Mark(line, column))
    if at == "\t" or re.search(r"\btab\b", problem):
        message = "a tab character is used here; YAML indentation must use spaces"
    elif plain := yaml_hints.explain(path, text, exc):  # the common mistakes, in plain words
        return plain
    else:
        context = getattr(exc, "context", None)
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Problem(path, line, column, message)


def too_large(path: str, size: int) -> Problem:
    return Problem(path, 0, 0, f"the file is {size / 1e6:.1f} MB; "
                   f"deck files are limited to {MAX_FILE_BYTES // 2**20} MB")


def parse_yaml(path: str, data: bytes) -> tuple[Raw | None, list[Problem]]:
    """Parse one YAML document into a Raw tree; problems carry ``path`` for messages."""
    node, problems = compose_yaml(path, data)
    if node is None:
        return None, problems
    tree, more = _convert(node, path)
    return tree, problems + more


def compose_yaml(path: str, data: bytes) -> tuple[yaml.Node | None, list[Problem]]:
    """libyaml's node tree of one YAML document, tagged by the safe schema, or why not; with
    the words YAML would drop (``Fixes #4521``), which the build must not lose silently.
    Only :func:`parse_yaml`'s conversion checks the nodes (tags, keys, aliases, limits)."""
    problems: list[Problem] = []
    if len(data) > MAX_FILE_BYTES:
        return None, [too_large(path, len(data))]
    text = _decode(path, data, problems)
    if text is None:
        return None, problems
    try:
        if len(text) > PRESCAN_CHARS or _max_depth_bound(text) > COMPOSE_SAFE_DEPTH:
            refused = _prescan(path, text)
            if refused is not None:
                return None, [refused]
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(path, text, exc)]
    except RecursionError:  # the pure-Python composer, when PyYAML has no libyaml
        return None, [Problem(path, 1, 1, "values are nested far too deeply; refusing to read it")]
    if node is None:
        return None, [Problem(path, 1, 1, "the file is empty")]
    return node, yaml_hints.lost_comments(path, text, node)


