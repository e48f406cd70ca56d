"""Long content: which demos hold more text than their slide shows at a readable size.

In the browser, deck.js measures every slide and shrinks a crowded one: first the
screenshot gets less room, then the text gets smaller, down to the readable floor
(body text of FLOOR_PX at 1280×720), then, only if nothing else fits, under it (down
to half size), and past that the slide scrolls. No browser runs at build time, so
this module predicts the same outcome from the text alone, for each of the layouts a
demo slide can take, and picks the one that reads best (:func:`choose`; slides.py
lays the whole deck out with it). It lays the demo slide
out the way the theme's deck.css does and searches the font-size factor the way its
deck.js does, with the sizes and settings read from those very files (sizes.py;
the project's own where it has them). It word-wraps with the advance widths of
DejaVu Sans, what Debian's Chromium draws ``system-ui`` with and wider than what
the theme's ``--font`` list comes out as elsewhere (Arial and Liberation Sans,
Helvetica, Segoe UI, Roboto, Noto Sans, San Francisco), so a narrower font only
makes the estimate err towards warning. The fonts of the machine that runs
``check`` are not consulted: the deck is often shown on another.

The tolerance, held by ``tests/test_overflow.py`` against Chromium at 1280×720:
within TOLERANCE of deck.js's fit where Chromium draws DejaVu Sans (with the
built-in theme or a project's own), and never more optimistic than TOLERANCE
where it draws a narrower font (there the estimate is lower, by what the font
saves). A theme whose ``--font`` is wider than DejaVu Sans is outside it.

The agenda and the retrospective are estimated in slides.py with the same measures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from demodeck import measure
from demodeck import sizes as theme_sizes
from demodeck.measure import (
    BOLD,
    Block,
    Text,
    blocks_height,
    image_size,
    inline_text,
    markdown_blocks,
    text_width,
)
from demodeck.model import Demo
from demodeck.sizes import Sizes

TOLERANCE = 0.06  # how far the estimate may be from deck.js's fit: see the top

# -- the demo slide, in em of the slide's font (its px × fit) --------------------------------

@dataclass(frozen=True, slots=True)
class Estimate:
    """What deck.js is expected to do with one slide."""

    fit: float  # the font-size factor it settles on; 1 is the designed size
    fits: bool  # False: too tall even at the smallest fit, so the slide scrolls
    floor: float = 0.0  # the fit at which its smallest body text is FLOOR_PX
    wide: bool = False  # a demo slide: laid out with its why across the whole width

    @property
    def readable(self) -> bool:
        """Its body text stays at the floor or larger."""
        return self.fits and self.fit >= self.floor - 1e-9


def floor_fit(sizes: Sizes, smallest: float) -> float:
    """The fit at which body text of ``smallest`` em (at fit 1) is the floor's size: the
    least deck.js shrinks a slide to before it goes under the floor."""
    return max(sizes.min_fit, min(1.0, sizes.floor_px / (sizes.font_px * smallest)))


def search(fits: Callable[[float], bool], floor: float, sizes: Sizes, *,
           at_floor: bool | None = None) -> Estimate:
    """The fit deck.js settles on for a slide too tall at fit 1, by its own search: the
    largest between the floor and 1 that fits, else the largest below the floor.
    ``at_floor``: whether it fits at the floor, when the caller knows already."""
    fitted = fits(floor) if at_floor is None else at_floor  # whether it fits at lo
    lo, hi = (floor, 1.0) if fitted else (sizes.min_fit, floor)
    for _ in range(sizes.fit_steps):
        mid = (lo + hi) / 2
        if fits(mid):
            lo, fitted = mid, True
        else:
            hi = mid
    return Estimate(lo, fitted or fits(lo), floor)


@dataclass(frozen=True, slots=True)
class DemoText:
    """Everything on a demo slide that takes room, measured once, and the theme's sizes."""

    sizes: Sizes
    title: Text
    team: Text | None
    people: tuple[float, ...]  # width of each person, avatar and name
    features: tuple[Text, ...]
    why: tuple[Block, ...]
    links: tuple[float, ...]  # width of each link, in em of the link font
    minutes: float  # width of the timebox in em of its font; 0 without one
    shot: tuple[int, int] | None  # the screenshot's size; (0, 0) when unknown
    has_shot: bool
    smallest: float  # the smallest body text, in em of the slide font at fit 1
    code: float  # the widest line of the why's code blocks, in em of the .md font

    @classmethod
    def of(cls, demo: Demo, sizes: Sizes) -> DemoText:
        shot = image_size(demo.screenshot.src.source) if demo.screenshot is not None else None
        if demo.video is not None:  # takes the screenshot's place; sized by its poster
            poster = demo.video.poster
            shot = (image_size(poster.source) if poster is not None else None) or (1600, 900)
        s = sizes
        why = tuple(markdown_blocks(demo.why, sizes))
        return cls(
            sizes=sizes,
            title=measure.title(demo.title),
            team=Text.of(demo.team) if demo.team else None,
            # the avatar, the gap, then the name (bold) or the role under it
            people=tuple(s.avatar + s.person_gap + max(s.name * text_width(p.name) * BOLD,
                                                       s.role * text_width(p.role or ""))
                         for p in demo.people),
            features=tuple(Text.of(inline_text(f)) for f in demo.features),
            why=why,
            # a link: its padding, icon and gap, then the text (weight 600)
            links=tuple(text_width(link.label) * BOLD + s.link_pad_x + s.link_icon
                        for link in demo.links),
            minutes=text_width(f"{demo.minutes} min") + s.timebox_icon if demo.minutes else 0.0,
            shot=shot,
            has_shot=demo.screenshot is not None or demo.video is not None,
            smallest=_smallest(demo, why, s),
            code=max((b.size * b.text.width for b in why if b.text.keep_empty), default=0.0),
        )


