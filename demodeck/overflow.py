"""Long content: which demos hold more text than their slide shows at a readable size.

In the browser, deck.js measures every slide and shrinks a crowded one: first the
screenshot gets less room, then the text gets smaller (down to half size), and
past that the slide scrolls. ``demodeck check`` runs no browser, so this module
predicts the same outcome from the text alone. It lays the demo slide out the
way ``templates/static/deck.css`` does (every size below names the rule it comes
from), word-wraps with the advance widths of DejaVu Sans (what Debian's
Chromium renders ``system-ui`` with; wider than most system fonts, so the
estimate errs towards warning) and searches the font-size factor the way
deck.js does. ``tests/test_overflow.py`` checks the estimate against what
Chromium actually does at 1280×720: within 0.06 of deck.js's fit where Chromium
draws DejaVu Sans, and never more optimistic than that where it draws a narrower
font (Liberation Sans, Arial's widths).

Only demo slides are estimated: they hold free text, while the other slides are
short lists the theme already lays out in columns.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import struct
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from markdown_it.token import Token

from demodeck import load, markdown, markdown_fast
from demodeck.errors import Problem
from demodeck.model import Deck, Demo, SiteConfig
from demodeck.pool import parallel_map

SLIDE_W = 1280.0  # px, the designed stage (deck.css .slide)
SLIDE_H = 720.0
BASE_PX = 24.0  # .slide font-size at --fit: 1
MIN_FIT = 0.5  # deck.js MIN_FIT: below this the slide scrolls instead
MEDIA_STEPS = (0.50, 0.44, 0.38)  # .has-shot --media, then deck.js SQUEEZE
READABLE_FIT = 0.7  # below this, text is too small for the back of the room

# Advance widths of DejaVu Sans Book, in em, for ASCII 32 (space) to 126 (~).
_ASCII = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)
SPACE = _ASCII[0] / 1000
BOLD = 1.1  # DejaVu Sans Bold runs about 10% wider than Book
MONO = 0.602  # DejaVu Sans Mono, every glyph


def char_width(ch: str) -> float:
    """Advance width of one character, in em of its font."""
    code = ord(ch)
    if 32 <= code < 127:
        return _ASCII[code - 32] / 1000
    category = unicodedata.category(ch)
    if category in ("Mn", "Me", "Cf"):  # combining marks, zero-width joiners
        return 0.0
    if unicodedata.east_asian_width(ch) in ("W", "F") or category == "So":
        return 1.0  # CJK, emoji
    base = unicodedata.normalize("NFD", ch)[0]
    if base != ch and 32 <= ord(base) < 127:
        return _ASCII[ord(base) - 32] / 1000  # é is as wide as e
    return 0.6


def text_width(text: str, *, mono: bool = False) -> float:
    if mono:
        return MONO * sum(1 for ch in text if unicodedata.category(ch) not in ("Mn", "Me"))
    return sum(char_width(ch) for ch in text)


# Words repeat (an archive of 6,240 demos has ~800,000 words, ~20,000 of them distinct),
# and summing a word's characters is most of what measuring a text costs.
@functools.lru_cache(maxsize=1 << 16)
def _word_width(word: str, mono: bool) -> float:
    return text_width(word, mono=mono)


@dataclass(frozen=True, slots=True)
class Text:
    """A text measured once: the widths of each paragraph's words, in em of its font."""

    paragraphs: tuple[tuple[float, ...], ...]
    space: float
    keep_empty: bool = False  # code: an empty line still takes a line

    @classmethod
    def of(cls, text: str, *, scale: float = 1.0, mono: bool = False) -> Text:
        return cls(tuple(tuple(_word_width(w, mono) * scale for w in p.split())
                         for p in text.split("\n")),
                   (MONO if mono else SPACE) * scale, keep_empty=mono)

    @property
    def width(self) -> float:
        """On one line, unwrapped (the widest paragraph)."""
        return max((sum(p) + self.space * max(len(p) - 1, 0) for p in self.paragraphs),
                   default=0.0)

    def lines(self, width: float) -> int:
        """Lines in a box ``width`` em wide, wrapped greedily at spaces; words longer
        than a line break anywhere, as ``overflow-wrap: break-word`` does."""
        width = max(width, 0.5)
        lines = 0
        for words in self.paragraphs:
            if not words:
                lines += 1 if self.keep_empty else 0
                continue
            lines += 1
            used = 0.0
            for w in words:
                if used and used + self.space + w > width:
                    lines += 1
                    used = 0.0
                if w > width:  # a long URL or identifier
                    extra = math.ceil(w / width) - 1
                    lines += extra
                    used = w - extra * width
                else:
                    used += (self.space if used else 0.0) + w
        return lines


