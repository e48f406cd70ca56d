"""The whole site in memory: every page rendered from the validated decks.

Stage 3 (render) for all decks at once, spread over a process pool when there is
enough work to pay for the fork (stages 1–2 for all decks: :mod:`demodeck.decks`).
Nothing here touches the output
folder: :mod:`demodeck.build` writes what this returns, and the preview server serves
it from memory. Work a :class:`~demodeck.incremental.cache.BuildCache` already holds (a deck whose
bytes did not change, a page whose inputs did not change, a deck's part of the archive
pages' keys) is skipped, and a page the previous build wrote with the same key is kept as
it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import jinja2

from demodeck import export, linkcheck, markdown, render, search, theme, write
from demodeck.decks import unreadable_image, validate_all
from demodeck.errors import BuildError, Problem, UsageError
from demodeck.incremental import archive_keys
from demodeck.incremental import cache as cache_mod
from demodeck.incremental.cache import BuildCache
from demodeck.incremental.pool import parallel_map, will_fork
from demodeck.load import DeckSource
from demodeck.model import Asset, Deck, SiteConfig
from demodeck.pages import Kept, Output, Page, Reusable, Staged
from demodeck.render import Renderer
from demodeck.schema import VIDEO_SUFFIXES


def prepare_render(site: SiteConfig, sources: Sequence[DeckSource]) -> Renderer | None:
    """A renderer made ready for render_pages while a worker process starts validating
    ``sources`` (this process validates its share afterwards): deck.html compiled and
    the Pygments lexers the code fences in ``sources`` name loaded (see
    benchmarks/README.md for what that saves). The render worker forked later inherits
    both. None if the templates fail: render_pages then makes its own renderer and
    reports the problem."""
    try:
        renderer = Renderer(site)
        renderer.env.get_template("deck.html")
    except Exception:  # reported when render_pages makes its own
        return None
    markdown.preload_highlighting_sources(
        f.data for source in sources for f in (source.main, *source.demo_files)
        if f is not None and f.data is not None)
    return renderer


# -- render ----------------------------------------------------------------------------------

# the renderer, every deck, the indexes of those to render, self-contained?, and the
# made Staging folder to write them into, if not to send them back
RenderState = tuple[Renderer, list[Deck], Sequence[int], bool, write.Staging | None]


Made = tuple[bytes | None, linkcheck.Parsed, str | None]


def _render_one(state: RenderState, index: int) -> Made | Problem:
    """One deck page (``decks[todo[index]]``), final (inlined when self-contained), and the
    links and ids the link check needs; no bytes but the files its links point at when it
    was written to the staging folder (see linkcheck.page_targets).
    Its context (sparklines) is worked out, the page parsed and written here, in whichever
    process of the pool renders it, which keeps all that off the build's serial path."""
    renderer, decks, todo, self_contained, staging = state
    at = todo[index]
    try:
        page, _ = renderer.deck_page(decks[at], render.deck_context(decks, at),
                                           standalone=self_contained)
    except Exception as exc:  # a template's fault comes back as a problem, across processes
        if not render.from_template(renderer.site, exc):
            raise
        return render.template_problem(renderer.site, exc)
    if self_contained:
        page = _inline(page, renderer)
    parsed = linkcheck.parse(page.data)
    if staging is not None:
        staging.write(page.path, page.data)
        return None, parsed, linkcheck.page_targets(page.path, parsed)
    return page.data, parsed, None


@dataclass
class Rendered:
    pages: list[Output]
    fresh: int  # deck pages rendered (not from the cache)
    parsed: dict[str, linkcheck.Parsed] = field(default_factory=dict)  # pages parsed, by path
    images: dict[Path, str] = field(default_factory=dict)  # image file -> its page's path


def _reuse(path: str, key: str, reusable: Reusable, cache: BuildCache | None) -> Output | None:
    """The page made from ``key`` without rendering it: the last build's file, or the
    preview's in-memory copy."""
    prior = reusable.get(path)
    if prior is not None and prior[0] == key:
        return Kept(path, prior[1], key)
    data = cache.get_page(key) if cache is not None else None
    return Page(path, data, key) if data is not None else None


