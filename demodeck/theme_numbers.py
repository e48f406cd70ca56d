"""Numbers out of a theme's deck.css and deck.js, the project's file first, ours second.

A small reader, not a CSS engine: the declarations of a stylesheet's top-level rules by
selector (:func:`rules`), lengths in em, px, % or ``calc(a ± b)`` of em and px, the box
shorthands' sides, and the ``var NAME = <JSON>;`` lines deck.js marks as read by
demodeck (:func:`script_values`). It knows nothing of which selector means what: that is
:mod:`demodeck.sizes`. Whatever it cannot read it leaves out; it never raises on a
project's file, and :class:`MissingSize` only when the built-in theme lacks a number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

Rules = Mapping[str, Mapping[str, str]]
T = TypeVar("T")


# -- reading a stylesheet -----------------------------------------------------------------------

_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_STRING = r""""(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?"""
_BRACES = re.compile(_STRING + r"|[{};]")
_SEPARATORS = re.compile(_STRING + r"|[(){}\[\],;]|\s+")
_IMPORTANT = re.compile(r"!\s*important\s*$", re.I)


def rules(css: str) -> dict[str, dict[str, str]]:
    """The declarations of a stylesheet's top-level rules, by selector (each selector of a
    list on its own, whitespace collapsed); a later declaration wins. Rules inside
    ``@media`` and other at-rules are left out, and so is whatever cannot be read:
    this never raises."""
    css = _COMMENT.sub(" ", css)
    found: dict[str, dict[str, str]] = {}
    depth = start = body = 0
    for match in _BRACES.finditer(css):
        token = match.group()
        if token == "{":
            if depth == 0:
                body = match.end()
            depth += 1
        elif token == "}" and depth:
            depth -= 1
            if depth == 0:
                _add(found, css[start:body - 1], css[body:match.start()])
                start = match.end()
        elif token in "};" and depth == 0:  # a stray brace, or a statement like @import
            start = match.end()
    return found


def _add(found: dict[str, dict[str, str]], prelude: str, body: str) -> None:
    prelude = prelude.strip()
    if not prelude or prelude.startswith("@"):
        return
    declarations: dict[str, str] = {}
    for part in _split(body, ";"):
        name, colon, value = part.partition(":")
        name = name.strip()
        if colon and name:
            declarations[name if name.startswith("--") else name.lower()] = _IMPORTANT.sub(
                "", value).strip()
    for selector in _split(prelude, ","):
        found.setdefault(" ".join(selector.split()), {}).update(declarations)


