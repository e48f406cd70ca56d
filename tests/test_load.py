"""load.py: bytes → located YAML trees, and every way a file can be unreadable."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
import yaml

from demodeck import load, yaml_tree
from demodeck.load import RawMap, RawScalar, RawSeq, is_temp_file, parse_yaml


def messages(data: bytes) -> list[str]:
    return [str(p) for p in parse_yaml("decks/x.yaml", data)[1]]


def test_values_keep_line_and_column() -> None:
    tree, problems = parse_yaml("x.yaml", b"title: A\ndemos:\n  - title: B\n    minutes: 5\n")
    assert problems == []
    assert isinstance(tree, RawMap)
    demos = tree.entries["demos"][1]
    assert isinstance(demos, RawSeq)
    demo = demos.items[0]
    assert isinstance(demo, RawMap)
    minutes = demo.entries["minutes"][1]
    assert isinstance(minutes, RawScalar)
    assert (minutes.value, minutes.mark.line, minutes.mark.column) == (5, 4, 14)


def test_marks_are_shared_but_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Marks are shared between trees (they are immutable); past the bound of the shared
    table each value still gets its own, right, mark."""
    monkeypatch.setattr(yaml_tree, "_MARKS", {})
    monkeypatch.setattr(yaml_tree, "_MARKS_MAX", 3)
    doc = b"a: [x, y, z]\nb: {c: 1, d: [2, 3]}\n"
    for _ in range(2):
        tree, problems = parse_yaml("x.yaml", doc)
        assert problems == [] and isinstance(tree, RawMap)
        b_mark, b = tree.entries["b"]
        assert isinstance(b, RawMap) and (b_mark, b.mark) == (load.Mark(2, 1), load.Mark(2, 4))
        d = b.entries["d"][1]
        assert isinstance(d, RawSeq) and [i.mark for i in d.items] == [
            load.Mark(2, 15), load.Mark(2, 18)]
        assert len(yaml_tree._MARKS) == 3


def test_syntax_error_names_line_and_column() -> None:
    assert messages(b"title: A\ndemos: [1, 2\n") == [
        "decks/x.yaml:3:1: YAML syntax error: did not find expected ',' or ']' "
        "(while parsing a flow sequence)"]


def test_tab_indentation_gets_a_plain_explanation() -> None:
    assert messages(b"demos:\n\t- title: A\n") == [
        "decks/x.yaml:2:1: a tab character is used here; YAML indentation must use spaces"]


def test_duplicate_key_is_reported_with_first_line() -> None:
    assert messages(b"title: A\nhosts: []\ntitle: B\n") == [
        "decks/x.yaml:3:1: duplicate key 'title' (first given on line 1); keep only one"]


def test_python_tags_are_refused_not_executed() -> None:
    msgs = messages(b"title: !!python/object/apply:os.system ['touch /tmp/pwned']\n")
    assert msgs == ["decks/x.yaml:1:8: the YAML tag '!!python/object/apply:os.system' is not "
                    "allowed; decks may only hold plain text, numbers, dates, lists and mappings"]


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    started = time.perf_counter()
    msgs = messages("\n".join(lines).encode())
    assert time.perf_counter() - started < 2
    assert len(msgs) == 1 and "expands to more than 200,000 values" in msgs[0]


def test_deep_nesting_is_refused() -> None:
    msgs = messages(b"a: " + b"[" * 200 + b"]" * 200 + b"\n")
    assert len(msgs) == 1 and "nested more than 64 levels deep" in msgs[0]


def test_not_utf8_points_at_the_byte() -> None:
    assert messages(b"title: ok\nwhy: caf\xe9\n") == [
        "decks/x.yaml:2:9: the file is not valid UTF-8 (byte 0xe9); save it as UTF-8"]


def test_bom_is_accepted() -> None:
    tree, problems = parse_yaml("x.yaml", "\ufefftitle: A\n".encode())
    assert problems == [] and isinstance(tree, RawMap) and "title" in tree.entries


def test_empty_file() -> None:
    assert messages(b"") == ["decks/x.yaml:1:1: the file is empty"]


def test_huge_file_is_refused_before_parsing() -> None:
    msgs = messages(b"#" * (6 * 1024 * 1024))
    assert msgs == ["decks/x.yaml: the file is 6.3 MB; deck files are limited to 5 MB"]


@pytest.mark.parametrize("size", [0, 5, 9, 10, 11, 20])  # what fstat said; the file has 10
def test_reading_up_to_the_limit_whatever_fstat_said(size: int) -> None:
    """read_up_to asks for the stat size first; a file that grew or shrank since is still
    read whole, or up to the limit (/proc files say 0)."""
    data = bytes(range(10))
    for limit in (4, 10, 11, 12):
        assert load.read_up_to(io.BytesIO(data), size, limit) == data[:limit], limit


def test_a_file_that_grew_past_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"#" * (load.MAX_FILE_BYTES + 10))
    with open(path, "rb") as handle:
        read = load.read_up_to(handle, 100, load.MAX_FILE_BYTES + 1)
    assert len(read) == load.MAX_FILE_BYTES + 1


