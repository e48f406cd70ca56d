"""The archive's full-text search index: every demo's words, one small script a year.

The archive index page loads ``search/<year>.js`` for each year of decks when its search
box is first used. Each is a script that sets a global, not JSON, because Chromium
refuses ``fetch()`` of a file under ``file://`` and the archive must search offline too.
One entry per demo slide (title, presenters, team, features, why, could-be-better) and
one per retrospective slide; Markdown is reduced to its text, repeated items are stored
once, and so is each word (see :func:`year_data`). The page folds case, accents, Hebrew
niqqud and Arabic harakat itself (archive.js ``searchFold``, the twin of :func:`fold`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from demodeck.model import Deck, Demo
from demodeck.pages import Page

FOLDER = "search"  # a file per year: search/2026.js
GLOBAL = "demodeckSearchIndex"
VERSION = 2  # of the files' format, in their cache keys: a new format remakes them all

# Letters with no combining mark to strip that people type without one (as archive.js),
# final sigma as casefold() writes it, and Arabic alef wasla, which does not decompose.
_LETTERS = {"ø": "o", "æ": "ae", "đ": "d", "ł": "l", "þ": "th", "œ": "oe", "ð": "d",
            "ı": "i", "ς": "σ", "ٱ": "ا", "ـ": None}


class _Bare(dict[int, str | None]):
    """A ``str.translate`` table that drops every combining mark and writes _LETTERS as
    typed, filled in as characters are first seen."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        mark = unicodedata.combining(ch) or unicodedata.category(ch)[0] == "M"
        self[code] = None if mark else _LETTERS.get(ch, ch)
        return self[code]


_BARE = _Bare()
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")  # _BARE writes every ASCII character as it is


def _bare(run: re.Match[str]) -> str:
    return run[0].translate(_BARE)


def fold(text: str) -> str:
    """``text`` as the search compares it: case-folded, NFKD with every combining mark
    dropped (accents, Hebrew niqqud and cantillation, Arabic harakat; أ إ آ become ا),
    tatweel dropped, whitespace runs made one space."""
    if text.isascii():  # most text: nothing to decompose, strip or translate
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # translate looks each character up in _BARE: only the runs of non-ASCII ones need it
    return " ".join(_NON_ASCII.sub(_bare, decomposed).split())


_LINK = re.compile(r"(?:!\[|\[)([^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^>\s]*)>")
# A pattern that starts with a character (or one of a few, each branch with one) is found
# by a quick scan for it; one that starts with "^" (MULTILINE) or an optional part is
# tried at every position of the text. So each line's start is the "\n" before it (plain
# puts one before the text's first line).
_LINE_MARK = re.compile(r"\n[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d{1,9}[.)][ \t]+)")
_FENCE = re.compile(r"\n[ \t]*(?:`{3,}|~{3,})[^\n]*")
# Emphasis marks; a ``_`` in snake_case stays: ``(?<!\w)_+|_+(?!\w)`` for ``_``, written so
# that every branch starts with its character, so the engine scans for those four.
_EMPHASIS = re.compile(r"\*\**|~~|``*|_(?<!\w_)_*|__*(?!\w)")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def plain(markdown: str) -> str:
    """The words of a Markdown text, as a reader sees them: link text without its URL,
    no emphasis or list marks, fenced code kept as text, on one line. A search snippet,
    not a renderer: close enough is the point (and it is far quicker than one). Each
    pattern runs only on a text with the character it looks for; a text without ``_``
    loses its ``*``, ``~~`` and backticks by str.replace (the same as _EMPHASIS there:
    ``~`` and the other two never meet in a match). A match is replaced by its group by
    splitting on the pattern and joining (re.split keeps the groups), all of it in C:
    sub with r"\1" expands each match in Python."""
    text = "\n" + markdown  # every line starts after a "\n" (see _LINE_MARK)
    if "``" in text or "~~" in text:
        text = _FENCE.sub("\n ", text)
    if "](" in text:
        text = "".join(_LINK.split(text))
    if "<" in text:
        text = "".join(_AUTOLINK.split(text))
    text = _LINE_MARK.sub("\n", text)
    if "_" in text:
        text = _EMPHASIS.sub("", text)
    else:
        text = text.replace("~~", "").replace("*", "").replace("`", "")
    if "\\" in text:
        text = "".join(_ESCAPE.split(text))
    return " ".join(text.split())


def _joined(items: Sequence[str]) -> str:
    """Items' text joined by " · ", each said once (compared folded)."""
    seen: dict[str, str] = {}
    for item in items:
        text = plain(item)
        if text:
            seen.setdefault(fold(text), text)
    return " · ".join(seen.values())


# One deck's part of the index, worked out when the deck changes and kept in the build
# cache with its other archive parts (archive_keys.DeckShown): date, title, and its
# entries, each (slide id, title, presenters' names, team, text).
Entry = tuple[str, str, tuple[str, ...], str, str]
DeckPart = tuple[str, str, tuple[Entry, ...]]


