"""The slides a deck page shows, each laid out so that its text reads at the back of the room.

Before Jinja runs, render.py asks :func:`plan` for a deck's slides. Each demo slide gets
the layout its text fits best in at the designed size (the features beside the why, or
the why across the whole width under them: overflow.choose_layout); the agenda sits
beside the title or, when that would crowd it, gets a slide of its own in columns,
continued on another if need be; and the retrospective continues on further slides
("What could we have done better? (2/3)") instead of shrinking. All of it is decided
from estimates of the text's height (measure.py's measures, with the theme's sizes read
by sizes.py), at build time: the overview, the presenter view, the PDF, the slide
counter and ``demodeck check`` all see the same slides, with JavaScript or without.
deck.js then only shrinks a slide the estimate got wrong, down to the readable floor
(body text of FLOOR_PX at 1280×720) and under it only when nothing else fits.

A slide whose text cannot be kept at the floor is :class:`Crowded`: ``check`` reports
those of every deck, ``build`` and ``serve`` those of the decks they render.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from demodeck import load, measure, overflow, theme
from demodeck import sizes as theme_sizes
from demodeck.actions import FollowUp
from demodeck.measure import BOLD, SPACE, Block, Text, markdown_blocks, text_width
from demodeck.model import RETRO_TITLE, Deck, RetroCard, Slide
from demodeck.overflow import Estimate
from demodeck.packing import balanced, pack
from demodeck.sizes import Sizes

# What packing leaves unused of a slide's room, for the estimate's error (see overflow.SPARE).
SPARE = overflow.SPARE
# The retrospective's cards are estimated to the pixel (tests/test_slides_browser.py): less.
RETRO_SPARE = 0.01
PART_LABEL = "(9/9)"  # as wide as any "(2/3)": a continued slide's heading is measured with it
DATE = "Wednesday 30 September 2026"  # as long as a date gets: an agenda slide's kicker
FOLLOW_UP_TITLE = "Following up"  # the card of the earlier decks' actions (deck.html)


@dataclass(frozen=True, slots=True)
class Crowded:
    """A slide whose body text goes under the floor, or that scrolls even so."""

    slide: Slide
    demo: int | None  # the demo it shows, or whose could_be_better is too long for it
    field: str  # what is too long: "" (the demo), "could_be_better", "retro", "followup"
    estimate: Estimate | None = None  # what deck.js does with it: planned with ``exact``


@dataclass(frozen=True, slots=True)
class Plan:
    slides: tuple[Slide, ...]
    crowded: tuple[Crowded, ...]


def plan(deck: Deck, follow_ups: Sequence[FollowUp] = (), sizes: Sizes | None = None, *,
         exact: bool = False, whole: frozenset[str] = frozenset()) -> Plan:
    """The slides of ``deck``'s page (``follow_ups``: the earlier decks' actions its
    retrospective follows up, see actions.follow) and those that cannot keep the floor;
    with ``exact``, with the estimate of how far under it each goes (a search, which a
    build skips). ``sizes``: the theme's (sizes.of_project); the built-in theme's by
    default. ``whole``: the project's blocks that show the agenda or the retrospective on
    one slide (see :func:`whole`)."""
    sizes = sizes or theme_sizes.builtin()
    crowded: list[Crowded] = []
    agenda = [] if "title_slide" in whole else agenda_slides(deck, sizes)
    slides = [Slide("title", "title", deck.title, demos=() if agenda else deck.demos)]
    slides.extend(agenda)
    if deck.sprint_goals:
        slides.append(Slide("goals", "goals", "Sprint goals"))
    for index, demo in enumerate(deck.demos):
        wide, readable, estimate = overflow.plan_demo(demo, sizes, exact=exact)
        slides.append(Slide(demo.id, "demo", demo.title, demo,
                            layout="wide-why" if wide else ""))
        if not readable:
            crowded.append(Crowded(slides[-1], index, "", estimate))
    if deck.experiments:
        slides.append(Slide("experiments", "experiments", "Experiments"))
    if deck.metrics:
        slides.append(Slide("metrics", "metrics", "By the numbers"))
    if "retro_slide" in whole:
        slides.append(next(s for s in deck.slides if s.kind == "retro"))
    else:
        retro, too_long = retro_slides(deck, follow_ups, sizes, exact=exact)
        slides.extend(retro)
        crowded.extend(too_long)
    slides.append(Slide("thanks", "thanks", "Thank you"))
    return Plan(tuple(slides), tuple(crowded))


def count(deck: Deck, follow_ups: Sequence[FollowUp] = (), sizes: Sizes | None = None,
          whole: frozenset[str] = frozenset()) -> int:
    """``len(plan(deck, follow_ups, sizes, whole=whole).slides)``, without laying out the
    demo slides."""
    sizes = sizes or theme_sizes.builtin()
    agenda = 0 if "title_slide" in whole else len(agenda_slides(deck, sizes))
    retro = 1 if "retro_slide" in whole else len(retro_slides(deck, follow_ups, sizes)[0])
    return deck.slide_count - 1 + agenda + retro


# A project's own deck.html that overrides one of these blocks, and does not use what
# shows a part (the agenda's ``slide.demos``, the retrospective's data-slide="retro-part"),
# was written for one slide of each: it gets them whole, as before there were parts.
_PARTED = {"title_slide": "slide.demos", "retro_slide": "retro-part"}
_BLOCK = re.compile(r"\{%-?\s*block\s+(\w+)")


def whole(project_root: Path) -> frozenset[str]:
    """The blocks of the project's own ``templates/deck.html`` that show the agenda or the
    retrospective on one slide, as they did before either continued (see _PARTED)."""
    path = theme.user_dir(project_root) / "deck.html"
    try:
        if not path.is_file() or not load.is_inside(project_root.resolve(), path.resolve()):
            return frozenset()
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, RuntimeError):
        return frozenset()  # the build says what is wrong with it
    return frozenset(name for name in _BLOCK.findall(text)
                     if name in _PARTED and _PARTED[name] not in text)


def part_id(base: str, part: int) -> str:
    """``retro``, ``retro-2``, ``retro-3``…: ids that stay the same from build to build."""
    return base if part == 1 else f"{base}-{part}"


def _heading(s: Sizes, title: str, kicker: str, width: float) -> float:
    """A slide's heading with its margin below, its title followed by a part label."""
    words = (*(text_width(w) * BOLD for w in title.split()),
             s.part * text_width(PART_LABEL) * BOLD)
    heading = Text.of_words((words,), SPACE)
    return overflow.head_height(s, Text.of(kicker), heading, width) + s.head_gap


