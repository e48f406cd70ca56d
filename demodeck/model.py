"""The validated deck model: frozen dataclasses that templates read.

Markdown fields hold the user's Markdown source (``str``); the render stage turns
them into HTML. Image references are :class:`Asset` values already checked to
exist inside the project. Slide ids are stable slugs, so ``#search-v2`` keeps
naming the same slide across edits and rebuilds.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import pickle
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from demodeck.errors import Problem

Outcome = Literal["success", "mixed", "failed"]
SlideKind = Literal["title", "agenda", "goals", "demo", "experiments", "metrics", "retro",
                    "thanks"]
RetroCard = Literal["team", "went_well", "actions", "followup"]
RETRO_CARDS: tuple[RetroCard, ...] = ("team", "went_well", "actions", "followup")
RETRO_TITLE = "What could we have done better?"

KNOWN_METRICS: dict[str, tuple[str, str]] = {
    # key: (label, unit shown after the number)
    "deployments": ("Deployments", ""),
    "bugs_opened": ("Bugs opened", ""),
    "bugs_closed": ("Bugs closed", ""),
    "cycle_time_days": ("Cycle time", "days"),
    "active_users": ("Active users", ""),
}
# Any other key: a unit named by its last word (p95_latency_ms: "P95 latency", in ms).
UNIT_SUFFIXES: dict[str, str] = {"_ms": "ms", "_pct": "%", "_percent": "%", "_days": "days",
                                 "_hours": "hours"}


@functools.lru_cache(maxsize=65536)
def person_key(name: str) -> str:
    """NFC, whitespace-folded, case-folded: "Zoë" however it was typed. Memoised because
    the archive pages ask for it tens of thousands of times on a large archive."""
    return unicodedata.normalize("NFC", " ".join(name.split())).casefold()


@dataclass(frozen=True, slots=True)
class Asset:
    """An image file inside the project that the site will copy."""

    source: Path  # absolute, resolved
    rel: str  # project-relative, as the user may recognise it


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    role: str | None = None
    avatar: Asset | None = None

    @property
    def initials(self) -> str:
        return _initials(self.name)

    @property
    def key(self) -> str:
        """Identity for matching the same person across demos and decks (NFC + casefold)."""
        return person_key(self.name)


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Screenshot:
    src: Asset
    alt: str


@dataclass(frozen=True, slots=True)
class Video:
    """A recording of the demo, played on its slide; the PDF shows ``poster`` instead."""

    src: Asset  # an MP4 or WebM file
    poster: Asset | None = None
    caption: str | None = None  # Markdown (inline)


@dataclass(frozen=True, slots=True)
class Demo:
    id: str  # slide id / URL hash, unique within the deck
    title: str
    people: tuple[Person, ...]
    features: tuple[str, ...]  # Markdown (inline)
    why: str  # Markdown
    could_be_better: str  # Markdown
    team: str | None = None
    links: tuple[Link, ...] = ()
    screenshot: Screenshot | None = None
    notes: str | None = None  # Markdown, speaker notes
    minutes: int | None = None
    video: Video | None = None
    source: str = ""  # project-relative file the demo came from


@dataclass(frozen=True, slots=True)
class Experiment:
    experiment: str
    hypothesis: str
    result: str
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Action:
    what: str
    owner: str | None = None
    id: str | None = None  # a short slug, unique across the archive: later decks close it


@dataclass(frozen=True, slots=True)
class Retro:
    went_well: tuple[str, ...] = ()  # Markdown (inline)
    could_be_better: tuple[str, ...] = ()  # Markdown (inline)
    actions: tuple[Action, ...] = ()
    # earlier decks' actions this deck closes: each an action's id, or its text
    done: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    value: int | float

    @property
    def label(self) -> str:
        """The key's words, less a unit suffix, as written but for a capital first letter
        ("NPS score" stays so)."""
        known = KNOWN_METRICS.get(self.key)
        if known:
            return known[0]
        words = _unit_split(self.key)[0].replace("_", " ").strip()
        return words[:1].upper() + words[1:]

    @property
    def unit(self) -> str:
        known = KNOWN_METRICS.get(self.key)
        return known[1] if known else _unit_split(self.key)[1]


@dataclass(frozen=True, slots=True)
class Slide:
    """One slide. The agenda and the retrospective may take several (``part`` of
    ``parts``, ids ``agenda``, ``agenda-2``…, ``retro``, ``retro-2``…); see slides.py."""

    id: str
    kind: SlideKind
    title: str
    demo: Demo | None = None
    layout: str = ""  # a demo slide's layout: "" (features beside the why) or "wide-why"
    part: int = 1
    parts: int = 1
    # the title slide's agenda (none when it has slides of its own), an agenda slide's
    # demos, or the demos whose could_be_better a retrospective slide shows
    demos: tuple[Demo, ...] = ()
    first: int = 1  # an agenda slide: the number of its first demo
    cards: tuple[RetroCard, ...] = ()  # a retrospective slide: the deck's cards it shows


@dataclass(frozen=True, slots=True)
class Place:
    """Where a part of a deck is written: a warning about it is placed there."""

    path: str  # project-relative file
    line: int = 0
    column: int = 0
    field: str = ""  # its field path in that file ("demos[2]"), "" for the whole file


@dataclass(frozen=True, slots=True)
class Deck:
    date: dt.date
    title: str
    demos: tuple[Demo, ...]
    hosts: tuple[str, ...] = ()
    sprint_goals: tuple[str, ...] = ()  # Markdown (inline)
    metrics: tuple[Metric, ...] = ()
    experiments: tuple[Experiment, ...] = ()
    retro: Retro = field(default_factory=Retro)
    source: str = ""  # project-relative deck file or folder
    digest: str = ""  # content hash of the deck's input files, for caches
    # Found while validating, from the files' trees (the model keeps no line numbers, and
    # the files need not be parsed again): where each demo (by index) and the retro are
    # written, and the warnings about persons' links that look like slips (userlinks).
    places: tuple[Place, ...] = ()
    retro_place: Place | None = None
    link_warnings: tuple[Problem, ...] = ()

    @property
    def slug(self) -> str:
        return self.date.isoformat()

    @property
    def total_minutes(self) -> int:
        return sum(d.minutes or 0 for d in self.demos)

    @property
    def presenters(self) -> tuple[Person, ...]:
        """Everyone who demoed, in order of first appearance, each once."""
        seen: dict[str, Person] = {}
        for demo in self.demos:
            for person in demo.people:
                seen.setdefault(person.key, person)
        return tuple(seen.values())

    @property
    def assets(self) -> tuple[Asset, ...]:
        """Every image and video the deck shows, each once, in order."""
        found: dict[Path, Asset] = {}
        for demo in self.demos:
            for person in demo.people:
                if person.avatar is not None:
                    found.setdefault(person.avatar.source, person.avatar)
            if demo.screenshot is not None:
                found.setdefault(demo.screenshot.src.source, demo.screenshot.src)
            if demo.video is not None:
                for asset in (demo.video.src, demo.video.poster):
                    if asset is not None:
                        found.setdefault(asset.source, asset)
        return tuple(found.values())

    @property
    def demo_count(self) -> int:
        return len(self.demos)

    @property
    def slide_count(self) -> int:
        """``len(self.slides)``, without making the slides (or unpickling the demos)."""
        return (self.demo_count + 3 + bool(self.sprint_goals) + bool(self.experiments)
                + bool(self.metrics))

    @property
    def slides(self) -> tuple[Slide, ...]:
        """The deck's slides in order, each in one piece and its first layout; the
        retrospective is always there. A deck page shows ``slides.plan(...)``'s instead,
        which continues a long agenda or retrospective on further slides."""
        slides = [Slide("title", "title", self.title, demos=self.demos)]
        if self.sprint_goals:
            slides.append(Slide("goals", "goals", "Sprint goals"))
        slides.extend(Slide(d.id, "demo", d.title, d) for d in self.demos)
        if self.experiments:
            slides.append(Slide("experiments", "experiments", "Experiments"))
        if self.metrics:
            slides.append(Slide("metrics", "metrics", "By the numbers"))
        slides.append(Slide("retro", "retro", RETRO_TITLE,
                            demos=tuple(d for d in self.demos if d.could_be_better),
                            cards=RETRO_CARDS))
        slides.append(Slide("thanks", "thanks", "Thank you"))
        return tuple(slides)


MAX_IMAGE_MB = 20  # the default of max_image_mb in demodeck.yaml
MAX_VIDEO_MB = 100  # the default of max_video_mb


@dataclass(frozen=True, slots=True)
class SiteConfig:
    root: Path  # project folder (where demodeck.yaml is), absolute
    title: str = "R&D Weekly Demo"
    decks_dir: str = "decks"
    output_dir: str = "site"
    base_url: str | None = None
    language: str = "en"
    demo_day: str = "monday"
    max_image_mb: int = MAX_IMAGE_MB  # larger images are refused (from their size, unread)
    max_video_mb: int = MAX_VIDEO_MB  # and larger videos
    follow_actions_from: dt.date | None = None  # retro actions older: shown once (actions.py)
    # files in the output folder to keep (CNAME...); out of repr, so out of the cache keys
    # (keys.settings_key): it shapes no page
    extra: tuple[str, ...] = field(default=(), repr=False)

    @property
    def decks_path(self) -> Path:
        return self.root / self.decks_dir

    @property
    def output_path(self) -> Path:
        return self.root / self.output_dir

    @property
    def templates_path(self) -> Path:
        return self.root / "templates"


# The fixed slides, plus ids the built-in deck page gives its own elements (<main id="deck">,
# the agenda's heading "agenda:h"): a demo titled "Deck" must not take them. Nor may it take
# the id of a further agenda or retrospective slide ("retro-2").
RESERVED_SLIDE_IDS = frozenset({"title", "goals", "experiments", "metrics", "retro", "thanks",
                                "deck", "agenda"})
PART_BASES = frozenset({"agenda", "retro"})
PART_ID = re.compile(r"(?:agenda|retro)-\d+")
_NOT_WORD = re.compile(r"[^\w]+")  # compiled once: slugify runs for every demo of every deck


def slugify(text: str) -> str:
    """A URL-safe, stable slug; keeps non-Latin letters (Hebrew titles get Hebrew slugs)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _NOT_WORD.sub("-", text).strip("-_")
    return text[:60].strip("-_")