def render_site(site: SiteConfig, decks: list[Deck], *, cache: BuildCache | None = None,
                jobs: int = 1, self_contained: bool = False,
                reusable: Reusable | None = None, renderer: Renderer | None = None,
                staging: write.Staging | None = None) -> Rendered:
    """Every page, asset and image of the site, in memory, its links checked (see
    render_pages and linkcheck.verify); raises BuildError on problems."""
    rendered = render_pages(site, decks, cache=cache, jobs=jobs, self_contained=self_contained,
                            reusable=reusable, renderer=renderer, staging=staging)
    linkcheck.verify(rendered.pages, cache=cache, known=rendered.parsed)
    return rendered


def render_pages(site: SiteConfig, decks: list[Deck], *, cache: BuildCache | None = None,
                 jobs: int = 1, self_contained: bool = False,
                 reusable: Reusable | None = None, renderer: Renderer | None = None,
                 staging: write.Staging | None = None) -> Rendered:
    """Every page, asset and image of the site, in memory, before the link check; raises
    BuildError on problems. When the pool writes into ``staging``, what the link check
    keeps in ``cache`` is there already (see linkcheck.page_targets).

    ``self_contained``: every HTML page carries its CSS, JS and images inline, and deck
    pages leave out links to the rest of the site, so each works as a single file.
    ``reusable``: files of the previous build that may be kept when their key matches.
    ``renderer``: one made ready while the decks were validated (see prepare_render).
    ``staging``: where the site will be written; deck pages rendered by a process pool
    are written there by the process that renders each, and come back as Staged pages.
    """
    reusable = reusable or {}
    prepared = renderer is not None
    try:
        renderer = renderer or Renderer(site)
        renderer.env.globals["full_text_search"] = not self_contained
        # hashed image names are part of each page's key, and of each deck's archive part
        images = [tuple(renderer.image_page(a).path for a in deck.assets) for deck in decks]
        base = cache_mod.digest(theme.key(site), str(self_contained))
    except render.ImageUnreadable as exc:
        raise BuildError(unreadable_image(site, decks, exc.asset, exc.reason)) from exc
    except (jinja2.TemplateError, OSError) as exc:
        raise BuildError([render.template_problem(site, exc)]) from exc
    paths = [f"{deck.slug}/index.html" for deck in decks]
    keys = [cache_mod.digest(base, deck.digest, context, *names)
            for deck, context, names in zip(decks, render.context_keys(decks), images,
                                            strict=True)]
    done = [_reuse(path, key, reusable, cache) for path, key in zip(paths, keys, strict=True)]
    todo = [i for i, page in enumerate(done) if page is None]
    forked = will_fork(len(todo), jobs)
    folder = staging.make() if staging is not None and forked else None
    staged = staging if folder is not None else None  # the pool writes deck pages into it
    state = (renderer, decks, todo, self_contained, staged)
    # Lexers are loaded here once, not in every worker; a prepared renderer comes with
    # those of the decks just validated (the others, cached, are rarely rendered again).
    if forked and not prepared:
        markdown.preload_highlighting(text for i in todo for demo in decks[i].demos
                                      for text in (demo.why, demo.could_be_better, demo.notes)
                                      if text)
    problems: list[Problem] = []
    archive: list[Output] = []

    parsed: dict[str, linkcheck.Parsed] = {}
    targets: dict[str, str] = {}  # when staged: see linkcheck.page_targets

    def render_archive() -> None:  # in this process, while a worker renders decks
        try:
            parts = _deck_parts(renderer, decks, images, cache)
            pages = _archive_pages(renderer, decks, parts, base, cache, reusable,
                                   self_contained, parsed)
        except Exception as exc:
            if not render.from_template(site, exc):
                raise
            problems.append(render.template_problem(site, exc))
            return
        archive.extend(_staged(page, staged) for page in pages)
        if staged is not None:  # ``parsed`` holds the archive pages' only, so far
            targets.update((path, linkcheck.page_targets(path, links))
                           for path, links in parsed.items())

    with markdown.highlights_kept_in(cache):
        results = parallel_map(_render_one, state, len(todo), jobs, meanwhile=render_archive)
    for i, result in zip(todo, results, strict=True):
        if isinstance(result, Problem):
            if result not in problems:
                problems.append(result)
            continue
        data, parsed[paths[i]], page_targets = result
        if page_targets is not None:
            targets[paths[i]] = page_targets
        if data is None:
            assert folder is not None
            done[i] = Staged(paths[i], folder / paths[i], keys[i])
            continue
        done[i] = Page(paths[i], data, keys[i])
        if cache is not None:
            cache.put_page(keys[i], data)
    if problems:
        raise BuildError(problems)
    files = [_asset(page, reusable) for page in (*renderer.statics.values(),
                                                 *renderer.images.values())]
    everything = [*(p for p in done if p is not None), *archive, *files]
    if cache is not None:
        for page in everything:
            if page.path in targets:
                linkcheck.keep(cache, page, parsed[page.path], targets[page.path])
    return Rendered(everything, len(todo), parsed,
                    {source: page.path for source, page in renderer.images.items()})