def _smallest(demo: Demo, why: Sequence[Block], s: Sizes) -> float:
    """The smallest body text of a demo slide at fit 1, in em of the slide font: a
    feature's or the why's, smaller where it holds code or a table."""
    side = (1.0, 1.0) if demo.screenshot is not None else (s.side_features, s.side_why)
    sizes = []
    if demo.features:
        code = s.code if any("`" in f for f in demo.features) else 1.0
        sizes.append(side[0] * s.item * code)
    if demo.why:
        code = s.code if "`" in demo.why or any(b.text.keep_empty for b in why) else 1.0
        table = s.table if any(b.rows for b in why) else 1.0
        sizes.append(side[1] * s.md * min(code, table, code * table))
    return min(sizes, default=1.0)


def _flex_rows(widths: Sequence[float], room: float, gap: float) -> int:
    """Rows a wrapping flex line of items ``widths`` wide needs in ``room``."""
    rows, used = 0, 0.0
    for w in widths:
        if rows == 0 or used + gap + w > room:
            rows += 1
            used = w
        else:
            used += gap + w
    return rows


def head_height(s: Sizes, kicker: Text | None, title: Text, width: float) -> float:
    """A slide's heading, its kicker above its title (``.slide-head``), ``width`` em wide."""
    above = s.kicker * s.line * kicker.lines(width / s.kicker) if kicker else 0.0
    return above + s.title * (s.title_margin + s.title_line * title.lines(width / s.title))


def _head(t: DemoText, width: float) -> float:
    return head_height(t.sizes, t.team, t.title, width)


def _people(t: DemoText, width: float) -> float:
    s = t.sizes
    rows = _flex_rows(t.people, width, s.people_gap)
    return rows * s.avatar + max(rows - 1, 0) * s.people_row_gap


def _features(t: DemoText, width: float, scale: float) -> float:
    if not t.features:
        return 0.0
    s = t.sizes
    font = s.item * scale
    lines = [f.lines(width / font - s.item_indent) for f in t.features]
    return font * (s.item_line * sum(lines) + s.item_gap * (len(lines) - 1))


