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
    from demodeck.scaffold import init_project

    target = Path(args.folder)
    made = init_project(target, dt.date.today(), title=args.title)
    for path in made:
        print(f"created {path}")
    print(f"Next: cd {target} && demodeck build")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from demodeck.config import load_config
    from demodeck.scaffold import new_deck, next_demo_day

    site = load_config(_project(args))
    day = args.date or next_demo_day(dt.date.today(), site.demo_day)
    path = new_deck(site.decks_path, day)
    print(f"created {path.relative_to(site.root)}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from demodeck import slides as slide_plan
    from demodeck.check import check_decks
    from demodeck.config import load_config
    from demodeck.pool import default_jobs

    site = load_config(_project(args))
    jobs = args.jobs or default_jobs()
    decks = check_decks(site, jobs=jobs)
    checked = slide_plan.check(site, decks, jobs=jobs)  # warnings: the exit status stays 0
    for warning in checked.warnings:
        print(warning, file=sys.stderr)
    slides = checked.slides
    n = len(checked.warnings)
    found = f"{n} warning{'s' if n != 1 else ''}" if n else "no problems"
    print(f"OK: {len(decks)} deck{'s' if len(decks) != 1 else ''}, {slides} slides, {found}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from demodeck.build import build
    from demodeck.cache import BuildCache
    from demodeck.config import load_config
    from demodeck.pool import default_jobs

    site = load_config(_project(args), output_dir=args.out, base_url=args.base_url)
    cache = None if args.no_cache else BuildCache.for_project(site.root)
    result = build(site, cache=cache, jobs=args.jobs or default_jobs(),
                   self_contained=args.self_contained)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    print(result.summary())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from demodeck.serve import serve

    return serve(_project(args), host=args.host, port=args.port, open_browser=args.open)


def cmd_export(args: argparse.Namespace) -> int:
    from demodeck import outfile
    from demodeck.config import load_config
    from demodeck.export import made_by_export
    from demodeck.pipeline import export_deck

    site = load_config(_project(args))
    exported = export_deck(site, _deck_date(args))
    deck = exported.deck
    name = f"{deck.slug}.html"
    target = outfile.target(site, Path(args.output or name), command="export",
                            force=args.force, made=made_by_export, example=name)
    size = outfile.write(target, exported.write)
    print(f"wrote {target.shown} ({size / 1024:.0f} KB, {exported.slides} slides, "
          "self-contained)")
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


def cmd_schema(args: argparse.Namespace) -> int:
    from demodeck import scaffold

    if not args.write:
        print(scaffold.schema_text(args.kind), end="")
        return 0
    from demodeck.config import load_config

    site = load_config(_project(args))
    for path in scaffold.write_schemas(site.decks_path):
        print(f"wrote {path.relative_to(site.root)}")
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-30") from exc


def _port(text: str) -> int:
    port = int(text) if re.fullmatch(r"[0-9]{1,5}", text.strip()) else -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (0 to 65535; "
                                         "0 picks a free one)")
    return port


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="demodeck",
                                description="Weekly R&D demo decks from YAML.")
    p.add_argument("--version", action="version", version=f"demodeck {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-C", "--project", default=".", metavar="DIR",
                        help="project folder (where demodeck.yaml is); default: current")
    common.add_argument("--debug", action="store_true", help="show Python tracebacks")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, parents=[common], help=help, description=help)
        cmd.set_defaults(handler=handler)
        return cmd

    init = add("init", cmd_init, "create a new project folder with an example deck")
    init.add_argument("folder", help="folder to create (or an empty existing one)")
    init.add_argument("--title", default="R&D Weekly Demo", help="site title")
    new = add("new", cmd_new, "create decks/<next demo day>.yaml from a template")
    new.add_argument("--date", type=_date, help="deck date instead of the next demo day")
    check = add("check", cmd_check, "validate every deck and print every problem")
    check.add_argument("--jobs", "-j", type=int, metavar="N",
                       help="processes for many decks (default: one per core)")
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
    export = add("export", cmd_export, "write one deck as a single self-contained HTML file")
    export.add_argument("deck", nargs="?", help="deck date or file (default: the newest)")
    export.add_argument("-o", "--output", metavar="FILE",
                        help="output file (default: YYYY-MM-DD.html)")
    export.add_argument("--force", action="store_true",
                        help="replace a file that `demodeck export` did not write "
                             "(never one in the decks or templates folder)")
    pdf = add("pdf", cmd_pdf, "print one deck to PDF with headless Chromium, a slide a page")
    pdf.add_argument("deck", nargs="?", help="deck date or file (default: the newest)")
    pdf.add_argument("-o", "--out", metavar="FILE",
                     help="output file (default: YYYY-MM-DD.pdf)")
    pdf.add_argument("--force", action="store_true",
                     help="replace a file that `demodeck pdf` did not write "
                          "(never one in the decks or templates folder)")
    pdf.add_argument("--chromium", metavar="PATH",
                     help="Chromium or Chrome to print with (default: the first "
                          "chromium, chromium-browser or google-chrome on PATH)")
    serve = add("serve", cmd_serve, "preview the site, rebuilding and reloading on every save")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this computer only)")
    serve.add_argument("--port", type=_port, default=8000,
                       help="port to listen on (default: 8000; 0 picks a free one)")
    serve.add_argument("--open", action="store_true", help="open the preview in a browser")
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
    swap of the site holds all three back, see write._interrupts_held) instead of dying
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