def test_editor_temp_files_are_recognised() -> None:
    for name in [".2026-11-23.yaml.swp", "2026-11-23.yaml~", ".#2026-11-23.yaml",
                 "2026-11-23.yaml.tmp", "4913"[:0] + ".goutputstream-X"]:
        assert is_temp_file(name), name
    assert not is_temp_file("2026-11-23.yaml")


# --- plain scalars get exactly the values and types PyYAML's safe_load gives them ---------

# YAML 1.1's implicit types and their near misses, and the characters that start them
TRICKY = [
    "", "~", "null", "Null", "NULL", "nulL", "none", "true", "True", "TRUE", "tRUE", "yes", "Yes",
    "YES", "y", "Y", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "false", "F",
    "0", "1", "-1", "+1", "-0", "1_000", "0x1F", "0x", "0o17", "017", "08", "0b101", "0b2",
    "1:30", "190:20:30", "1:60", "1.5", ".5", "-.5", "+.5", "1.", "1e3", "1.0e+3", "1.0e3",
    "1_0.5", ".inf", "-.Inf", "+.INF", ".NaN", ".nan", ".", "..", "2026-11-23", "2026-1-2",
    "2026-11-23T10:00:00Z", "2026-11-23 10:00:00.5 +01:00", "2026-11-23t1:00:00", "2026-13-45",
    "20261123", "<<", "<", "=", "==", "!", "&a", "*a", "Keyboard-first uploads", "6 min",
    "1.2.3", "v1", " 1", "1 ", "Ünïcode", "ノート", "-", "+", "-a", "0.1.2", "12:30:00.5",
]


@pytest.mark.parametrize("value", [v for v in TRICKY if v and v.strip() == v])
def test_plain_scalars_get_pyyaml_values(value: str) -> None:
    """End to end, through the composer: the value and its Python type are safe_load's."""
    doc = f"v: {value}\n".encode()
    try:
        expected = yaml.load(doc, Loader=yaml.CSafeLoader)
    except (yaml.YAMLError, ValueError):  # e.g. '=', or the date 2026-13-45
        expected = None
    tree, problems = parse_yaml("x.yaml", doc)
    if expected is None:  # refused by both
        assert problems and tree is None
        return
    assert problems == []
    assert isinstance(tree, RawMap) and isinstance(expected, dict)
    got = tree.entries["v"][1]
    assert isinstance(got, RawScalar)
    assert type(got.value) is type(expected["v"]) and repr(got.value) == repr(expected["v"])


def _plain(raw: object) -> object:
    if isinstance(raw, RawMap):
        return {key: _plain(value) for key, (_, value) in raw.entries.items()}
    if isinstance(raw, RawSeq):
        return [_plain(item) for item in raw.items]
    assert isinstance(raw, RawScalar)
    return raw.value


def test_a_text_written_again_plain_quoted_or_tagged_gets_pyyamls_value_each_time() -> None:
    """Each plain text's type is looked up once per text: the same text quoted, tagged
    with '!' or in another place still reads as safe_load reads it there."""
    doc = ("a: yes\nb: 'yes'\nc: yes\nd: ! yes\ne: [1, '1', 1, ! 1, \"1\"]\n"
           "f: ! [null, ~]\ng: ! {k: no}\nh: |\n  1\ni: 1\nj: 2026-11-23\n")
    tree, problems = parse_yaml("x.yaml", doc.encode())
    expected = yaml.load(doc, Loader=yaml.CSafeLoader)
    assert problems == []
    got = _plain(tree)
    assert repr(got) == repr(expected) and got == expected


@pytest.mark.parametrize("text", ["9", "42", "0", "09", "017", "10", "1_0", "0x1F", "0b11", "+5",
                                  "-5", "1:30", "\u0663", "\u00b2", "5 ", "", "x"])
def test_scalar_value_reads_an_int_as_pyyaml_does(text: str) -> None:
    """scalar_value (parse_yaml's reader) takes a shortcut for plain decimal ints."""
    node = yaml.ScalarNode("tag:yaml.org,2002:int", text)
    try:
        expected: object = yaml.constructor.SafeConstructor().construct_yaml_int(node)
    except (ValueError, IndexError):  # "": IndexError, turned into a ValueError
        expected = ValueError
    try:
        got: object = yaml_tree.scalar_value(node)
    except ValueError:
        got = ValueError
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(("text", "message"), [
    ("a: !!int ''", "cannot read '' as !!int"),
    ("a: !!int '-'", "cannot read '-' as !!int"),
    ("a: !!float ''", "cannot read '' as !!float"),
    ("a: !!bool ''", "cannot read '' as !!bool"),
    ("a: !!bool maybe", "cannot read 'maybe' as !!bool"),
    ("a: !!timestamp x", "cannot read 'x' as !!timestamp"),
    ("a: !!int x", "cannot read 'x': invalid literal for int() with base 10: 'x'"),
])
def test_explicit_tag_on_unreadable_text_is_a_problem_not_a_crash(text: str, message: str) -> None:
    tree, problems = parse_yaml("x.yaml", text.encode())
    assert tree is None
    assert [(p.line, p.column, p.message) for p in problems] == [(1, 4, message)]
