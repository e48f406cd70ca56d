"""The list of demos on a person's page, as HTML (person.html's ``appearance_items``).

A large archive's person pages list tens of thousands of appearances, and most demos
appear on the page of each of their presenters. Each demo's date and heading are made
once per build and shared by all those pages; only the person's role and who else was
in the demo are made for each. As a loop in the template (an escape and a lookup for
every field of every appearance) this was most of the person pages' time. Every text
is escaped as the template would (autoescape), and the markup is what the loop wrote:
tests/test_archive.py holds the two together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from markupsafe import Markup, escape

from demodeck.model import Person
from demodeck.people import Appearance

PersonLinks = Callable[[Iterable[Person]], Markup]  # render.people_links' person_links
Items = Callable[[Iterable[Appearance], str, PersonLinks], Markup]


def appearance_items(format_date: Callable[[dt.date], str]) -> Items:
    """``appearance_items(appearances, root, person_links)``: an ``<li>`` for each
    appearance (``root``: the page's relative_root). One per build: it keeps each demo's
    date and heading, by root, deck and demo."""
    heads: dict[tuple[str, str, str], str] = {}

    def head(root: str, appearance: Appearance) -> str:
        deck, demo = appearance.deck, appearance.demo
        slug = deck.slug
        team = f'<span dir="auto">{escape(demo.team)}</span>' if demo.team else ""
        made = heads[root, slug, demo.id] = (
            '    <li class="appearance">\n'
            f'      <p class="deck-date"><time datetime="{escape(slug)}">'
            f'{escape(format_date(deck.date))}</time></p>\n'
            f'      <h2 dir="auto"><a href="{escape(root)}{escape(slug)}/index.html#'
            f'{escape(demo.id)}">{escape(demo.title)}</a></h2>\n'
            f'      <p class="appearance-meta">\n{team}')
        return made

    def items(appearances: Iterable[Appearance], root: str,
              person_links: PersonLinks) -> Markup:
        out: list[str] = []
        for appearance in appearances:
            made = heads.get((root, appearance.deck.slug, appearance.demo.id))
            role, others = appearance.person.role, appearance.others
            out += (made or head(root, appearance),
                    f'<span dir="auto">{escape(role)}</span>' if role else "",
                    f"<span>with {person_links(others)}</span>" if others else "",
                    "      </p>\n    </li>\n")
        return Markup("".join(out))

    return items
