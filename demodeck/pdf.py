"""``demodeck pdf``: one deck as a PDF, one slide per 16:9 page, printed by headless Chromium.

The deck is exported as a single self-contained HTML file (the same as
``demodeck export``) into a temporary folder and printed with Chromium's own
command line, so there is no Python browser driver to install. The theme's print
stylesheet does the layout: ``@page { size: 1280px 720px; margin: 0 }``, one
slide per page, backgrounds kept (``print-color-adjust: exact``).

The PDF names demodeck as its Creator (an incremental update of its Info dictionary,
see :func:`stamp`): that is how ``demodeck pdf`` knows a file it may replace.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from demodeck import __version__, outfile
from demodeck.errors import DemodeckError, UsageError
from demodeck.model import Deck, SiteConfig
from demodeck.pipeline import Exported, export_deck

# Names on PATH, in order: Linux packages' names, then Windows' (shutil.which adds .exe).
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
              "microsoft-edge", "microsoft-edge-stable", "chrome", "msedge")
# Where the installers put them, outside PATH: macOS apps in /Applications (or
# ~/Applications), Windows programs under these environment variables' folders.
MAC_APPS = (("Google Chrome.app", "Contents", "MacOS", "Google Chrome"),
            ("Chromium.app", "Contents", "MacOS", "Chromium"),
            ("Microsoft Edge.app", "Contents", "MacOS", "Microsoft Edge"))
WINDOWS_ROOTS = ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")
WINDOWS_APPS = (("Google", "Chrome", "Application", "chrome.exe"),
                ("Chromium", "Application", "chrome.exe"),
                ("Microsoft", "Edge", "Application", "msedge.exe"))
TIMEOUT = 120.0  # seconds; far longer than a deck takes to print

_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
CREATOR = f"demodeck {__version__}".encode()
_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref\s+(\d+)\s*%%EOF\s*$", re.S)
_INFO_REF = re.compile(rb"/Info\s+(\d+)\s+(\d+)\s+R")
_CREATOR_ENTRY = re.compile(rb"/Creator\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)", re.S)
_TAIL = 16384  # bytes at the end of a PDF that hold its last trailer and our Info


@dataclass(frozen=True, slots=True)
class PdfResult:
    deck: Deck
    out: Path
    pages: int
    size: int  # bytes
    slides: int  # how many slides the deck shows


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium to print with: ``explicit`` if given, else the first of CANDIDATES on
    PATH, else Chrome, Chromium or Edge where the platform's installer puts them (macOS and
    Windows put none on PATH)."""
    if explicit:
        found = shutil.which(explicit)
        if found is None:
            raise UsageError(f"no Chromium at {explicit}: give the path of a Chromium or "
                             "Chrome executable with --chromium")
        return found
    for name in CANDIDATES:
        found = shutil.which(name)
        if found is not None:
            return found
    platform = sys.platform
    roots, apps = _installed(platform)
    for root in roots:
        for app in apps:
            if root.joinpath(*app).is_file():
                return str(root.joinpath(*app))
    where = f", nor in {' or '.join(map(str, roots))}" if roots else ""
    raise UsageError("no Chromium found: `demodeck pdf` prints with headless Chromium, Chrome "
                     f"or Edge, and none of {', '.join(CANDIDATES)} is on PATH{where}; "
                     f"install one ({install_hint(platform)}) or give its path with "
                     "--chromium PATH")


def _installed(platform: str) -> tuple[list[Path], tuple[tuple[str, ...], ...]]:
    """The folders the platform's installers put browsers in, and the browsers' paths
    inside them; none on Linux and the BSDs, where packages put them on PATH."""
    if platform == "darwin":
        return [Path("/Applications"), Path.home() / "Applications"], MAC_APPS
    if platform == "win32":
        roots = [Path(os.environ[name]) for name in WINDOWS_ROOTS if os.environ.get(name)]
        return roots, WINDOWS_APPS
    return [], ()


def install_hint(platform: str) -> str:
    """How a user of ``platform`` gets a browser `demodeck pdf` can print with."""
    if platform == "darwin":
        return ("macOS: download Google Chrome from https://www.google.com/chrome/ or run "
                "brew install --cask google-chrome")
    if platform == "win32":
        return ("Windows: Microsoft Edge comes with Windows; or run "
                "winget install Google.Chrome")
    return ("Debian: sudo apt-get install chromium; Ubuntu: sudo snap install chromium; "
            "Fedora: sudo dnf install chromium")


