"""Every warning `demodeck check` knows, the one list `check`, `build` and `serve` print.

A warning is a :class:`~demodeck.errors.Problem` of severity "warning": the site is
built anyway, unless ``--strict`` makes it an error (:func:`as_errors`). A warning about
one deck comes from the plan of its slides (text too long for its slide) and from
validating it (a person's link that looks like a slip): :func:`deck_warnings`, which the
render stage calls with the plan it made the deck's page from, so each deck is planned
once (`check` renders too: it runs every stage of a build but the write). A warning about
the project's own templates (:func:`template_warnings`) comes from their source: one that
misses a change of the built-in theme it was copied from.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from demodeck import theme
from demodeck.errors import BuildError, Problem
from demodeck.model import Deck, Place, SiteConfig

if TYPE_CHECKING:
    from demodeck.sizes import Sizes
    from demodeck.slides import Crowded, Plan

@dataclass(frozen=True, slots=True)
class Found:
    warnings: list[Problem]  # in file order
    slides: int  # how many slides the decks' pages show (slides.plan)


def deck_warnings(deck: Deck, planned: Plan, sizes: Sizes) -> list[Problem]:
    """The warnings about ``deck`` whose page shows ``planned`` (slides.plan, exact)."""
    return _crowded(deck, planned.crowded, sizes) + list(deck.link_warnings)


def _crowded(deck: Deck, crowded: Sequence[Crowded], sizes: Sizes) -> list[Problem]:
    """``crowded`` (slides.plan's) as warnings placed at the demo or field too long for
    its slide (where validation found each written: Deck.places, Deck.retro_place)."""
    found: list[Problem] = []
    for c in crowded:
        if c.demo is None:
            place = deck.retro_place or Place(deck.source)
        else:
            place = (deck.places[c.demo] if c.demo < len(deck.places)
                     else Place(deck.demos[c.demo].source or deck.source, 0, 0,
                                f"demos[{c.demo}]"))
            if c.field:
                place = dataclasses.replace(
                    place, field=f"{place.field}.{c.field}" if place.field else c.field)
        found.append(Problem(place.path, place.line, place.column, _message(deck, c, sizes),
                             place.field, severity="warning"))
    return found


ADVICE = "shorten its features or why, or move detail into notes (they stay off the slide)"


def _message(deck: Deck, crowded: Crowded, s: Sizes) -> str:
    estimate = crowded.estimate
    assert estimate is not None  # planned with exact
    if crowded.demo is None and crowded.field == "followup":
        what = "the follow-up of earlier decks' open actions"
        advice = "close those done or given up (retro.done, retro.dropped)"
        where = "a slide of the retrospective"
    elif crowded.demo is None:
        what, advice = "the retro's items and actions", "shorten them"
        where = "a slide of the retrospective"
    elif crowded.field:
        what = f"the could_be_better of '{deck.demos[crowded.demo].title}'"
        where, advice = "a slide of the retrospective", "shorten it"
    else:
        what, where, advice = f"'{deck.demos[crowded.demo].title}'", "its slide", ADVICE
    if not estimate.fits:
        smallest = ("half size" if s.min_fit == 0.5
                    else f"{round(s.min_fit * 100)}% of its size")
        return (f"{what} has more text than fits on {where} even at {smallest}, so the slide "
                f"will scroll; {advice}")
    px = s.floor_px * estimate.fit / estimate.floor
    return (f"{what} has more text than {where} holds at a readable size: its body text "
            f"will be shrunk to about {px:.1f} px, under the floor of {s.floor_px:g} px "
            f"(at 1280×720); {advice}")


def gathered(per_deck: Iterable[tuple[list[Problem], int]]) -> Found:
    """The decks' warnings in file order, and their slides."""
    found: list[Problem] = []
    slides = 0
    for warned, count in per_deck:
        found.extend(warned)
        slides += count
    # warnings that concern several decks at once go here
    return Found(sorted(found, key=Problem.sort_key), slides)


def template_warnings(site: SiteConfig) -> list[Problem]:
    """The warnings about the project's own templates: an archive page (``index.html``)
    copied from the built-in one before full-text search became a script a year, whose
    filter form still works but no longer searches the slides' text (see _old_search).
    A project without its own ``index.html`` pays one look for the file; one whose
    templates read as a form of today's, a read of each."""
    user = theme.user_dir(site.root)
    if not (user / "index.html").is_file() or not _old_search(_texts(user)):
        return []
    from demodeck import linksource  # Jinja: which of them make the page, and how

    return _old_search(linksource.project_templates(site, "index.html"))


def _texts(folder: Path) -> list[tuple[str, str]]:
    """Every HTML file in ``folder`` (the project's templates) and its text; one that
    cannot be read is left out (the render reports it if a page uses it)."""
    found = []
    for path in sorted(folder.rglob("*.html")):
        try:
            found.append((path.as_posix(), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return found


_SEARCH_INDEX = re.compile(r"""data-search-index\s*=\s*("[^"]*"|'[^']*'|[^\s>]*)""")
_OLD_INDEX = "search-index.js"  # the one script full-text search used to load
_SEARCH_FORM = ('data-search-index="{{ root }}search/" and data-search-years="{{ decks|'
               'map(attribute="date.year")|unique|join(" ") }}"')  # as templates/index.html


def _old_search(templates: list[tuple[str, str]]) -> list[Problem]:
    """A warning at each ``data-search-index`` of ``templates`` (path as shown, text)
    that archive.js cannot load the index from: one pointing at search-index.js, or any
    when no template gives the years (``data-search-years``), without which it loads
    none."""
    years = any("data-search-years" in text for _, text in templates)
    found: list[Problem] = []
    for shown, text in templates:
        for match in _SEARCH_INDEX.finditer(text):
            at, old = match.start(), _OLD_INDEX in match[1]
            if years and not old:
                continue
            gone = f"loads {_OLD_INDEX}, which demodeck no longer writes"
            what = (f"{gone}, and has no data-search-years" if old and not years
                    else gone if old else "has no data-search-years")
            found.append(Problem(
                shown, text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at),
                f"the archive's filter form {what} (as an older built-in index.html had "
                "it): the filter box works, but no longer searches the text of the slides; "
                f"give the form {_SEARCH_FORM}, or copy the form from the built-in "
                "templates/index.html", severity="warning"))
    return found


def as_errors(warnings: Iterable[Problem]) -> BuildError:
    """What ``--strict`` raises: the warnings, each now an error (nothing is written)."""
    return BuildError(dataclasses.replace(p, severity="error") for p in warnings)
