"""Retro actions, followed from deck to deck until a later deck closes them.

An action of a deck's ``retro.actions`` stays open on every later retrospective until a
later deck names it in ``retro.done`` or ``retro.dropped``: by its ``id``, or by its
text (case and spacing aside). :func:`follow` walks the validated decks once, oldest
first, and gives each deck's follow-up card (the actions open when it is presented,
and those it closes), every action of the archive with how it ended, and the
references that name no open action; :func:`problems` places those at file:line:col.
Plain data and small functions: no Jinja, no layout.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from demodeck.errors import Problem
from demodeck.load import DeckSource, RawMap, RawSeq
from demodeck.model import Action, Deck, person_key

Closing = Literal["done", "dropped"]
Status = Literal["open", "done", "dropped"]
CLOSINGS: tuple[Closing, ...] = ("done", "dropped")


def ref_key(text: str) -> str:
    """How a reference is compared with an action's id or text: case and spacing aside."""
    return unicodedata.normalize("NFC", " ".join(text.split())).casefold()


def age(days: int) -> str:
    """``3 days``, ``1 week``, ``5 weeks``: how long an action has been open."""
    if days < 7:
        return "1 day" if days == 1 else f"{days} days"
    weeks = days // 7
    return "1 week" if weeks == 1 else f"{weeks} weeks"


@dataclass(frozen=True, slots=True)
class Closed:
    how: Closing
    on: dt.date  # the deck that closed it


@dataclass(frozen=True, slots=True)
class Tracked:
    """One action of the archive: the deck that said it, and how it ended (or not yet)."""

    action: Action
    since: dt.date
    closed: Closed | None = None


@dataclass(frozen=True, slots=True)
class FollowUp:
    """One action on a deck's follow-up card: still open when the deck is presented, or
    closed by it (shown there once)."""

    action: Action
    since: dt.date  # the deck it came from
    days: int  # from that deck to this one
    status: Status = "open"

    @property
    def age(self) -> str:
        return age(self.days)

    @property
    def label(self) -> str:
        """What its card shows after it: how long it has been open, or done, or dropped."""
        return self.age if self.status == "open" else self.status


@dataclass(frozen=True, slots=True)
class Issue:
    """A reference or id that is wrong: in ``deck`` at ``field`` (``retro.done[0]``). A
    message may name ``{other}``, the place of an earlier action (its deck and field)."""

    deck: Deck
    field: str
    message: str
    unknown: bool = False  # names no action: maybe one of a deck that did not validate
    other: tuple[Deck, str] | None = None


@dataclass(frozen=True, slots=True)
class Ledger:
    """What :func:`follow` found."""

    follow_ups: tuple[tuple[FollowUp, ...], ...]  # each deck's card, in the decks' order
    actions: tuple[Tracked, ...]  # every action of the archive, oldest first
    issues: tuple[Issue, ...]
    as_of: dt.date | None  # the newest deck's date: the archive's ages count up to it

    @property
    def open(self) -> tuple[Tracked, ...]:
        return tuple(t for t in self.actions if t.closed is None)

    @property
    def closed(self) -> tuple[Tracked, ...]:
        """Closed actions, the latest closed first."""
        done = [t for t in self.actions if t.closed is not None]
        return tuple(sorted(done, key=lambda t: t.closed.on if t.closed else t.since,
                            reverse=True))

    def days(self, tracked: Tracked) -> int:
        """How long ``tracked`` has been open, as of the newest deck."""
        return ((self.as_of or tracked.since) - tracked.since).days

    def age_of(self, tracked: Tracked) -> str:
        return age(self.days(tracked))

    def open_by_owner(self) -> dict[str, tuple[Tracked, ...]]:
        """The open actions of each owner, by person key (model.person_key)."""
        found: dict[str, list[Tracked]] = {}
        for tracked in self.open:
            if tracked.action.owner:
                found.setdefault(person_key(tracked.action.owner), []).append(tracked)
        return {key: tuple(actions) for key, actions in found.items()}


@dataclass(eq=False, slots=True)
class _Entry:
    """An action while follow() walks the decks (hashed by identity)."""

    action: Action
    deck: Deck
    index: int  # in the deck's retro.actions
    key: str  # ref_key of its text
    closed: Closed | None = None


def follow(decks: Sequence[Deck], since: dt.date | None = None) -> Ledger:
    """Every action of ``decks`` (validated, newest first) followed to its end.

    ``since`` (``follow_actions_from`` in demodeck.yaml): the actions of decks dated
    before it are shown once, on the next deck's card, and not followed after, nor
    listed with the archive's actions (an archive older than following them)."""
    def followed(entry: _Entry) -> bool:
        return since is None or entry.deck.date >= since

    entries: list[_Entry] = []
    still: list[_Entry] = []  # open, in the order said
    ids: dict[str, _Entry] = {}
    issues: list[Issue] = []
    cards: list[tuple[FollowUp, ...]] = []
    for deck in reversed(decks):
        closing = _close(deck, still, entries, issues)
        cards.append(_card(deck, still, closing))
        for entry, how in closing.items():
            entry.closed = Closed(how, deck.date)
        still = [e for e in still if e.closed is None and followed(e)]
        for index, action in enumerate(deck.retro.actions):
            entry = _Entry(action, deck, index, ref_key(action.what))
            if action.id is not None:
                first = ids.setdefault(action.id, entry)
                if first is not entry:
                    issues.append(Issue(
                        deck, f"retro.actions[{index}].id", f"the id '{action.id}' is "
                        "already used by the action at {other}; give each action its own",
                        other=(first.deck, f"retro.actions[{first.index}].id")))
            entries.append(entry)
            still.append(entry)
    return Ledger(tuple(reversed(cards)),
                  tuple(Tracked(e.action, e.deck.date, e.closed) for e in entries
                        if followed(e)),
                  tuple(issues), decks[0].date if decks else None)