def _split(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` (``,``, ``;`` or whitespace ``" "``) where it is not
    inside brackets or a string; empty parts left out."""
    parts: list[str] = []
    depth = start = 0
    for match in _SEPARATORS.finditer(text):
        token = match.group()
        if token in ("(", "[", "{"):
            depth += 1
        elif token in (")", "]", "}"):
            depth = max(depth - 1, 0)
        elif depth == 0 and (token == separator or (separator == " " and token.isspace())):
            parts.append(text[start:match.start()])
            start = match.end()
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


# -- reading deck.js -----------------------------------------------------------------------------

_JS_VAR = re.compile(r"^[ \t]*var ([A-Z_]+) = (.+?);[ \t]*(?://.*)?$", re.M)


def script_values(js: str) -> dict[str, object]:
    """The ``var NAME = <JSON>;`` lines of a script (upper-case names, one line each)."""
    found: dict[str, object] = {}
    for match in _JS_VAR.finditer(js):
        try:
            found[match[1]] = json.loads(match[2])
        except (ValueError, RecursionError):
            continue
    return found


# -- lengths ---------------------------------------------------------------------------------

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_LENGTH = re.compile(rf"({_NUMBER})([a-z%]*)", re.I)
_BOX = {"top": (0, 0, 0, 0), "right": (0, 1, 1, 1), "bottom": (0, 0, 2, 2),
        "left": (0, 1, 1, 3), "row": (0, 0, 0, 0), "column": (0, 1, 1, 1)}
_LARGEST = 100_000.0  # past this a size is a mistake, and could overflow the arithmetic


class MissingSize(RuntimeError):
    """The built-in theme lacks a size overflow.py reads: a bug in demodeck."""


class Reader:
    """Sizes from the project's stylesheet where it sets them, else the built-in one's."""

    def __init__(self, sheets: Sequence[Rules], scripts: Sequence[Mapping[str, object]]) -> None:
        self.sheets = sheets
        self.scripts = scripts

    def size(self, selector: str, prop: str, unit: str = "em", *, side: str = "",
             anywhere: bool = False, positive: bool = False) -> float:
        """The value of ``selector { prop }`` in ``unit`` ("em", "px", "%" as a fraction, ""
        for a plain number): its first such length with ``anywhere``, else the value (or
        the box shorthand's ``side``: top/right/bottom/left, or a gap's row/column)."""
        for sheet in self.sheets:
            value = sheet.get(selector, {}).get(prop)
            if value is not None:
                number = length(value, unit, side, anywhere)
                if number is not None and 0 <= number <= _LARGEST and (number or not positive):
                    return number
        raise MissingSize(f"the theme's deck.css sets no {selector} {{ {prop} }} in {unit}")

    def padding(self, selector: str, axis: str) -> float:
        """The padding of ``selector`` across ``axis``: "y" top plus bottom, "x" left plus
        right."""
        first, second = ("top", "bottom") if axis == "y" else ("left", "right")
        return (self.size(selector, "padding", side=first)
                + self.size(selector, "padding", side=second))

    def margin_top(self, *selectors: str) -> float:
        """The margin-top of an element that the rules of ``selectors`` (from the most
        specific) all match: that of the first that sets one, with margin or margin-top."""
        for sheet in self.sheets:
            for selector in selectors:
                rule = sheet.get(selector, {})
                for prop, side in (("margin-top", ""), ("margin", "top")):
                    number = length(rule[prop], "em", side, False) if prop in rule else None
                    if number is not None and 0 <= number <= _LARGEST:
                        return number
        raise MissingSize(f"the theme's deck.css sets no margin-top for {selectors[0]}")

    def em_and_px(self, selector: str, prop: str) -> tuple[float, float]:
        """The value of ``selector { prop }``, a length in em, px or ``calc(a ± b)`` of the
        two, as (em, px)."""
        for sheet in self.sheets:
            value = sheet.get(selector, {}).get(prop)
            both = None if value is None else _em_and_px(value)
            if both is not None and 0 <= both[0] <= _LARGEST and abs(both[1]) <= _LARGEST:
                return both
        raise MissingSize(f"the theme's deck.css sets no {selector} {{ {prop} }}")

    def font(self, selector: str) -> float:
        return self.size(selector, "font-size", positive=True)

    def script(self, name: str, parse: Callable[[object], T | None]) -> T:
        """deck.js's ``var name``, as ``parse`` takes it (None: not a valid value)."""
        for values in self.scripts:
            value = parse(values.get(name))
            if value is not None:
                return value
        raise MissingSize(f"the theme's deck.js sets no valid {name}")


def length(value: str, unit: str, side: str, anywhere: bool) -> float | None:
    tokens = _split(value, " ")
    if anywhere:
        tokens = re.findall(rf"{_NUMBER}[a-z%]*", value, re.I)
    elif side:
        if not 1 <= len(tokens) <= 4:
            return None
        tokens = [tokens[_BOX[side][len(tokens) - 1]]]
    elif len(tokens) != 1:
        return None
    for token in tokens:
        match = _LENGTH.fullmatch(token)
        if match is None:
            continue
        number = float(match[1])
        if match[2].lower() == unit or (number == 0 and not match[2]):
            return number / 100 if unit == "%" else number
        if not anywhere:
            return None
    return None


_CALC = re.compile(rf"calc\(\s*({_NUMBER}[a-z]*)\s+([+-])\s+({_NUMBER}[a-z]*)\s*\)", re.I)


def _em_and_px(value: str) -> tuple[float, float] | None:
    calc = _CALC.fullmatch(value.strip())
    terms = [(calc[1], 1), (calc[3], -1 if calc[2] == "-" else 1)] if calc else [(value, 1)]
    em = px = 0.0
    for term, sign in terms:
        match = _LENGTH.fullmatch(term.strip())
        if match is None or match[2].lower() not in ("em", "px", ""):
            return None
        if match[2].lower() == "px":
            px += sign * float(match[1])
        elif match[2] or float(match[1]) == 0:
            em += sign * float(match[1])
        else:
            return None  # a number without a unit is no length
    return em, px
