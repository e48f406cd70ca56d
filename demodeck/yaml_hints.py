"""Plain words for YAML mistakes, at the line where the mistake is.

The people who write decks are not fluent in YAML. libyaml's messages name the
parser's state ("mapping values are not allowed in this context"), and often point
at the line after the mistake. :func:`explain` turns the common ones into a sentence
that says what to type instead, keeping libyaml's words in parentheses;
:func:`lost_comments` finds the words YAML would drop without a word: text after
`` #`` is a comment (``title: Launch #NL`` reads as "Launch").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import yaml

from demodeck.errors import Problem

# A comment that starts right after its "#" (#4521, #NL) follows text on the same line:
# most likely the writer's own words, which YAML drops. "# note" is a comment.
# Found from its "#" (the space or tab before it a lookbehind): a pattern that starts with
# a fixed character lets the regex engine skip to each "#" instead of trying every space.
_TIGHT_COMMENT = re.compile(r"#(?<=[ \t]#)[^\s]")
_COMMENT_START = re.compile(r"[ \t]#")
_ORDINARY_COMMENT = re.compile(r"[ \t]+#(?:[ \t].*)?$")  # "  # timebox" ends a line
_BLOCK_STYLES = ("|", ">")
_NULL_TAG = "tag:yaml.org,2002:null"
_STR_TAG = "tag:yaml.org,2002:str"

# A line's "name: " (the first ": " or a ":" that ends it), after its "- " markers.
_ITEM = re.compile(r"-(?:[ \t]+|$)")
_KEY = re.compile(r"""([^\s#'"\[\]{},&*!|>%@`](?:[^:\n]|:(?=\S))*?)[ \t]*:(?:[ \t]+|$)""")
# "team:Growth": a name and a value with no space between them
_NO_SPACE = re.compile(r"([A-Za-z_][\w -]*?):(?!//)(\S.*)$")
_INDICATORS = "#&*!|>'\"%@`[]{},?-:"  # a plain text cannot start with these
_BLOCK_HEADER = re.compile(r"(?:^|[\s:])[|>][-+0-9]*[ \t]*(?:#.*)?$")


def quoted(text: str) -> str | None:
    """``text`` as a quoted YAML value that reads back as ``text``, in the quotes that
    need no escapes where possible; None when it holds a line break or control character."""
    if not text.isprintable():
        return None
    if '"' not in text and "\\" not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _form(prefix: str, text: str) -> str:
    """What to type: the line's ``prefix`` (``title:``, ``-``) and ``text`` in quotes."""
    value = quoted(text.strip())
    if value is None:
        return ""
    prefix = prefix.strip()
    return f": {prefix} {value}" if prefix else f": {value}"


# --- text after " #" --------------------------------------------------------------------


def lost_comments(path: str, text: str, root: yaml.Node) -> list[Problem]:
    """A problem for each comment that starts right after its ``#`` on a line that holds
    a value (``Fixes #4521``): YAML would drop those words, so the writer must quote them.
    A comment where a value should be (``title: #1 request``) becomes that value, so the
    checks after this one do not report the value missing as well.

    One pass over the lines, and only a file with such a comment is looked at closer:
    the composed nodes tell quoted texts and ``|`` blocks, where ``#`` is text, apart."""
    if _TIGHT_COMMENT.search(text) is None:
        return []
    starts, spans = _scalar_spans(root)
    problems = []
    for number, line in enumerate(text.split("\n")):
        if _TIGHT_COMMENT.search(line) is None:
            continue
        found = _first_comment(line, number, starts, spans)
        if found is not None and _TIGHT_COMMENT.match(line, found):
            problems.append(_lost_comment(path, line, number, found, starts, spans))
    return problems


Place = tuple[int, int]  # 0-based (line, column), as libyaml counts


@dataclass(frozen=True, slots=True)
class _Span:
    start: Place
    end: Place
    node: yaml.ScalarNode


def _scalar_spans(root: yaml.Node) -> tuple[list[Place], list[_Span]]:
    """Where each scalar's text is, in document order; a ``|`` block's from its next line."""
    spans: list[_Span] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias: its text is where the anchor is
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            start = (node.start_mark.line, node.start_mark.column)
            if node.style in _BLOCK_STYLES:
                start = (start[0] + 1, 0)
            spans.append(_Span(start, (node.end_mark.line, node.end_mark.column), node))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    spans.sort(key=lambda s: s.start)
    return [s.start for s in spans], spans


def _span_before(place: Place, starts: list[Place], spans: list[_Span]) -> _Span | None:
    index = bisect.bisect_right(starts, place) - 1
    return spans[index] if index >= 0 else None


def _first_comment(line: str, number: int, starts: list[Place],
                   spans: list[_Span]) -> int | None:
    """The column of the ``#`` that starts a comment after text on ``line``, if any."""
    for match in _COMMENT_START.finditer(line):
        column = match.start() + 1
        span = _span_before((number, column), starts, spans)
        if span is not None and (number, column) < span.end:
            continue  # inside a quoted text or a block: the "#" is text
        return column if line[:column].strip() else None  # a whole-line comment is fine
    return None


def _lost_comment(path: str, line: str, number: int, column: int, starts: list[Place],
                  spans: list[_Span]) -> Problem:
    form = ""
    span = _span_before((number, column), starts, spans)
    if span is not None and span.start[0] == span.end[0] == number and (
            not line[span.end[1]:column].strip()):  # the value the comment follows
        node = span.node
        text = (node.value + _ORDINARY_COMMENT.sub("", line[span.end[1]:])).strip()
        form = _form(line[:span.start[1]], text)
        if node.tag == _NULL_TAG and not node.value:  # "title: #1 request": no value but
            node.tag, node.value = _STR_TAG, text  # this text, so no "empty field" on top
    return Problem(path, number + 1, column + 1,
                   "text after '#' is read as a comment and would be dropped; put the whole "
                   f"text in quotes{form} (for a comment, put a space after the '#')")


# --- libyaml's errors in plain words -------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Hint:
    line: int  # 0-based, as libyaml counts
    column: int
    message: str


def explain(path: str, text: str, exc: yaml.YAMLError) -> Problem | None:
    """libyaml's error ``exc`` as a mistake a newcomer can fix, at the line of the mistake,
    with libyaml's own words after it; None for an error this module has no words for."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return None
    mark, context_mark = exc.problem_mark, exc.context_mark
    problem = exc.problem or ""
    lines = text.split("\n")
    if not 0 <= mark.line < len(lines):
        return None
    hint: _Hint | None = None
    if problem == "found character that cannot start any token":
        hint = _bad_start(lines, mark.line, mark.column)
    elif problem.startswith("found undefined alias") or (
            exc.context == "while scanning an alias" and context_mark is not None):
        at = context_mark if exc.context == "while scanning an alias" else mark
        hint = _bad_start(lines, at.line, at.column) if at is not None else None
    elif exc.context == "while scanning a block scalar" and context_mark is not None:
        hint = _block_indicator(lines, context_mark.line, context_mark.column)
    elif problem in ("did not find expected key", "did not find expected '-' indicator"):
        hint = _misplaced(lines, mark.line, mark.column)
    elif problem == "mapping values are not allowed in this context":
        hint = _second_colon(lines, mark.line, mark.column)
    elif problem == "could not find expected ':'" and context_mark is not None:
        hint = _no_colon(lines, context_mark.line, context_mark.column)
    if hint is None:
        return None
    return Problem(path, hint.line + 1, hint.column + 1, f"{hint.message} (YAML: {problem})")


def _line(lines: list[str], number: int) -> str:
    return lines[number] if 0 <= number < len(lines) else ""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _entry(line: str) -> tuple[int, str | None, int]:
    """Where ``line``'s entry starts after its "- " markers, its name if it is a
    ``name: value`` pair, and where its value starts."""
    column = _indent(line)
    while match := _ITEM.match(line, column):
        column = match.end()
    key = _KEY.match(line, column)
    if key is None:
        return column, None, column
    return column, key.group(1), key.end()


def _value_form(line: str, start: int) -> str:
    """``: title: "..."``: the line from ``start`` in quotes, after what precedes it."""
    return _form(line[:start], _ORDINARY_COMMENT.sub("", line[start:]))


def _bad_start(lines: list[str], number: int, column: int) -> _Hint | None:
    line = _line(lines, number)
    if not 0 <= column < len(line):
        return None
    char = line[column]
    why = " (it marks a reference to an '&' anchor)" if char == "*" else ""
    return _Hint(number, column, f"a value cannot start with '{char}' in YAML{why}; put the "
                 f"whole text in quotes{_value_form(line, column)}")


def _block_indicator(lines: list[str], number: int, column: int) -> _Hint | None:
    line = _line(lines, number)
    if not 0 <= column < len(line) or line[column] not in "|>":
        return None
    if not line[:column].strip():  # "| a | b |" alone: a Markdown line of a block, indented
        block = _block_above(lines, number, column)  # too little
        if block is not None:
            return block
    char = line[column]
    return _Hint(number, column, f"'{char}' at the start of a value begins a block of text "
                 "written on the lines below it, so nothing but a comment may follow it; "
                 f"to start the text with '{char}', put the whole text in quotes"
                 f"{_value_form(line, column)}")


def _misplaced(lines: list[str], number: int, column: int) -> _Hint | None:
    """A line that is in no list or mapping above it (its indentation), or a value that
    goes on after its closing quote or bracket."""
    line = _line(lines, number)
    before = line[:column].rstrip()
    if not before.strip():
        return _misaligned(lines, number, column)
    start = _entry(line)[2]
    last = before[-1]
    if last in "\"'" and line[start:start + 1] == last:
        closing = len(before) - 1
        text = _ORDINARY_COMMENT.sub("", line[start:]).strip()
        if len(text) > 1 and text.endswith(last):  # 'it's': the same quote inside
            text = text[1:-1]
        return _Hint(number, closing, f"the text ends at the closing quote ({last}) but goes "
                     "on after it; to use a quote inside a text, put the whole text in the "
                     f"other kind of quotes{_form(line[:start], text)}")
    if last in "]}" and line[start:start + 1] in "[{":
        kind = "list" if last == "]" else "mapping"
        return _Hint(number, start, f"a value that starts with '{line[start]}' is read as a "
                     f"{kind}, which ends at '{last}'; for text, put the whole text in quotes"
                     f"{_value_form(line, start)}")
    return None


@dataclass(frozen=True, slots=True)
class _Level:
    column: int
    line: int  # 0-based
    is_item: bool
    name: str
    bare: bool = False  # a name with nothing after its ':' (a list or mapping follows)


def _open_levels(lines: list[str], number: int) -> list[_Level]:
    """The lists and mappings open at line ``number``, nearest first: for each line above
    that is indented less than every line after it, where its item and its key start."""
    levels: list[_Level] = []
    limit = 1 << 30
    for above in range(number - 1, -1, -1):
        line = lines[above]
        if not _is_content(line) or _indent(line) >= limit:
            continue
        limit = _indent(line)
        start, key, value_start = _entry(line)
        if key is not None:
            bare = not _ORDINARY_COMMENT.sub("", line[value_start:]).strip()
            levels.append(_Level(start, above, False, key, bare))
        column = limit
        while match := _ITEM.match(line, column):
            levels.append(_Level(column, above, True, _snippet(line[column:])))
            column = match.end()
        if limit == 0:
            break
    return levels


def _snippet(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 30 else text[:29] + "…"


def _misaligned(lines: list[str], number: int, column: int) -> _Hint | None:
    line = lines[number]
    start, key, _ = _entry(line)
    is_item = start > column
    if not is_item and key is None:
        block = _block_above(lines, number, column)
        if block is not None:
            return block
    levels = _open_levels(lines, number)
    alike = [level for level in levels if level.is_item == is_item] or levels
    if not alike:
        return None
    best = min(enumerate(alike), key=lambda pair: (abs(pair[1].column - column), pair[0]))[1]
    owner = levels[0]
    if is_item and owner.bare and column < owner.column:  # "went_well:", then "- x" left of it
        best = owner
    what = f"the item '{best.name}'" if best.is_item else f"'{best.name}'"
    shift = best.column - column
    if shift == 0 and is_item and not best.is_item and not best.bare:  # "b: 1", "- c"
        return _Hint(number, column, f"this list item is in the same column as {what} on line "
                     f"{best.line + 1}, a name with a value; a list belongs under a name with "
                     "nothing after its ':'")
    if shift == 0:
        return None
    return _Hint(number, column, f"this line is indented {_spaces(column)}, but {what} on "
                 f"line {best.line + 1} is indented {best.column}; the entries of one list or "
                 f"mapping must start in the same column: indent this line {_spaces(abs(shift))} "
                 f"{'more' if shift > 0 else 'less'}")


def _spaces(count: int) -> str:
    return "1 space" if count == 1 else f"{count} spaces"


def _block_above(lines: list[str], number: int, column: int) -> _Hint | None:
    """Line ``number``, indented ``column``, just after a ``|`` block whose lines are
    indented more: most likely a line of that text, indented too little."""
    block_indent = None
    for above in range(number - 1, -1, -1):
        line = lines[above]
        if not line.strip():
            continue
        if _indent(line) > column:
            block_indent = _indent(line)  # going up: ends at the block's first line
            continue
        if block_indent is None or not _BLOCK_HEADER.search(line):
            return None
        name = _entry(line)[1]
        what = f"the text block of '{name}'" if name else "the text block"
        return _Hint(number, column, f"this line is indented {_spaces(column)}, less than "
                     f"{what} that starts on line {above + 1} (its lines are indented "
                     f"{block_indent}), so the block ends before this line; indent it "
                     f"{block_indent} spaces to keep it in the text")
    return None


def _previous_content(lines: list[str], number: int) -> int | None:
    for above in range(number - 1, -1, -1):
        if _is_content(lines[above]):
            return above
    return None


def _no_space(lines: list[str], number: int) -> _Hint | None:
    """``team:Growth``: a name and a value without the space YAML needs between them."""
    line = _line(lines, number)
    start = _entry(line)[0]
    match = _NO_SPACE.match(line, start)
    if match is None or ": " in line:
        return None
    name, value = match.group(1), _ORDINARY_COMMENT.sub("", match.group(2))
    written = quoted(value) if value[0] in _INDICATORS else value
    return _Hint(number, start, f"there is no space after ':', so YAML reads "
                 f"'{name}:{value}' as text, not as a name and its value; write "
                 f"{name}: {written}")


def _second_colon(lines: list[str], number: int, column: int) -> _Hint | None:
    """A ": " where YAML cannot start a mapping: a second one after a name on the same
    line, or one on a line that YAML reads as going on from the line above."""
    line = lines[number]
    start, key, value_start = _entry(line)
    if key is not None and value_start <= column:
        return _Hint(number, column, "a second ': ' on this line; YAML allows one, between "
                     "the name and its value: put the whole value in quotes"
                     f"{_value_form(line, value_start)}")
    above = _previous_content(lines, number)
    if above is None:
        return None
    no_space = _no_space(lines, above)
    if no_space is not None:
        return no_space
    upper = lines[above]
    upper_start, upper_key, _ = _entry(upper)
    indent = _indent(line)
    if upper_key is None and indent == upper_start == start:  # "title A", then "team: B"
        return _missing_colon(lines, above)
    upper_column = upper_start if upper_key else _indent(upper)
    if indent > upper_column:
        what = f"'{upper_key}'" if upper_key else f"'{_snippet(upper)}'"
        return _Hint(number, indent, f"this line is indented {_spaces(indent)}, "
                     f"{indent - upper_column} more than {what} on line {above + 1}, so YAML "
                     "reads it as more of the text on that line; start it in the same column "
                     f"as {what} ({_spaces(upper_column)})")
    return None


def _missing_colon(lines: list[str], number: int) -> _Hint:
    line = lines[number]
    start = _entry(line)[0]
    words = line[start:].split(None, 1)
    example = ""
    if len(words) == 2 and start == _indent(line):  # "title A"; not "- Search v2"
        example = f" (like '{words[0]}: {words[1].strip()}')"
    return _Hint(number, start, "this line has no ': ' after its name, so YAML reads it as "
                 "text that goes on into the next line; write the name, ': ' and the value"
                 f"{example}")


def _no_colon(lines: list[str], number: int, column: int) -> _Hint | None:
    """A line with no ": " where the mapping around it needs a name next: a name written
    without the space after ':', a line of a ``|`` block indented too little, or a line
    meant to go on with the text above it."""
    hint = _no_space(lines, number) or _block_above(lines, number, column)
    if hint is not None:
        return hint
    above = _previous_content(lines, number)
    key = _entry(lines[above])[1] if above is not None else None
    if above is None or key is None:
        return _missing_colon(lines, number)
    return _Hint(number, column, f"this line has no ': '. If it goes on with the text of "
                 f"'{key}' on line {above + 1}, indent it more than '{key}' (or put that whole "
                 "text in quotes on one line); if it is a new entry, write the name, ': ' and "
                 "the value")
