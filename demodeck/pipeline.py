"""Stage 3, render, for the whole site: every page, in memory, from the validated decks.

Each deck's page is made from the plan of its slides, and so are its warnings (what
`demodeck check` warns about): :func:`deck_page`, one deck at a time. The archive pages
(:func:`archive_pages`) and the theme's files and pictures follow; :func:`render_all`
does all of it in this process. Nothing here touches the output folder:
:mod:`demodeck.build` writes what this returns, and the preview server serves it from
memory. How a build spreads this work or skips some of it is its seam's business
(:mod:`demodeck.build`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import jinja2

from demodeck import actions, export, linkcheck, render, search, warnings
from demodeck.decks import unreadable_image, validate_all
from demodeck.errors import BuildError, Problem, UsageError
from demodeck.model import Deck, SiteConfig
from demodeck.pages import Output, Page
from demodeck.render import Renderer
from demodeck.schema import VIDEO_SUFFIXES


@dataclass
class Rendered:
    """Every file of the site, and what rendering the decks found."""

    pages: list[Output]
    fresh: int  # deck pages rendered (not kept from an earlier build)
    warnings: list[Problem] = field(default_factory=list)  # in file order (warnings.gathered)
    slides: int = 0  # how many slides the deck pages show
    parsed: dict[str, linkcheck.Parsed] = field(default_factory=dict)  # pages parsed, by path
    images: dict[Path, str] = field(default_factory=dict)  # image file -> its page's path


@dataclass(frozen=True, slots=True)
class DeckPage:
    """One deck's page, made from the plan of its slides, and what that plan warns of."""

    page: Page
    warnings: list[Problem]
    slides: int  # how many slides the page shows


def renderer_for(site: SiteConfig, *, self_contained: bool,
                 compiled: jinja2.BytecodeCache | None = None) -> Renderer:
    """The build's renderer (``compiled``: Jinja's cache of compiled templates, if any);
    raises BuildError when the theme cannot be loaded."""
    try:
        return ready(Renderer(site, compiled), self_contained=self_contained)
    except (jinja2.TemplateError, OSError) as exc:
        raise BuildError([render.template_problem(site, exc)]) from exc


def ready(renderer: Renderer, *, self_contained: bool) -> Renderer:
    """``renderer`` set for this build: no full-text search where every page stands alone."""
    renderer.env.globals["full_text_search"] = not self_contained
    return renderer


def image_names(renderer: Renderer, decks: list[Deck]) -> list[tuple[str, ...]]:
    """Each deck's pictures, read now, by their names in the site (which carry a hash of
    their content); raises BuildError, at the line naming it, for one that can no longer
    be read."""
    try:
        return [tuple(renderer.image_page(a).path for a in deck.assets) for deck in decks]
    except render.ImageUnreadable as exc:
        raise BuildError(unreadable_image(renderer.site, decks, exc.asset, exc.reason)) from exc


def deck_page(renderer: Renderer, decks: list[Deck], ledger: actions.Ledger, index: int, *,
              self_contained: bool = False) -> DeckPage | Problem:
    """The page of ``decks[index]`` (final: inlined when self-contained), its warnings and
    its slide count, from one plan of its slides; a Problem when the project's template
    fails (so that it can travel between processes). Its pictures are read already
    (image_names); ``ledger``: the decks' actions followed up (actions.follow)."""
    deck = decks[index]
    try:
        page, planned = renderer.deck_page(deck, render.deck_context(decks, index, ledger),
                                           standalone=self_contained)
    except Exception as exc:
        if not render.from_template(renderer.site, exc):
            raise
        return render.template_problem(renderer.site, exc)
    if self_contained:
        page = _inline(page, renderer)
    return DeckPage(page, warnings.deck_warnings(deck, planned, renderer.sizes),
                    len(planned.slides))


def archive_page(renderer: Renderer, job: render.ArchiveJob, *,
                 self_contained: bool = False) -> Page:
    """One archive page (see render.archive_jobs), final."""
    page = job.make()
    return _inline(page, renderer) if self_contained else page


def archive_pages(renderer: Renderer, decks: list[Deck], ledger: actions.Ledger, *,
                  self_contained: bool = False) -> list[Page] | Problem:
    """Index, people, actions, metrics, feed and search pages (``ledger``: the decks'
    actions, actions.follow); a Problem when the project's template fails."""
    try:
        return [archive_page(renderer, job, self_contained=self_contained)
                for job in render.archive_jobs(renderer, decks, ledger=ledger)
                if not (self_contained and search.is_index_file(job.path))]
    except Exception as exc:
        if not render.from_template(renderer.site, exc):
            raise
        return render.template_problem(renderer.site, exc)