def wrapped_lines(text: str, width: float, *, scale: float = 1.0, mono: bool = False) -> int:
    """Lines ``text`` takes in a box ``width`` em (of the text's own font) wide."""
    return Text.of(text, scale=scale, mono=mono).lines(width)


# -- Markdown, flattened to the blocks that take height --------------------------------------

@dataclass(frozen=True, slots=True)
class Block:
    """One block of rendered Markdown; sizes in em of the ``.md`` font."""

    text: Text
    indent: float = 0.0  # list and quote indents, code padding
    size: float = 1.0  # font-size relative to the .md font
    line: float = 1.45  # line-height (.why .md)
    extra: float = 0.0  # padding and margins
    spaced: bool = False  # starts a direct child of .md, so `.md > * + *` spaces it
    own_margin: bool = False  # sets its own margin-top instead (.md pre)
    rows: tuple[tuple[Text, ...], ...] = ()  # a table, row by row

    def height(self, width: float) -> float:
        room = (width - self.indent) / self.size
        if self.rows:
            return _table_height(self.rows, room) * self.size
        return self.text.lines(room) * self.line * self.size + self.extra


_NO_TEXT = Text((), SPACE)


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
    return "".join(parts)


def inline_text(source: str) -> str:
    """What one line of inline Markdown shows (link targets and markup left out)."""
    fast = markdown_fast.fast_inline(source)  # see markdown_blocks
    if fast is not None:
        return markdown_fast.shown_text(fast)
    return "".join(_inline_text(t) for t in markdown.parser().parseInline(source))


_INDENTS = {"bullet_list": 1.2, "ordered_list": 1.2, "blockquote": 1.0}


def markdown_blocks(source: str) -> list[Block]:
    """The blocks of a Markdown field as the theme renders them."""
    # Most fields are in the grammar of the Markdown fast path (markdown_fast.py), which
    # writes the same HTML as markdown-it (property tests hold it to that) and so shows the
    # same text: measuring from it saves markdown-it's ~0.3 ms a field, two thirds of what
    # `demodeck check` spent on a 520-deck archive. tests/test_overflow.py holds both
    # ways to the same blocks.
    fast = markdown_fast.fast_blocks(source)
    if fast is not None:
        return [block for part in fast for block in _fast_part(part)]
    return _parsed_blocks(source)


def _fast_part(part: markdown_fast.FastBlock) -> Iterator[Block]:
    """The blocks markdown-it's tokens give for one top-level block of the fast grammar."""
    kind, html, _, code = part
    if kind == "pre":
        yield dataclasses.replace(_code(code), spaced=True)
    elif kind == "ul":  # a tight list: only its first item is spaced from above
        for i, item in enumerate(html):
            yield Block(Text.of(markdown_fast.shown_text(item)), indent=_INDENTS["bullet_list"],
                        spaced=i == 0)
    else:
        yield Block(Text.of(markdown_fast.shown_text(html[0])), spaced=True)


def _code(content: str) -> Block:
    # .md pre: 0.8em, line-height 1.45, padding 0.7em 0.9em, margin-top 0.6em
    return Block(Text.of(content.rstrip("\n"), mono=True), indent=1.8 * 0.8, size=0.8,
                 extra=(1.4 + 0.6) * 0.8, own_margin=True)


