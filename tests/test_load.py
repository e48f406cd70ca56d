"""load.py: bytes → located YAML trees, and every way a file can be unreadable."""

from __future__ import annotations

import time

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


def test_editor_temp_files_are_recognised() -> None:
    for name in [".2026-11-23.yaml.swp", "2026-11-23.yaml~", ".#2026-11-23.yaml",
                 "2026-11-23.yaml.tmp", "4913"[:0] + ".goutputstream-X"]:
        assert is_temp_file(name), name
    assert not is_temp_file("2026-11-23.yaml")
