"""The demodeck benchmark (issue 6): demodeck against Hugo and MkDocs on the same archive.

    python benchmarks/run.py [--decks 52,520] [--runs 5] [--seed 42] [--python PATH]
    python benchmarks/run.py --profile [--decks 520]      # cProfile of one cold build

For each archive size N it writes N weekly decks × 12 demos (benchmarks/generate.py)
into a temporary folder, as a demodeck project, a MkDocs project and a Hugo site,
then times, as medians of ``--runs`` runs (at least 5 for a result):

* demodeck cold full build: a fresh output folder and no ``.demodeck-cache/``;
* demodeck warm rebuild with nothing changed (the cache from the last cold build);
* demodeck rebuild after one demo changed (one line of one deck file edited);
* peak memory of every build: the kernel's max RSS of the child (``wait4``) and the
  whole process tree's PSS sampled every 20 ms (catches a process pool);
* ``demodeck --version`` startup (and a bare ``python -c pass`` for reference);
* Hugo and MkDocs cold builds of the same content, when installed (skipped with a
  message otherwise).

Every tool runs as a subprocess; each kind of run is preceded by one untimed run so
the OS file cache is warm for everyone. Cold runs of the three tools are interleaved
so a noisy neighbour slows them alike. The Markdown table is printed and saved with
every raw number as JSON in ``benchmarks/out/`` (gitignored). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT_DIR = HERE / "out"
sys.path.insert(0, str(HERE))

from generate import DEMOS_PER_DECK, generate  # noqa: E402

CACHE_DIR = ".demodeck-cache"  # where demodeck keeps its persistent cache, in the project
TARGETS = {  # issue 6, at N = 520; the cold build's since issue 20 (was 1.5)
    "cold_vs_hugo": 2.0, "cold_vs_mkdocs": 0.2, "warm_vs_hugo": 0.25,
    "changed_vs_hugo": 0.3, "peak_mb": 300.0, "version_ms": 150.0,
}


# -- running one command -------------------------------------------------------------------

@dataclass
class Run:
    seconds: float
    maxrss_mb: float  # kernel's ru_maxrss of the child (largest process incl. waited children)
    tree_mb: float  # peak of the summed PSS of the child and all its descendants (sampled)
    returncode: int = 0
    cpu_seconds: float = 0.0  # user + sys of the child and its waited-for descendants
    said: str = ""  # the last line the command printed (demodeck's build summary)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        with contextlib.suppress(OSError, ValueError), \
                open(f"/proc/{pid}/task/{tid}/children") as f:
            out.extend(int(x) for x in f.read().split())
    return out


def _memory_kb(pid: int) -> int:
    """PSS of one process (RSS where smaps_rollup is unavailable), in KiB."""
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            with open(f"/proc/{pid}/{name}") as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1])
        except OSError:
            continue
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed memory of a process tree until stopped; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            total, todo, seen = 0, [self.pid], set()
            while todo:
                pid = todo.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                total += _memory_kb(pid)
                todo.extend(_children(pid))
            self.peak_kb = max(self.peak_kb, total)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_command(cmd: list[str], *, cwd: Path | None = None, log: Path,
                sample: bool = True) -> Run:
    """Run ``cmd`` to completion; wall time, max RSS (wait4) and sampled tree memory."""
    if cmd[:3] == [PYTHON, "-m", "demodeck"]:
        env, cwd = DEMODECK_ENV, cwd or DEMODECK_CWD
    else:
        env = None
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env)
        sampler = TreeSampler(proc.pid) if sample else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        if sampler:
            sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return Run(seconds=seconds, maxrss_mb=usage.ru_maxrss / 1024,
               tree_mb=(sampler.peak_kb / 1024 if sampler else 0.0),
               returncode=proc.returncode, cpu_seconds=usage.ru_utime + usage.ru_stime,
               said=lines[-1][:300] if lines else "")


class ToolFailed(Exception):
    pass


def checked(run: Run, what: str, log: Path) -> Run:
    if run.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise ToolFailed(f"{what} exited with status {run.returncode}:\n{tail}")
    return run


# -- the tools -----------------------------------------------------------------------------

PYTHON = sys.executable  # the interpreter that runs demodeck (--python)
DEMODECK_ENV: dict[str, str] | None = None  # set by use_snapshot()
DEMODECK_CWD: Path | None = None  # `python -m` puts the working folder first on sys.path


def snapshot(dest: Path) -> Path:
    """Copy the checkout's demodeck/ and templates/ to ``dest``: the version measured.

    Others may edit the working tree while a benchmark runs; a copy taken at the start
    keeps every run of one benchmark on the same code and templates.
    """
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("demodeck", "templates"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, dest / name, ignore=ignore)
    # Byte-compiled, as `pip install` leaves an installed package: with
    # PYTHONDONTWRITEBYTECODE set (it is on the project's machines) every run would
    # otherwise compile demodeck's modules from source, which no installed copy does.
    compileall.compile_dir(str(dest / "demodeck"), quiet=1)
    return dest


def use_snapshot(src: Path) -> None:
    """Make demodeck subprocesses import from ``src`` (it comes before site-packages)."""
    global DEMODECK_ENV, DEMODECK_CWD
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    DEMODECK_ENV, DEMODECK_CWD = env, src
    probe = subprocess.run([PYTHON, "-c", "import demodeck; print(demodeck.__file__)"],
                           env=env, cwd=src, capture_output=True, text=True, check=False)
    if not probe.stdout.strip().startswith(str(src)):
        raise SystemExit(f"could not import demodeck from {src}: {probe.stdout}{probe.stderr}")


def demodeck_cmd(*args: str) -> list[str]:
    return [PYTHON, "-m", "demodeck", *args]


def hugo_cmd(site: Path, dest: Path) -> list[str] | None:
    hugo = shutil.which("hugo")
    return [hugo, "--quiet", "--source", str(site), "--destination", str(dest)] if hugo else None


def mkdocs_cmd(project: Path, dest: Path) -> list[str] | None:
    import importlib.util

    if importlib.util.find_spec("mkdocs") is None:
        return None
    return [sys.executable, "-m", "mkdocs", "build", "--quiet", "--config-file",
            str(project / "mkdocs.yml"), "--site-dir", str(dest)]


def tool_version(cmd: list[str]) -> str:
    ours = cmd[:3] == [PYTHON, "-m", "demodeck"]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False,
                             env=DEMODECK_ENV if ours else None,
                             cwd=DEMODECK_CWD if ours else None)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (res.stdout or res.stderr).strip().splitlines()[0] if res.returncode == 0 else "?"


def tree_digest(folder: Path) -> str:
    """One hash over every file's path and bytes: equal digests mean byte-identical sites."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def rm(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def edit_line(original: str, run: int) -> str:
    """The deck text with its first demo's ``why`` changed (a new word per run)."""
    lines = original.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == "why: |":
            lines[i + 1] += f" Edited in benchmark run {run}."
            return "\n".join(lines)
    raise ValueError("no 'why: |' block in the deck to edit")


