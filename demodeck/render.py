"""Stage 3, render: validated decks → pages in memory (nothing is written here).

One plain Jinja environment per build with autoescaping on for *every* template
(not chosen by file name) and StrictUndefined, so a typo in a template is an error,
not an empty string. Markdown enters templates only through the ``markdown``
and ``inline`` filters, which return Markup. Theme CSS/JS and images get
content-hashed file names, so a published site never serves a stale asset.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import traceback
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
from markupsafe import Markup, escape

from demodeck import __version__, actions, markdown, metrics, people, search, slides, theme
from demodeck import sizes as theme_sizes
from demodeck.errors import Problem
from demodeck.model import Asset, Deck, Person, SiteConfig, person_key
from demodeck.pages import Page
from demodeck.schema import VIDEO_SUFFIXES

GENERATOR = f"demodeck {__version__}"
FEED_DECKS = 50
RETRO_MARKER = re.compile(r"""data-slide\s*=\s*["']?retro(?=["'\s>/])""")


def hashed_name(name: str, data: bytes) -> str:
    """``deck.css`` → ``deck.3f2a9c1e.css``: a new name whenever the content changes."""
    digest = hashlib.sha256(data).hexdigest()[:10]
    pure = PurePosixPath(name)
    return str(pure.with_name(f"{pure.stem}.{digest}{pure.suffix}"))


@functools.lru_cache(maxsize=4096)
def format_date(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def atom_date(day: dt.date | None) -> str:
    return f"{day or dt.date(1970, 1, 1):%Y-%m-%d}T00:00:00Z"


def format_number(value: float) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return f"{round(value, 2):,}"


def format_numbers(values: Iterable[float]) -> str:
    """``1,204, 998.5, 17``: each value as format_number writes it, comma-separated. One
    filter call instead of a template loop calling format_number for each value: a deck's
    sparklines show 60 of them."""
    return ", ".join([format_number(value) for value in values])


def direction(texts: str | Iterable[str] | Iterable[Person]) -> str:
    """"rtl" when each text opens (first strong letter, as dir="auto" reads it) in a
    right-to-left script and one does at all, else "ltr". For a box that dir="auto" cannot
    judge: a row of names, each isolated, or the why box, which opens with its English label.
    People count as their names: ``demo.people|direction`` spares the template a
    ``map(attribute="name")`` for every demo of the agenda and its slide."""
    found = False
    for text in [texts] if isinstance(texts, str) else texts:
        way = _first_strong(text if isinstance(text, str) else text.name)
        if way == "L":
            return "ltr"
        found = found or way == "R"
    return "rtl" if found else "ltr"


def _first_strong(text: str) -> str:
    """"L", "R" (right-to-left, Arabic letters included) or "" when no letter says."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "L"
        if kind in ("R", "AL"):
            return "R"
    return ""


def relative_root(page_path: str) -> str:
    depth = len(PurePosixPath(page_path).parts) - 1
    return "../" * depth


@dataclass
class Renderer:
    """Renders decks and the index for one site; build() makes one per run."""

    site: SiteConfig
    # Jinja's cache of compiled templates, if the build's seam gives one (it changes no
    # byte of the output): see build.py
    compiled: jinja2.BytecodeCache | None = None
    env: jinja2.Environment = field(init=False)
    statics: dict[str, Page] = field(init=False)  # theme name -> hashed output page
    images: dict[Path, Page] = field(default_factory=dict)
    sizes: theme_sizes.Sizes = field(init=False)  # the theme's, for slides.plan
    whole: frozenset[str] = field(init=False)  # and the project's blocks (slides.whole)

    def __post_init__(self) -> None:
        self.env = jinja2.Environment(
            loader=theme.loader(self.site.root),
            bytecode_cache=self.compiled,
            autoescape=True,  # every template, whatever its file name
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters["markdown"] = markdown.render_block
        self.env.filters["inline"] = markdown.render_inline
        self.env.filters["atom_date"] = atom_date
        self.env.filters["numbers"] = format_numbers
        self.env.filters["direction"] = direction
        # also filters: Jinja calls a filter directly, a function through Context.call
        self.env.filters["format_date"] = format_date
        self.env.filters["format_number"] = format_number
        # the archive's full-text search: off in a self-contained site, where every page
        # stands alone and the index would be one more file to load
        self.env.globals["full_text_search"] = True
        self.statics = self._static_pages()
        self.sizes = theme_sizes.of_project(self.site.root)
        self.whole = slides.whole(self.site.root)

    def _static_pages(self) -> dict[str, Page]:
        pages: dict[str, Page] = {}
        sources = {name: path.read_bytes() for name, path in
                   theme.static_files(self.site.root).items()}
        for name, data in sources.items():
            pages[name] = Page(f"assets/{hashed_name(name, data)}", data)
        return pages

    def image_page(self, asset: Asset) -> Page:
        page = self.images.get(asset.source)
        if page is None:
            try:
                data = asset.source.read_bytes()
            except OSError as exc:  # it was a readable file when the deck was validated
                raise ImageUnreadable(asset, exc.strerror or str(exc)) from exc
            name = hashed_name(asset.source.name.replace(" ", "-"), data)
            folder = "video" if asset.source.suffix.lower() in VIDEO_SUFFIXES else "img"
            page = Page(f"assets/{folder}/{name}", data)
            self.images[asset.source] = page
        return page

    def _context(self, page_path: str) -> dict[str, Any]:
        root = relative_root(page_path)

        def static(name: str) -> str:
            page = self.statics.get(name)
            if page is None:
                raise jinja2.TemplateRuntimeError(f"no static file '{name}' in the theme")
            return root + page.path

        def asset(a: Asset) -> str:
            return root + self.image_page(a).path

        return {"site": self.site, "root": root, "static": static, "asset": asset,
                "format_date": format_date, "format_number": format_number,
                "generator": GENERATOR}

    def render(self, template: str, page_path: str, **context: Any) -> str:
        return self.env.get_template(template).render(self._context(page_path) | context)

    def canonical(self, page_path: str) -> str | None:
        """Absolute URL of a page when base_url is set (feeds, canonical links)."""
        if not self.site.base_url:
            return None
        base = self.site.base_url if self.site.base_url.endswith("/") else self.site.base_url + "/"
        return base + page_path.removesuffix("index.html")

    def deck_page(self, deck: Deck, context: DeckContext, *,
                  standalone: bool = False) -> tuple[Page, slides.Plan]:
        """The deck's page, and the plan of its slides it was made from (slides.plan, exact:
        the deck's warnings come from the same plan)."""
        path = f"{deck.slug}/index.html"
        planned = slides.plan(deck, context.follow_ups, self.sizes, exact=True,
                              whole=self.whole)
        html = self.render("deck.html", path, deck=deck, slides=planned.slides,
                           metrics=context.metrics, previous=context.previous,
                           follow_ups=context.follow_ups, standalone=standalone,
                           canonical=self.canonical(path))
        markers = len(RETRO_MARKER.findall(html))
        if markers != 1:
            raise RetroMissing(markers)
        return Page(path, html.encode()), planned

    def archive_render(self, template: str, path: str, slugs: dict[str, str],
                       **context: Any) -> Page:
        """An archive page: these may link to people pages through ``slugs`` (person key →
        page slug). Deck pages may not, so that a deck's cached page never depends on who
        else demoed."""
        person_url, person_links = people_links(relative_root(path), slugs)
        return Page(path, self.render(template, path, person_url=person_url,
                                      person_links=person_links,
                                      canonical=self.canonical(path), **context).encode())

    def metrics_page(self, series: tuple[metrics.Series, ...]) -> Page:
        path = "metrics/index.html"
        return Page(path, self.render("metrics.html", path, series=series,
                                      canonical=self.canonical(path)).encode())

    def feed(self, decks: list[Deck]) -> Page:
        def feed_id(deck: Deck | None) -> str:
            """A stable id for feeds without a base URL (Atom ids must be absolute IRIs)."""
            name = f"demodeck:{self.site.title}:{deck.slug if deck else 'feed'}"
            return uuid.uuid5(uuid.NAMESPACE_URL, name).urn

        return Page("feed.xml", self.render("feed.xml", "feed.xml",
                                            decks=tuple(decks[:FEED_DECKS]),
                                            absolute=self.canonical, feed_id=feed_id).encode())


PersonUrl = Callable[[Any], str]
PersonLinks = Callable[[Iterable[Any]], Markup]


def people_links(root: str, slugs: dict[str, str]) -> tuple[PersonUrl, PersonLinks]:
    """``person_url(person)`` and ``person_links(people)`` of one archive page (``root``
    its relative_root; ``slugs`` person key -> their page's slug).

    A large archive's pages link to people tens of thousands of times (every name on the
    index, everyone each person demoed with): each person's URL and link are made once
    per page, and found again by their name, whose key (``person.key``) is a function
    of it. Both are plain functions, not bound methods: Jinja asks every callable a
    template calls whether it wants the context, and a bound method answers by raising
    and catching an AttributeError, a function does not."""
    urls: dict[str, str] = {}  # name as written -> URL
    made: dict[str, str] = {}  # name as written -> link

    def person_url(person: Any) -> str:
        url = urls.get(person.name)
        if url is None:
            url = urls[person.name] = f"{root}people/{slugs[person.key]}/index.html"
        return url

    def link(person: Any) -> str:
        made[person.name] = html = (f'<a href="{escape(person_url(person))}" '
                                    f'dir="auto">{escape(person.name)}</a>')
        return html

    def person_links(people: Iterable[Any]) -> Markup:
        """``<a href="{{ person_url(p) }}" dir="auto">{{ p.name }}</a>`` for each, joined
        by ", ": as a loop in the template, this was a third of the person pages' time."""
        people = tuple(people)  # it may be an iterator (``|select``); a tuple stays as is
        try:
            found = [made[person.name] for person in people]
        except KeyError:  # someone not linked to yet on this page
            found = [made.get(person.name) or link(person) for person in people]
        return markdown.trusted_markup(", ".join(found))

    return person_url, person_links


def owner_url(root: str, slugs: dict[str, str]) -> Callable[[str], str | None]:
    """``owner_url(name)``: the page of an action's owner (``root``: the page's
    relative_root), or None when they never demoed and so have none."""
    def url(name: str) -> str | None:
        slug = slugs.get(person_key(name))
        return f"{root}people/{slug}/index.html" if slug is not None else None

    return url


@dataclass(frozen=True, slots=True)
class ArchiveJob:
    """One archive page, made on demand."""

    path: str
    make: Callable[[], Page]


def archive_jobs(renderer: Renderer, decks: list[Deck], *,
                 slugs: dict[str, str] | None = None,
                 search_parts: Sequence[search.DeckPart] | None = None,
                 ledger: actions.Ledger | None = None) -> list[ArchiveJob]:
    """Index, metrics, feed, people, search, actions and each person's page (``decks``
    newest first). What the pages are made from (everyone's profile, the metric series)
    is worked out only when one of them is made; ``slugs`` (each person's key and page
    slug, most demos first), ``search_parts`` (each deck's part of the search index) and
    ``ledger`` (actions.follow), when the caller knows them already, spare working them
    out to list the pages."""
    everyone = functools.cache(partial(people.profiles, decks))
    by_key = functools.cache(lambda: {p.key: p for p in everyone()})
    if slugs is None:
        slugs = {p.key: p.slug for p in everyone()}
    known = slugs

    parts = search_parts if search_parts is not None else [search.deck_part(d) for d in decks]
    ledger = (ledger if ledger is not None
              else actions.follow(decks, renderer.site.follow_actions_from))
    owned = ledger.open_by_owner()
    jobs = [
        ArchiveJob("index.html", lambda: renderer.archive_render(
            "index.html", "index.html", known, decks=tuple(decks))),
        ArchiveJob("metrics/index.html",
                   lambda: renderer.metrics_page(metrics.all_series(decks[::-1]))),
        ArchiveJob("feed.xml", lambda: renderer.feed(decks)),
        ArchiveJob("people/index.html", lambda: renderer.archive_render(
            "people.html", "people/index.html", known, people=everyone())),
        *(ArchiveJob(path, make) for path, _, make in search.jobs(decks, parts)),
        ArchiveJob(ACTIONS_PAGE, lambda: renderer.archive_render(
            "actions.html", ACTIONS_PAGE, known, ledger=ledger,
            owner_url=owner_url(relative_root(ACTIONS_PAGE), known))),
    ]
    for key, slug in slugs.items():
        path = f"people/{slug}/index.html"
        jobs.append(ArchiveJob(path, partial(_person_page, renderer, path, known, by_key,
                                             key, owned.get(key, ()), ledger)))
    return jobs


ACTIONS_PAGE = "actions/index.html"


def _person_page(renderer: Renderer, path: str, slugs: dict[str, str],
                 by_key: Callable[[], dict[str, people.Profile]], key: str,
                 open_actions: tuple[actions.Tracked, ...], ledger: actions.Ledger) -> Page:
    return renderer.archive_render("person.html", path, slugs, profile=by_key()[key],
                                   open_actions=open_actions, ledger=ledger)


@dataclass(frozen=True, slots=True)
class DeckContext:
    """What a deck page shows from other decks."""

    previous: Deck | None  # the deck before this one (for a project's own templates)
    metrics: tuple[metrics.MetricView, ...]
    # the earlier decks' actions open when it is presented, and those it closes
    follow_ups: tuple[actions.FollowUp, ...] = ()


def deck_context(decks: list[Deck], index: int, ledger: actions.Ledger) -> DeckContext:
    """Context of ``decks[index]`` (``decks`` newest first; ``ledger``: actions.follow's)."""
    history = decks[index:index + metrics.SPARK_DECKS][::-1]
    previous = decks[index + 1] if index + 1 < len(decks) else None
    return DeckContext(previous, metrics.deck_metrics(history), ledger.follow_ups[index])


class RetroMissing(Exception):
    def __init__(self, count: int) -> None:
        self.count = count


class ImageUnreadable(Exception):
    """An image that passed validation could not be read: reported at the deck line that
    names it (see decks.unreadable_image), not as a template error."""

    def __init__(self, asset: Asset, reason: str) -> None:
        super().__init__(f"{asset.rel}: {reason}")
        self.asset = asset
        self.reason = reason


def template_problem(site: SiteConfig, exc: BaseException) -> Problem:
    """A template error as a Problem pointing at the template file and line."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name = exc.name or exc.filename or "template"
        return Problem(theme.template_origin(site.root, name), exc.lineno, 0,
                       f"template syntax error: {exc.message}")
    if isinstance(exc, jinja2.TemplateNotFound):
        return Problem(f"templates/{exc.name}", 0, 0, "template not found")
    if isinstance(exc, RetroMissing):
        what = ("has no element with data-slide=\"retro\"" if exc.count == 0
                else f"has {exc.count} elements with data-slide=\"retro\"")
        return Problem(theme.template_origin(site.root, "deck.html"), 0, 0,
                       f"the deck template {what}; the retrospective slide is mandatory: keep "
                       "{% block retro_slide %} (or extend \"!theme/deck.html\")")
    where, line = _template_frame(site.root, exc)
    if isinstance(exc, RecursionError):
        return Problem(where, line, 0, "the template calls itself without end (a macro, "
                       "{% include %} or {% extends %} that leads back to itself)")
    if isinstance(exc, jinja2.TemplateError):
        return Problem(where, line, 0, f"template error: {exc}")
    return Problem(where, line, 0, f"the template failed: {str(exc) or type(exc).__name__}")


def from_template(site: SiteConfig, exc: Exception) -> bool:
    """Whether rendering failed because of a template: a Jinja error, or any other
    exception raised while code of the project's own ``templates/`` ran (``{{ 1/0 }}``,
    a macro calling itself). Any other is a bug of demodeck's, theme included."""
    if isinstance(exc, jinja2.TemplateError | RetroMissing):
        return True
    user = theme.user_dir(site.root)
    return any(user in Path(frame.f_code.co_filename).parents
               for frame, _ in traceback.walk_tb(exc.__traceback__))


def _template_frame(root: Path, exc: BaseException) -> tuple[str, int]:
    """Jinja rewrites tracebacks so template frames carry the template file and line."""
    builtin, user = theme.builtin_dir(), theme.user_dir(root)
    for frame, line in reversed(list(traceback.walk_tb(exc.__traceback__))):
        path = Path(frame.f_code.co_filename)
        if builtin in path.parents:
            return f"{{built-in theme}}/{path.relative_to(builtin).as_posix()}", line
        if user in path.parents:
            return path.relative_to(root).as_posix(), line
    return "templates", 0

