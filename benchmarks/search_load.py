"""How long the archive's full-text search takes to show its first results (issue 23.3).

    python benchmarks/search_load.py [--decks 520] [--runs 15] [--seed 42]
        [--site DIR ...] [--query WORDS ...] [--keep]

Without ``--site`` it generates a ``--decks`` archive (``generate.py``), builds it with
this checkout's demodeck, and measures that site; each ``--site`` names an already
built site instead (say, one built by an older commit), and several are measured in
turns, so a noisy neighbour slows them alike. For each site it prints the search
files' size (raw and ``gzip -9``) and, for each query, the median and the spread of
``--runs`` measurements in headless Chromium from ``file://``: each run opens the
archive's index in a fresh browser context, puts the query in the box with one
``input`` event (the box never had focus, which would start loading the index
early: this is the first keystroke) and times from that event until the results
list is filled and the next frame is painted.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CHROMIUM = os.environ.get("DEMODECK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
# A word in nearly every slide (50 hits with snippets, from the newest decks), one in
# some, and two that meet in few: the last has to look through every shard's text.
QUERIES = ["e", "dashboard", "quarantine pilot"]

# Runs in the page: fires the query's input event and resolves with the milliseconds
# until the results title says how many slides match and a frame has been painted.
TIMED_QUERY = """async (query) => {
  const input = document.querySelector('[data-filter] input');
  const title = document.querySelector('[data-search-results-title]');
  const done = () => /mention/.test(title.textContent);
  const shown = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (!done()) return;
      observer.disconnect();
      requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0));
    });
    observer.observe(title, {subtree: true, childList: true, characterData: true});
  });
  input.value = query;
  const start = performance.now();
  input.dispatchEvent(new Event('input', {bubbles: true}));
  const end = await shown;
  return [end - start, title.textContent];
}"""


def search_files(site: Path) -> list[Path]:
    """The files the full-text search loads, whatever their layout."""
    found = [p for p in site.glob("search-index*.js")]
    found += [p for p in (site / "search").rglob("*") if p.is_file()]
    return sorted(found)


def sizes(site: Path) -> str:
    files = search_files(site)
    raw = sum(p.stat().st_size for p in files)
    packed = sum(len(gzip.compress(p.read_bytes(), 9)) for p in files)
    first = site / "search-index.js"
    part = (f"; search-index.js alone {first.stat().st_size:,} B, "
            f"{len(gzip.compress(first.read_bytes(), 9)):,} gzipped"
            if len(files) > 1 and first.exists() else "")
    return f"{len(files)} file(s), {raw:,} B, {packed:,} B gzipped{part}"


def build(decks: int, seed: int, work: Path) -> Path:
    project, out = work / "project", work / "site"
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--decks", str(decks),
                    "--out", str(project), "--seed", str(seed)], check=True,
                   stdout=subprocess.DEVNULL)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "demodeck", "build", "-C", str(project),
                    "--out", str(out), "--no-cache"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out


def measure(browser: Any, site: Path, query: str) -> tuple[float, str]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto((site / "index.html").as_uri())
        page.wait_for_selector("[data-filter]:not([hidden])")
        ms, said = page.evaluate(TIMED_QUERY, query)
        return float(ms), str(said)
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decks", type=int, default=520)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--site", type=Path, action="append", default=[])
    parser.add_argument("--query", action="append", default=[])
    parser.add_argument("--keep", action="store_true", help="keep the generated site")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = None if args.site else Path(tempfile.mkdtemp(prefix="search-load-"))
    sites = [build(args.decks, args.seed, work)] if work is not None else args.site
    queries = args.query or QUERIES
    times: dict[tuple[Path, str], list[float]] = {(s, q): [] for s in sites for q in queries}
    said: dict[tuple[Path, str], str] = {}
    load = [os.getloadavg()[0]]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for site in sites:  # one untimed run each: the OS file cache is warm for all
            measure(browser, site, queries[0])
        for _ in range(args.runs):
            for query in queries:
                for site in sites:
                    ms, said[site, query] = measure(browser, site, query)
                    times[site, query].append(ms)
            load.append(os.getloadavg()[0])
        browser.close()
    for site in sites:
        print(f"{site}: {sizes(site)}")
        for query in queries:
            found = sorted(times[site, query])
            print(f"  {query!r}: median {statistics.median(found):.0f} ms, "
                  f"{found[0]:.0f}-{found[-1]:.0f} ms over {len(found)} runs "
                  f"({said[site, query]})")
    print(f"load average {min(load):.1f}-{max(load):.1f} on {os.cpu_count()} CPUs")
    if work is not None and args.keep:
        print(f"the generated project and its site: {work}")
    elif work is not None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
