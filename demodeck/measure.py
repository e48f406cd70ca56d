"""Measuring text the way the theme's pages draw it, without a browser.

Advance widths of DejaVu Sans (what Debian's Chromium draws ``system-ui`` with, and
wider than the theme's other fonts, so a narrower font only errs towards warning),
greedy word-wrapping as CSS does, the blocks a Markdown field renders to with their
heights, and an image's size from its first bytes. :mod:`demodeck.overflow` lays out a
demo slide with these, :mod:`demodeck.slides` the agenda and the retrospective.
"""

from __future__ import annotations

import functools
import math
import struct
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from demodeck import markdown, markdown_fast
from demodeck import sizes as theme_sizes
from demodeck.sizes import Sizes

if TYPE_CHECKING:  # markdown-it is imported when a text needs it (see markdown.parser)
    from markdown_it.token import Token

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
    """Advance width of ``text`` on one line, in em of its font."""
    return (_MONO_WIDTHS if mono else _WIDTHS)[text]


def _sum_width(text: str) -> float:
    return sum(char_width(ch) for ch in text)


def _sum_mono(text: str) -> float:
    return MONO * sum(1 for ch in text if unicodedata.category(ch) not in ("Mn", "Me"))


class _Memo(dict[str, float]):
    """Widths of the strings measured so far. Words repeat (an archive of 6,240 demos has
    ~800,000 words, ~20,000 of them distinct), and summing a word's characters is most of
    what measuring a text costs; a dict's own lookup is the cheapest way to find one
    again. Emptied when full, so a long-running preview stays bounded."""

    __slots__ = ("measure",)
    LIMIT = 1 << 16

    def __init__(self, measure: Callable[[str], float]) -> None:
        super().__init__()
        self.measure = measure

    def __missing__(self, text: str) -> float:
        if len(self) >= self.LIMIT:
            self.clear()
        width = self[text] = self.measure(text)
        return width


_WIDTHS = _Memo(_sum_width)
_MONO_WIDTHS = _Memo(_sum_mono)


class Text(NamedTuple):
    """A text measured once: the widths of each paragraph's words, in em of its font.
    Made by :meth:`of` or :meth:`of_words`. (A named tuple: a deck's plan makes one for
    every field, and it is made fastest.)"""

    paragraphs: tuple[tuple[float, ...], ...]
    space: float
    keep_empty: bool  # code: an empty line still takes a line
    width: float  # on one line, unwrapped (the widest paragraph)
    unwrapped: int  # its lines in a box as wide as that

    @classmethod
    def of(cls, text: str, *, scale: float = 1.0, mono: bool = False) -> Text:
        width = (_MONO_WIDTHS if mono else _WIDTHS).__getitem__
        if "\n" in text:
            paragraphs = tuple(tuple(map(width, p.split())) for p in text.split("\n"))
        else:  # most texts: a title, a name, a feature, a paragraph of Markdown
            paragraphs = (tuple(map(width, text.split())),)
        if scale != 1.0:
            paragraphs = tuple(tuple(w * scale for w in p) for p in paragraphs)
        return cls.of_words(paragraphs, (MONO if mono else SPACE) * scale, keep_empty=mono)

    @classmethod
    def of_words(cls, paragraphs: tuple[tuple[float, ...], ...], space: float, *,
                 keep_empty: bool = False) -> Text:
        """The text of paragraphs of words this wide, ``space`` between two."""
        if len(paragraphs) == 1:  # most texts
            words = paragraphs[0]
            if not words:
                return cls(paragraphs, space, keep_empty, 0.0, 1 if keep_empty else 0)
            return cls(paragraphs, space, keep_empty, sum(words) + space * (len(words) - 1), 1)
        width = max((sum(p) + space * (len(p) - 1) if p else 0.0 for p in paragraphs),
                    default=0.0)
        shown = sum(1 for p in paragraphs if p or keep_empty)
        return cls(paragraphs, space, keep_empty, width, shown)

    @property
    def longest(self) -> float:
        """Its longest word: the narrowest it can be without breaking one."""
        return max((w for p in self.paragraphs for w in p), default=0.0)

    def lines(self, width: float) -> int:
        """Lines in a box ``width`` em wide, wrapped greedily at spaces; words longer
        than a line break anywhere, as ``overflow-wrap: break-word`` does."""
        width = max(width, 0.5)
        if self.width <= width:
            return self.unwrapped  # nothing wraps: most features, titles and names
        space = self.space
        lines = 0
        for words in self.paragraphs:
            if not words:
                lines += 1 if self.keep_empty else 0
                continue
            lines += 1
            if sum(words) + space * (len(words) - 1) <= width:
                continue  # on one line
            used = 0.0
            for w in words:
                if used:
                    if used + space + w <= width:
                        used += space + w  # on this line (so no longer than it)
                        continue
                    lines += 1  # on the next
                if w > width:  # a long URL or identifier
                    extra = math.ceil(w / width) - 1
                    lines += extra
                    used = w - extra * width
                else:
                    used = w
        return lines