def _parsed_blocks(source: str) -> list[Block]:
    """markdown_blocks from markdown-it's tokens: any Markdown."""
    blocks: list[Block] = []
    indent = 0.0
    depth = 0  # lists and quotes: only direct children of .md are spaced apart
    pending = False  # a list or quote just opened at the top level
    heading = 0.0  # font-size of the heading being read
    table: list[tuple[Text, ...]] | None = None
    row: list[Text] = []

    def add(block: Block) -> None:
        nonlocal pending
        blocks.append(dataclasses.replace(block, indent=indent + block.indent,
                                          spaced=depth == 0 or pending))
        pending = False

    for token in markdown.parser().parse(source):
        kind = token.type
        base = kind.rsplit("_", 1)[0]
        if base in _INDENTS and kind.endswith("_open"):
            # .md ul, .md ol { padding-inline-start: 1.2em }; blockquote 0.8em + 0.2em border
            pending = pending or depth == 0
            indent += _INDENTS[base]
            depth += 1
        elif base in _INDENTS and kind.endswith("_close"):
            indent -= _INDENTS[base]
            depth -= 1
        elif kind == "heading_open":
            heading = {"h1": 2.0, "h2": 1.5, "h3": 1.17}.get(token.tag, 1.0)
        elif kind == "heading_close":
            heading = 0.0
        elif kind == "table_open":
            table = []
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and table is not None:
            table.append(tuple(row))
        elif kind == "table_close" and table is not None:
            # .md table { font-size: 0.92em; line-height: 1.3 }
            add(Block(_NO_TEXT, size=0.92, rows=tuple(table)))
            table = None
        elif kind == "inline" and table is not None:
            row.append(Text.of(_inline_text(token)))
        elif kind == "inline":
            add(Block(Text.of(_inline_text(token), scale=BOLD if heading else 1.0),
                      size=heading or 1.0, line=1.2 if heading else 1.45))
        elif kind in ("fence", "code_block"):
            add(_code(token.content))
        elif kind == "hr":
            add(Block(_NO_TEXT, line=0.0, extra=0.5))  # the rule and its bottom margin
    return blocks


def _table_height(rows: Sequence[tuple[Text, ...]], width: float) -> float:
    """A table's height in em of its font: columns share the width by their content."""
    columns = max((len(r) for r in rows), default=0)
    if not columns:
        return 0.0
    pad = 0.7  # .md th, .md td { padding: 0.3em 0.7em 0.3em 0 }
    natural = [max((r[c].width for r in rows if c < len(r)), default=0.0)
               for c in range(columns)]
    room = max(1.0, width - pad * columns)
    total = sum(natural) or 1.0
    widths = natural if total <= room else [room * n / total for n in natural]
    height = 0.0
    for r in rows:
        lines = max((cell.lines(widths[c]) for c, cell in enumerate(r)), default=1)
        height += max(lines, 1) * 1.3 + 0.6 + 0.05  # + the row's border
    return height


def blocks_height(blocks: Iterable[Block], width: float) -> float:
    """Height of Markdown blocks in a box ``width`` em (of the .md font) wide."""
    height = 0.0
    for i, block in enumerate(blocks):
        if block.spaced and i and not block.own_margin:
            height += 0.5  # .md > * + * { margin-top: 0.5em }
        height += block.height(width)
    return height


# -- the demo slide, in em of the slide's font (24px × fit) -----------------------------------

@dataclass(frozen=True, slots=True)
class Estimate:
    """What deck.js is expected to do with one demo slide."""

    fit: float  # the font-size factor it settles on; 1 is the designed size
    fits: bool  # False: too tall even at MIN_FIT, so the slide scrolls


@dataclass(frozen=True, slots=True)
class DemoText:
    """Everything on a demo slide that takes room, measured once."""

    title: Text
    team: Text | None
    people: tuple[float, ...]  # width of each person, avatar and name
    features: tuple[Text, ...]
    why: tuple[Block, ...]
    links: tuple[float, ...]  # width of each link, in em of the link font
    minutes: float  # width of the timebox in em of its font; 0 without one
    shot: tuple[int, int] | None  # the screenshot's size; (0, 0) when unknown
    has_shot: bool

    @classmethod
    def of(cls, demo: Demo) -> DemoText:
        shot = image_size(demo.screenshot.src.source) if demo.screenshot is not None else None
        return cls(
            title=Text.of(demo.title, scale=BOLD),
            team=Text.of(demo.team) if demo.team else None,
            # .avatar 0.8em × 2.875em; .person gap 0.55em; name 0.78em bold, role 0.64em
            people=tuple(2.3 + 0.55 + max(0.78 * text_width(p.name) * BOLD,
                                          0.64 * text_width(p.role or ""))
                         for p in demo.people),
            features=tuple(Text.of(inline_text(f)) for f in demo.features),
            why=tuple(markdown_blocks(demo.why)),
            # .links a: padding 0.28em 0.8em, icon 1em + 0.35em gap; text weight 600
            links=tuple(text_width(link.label) * BOLD + 1.6 + 1.35 for link in demo.links),
            minutes=text_width(f"{demo.minutes} min") + 1.4 if demo.minutes else 0.0,
            shot=shot,
            has_shot=demo.screenshot is not None,
        )


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


