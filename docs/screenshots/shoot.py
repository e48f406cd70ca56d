"""Take the README's screenshots of the example decks: python docs/screenshots/shoot.py

Builds decks/ into a temporary folder, shows a few slides in Chromium on a 1920×1080
screen and a 390×844 phone, and writes them here as PNG, cut to 256 colours with
pngquant (apt-get install pngquant) where it is installed, to keep the repository small.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))

from demodeck.cli import main  # noqa: E402
from tests.browser import chromium  # noqa: E402

DECK = "2026-11-23"
SLIDES = ["title", "the-zero-results-dashboard", "metrics", "retro"]
SCREENS = {"desktop": (1920, 1080, False), "phone": (390, 844, True)}


def shoot(site: Path) -> list[Path]:
    shots = []
    with chromium() as browser:
        for screen, (width, height, phone) in SCREENS.items():
            context = browser.new_context(viewport={"width": width, "height": height},
                                          is_mobile=phone, has_touch=phone,
                                          reduced_motion="reduce")
            page = context.new_page()
            page.goto((site / DECK / "index.html").as_uri())
            page.wait_for_function("window.demodeck && demodeck.current() >= 0")
            page.wait_for_load_state("load")
            for slide in SLIDES:
                page.evaluate(f"demodeck.go({slide!r})")
                page.evaluate("Promise.all([...document.images].map(i => i.decode()))")
                shots.append(HERE / f"{slide}-{screen}.png")
                page.screenshot(path=shots[-1])
            if phone:  # the archive's metrics page, its charts labelled on a small screen
                page.goto((site / "metrics/index.html").as_uri())
                page.evaluate("document.querySelectorAll('.metric-series')[5].scrollIntoView()")
                shots.append(HERE / "metrics-page-phone.png")
                page.screenshot(path=shots[-1])
            context.close()
    return shots


def smaller(png: Path) -> None:
    pngquant = shutil.which("pngquant")
    if pngquant:
        subprocess.run([pngquant, "--force", "--skip-if-larger", "--strip", "--output",
                        str(png), "256", str(png)], check=False)  # 98: it would be larger


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        if main(["build", "-C", str(REPO), "--out", str(out), "--no-cache"]) != 0:
            sys.exit(1)
        for shot in shoot(out):
            smaller(shot)
            print(f"{shot.relative_to(REPO)}  {shot.stat().st_size // 1024} KB")