def deck_part(deck: Deck) -> DeckPart:
    entries = [_demo_entry(demo) for demo in deck.demos]
    retro = _retro_entry(deck)
    if retro is not None:
        entries.append(retro)
    return deck.slug, deck.title, tuple(entries)


def _demo_entry(demo: Demo) -> Entry:
    text = _joined([*demo.features, demo.why, demo.could_be_better])
    return demo.id, demo.title, tuple(p.name for p in demo.people), demo.team or "", text


def _retro_entry(deck: Deck) -> Entry | None:
    retro = deck.retro
    text = _joined([*retro.went_well, *retro.could_be_better,
                    *(f"{a.what} ({a.owner})" if a.owner else a.what for a in retro.actions)])
    return ("retro", "Retrospective", (), "", text) if text else None


# The index is one script per year of decks, search/2026.js: a build remakes only the
# years whose decks changed, and the archive page, which names the years, loads them
# all side by side the first time its search box is used.
Job = tuple[str, str, Callable[[], Page]]  # path in the site, cache key, maker


def jobs(decks: Sequence[Deck], parts: Sequence[DeckPart]) -> list[Job]:
    """The index's files for ``decks`` (newest first; ``parts`` theirs), each with what it
    is made of as its key: its decks' content (a deck's digest names all of it). A file's
    parts are taken from ``parts`` when it is made (a rebuild's parts are read then)."""
    years: dict[int, list[int]] = {}
    for place, deck in enumerate(decks):
        years.setdefault(deck.date.year, []).append(place)
    found: list[Job] = []
    for year, places in years.items():
        key = "|".join(f"{decks[i].slug}:{decks[i].digest}" for i in places)
        found.append((year_path(year), f"search:v{VERSION}:{key}",
                      partial(_year_page_of, year, places, parts)))
    return found


def _year_page_of(year: int, places: list[int], parts: Sequence[DeckPart]) -> Page:
    return year_page(year, [parts[i] for i in places])


def year_path(year: int) -> str:
    return f"{FOLDER}/{year}.js"


def is_index_file(path: str) -> bool:
    return path.startswith(f"{FOLDER}/")


def year_page(year: int, parts: Sequence[DeckPart]) -> Page:
    """``search/2026.js``: the year's part of the index, set as
    ``window.demodeckSearchIndex["2026"]``. JSON is a JavaScript expression; ``<`` is
    escaped all the same, so no text of a deck can close a script element should the
    file ever be inlined."""
    text = json.dumps(year_data(parts), ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029",
                                                                              "\\u2029")
    return Page(year_path(year), f'window.{GLOBAL}["{year}"]={text};\n'.encode())


def year_data(parts: Sequence[DeckPart]) -> dict[str, Any]:
    """One year's decks (``parts``, newest first) as plain data, mostly in a few long
    strings, which a browser reads much faster than as many short ones.

    ``decks``: [date, title, how many of the slides below are its] each; ``slides``:
    every slide's id, joined by spaces; ``words``: each word of the slides' text once,
    one a line; ``text``: four fields a slide, joined by spaces (title, team,
    presenters' names, text), each a string of one character per word: the character
    whose code is the word's line in ``words``. Storing each word once makes the file
    several times smaller than the text, and the page folds each word once."""
    decks: list[list[Any]] = []
    slides: list[str] = []
    fields: list[str] = []
    for slug, title, found in parts:
        decks.append([slug, title, len(found)])
        for slide, heading, names, team, text in found:
            slides.append(slide)
            fields += (heading, team, ", ".join(names), text)
    words, coded = _coded(fields)
    return {"decks": decks, "slides": " ".join(slides), "words": words, "text": coded}


_SEP = "\0"  # between fields while they are coded together: deck text holds no controls


def _unfit(code: int) -> bool:
    """Whether a word may not be written as this code point: JSON would have to escape
    it (controls, quote, backslash), year_page escapes it ("<", U+2028, U+2029), UTF-8
    cannot hold it alone (surrogates), or it separates fields (space)."""
    return (code <= 0x20 or code in (0x22, 0x3C, 0x5C, 0x2028, 0x2029)
            or 0xD800 <= code <= 0xDFFF)


def _coded(fields: list[str]) -> tuple[str, str]:
    """``fields`` as words (see year_data): the words, one a line, and the fields coded,
    joined by spaces. The commonest words come first, so they get the code points UTF-8
    writes in one byte. All at once: split, count and join run in C."""
    tokens = f" {_SEP} ".join(fields).split()
    codes = {word: "" for word, _ in Counter(tokens).most_common() if word != _SEP}
    lines: list[str] = []
    for word in codes:
        while _unfit(len(lines)):
            lines.append("")
        codes[word] = chr(len(lines))
        lines.append(word)
    codes[_SEP] = " "
    return "\n".join(lines), "".join(map(codes.__getitem__, tokens))
