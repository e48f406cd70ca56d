"""Stage 1, load: deck files on disk → raw YAML trees that remember line and column.

Nothing here knows the deck format; it only turns bytes into :data:`Raw` values
(``RawMap``/``RawSeq``/``RawScalar``, each with a 1-based :class:`Mark`) and
reports what makes a file unreadable: bad UTF-8, YAML syntax, tabs, duplicate
keys, non-safe tags, alias bombs, absurd nesting. It also finds the decks in
the decks folder (``YYYY-MM-DD.yaml`` files and ``YYYY-MM-DD/`` folders).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from demodeck.errors import Problem

try:  # libyaml is ~10x faster than the pure-Python composer
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 5 * 1024 * 1024  # a year of demos fits in a few hundred KB
MAX_NODES = 200_000  # bounds alias expansion ("billion laughs") in time and memory
MAX_DEPTH = 64  # the deck format is 4 levels deep; anything near this is a mistake

DECK_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(\.ya?ml)?$")


@dataclass(frozen=True, slots=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(slots=True)
class RawScalar:
    value: Any  # str, int, float, bool, None, datetime.date or datetime.datetime
    mark: Mark


@dataclass(slots=True)
class RawSeq:
    items: list[Raw]
    mark: Mark


@dataclass(slots=True)
class RawMap:
    entries: dict[str, tuple[Mark, Raw]]  # key -> (mark of the key, value)
    mark: Mark


Raw = RawScalar | RawSeq | RawMap


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One YAML file read from the project; parsed only when its deck is not cached."""

    path: str  # project-relative, POSIX separators, as shown in messages
    abspath: Path
    data: bytes | None  # None when the file could not be read (a problem says why)
    digest: str  # sha256 of the bytes, for caches

    def parse(self) -> tuple[Raw | None, list[Problem]]:
        if self.data is None:
            return None, []
        return parse_yaml(self.path, self.data)


@dataclass(frozen=True, slots=True)
class DeckSource:
    """A deck as found on disk: one file, or a folder of deck.yaml plus one file per demo."""

    date_text: str  # from the file or folder name, e.g. "2026-11-23"
    path: str  # the file or folder, project-relative
    main: SourceFile | None  # the deck file, or the folder's deck.yaml (optional there)
    demo_files: tuple[SourceFile, ...] = ()
    is_folder: bool = False

    @property
    def digest(self) -> str:
        h = hashlib.sha256(self.path.encode())
        for f in ((self.main,) if self.main else ()) + self.demo_files:
            h.update(f.path.encode() + b"\0" + f.digest.encode())
        return h.hexdigest()


@dataclass
class _Walk:
    path: str
    problems: list[Problem]
    nodes: int = 0
    stopped: bool = False
    seen_alias: set[int] = field(default_factory=set)


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


_SCALARS: dict[str, Callable[[yaml.constructor.SafeConstructor, yaml.ScalarNode], Any]] = {
    "tag:yaml.org,2002:str": yaml.constructor.SafeConstructor.construct_yaml_str,
    "tag:yaml.org,2002:int": yaml.constructor.SafeConstructor.construct_yaml_int,
    "tag:yaml.org,2002:float": yaml.constructor.SafeConstructor.construct_yaml_float,
    "tag:yaml.org,2002:bool": yaml.constructor.SafeConstructor.construct_yaml_bool,
    "tag:yaml.org,2002:null": yaml.constructor.SafeConstructor.construct_yaml_null,
    "tag:yaml.org,2002:timestamp": yaml.constructor.SafeConstructor.construct_yaml_timestamp,
}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


