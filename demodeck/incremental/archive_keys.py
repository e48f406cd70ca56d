"""What the archive pages show of each deck, summed up once per version of the deck.

Every build keys each archive page (index, people, each person, metrics, feed) on exactly
what it shows, so that a page is made again only when that changed. On a ten-year
archive that is thousands of demos and tens of thousands of appearances, yet a deck's
part of those keys depends on that deck alone (its content and the hashed names of its
pictures): :func:`deck_shown` works it out when the deck changes, the build cache keeps
it, and :func:`from_parts` puts the keys together from the decks' parts. Nothing here
needs Jinja: cache files holding these parts load without it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from demodeck import actions, people, theme
from demodeck.digest import digest
from demodeck.incremental.parts import ArchiveKeys as ArchiveKeys
from demodeck.incremental.parts import DeckShown as DeckShown
from demodeck.incremental.parts import Face, PersonShown, ShownBrief
from demodeck.model import Asset, Deck, Demo, Person, person_key

ImagePath = Callable[[Asset], str]  # an image's hashed file name in the site

# Templates the archive pages are made of. While a project overrides none of them we know
# exactly which fields the pages show, and key each page on those fields alone.
ARCHIVE_TEMPLATES = ("base.html", "archive.html", "_archive_nav.html", "macros.html",
                     "index.html", "people.html", "person.html", "actions.html")
FEED_TEMPLATE = "feed.xml"  # on its own: it extends and includes nothing


def precise(project_root: Path) -> bool:
    """Whether the project overrides none of the archive's templates (see from_parts)."""
    user = theme.user_dir(project_root)
    return not any((user / name).exists() for name in ARCHIVE_TEMPLATES)


def precise_feed(project_root: Path) -> bool:
    """Whether the feed is the built-in one, which shows what feed_shown sums up."""
    return not (theme.user_dir(project_root) / FEED_TEMPLATE).exists()


def face(person: Person, image_path: ImagePath) -> Face:
    return (person.name, person.role, image_path(person.avatar) if person.avatar else None)


def demo_shown(demo: Demo, image_path: ImagePath) -> str:
    return _demo_text(demo, tuple(face(p, image_path) for p in demo.people))


def _demo_text(demo: Demo, faces: tuple[Face, ...]) -> str:
    return repr((demo.id, demo.title, demo.team, demo.minutes, faces))


# One appearance of someone in a deck, what their part needs of it: the demo's team, the
# demo as their page lists it (its row, see PersonShown), them as written in this demo,
# and the keys of everyone in the demo, them included. A plain tuple: a cold build makes
# one for each of tens of thousands of appearances.
_Seen = tuple[str | None, str, Face, tuple[str, ...]]


def deck_shown(deck: Deck, image_path: ImagePath) -> DeckShown:
    # Each person's face and key are worked out once per demo, not again for each part
    # that reads them (their own, and that of everyone they demoed with), and so is the
    # digest of the demo as their pages list it: a cold build does this for every demo of
    # the archive while the deck pages are being rendered.
    texts: list[str] = []
    found: dict[str, list[_Seen]] = {}  # person key -> their appearances, in order
    slug = deck.slug
    for demo in deck.demos:
        faces = tuple(face(p, image_path) for p in demo.people)
        keys = tuple([p.key for p in demo.people])
        text = _demo_text(demo, faces)
        texts.append(text)
        row = f"\n{digest(slug, text)}"  # reprs have no newline: rows cannot run together
        team = demo.team
        for key, shown_face in zip(keys, faces, strict=True):
            # someone listed twice in a demo appears twice, as there
            found.setdefault(key, []).append((team, row, shown_face, keys))
    values = tuple((m.key, m.value) for m in deck.metrics)
    return DeckShown(digest(repr((slug, deck.title)), *texts), repr((slug, values)),
                     {key: _person(key, seen) for key, seen in found.items()},
                     feed_shown(deck))


def brief(part: DeckShown) -> ShownBrief:
    """A deck's part in brief (see parts.ShownBrief). Its ``people`` are worked out from
    the deck's date and its demos' texts, faces included (names, roles, pictures), which
    ``listed`` digests: so ``listed``, ``metrics`` and ``feed`` name all of the part, and
    their digest is much quicker than one of the whole part's text."""
    return digest("brief", part.listed, part.metrics, part.feed), part.feed


def feed_shown(deck: Deck) -> str:
    """What the built-in feed shows of a deck: its title, date and hosts, and its demos'
    titles and presenters (not their text: an edited "why" leaves the feed as it was)."""
    return digest(repr((deck.slug, deck.title, deck.hosts, [d.title for d in deck.demos],
                        [p.name for p in deck.presenters])))