def files(renderer: Renderer) -> list[Page]:
    """The theme's static files and the pictures the pages show, by hashed name."""
    return [*renderer.statics.values(), *renderer.images.values()]


def failed(made: Iterable[object]) -> list[Problem]:
    """The problems among ``made``, each once (every deck's page fails alike when a
    template does)."""
    return list(dict.fromkeys(m for m in made if isinstance(m, Problem)))


def render_all(site: SiteConfig, decks: list[Deck], *,
               self_contained: bool = False) -> Rendered:
    """Every page, asset and image of the site, in memory, rendered here, before the link
    check; raises BuildError on problems.

    ``self_contained``: every HTML page carries its CSS, JS and images inline, and deck
    pages leave out links to the rest of the site, so each works as a single file."""
    renderer = renderer_for(site, self_contained=self_contained)
    image_names(renderer, decks)
    ledger = actions.follow(decks, site.follow_actions_from)
    made = [deck_page(renderer, decks, ledger, i, self_contained=self_contained)
            for i in range(len(decks))]
    archive = archive_pages(renderer, decks, ledger, self_contained=self_contained)
    problems = failed([archive, *made])
    if problems or isinstance(archive, Problem):
        raise BuildError(problems)
    pages = [m for m in made if isinstance(m, DeckPage)]
    found = warnings.gathered((m.warnings, m.slides) for m in pages)
    return Rendered([*(m.page for m in pages), *archive, *files(renderer)],
                    len(decks), found.warnings, found.slides,
                    images={source: page.path for source, page in renderer.images.items()})


def render_site(site: SiteConfig, decks: list[Deck], *,
                self_contained: bool = False) -> Rendered:
    """render_all, its links checked (linkcheck.verify)."""
    rendered = render_all(site, decks, self_contained=self_contained)
    linkcheck.verify(rendered.pages)
    return rendered


def _inline(page: Page, renderer: Renderer) -> Page:
    """The page with its CSS, JS and images inline (``build --self-contained``)."""
    if not page.path.endswith(".html"):
        return page
    files = {p.path: p.data for p in (*renderer.statics.values(), *renderer.images.values())}
    return Page(page.path, export.inline_page(page.data.decode(), page.path, files).encode(),
                page.key)


@dataclass(frozen=True)
class Exported:
    """One deck rendered as a standalone page, ready to be written as a single file."""

    deck: Deck
    html: str  # the page, its assets still linked
    path: str  # the page's path in the site, which its links are relative to
    files: Mapping[str, bytes]  # theme files and images, by their path in the site
    slides: int  # how many slides the page shows

    def write(self, out: BinaryIO, *, videos: Mapping[str, str] | None = None) -> int:
        """Write the self-contained file (marked as export's) to ``out``; returns its size.
        ``videos``: those not to inline, each with the URL the page gets instead."""
        return export.write_page(export.marked(self.html), self.path, self.files, out,
                                 videos=videos)

    @property
    def videos(self) -> dict[str, bytes]:
        """The deck's videos, by their path in the site."""
        return {path: data for path, data in self.files.items()
                if path.lower().endswith(VIDEO_SUFFIXES)}


def export_deck(site: SiteConfig, date_text: str | None, decks: list[Deck] | None = None, *,
                compiled: jinja2.BytecodeCache | None = None) -> Exported:
    """One deck as a single self-contained HTML file (the newest when no date is given).
    ``decks``: every deck, validated (newest first; default: validate_all here);
    ``compiled``: Jinja's cache of compiled templates, if any."""
    if decks is None:
        decks = validate_all(site)
    if date_text is None:
        index = 0
    else:
        slugs = [d.slug for d in decks]
        if date_text not in slugs:
            raise UsageError(f"no deck dated {date_text}; decks: {', '.join(slugs[:8])}"
                             + (" ..." if len(slugs) > 8 else ""))
        index = slugs.index(date_text)
    renderer = Renderer(site, compiled)
    deck = decks[index]
    context = render.deck_context(decks, index, actions.follow(decks, site.follow_actions_from))
    try:
        page, planned = renderer.deck_page(deck, context, standalone=True)
    except render.ImageUnreadable as exc:
        raise BuildError(unreadable_image(site, [deck], exc.asset, exc.reason)) from exc
    except Exception as exc:
        if not render.from_template(site, exc):
            raise
        raise BuildError([render.template_problem(site, exc)]) from exc
    files = {p.path: p.data for p in (*renderer.statics.values(), *renderer.images.values())}
    return Exported(deck, page.data.decode(), page.path, files, len(planned.slides))