def _head(t: DemoText, width: float) -> float:
    # .kicker 0.62em, line-height 1.4; .slide-head h2 1.9em, line-height 1.12, margin 0.15em
    kicker = 0.62 * 1.4 * t.team.lines(width / 0.62) if t.team else 0.0
    return kicker + 1.9 * (0.15 + 1.12 * t.title.lines(width / 1.9))


def _people(t: DemoText, width: float) -> float:
    rows = _flex_rows(t.people, width, 1.4)  # .people gap 0.6em 1.4em
    return rows * 2.3 + max(rows - 1, 0) * 0.6


def _features(t: DemoText, width: float, scale: float) -> float:
    # .features li: 0.9em, line-height 1.38, indent 1.25em; li + li margin 0.4em
    if not t.features:
        return 0.0
    font = 0.9 * scale
    lines = [f.lines(width / font - 1.25) for f in t.features]
    return font * (1.38 * sum(lines) + 0.4 * (len(lines) - 1))


def _why(t: DemoText, width: float, scale: float) -> float:
    # .why: padding 0.85em 1.1em 0.95em, 0.28em border; label 0.58em + 0.45em margin;
    # .why .md 0.8em
    inner = width / scale - 2.2 - 0.28
    label = 0.58 * (1.4 + 0.45)
    return scale * (0.85 + 0.95 + label + 0.8 * blocks_height(t.why, inner / 0.8))


def _foot(t: DemoText, width: float, em_px: float) -> float:
    # .slide-foot: padding-top 0.7em, 1px border; .links a and .timebox: 0.62em
    if not t.links and not t.minutes:
        return 0.0
    timebox = 0.62 * t.minutes
    room = width - timebox - (1.0 if timebox else 0.0)  # .slide-foot gap 1em
    rows = _flex_rows([0.62 * w + 2 / em_px for w in t.links], room, 0.5)
    line = max(1.4, 0.62 * (1.4 + 0.56) + 2 / em_px)  # each link sits in a 1.4em line box
    links = rows * line + max(rows - 1, 0) * 0.5
    return 0.7 + 1 / em_px + max(links, 0.62 * 1.4 if timebox else 0.0)


def _shot(t: DemoText, width: float, em_px: float) -> float:
    # .shot img: max-width 100%, max-height 19.5em, keeps its aspect ratio
    natural_w, natural_h = t.shot or (1600, 1000)
    shown_w = min(width, natural_w / em_px)
    return min(shown_w * natural_h / max(natural_w, 1), natural_h / em_px, 19.5)


def slide_height(t: DemoText, fit: float, media: float) -> tuple[float, float]:
    """(content height, room for it) of a demo slide at ``fit``, in em of the slide font."""
    em_px = BASE_PX * fit
    width = SLIDE_W / em_px - 2 * 3.3  # .slide padding: 2.4em 3.3em 2.9em
    room = SLIDE_H / em_px - 2.4 - 2.9
    gap = 0.8  # .slide--demo row-gap, between every row track, empty or not
    foot = _foot(t, width, em_px)
    if t.has_shot:
        # columns: text | var(--media); rows: head, people, features, why beside the shot
        text = width * (1 - media) - 2.2
        stack = (_head(t, text) + _people(t, text) + _features(t, text, 1.0)
                 + _why(t, text, 1.0) + 3 * gap)
        return max(stack, _shot(t, width * media, em_px)) + gap + foot, room
    # without a screenshot, features and why sit side by side at 1.1em, 0.55em lower
    column = (width - 2.6) / 2 if t.features else width
    middle = 0.55 + max(_features(t, column, 1.1), _why(t, column, 1.1))
    return _head(t, width) + _people(t, width) + middle + 3 * gap + foot, room


def _fits(t: DemoText, fit: float, media: float) -> bool:
    height, room = slide_height(t, fit, media)
    return height <= room + 1 / (BASE_PX * fit)  # deck.js allows 1px


def estimate_demo(demo: Demo) -> Estimate:
    """The fit deck.js would choose: the screenshot narrows first, then the text shrinks."""
    return _estimate(DemoText.of(demo))


def _media_steps(t: DemoText) -> tuple[float, ...]:
    return MEDIA_STEPS if t.has_shot else MEDIA_STEPS[:1]