def _person(key: str, seen: list[_Seen]) -> PersonShown:
    if len(seen) == 1:  # most people take part in one demo of a deck: the short way
        team, row, shown_face, keys = seen[0]
        return (f"{row} {shown_face[1]!r}", 1, (team,) if team else (), shown_face,
                shown_face if shown_face[2] is not None else None, keys)
    rows = "".join([f"{s[1]} {s[2][1]!r}" for s in seen])
    teams = tuple(dict.fromkeys([s[0] for s in seen if s[0]]))
    pictured = next((s[2] for s in seen if s[2][2] is not None), None)
    others = dict.fromkeys([k for s in seen for k in s[3]])
    return (rows, len(seen), teams, seen[0][2], pictured, tuple(others))


def from_parts(decks: Sequence[Deck], parts: Sequence[DeckShown], *,
               precise: bool) -> ArchiveKeys:
    """The keys of the archive pages of ``decks`` (newest first; ``parts`` theirs).

    ``precise``: the built-in archive templates are in use, so a key holds just what its
    page shows (editing a demo's "why" re-renders no archive page). Otherwise a project
    template may show anything, and a key names the whole content of every deck its page
    covers."""
    by_person: dict[str, list[PersonShown]] = {}
    for part in parts:  # newest deck first, as each person's page lists their demos
        for key, person in part.people.items():
            by_person.setdefault(key, []).append(person)
    slugs = people.slugs(by_person)
    everyone = {key: _sum_up(key, found) for key, found in by_person.items()}
    order = sorted(everyone, key=lambda k: (-everyone[k].demos, k))  # as people.profiles
    metrics = "metrics:" + "".join(part.metrics for part in parts)
    if not precise:
        return _coarse_keys(decks, parts, slugs, metrics, order)
    lines = [(key, slugs[key], *everyone[key].line) for key in order]
    persons = {key: _person_key(slugs, key, everyone[key]) for key in order}
    return ArchiveKeys(slugs, "index:" + "".join(part.listed for part in parts),
                       f"people:{lines!r}", metrics, persons)


class _Person(NamedTuple):
    """One person's parts summed up over the archive."""

    demos: int
    line: tuple[str, int, tuple[str, ...], Face]  # what the people page shows of them
    rows: str  # their page's list of demos, as the digests of each deck's part
    others: set[str]  # everyone they demoed with, not them


def _sum_up(key: str, found: list[PersonShown]) -> _Person:
    """A person's parts, newest deck first: the people page shows the name they were last
    written with, their demo count, their teams (newest first), and the newest picture they
    gave (or how they were last written)."""
    rows, demos, teams, faces, avatars, others = zip(*found, strict=True)
    total: int = sum(demos)
    shown: Face = next(filter(None, avatars), faces[0])
    line = (faces[0][0], total, tuple(dict.fromkeys(itertools.chain.from_iterable(teams))),
            shown)
    everyone = set().union(*others)
    everyone.discard(key)
    return _Person(total, line, "".join(rows), everyone)


def _person_key(slugs: dict[str, str], key: str, person: _Person) -> str:
    """Someone's page: their demos, and where the pages of everyone they demoed with are."""
    links = repr([(other, slugs[other]) for other in sorted(person.others)])
    return f"person:{slugs[key]}:{person.rows}:{links}"


def _coarse_keys(decks: Sequence[Deck], parts: Sequence[DeckShown], slugs: dict[str, str],
                 metrics: str, order: list[str]) -> ArchiveKeys:
    every_deck = "|".join(deck.digest for deck in decks)
    decks_of: dict[str, list[str]] = {}
    for deck, part in zip(decks, parts, strict=True):
        for key in part.people:
            decks_of.setdefault(key, []).append(deck.digest)
    everyone = repr(slugs)  # a page may link to anyone's
    persons = {key: f"person:{everyone}:{key}:{'|'.join(decks_of[key])}" for key in order}
    return ArchiveKeys(slugs, f"index:{every_deck}", f"people:{every_deck}", metrics, persons)


def actions_key(ledger: actions.Ledger, slugs: dict[str, str], decks: Sequence[Deck],
                precise: bool) -> str:
    """What the actions page shows: every action, how it ended, the open ones' ages, and
    the pages of their owners; with a project's own templates, every deck whole."""
    owners = {k: slugs[k] for t in ledger.actions if t.action.owner
              and (k := person_key(t.action.owner)) in slugs}
    shown = repr(([(t, ledger.days(t)) for t in ledger.actions], sorted(owners.items())))
    return f"actions:{shown}" + ("" if precise else "|".join(d.digest for d in decks))


def open_actions_key(ledger: actions.Ledger, mine: Sequence[actions.Tracked]) -> str:
    """What a person's page shows of the actions they own that are still open."""
    return repr([(t.action, t.since, ledger.days(t)) for t in mine])
