"""Stage 3 sped up: only the pages whose inputs changed are rendered, over the pool.

Gives what :func:`demodeck.pipeline.render_all` gives, from the same per-page functions
(:func:`~demodeck.pipeline.deck_page`, :func:`~demodeck.pipeline.archive_page`). Each
page is keyed by what it is made from (:mod:`.keys`, :mod:`.archive_keys`): a page the
previous build wrote with the same key is kept as it is (with a deck page, the warnings
its plan gave, from the cache), and one the cache holds (the preview's) is not made
again. The deck pages left are spread over the process pool, whose workers write them
straight into the staging folder; this process renders the archive pages meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

import jinja2

from demodeck import actions, linkcheck, markdown, pipeline, render, search, warnings, write
from demodeck.errors import BuildError, Problem
from demodeck.incremental import archive_keys, links
from demodeck.incremental.cache import BuildCache, digest
from demodeck.incremental.keys import context_keys, deck_key, settings_key, theme_key
from demodeck.incremental.parts import ShownBrief
from demodeck.incremental.pool import parallel_map, will_fork
from demodeck.model import Asset, Deck, SiteConfig
from demodeck.pages import Kept, Output, Page, Reusable, Staged
from demodeck.pipeline import Rendered
from demodeck.render import Renderer

# the renderer, every deck, the indexes of those to render, self-contained?, the made
# Staging folder to write them into, if not to send them back, and the decks' actions
# followed up (actions.follow)
RenderState = tuple[Renderer, list[Deck], Sequence[int], bool, write.Staging | None,
                    actions.Ledger]
# a deck page's bytes (None: written to the staging folder), its links and ids, the files
# they point at (when staged: see links.page_targets), its warnings and slide count
Made = tuple[bytes | None, linkcheck.Parsed, str | None, list[Problem], int]
Warned = tuple[list[Problem], int]  # a deck page's warnings and slides, as the cache keeps them


def _render_one(state: RenderState, index: int) -> Made | Problem:
    """One deck page (``decks[todo[index]]``), parsed for the link check, and written to
    the staging folder when there is one, in whichever process of the pool renders it,
    which keeps all that off the build's serial path."""
    renderer, decks, todo, self_contained, staging, ledger = state
    made = pipeline.deck_page(renderer, decks, ledger, todo[index],
                              self_contained=self_contained)
    if isinstance(made, Problem):
        return made
    page = made.page
    parsed = linkcheck.parse(page.data)
    if staging is not None:
        staging.write(page.path, page.data)
        return None, parsed, links.page_targets(page.path, parsed), made.warnings, made.slides
    return page.data, parsed, None, made.warnings, made.slides


@dataclass(frozen=True)
class _Job:
    """How the archive pages are made: the cache, self-contained?, the files of the last
    build that may be kept, and the staging folder when the pool writes pages into it."""

    cache: BuildCache | None
    self_contained: bool
    reusable: Reusable
    staged: write.Staging | None