def _why(t: DemoText, width: float, scale: float) -> float:
    s = t.sizes  # the box's padding and border, its label, then the Markdown
    inner = width / scale - s.why_sides
    label = s.label * (s.line + s.label_gap)
    return scale * (s.why_top + s.why_bottom + label
                    + s.md * blocks_height(t.why, inner / s.md))


def _foot(t: DemoText, width: float, em_px: float) -> float:
    if not t.links and not t.minutes:
        return 0.0
    s = t.sizes  # the links wrap beside the timebox; each sits in a line box of the foot
    timebox = s.timebox * t.minutes
    room = width - timebox - (s.foot_gap if timebox else 0.0)
    border = s.link_border_px / em_px
    rows = _flex_rows([s.link * w + border for w in t.links], room, s.links_gap)
    line = max(s.line, s.link * (s.line + s.link_pad_y) + border)
    links = rows * line + max(rows - 1, 0) * s.links_gap
    return s.foot_pad + s.foot_border_px / em_px + max(links, s.timebox * s.line
                                                       if timebox else 0.0)


def _shot(t: DemoText, width: float, em_px: float, highest: float) -> float:
    # at most as wide as its column and its own size, as high as the theme allows
    natural_w, natural_h = t.shot or (1600, 1000)
    shown_w = min(width, natural_w / em_px)
    return min(shown_w * natural_h / max(natural_w, 1), natural_h / em_px, highest)


def slide_room(s: Sizes, fit: float) -> tuple[float, float]:
    """(width, height) inside a light slide's padding at ``fit``, in em of the slide font."""
    em_px = s.font_px * fit
    return (s.slide_w_px / em_px - s.pad_sides,
            (s.slide_h_px - s.pad_top_px) / em_px - s.pad_top - s.pad_bottom)


def slide_height(t: DemoText, fit: float, media: float,
                 wide: bool = False) -> tuple[float, float]:
    """(content height, room for it) of a demo slide at ``fit``, in em of the slide font;
    ``wide``: with its why across the whole width, under the features (and screenshot)."""
    s = t.sizes
    em_px = s.font_px * fit
    width, room = slide_room(s, fit)
    gap = s.row_gap  # between every row track, empty or not
    foot = _foot(t, width, em_px)
    if wide:  # rows: head, people, features (beside the screenshot), why, foot
        if t.has_shot:
            text = width * (1 - media) - s.shot_gap
            middle = max(_features(t, text, 1.0),
                         _shot(t, width * media, em_px, s.wide_shot_max_h))
            why = s.wide_why_margin + _why(t, width, 1.0)
        else:
            middle = (s.side_features * s.side_features_margin
                      + _features(t, width, s.side_features))
            why = s.side_why * s.wide_why_margin + _why(t, width, s.side_why)
        return _head(t, width) + _people(t, width) + middle + why + 4 * gap + foot, room
    if t.has_shot:
        # columns: text | var(--media); rows: head, people, features, why beside the shot
        text = width * (1 - media) - s.shot_gap
        stack = (_head(t, text) + _people(t, text) + _features(t, text, 1.0)
                 + _why(t, text, 1.0) + 3 * gap)
        return max(stack, _shot(t, width * media, em_px, s.shot_max_h)) + gap + foot, room
    # without a screenshot, features and why sit side by side, larger and a little lower
    column = (width - s.side_gap) / 2 if t.features else width
    middle = max(s.side_features * s.side_features_margin
                 + _features(t, column, s.side_features),
                 s.side_why * s.side_why_margin + _why(t, column, s.side_why))
    return _head(t, width) + _people(t, width) + middle + 3 * gap + foot, room


def _fits(t: DemoText, fit: float, media: float, wide: bool = False,
          spare: float = 0.0) -> bool:
    height, room = slide_height(t, fit, media, wide)
    return height <= room * (1 - spare) + t.sizes.slack_px / (t.sizes.font_px * fit)