# -- the agenda ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Row:
    """One demo on the agenda, measured: in em of its own font, of the agenda font."""

    title: Text
    people: Text
    minutes: float  # the width of "5 min"; 0 without a timebox


def _rows(deck: Deck) -> list[_Row]:
    return [_Row(measure.title(d.title), Text.of(", ".join(p.name for p in d.people)),
                 text_width(f"{d.minutes} min") * BOLD if d.minutes else 0.0)
            for d in deck.demos]


def _row_height(row: _Row, s: Sizes, width: float, em_px: float) -> float:
    """One agenda row ``width`` em (of the agenda font) wide, in em of the agenda font."""
    number = s.agenda_number * s.agenda_number_font
    minutes = s.agenda_minutes * row.minutes + s.agenda_col_gap if row.minutes else 0.0
    text = width - number - s.agenda_col_gap - minutes
    title = s.agenda_title * s.agenda_title_line * row.title.lines(text / s.agenda_title)
    people = s.agenda_people * (s.agenda_people_gap
                                + s.line * row.people.lines(text / s.agenda_people))
    return max(number, title + people) + s.agenda_row_pad + s.agenda_row_border_px / em_px


def _total(deck: Deck, s: Sizes, em_px: float) -> float:
    """The agenda's closing "5 demos · 30 min in total", in em of the agenda font."""
    if not deck.total_minutes:
        return 0.0
    return s.agenda_total * (s.agenda_total_pad + s.line) + 1 / em_px


