"""Save-to-page latency of `demodeck serve` (issue 3): median of N atomic saves.

    python benchmarks/serve_latency.py [--saves 20] [--archive 520] [--no-browser]
        [--json benchmarks/out/serve-latency.json]

For each project (a copy of the example decks in ``decks/``, and a generated
archive of ``--archive`` decks if ``benchmarks/generate.py`` exists) it starts
the preview on a free port, connects a server-sent-events client (what a page's
EventSource does) and, unless ``--no-browser``, headless Chromium on the newest
deck's first demo slide. Then, ``--saves`` times, it adds a feature line to that
demo with an editor-style atomic save (temp file + ``os.replace``) and measures:

* save → event: ``os.replace`` until the ``reload`` event naming the deck page
  arrives (debounce + rebuild + swap + SSE);
* save → visible: until the new text is on screen in Chromium (checked every
  animation frame), i.e. also the page's fetch and in-place slide update;
* rebuild: the time of the rebuild itself, inside the server.

Two warm-up saves are not counted. Targets from the issue: 300 ms on the example
decks, 1 s on a 520-deck archive.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import queue
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from demodeck.preview_build import Snapshot, cached_builder  # noqa: E402
from demodeck.serve import Console, Preview  # noqa: E402

CHROMIUM = os.environ.get("DEMODECK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WARMUP = 2
TIMEOUT = 30.0
FEATURES = re.compile(r"^(?P<head>[ \t]*features:[ \t]*\n)(?P<indent>[ \t]*)- ", re.MULTILINE)
FIRST_DEMO = re.compile(r'<section\b[^>]*\bid="([^"]+)"[^>]*\bdata-slide="demo"')


@dataclass
class Result:
    project: str
    decks: int
    saves: int
    first_build_s: float
    rebuild_ms: list[float] = field(default_factory=list)
    event_ms: list[float] = field(default_factory=list)
    visible_ms: list[float] = field(default_factory=list)
    reloads: int = 0  # saves the page handled with a full reload instead of in place

    def summary(self) -> dict[str, Any]:
        def stats(xs: list[float]) -> dict[str, float] | None:
            if not xs:
                return None
            ordered = sorted(xs)
            return {"median": round(statistics.median(xs), 1),
                    "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
                    "min": round(ordered[0], 1), "max": round(ordered[-1], 1)}
        return {"project": self.project, "decks": self.decks, "saves": self.saves,
                "first_build_s": round(self.first_build_s, 2),
                "rebuild_ms": stats(self.rebuild_ms), "save_to_event_ms": stats(self.event_ms),
                "save_to_visible_ms": stats(self.visible_ms), "page_reloads": self.reloads}


class Events:
    """A minimal EventSource: parsed (event, data) pairs on a queue, read on a thread."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.conn.request("GET", "/__demodeck__/events")
        self.response = self.conn.getresponse()
        self.inbox: queue.SimpleQueue[tuple[float, str, dict[str, Any]]] = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        name, data = "message", ""
        with contextlib.suppress(OSError, ValueError):
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data += line[6:]
                elif not line and data:
                    self.inbox.put((time.perf_counter(), name, json.loads(data)))
                    name, data = "message", ""

    def wait(self, name: str, where: Callable[[dict[str, Any]], bool]) -> float:
        deadline = time.monotonic() + TIMEOUT
        while True:
            at, got, data = self.inbox.get(timeout=max(deadline - time.monotonic(), 0.01))
            if got == "problems":
                raise RuntimeError("the edit broke the deck: " + "; ".join(data["problems"]))
            if got == name and where(data):
                return at

    def close(self) -> None:
        self.conn.close()


def with_marker(text: str, token: str) -> str:
    """The deck with one more feature on its first demo."""
    match = FEATURES.search(text)
    if match is None:
        raise SystemExit("no block-style 'features:' list in the deck to edit")
    at = match.end("head")
    return f'{text[:at]}{match["indent"]}- "{token}"\n{text[at:]}'


def newest_deck(root: Path) -> Path:
    files = sorted(p for p in (root / "decks").glob("*.yaml") if p.stem[:1].isdigit())
    if not files:
        raise SystemExit(f"no single-file deck in {root / 'decks'} to edit")
    return files[-1]


@contextlib.contextmanager
def chromium_page(url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url)
            page.wait_for_function("window.demodeck && demodeck.current() >= 0")
            yield page
        finally:
            browser.close()


