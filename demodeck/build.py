"""The pipeline: load → validate → render → write. The CLI and the preview server call this.

Everything is gathered and rendered in memory first; the output folder is
touched only when every deck and template rendered without a problem.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from demodeck import load, render, validate
from demodeck.errors import BuildError, Problem
from demodeck.model import Deck, SiteConfig
from demodeck.render import Page, Renderer
from demodeck.write import write_site


@dataclass(frozen=True, slots=True)
class BuildResult:
    out: Path
    decks: int
    slides: int
    pages: int
    seconds: float
    warnings: tuple[Problem, ...] = field(default=())

    def summary(self) -> str:
        return (f"Built {self.decks} deck{'s' if self.decks != 1 else ''}, "
                f"{self.slides} slides, {self.pages} files in {self.seconds:.2f} s → {self.out}")


def check_decks(site: SiteConfig) -> list[Deck]:
    """Load and validate every deck; raises BuildError with all problems at once."""
    problems: list[Problem] = []
    sources, found = load.discover(site.root.resolve(), site.decks_path)
    problems.extend(found)
    decks = validate.validate_decks(sources, site, problems)
    if not sources and not problems:
        problems.append(Problem(site.decks_dir, 0, 0,
                                "no decks found; create one with `demodeck new`"))
    if problems:
        raise BuildError(problems)
    return decks


def render_site(site: SiteConfig, decks: list[Deck]) -> list[Page]:
    """Every page, asset and image of the site, in memory; raises BuildError on template errors."""
    problems: list[Problem] = []
    try:
        renderer = Renderer(site)
    except (jinja2.TemplateError, OSError) as exc:
        raise BuildError([render.template_problem(site, exc)]) from exc
    pages: list[Page] = []
    for deck in decks:
        try:
            pages.append(renderer.deck_page(deck))
        except (jinja2.TemplateError, render.RetroMissing) as exc:
            problem = render.template_problem(site, exc)
            if problem not in problems:
                problems.append(problem)
    if not problems:
        try:
            pages.append(renderer.index_page(decks))
        except jinja2.TemplateError as exc:
            problems.append(render.template_problem(site, exc))
    if problems:
        raise BuildError(problems)
    return [*pages, *renderer.statics.values(), *renderer.images.values()]


def build(site: SiteConfig, *, out: Path | None = None) -> BuildResult:
    """Build the whole site into ``out`` (default: the configured output folder)."""
    started = time.perf_counter()
    target = out if out is not None else site.output_path
    decks = check_decks(site)
    pages = render_site(site, decks)
    write_site(target, pages)
    return BuildResult(out=target, decks=len(decks),
                       slides=sum(len(d.slides) for d in decks), pages=len(pages),
                       seconds=time.perf_counter() - started)
