"""PDF: the browser's print gives one 16:9 page per slide, and `demodeck pdf` writes it.

Pages are counted in the PDF itself (Chromium writes page objects uncompressed).
The example decks are printed through Playwright (the browser's print dialog
uses the same engine) and through `demodeck pdf`, which drives Chromium's own
command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from demodeck.cli import main
from tests.browser import CHROMIUM
from tests.conftest import Project, copy_examples
from tests.test_export_files import assert_sound_update

REPO = Path(__file__).resolve().parent.parent
SLIDES = {"2026-11-09": 11, "2026-11-16": 11, "2026-11-23": 14}  # the retros on 2, 2, 4


def pages_of(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def media_boxes(pdf: bytes) -> set[bytes]:
    return set(re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "site"
    assert main(["build", "-C", str(REPO), "--out", str(out), "--no-cache"]) == 0
    return out


@pytest.mark.parametrize("date", sorted(SLIDES))
def test_print_has_one_16_9_page_per_slide(browser: Any, site: Path, date: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        page.goto((site / date / "index.html").as_uri())
        page.wait_for_load_state("load")
        slides = page.evaluate("demodeck.slides.length")
        assert slides == SLIDES[date]
        pdf: bytes = page.pdf(prefer_css_page_size=True, print_background=True)
        assert pages_of(pdf) == slides
        assert media_boxes(pdf) == {b"0 0 960 540"}  # 1280×720 CSS px, in points
        page.emulate_media(media="print")
        printed = page.evaluate("""demodeck.slides.map(s => ({
            id: s.id, cut: s.scrollHeight > s.clientHeight + 1 || s.scrollWidth > s.clientWidth + 1,
            height: s.getBoundingClientRect().height,
            exact: getComputedStyle(s).printColorAdjust}))""")
        assert [s["id"] for s in printed if s["cut"]] == []  # no text cut off
        assert {s["height"] for s in printed} == {720}
        assert {s["exact"] for s in printed} == {"exact"}  # backgrounds are printed
    finally:
        page.close()


def test_demodeck_pdf_end_to_end(tmp_path: Path) -> None:
    """A real process, as a user runs it: finds Chromium on PATH and prints the newest deck
    into the project's exports/ folder."""
    env = dict(os.environ)
    if shutil.which("chromium") is None:  # e.g. $DEMODECK_CHROMIUM points elsewhere
        env["PATH"] = f"{Path(CHROMIUM).parent}{os.pathsep}{env.get('PATH', '')}"
    project = copy_examples(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "demodeck", "pdf"], capture_output=True,
                          text=True, timeout=120, env=env, cwd=project)
    assert proc.returncode == 0, proc.stderr
    out = project / "exports" / "2026-11-23.pdf"  # the newest deck, named by its date
    assert proc.stdout.startswith("wrote exports/2026-11-23.pdf (")
    assert "14 pages for 14 slides" in proc.stdout
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert pages_of(pdf) == 14
    assert media_boxes(pdf) == {b"0 0 960 540"}
    # The dark title and thank-you slides are gradients: printed as shadings.
    assert len(re.findall(rb"/ShadingType", pdf)) >= 2
    if shutil.which("pdftoppm"):  # where poppler is installed, look at the first page too
        ppm = subprocess.run(["pdftoppm", "-r", "10", "-f", "1", "-l", "1", str(out)],
                             capture_output=True, check=True).stdout
        header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
        assert header is not None
        r, g, b = ppm[header.end():header.end() + 3]
        assert max(r, g, b) < 60  # the title slide's night-blue background, not white paper