@functools.lru_cache(maxsize=256)
def title(text: str) -> Text:
    """A title, in bold: a demo's is measured for its slide, its row of the agenda and its
    card of the retrospective."""
    return Text.of(text, scale=BOLD)


def wrapped_lines(text: str, width: float, *, scale: float = 1.0, mono: bool = False) -> int:
    """Lines ``text`` takes in a box ``width`` em (of the text's own font) wide."""
    return Text.of(text, scale=scale, mono=mono).lines(width)


# -- Markdown, flattened to the blocks that take height --------------------------------------

class Block(NamedTuple):
    """One block of rendered Markdown; sizes in em of the ``.md`` font. (A named tuple, as
    Text is.)"""

    text: Text
    line: float  # line-height
    indent: float = 0.0  # list and quote indents, code padding
    size: float = 1.0  # font-size relative to the .md font
    extra: float = 0.0  # padding and margins
    spaced: bool = False  # starts a direct child of .md, so it has a margin from the one above
    margin: float = 0.0  # that margin-top, if spaced and not the first
    own_margin: bool = False  # its margin-top is in extra, even as the first (.md pre)
    rows: tuple[tuple[Text, ...], ...] = ()  # a table, row by row
    cell_pad: tuple[float, float] = (0.0, 0.0)  # a table cell's padding: (y, x) together


_NO_TEXT = Text.of_words((), SPACE)


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


_INDENTED = ("bullet_list", "ordered_list", "blockquote")


def _indent(kind: str, sizes: Sizes) -> float:
    return sizes.quote_indent if kind == "blockquote" else sizes.list_indent


def markdown_blocks(source: str, sizes: Sizes | None = None) -> list[Block]:
    """The blocks of a Markdown field as the theme (the built-in one by default) renders
    them in a demo's why."""
    sizes = sizes or theme_sizes.builtin()
    # Most fields are in the grammar of the Markdown fast path (markdown_fast.py), which
    # writes the same HTML as markdown-it (property tests hold it to that) and so shows the
    # same text: measuring from it spares markdown-it's cost per field (see
    # benchmarks/README.md). tests/test_overflow.py holds both ways to the same blocks.
    fast = markdown_fast.fast_blocks(source)
    if fast is not None:
        return [block for part in fast for block in _fast_part(part, sizes)]
    return _parsed_blocks(source, sizes)


def _fast_part(part: markdown_fast.FastBlock, sizes: Sizes) -> Iterator[Block]:
    """The blocks markdown-it's tokens give for one top-level block of the fast grammar."""
    kind, html, _, code = part
    if kind == "pre":
        yield _code(code, sizes, spaced=True)
    elif kind == "ul":  # a tight list: only its first item is spaced from above
        for i, item in enumerate(html):
            yield Block(Text.of(markdown_fast.shown_text(item)), sizes.md_line,
                        indent=sizes.list_indent, spaced=i == 0,
                        margin=sizes.list_margin if i == 0 else 0.0)
    else:
        yield Block(Text.of(markdown_fast.shown_text(html[0])), sizes.md_line, spaced=True,
                    margin=sizes.p_margin)


def _code(content: str, sizes: Sizes, *, spaced: bool = False) -> Block:
    # .md pre: its font-size, line-height, padding and margin-top
    return Block(Text.of(content.rstrip("\n"), mono=True), sizes.pre_line,
                 indent=sizes.pre_pad_x * sizes.pre, size=sizes.pre,
                 extra=(sizes.pre_pad_y + sizes.pre_margin) * sizes.pre, spaced=spaced,
                 own_margin=True)