def _beside_title(deck: Deck, rows: list[_Row], s: Sizes) -> bool:
    """Whether the agenda fits beside the title at the designed size, in one column."""
    em_px = s.font_px
    width = s.slide_w_px / em_px - s.title_pad_x
    room = s.slide_h_px / em_px - s.title_pad_y
    font_px = em_px * s.agenda
    inner = width * s.agenda_share / s.agenda - s.agenda_pad_x - s.agenda_border_px / font_px
    height = (s.agenda_pad_y + s.agenda_border_px / font_px
              + s.kicker * (s.line + s.agenda_label_gap)
              + sum(_row_height(r, s, inner, font_px) for r in rows) + _total(deck, s, font_px))
    return height * s.agenda <= room * (1 - SPARE)


def agenda_slides(deck: Deck, s: Sizes) -> list[Slide]:
    """The agenda's own slides, or none when it fits beside the title: in two columns, or
    three, or over as many slides of three as it takes."""
    rows = _rows(deck)
    if not rows or _beside_title(deck, rows, s):
        return []
    width, height = overflow.slide_room(s, 1.0)
    font_px = s.font_px * s.agenda
    room = (height - _heading(s, "Agenda", DATE, width)) * (1 - SPARE)
    room -= s.agenda * _total(deck, s, font_px)  # the last slide's: kept free on each
    columns, heights = 2, []
    for columns in (2, 3):
        gap = s.agenda_gap_2 if columns == 2 else s.agenda_gap_3
        column = (width / s.agenda - gap * (columns - 1)) / columns
        heights = [_row_height(r, s, column, font_px) for r in rows]
        if s.agenda * balanced(heights, columns) <= room:
            break
    parts = pack(len(rows), lambda i, j: s.agenda * balanced(heights[i:j], columns), room)
    return [Slide(part_id("agenda", n), "agenda", "Agenda", part=n, parts=len(parts),
                  demos=deck.demos[part.start:part.stop], first=part.start + 1,
                  layout=f"cols-{columns}")
            for n, part in enumerate(parts, start=1)]


# -- the retrospective --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Card:
    """One card of the retrospective, measured in em of its fonts."""

    key: RetroCard | None  # None: a demo's could_be_better
    demo: int  # that demo's index in the deck; -1 for the deck's own cards
    title: Text
    blocks: tuple[Block, ...] = ()  # a demo's Markdown
    items: tuple[Text, ...] = ()  # the team's, what went well, actions
    indent: float = 0.0  # of each item
    stripe: bool = False  # a coloured border at its start
    smallest: float = 1.0  # its smallest body text, in em of the slide font


@functools.lru_cache(maxsize=4)
def _card_sizes(s: Sizes) -> Sizes:
    """The theme's sizes with a card's line-height for its Markdown (one per theme)."""
    return dataclasses.replace(s, md_line=s.card_line)


