"""`demodeck announce`: the chat message that goes out before the meeting.

The deck's date and title, its hosts, the agenda (each demo with its presenters and
timebox), the total time and the deck's link, as Markdown for Slack, Teams or Mattermost
or as plain text. Nothing is sent anywhere: the message is printed, to be pasted.

Deck text is the team's, but the message is read in a chat app: in Markdown, the
characters that would start formatting, a link or an HTML tag are escaped, and in both
forms an ``@word`` is kept from notifying anyone (a title of "@here" pings no channel).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from demodeck.errors import UsageError
from demodeck.model import Deck, Demo, SiteConfig

# CommonMark's backslash escapes for what could start emphasis, code, a link, an image,
# an HTML tag or autolink, strikethrough or a table cell in the middle of a line; "&" only
# where it would start an entity (so "R&D" stays as written).
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]<>~|]|&(?=#?[0-9A-Za-z]+;)")
_MENTION = re.compile(r"(?<!\w)@(?=\w)")  # "@here", not "a@b.example"
_WORD_JOINER = "\u2060"  # invisible; keeps "@here" from being read as a mention


@dataclass(frozen=True, slots=True)
class Link:
    """Where the deck is: ``absolute`` when base_url is set, else a path in the project."""

    target: str
    absolute: bool


def pick_deck(decks: Sequence[Deck], date_text: str | None, today: dt.date) -> Deck:
    """The deck dated ``date_text``; without one, the first deck on or after ``today``
    (the next meeting), else the newest. ``decks``: newest first, as validate_all gives."""
    if date_text is not None:
        found = next((deck for deck in decks if deck.slug == date_text), None)
        if found is None:
            slugs = [deck.slug for deck in decks]
            raise UsageError(f"no deck dated {date_text}; decks: {', '.join(slugs[:8])}"
                             + (" ..." if len(slugs) > 8 else ""))
        return found
    coming = [deck for deck in decks if deck.date >= today]
    return coming[-1] if coming else decks[0]


def deck_link(site: SiteConfig, deck: Deck) -> Link:
    """The deck's page: under ``base_url`` when set, else its file in the output folder.
    A base_url that is not an absolute http(s) address is refused: the link goes to people
    elsewhere, and a chat app would make a link of any scheme (``javascript:`` too)."""
    if site.base_url and not re.match(r"(?i)https?://[^/\s]", site.base_url):
        raise UsageError(f"base_url '{site.base_url}' is not an absolute http(s) address; "
                         "the deck's link needs one, such as https://intranet.example.com/demos/")
    if site.base_url:
        base = site.base_url if site.base_url.endswith("/") else site.base_url + "/"
        return Link(f"{base}{deck.slug}/", absolute=True)
    return Link(f"{site.output_dir.rstrip('/')}/{deck.slug}/index.html", absolute=False)


def message(deck: Deck, link: Link, form: str = "markdown") -> str:
    """The announcement of ``deck`` in ``form`` ("markdown" or "text"), ending in a newline."""
    markdown = form == "markdown"
    text = _markdown_text if markdown else _plain_text
    title = text(deck.title)
    head = f"**{title}**" if markdown else title
    lines = [f"{head} — {_long_date(deck.date)}"]
    if deck.hosts:
        lines += ["", f"Hosted by {_names([text(host) for host in deck.hosts])}"]
    lines.append("")
    lines += [_agenda_line(n, demo, markdown) for n, demo in enumerate(deck.demos, start=1)]
    lines += ["", _total(deck)]
    target = link.target
    if markdown and link.absolute:  # an autolink: nothing in it is read as Markdown
        target = "<" + re.sub(r"[<>\s]", _percent, target) + ">"
    elif markdown:
        target = text(target)
    lines += ["", f"Deck: {target}"]
    return "\n".join(lines) + "\n"


def _agenda_line(number: int, demo: Demo, markdown: bool) -> str:
    text = _markdown_text if markdown else _plain_text
    title = text(demo.title)
    people = ", ".join(text(person.name) for person in demo.people)
    minutes = f" ({demo.minutes} min)" if demo.minutes else ""
    return f"{number}. {f'**{title}**' if markdown else title} — {people}{minutes}"


def _total(deck: Deck) -> str:
    """"5 demos · 26 min in total", saying so when some demos have no timebox."""
    count = len(deck.demos)
    demos = f"{count} demo{'s' if count != 1 else ''}"
    timed = sum(1 for demo in deck.demos if demo.minutes)
    if not timed:
        return demos
    total = f"{demos} · {deck.total_minutes} min in total"
    return total if timed == count else f"{total} for the {timed} with a timebox"


def _names(names: Sequence[str]) -> str:
    """"A", "A & B", "A, B & C", as the title slide lists the hosts."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} & {names[-1]}"


def _long_date(day: dt.date) -> str:
    """"Monday 23 November 2026", as the deck's title slide shows it."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _plain_text(text: str) -> str:
    """One line of the team's text: whitespace runs (line breaks too) made one space,
    and no ``@word`` a chat app would take for a mention."""
    return _MENTION.sub("@" + _WORD_JOINER, " ".join(text.split()))


def _markdown_text(text: str) -> str:
    """:func:`_plain_text` with every Markdown-special character escaped."""
    return _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), _plain_text(text))


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group(0).encode())