def _convert(node: yaml.Node, walk: _Walk, depth: int) -> Raw | None:
    """Turn a composed YAML node into a Raw value; None means a problem was recorded."""
    if walk.stopped:
        return None
    walk.nodes += 1
    mark = _mark(node)
    if walk.nodes > MAX_NODES:
        walk.stopped = True
        walk.problems.append(Problem(walk.path, mark.line, mark.column,
            f"the document expands to more than {MAX_NODES:,} values "
            "(too many aliases, or far too large); refusing to read it"))
        return None
    if depth > MAX_DEPTH:
        walk.stopped = True
        walk.problems.append(Problem(walk.path, mark.line, mark.column,
            f"values are nested more than {MAX_DEPTH} levels deep; refusing to read it"))
        return None
    if isinstance(node, yaml.ScalarNode):
        return _convert_scalar(node, walk, mark)
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            _bad_tag(node, walk, mark)
            return None
        items = [_convert(item, walk, depth + 1) for item in node.value]
        if any(item is None for item in items):
            return None
        return RawSeq([i for i in items if i is not None], mark)
    if isinstance(node, yaml.MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            _bad_tag(node, walk, mark)
            return None
        return _convert_map(node, walk, mark, depth)
    return None  # pragma: no cover - the composer makes no other node kinds


def _convert_scalar(node: yaml.ScalarNode, walk: _Walk, mark: Mark) -> RawScalar | None:
    construct = _SCALARS.get(node.tag)
    if construct is None:
        _bad_tag(node, walk, mark)
        return None
    try:
        return RawScalar(construct(_CONSTRUCTOR, node), mark)
    except (ValueError, yaml.YAMLError) as exc:  # e.g. a timestamp like 2026-02-30
        walk.problems.append(Problem(walk.path, mark.line, mark.column,
                                     f"cannot read {node.value!r}: {exc}"))
        return None


def _convert_map(node: yaml.MappingNode, walk: _Walk, mark: Mark, depth: int) -> RawMap | None:
    entries: dict[str, tuple[Mark, Raw]] = {}
    ok = True
    for key_node, value_node in node.value:
        key_mark = _mark(key_node)
        if key_node.tag == "tag:yaml.org,2002:merge":
            walk.problems.append(Problem(walk.path, key_mark.line, key_mark.column,
                                         "YAML merge keys ('<<') are not supported; "
                                         "write the fields out"))
            ok = False
            continue
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALARS:
            walk.problems.append(Problem(walk.path, key_mark.line, key_mark.column,
                                         "a key must be plain text"))
            ok = False
            continue
        key = str(key_node.value)
        if key in entries:  # reported, but the rest of the file is still checked
            first = entries[key][0]
            walk.problems.append(Problem(walk.path, key_mark.line, key_mark.column,
                f"duplicate key '{key}' (first given on line {first.line}); keep only one"))
            continue
        value = _convert(value_node, walk, depth + 1)
        if value is None:
            ok = False
            continue
        entries[key] = (key_mark, value)
    return RawMap(entries, mark) if ok else None


def _bad_tag(node: yaml.Node, walk: _Walk, mark: Mark) -> None:
    walk.problems.append(Problem(walk.path, mark.line, mark.column,
        f"the YAML tag '{_short_tag(node.tag)}' is not allowed; "
        "decks may only hold plain text, numbers, dates, lists and mappings"))


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


def _yaml_problem(path: str, text: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    problem = getattr(exc, "problem", None) or str(exc)
    at = text[mark.index] if mark is not None and 0 <= mark.index < len(text) else ""
    if at == "\t" or "tab" in problem:
        message = "a tab character is used here; YAML indentation must use spaces"
    else:
        context = getattr(exc, "context", None)
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Problem(path, line, column, message)


def parse_yaml(path: str, data: bytes) -> tuple[Raw | None, list[Problem]]:
    """Parse one YAML document into a Raw tree; problems carry ``path`` for messages."""
    problems: list[Problem] = []
    if len(data) > MAX_FILE_BYTES:
        problems.append(Problem(path, 0, 0, f"the file is {len(data) / 1e6:.1f} MB; "
                                f"deck files are limited to {MAX_FILE_BYTES // 2**20} MB"))
        return None, problems
    text = _decode(path, data, problems)
    if text is None:
        return None, problems
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(path, text, exc)]
    except RecursionError:
        return None, [Problem(path, 0, 0, "values are nested far too deeply; refusing to read it")]
    if node is None:
        return None, [Problem(path, 1, 1, "the file is empty")]
    walk = _Walk(path, problems)
    return _convert(node, walk, 0), problems


def read_file(root: Path, file: Path) -> tuple[SourceFile, list[Problem]]:
    """Read a project file (not parsed yet); refuses files that resolve outside ``root``."""
    rel = relpath(root, file)
    real = file.resolve()
    if not is_inside(root.resolve(), real):
        return SourceFile(rel, file, None, ""), [Problem(rel, 0, 0,
            "this file is a link to a place outside the project; refusing to read it")]
    try:
        data = real.read_bytes()
    except OSError as exc:
        return SourceFile(rel, file, None, ""), [Problem(rel, 0, 0,
                                                         f"cannot read the file: {exc.strerror}")]
    return SourceFile(rel, file, data, hashlib.sha256(data).hexdigest()), []


def relpath(root: Path, file: Path) -> str:
    try:
        return file.relative_to(root).as_posix()
    except ValueError:
        return file.as_posix()


def is_inside(root: Path, path: Path) -> bool:
    return path == root or root in path.parents


def is_temp_file(name: str) -> bool:
    """Editor scratch files that must never be taken for decks."""
    return (name.startswith((".", "#", "~")) or name.endswith(("~", ".swp", ".swx", ".tmp"))
            or ".tmp" in name)


def _valid_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def discover(root: Path, decks_dir: Path) -> tuple[list[DeckSource], list[Problem]]:
    """Find and read (not parse) every deck; report misnamed, unreadable and duplicate decks."""
    problems: list[Problem] = []
    if not decks_dir.is_dir():
        problems.append(Problem(relpath(root, decks_dir), 0, 0,
                                "the decks folder does not exist (set decks_dir in demodeck.yaml)"))
        return [], problems
    found: dict[str, str] = {}
    decks: list[DeckSource] = []
    for entry in sorted(decks_dir.iterdir()):
        deck = _read_entry(root, entry, problems)
        if deck is None:
            continue
        if deck.date_text in found:
            problems.append(Problem(deck.path, 0, 0,
                f"two decks have the date {deck.date_text}: {found[deck.date_text]} and "
                f"{deck.path}; keep one"))
            continue
        found[deck.date_text] = deck.path
        decks.append(deck)
    return decks, problems


def _read_entry(root: Path, entry: Path, problems: list[Problem]) -> DeckSource | None:
    name = entry.name
    if is_temp_file(name):
        return None
    match = DECK_NAME.match(name)
    is_yaml = name.endswith((".yaml", ".yml"))
    if entry.is_dir():
        if match is None or match.group(2):
            return None  # images/, shared assets and the like live here too
    elif not is_yaml:
        return None
    rel = relpath(root, entry)
    if match is None or not _valid_date(match.group(1)):
        problems.append(Problem(rel, 0, 0, "a deck file must be named after its date, "
                                "YYYY-MM-DD.yaml (or be a YYYY-MM-DD/ folder)"))
        return None
    if entry.is_dir():
        return _read_folder(root, entry, match.group(1), problems)
    source, file_problems = read_file(root, entry)
    problems.extend(file_problems)
    return DeckSource(match.group(1), rel, source)


def _read_folder(root: Path, folder: Path, date_text: str,
                 problems: list[Problem]) -> DeckSource:
    main: SourceFile | None = None
    demos: list[SourceFile] = []
    for file in sorted(folder.iterdir()):
        if is_temp_file(file.name) or not file.name.endswith((".yaml", ".yml")):
            continue
        source, file_problems = read_file(root, file)
        problems.extend(file_problems)
        if file.stem == "deck":
            main = source
        else:
            demos.append(source)
    return DeckSource(date_text, relpath(root, folder), main, tuple(demos), is_folder=True)