def render_all(site: SiteConfig, decks: list[Deck], *, cache: BuildCache | None, jobs: int,
               self_contained: bool, reusable: Reusable, renderer: Renderer | None,
               staging: write.Staging | None,
               compiled: jinja2.BytecodeCache | None = None) -> Rendered:
    """pipeline.render_all, keeping what did not change. ``reusable``: files of the
    previous build that may be kept when their key matches. ``renderer``: one made ready
    while the decks were validated (see validating.prepare_render). ``staging``: where
    the site will be written; deck pages rendered by the pool are written there by the
    process that renders each, and come back as Staged pages."""
    prepared = renderer is not None
    renderer = (pipeline.ready(renderer, self_contained=self_contained)
                if renderer is not None
                else pipeline.renderer_for(site, self_contained=self_contained,
                                           compiled=compiled))
    try:
        base = digest(theme_key(site), str(self_contained))
    except OSError as exc:
        raise BuildError([render.template_problem(site, exc)]) from exc
    # hashed image names are part of each page's key, and of each deck's archive part
    images = pipeline.image_names(renderer, decks)
    ledger = actions.follow(decks, site.follow_actions_from)
    pages = _DeckPages.found(decks, ledger, images, base, reusable, cache)
    todo = [i for i, page in enumerate(pages.done) if page is None]
    forked = will_fork(len(todo), jobs)
    folder = staging.make() if staging is not None and forked else None
    staged = staging if folder is not None else None  # the pool writes deck pages into it
    job = _Job(cache, self_contained, reusable, staged)
    # Lexers are loaded here once, not in every worker; a prepared renderer comes with
    # those of the decks just validated (the others, cached, are rarely rendered again).
    if forked and not prepared:
        markdown.preload_highlighting(text for i in todo for demo in decks[i].demos
                                      for text in (demo.why, demo.could_be_better, demo.notes)
                                      if text)
    archive: list[Output | Problem] = []

    def render_archive() -> None:  # in this process, while a worker renders decks
        archive.extend(_archive(renderer, decks, ledger, images, base, job, pages.parsed))
        if staged is not None:  # ``parsed`` holds the archive pages' only, so far
            pages.targets.update((path, links.page_targets(path, found))
                                 for path, found in pages.parsed.items())

    state: RenderState = (renderer, decks, todo, self_contained, staged, ledger)
    with markdown.highlights_kept_in(cache):
        results = parallel_map(_render_one, state, len(todo), jobs, meanwhile=render_archive)
    problems = pipeline.failed([*archive, *results])
    if problems:
        raise BuildError(problems)
    for i, result in zip(todo, results, strict=True):
        assert not isinstance(result, Problem)
        pages.take(i, result, folder, cache)
    files = [_asset(page, reusable) for page in pipeline.files(renderer)]
    everything = [*(p for p in pages.done if p is not None),
                  *(p for p in archive if not isinstance(p, Problem)), *files]
    if cache is not None:
        for page in everything:
            if page.path in pages.targets:
                links.keep(cache, page, pages.parsed[page.path], pages.targets[page.path])
    looked = warnings.gathered(w for w in pages.warned if w is not None)
    return Rendered(everything, len(todo), looked.warnings, looked.slides, pages.parsed,
                    {source: page.path for source, page in renderer.images.items()})


@dataclass
class _DeckPages:
    """The deck pages of a build: each one's path and key, the page (None: to render)
    with its warnings and slide count, and what the link check keeps of the pages
    parsed here (``targets``: when staged, see links.page_targets)."""

    paths: list[str]
    keys: list[str]
    done: list[Output | None]
    warned: list[Warned | None]
    parsed: dict[str, linkcheck.Parsed] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)

    @classmethod
    def found(cls, decks: list[Deck], ledger: actions.Ledger, images: list[tuple[str, ...]],
              base: str, reusable: Reusable, cache: BuildCache | None) -> _DeckPages:
        """Each deck's page keyed, and kept when both the page and its warnings are."""
        paths = [f"{deck.slug}/index.html" for deck in decks]
        keys = [digest(base, deck.digest, context, *names) for deck, context, names
                in zip(decks, context_keys(decks, ledger), images, strict=True)]
        warned = [cache.get_warned(key) if cache is not None else None for key in keys]
        done = [_reuse(path, key, reusable, cache) if kept is not None else None
                for path, key, kept in zip(paths, keys, warned, strict=True)]
        return cls(paths, keys, done, warned)

    def take(self, i: int, made: Made, folder: Path | None, cache: BuildCache | None) -> None:
        """The page of deck ``i`` as the pool made it (written into ``folder``, or not)."""
        path, key = self.paths[i], self.keys[i]
        data, self.parsed[path], page_targets, found, slides = made
        self.warned[i] = (found, slides)
        if cache is not None:
            cache.put_warned(key, (found, slides))
        if page_targets is not None:
            self.targets[path] = page_targets
        if data is None:
            assert folder is not None
            self.done[i] = Staged(path, folder / path, key)
            return
        self.done[i] = Page(path, data, key)
        if cache is not None:
            cache.put_page(key, data)