def unique_slugs(titles: list[str], *, reserved: frozenset[str] = RESERVED_SLIDE_IDS,
                 fallback: str = "demo") -> list[str]:
    """Slug each title, de-duplicating with -2, -3... and avoiding reserved ids."""
    used: set[str] = set(reserved)
    out: list[str] = []
    for n, title in enumerate(titles, start=1):
        base = slugify(title) or f"{fallback}-{n}"
        if base in PART_BASES:  # "retro-2" is the retrospective's second slide
            base = f"{base}-{fallback}"
        slug, k = base, 2
        while slug in used or PART_ID.fullmatch(slug):
            slug, k = f"{base}-{k}", k + 1
        used.add(slug)
        out.append(slug)
    return out


def _unit_split(key: str) -> tuple[str, str]:
    """(the key without its unit suffix, the unit), or (key, "") when it names none."""
    for suffix, unit in UNIT_SUFFIXES.items():
        if key.endswith(suffix) and key[:-len(suffix)].strip("_ "):
            return key[:-len(suffix)], unit
    return key, ""


@functools.lru_cache(maxsize=4096)
def _initials(name: str) -> str:
    """First letters of the first and last words; read for every avatar on every page."""
    words = [w for w in re.split(r"[\s\-]+", name) if w]
    return "".join(w[0] for w in words[:1] + words[1:][-1:]).upper()


