"""The archive's full-text search index: every demo's words, as one small script.

The archive index page loads ``search-index.js`` when its search box is first used. It is
a script that sets a global, not JSON, because Chromium refuses ``fetch()`` of a file
under ``file://`` and the archive must search offline too. One entry per demo slide
(title, presenters, team, features, why, could-be-better) and one per retrospective
slide; Markdown is reduced to its text, presenters' names are stored once in a table,
and repeated items are stored once. The page folds case, accents, Hebrew niqqud and
Arabic harakat itself (archive.js ``fold``, the twin of :func:`fold` here).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from demodeck.model import Deck, Demo

PATH = "search-index.js"
GLOBAL = "demodeckSearchIndex"
VERSION = 1

# Letters with no combining mark to strip that people type without one (as archive.js),
# final sigma as casefold() writes it, and Arabic alef wasla, which does not decompose.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "đ": "d", "ł": "l", "þ": "th", "œ": "oe",
                          "ð": "d", "ı": "i", "ς": "σ", "ٱ": "ا", "ـ": None})


def fold(text: str) -> str:
    """``text`` as the search compares it: case-folded, NFKD with every combining mark
    dropped (accents, Hebrew niqqud and cantillation, Arabic harakat; أ إ آ become ا),
    tatweel dropped, whitespace runs made one space."""
    if text.isascii():  # most text: nothing to decompose, strip or translate
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)
                   and unicodedata.category(c)[0] != "M")
    return " ".join(bare.translate(_LETTERS).split())


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^>\s]*)>")
_LINE_MARK = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d{1,9}[.)][ \t]+)",
                        re.MULTILINE)
_FENCE = re.compile(r"^[ \t]*(?:`{3,}|~{3,}).*$", re.MULTILINE)
_EMPHASIS = re.compile(r"\*+|~~|`+|(?<!\w)_+|_+(?!\w)")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def plain(markdown: str) -> str:
    """The words of a Markdown text, as a reader sees them: link text without its URL,
    no emphasis or list marks, fenced code kept as text, on one line. A search snippet,
    not a renderer: close enough is the point (and it is far quicker than one)."""
    text = _FENCE.sub(" ", markdown)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _LINE_MARK.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = _ESCAPE.sub(r"\1", text)
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


def index_data(parts: Sequence[DeckPart]) -> dict[str, Any]:
    """The index of the decks whose ``parts`` these are (newest first) as plain data.

    ``decks``: [date, title] each; ``people``: names, each once; ``entries``: [deck's
    place in ``decks``, slide id, title, presenters' places in ``people``, team, text]."""
    people: dict[str, int] = {}
    entries: list[list[Any]] = []
    for index, (_, _, found) in enumerate(parts):
        for slide, title, names, team, text in found:
            places = [people.setdefault(name, len(people)) for name in names]
            entries.append([index, slide, title, places, team, text])
    return {"v": VERSION, "decks": [[slug, title] for slug, title, _ in parts],
            "people": list(people), "entries": entries}


def index_script(parts: Sequence[DeckPart]) -> bytes:
    """``search-index.js``: the index, assigned to ``window.demodeckSearchIndex``. JSON is
    a JavaScript expression; ``<`` is escaped all the same, so no text of a deck can
    close a script element should the file ever be inlined."""
    data = json.dumps(index_data(parts), ensure_ascii=False, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029",
                                                                              "\\u2029")
    return f"window.{GLOBAL}={data};\n".encode()


def index_key(decks: Sequence[Deck]) -> str:
    """What the index is made of: every deck's content (its digest names all of it)."""
    return "search:" + "|".join(f"{deck.slug}:{deck.digest}" for deck in decks)