def _cards(deck: Deck, follow_ups: Sequence[FollowUp], s: Sizes) -> list[_Card]:
    """The retrospective's cards in order: each demo's could_be_better, the earlier
    decks' actions (did we do them?), then the team's items, what went well and the
    actions: the deck's retro."""
    card_sizes = _card_sizes(s)
    plain, code = min(s.card_text, s.card_title), s.card_text * s.code
    cards = [_Card(None, i, measure.title(d.title),
                   blocks=tuple(markdown_blocks(d.could_be_better, card_sizes)), stripe=True,
                   smallest=code if "`" in d.could_be_better else plain)
             for i, d in enumerate(deck.demos) if d.could_be_better]

    def chip(owner: str | None, status: str | None) -> tuple[float, ...]:
        """The owner's chip and the status's (an action's age, or done): inline-blocks,
        each one unbreakable word."""
        return (*((s.owner * (text_width(owner) * BOLD + s.owner_pad + s.owner_margin),)
                  if owner else ()),
                *((s.status * (text_width(status) * BOLD + s.status_pad + s.status_margin),)
                  if status else ()))

    def listed(key: RetroCard, title: str,
               items: Sequence[tuple[str, str | None, str | None]], indent: float,
               stripe: bool = False) -> None:
        if not items:
            return
        texts = tuple(Text.of_words((tuple(map(text_width, measure.inline_text(what).split()))
                                     + chip(owner, status),), SPACE)
                      for what, owner, status in items)
        smallest = code if any("`" in what for what, _, _ in items) else plain
        cards.append(_Card(key, -1, Text.of(title, scale=BOLD), items=texts, indent=indent,
                           stripe=stripe, smallest=smallest))

    retro = deck.retro
    listed("followup", FOLLOW_UP_TITLE,
           [(f.action.what, f.action.owner, f.label) for f in follow_ups], s.action_indent)
    listed("team", "Across the team", [(i, None, None) for i in retro.could_be_better],
           s.card_item_indent, stripe=True)
    listed("went_well", "What went well", [(i, None, None) for i in retro.went_well],
           s.card_item_indent)
    listed("actions", "Actions", [(a.what, a.owner, None) for a in retro.actions],
           s.action_indent)
    return cards


def _card_height(card: _Card, s: Sizes, width: float, em_px: float) -> float:
    """A card ``width`` em of the slide font wide, in those em (its margin left out)."""
    border = s.card_border_px / em_px
    inner = width - s.card_pad_sides - border - (s.card_stripe if card.stripe else border)
    title = s.card_title * (s.card_title_line * card.title.lines(inner / s.card_title)
                            + s.card_title_gap)
    room = inner / s.card_text
    if card.blocks:
        body = measure.blocks_height(card.blocks, room)
    else:
        lines = sum(item.lines(room - card.indent) for item in card.items)
        body = lines * s.card_line + s.card_item_gap * (len(card.items) - 1)
    return s.card_pad_top + s.card_pad_bottom + 2 * border + title + s.card_text * body


class _Board:
    """The retrospective's cards measured once at one fit, in columns of every width the
    board takes: as many as the theme's ``.retro-board`` has, or as there are cards (one,
    no wider than its max-width), or two, wider, for tall cards."""

    def __init__(self, cards: Sequence[_Card], s: Sizes, fit: float) -> None:
        width, height = overflow.slide_room(s, fit)
        self.cards, self.s, self.width, self.em_px = cards, s, width, s.font_px * fit
        self.room = height - _heading(s, RETRO_TITLE, "Retrospective", width)
        self.slack = s.slack_px / self.em_px
        self.most = max(int(s.retro_columns), 1)
        self._heights: dict[int, list[float]] = {}
        self._boards: dict[tuple[int, ...], tuple[int, float]] = {}

    def heights(self, columns: int) -> list[float]:
        """The cards' heights in columns of a board of ``columns``: measured when first
        asked for, as most boards never take some of the widths."""
        found = self._heights.get(columns)
        if found is None:
            s, width = self.s, self.width
            column = (min(width, s.retro_narrow) if columns == 1
                      else (width - s.retro_gap * (columns - 1)) / columns)
            found = [_card_height(c, s, column, self.em_px) for c in self.cards]
            self._heights[columns] = found
        return found

    def columns(self, shown: Sequence[int]) -> tuple[int, float]:
        """(columns, height) of the lowest board of the cards ``shown`` (indexes); packing
        asks again for the slides it settles on."""
        key = tuple(shown)
        found = self._boards.get(key)
        if found is None:
            found = self._boards[key] = self._lowest(shown)
        return found

    def _lowest(self, shown: Sequence[int]) -> tuple[int, float]:
        most = max(min(len(shown), self.most), 1)
        best = (most, 0.0)
        for columns in sorted({most, min(most, 2)}, reverse=True):
            heights = self.heights(columns)
            height = balanced([heights[i] for i in shown], columns, self.s.card_margin)
            if columns == most or height < best[1]:
                best = (columns, height)
        return best

    def fits(self, shown: Sequence[int], spare: float = 0.0) -> bool:
        return self.columns(shown)[1] <= self.room * (1 - spare) + self.slack