def _parsed_blocks(source: str, sizes: Sizes | None = None) -> list[Block]:
    """markdown_blocks from markdown-it's tokens: any Markdown."""
    sizes = sizes or theme_sizes.builtin()
    blocks: list[Block] = []
    indent = 0.0
    depth = 0  # lists and quotes: only direct children of .md are spaced apart
    pending = False  # a list or quote just opened at the top level
    heading = heading_margin = 0.0  # font-size and margin of the heading being read
    table: list[tuple[Text, ...]] | None = None
    row: list[Text] = []

    opened = 0.0  # the margin of the list or quote last opened at the top level

    def add(block: Block) -> None:
        nonlocal pending
        spaced = depth == 0 or pending
        margin = (opened if pending else block.margin) if spaced else 0.0
        blocks.append(block._replace(indent=indent + block.indent, spaced=spaced,
                                     margin=margin))
        pending = False

    for token in markdown.parser().parse(source):
        kind = token.type
        base = kind.rsplit("_", 1)[0]
        if base in _INDENTED and kind.endswith("_open"):
            if depth == 0:
                opened = sizes.quote_margin if base == "blockquote" else sizes.list_margin
            pending = pending or depth == 0
            indent += _indent(base, sizes)
            depth += 1
        elif base in _INDENTED and kind.endswith("_close"):
            indent -= _indent(base, sizes)
            depth -= 1
        elif kind == "heading_open":  # the browser's own sizes: the theme sets none
            heading = {"h1": 2.0, "h2": 1.5, "h3": 1.17}.get(token.tag, 1.0)
            heading_margin = heading * (sizes.heading_margin if heading > 1 else sizes.md_gap)
        elif kind == "heading_close":
            heading = 0.0
        elif kind == "table_open":
            table = []
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and table is not None:
            table.append(tuple(row))
        elif kind == "table_close" and table is not None:
            add(Block(_NO_TEXT, sizes.table_line, size=sizes.table, rows=tuple(table),
                      cell_pad=(sizes.cell_pad_y, sizes.cell_pad_x),
                      margin=sizes.md_gap * sizes.table))
            table = None
        elif kind == "inline" and table is not None:
            row.append(Text.of(_inline_text(token)))
        elif kind == "inline" and heading:
            add(Block(Text.of(_inline_text(token), scale=BOLD), sizes.md_line, size=heading,
                      margin=heading_margin))
        elif kind == "inline":
            add(Block(Text.of(_inline_text(token)), sizes.md_line, margin=sizes.p_margin))
        elif kind in ("fence", "code_block"):
            add(_code(token.content, sizes))
        elif kind == "hr":  # the browser's rule and its bottom margin
            add(Block(_NO_TEXT, 0.0, extra=0.5, margin=sizes.md_gap))
    return blocks


def _table_height(rows: Sequence[tuple[Text, ...]], width: float, line: float,
                  pad: tuple[float, float]) -> float:
    """A table's height in em of its font. Its columns share the width as the browser's
    automatic table layout does: each as wide as its content if all fit, else each as
    wide as its longest word and the rest shared by how much more each would take."""
    columns = max((len(r) for r in rows), default=0)
    if not columns:
        return 0.0
    pad_y, pad_x = pad
    natural = [max((r[c].width for r in rows if c < len(r)), default=0.0)
               for c in range(columns)]
    least = [max((r[c].longest for r in rows if c < len(r)), default=0.0)
             for c in range(columns)]
    room = max(1.0, width - pad_x * columns)
    total, spare = sum(natural), room - sum(least)
    if total <= room:
        widths = natural
    elif spare > 0:
        more = (total - sum(least)) or 1.0
        widths = [m + spare * (n - m) / more for n, m in zip(natural, least, strict=True)]
    else:
        widths = [room * n / total for n in natural]
    widths = [w + 1e-9 for w in widths]  # a line of words as wide as its column fits it
    height = 0.0
    for r in rows:
        lines = max((cell.lines(widths[c]) for c, cell in enumerate(r)), default=1)
        height += max(lines, 1) * line + pad_y + 0.05  # + about the row's 1px border
    return height


def blocks_height(blocks: Iterable[Block], width: float) -> float:
    """Height of Markdown blocks in a box ``width`` em (of the .md font) wide."""
    height = 0.0
    for i, block in enumerate(blocks):
        if block.spaced and i and not block.own_margin:
            height += block.margin
        room = (width - block.indent) / block.size
        if block.rows:
            height += _table_height(block.rows, room, block.line, block.cell_pad) * block.size
        else:
            height += block.text.lines(room) * block.line * block.size + block.extra
    return height


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
