"""What each `demodeck` command does, once :mod:`demodeck.cli` has read its arguments.

Each ``cmd_*`` takes the parsed arguments and returns the exit status; it imports what
it needs when it runs (so that ``demodeck --version`` stays fast) and lets a
DemodeckError out for the CLI to print.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from demodeck.incremental.cache import BuildCache


def project(args: argparse.Namespace) -> Path:
    return Path(args.project).absolute()


def _deck_date(args: argparse.Namespace) -> str | None:
    """The DECK argument of export/pdf (a date, or a deck file or folder) as a date."""
    if not args.deck:
        return None
    name = Path(args.deck).name
    return re.sub(r"\.ya?ml$", "", name, flags=re.IGNORECASE)


def cmd_init(args: argparse.Namespace) -> int:
    import shlex

    from demodeck.scaffold import init_project, is_project

    target = Path(args.project) / args.folder  # -C DIR: the folder is taken from there
    spec = ""
    if args.ci:
        from demodeck.ci import PLATFORMS, detected_spec, write_ci

        spec = detected_spec()
        if is_project(target):  # an existing project: only the CI file is added
            for line in write_ci(target, args.ci, spec):
                print(line)
            print(f"Next: commit {target / PLATFORMS[args.ci].path} and push")
            return 0
    for line in init_project(target, dt.date.today(), title=args.title, ci=args.ci,
                             spec=spec):
        print(line)
    here = target.resolve() == Path.cwd().resolve()
    print("Next: demodeck build" if here else f"Next: cd {shlex.quote(str(target))} && "
          "demodeck build")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from demodeck.config import load_config
    from demodeck.scaffold import new_deck, next_free_demo_day

    site = load_config(project(args))
    taken: list[Path] = []
    if args.date:
        day = args.date
    else:
        day, taken = next_free_demo_day(site.decks_path, dt.date.today(), site.demo_day)
    path = new_deck(site.decks_path, day)
    note = ""
    if taken:
        first = taken[0].relative_to(site.root)
        note = (f" ({first} already exists)" if len(taken) == 1 else
                f" ({first} and {len(taken) - 1} more demo days already have a deck)")
    print(f"created {path.relative_to(site.root)}{note}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from demodeck.build import check
    from demodeck.config import load_config

    site = load_config(project(args))
    cache, jobs = _speed(args, site.root)
    looked = check(site, cache=cache, jobs=jobs)  # the exit status is 0 unless --strict
    warnings = looked.warnings
    for warning in warnings:
        print(warning, file=sys.stderr)
    slides, decks = looked.slides, looked.decks
    n = len(warnings)
    found = f"{n} warning{'s' if n != 1 else ''}" if n else "no problems"
    checked = f"{decks} deck{'s' if decks != 1 else ''}, {slides} slides"
    if n and args.strict:  # CI and pre-commit: a slide too crowded to read fails the check
        print(f"error: {checked}, {found}, which --strict makes errors", file=sys.stderr)
        return 1
    print(f"OK: {checked}, {found}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from demodeck.build import build
    from demodeck.config import load_config
    from demodeck.swap import interrupts_held

    site = load_config(project(args), output_dir=args.out, base_url=args.base_url)
    cache, jobs = _speed(args, site.root)
    result = build(site, cache=cache, jobs=jobs, self_contained=args.self_contained,
                   strict=args.strict)
    with interrupts_held():  # the site is built: a stop now would change nothing
        for warning in result.warnings:
            print(warning, file=sys.stderr)
        print(result.summary())
    return 0


def _speed(args: argparse.Namespace, root: Path) -> tuple[BuildCache | None, int]:
    """The build cache and the processes that ``--no-cache`` and ``--jobs`` ask for."""
    from demodeck.incremental.cache import BuildCache
    from demodeck.incremental.pool import default_jobs

    return None if args.no_cache else BuildCache.for_project(root), args.jobs or default_jobs()


def cmd_serve(args: argparse.Namespace) -> int:
    from demodeck.serve import serve

    return serve(project(args), host=args.host, port=args.port, open_browser=args.open,
                 strict=args.strict)


def cmd_export(args: argparse.Namespace) -> int:
    from demodeck import outfile
    from demodeck.build import export
    from demodeck.config import load_config
    from demodeck.export import made_by_export, place_videos

    site = load_config(project(args))
    cache, jobs = _speed(args, site.root)
    exported = export(site, _deck_date(args), cache=cache, jobs=jobs)
    deck = exported.deck
    name = f"{deck.slug}.html"
    out = Path(args.out) if args.out else outfile.default(site, name)
    target = outfile.target(site, out, command="export", force=args.force,
                            made=made_by_export, example=name)
    videos = place_videos(exported.videos, target.shown, args.inline_video_mb)  # first
    size = outfile.write(target, lambda f: exported.write(f, videos=videos.beside))
    print(f"wrote {target.shown} ({size / 1024:.0f} KB, {exported.slides} slides, "
          + ("self-contained)" if not videos.beside else
             f"{len(videos.beside)} video{'s' if len(videos.beside) > 1 else ''} in "
             f"{target.shown.stem}.files/ beside it)"))
    for line in videos.lines:
        print(line)
    return 0


def cmd_pdf(args: argparse.Namespace) -> int:
    from functools import partial

    from demodeck.build import export
    from demodeck.config import load_config
    from demodeck.pdf import deck_pdf

    site = load_config(project(args))
    cache, jobs = _speed(args, site.root)
    result = deck_pdf(site, _deck_date(args), out=Path(args.out) if args.out else None,
                      chromium=args.chromium, force=args.force,
                      exporter=partial(export, cache=cache, jobs=jobs))
    slides = result.slides
    print(f"wrote {result.out} ({result.size / 1024:.0f} KB, {result.pages} pages "
          f"for {slides} slides)")
    if result.pages != slides:
        print(f"warning: {result.pages - slides} slide(s) ran onto a continuation page; "
              "`demodeck check` names the demos that are too long", file=sys.stderr)
    return 0


def cmd_announce(args: argparse.Namespace) -> int:
    from demodeck import announce
    from demodeck.build import validated
    from demodeck.config import load_config

    site = load_config(project(args), base_url=args.base_url)
    cache, jobs = _speed(args, site.root)
    decks = validated(site, cache=cache, jobs=jobs)
    deck = announce.pick_deck(decks, _deck_date(args), dt.date.today())
    link = announce.deck_link(site, deck)
    print(announce.message(deck, link, args.format), end="")
    if not link.absolute:
        print("note: the deck's link is a file in this project; set base_url in "
              "demodeck.yaml (or pass --base-url) for one the team can open", file=sys.stderr)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from demodeck import scaffold

    if not args.write:
        print(scaffold.schema_text(args.kind), end="")
        return 0
    from demodeck.config import load_config

    site = load_config(project(args))
    written = scaffold.write_schemas(site.decks_path)
    decks = site.decks_dir
    uses = (f"{decks}/YYYY-MM-DD.yaml", f"deck.yaml in a folder {decks}/YYYY-MM-DD/",
            "each demo file in such a folder")
    for path, use in zip(scaffold.schema_paths(site.decks_path), uses, strict=True):
        done = "wrote" if path in written else "up to date:"
        print(f"{done} {path.relative_to(site.root)} (the JSON Schema of {use})")
    return 0