def _card(deck: Deck, still: list[_Entry], closing: dict[_Entry, Closing]
          ) -> tuple[FollowUp, ...]:
    """A deck's follow-up card: the actions still open, oldest first, then those it
    closes, in the order it names them."""
    def item(entry: _Entry, status: Status) -> FollowUp:
        return FollowUp(entry.action, entry.deck.date, (deck.date - entry.deck.date).days,
                        status)

    return (*(item(e, "open") for e in still if e not in closing),
            *(item(e, how) for e, how in closing.items()))


def _close(deck: Deck, still: list[_Entry], entries: list[_Entry],
           issues: list[Issue]) -> dict[_Entry, Closing]:
    """The open actions ``deck`` closes, each with how; its wrong references to ``issues``."""
    if not deck.retro.done and not deck.retro.dropped:
        return {}
    by_id: dict[str, _Entry] = {}
    by_text: dict[str, list[_Entry]] = {}
    for entry in still:
        if entry.action.id is not None:
            by_id.setdefault(entry.action.id, entry)  # the first, when one is used twice
        by_text.setdefault(entry.key, []).append(entry)
    closing: dict[_Entry, Closing] = {}
    for how in CLOSINGS:
        for index, ref in enumerate(getattr(deck.retro, how)):
            field, key = f"retro.{how}[{index}]", ref_key(ref)
            found = [by_id[key]] if key in by_id else by_text.get(key, [])
            if not found:
                issues.append(_not_open(deck, field, ref, key, still, entries))
            elif twice := [e for e in found if e in closing]:
                issues.append(Issue(deck, field, f"'{ref}' is closed twice by this deck "
                                    f"({closing[twice[0]]} and {how}); name it once"))
            else:
                closing.update((e, how) for e in found)
    return closing


def _named(action: Action, key: str) -> bool:
    return action.id == key or ref_key(action.what) == key


def _not_open(deck: Deck, field: str, ref: str, key: str, still: list[_Entry],
              entries: list[_Entry]) -> Issue:
    """Why ``ref`` closes nothing: an action of this deck, one closed already, or none."""
    if any(_named(action, key) for action in deck.retro.actions):
        return Issue(deck, field, f"'{ref}' is an action of this deck: a later deck "
                     "closes it, once it is done or dropped")
    for entry in reversed(entries):
        if entry.closed is not None and (entry.action.id == key or entry.key == key):
            return Issue(deck, field, f"'{ref}' is closed already: {entry.closed.how} in "
                         f"the deck of {entry.closed.on.isoformat()}")
    return Issue(deck, field, f"'{ref}' matches no open action{_suggest(key, still)}",
                 unknown=True)


def _suggest(key: str, still: list[_Entry]) -> str:
    """``; did you mean 'flaky-ci'?`` over the open actions' ids and texts."""
    if not still:
        return "; no action of an earlier deck is open"
    import difflib  # only a deck with a mistake needs it

    shown: dict[str, str] = {}  # compared form -> as written
    for entry in still:
        if entry.action.id is not None:
            shown.setdefault(entry.action.id, entry.action.id)
        shown.setdefault(entry.key, entry.action.what)
    close = difflib.get_close_matches(key, list(shown), n=1, cutoff=0.6)
    return f"; did you mean '{shown[close[0]]}'?" if close else ""


# -- the issues as problems, each at its place ---------------------------------------------

_STEP = re.compile(r"(\w+)(?:\[(\d+)\])?")


def problems(decks: Sequence[Deck], sources: Sequence[DeckSource], *,
             complete: bool = True, since: dt.date | None = None) -> list[Problem]:
    """The issues of ``decks`` (newest first) as problems at file:line:col. ``complete``:
    every deck validated; otherwise a reference that names no action is not reported,
    as it may name one of a deck that did not."""
    issues = [i for i in follow(decks, since).issues if complete or not i.unknown]
    if not issues:
        return []
    files = {source.path: source for source in sources}

    def place(deck: Deck, field: str) -> tuple[str, int, int]:
        source = files.get(deck.source)
        return _place(source, field) if source is not None else (deck.source, 0, 0)

    found = []
    for issue in issues:
        path, line, column = place(issue.deck, issue.field)
        message = issue.message
        if issue.other is not None:
            message = message.replace("{other}", ":".join(map(str, place(*issue.other))))
        found.append(Problem(path, line, column, message, issue.field))
    return found


def _place(source: DeckSource, field: str) -> tuple[str, int, int]:
    """Where ``field`` (``retro.actions[2].id``) is written in the deck's main file: the
    model keeps no line numbers, so the file is parsed again (only for a deck at fault)."""
    main = source.main
    if main is None:
        return source.path, 0, 0
    node, _ = main.parse()
    if node is None:
        return main.path, 0, 0
    mark = node.mark
    for name, index in _STEP.findall(field):
        if not isinstance(node, RawMap) or name not in node.entries:
            break
        node = node.entries[name][1]
        mark = node.mark
        if index:
            if not isinstance(node, RawSeq) or int(index) >= len(node.items):
                break
            node = node.items[int(index)]
            mark = node.mark
    return main.path, mark.line, mark.column
