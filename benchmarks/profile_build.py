"""Where a demodeck build spends its time: one build in-process under cProfile.

    python benchmarks/profile_build.py [--decks 520] [--scenario cold|warm|changed]
        [--jobs 1] [--top 25]
    python benchmarks/run.py --profile               # the same, cold, N = 520

Generates the archive (benchmarks/generate.py) in a temporary folder and runs the
real command, ``demodeck build -C DIR --out OUT --jobs 1``, through
``demodeck.cli.main`` inside this process, so the profile covers exactly what the
CLI does. ``--jobs 1`` by default: cProfile only sees the process it runs in, and a
process pool would hide the work in its workers. ``cold`` removes the output
folder and ``.demodeck-cache/`` first; ``warm`` and ``changed`` prime the cache
with one unprofiled build (``changed`` then edits one demo in the newest deck).

Prints the top functions by cumulative and by own (total) time, a summary of the
pipeline's stages, and the heaviest imports of ``demodeck --version`` and of a
build. The raw profile is saved as ``benchmarks/out/profile-<scenario>-N.prof``
(open it with ``python -m pstats`` or snakeviz).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "out"
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

# (label, regex on "file:function") for the stage summary; cumulative seconds each.
STAGES = (
    ("CLI total (cli.main)", r"demodeck/cli\.py:main$"),
    ("import of demodeck modules and dependencies",
     r"<frozen importlib\._bootstrap>:_find_and_load$"),
    ("config (load_config)", r"demodeck/config\.py:load_config$"),
    ("cache load (BuildCache.for_project)", r"demodeck/cache\.py:for_project$"),
    ("discover + read deck files", r"demodeck/load\.py:discover$"),
    ("  YAML compose (compose_yaml)", r"demodeck/load\.py:compose_yaml$"),
    ("  of which yaml.compose (libyaml)", r"yaml/__init__\.py:compose$"),
    ("validate decks (validate)", r"demodeck/incremental/validating\.py:validate$"),
    ("  validate_deck", r"demodeck/validate\.py:validate_deck$"),
    ("render (render_all)", r"demodeck/incremental/rendering\.py:render_all$"),
    ("  deck pages (Renderer.deck_page)", r"demodeck/render\.py:deck_page$"),
    ("  archive pages (Renderer.archive_render)", r"demodeck/render\.py:archive_render$"),
    ("  Markdown block (render_block)", r"demodeck/markdown\.py:render_block$"),
    ("  Markdown inline (render_inline)", r"demodeck/markdown\.py:render_inline$"),
    ("  code highlighting (pygments.highlight)", r"pygments/__init__\.py:highlight$"),
    ("  template compile (Environment.compile)", r"jinja2/environment\.py:compile$"),
    ("link check (verify)", r"demodeck/incremental/links\.py:verify$"),
    ("write output (write_site)", r"demodeck/write\.py:write_site$"),
    ("cache save (BuildCache.save)", r"demodeck/cache\.py:save$"),
)


def _edit(deck: Path, line: str) -> None:
    text = deck.read_text(encoding="utf-8")
    deck.write_text(text.replace("why: |\n", f"why: |\n      {line}\n", 1), encoding="utf-8")


# Functions timed by the low-overhead pass: (module, attribute, label). Times are inclusive;
# indentation shows nesting. Names that do not exist (the code moves on) are skipped.
TIMED = (
    ("demodeck.incremental.cache", "BuildCache._load", "cache load"),
    ("demodeck.incremental.validating", "validate", "validate (validate)"),
    ("demodeck.load", "discover", "  find + read deck files (discover)"),
    ("demodeck.validate", "validate_deck", "  validate_deck (includes the parse)"),
    ("demodeck.load", "parse_yaml", "    YAML parse: compose + Raw tree (parse_yaml)"),
    ("demodeck.load", "compose_yaml", "      YAML compose (compose_yaml)"),
    ("demodeck.incremental.rendering", "render_all", "render (render_all)"),
    ("demodeck.pipeline", "deck_page", "  deck pages: plan, page and warnings"),
    ("demodeck.slides", "plan", "    plan of the slides (slides.plan)"),
    ("demodeck.markdown", "render_block", "    Markdown blocks"),
    ("demodeck.markdown", "render_inline", "    Markdown inline"),
    ("demodeck.markdown", "_highlight", "    code highlighting (inside Markdown blocks)"),
    ("demodeck.incremental.rendering", "_Shown.found",
     "  archive keys: each deck's part, in brief (from the cache)"),
    ("demodeck.incremental.rendering", "_archive",
     "  archive pages: index, people, metrics, feed"),
    ("demodeck.incremental.archive_keys", "from_parts", "    archive keys put together"),
    ("demodeck.render", "Renderer.archive_render", "    index, people and person pages"),
    ("demodeck.render", "Renderer.metrics_page", "    metrics page"),
    ("demodeck.render", "Renderer.feed", "    feed"),
    ("demodeck.incremental.links", "broken_links", "link check (broken_links)"),
    ("demodeck.write", "write_site", "write output (write_site)"),
    ("demodeck.incremental.cache", "BuildCache.save", "cache save"),
)


class Timers:
    """Wraps functions in demodeck's modules with a wall-clock accumulator."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.labels: list[str] = []
        self._undo: list[tuple[Any, str, Any]] = []

    def install(self) -> None:
        import importlib
        import inspect

        for module_name, attr, label in TIMED:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            owner: Any = module
            *path, name = attr.split(".")
            for part in path:
                owner = getattr(owner, part, None)
            if owner is None or not inspect.isfunction(inspect.getattr_static(owner, name,
                                                                                None)):
                continue
            original = getattr(owner, name) if owner is module else owner.__dict__[name]
            wrapped = self._wrap(original, label)
            self._set(owner, name, wrapped, original)
            if owner is module:  # also where other modules imported it by name
                for mod in list(sys.modules.values()):
                    if getattr(mod, "__name__", "").startswith("demodeck"):
                        for key, value in list(vars(mod).items()):
                            if value is original:
                                self._set(mod, key, wrapped, original)
            self.labels.append(label)

    def _set(self, owner: Any, name: str, value: Any, original: Any) -> None:
        setattr(owner, name, value)
        self._undo.append((owner, name, original))

    def uninstall(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()

    def _wrap(self, fn: Any, label: str) -> Any:
        seconds, calls, clock = self.seconds, self.calls, time.perf_counter

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds[label] = seconds.get(label, 0.0) + clock() - started
                calls[label] = calls.get(label, 0) + 1

        timed.__wrapped__ = fn  # type: ignore[attr-defined]
        return timed

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()


def stage_summary(stats: pstats.Stats) -> list[tuple[str, float, int]]:
    rows: list[tuple[str, float, int]] = []
    table = stats.stats  # type: ignore[attr-defined]
    for label, pattern in STAGES:
        rx = re.compile(pattern)
        cum, calls = 0.0, 0
        for (file, _line, func), (_cc, nc, _tt, ct, _callers) in table.items():
            if rx.search(f"{Path(file).as_posix()}:{func}"):
                cum += ct  # the same function at several lines is rare; recursion is not
                calls += nc
        if calls:
            rows.append((label, cum, calls))
    return rows


def import_times(code: str, top: int) -> list[tuple[float, str]]:
    """The modules with the largest cumulative import time for ``python -c code``."""
    res = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                         capture_output=True, text=True, check=False)
    rows: list[tuple[float, str]] = []
    for line in res.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m and len(m.group(3)) <= 3:  # top-level imports and their direct children
            rows.append((int(m.group(2)) / 1e6, m.group(3)[1:] + m.group(4)))
    rows.sort(reverse=True)
    return rows[:top]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--decks", type=int, default=520)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--scenario", choices=("cold", "warm", "changed"), default="cold")
    p.add_argument("--jobs", type=int, default=1,
                   help="processes for demodeck (default 1, so the profile sees all work)")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--live", action="store_true",
                   help="import the installed demodeck instead of a copy of demodeck/ and "
                        "templates/ taken at the start (others may be editing them)")
    args = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="demodeck-profile-"))
    if not args.live:
        from run import snapshot

        sys.path.insert(0, str(snapshot(work / "src")))
    from demodeck import cli

    timers = Timers()
    try:
        project, out = work / "demodeck", work / "out"
        print(f"generating {args.decks} decks in {project} ...", file=sys.stderr)
        generate(project, args.decks, args.seed)
        cmd = ["build", "-C", str(project), "--out", str(out), "--jobs", str(args.jobs)]
        newest = sorted((project / "decks").glob("*.yaml"))[-1]
        original = newest.read_text(encoding="utf-8")

        def prepare(edit: str) -> None:
            if args.scenario == "cold":
                shutil.rmtree(project / ".demodeck-cache", ignore_errors=True)
                shutil.rmtree(out, ignore_errors=True)
                return
            newest.write_text(original, encoding="utf-8")
            with redirect_stdout(io.StringIO()):
                cli.main(cmd)  # primes .demodeck-cache/ with the archive as generated
            if args.scenario == "changed":
                _edit(newest, edit)

        # Pass 1: wall-clock timers around the pipeline's stages (little overhead).
        # Installed before any build, so the Markdown parser and filters see the wrappers.
        import demodeck.pipeline  # noqa: F401 - the CLI imports it lazily; the timers need it

        timers.install()
        prepare("Edited for the timers.")
        timers.reset()
        started = time.perf_counter()
        with redirect_stdout(io.StringIO()) as said_timed:
            status = cli.main(cmd)
        timed_wall = time.perf_counter() - started
        timers.uninstall()
        if status != 0:
            print(f"demodeck build failed (status {status}):\n{said_timed.getvalue()}",
                  file=sys.stderr)
            return 1

        # Pass 2: cProfile (every function, much more overhead).
        prepare("Edited for the profile.")
        profiler = cProfile.Profile()
        started = time.perf_counter()
        with redirect_stdout(io.StringIO()) as said:
            status = profiler.runcall(cli.main, cmd)
        wall = time.perf_counter() - started
        if status != 0:
            print(f"demodeck build failed (status {status}):\n{said.getvalue()}",
                  file=sys.stderr)
            return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)

    OUT_DIR.mkdir(exist_ok=True)
    prof = OUT_DIR / f"profile-{args.scenario}-{args.decks}.prof"
    profiler.dump_stats(prof)
    print(f"## Profile: {args.scenario} build, N = {args.decks} decks, --jobs {args.jobs}\n")
    print("### Stages, timed without the profiler (wall clock, inclusive)\n")
    print(f"{said_timed.getvalue().strip()}\n")
    print("| stage | seconds | share | calls |\n| --- | ---: | ---: | ---: |")
    print(f"| whole command (cli.main) | {timed_wall:.2f} | 100% | 1 |")
    for label in timers.labels:
        if label in timers.calls:
            sec = timers.seconds[label]
            print(f"| {label} | {sec:.2f} | {sec / timed_wall:.0%} | {timers.calls[label]:,} |")
    print(f"\n### cProfile\n\n{said.getvalue().strip()}\nWall time under cProfile: {wall:.2f} s "
          f"({wall / timed_wall:.1f}× the timed pass: cProfile inflates code that makes many "
          "small calls, such as the Markdown parser, more than C code; read shares with "
          "care).\n")
    stats = pstats.Stats(profiler)
    rows = stage_summary(stats)
    total = max(rows[0][1] if rows else wall, 1e-9)  # cli.main's cumulative time is 100%
    rendered = sum(v[1] for k, v in stats.stats.items()  # type: ignore[attr-defined]
                   if k[2] == "deck_page" and k[0].endswith("render.py"))
    print(f"Deck pages rendered in this build (not taken from the cache): {rendered}.\n")
    print("#### Stages under cProfile (cumulative seconds; indented rows are inside the row "
          "above)\n")
    print("| stage | seconds | share | calls |\n| --- | ---: | ---: | ---: |")
    for label, cum, calls in rows:
        print(f"| {label} | {cum:.2f} | {cum / total:.0%} | {calls:,} |")
    for key, title in (("cumulative", "cumulative time"), ("tottime", "own (total) time")):
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).strip_dirs().sort_stats(key).print_stats(args.top)
        body = buf.getvalue()
        body = body[body.find("   ncalls"):] if "   ncalls" in body else body
        print(f"\n#### Top {args.top} by {title}\n\n```\n{body.rstrip()}\n```")
    print("\n### Heaviest imports (python -X importtime, cumulative)\n")
    for what, code in (("`demodeck --version`", "import demodeck.cli"),
                       ("a build (demodeck.build + cache)",
                        "import demodeck.cli, demodeck.build, demodeck.incremental.cache, "
                        "demodeck.config, demodeck.markdown")):
        print(f"{what}:\n")
        for seconds, name in import_times(code, 12):
            print(f"    {seconds * 1000:7.1f} ms  {name}")
        print()
    print(f"raw profile: {prof}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
