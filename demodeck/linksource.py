"""Where a broken link of the site comes from: the template that wrote it, at its line.

The link check (:mod:`demodeck.linkcheck`) finds a broken link on a page of the site, but
whoever fixes it needs a line of a template, not a page of a site that was never written.
The links checked are the ones the site makes itself (a person's links are theirs, see
linkcheck), so a template wrote each: the page's template, or one that it extends,
includes or imports. The project's own templates among those are searched for the link as
written (``href="../nowhere/"``, or after an expression: ``{{ root }}nowhere/``); failing
that, the page's template is named. A deck's page also names the deck, and a link broken
the same way on many pages is reported once.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

import jinja2
from jinja2 import meta

from demodeck import theme
from demodeck.errors import Problem
from demodeck.linkcheck import Broken
from demodeck.model import Deck, SiteConfig
from demodeck.render import relative_root

Where = tuple[str, int, int]  # a template, as messages show it; line and column (0: unknown)
NAMED = 3  # pages named in one message; more are counted

# The pages of the site that are not a deck's, and their templates (see render.archive_jobs)
_ARCHIVE = {"index.html": "index.html", "metrics/index.html": "metrics.html",
            "people/index.html": "people.html"}


def place(site: SiteConfig, decks: Sequence[Deck], broken: list[Broken]) -> list[Problem]:
    """``broken`` (see linkcheck.broken_links) as problems at the templates that wrote
    them, each naming the pages it breaks: a deck's by its deck file."""
    decks_by_page = {f"{deck.slug}/index.html": deck.source for deck in decks}
    templates = _Templates(site)
    found: dict[tuple[Where, str, str], list[str]] = {}
    for page, url, why in broken:
        if why.endswith(f"' in {page}"):  # an id the page itself lacks
            why = why.removesuffix(f" in {page}") + " on the same page"
        for where in templates.writing(page_template(page), url, page):
            found.setdefault((where, url, why), []).append(decks_by_page.get(page, page))
    return [Problem(*where, f"broken link '{url}' on {_pages(pages)}: {why}")
            for (where, url, why), pages in found.items()]


def project_templates(site: SiteConfig, template: str) -> list[tuple[str, str]]:
    """The project's own templates that pages made from ``template`` come from (itself,
    and those it extends, includes or imports): each one's path as shown, and its text."""
    return _Templates(site).chain(template)


def page_template(page: str) -> str:
    """The template a page of the site is made from (see render.archive_jobs)."""
    if page in _ARCHIVE:
        return _ARCHIVE[page]
    return "person.html" if page.startswith("people/") else "deck.html"


def _pages(pages: list[str]) -> str:
    """``the page of decks/2026-11-23.yaml``, ``the pages of A, B and 3 more``."""
    names = list(dict.fromkeys(pages))
    if len(names) == 1:
        return f"the page of {names[0]}"
    shown = names if len(names) <= NAMED else names[:NAMED - 1]
    rest = f"{len(names) - len(shown)} more" if len(shown) < len(names) else shown.pop()
    return f"the pages of {', '.join(shown)} and {rest}"


class _Templates:
    """The project's templates that make each page, read once for all the broken links."""

    def __init__(self, site: SiteConfig) -> None:
        self.root = site.root
        self.user = theme.user_dir(site.root)
        self.loader = theme.loader(site.root)
        self.env = jinja2.Environment(loader=self.loader)
        self.chains: dict[str, list[tuple[str, str]]] = {}

    def writing(self, template: str, url: str, page: str) -> list[Where]:
        """Where the project's templates that make ``page`` from ``template`` write
        ``url``; else ``template`` itself, whose file the project may or may not have."""
        found = [(shown, line, column) for shown, text in self.chain(template)
                 for line, column in _written(text, url, page)]
        return found or [(theme.template_origin(self.root, template), 0, 0)]

    def chain(self, template: str) -> list[tuple[str, str]]:
        """The project's own templates among ``template`` and those it extends, includes
        or imports: each one's path as messages show it, and its text."""
        if template not in self.chains:
            seen: dict[str, tuple[str, str] | None] = {}
            self._walk(template, seen)
            self.chains[template] = [file for file in seen.values() if file is not None]
        return self.chains[template]

    def _walk(self, name: str, seen: dict[str, tuple[str, str] | None]) -> None:
        """``name`` and every template it extends, includes or imports, in ``seen``: the
        project's (its path as shown, its text), or None for the built-in theme's."""
        if name in seen:
            return
        seen[name] = None
        try:
            text, filename, _ = self.loader.get_source(self.env, name)
            names = list(meta.find_referenced_templates(self.env.parse(text)))
        except jinja2.TemplateError:  # rendered fine, so this is not where the link is
            return
        path = Path(filename) if filename else None
        if path is not None and self.user in path.parents:
            seen[name] = (path.relative_to(self.root).as_posix(), text)
        for referenced in names:
            if referenced is not None:  # None: a name worked out as the page is rendered
                self._walk(referenced, seen)


_END = r"""(?=["'\s>])"""


def _written(text: str, url: str, page: str) -> list[tuple[int, int]]:
    """Line and column of each place a template's ``text`` writes ``url`` of ``page`` as
    it is: a whole attribute value, or what follows an expression (``{{ root }}``, the
    ``../`` that lead from the page to the site's root)."""
    rest = url.removeprefix(relative_root(page))
    forms = "|".join(re.escape(form) for form in dict.fromkeys((url, html.escape(url))))
    pattern = rf"""(?<=["'=])(?:{forms}){_END}"""
    if rest:
        pattern += rf"|(?<=\}}\}}){re.escape(rest)}{_END}"
    return [(text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at))
            for at in (match.start() for match in re.finditer(pattern, text))]