def _reuse(path: str, key: str, reusable: Reusable, cache: BuildCache | None) -> Output | None:
    """The page made from ``key`` without rendering it: the last build's file, or the
    preview's in-memory copy."""
    prior = reusable.get(path)
    if prior is not None and prior[0] == key:
        return Kept(path, prior[1], key)
    data = cache.get_page(key) if cache is not None else None
    return Page(path, data, key) if data is not None else None


def _asset(page: Page, reusable: Reusable) -> Output:
    """Theme files and images carry their content's hash in their name: that is the key."""
    return _reuse(page.path, page.path, reusable, None) or Page(page.path, page.data, page.path)


def _archive(renderer: Renderer, decks: list[Deck], ledger: actions.Ledger,
             images: list[tuple[str, ...]], base: str, job: _Job,
             parsed: dict[str, linkcheck.Parsed]) -> list[Output | Problem]:
    """The archive's pages, each rendered only if its key changed; those that were are
    parsed for the link check here (while a worker is busy with decks), and written into
    the staging folder when the deck pages are written there: this process renders the
    archive pages before it takes its share of the decks, so their writing leaves the
    serial end of the build. A template's failure comes back as a Problem."""
    try:
        parts = _Shown.found(renderer, decks, images, job.cache)
        searched = _SearchParts(decks, settings_key(renderer.site), job.cache)
        slugs, keys = _archive_keys(renderer, decks, parts, searched, ledger)
        made = render.archive_jobs(renderer, decks, slugs=slugs, search_parts=searched,
                                   ledger=ledger)
        hashed = sorted(page.path for page in renderer.images.values())  # avatars
        pages: list[Output | Problem] = []
        for one in made:
            if job.self_contained and search.is_index_file(one.path):
                continue  # no full-text search where every page stands alone
            key = digest(base, one.path, keys[one.path], *hashed)
            page = _reuse(one.path, key, job.reusable, job.cache)
            if page is None:
                fresh = pipeline.archive_page(renderer, one, self_contained=job.self_contained)
                page = Page(fresh.path, fresh.data, key)
                if page.path.endswith(".html"):
                    parsed[page.path] = linkcheck.parse(page.data)
                if job.cache is not None:
                    job.cache.put_page(key, page.data)
            if job.staged is not None and isinstance(page, Page):
                page = Staged(page.path, job.staged.write(page.path, page.data), key)
            pages.append(page)
        return pages
    except Exception as exc:
        if not render.from_template(renderer.site, exc):
            raise
        return [render.template_problem(renderer.site, exc)]


def _archive_keys(renderer: Renderer, decks: list[Deck], parts: _Shown,
                  searched: Sequence[search.DeckPart], ledger: actions.Ledger
                  ) -> tuple[dict[str, str], dict[str, str]]:
    """Each person's key and page slug (most demos first), and each archive page's key by
    its path."""
    root = renderer.site.root
    precise = archive_keys.precise(root)
    keys = parts.summed(precise)
    slugs = {key: keys.slugs[key] for key in keys.persons}
    newest = range(min(len(decks), render.FEED_DECKS))
    feed = ("|".join(parts.briefs[i][1] for i in newest) if archive_keys.precise_feed(root)
            else "|".join(decks[i].digest for i in newest))
    by_path = {"index.html": keys.index, "metrics/index.html": keys.metrics,
               "feed.xml": f"feed:{feed}", "people/index.html": keys.people,
               **{path: key for path, key, _ in search.jobs(decks, searched)},
               render.ACTIONS_PAGE: archive_keys.actions_key(ledger, slugs, decks, precise)}
    owned = ledger.open_by_owner()
    by_path.update((f"people/{slugs[key]}/index.html",
                    f"{page_key}:{archive_keys.open_actions_key(ledger, owned.get(key, ()))}")
                   for key, page_key in keys.persons.items())
    return slugs, by_path