def _staged(page: Output, staging: write.Staging | None) -> Output:
    """A page rendered in this process, written into the ``staging`` folder right away
    when the deck pages are written there: this process renders the archive pages
    before it takes its share of the decks, so their writing leaves the serial
    end of the build."""
    if staging is None or not isinstance(page, Page):
        return page
    return Staged(page.path, staging.write(page.path, page.data), page.key)


def _asset(page: Page, reusable: Reusable) -> Output:
    """Theme files and images carry their content's hash in their name: that is the key."""
    return _reuse(page.path, page.path, reusable, None) or Page(page.path, page.data, page.path)


def _deck_parts(renderer: Renderer, decks: list[Deck], images: list[tuple[str, ...]],
                cache: BuildCache | None) -> list[archive_keys.DeckShown]:
    """Each deck's part of the archive pages' keys: worked out for the decks that changed
    (their content, the settings or the hashed names of their ``images``), taken from the
    cache for the others."""
    def image_path(asset: Asset) -> str:
        return renderer.image_page(asset).path

    settings = cache_mod.settings_key(renderer.site)
    parts: list[archive_keys.DeckShown] = []
    for deck, names in zip(decks, images, strict=True):
        key = cache_mod.digest("shown+search", settings, deck.digest, *names)
        part = cache.get_shown(key) if cache is not None else None
        if part is None:
            part = archive_keys.deck_shown(deck, image_path)
            if cache is not None:
                cache.put_shown(key, part)
        parts.append(part)
    return parts


def _archive_pages(renderer: Renderer, decks: list[Deck], parts: list[archive_keys.DeckShown],
                   base: str, cache: BuildCache | None, reusable: Reusable,
                   self_contained: bool, parsed: dict[str, linkcheck.Parsed]) -> list[Output]:
    """The archive's pages, each rendered only if its key changed; those that were are
    parsed for the link check here, while a worker is busy with decks."""
    images = sorted(page.path for page in renderer.images.values())  # avatars, by hashed name
    pages: list[Output] = []
    for job in render.archive_jobs(renderer, decks, parts):
        if self_contained and search.is_index_file(job.path):
            continue  # no full-text search where every page stands alone
        key = cache_mod.digest(base, job.path, job.key, *images)
        page = _reuse(job.path, key, reusable, cache)
        if page is None:
            page = Page(job.path, job.make().data, key)
            if self_contained:
                page = _inline(page, renderer)
            if page.path.endswith(".html"):
                parsed[page.path] = linkcheck.parse(page.data)
            if cache is not None:
                cache.put_page(key, page.data)
        pages.append(page)
    return pages


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


def export_deck(site: SiteConfig, date_text: str | None) -> Exported:
    """One deck as a single self-contained HTML file (the newest when no date is given)."""
    decks = validate_all(site)
    if date_text is None:
        index = 0
    else:
        slugs = [d.slug for d in decks]
        if date_text not in slugs:
            raise UsageError(f"no deck dated {date_text}; decks: {', '.join(slugs[:8])}"
                             + (" ..." if len(slugs) > 8 else ""))
        index = slugs.index(date_text)
    renderer = Renderer(site)
    deck = decks[index]
    context = render.deck_context(decks, index)
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