def _reducer(cls: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    """Pickle as a constructor call, which loads faster than frozen dataclasses' default
    __setstate__: that matters for the build cache of a large archive. The field names
    are looked up once per class, not with ``fields()`` on every object."""
    getter = operator.attrgetter(*(f.name for f in fields(cls)))

    def reduce(obj: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, getter(obj)

    return reduce


for _cls in (Asset, Person, Link, Screenshot, Video, Demo, Experiment, Action, Retro, Metric,
             Place):
    _cls.__reduce__ = _reducer(_cls)  # type: ignore[method-assign,assignment]


# -- decks pickle with their demos still pickled -----------------------------------------------

_HEAD = tuple(f.name for f in fields(Deck) if f.name != "demos")
_head = operator.attrgetter(*_HEAD)
PickledDemoList = bytes | Callable[[], bytes]  # a deck's demos pickled, or what reads them


class PickledDemos(Deck):
    """A :class:`Deck` read back from a pickle (the build cache, a pool worker's result)
    whose demos, nine tenths of it, stay pickled until first used: a rebuild that renders
    one deck again reads the dates, metrics and retros of the 519 others, not their demos.
    The build cache gives them as a function that reads them then (see :func:`joined`).
    Equal to, and hashed like, the same deck fully loaded."""

    __slots__ = ("_assets", "_demo_count", "_demos")
    _demos: PickledDemoList
    _assets: tuple[Asset, ...]
    _demo_count: int

    def __getattr__(self, name: str) -> Any:  # called only while the demos slot is empty
        if name != "demos":
            raise AttributeError(name)
        demos = pickle.loads(_demos_pickled(self))
        object.__setattr__(self, "demos", demos)
        return demos

    @property
    def assets(self) -> tuple[Asset, ...]:
        return self._assets

    @property
    def demo_count(self) -> int:
        return self._demo_count

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Deck):
            return NotImplemented
        return bool(_head(self) == _head(other) and self.demos == other.demos)

    __hash__ = Deck.__hash__


DeckHead = tuple[tuple[Any, ...], tuple[Asset, ...], int]  # a deck but its demos (split)


def split(deck: Deck) -> tuple[DeckHead, bytes]:
    """``deck`` as its head (every field but its demos) and its demos pickled: the build
    cache keeps the two apart, and reads a deck's demos only for a page that shows them."""
    return (_head(deck), deck.assets, deck.demo_count), _demos_pickled(deck)


def joined(head: DeckHead, demos: PickledDemoList) -> Deck:
    """The deck whose head :func:`split` gave, its demos pickled or, if a function, read
    by it when first used."""
    fields_but_demos, assets, demo_count = head
    return _unpickle_deck(fields_but_demos, demos, assets, demo_count)


def _demos_pickled(deck: Deck) -> bytes:
    if not isinstance(deck, PickledDemos):
        return pickle.dumps(deck.demos, protocol=pickle.HIGHEST_PROTOCOL)
    demos = deck._demos  # frozen: still its demos, if they were read
    return demos if isinstance(demos, bytes) else demos()


def _reduce_deck(deck: Deck) -> tuple[Callable[..., Deck], tuple[Any, ...]]:
    (head, assets, demo_count), demos = split(deck)
    return _unpickle_deck, (head, demos, assets, demo_count)


def _unpickle_deck(head: tuple[Any, ...], demos: PickledDemoList, assets: tuple[Asset, ...],
                   demo_count: int) -> Deck:
    deck = object.__new__(PickledDemos)
    for name, value in zip(_HEAD, head, strict=True):
        object.__setattr__(deck, name, value)
    object.__setattr__(deck, "_demos", demos)
    object.__setattr__(deck, "_assets", assets)
    object.__setattr__(deck, "_demo_count", demo_count)
    return deck


Deck.__reduce__ = _reduce_deck  # type: ignore[method-assign,assignment]
