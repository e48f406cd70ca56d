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

from demodeck import __version__
from demodeck.commands import (
    cmd_announce,
    cmd_build,
    cmd_check,
    cmd_export,
    cmd_init,
    cmd_new,
    cmd_pdf,
    cmd_schema,
    cmd_serve,
    project,
)

Handler = Callable[[argparse.Namespace], int]


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


def _deck_to_file(cmd: argparse.ArgumentParser, name: str, suffix: str) -> None:
    """What export and pdf share: the deck, -o/--out FILE (--output, export's old name,
    still works) and --force."""
    from demodeck.scaffold import EXPORTS_DIR

    cmd.add_argument("deck", nargs="?", help="deck date or file (default: the newest)")
    cmd.add_argument("-o", "--out", metavar="FILE",
                     help=f"output file (default: {EXPORTS_DIR}/YYYY-MM-DD.{suffix} in the "
                          "project, a folder `demodeck init` git-ignores)")
    cmd.add_argument("--output", dest="out", help=argparse.SUPPRESS)
    cmd.add_argument("--force", action="store_true",
                     help=f"replace a file that `demodeck {name}` did not write "
                          "(never one in the decks or templates folder)")


def _cache_options(cmd: argparse.ArgumentParser) -> None:
    """--jobs and --no-cache of the commands that validate the decks as a build does."""
    cmd.add_argument("--jobs", "-j", type=int, metavar="N",
                     help="processes for many decks (default: one per core)")
    cmd.add_argument("--no-cache", action="store_true",
                     help="ignore and do not write .demodeck-cache/")


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
    check = add("check", cmd_check, "validate every deck, render every page and check its "
                                    "links, writing nothing; print every problem")
    check.add_argument("--jobs", "-j", type=int, metavar="N",
                       help="processes for many decks (default: one per core)")
    check.add_argument("--no-cache", action="store_true",
                       help="ignore and do not write .demodeck-cache/")
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
    _deck_to_file(export, "export", "html")
    _cache_options(export)
    export.add_argument("--inline-video-mb", type=_megabytes, metavar="MB", default=10,
                        help="inline a demo's video up to this size; a larger one is "
                             "written into a folder beside the page (default: 10; 0: never inline)")
    pdf = add("pdf", cmd_pdf, "print one deck to PDF with headless Chromium, a slide a page")
    _deck_to_file(pdf, "pdf", "pdf")
    _cache_options(pdf)
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
    _cache_options(announce)
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
    swap of the site holds all three back, see swap.interrupts_held) instead of dying
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
        if isinstance(exc, OSError) and (message := os_error_message(exc, project(args))):
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
