"""The `demodeck` command: a thin shell over build(), check and the scaffolding.

Heavy modules are imported inside each command so `demodeck --version` stays fast.
Every DemodeckError becomes a clean message on stderr and exit status 1; only
``--debug`` shows a Python traceback. SIGTERM and SIGHUP stop a command as Ctrl-C does,
with a message and status 128 + the signal's number. The program itself (the console script,
``python -m demodeck``) is :func:`run`; tests and other Python code call :func:`main`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from demodeck import __version__

Handler = Callable[[argparse.Namespace], int]


def _project(args: argparse.Namespace) -> Path:
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

    site = load_config(_project(args))
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
    from demodeck.config import load_config
    from demodeck.incremental.pool import default_jobs
    from demodeck.incremental.seam import for_check

    site = load_config(_project(args))
    speed = for_check(args.jobs or default_jobs())
    decks = speed.validate(site, speed.discover(site))
    looked = speed.warn(site, decks)  # the exit status stays 0 unless --strict
    warnings = looked.warnings
    for warning in warnings:
        print(warning, file=sys.stderr)
    slides = looked.slides
    n = len(warnings)
    found = f"{n} warning{'s' if n != 1 else ''}" if n else "no problems"
    checked = f"{len(decks)} deck{'s' if len(decks) != 1 else ''}, {slides} slides"
    if n and args.strict:  # CI and pre-commit: a slide too crowded to read fails the check
        print(f"error: {checked}, {found}, which --strict makes errors", file=sys.stderr)
        return 1
    print(f"OK: {checked}, {found}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from demodeck.build import build
    from demodeck.config import load_config
    from demodeck.incremental.cache import BuildCache
    from demodeck.incremental.pool import default_jobs
    from demodeck.write import interrupts_held

    site = load_config(_project(args), output_dir=args.out, base_url=args.base_url)
    cache = None if args.no_cache else BuildCache.for_project(site.root)
    result = build(site, cache=cache, jobs=args.jobs or default_jobs(),
                   self_contained=args.self_contained, strict=args.strict)
    with interrupts_held():  # the site is built: a stop now would change nothing
        for warning in result.warnings:
            print(warning, file=sys.stderr)
        print(result.summary())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from demodeck.serve import serve

    return serve(_project(args), host=args.host, port=args.port, open_browser=args.open,
                 strict=args.strict)


def cmd_export(args: argparse.Namespace) -> int:
    from demodeck import outfile
    from demodeck.config import load_config
    from demodeck.export import made_by_export, place_videos
    from demodeck.pipeline import export_deck

    site = load_config(_project(args))
    exported = export_deck(site, _deck_date(args))
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
    from demodeck.config import load_config
    from demodeck.pdf import deck_pdf

    site = load_config(_project(args))
    result = deck_pdf(site, _deck_date(args), out=Path(args.out) if args.out else None,
                      chromium=args.chromium, force=args.force)
    slides = result.slides
    print(f"wrote {result.out} ({result.size / 1024:.0f} KB, {result.pages} pages "
          f"for {slides} slides)")
    if result.pages != slides:
        print(f"warning: {result.pages - slides} slide(s) ran onto a continuation page; "
              "`demodeck check` names the demos that are too long", file=sys.stderr)
    return 0


def cmd_announce(args: argparse.Namespace) -> int:
    from demodeck import announce
    from demodeck.config import load_config
    from demodeck.decks import validate_all

    site = load_config(_project(args), base_url=args.base_url)
    deck = announce.pick_deck(validate_all(site), _deck_date(args), dt.date.today())
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

    site = load_config(_project(args))
    written = scaffold.write_schemas(site.decks_path)
    decks = site.decks_dir
    uses = (f"{decks}/YYYY-MM-DD.yaml", f"deck.yaml in a folder {decks}/YYYY-MM-DD/",
            "each demo file in such a folder")
    for path, use in zip(scaffold.schema_paths(site.decks_path), uses, strict=True):
        done = "wrote" if path in written else "up to date:"
        print(f"{done} {path.relative_to(site.root)} (the JSON Schema of {use})")
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-30") from exc


def _megabytes(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,6}", text.strip()):
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of megabytes")
    return int(text)


def _port(text: str) -> int:
    port = int(text) if re.fullmatch(r"[0-9]{1,5}", text.strip()) else -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (0 to 65535; "
                                         "0 picks a free one)")
    return port


def cmd_help(args: argparse.Namespace) -> int:
    """Bare ``demodeck``: the list of commands, as ``demodeck --help`` prints it."""
    parser().print_help()
    return 0


def _global_options(p: argparse.ArgumentParser, *, default: bool) -> None:
    """-C and --debug, which go before the command (as git takes them) or after it.

    The copy each command's parser gets has no default (SUPPRESS), so that an option not
    repeated after the command keeps the value given before it."""
    unset = argparse.SUPPRESS
    p.add_argument("-C", "--project", default="." if default else unset, metavar="DIR",
                   help="project folder (where demodeck.yaml is); default: current")
    p.add_argument("--debug", action="store_true", default=False if default else unset,
                   help="show Python tracebacks")


def _out_option(cmd: argparse.ArgumentParser, suffix: str) -> None:
    """export's and pdf's -o/--out FILE (--output, export's old name, still works)."""
    from demodeck.scaffold import EXPORTS_DIR

    cmd.add_argument("-o", "--out", metavar="FILE",
                     help=f"output file (default: {EXPORTS_DIR}/YYYY-MM-DD.{suffix} in the "
                          "project, a folder `demodeck init` git-ignores)")
    cmd.add_argument("--output", dest="out", help=argparse.SUPPRESS)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="demodeck",
                                description="Weekly R&D demo decks from YAML.")
    p.add_argument("--version", action="version", version=f"demodeck {__version__}")
    _global_options(p, default=True)
    p.set_defaults(handler=cmd_help)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, default=False)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, parents=[common], help=help, description=help)
        cmd.set_defaults(handler=handler)
        return cmd

    init = add("init", cmd_init, "create a new project folder with an example deck")
    init.add_argument("folder", help="folder to create, or an existing one to add a project "
                                     "to (nothing in it is replaced)")
    init.add_argument("--title", default="R&D Weekly Demo", help="site title")
    init.add_argument("--ci", choices=["github", "gitlab"],
                      help="also write a CI file that runs `demodeck check --strict` on every "
                           "push and publishes the site to GitHub or GitLab Pages (in an "
                           "existing project: only that file)")
    new = add("new", cmd_new, "create decks/<next demo day>.yaml from a template (the "
                              "next demo day without a deck)")
    new.add_argument("--date", type=_date, help="deck date instead of the next demo day")
    check = add("check", cmd_check, "validate every deck and print every problem")
    check.add_argument("--jobs", "-j", type=int, metavar="N",
                       help="processes for many decks (default: one per core)")
    check.add_argument("--strict", action="store_true",
                       help="treat warnings as errors: exit 1 if there are any (for CI)")
    build = add("build", cmd_build, "render the site (every deck and the index)")
    build.add_argument("--out", metavar="DIR", help="output folder (default: site)")
    build.add_argument("--base-url", metavar="URL",
                       help="absolute URL the site is published at")
    build.add_argument("--jobs", "-j", type=int, metavar="N",
                       help="processes for large builds (default: one per core)")
    build.add_argument("--no-cache", action="store_true",
                       help="ignore and do not write .demodeck-cache/")
    build.add_argument("--self-contained", action="store_true",
                       help="inline CSS, JS and images into every page (one file per deck)")
    build.add_argument("--strict", action="store_true",
                       help="treat warnings as errors: exit 1 and write nothing if there are "
                            "any (for CI)")
    export = add("export", cmd_export, "write one deck as a single self-contained HTML file")
    export.add_argument("deck", nargs="?", help="deck date or file (default: the newest)")
    _out_option(export, "html")
    export.add_argument("--force", action="store_true",
                        help="replace a file that `demodeck export` did not write "
                             "(never one in the decks or templates folder)")
    export.add_argument("--inline-video-mb", type=_megabytes, metavar="MB", default=10,
                        help="inline a demo's video up to this size; a larger one is "
                             "written into a folder beside the page (default: 10; 0: never inline)")
    pdf = add("pdf", cmd_pdf, "print one deck to PDF with headless Chromium, a slide a page")
    pdf.add_argument("deck", nargs="?", help="deck date or file (default: the newest)")
    _out_option(pdf, "pdf")
    pdf.add_argument("--force", action="store_true",
                     help="replace a file that `demodeck pdf` did not write "
                          "(never one in the decks or templates folder)")
    pdf.add_argument("--chromium", metavar="PATH",
                     help="Chromium, Chrome or Edge to print with (default: the first "
                          "on PATH, else where macOS or Windows installs them)")
    announce = add("announce", cmd_announce, "print the chat message that announces a "
                                             "deck: date, agenda, total time and link")
    announce.add_argument("deck", nargs="?",
                          help="deck date or file (default: the next deck on or after "
                               "today, else the newest)")
    announce.add_argument("--format", choices=["markdown", "text"], default="markdown",
                          help="Markdown for Slack, Teams or Mattermost (default), or plain "
                               "text")
    announce.add_argument("--base-url", metavar="URL",
                          help="absolute URL the site is published at (default: base_url "
                               "in demodeck.yaml)")
    serve = add("serve", cmd_serve, "preview the site, rebuilding and reloading on every save")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this computer only)")
    serve.add_argument("--port", type=_port, default=8000,
                       help="port to listen on (default: 8000; 0 picks a free one)")
    serve.add_argument("--open", action="store_true", help="open the preview in a browser")
    serve.add_argument("--strict", action="store_true",
                       help="treat warnings as errors: the preview shows them as errors "
                            "and keeps serving the last build that had none")
    schema = add("schema", cmd_schema, "print the JSON Schema of the deck format")
    schema.add_argument("--kind", choices=["deck", "folder", "demo"], default="deck",
                        help="deck file (default), a folder's deck.yaml, or one demo file")
    schema.add_argument("--write", action="store_true",
                        help="write all three into <decks>/schema/ for editors")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return _command(parser().parse_args(argv))


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, which stop a command as Ctrl-C does (see _stopped_by_signals)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)  # the argument pickles it (from a pool worker)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Stopped` meanwhile, so that a command stopped by
    a service manager, a CI runner or a closed terminal cleans up as after Ctrl-C (the
    swap of the site holds all three back, see write.interrupts_held) instead of dying
    on the spot. A signal ignored by whoever started us (``nohup``) stays ignored."""
    replaced = []
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is signal.SIG_DFL:
            try:
                signal.signal(sig, _stop)
            except ValueError:  # not the main thread: signals are not ours to handle
                continue
            replaced.append(sig)
    try:
        yield
    finally:
        for sig in replaced:
            signal.signal(sig, signal.SIG_DFL)


def _command(args: argparse.Namespace) -> int:
    from demodeck.errors import BuildError, DemodeckError, os_error_message

    try:
        with _stopped_by_signals():
            return int(args.handler(args))
    except BuildError as exc:
        if args.debug:
            raise
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        n = len(exc.problems)
        print(f"error: {n} problem{'s' if n != 1 else ''} found; nothing was written",
              file=sys.stderr)
        return 1
    except DemodeckError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Stopped as exc:
        print(f"stopped by {signal.Signals(exc.signum).name}; nothing was changed",
              file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("interrupted; nothing was changed", file=sys.stderr)
        return 130
    except BrokenPipeError:  # what read our output stopped reading (`demodeck … | head`)
        return _stdout_gone()
    except Exception as exc:  # a bug in demodeck: still no traceback unless asked
        if args.debug:
            raise
        if isinstance(exc, OSError) and (message := os_error_message(exc, _project(args))):
            print(f"error: {message}", file=sys.stderr)  # a file the system refused us
            return 1
        print(f"internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in demodeck; run again with --debug and report the traceback.",
              file=sys.stderr)
        return 1


def run() -> int:
    """The `demodeck` program (the console script, ``python -m demodeck``): main()'s
    command, and its status for the interpreter to exit with.

    Output to a pipe is buffered until the end: it is flushed here, so that a reader that
    went away (`demodeck build | head -0`) ends the program quietly with status 141 (see
    _stdout_gone) instead of with Python's message at exit."""
    status = main()
    try:
        if sys.stdout is not None:  # None: the process was started without it
            sys.stdout.flush()
    except BrokenPipeError:
        return _stdout_gone()
    except (OSError, ValueError):  # a full disk, a closed stream: Python reports it at exit
        pass
    return status


def _stdout_gone() -> int:
    """The reader of our output went away: end quietly, as a command killed by SIGPIPE
    does (status 141), instead of with Python's "Exception ignored … BrokenPipeError"."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # what is still buffered goes nowhere
    return 141