@dataclass
class _Shown:
    """Each deck's part of the archive pages' keys: worked out for the decks that changed
    (their content, the settings or the hashed names of their pictures), taken from the
    cache for the others, in brief (parts.ShownBrief). In full only when the keys put
    together from them are not in the cache: when a part changed (an edited "why"
    changes none)."""

    renderer: Renderer
    decks: list[Deck]
    keys: list[str]
    briefs: list[ShownBrief]
    made: dict[int, archive_keys.DeckShown]  # the parts worked out in this build
    cache: BuildCache | None

    @classmethod
    def found(cls, renderer: Renderer, decks: list[Deck], images: list[tuple[str, ...]],
              cache: BuildCache | None) -> _Shown:
        settings = settings_key(renderer.site)
        keys = [digest("shown+feed", settings, deck.digest, *names)
                for deck, names in zip(decks, images, strict=True)]
        shown = cls(renderer, decks, keys, [], {}, cache)
        for i, key in enumerate(keys):
            brief = cache.get_brief(key) if cache is not None else None
            shown.briefs.append(brief or shown._make(i)[1])
        return shown

    def part(self, i: int) -> archive_keys.DeckShown:
        """Deck ``i``'s part in full: from the cache, or worked out (and kept)."""
        part = self.made.get(i)
        if part is None and self.cache is not None:
            part = self.cache.get_shown(self.keys[i], self.decks[i].date.year)
        return part if part is not None else self._make(i)[0]

    def _make(self, i: int) -> tuple[archive_keys.DeckShown, ShownBrief]:
        deck = self.decks[i]
        part = self.made[i] = archive_keys.deck_shown(deck, self._image_path)
        brief = archive_keys.brief(part)
        if self.cache is not None:
            self.cache.put_shown(self.keys[i], deck.date.year, part, brief)
        return part, brief

    def summed(self, precise: bool) -> archive_keys.ArchiveKeys:
        """The keys put together from every deck's part (see archive_keys.from_parts);
        with ``precise`` keys, those of the last build whose parts had the same digests."""
        if not precise or self.cache is None:
            return self._summed(precise)
        key = digest(*(digest_ for digest_, _ in self.briefs))
        keys = self.cache.get_archive_keys(key)
        if keys is None:
            keys = self._summed(precise)
            self.cache.put_archive_keys(key, keys)
        return keys

    def _summed(self, precise: bool) -> archive_keys.ArchiveKeys:
        """The keys, each as its digest: a person's key names every demo they gave (a
        megabyte of text on a large archive, which the cache would keep)."""
        parts = [self.part(i) for i in range(len(self.decks))]
        keys = archive_keys.from_parts(self.decks, parts, precise=precise)
        return archive_keys.ArchiveKeys(keys.slugs, digest(keys.index), digest(keys.people),
                                        digest(keys.metrics),
                                        {k: digest(v) for k, v in keys.persons.items()})

    def _image_path(self, asset: Asset) -> str:
        return self.renderer.image_page(asset).path


class _SearchParts(Sequence[search.DeckPart]):
    """Each deck's part of the search index, taken from the cache (or worked out) when a
    year's file is made: a rebuild reads the parts of the years whose file changed only.
    Kept by the deck's key (keys.deck_key), in its year's shelf."""

    def __init__(self, decks: list[Deck], settings: str, cache: BuildCache | None) -> None:
        self.decks, self.settings, self.cache = decks, settings, cache

    def __len__(self) -> int:
        return len(self.decks)

    @overload
    def __getitem__(self, index: int) -> search.DeckPart: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[search.DeckPart]: ...

    def __getitem__(self, index: int | slice) -> search.DeckPart | Sequence[search.DeckPart]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        deck = self.decks[index]
        if self.cache is None:
            return search.deck_part(deck)
        key, year = deck_key(self.settings, deck.digest), deck.date.year
        part = self.cache.get_search(key, year)
        if part is None:
            part = search.deck_part(deck)
            self.cache.put_search(key, year, part)
        return part