def _estimate(t: DemoText) -> Estimate:
    steps = _media_steps(t)
    if any(_fits(t, 1.0, media) for media in steps):
        return Estimate(1.0, True)
    lo, hi = MIN_FIT, 1.0
    for _ in range(8):  # the same bisection as deck.js, at the narrowest screenshot
        mid = (lo + hi) / 2
        if _fits(t, mid, steps[-1]):
            lo = mid
        else:
            hi = mid
    return Estimate(lo, _fits(t, lo, steps[-1]))


_FIRST_TRY = (MIN_FIT + 1.0) / 2  # the bisection's first midpoint


def unreadable(demo: Demo) -> Estimate | None:
    """estimate_demo(demo) if its text ends up below READABLE_FIT or does not fit, else
    None, sooner for a readable demo: most demos do not fit at full size but do at the
    bisection's first try (0.75), and then the bisection can only end at 0.75 or more, on
    a fit it tried. One layout tells, instead of the ten to twelve of the whole search."""
    t = DemoText.of(demo)
    if _FIRST_TRY >= READABLE_FIT and _fits(t, _FIRST_TRY, _media_steps(t)[-1]):
        return None
    estimate = _estimate(t)
    return None if estimate.fits and estimate.fit >= READABLE_FIT else estimate


# -- images: the size is in the first bytes ----------------------------------------------------

def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG; None for other formats or unreadable files."""
    try:
        with path.open("rb") as f:
            head = f.read(64 * 1024)
    except OSError:
        return None
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 24:
        w, h = struct.unpack(">II", head[16:24])
        return int(w), int(h)
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        w, h = struct.unpack("<HH", head[6:10])
        return int(w), int(h)
    if head[:2] == b"\xff\xd8":
        return _jpeg_size(head)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


# -- warnings for `demodeck check` ------------------------------------------------------------

def check(site: SiteConfig, decks: Sequence[Deck], *, jobs: int = 1) -> list[Problem]:
    """A warning for every demo whose text is shrunk below READABLE_FIT or does not fit.

    The decks are independent: with ``jobs`` >= 2 and enough of them, the processes of
    pool.parallel_map (this one and forked workers) each take some."""
    found = parallel_map(_deck_warnings, (site.root, decks), len(decks), jobs)
    # in deck order, as one process finds them, before the stable sort
    return sorted((p for warnings in found for p in warnings), key=Problem.sort_key)


def _deck_warnings(state: tuple[Path, Sequence[Deck]], index: int) -> list[Problem]:
    root, decks = state
    deck = decks[index]
    found: list[Problem] = []
    places: dict[int, tuple[str, int, int, str]] | None = None
    for number, demo in enumerate(deck.demos):
        estimate = unreadable(demo)
        if estimate is None:
            continue
        if places is None:  # parsed again only for a deck with something to say
            places = dict(_demo_places(root, deck))
        path, line, column, field = places.get(number, (demo.source or deck.source, 0, 0,
                                                        f"demos[{number}]"))
        found.append(Problem(path, line, column, _message(demo, estimate), field,
                             severity="warning"))
    return found


def _message(demo: Demo, estimate: Estimate) -> str:
    advice = "shorten its features or why, or move detail into notes (they stay off the slide)"
    if not estimate.fits:
        return (f"'{demo.title}' has more text than fits on its slide even at half size, so "
                f"the slide will scroll; {advice}")
    return (f"'{demo.title}' has more text than fits on its slide: its text will be shrunk to "
            f"about {round(estimate.fit * 100)}% of the designed size, too small to read on a "
            f"big screen; {advice}")


def _demo_places(root: Path, deck: Deck) -> Iterator[tuple[int, tuple[str, int, int, str]]]:
    """Where each demo of ``deck`` is written: (index, (path, line, column, field path)).

    The model does not keep line numbers, so the demo's file is parsed again; a
    demo that is a whole file (in a deck folder) is located at the top of it.
    """
    by_file: dict[str, list[int]] = {}
    for index, demo in enumerate(deck.demos):
        by_file.setdefault(demo.source or deck.source, []).append(index)
    for path, indexes in by_file.items():
        try:
            tree, _ = load.parse_yaml(path, (root / path).read_bytes())
        except OSError:
            continue
        if not isinstance(tree, load.RawMap):
            continue
        demos = tree.entries.get("demos")
        if demos is not None and isinstance(demos[1], load.RawSeq):
            for index, item in zip(indexes, demos[1].items, strict=False):
                yield index, (path, item.mark.line, item.mark.column, f"demos[{index}]")
        elif len(indexes) == 1:
            yield indexes[0], (path, tree.mark.line, tree.mark.column, "")