def estimate_demo(demo: Demo, sizes: Sizes | None = None) -> Estimate:
    """What deck.js would do with the demo's slide, in the layout :func:`choose` gives it:
    the screenshot narrows first, then the text shrinks. ``sizes``: the theme's (see
    ``sizes.of_project``); the built-in theme's by default."""
    t = DemoText.of(demo, sizes or theme_sizes.builtin())
    wide, _ = choose(t)
    return _estimate(t, wide)


def plan_demo(demo: Demo, sizes: Sizes, *, exact: bool = False) -> tuple[bool, bool,
                                                                         Estimate | None]:
    """(whether the demo's slide shows its why across the whole width, whether its body
    text stays at the floor or larger, and with ``exact``, the estimate of a slide whose
    text does not), sooner than estimate_demo: only ``exact`` searches for the fit of a
    slide too full for the floor."""
    t = DemoText.of(demo, sizes)
    wide, readable = choose(t)
    if readable or not exact:
        return wide, readable, None
    return wide, False, _estimate(t, wide, at_one=False, at_floor=False)


def _last_media(t: DemoText) -> float:
    """The screenshot's share of the width once deck.js has narrowed it all it does: the
    slide is no taller at any fit with a wider one, so if it does not fit with this, it
    fits with none."""
    return t.sizes.media[-1] if t.has_shot else t.sizes.media[0]


def _estimate(t: DemoText, wide: bool = False, *, at_one: bool = True,
              at_floor: bool | None = None) -> Estimate:
    """deck.js's fit of the slide (``at_one``: False when it is known not to fit at 1;
    ``at_floor``: whether it fits at the floor, when known: choose found out)."""
    floor = floor_fit(t.sizes, t.smallest)
    media = _last_media(t)
    if at_one and _fits(t, 1.0, media, wide):
        return Estimate(1.0, True, floor, wide)
    found = search(lambda fit: _fits(t, fit, media, wide), floor, t.sizes, at_floor=at_floor)
    return Estimate(found.fit, found.fits, found.floor, wide)


# The side-by-side layout is kept only when it fits with this share of the room to spare:
# the estimate may be a little short, and on a slide at the floor already (inline code is
# at 18.05 px) any shrinking would take its text under it.
SPARE = 0.03


def choose(t: DemoText) -> tuple[bool, bool]:
    """(whether a demo slide reads best with its why across the whole width, under the
    features, whether it then keeps its body text at the floor or larger). Across: when
    the why's code is wider than the column beside the features, or the slide does not
    fit at the designed size beside them and does across, or shrinks less across."""
    media = _last_media(t)
    floor = floor_fit(t.sizes, t.smallest)
    if not (t.features and t.why):  # one column already
        return False, _fits(t, floor, media)
    if _code_too_wide(t):
        return True, _fits(t, floor, media, True)
    if _fits(t, 1.0, media, spare=SPARE):
        return False, True
    if _fits(t, 1.0, media, wide=True):
        return True, True
    across, _ = slide_height(t, floor, media, True)  # both shrink: which reads larger?
    beside, room = slide_height(t, floor, media)
    room += t.sizes.slack_px / (t.sizes.font_px * floor)
    if (across <= room) != (beside <= room):
        return across <= room, True
    return across <= beside, min(across, beside) <= room


def _code_too_wide(t: DemoText) -> bool:
    """Whether a line of the why's code would wrap beside the features at fit 1."""
    if not t.code:
        return False
    s = t.sizes
    width, _ = slide_room(s, 1.0)
    if t.has_shot:
        column, scale = width * (1 - s.media[0]) - s.shot_gap, 1.0
    else:
        column, scale = (width - s.side_gap) / 2, s.side_why
    room = (column / scale - s.why_sides) / s.md - s.pre_pad_x * s.pre
    return t.code > room
