"""The theme's sizes that decide how much text a slide holds, read from the theme.

overflow.py and slides.py lay slides out the way ``deck.css`` does and search their font
size the way ``deck.js`` does. Rather than keep copies of their numbers, it reads
them here, once a run: each size from the rule of deck.css that sets it
(``_read`` names the selector and property beside every field), and deck.js's
search settings from the ``var`` lines that file marks as read by demodeck. So
the theme is their only home, and a project's own ``templates/static/deck.css``
or ``deck.js`` counts as it does in the built site. A size that the project's
file does not set in that rule and property, or sets in a form this reader does
not take (``rem``, ``var()``, most ``calc()``), comes from the built-in file.
The reading of the files themselves (CSS rules and lengths, deck.js's ``var`` lines)
is :mod:`demodeck.theme_numbers`; this module says which number is which.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from demodeck import theme
from demodeck.load import is_inside
from demodeck.theme_numbers import Reader, length, rules, script_values


def _number(low: float, high: float, *, whole: bool = False) -> Callable[[object], float | None]:
    def parse(value: object) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            return None
        return float(value) if math.isfinite(value) and low <= value <= high else None
    return parse


def _squeeze(value: object) -> tuple[float, ...] | None:
    """The screenshot's shares of the width deck.js tries in turn, from its SQUEEZE
    (``[[property, [value, ...]], ...]``); none if it does not squeeze ``--media``."""
    if not isinstance(value, list):
        return None
    for knob in value:
        if (isinstance(knob, list) and len(knob) == 2 and knob[0] == "--media"
                and isinstance(knob[1], list)):
            steps = [length(v, "%", "", False) if isinstance(v, str) else None
                     for v in knob[1]]
            if any(step is None or not 0 < step <= 1 for step in steps):
                return None
            return tuple(step for step in steps if step is not None)
    return ()


@dataclass(frozen=True, slots=True)
class Sizes:
    """What overflow.py and slides.py need of the theme: sizes in em as deck.css writes
    them (of the element's own font-size, or of its parent's for a font-size), unless the
    name says px; a line-height is a factor."""

    slide_w_px: float
    slide_h_px: float
    font_px: float  # the slide's font-size at --fit: 1
    pad_top: float  # of a light slide (as a demo slide is): below its coloured stripe,
    pad_top_px: float  # in em and px (the stripe's border, calc()'s px), together
    pad_bottom: float
    pad_sides: float  # left and right together
    line: float  # the slide's line-height, also of the kicker, labels, links and timebox
    row_gap: float
    shot_gap: float  # between the text column and the screenshot
    side_gap: float  # between features and why, without a screenshot
    media: tuple[float, ...]  # the screenshot's share of the width, then deck.js's squeezes
    kicker: float
    title: float
    title_line: float
    title_margin: float
    people_row_gap: float
    people_gap: float
    avatar: float  # width and height
    person_gap: float
    name: float
    role: float
    item: float  # a feature's font-size, line-height, indent, and space between two
    item_line: float
    item_indent: float
    item_gap: float
    side_features_margin: float  # features and why without a screenshot: lower, larger
    side_features: float
    side_why_margin: float
    side_why: float
    why_top: float  # padding and border of the why box
    why_bottom: float
    why_sides: float
    label: float
    label_gap: float
    md: float  # the why's Markdown: font-size, line-height
    md_line: float
    # in em of the Markdown's font; a margin is that of a top-level block after the first,
    # in em of the block's own font. `.slide p`, `.slide ul`, `.md blockquote`, `.slide h2`
    # and `.md pre` are more specific than `.md > * + *`, which spaces the rest (a table,
    # a rule, h4 to h6) unless they set none.
    md_gap: float
    p_margin: float
    list_margin: float
    quote_margin: float
    heading_margin: float
    list_indent: float
    quote_indent: float
    code: float  # inline code, relative to the text around it
    pre: float
    pre_line: float
    pre_pad_y: float  # top and bottom together
    pre_pad_x: float  # left and right together
    pre_margin: float
    table: float
    table_line: float
    cell_pad_y: float
    cell_pad_x: float
    # the foot: links and the timebox
    foot_pad: float
    foot_border_px: float
    foot_gap: float
    links_gap: float
    link: float
    link_pad_y: float  # in em of the link's font, as the rest of the link's sizes
    link_pad_x: float
    link_icon: float  # the icon and its gap
    link_border_px: float
    timebox: float
    timebox_icon: float
    shot_max_h: float
    # a demo slide with its why across the whole width (.wide-why)
    wide_why_margin: float
    wide_shot_max_h: float
    # a slide's heading (not on demo slides), and the "(2/3)" of a continued one
    head_gap: float
    part: float
    # the retrospective's cards, in columns
    retro_columns: float
    retro_gap: float
    retro_narrow: float  # the widest a single column is
    card_margin: float  # below each card
    card_pad_top: float
    card_pad_bottom: float
    card_pad_sides: float
    card_border_px: float
    card_stripe: float  # a demo's or the team's card: the coloured border at its start
    card_title: float
    card_title_line: float
    card_title_gap: float
    card_text: float
    card_line: float
    card_item_gap: float
    card_item_indent: float
    action_indent: float
    owner: float  # an action's owner, a chip after the text
    owner_pad: float
    owner_margin: float
    status: float  # a followed-up action's age or status, a chip after its owner's
    status_pad: float
    status_margin: float
    # the title slide and the agenda, beside the title or on slides of its own
    title_pad_y: float
    title_pad_x: float
    title_gap: float
    agenda_share: float
    agenda: float
    agenda_pad_y: float
    agenda_pad_x: float
    agenda_border_px: float
    agenda_label_gap: float  # in em of the label's font (.label)
    agenda_row_pad: float
    agenda_row_border_px: float
    agenda_col_gap: float
    agenda_number: float  # the numbered circle: its width, in em of its own font
    agenda_number_font: float
    agenda_title: float
    agenda_title_line: float
    agenda_people: float
    agenda_people_gap: float
    agenda_minutes: float
    agenda_total: float
    agenda_total_pad: float  # margin and padding above the total, in em of its font
    agenda_gap_2: float  # between the columns of an agenda slide: two of them, three
    agenda_gap_3: float
    # deck.js
    floor_px: float
    min_fit: float
    fit_steps: int
    slack_px: float


_LIGHT = ".slide:not(.slide--dark)"
_SPACED = ".md > * + *"


def _read(r: Reader) -> Sizes:
    icon = r.size(".icon", "width")
    stripe_pad = r.em_and_px(_LIGHT, "padding-top")
    return Sizes(
        slide_w_px=r.size(".slide", "width", "px", positive=True),
        slide_h_px=r.size(".slide", "height", "px", positive=True),
        font_px=r.size(".slide", "font-size", "px", anywhere=True, positive=True),
        pad_top=stripe_pad[0],
        pad_top_px=stripe_pad[1] + r.size(_LIGHT, "border-top", "px", anywhere=True),
        pad_bottom=r.size(".slide", "padding", side="bottom"),
        pad_sides=r.padding(".slide", "x"),
        line=r.size(".slide", "line-height", ""),
        row_gap=r.size(".slide--demo", "row-gap"),
        shot_gap=r.size(".slide--demo.has-shot", "column-gap"),
        side_gap=r.size(".slide--demo", "column-gap"),
        media=(r.size(".slide--demo.has-shot", "--media", "%"), *r.script("SQUEEZE", _squeeze)),
        kicker=r.font(".kicker"),
        title=r.font(".slide-head h2"),
        title_line=r.size(".slide-head h2", "line-height", ""),
        title_margin=r.size(".slide-head h2", "margin-top"),
        people_row_gap=r.size(".people", "gap", side="row"),
        people_gap=r.size(".people", "gap", side="column"),
        avatar=r.font(".avatar") * r.size(".avatar", "width"),
        person_gap=r.size(".person", "gap"),
        name=r.font(".person-name"),
        role=r.font(".person-role"),
        item=r.font(".features li"),
        item_line=r.size(".features li", "line-height", ""),
        item_indent=r.size(".features li", "padding-inline-start"),
        item_gap=r.size(".features li + li", "margin-top"),
        side_features_margin=r.size(".slide--demo:not(.has-shot) .features", "margin-top"),
        side_features=r.font(".slide--demo:not(.has-shot) .features"),
        side_why_margin=r.size(".slide--demo:not(.has-shot) .why", "margin-top"),
        side_why=r.font(".slide--demo:not(.has-shot) .why"),
        why_top=r.size(".why", "padding", side="top"),
        why_bottom=r.size(".why", "padding", side="bottom"),
        why_sides=(r.padding(".why", "x")
                   + r.size(".why", "border-inline-start", anywhere=True)),
        label=r.font(".why .label"),
        label_gap=r.size(".why .label", "margin-bottom"),
        md=r.font(".why .md"),
        md_line=r.size(".why .md", "line-height", ""),
        md_gap=r.margin_top(_SPACED),
        p_margin=r.margin_top(".slide p", _SPACED),
        list_margin=r.margin_top(".slide ul", ".md ul", _SPACED),
        quote_margin=r.margin_top(".md blockquote", _SPACED),
        heading_margin=r.margin_top(".slide h2", _SPACED),
        list_indent=r.size(".md ul", "padding-inline-start"),
        quote_indent=(r.size(".md blockquote", "padding-inline-start")
                      + r.size(".md blockquote", "border-inline-start", anywhere=True)),
        code=r.font(".md code"),
        pre=r.font(".md pre"),
        pre_line=r.size(".md pre", "line-height", ""),
        pre_pad_y=r.padding(".md pre", "y"),
        pre_pad_x=r.padding(".md pre", "x"),
        pre_margin=r.margin_top(".md pre", _SPACED),
        table=r.font(".md table"),
        table_line=r.size(".md table", "line-height", ""),
        cell_pad_y=r.padding(".md td", "y"),
        cell_pad_x=r.padding(".md td", "x"),
        foot_pad=r.size(".slide-foot", "padding-top"),
        foot_border_px=r.size(".slide-foot", "border-top", "px", anywhere=True),
        foot_gap=r.size(".slide-foot", "gap"),
        links_gap=r.size(".links", "gap"),
        link=r.font(".links a"),
        link_pad_y=r.padding(".links a", "y"),
        link_pad_x=r.padding(".links a", "x"),
        link_icon=icon + r.size(".links a", "gap"),
        link_border_px=2 * r.size(".links a", "border", "px", anywhere=True),
        timebox=r.font(".timebox"),
        timebox_icon=icon + r.size(".timebox", "gap"),
        shot_max_h=r.size(".shot img", "max-height"),
        wide_why_margin=r.size(".slide--demo.wide-why .why", "margin-top"),
        wide_shot_max_h=r.size(".slide--demo.wide-why .shot img", "max-height"),
        head_gap=r.size(".slide-head", "margin-bottom"),
        part=r.font(".slide-head .part"),
        retro_columns=r.size(".retro-board", "columns", "", positive=True),
        retro_gap=r.size(".retro-board", "column-gap"),
        retro_narrow=r.size(".retro-board--cols-1", "max-width", positive=True),
        card_margin=r.size(".retro-board > *", "margin-bottom"),
        card_pad_top=r.size(".card", "padding", side="top"),
        card_pad_bottom=r.size(".card", "padding", side="bottom"),
        card_pad_sides=r.padding(".card", "x"),
        card_border_px=r.size(".card", "border", "px", anywhere=True),
        card_stripe=r.size(".card--demo", "border-inline-start", anywhere=True),
        card_title=r.font(".card h3"),
        card_title_line=r.size(".card h3", "line-height", ""),
        card_title_gap=r.size(".card h3", "margin-bottom"),
        card_text=r.font(".card > .md"),
        card_line=r.size(".card > .md", "line-height", ""),
        card_item_gap=r.size(".card > ul", "gap"),
        card_item_indent=r.size(".card > ul > li", "padding-inline-start"),
        action_indent=r.size(".card--actions > ul > li", "padding-inline-start"),
        owner=r.font(".owner"),
        owner_pad=r.padding(".owner", "x"),
        owner_margin=r.size(".owner", "margin-inline-start"),
        status=r.font(".action-status"),
        status_pad=r.padding(".action-status", "x"),
        status_margin=r.size(".action-status", "margin-inline-start"),
        title_pad_y=r.padding(".slide--title", "y"),
        title_pad_x=r.padding(".slide--title", "x"),
        title_gap=r.size(".slide--title", "gap"),
        agenda_share=r.size(".slide--title", "--agenda", "%", positive=True),
        agenda=r.font(".agenda"),
        agenda_pad_y=r.padding(".agenda", "y"),
        agenda_pad_x=r.padding(".agenda", "x"),
        agenda_border_px=2 * r.size(".agenda", "border", "px", anywhere=True),
        agenda_label_gap=r.size(".agenda .label", "margin-bottom"),
        agenda_row_pad=r.padding(".agenda li", "y"),
        agenda_row_border_px=r.size(".agenda li", "border-top", "px", anywhere=True),
        agenda_col_gap=r.size(".agenda li", "column-gap"),
        agenda_number=r.size(".agenda li::before", "width"),
        agenda_number_font=r.font(".agenda li::before"),
        agenda_title=r.font(".agenda-title"),
        agenda_title_line=r.size(".agenda-title", "line-height", ""),
        agenda_people=r.font(".agenda-people"),
        agenda_people_gap=r.size(".agenda-people", "margin-top"),
        agenda_minutes=r.font(".agenda-minutes"),
        agenda_total=r.font(".agenda-total"),
        agenda_total_pad=(r.size(".agenda-total", "margin-top")
                          + r.size(".agenda-total", "padding-top")),
        agenda_gap_2=r.size(".agenda--cols-2 ol", "column-gap"),
        agenda_gap_3=r.size(".agenda--cols-3 ol", "column-gap"),
        floor_px=r.script("FLOOR_PX", _number(1, 200)),
        min_fit=r.script("MIN_FIT", _number(0.01, 1.0)),
        fit_steps=int(r.script("FIT_STEPS", _number(0, 30, whole=True))),
        slack_px=r.script("SLACK_PX", _number(0, 100)),
    )


# -- the theme of a project ------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def builtin() -> Sizes:
    """The built-in theme's sizes. Every one must be there: tests/test_overflow.py reads them."""
    return of_theme(None, None)


def of_project(project_root: Path) -> Sizes:
    """The sizes of the theme ``project_root`` builds with: its own deck.css and deck.js
    where it has them (files of the project only, as a build takes them), else ours."""
    css = _project_text(project_root, "deck.css")
    js = _project_text(project_root, "deck.js")
    return builtin() if css is None and js is None else of_theme(css, js)


def of_theme(css: str | None, js: str | None) -> Sizes:
    """The sizes of a theme whose deck.css and deck.js say ``css`` and ``js``; each size
    either does not set (or None) comes from the built-in theme's files."""
    static = theme.builtin_dir() / "static"
    sheets = [rules(text) for text in (css, (static / "deck.css").read_text(encoding="utf-8"))
              if text is not None]
    scripts = [script_values(text) for text in
               (js, (static / "deck.js").read_text(encoding="utf-8")) if text is not None]
    return _read(Reader(sheets, scripts))


def _project_text(project_root: Path, name: str) -> str | None:
    """The text of the project's own ``templates/static/<name>``; None when there is none,
    it leads out of the project, or it cannot be read (the build says why)."""
    path = theme.user_dir(project_root) / "static" / name
    try:
        if not path.is_file() or not is_inside(project_root.resolve(), path.resolve()):
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, RuntimeError):
        return None