def retro_slides(deck: Deck, follow_ups: Sequence[FollowUp], s: Sizes, *,
                 exact: bool = False) -> tuple[list[Slide], list[Crowded]]:
    """The retrospective over as few slides as hold it at the designed size: every
    demo's could_be_better in order, then the deck's own cards (the earlier decks'
    actions to follow up, the team's items, what went well, the actions) together,
    apart only if they do not fit one slide together (see _together)."""
    cards = _cards(deck, follow_ups, s)
    board = _Board(cards, s, 1.0)
    units = [[i] for i, c in enumerate(cards) if c.key is None]
    units.extend(_together(cards, board))

    def height(first: int, end: int) -> float:
        return board.columns([i for unit in units[first:end] for i in unit])[1]

    parts = pack(len(units), height, board.room * (1 - RETRO_SPARE)) if units else [range(0)]
    slides: list[Slide] = []
    crowded: list[Crowded] = []
    for n, part in enumerate(parts, start=1):
        shown = [i for unit in units[part.start:part.stop] for i in unit]
        slide = Slide(part_id("retro", n), "retro", RETRO_TITLE, part=n, parts=len(parts),
                      demos=tuple(deck.demos[cards[i].demo] for i in shown
                                  if cards[i].key is None),
                      cards=tuple(key for i in shown if (key := cards[i].key) is not None),
                      layout=f"cols-{board.columns(shown)[0]}")
        slides.append(slide)
        if shown and not board.fits(shown):
            crowded.extend(_crowded_retro(slide, cards, shown, board, exact))
    return slides, crowded


def _together(cards: list[_Card], board: _Board) -> list[list[int]]:
    """The deck's own cards (indexes), in groups that stay on one slide: all of them if
    they fit one, else the actions followed up, then the deck's retro (the team's
    items, what went well, its actions), else each card on its own."""
    own = [i for i, c in enumerate(cards) if c.key is not None]
    retro = [i for i in own if cards[i].key != "followup"]
    followup = [i for i in own if cards[i].key == "followup"]
    for groups in ([own], [followup, retro]):
        groups = [g for g in groups if g]
        if all(board.fits(g, RETRO_SPARE) for g in groups):
            return groups
    return [[i] for i in own]


def _crowded_retro(slide: Slide, cards: Sequence[_Card], shown: Sequence[int], board: _Board,
                   exact: bool) -> list[Crowded]:
    """A slide of the retrospective (the cards ``shown``, too full on ``board`` at the
    designed size), if deck.js must take its text under the floor: named after its
    longest card."""
    s = board.s
    own = [cards[i] for i in shown]
    every = range(len(own))
    floor = overflow.floor_fit(s, min(c.smallest for c in own))
    if _Board(own, s, floor).fits(every):
        return []
    estimate = (overflow.search(lambda fit: _Board(own, s, fit).fits(every), floor, s,
                                at_floor=False)
                if exact else None)
    heights = board.heights(board.most)
    tallest = cards[max(shown, key=lambda i: heights[i])]
    if tallest.key is None:
        return [Crowded(slide, tallest.demo, "could_be_better", estimate)]
    return [Crowded(slide, None, "followup" if tallest.key == "followup" else "retro",
                    estimate)]
