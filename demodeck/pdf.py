"""``demodeck pdf``: one deck as a PDF, one slide per 16:9 page, printed by headless Chromium.

The deck is exported as a single self-contained HTML file (the same as
``demodeck export``) into a temporary folder and printed with Chromium's own
command line, so there is no Python browser driver to install. The theme's print
stylesheet does the layout: ``@page { size: 1280px 720px; margin: 0 }``, one
slide per page, backgrounds kept (``print-color-adjust: exact``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from demodeck.errors import DemodeckError, UsageError
from demodeck.model import Deck, SiteConfig
from demodeck.pipeline import Exported, export_deck

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120.0  # seconds; a deck prints in one or two

_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@dataclass(frozen=True, slots=True)
class PdfResult:
    deck: Deck
    out: Path
    pages: int
    size: int  # bytes


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium to print with: ``explicit`` if given, else the first one on PATH."""
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
    raise UsageError("no Chromium found: `demodeck pdf` prints with headless Chromium or "
                     f"Chrome, and none of {', '.join(CANDIDATES)} is on PATH; install one "
                     "(Debian/Ubuntu: apt-get install chromium) or give its path with "
                     "--chromium PATH")


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


def print_pdf(exported: Exported, out: Path, *, chromium: str,
              timeout: float = TIMEOUT) -> bytes:
    """Print one exported deck to ``out`` with headless Chromium; returns the PDF."""
    with tempfile.TemporaryDirectory(prefix="demodeck-pdf-") as tmp:
        folder = Path(tmp)
        page = folder / "deck.html"
        with page.open("wb") as f:
            exported.write(f)
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
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return data


def deck_pdf(site: SiteConfig, date_text: str | None, *, out: Path | None = None,
             chromium: str | None = None) -> PdfResult:
    """Print one deck (the newest when no date is given) to ``out`` (default YYYY-MM-DD.pdf)."""
    executable = find_chromium(chromium)  # before the build: fail fast without a browser
    exported = export_deck(site, date_text)
    target = out if out is not None else Path(f"{exported.deck.slug}.pdf")
    data = print_pdf(exported, target, chromium=executable)
    return PdfResult(exported.deck, target, count_pages(data), len(data))