# -- one archive size ----------------------------------------------------------------------

@dataclass
class SizeResult:
    decks: int
    demos: int
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def add(self, key: str, run: Run) -> None:
        self.runs.setdefault(key, []).append(asdict(run))

    def median(self, key: str, what: str = "seconds") -> float | None:
        rows = self.runs.get(key)
        return statistics.median(r[what] for r in rows) if rows else None


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def bench_size(n: int, runs: int, seed: int, work: Path, *, change: str,
               hugo: bool, mkdocs: bool) -> SizeResult:
    res = SizeResult(decks=n, demos=n * DEMOS_PER_DECK, load_before=os.getloadavg())
    project, mk_src, hugo_src = work / "demodeck", work / "mkdocs", work / "hugo"
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    say(f"\n== N = {n} decks: generating in {work} ...")
    generate(project, n, seed, mkdocs=mk_src if mkdocs else None,
             hugo=hugo_src if hugo else None, verify=True)

    log = logs / "check.log"
    checked(run_command(demodeck_cmd("check", "-C", str(project)), log=log, sample=False),
            "demodeck check", log)
    res.checks["demodeck_check"] = log.read_text().strip()
    say(f"   {res.checks['demodeck_check']}")

    out = work / "out-demodeck"
    cache = project / CACHE_DIR

    def demodeck_build(tag: str) -> Run:
        log = logs / f"demodeck-{tag}.log"
        return checked(run_command(demodeck_cmd("build", "-C", str(project), "--out", str(out)),
                                   log=log), f"demodeck build ({tag})", log)

    def demodeck_cold(tag: str) -> Run:
        rm(out)
        rm(cache)
        return demodeck_build(tag)

    others: dict[str, tuple[Any, Path]] = {}
    if hugo:
        others["hugo"] = (lambda dest: hugo_cmd(hugo_src, dest), hugo_src)
    if mkdocs:
        others["mkdocs"] = (lambda dest: mkdocs_cmd(mk_src, dest), mk_src)

    def other_cold(name: str, tag: str) -> Run:
        make, src = others[name]
        dest = work / f"out-{name}"
        rm(dest)
        rm(src / "resources")  # Hugo's resource cache; nothing else persists between runs
        log = logs / f"{name}-{tag}.log"
        return checked(run_command(make(dest), log=log), f"{name} build ({tag})", log)

    # Cold builds, interleaved across tools (one untimed warm-up each first).
    say("   warm-up runs (untimed) ...")
    demodeck_cold("warmup")
    for name in others:
        other_cold(name, "warmup")
    for i in range(1, runs + 1):
        run = demodeck_cold(f"cold{i}")
        res.add("demodeck_cold", run)
        msg = f"   run {i}/{runs}: demodeck cold {run.seconds:.2f} s"
        for name in others:
            r = other_cold(name, f"cold{i}")
            res.add(f"{name}_cold", r)
            msg += f", {name} {r.seconds:.2f} s"
        say(msg)
    res.checks["cold_digest"] = tree_digest(out)

    # Warm: the last cold build left the cache and the output in place.
    demodeck_build("warm-warmup")
    for i in range(1, runs + 1):
        res.add("demodeck_warm", demodeck_build(f"warm{i}"))
    res.checks["warm_digest"] = tree_digest(out)
    say(f"   demodeck warm: {res.median('demodeck_warm'):.3f} s (median)")

    # One demo changed: a different edit each run, so every run sees a real change.
    decks = sorted((project / "decks").glob("*.yaml"))
    target = {"newest": decks[-1], "middle": decks[len(decks) // 2], "oldest": decks[0]}[change]
    original = target.read_text(encoding="utf-8")
    res.checks["changed_file"] = target.relative_to(project).as_posix()
    try:
        for i in range(1, runs + 1):
            target.write_text(edit_line(original, i), encoding="utf-8")
            res.add("demodeck_changed", demodeck_build(f"changed{i}"))
        page = out / target.stem / "index.html"
        marker = f"Edited in benchmark run {runs}."
        res.checks["change_visible"] = page.is_file() and marker in page.read_text("utf-8")
        # The incremental result must equal a from-scratch build of the same input.
        scratch = work / "out-scratch"
        rm(scratch)
        log = logs / "demodeck-scratch.log"
        run = run_command(demodeck_cmd("build", "-C", str(project), "--out", str(scratch),
                                       "--no-cache"), log=log, sample=False)
        res.checks["changed_identical_to_scratch"] = (
            tree_digest(scratch) == tree_digest(out) if run.returncode == 0
            else "n/a (demodeck build --no-cache failed)")
        rm(scratch)
    finally:
        target.write_text(original, encoding="utf-8")
    demodeck_build("restored")
    res.checks["restored_digest"] = tree_digest(out)
    say(f"   demodeck one demo changed: {res.median('demodeck_changed'):.3f} s (median)")

    c = res.checks
    c["warm_identical_to_cold"] = c["warm_digest"] == c["cold_digest"]
    c["restored_identical_to_cold"] = c["restored_digest"] == c["cold_digest"]
    res.load_after = os.getloadavg()
    return res


def bench_startup(runs: int, work: Path) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    cmds = {"demodeck_version": demodeck_cmd("--version"),
            "python_bare": [PYTHON, "-c", "pass"]}
    for key, cmd in cmds.items():
        log = work / f"{key}.log"
        checked(run_command(cmd, log=log, sample=False), key, log)  # warm-up
        out[key] = [asdict(checked(run_command(cmd, log=log, sample=False), key, log))
                    for _ in range(max(runs, 5) * 4)]
    return out


# -- the report ----------------------------------------------------------------------------

def _s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def _mb(x: float | None) -> str:
    return "—" if x is None else f"{x:.0f} MB"


def _ratio(a: float | None, b: float | None, target: float | None = None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    r = a / b
    mark = "" if target is None else (" ✓" if r <= target else " ✗")
    return f"{r:.2f}×{mark}"


def _ok(flag: bool) -> str:
    return "✓" if flag else "✗"


def report(sizes: list[SizeResult], startup: dict[str, list[dict[str, Any]]],
           meta: dict[str, Any], runs: int) -> str:
    lines = [f"## demodeck benchmark — {meta['when']}", "",
             f"`{meta['command']}`", "",
             f"Machine: {meta['cpus']} CPUs ({meta['cpu']}), Python {meta['python']} "
             f"(`{meta['python_path']}`: the reference loop takes "
             f"{_s(meta['python_reference'])} of CPU); "
             f"{meta['demodeck']}; Hugo: {meta['hugo']}; MkDocs: {meta['mkdocs']}.",
             f"Medians of {runs} runs. Ratios are demodeck ÷ the other tool's cold build "
             "(Hugo and MkDocs keep no cache between runs: each of their builds is a full "
             "build). ✓/✗ marks the targets (issues 6 and 20), which are set for N = 520.", ""]
    if runs < 5:
        lines += ["**Fewer than 5 runs: a smoke test, not a result.**", ""]
    ver = statistics.median(r["seconds"] for r in startup["demodeck_version"])
    bare = statistics.median(r["seconds"] for r in startup["python_bare"])
    for s in sizes:
        hugo, mk = s.median("hugo_cold"), s.median("mkdocs_cold")
        cold, warm, changed = (s.median(k) for k in ("demodeck_cold", "demodeck_warm",
                                                      "demodeck_changed"))
        t = TARGETS
        lines += [f"### N = {s.decks} decks ({s.demos:,} demos)", "",
                  "| measure | demodeck | Hugo | MkDocs | demodeck/Hugo | demodeck/MkDocs "
                  "| target (N = 520) |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
                  f"| cold full build | {_s(cold)} | {_s(hugo)} | {_s(mk)} "
                  f"| {_ratio(cold, hugo, t['cold_vs_hugo'])} "
                  f"| {_ratio(cold, mk, t['cold_vs_mkdocs'])} "
                  f"| ≤ {t['cold_vs_hugo']:g}× Hugo, ≤ {t['cold_vs_mkdocs']:g}× MkDocs |",
                  f"| warm rebuild, nothing changed | {_s(warm)} | | "
                  f"| {_ratio(warm, hugo, t['warm_vs_hugo'])} | {_ratio(warm, mk)} "
                  f"| ≤ {t['warm_vs_hugo']:g}× Hugo |",
                  f"| one demo changed | {_s(changed)} | | "
                  f"| {_ratio(changed, hugo, t['changed_vs_hugo'])} | {_ratio(changed, mk)} "
                  f"| ≤ {t['changed_vs_hugo']:g}× Hugo |"]
        cpu = {k: s.median(k, "cpu_seconds") for k in ("demodeck_cold", "demodeck_warm",
                                                       "demodeck_changed", "hugo_cold",
                                                       "mkdocs_cold")}
        for label, key in (("cold full build", "demodeck_cold"),
                           ("warm rebuild, nothing changed", "demodeck_warm"),
                           ("one demo changed", "demodeck_changed")):
            others = (f"| {_s(cpu['hugo_cold'])} | {_s(cpu['mkdocs_cold'])} "
                      if key == "demodeck_cold" else "| | ")
            lines.append(f"| {label}: CPU time (user+sys, all processes) | {_s(cpu[key])} "
                         f"{others}| {_ratio(cpu[key], cpu['hugo_cold'])} "
                         f"| {_ratio(cpu[key], cpu['mkdocs_cold'])} | (context) |")
        for label, what in (("peak memory, whole process tree (PSS)", "tree_mb"),
                            ("peak RSS, largest process", "maxrss_mb")):
            dm = s.median("demodeck_cold", what)
            ok = "" if dm is None else (" ✓" if dm < t["peak_mb"] else " ✗")
            lines.append(f"| {label}, cold build | {_mb(dm)}{ok} "
                         f"| {_mb(s.median('hugo_cold', what))} "
                         f"| {_mb(s.median('mkdocs_cold', what))} | | "
                         f"| < {t['peak_mb']:.0f} MB |")
        lines.append(f"| `demodeck --version` | {_s(ver)}"
                     f"{' ✓' if ver * 1000 < t['version_ms'] else ' ✗'} | | | | "
                     f"| < {t['version_ms']:.0f} ms (bare `python -c pass`: {_s(bare)}) |")
        best = {k: min((r["seconds"] for r in v), default=None) for k, v in s.runs.items()}
        bc, bh, bm = best.get("demodeck_cold"), best.get("hugo_cold"), best.get("mkdocs_cold")
        lines += ["", "Fastest run of each (less sensitive to other load than the median): "
                  f"cold demodeck {_s(bc)}, Hugo {_s(bh)}, MkDocs {_s(bm)} "
                  f"(demodeck/Hugo {_ratio(bc, bh)}, demodeck/MkDocs {_ratio(bc, bm)}); "
                  f"warm {_s(best.get('demodeck_warm'))}; "
                  f"one demo changed {_s(best.get('demodeck_changed'))}."]
        cpus = os.cpu_count() or 1
        if max(s.load_before[0], s.load_after[0]) > cpus:
            lines += ["", f"**Warning:** the load average ({s.load_before[0]:.1f} before, "
                      f"{s.load_after[0]:.1f} after) exceeded the {cpus} CPUs: other work "
                      "competed for the cores, so wall times are unreliable. Compare the CPU "
                      "rows and the fastest runs, or run again on a quiet machine."]
        c = s.checks
        lines += ["", f"Checks: `demodeck check` → {c.get('demodeck_check', '?')}; "
                  f"warm output byte-identical to cold: {_ok(c['warm_identical_to_cold'])}; "
                  f"edit of `{c['changed_file']}` visible after the incremental build: "
                  f"{_ok(c['change_visible'])}; incremental output identical to a "
                  f"`--no-cache` build of the same input: "
                  f"{_ok(c['changed_identical_to_scratch'] is True)}; "
                  f"output after undoing the edit identical to "
                  f"cold: {_ok(c['restored_identical_to_cold'])}. Load average before/after: "
                  f"{s.load_before[0]:.2f}/{s.load_after[0]:.2f}."]
        for name, why in s.skipped.items():
            lines.append(f"Skipped {name}: {why}")
        lines.append("")
    return "\n".join(lines)


def _git_commit() -> str:
    res = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "demodeck",
                            "templates"], capture_output=True, text=True, check=False)
    commit = res.stdout.strip() or "no commit"
    return commit + (" + uncommitted changes" if dirty.stdout.strip() else "")


# A fixed piece of pure-Python work (dictionary, string and call heavy, as a build is),
# timed in a fresh interpreter: how fast this Python runs Python code, beside the
# tools' times. The same machine's interpreters differ: pyenv's 3.11.7 (a shared
# libpython, no --enable-optimizations) ran a cold build with ~17% more CPU than
# Debian's statically linked python3.11 here (see benchmarks/README.md).
REFERENCE_CODE = """
import time
def work(n):
    counts = {}
    for i in range(n):
        key = "k%d" % (i % 1000)
        counts[key] = counts.get(key, 0) + len(key.upper())
    return sum(counts.values())
start = time.process_time()
work(300_000)
print(time.process_time() - start)
"""


def interpreter_speed(runs: int = 5) -> float:
    """CPU seconds demodeck's interpreter takes for REFERENCE_CODE (median of ``runs``)."""
    times = [float(subprocess.run([PYTHON, "-c", REFERENCE_CODE], check=True,
                                  capture_output=True, text=True).stdout)
             for _ in range(runs)]
    return statistics.median(times)


def _python_version() -> str:
    return subprocess.run([PYTHON, "-c", "import platform; print(platform.python_version())"],
                          check=True, capture_output=True, text=True).stdout.strip()


def _cpu() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--decks", default="52,520",
                   help="comma-separated archive sizes (default: 52,520)")
    p.add_argument("--runs", type=int, default=5, help="timed runs per measure (default: 5)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--change", choices=("newest", "middle", "oldest"), default="newest",
                   help="which deck the one-demo-changed runs edit (default: newest)")
    p.add_argument("--no-hugo", action="store_true", help="do not time Hugo")
    p.add_argument("--no-mkdocs", action="store_true", help="do not time MkDocs")
    p.add_argument("--keep", action="store_true", help="keep the temporary folders")
    p.add_argument("--live", action="store_true",
                   help="run the installed demodeck as it is on disk during the run, "
                        "instead of a copy of demodeck/ and templates/ taken at the start")
    p.add_argument("--python", metavar="PATH",
                   help="the Python that runs demodeck (default: the one running this "
                        "script); it must import demodeck's dependencies. MkDocs still "
                        "runs on this one")
    p.add_argument("--profile", action="store_true",
                   help="instead: profile one cold build in-process (see profile_build.py)")
    args = p.parse_args(argv)
    sizes_n = [int(x) for x in args.decks.split(",") if x.strip()]

    if args.profile:
        if args.python:  # cProfile sees only the process it runs in
            p.error("--profile runs demodeck in this process: run run.py with that Python "
                    "instead of --python")
        from profile_build import main as profile_main

        return profile_main(["--decks", str(sizes_n[-1]), "--seed", str(args.seed)])

    if args.python:
        global PYTHON
        PYTHON = shutil.which(args.python) or args.python
    hugo_ok = not args.no_hugo and shutil.which("hugo") is not None
    mk_ok = not args.no_mkdocs and mkdocs_cmd(Path("."), Path(".")) is not None
    skipped: dict[str, str] = {}
    if not hugo_ok:
        skipped["Hugo"] = ("--no-hugo given" if args.no_hugo else
                           "`hugo` is not installed (`apt-get install -y hugo`)")
    if not mk_ok:
        skipped["MkDocs"] = ("--no-mkdocs given" if args.no_mkdocs else
                             "MkDocs is not installed (`pip install mkdocs`)")
    for name, why in skipped.items():
        say(f"skipping {name}: {why}")

    base = Path(tempfile.mkdtemp(prefix="demodeck-bench-"))
    commit = _git_commit()
    if not args.live:
        use_snapshot(snapshot(base / "src"))
    meta = {
        "when": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "command": "python benchmarks/run.py " + " ".join(argv if argv is not None
                                                          else sys.argv[1:]),
        "cpus": os.cpu_count(), "cpu": _cpu(), "python": _python_version(),
        "python_path": PYTHON, "python_reference": interpreter_speed(),
        "demodeck": tool_version(demodeck_cmd("--version")) + f" (git {commit}"
        + (", live" if args.live else ", snapshot taken at the start") + ")",
        "hugo": tool_version(["hugo", "version"]).split(" BuildDate")[0] if hugo_ok
        else "not run",
        "mkdocs": tool_version([sys.executable, "-m", "mkdocs", "--version"]).split(" from")[0]
        if mk_ok else "not run",
        "seed": args.seed, "runs": args.runs, "change": args.change,
    }
    results: list[SizeResult] = []
    try:
        say("startup: timing `demodeck --version` ...")
        startup = bench_startup(args.runs, base)
        for n in sizes_n:
            res = bench_size(n, args.runs, args.seed, base / f"n{n}", change=args.change,
                             hugo=hugo_ok, mkdocs=mk_ok)
            res.skipped = skipped
            results.append(res)
            if not args.keep:
                rm(base / f"n{n}")
    except ToolFailed as exc:
        say(f"\nerror: {exc}")
        say(f"(work folder kept: {base})")
        return 1
    finally:
        if not args.keep and not any(base.glob("n*")):
            rm(base)
    if args.keep:
        say(f"work folder kept: {base}")

    table = report(results, startup, meta, args.runs)
    print(table)
    OUT_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    data = {"meta": meta, "startup": startup, "sizes": [asdict(r) for r in results],
            "targets": TARGETS}
    for name in (f"run-{stamp}.json", "latest.json"):
        (OUT_DIR / name).write_text(json.dumps(data, indent=2, default=str) + "\n")
    (OUT_DIR / "latest.md").write_text(table + "\n")
    say(f"results: {OUT_DIR / f'run-{stamp}.json'} (and latest.json, latest.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