def test_no_chromium_on_path_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["pdf", "-C", str(REPO), "--out", str(tmp_path / "x.pdf")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no Chromium found")
    assert "--chromium PATH" in err
    assert ("Debian: sudo apt-get install chromium; Ubuntu: sudo snap install chromium"
            in err)
    assert "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()


def test_a_missing_chromium_path_is_a_clear_error(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-chrome"
    assert main(["pdf", "-C", str(REPO), "--chromium", str(missing)]) == 1
    assert capsys.readouterr().err == (f"error: no Chromium at {missing}: give the path of a "
                                       "Chromium or Chrome executable with --chromium\n")


def test_a_failing_chromium_is_reported(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'crashed: no display' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    assert main(["pdf", "-C", str(REPO), "--chromium", str(fake), "--no-cache",  # none left
                 "--out", str(tmp_path / "x.pdf")]) == 1
    err = capsys.readouterr().err
    assert f"error: {fake} could not print the deck (exit status 3):" in err
    assert "crashed: no display" in err
    assert not (tmp_path / "x.pdf").exists()


def test_a_slide_too_long_even_at_half_size_runs_onto_another_page(
        project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    why = "\n\n".join(["Every sentence here is a reason this matters to our customers. " * 4]
                      * 24)
    project.write("decks/2026-11-30.yaml", textwrap.dedent("""\
        title: Too much
        demos:
          - title: The whole design document
            people: [Ada Lovelace]
            features: [Everything]
            why: |
        """) + textwrap.indent(why, " " * 6) + "\n    could_be_better: Brevity.\n")
    out = tmp_path / "week 48" / "long.pdf"
    out.parent.mkdir()  # pdf, like export, writes only into a folder that exists
    assert main(["pdf", "-C", str(project.root), "decks/2026-11-30.yaml", "--out", str(out),
                 "--chromium", CHROMIUM]) == 0
    captured = capsys.readouterr()
    pdf = out.read_bytes()
    assert pages_of(pdf) > 4  # title, demo, retro, thanks, and the rest of the demo
    assert f"{pages_of(pdf)} pages for 4 slides" in captured.out
    assert "ran onto a continuation page" in captured.err


def test_pdf_names_demodeck_as_creator_and_replaces_only_its_own_files(
        project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deck.pdf"
    args = ["pdf", "-C", str(project.root), "--out", str(out), "--chromium", CHROMIUM]
    for _ in range(2):  # the second replaces what the first wrote, without --force
        assert main(args) == 0, capsys.readouterr().err
    pdf = out.read_bytes()
    assert_sound_update(pdf)  # on what Chromium really writes
    assert pages_of(pdf) == 5  # title, two demos, retro, thanks: the update adds no page
    other = tmp_path / "report.pdf"
    other.write_bytes(pdf.replace(b"/Creator (demodeck", b"/Creator (someone"))
    assert main([*args[:4], str(other), *args[5:]]) == 1
    assert "did not write it" in capsys.readouterr().err


# Issue 21, item 11: Chrome, Chromium and Edge where macOS and Windows install them.
def stand_in_browser(path: Path) -> Path:
    """A stand-in for Chromium at ``path``: writes a small PDF where --print-to-pdf= says."""
    from tests.test_export_files import chromium_like_pdf

    path.parent.mkdir(parents=True)
    path.write_text(f"#!{sys.executable}\nimport sys\n"
                    "out = next(a for a in sys.argv if a.startswith('--print-to-pdf='))\n"
                    f"open(out.split('=', 1)[1], 'wb').write({chromium_like_pdf()!r})\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("app", ["Google Chrome", "Chromium", "Microsoft Edge"])
def test_pdf_finds_a_browser_in_the_macos_applications_folder(
        project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    # ~/Applications is searched as /Applications is, and a test may write into it
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # nothing on PATH
    stand_in_browser(tmp_path / f"home/Applications/{app}.app/Contents/MacOS/{app}")
    out = tmp_path / "deck.pdf"
    assert main(["pdf", "-C", str(project.root), "-o", str(out)]) == 0, capsys.readouterr()
    assert capsys.readouterr().out.startswith(f"wrote {out} (")
    assert out.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(("root", "app"), [
    ("PROGRAMFILES", "Google/Chrome/Application/chrome.exe"),
    ("PROGRAMFILES(X86)", "Microsoft/Edge/Application/msedge.exe"),
    ("LOCALAPPDATA", "Chromium/Application/chrome.exe")])
def test_pdf_finds_a_browser_where_windows_installs_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: str, app: str) -> None:
    from demodeck import pdf

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)  # nothing on PATH
    for name in pdf.WINDOWS_ROOTS:
        monkeypatch.setenv(name, str(tmp_path / name))
    browser = stand_in_browser(tmp_path.joinpath(root, *app.split("/")))
    assert pdf.find_chromium() == str(browser)


@pytest.mark.parametrize(("platform", "hint", "where"), [
    ("darwin", "macOS: download Google Chrome from https://www.google.com/chrome/ or run "
               "brew install --cask google-chrome", "/Applications or {home}/Applications"),
    ("win32", "Windows: Microsoft Edge comes with Windows; or run winget install "
              "Google.Chrome", "{tmp}/Program Files or {tmp}/Program Files (x86)")])
def test_no_browser_names_the_platforms_way_to_install_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str, hint: str,
        where: str) -> None:
    from demodeck import pdf
    from demodeck.errors import UsageError

    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PROGRAMFILES", str(tmp_path / "Program Files"))
    monkeypatch.setenv("PROGRAMFILES(X86)", str(tmp_path / "Program Files (x86)"))
    monkeypatch.delenv("LOCALAPPDATA", raising=False)
    with pytest.raises(UsageError) as raised:
        pdf.find_chromium()
    message = str(raised.value)
    assert f"nor in {where.format(home=tmp_path / 'home', tmp=tmp_path)}; " in message
    assert f"install one ({hint}) or give its path with --chromium PATH" in message