def command(chromium: str, page: Path, out: Path, profile: Path) -> list[str]:
    """The Chromium command line that prints ``page`` to ``out``."""
    args = [
        chromium,
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        # its own profile: a Chromium the user has open must not take the job over
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",
        "--print-to-pdf-no-header",  # the same, for Chromium before 120
        f"--print-to-pdf={out}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to start as root otherwise
    return [*args, page.as_uri()]


def count_pages(data: bytes) -> int:
    """Pages in a PDF as Chromium writes it (page objects are not compressed)."""
    return len(_PAGE.findall(data))


def stamp(pdf: bytes) -> bytes:
    """``pdf`` (as Chromium writes it) with ``/Creator (demodeck X.Y)`` in its Info
    dictionary, appended as an incremental update (a new copy of the Info object, an xref
    section for it and a trailer pointing back at the old one), so nothing Chromium wrote
    moves. A PDF of another shape comes back unchanged."""
    trailer = _TRAILER.search(pdf, max(0, len(pdf) - _TAIL))
    if trailer is None:
        return pdf
    entries, previous = trailer.group(1), trailer.group(2)
    ref = _INFO_REF.search(entries)
    if ref is None:
        return pdf
    number, generation = ref.groups()
    objects = list(re.finditer(rb"(?<![0-9])" + number + rb"\s+" + generation
                               + rb"\s+obj\s*<<(.*?)>>\s*endobj", pdf, re.S))
    if not objects:
        return pdf
    info = _CREATOR_ENTRY.sub(b"", objects[-1].group(1))
    at = len(pdf) + 1  # after the newline that starts the update
    obj = b"%s %s obj\n<</Creator (%s)\n%s>>\nendobj\n" % (number, generation, CREATOR, info)
    xref = b"xref\n0 1\n0000000000 65535 f \n%s 1\n%010d %05d n \n" % (number, at,
                                                                       int(generation))
    kept = re.sub(rb"/Prev\s+\d+", b"", entries).strip()
    tail = b"trailer\n<<%s\n/Prev %s>>\nstartxref\n%d\n%%%%EOF\n" % (kept, previous,
                                                                   at + len(obj))
    return pdf + b"\n" + obj + xref + tail


def made_by_pdf(path: Path) -> bool:
    """Whether the regular file ``path`` is a PDF ``demodeck pdf`` wrote (see stamp)."""
    with path.open("rb") as f:
        if f.read(5) != b"%PDF-":
            return False
        f.seek(max(5, path.stat().st_size - _TAIL))
        return b"/Creator (demodeck " in f.read(_TAIL)


def print_pdf(exported: Exported, *, chromium: str, timeout: float = TIMEOUT) -> bytes:
    """Print one exported deck with headless Chromium; returns the PDF."""
    with tempfile.TemporaryDirectory(prefix="demodeck-pdf-") as tmp:
        folder = Path(tmp)
        page = folder / "deck.html"
        try:
            with page.open("wb") as f:  # without its videos: a page prints the posters
                exported.write(f, videos=dict.fromkeys(exported.videos, ""))
        except OSError as exc:
            raise UsageError(f"cannot write the deck for Chromium into {folder}: "
                             f"{exc.strerror or exc}") from exc
        target = folder / "deck.pdf"
        try:
            proc = subprocess.run(command(chromium, page, target, folder / "profile"),
                                  capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired as exc:
            raise DemodeckError(f"{chromium} did not finish printing within "
                                f"{timeout:.0f} s") from exc
        except OSError as exc:
            raise UsageError(f"cannot run {chromium}: {exc.strerror or exc}") from exc
        data = target.read_bytes() if target.is_file() else b""
        if proc.returncode != 0 or not data.startswith(b"%PDF"):
            tail = "\n".join(line for line in proc.stderr.splitlines()[-5:] if line.strip())
            raise DemodeckError(f"{chromium} could not print the deck (exit status "
                                f"{proc.returncode})" + (f":\n{tail}" if tail else ""))
    return data


def deck_pdf(site: SiteConfig, date_text: str | None, *, out: Path | None = None,
             chromium: str | None = None, force: bool = False,
             exporter: Callable[[SiteConfig, str | None], Exported] = export_deck
             ) -> PdfResult:
    """Print one deck (the newest when no date is given) to ``out`` (default
    exports/YYYY-MM-DD.pdf in the project).
    ``force``: replace a file ``demodeck pdf`` did not write (see outfile.target);
    ``exporter``: how the deck is made a single file (the command's: build.export)."""
    executable = find_chromium(chromium)  # before the build: fail fast without a browser
    exported = exporter(site, date_text)
    name = f"{exported.deck.slug}.pdf"
    target = outfile.target(site, out if out is not None else outfile.default(site, name),
                            command="pdf",
                            force=force, made=made_by_pdf, example=name)
    data = stamp(print_pdf(exported, chromium=executable))  # checked first: printing is slow
    outfile.write(target, lambda f: f.write(data))
    return PdfResult(exported.deck, target.shown, count_pages(data), len(data), exported.slides)
