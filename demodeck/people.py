"""Everyone who demoed, matched across decks however their name was typed.

Names are matched after Unicode NFC normalisation, whitespace folding and case
folding, so "Zoë" typed with a combining diaeresis, or "zoë", is the same person.
Each person gets a stable, URL-safe slug (non-Latin names keep their letters).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from demodeck.model import Deck, Demo, Person, slugify


class Appearance(NamedTuple):
    """Someone's part in one demo. A named tuple rather than a frozen dataclass: a large
    archive has tens of thousands of them, made in every cold build, and a frozen
    dataclass sets each field through ``object.__setattr__``, which is slower."""

    deck: Deck
    demo: Demo
    person: Person  # as written in that demo (role, avatar)
    others: tuple[Person, ...] = ()  # everyone else in that demo


@dataclass(frozen=True, slots=True)
class Profile:
    key: str
    slug: str
    name: str  # as written most recently
    appearances: tuple[Appearance, ...]  # newest first
    # Worked out once from the appearances: the cache key, the people page and the
    # person's page each ask for them, and a long-time presenter has hundreds.
    avatar: Person | None = field(init=False)  # the newest appearance with a picture
    teams: tuple[str, ...] = field(init=False)  # each team once, newest first

    def __post_init__(self) -> None:
        avatar = next((a.person for a in self.appearances if a.person.avatar), None)
        teams = dict.fromkeys(a.demo.team for a in self.appearances if a.demo.team)
        object.__setattr__(self, "avatar", avatar)
        object.__setattr__(self, "teams", tuple(teams))

    @property
    def count(self) -> int:
        return len(self.appearances)

    @property
    def latest(self) -> Person:
        return self.appearances[0].person


def profiles(decks_newest_first: Sequence[Deck]) -> tuple[Profile, ...]:
    """Everyone who demoed, most demos first, then by name."""
    found: dict[str, list[Appearance]] = {}
    for deck in decks_newest_first:
        for demo in deck.demos:
            everyone = demo.people
            keys = [p.key for p in everyone]
            unique = len(set(keys)) == len(keys)  # the same person listed twice is rare
            for i, (person, key) in enumerate(zip(everyone, keys, strict=True)):
                others = (everyone[:i] + everyone[i + 1:] if unique
                          else tuple(p for p, k in zip(everyone, keys, strict=True) if k != key))
                found.setdefault(key, []).append(Appearance(deck, demo, person, others))
    slug_of = slugs(found)
    people = [Profile(key, slug_of[key], apps[0].person.name, tuple(apps))
              for key, apps in found.items()]
    return tuple(sorted(people, key=lambda p: (-p.count, p.key)))


_LATIN = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "þ": "th",
                        "œ": "oe", "ð": "d", "ı": "i"})


def person_slug(key: str) -> str:
    """Latin names lose their accents (zoë → zoe: folder names that survive zips and any
    server); names in other scripts keep their letters (NFC), which URLs carry encoded."""
    decomposed = unicodedata.normalize("NFKD", key.translate(_LATIN))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return slugify(stripped) or "person"


def slugs(keys: Iterable[str]) -> dict[str, str]:
    """Each person key's page slug: the same whoever asks, given the same people."""
    return _slugs(sorted(keys))


def _slugs(keys: list[str]) -> dict[str, str]:
    """Slugs made unique in key order, so they stay put as other people come and go."""
    used: set[str] = set()
    out: dict[str, str] = {}
    for key in keys:
        base = person_slug(key)
        slug, n = base, 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        out[key] = slug
    return out