def measure(root: Path, label: str, saves: int, browser: bool) -> Result:
    builds: list[float] = []
    plain = cached_builder(root)

    def timed(project: Path) -> Snapshot:
        started = time.perf_counter()
        try:
            return plain(project)
        finally:
            builds.append(time.perf_counter() - started)

    quiet = Console(info=lambda _: None, error=lambda m: print("  server:", m))
    deck = newest_deck(root)
    original = deck.read_text(encoding="utf-8")
    page_key = f"{deck.stem}/index.html"
    with Preview(root, port=0, console=quiet, builder=timed) as preview:
        result = Result(label, len(list((root / "decks").iterdir())), saves, builds[0])
        port = int(preview.url.rsplit(":", 1)[1].strip("/"))
        events = Events(port)
        listeners = 1
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        conn.request("GET", f"/{deck.stem}/")
        match = FIRST_DEMO.search(conn.getresponse().read().decode())
        conn.close()
        slide = match.group(1) if match else ""
        with contextlib.ExitStack() as stack:
            page = None
            if browser:
                page = stack.enter_context(chromium_page(f"{preview.url}{deck.stem}/#{slide}"))
                page.evaluate("window.benchNotReloaded = true")
                listeners = 2
            while preview.hub.listeners < listeners:
                time.sleep(0.01)
            for i in range(WARMUP + saves):
                token = f"Benchmark marker {i} {os.getpid()}"
                temp = deck.with_name(f".{deck.name}.tmp")
                temp.write_text(with_marker(original, token), encoding="utf-8")
                before = len(builds)
                started = time.perf_counter()
                os.replace(temp, deck)
                arrived = events.wait("reload", lambda d: d["changed"] is None
                                      or page_key in d["changed"])
                visible = None
                if page is not None:
                    page.wait_for_function(
                        "([id, t]) => document.getElementById(id).textContent.includes(t)",
                        arg=[slide, token], polling="raf", timeout=TIMEOUT * 1000)
                    visible = time.perf_counter()
                if i >= WARMUP:
                    result.event_ms.append((arrived - started) * 1000)
                    result.rebuild_ms.append(sum(builds[before:]) * 1000)
                    if visible is not None:
                        result.visible_ms.append((visible - started) * 1000)
                        if not page.evaluate("window.benchNotReloaded === true"):
                            result.reloads += 1
                            page.evaluate("window.benchNotReloaded = true")
                time.sleep(0.15)  # let the page settle; the next save is a new burst
        events.close()
    deck.write_text(original, encoding="utf-8")
    return result


def load_generator() -> Any | None:
    path = HERE / "generate.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("demodeck_bench_generate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def browser_missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}"
    return None


def report(results: list[Result]) -> str:
    lines = ["| project | decks | first build | rebuild | save → event | save → visible "
             "| reloads |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        s = r.summary()

        def cell(key: str, s: dict[str, Any] = s) -> str:
            v = s[key]
            return "—" if v is None else f"{v['median']:.0f} ms (p90 {v['p90']:.0f})"
        timed = r.saves if r.visible_ms else 0
        lines.append(f"| {r.project} | {r.decks} | {r.first_build_s:.2f} s | "
                     f"{cell('rebuild_ms')} | {cell('save_to_event_ms')} | "
                     f"{cell('save_to_visible_ms')} | {r.reloads}/{timed} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--saves", type=int, default=20, help="saves to time per project")
    p.add_argument("--archive", type=int, default=520, help="decks in the generated archive "
                   "(0: skip it)")
    p.add_argument("--no-browser", action="store_true", help="time save → event only")
    p.add_argument("--json", type=Path, help="also write the numbers here")
    args = p.parse_args(argv)
    browser = not args.no_browser
    if browser and (why := browser_missing()):
        print(f"browser timing skipped: {why}")
        browser = False
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="demodeck-serve-bench-") as tmp:
        examples = Path(tmp) / "examples"
        shutil.copytree(REPO / "decks", examples / "decks")
        if (REPO / "demodeck.yaml").is_file():
            shutil.copy(REPO / "demodeck.yaml", examples)
        print(f"example decks: {args.saves} saves ...", flush=True)
        results.append(measure(examples, "example decks", args.saves, browser))
        generator = load_generator() if args.archive else None
        if args.archive and generator is None:
            print("archive skipped: benchmarks/generate.py does not exist yet")
        elif generator is not None:
            archive = Path(tmp) / "archive"
            generator.generate(archive, args.archive)
            print(f"{args.archive}-deck archive: {args.saves} saves ...", flush=True)
            results.append(measure(archive, f"{args.archive}-deck archive", args.saves,
                                   browser))
    print(report(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) | {"summary": r.summary()}
                                         for r in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
