"""Images (issue 19, items 9 and 11): a size limit checked from the file's size, an export
that holds each image once, and an image that cannot be read reported where a deck names it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from demodeck import pipeline
from tests.conftest import MINIMAL_DECK, Project

Cap = pytest.CaptureFixture[str]
DECK = "decks/2026-11-23.yaml"
PNG = next((Path(__file__).parent.parent / "decks/images").glob("*.png")).read_bytes()
WHERE = "decks/2026-11-23.yaml:15:23: demos[0].screenshot.src:"  # the line below, its value


def with_screenshot(project: Project, data: bytes | None = None, size: int = 0) -> Path:
    """The minimal deck with a screenshot, images/shot.png: ``data``, or ``size`` bytes of
    a sparse file (which takes no room on disk)."""
    project.write(DECK, MINIMAL_DECK.replace(
        "    minutes: 5\n",
        "    minutes: 5\n    screenshot: {src: images/shot.png, alt: The dashboard}\n"))
    shot = project.root / "decks/images/shot.png"
    shot.parent.mkdir(exist_ok=True)
    if data is not None:
        shot.write_bytes(data)
    else:
        with shot.open("wb") as f:
            f.truncate(size)
    return shot


def never_read(monkeypatch: pytest.MonkeyPatch, shot: Path) -> None:
    real_open = Path.open

    def open_(self: Path, *args: object, **kwargs: object) -> object:
        assert self != shot, "the image was opened"
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", open_)


# --- item 9: the size limit --------------------------------------------------------------

@pytest.mark.parametrize(("size", "shown"), [(1 << 30, "1.0 GB"), ((20 << 20) + 1, "20.1 MB")])
@pytest.mark.parametrize("command", ["check", "build", "export"])
def test_an_image_over_20_mb_is_refused_unread_at_the_line_naming_it(
        project: Project, monkeypatch: pytest.MonkeyPatch, command: str, size: int,
        shown: str, capsys: Cap) -> None:
    shot = with_screenshot(project, size=size)
    never_read(monkeypatch, shot)
    result = project.run(command, capsys=capsys)
    assert result.code == 1
    assert result.err == (f"{WHERE} image 'images/shot.png' is {shown}; images are limited "
                          "to 20 MB (max_image_mb in demodeck.yaml)\n"
                          "error: 1 problem found; nothing was written\n")
    assert not (project.root / "site").exists()


def test_an_image_of_exactly_20_mb_is_accepted(project: Project, capsys: Cap) -> None:
    with_screenshot(project, size=20 << 20)
    assert project.run("check", capsys=capsys).code == 0


def test_max_image_mb_in_demodeck_yaml_sets_the_limit(project: Project, capsys: Cap) -> None:
    with_screenshot(project, size=(20 << 20) + 1)
    project.write("demodeck.yaml", "max_image_mb: 21\n")
    assert project.run("check", capsys=capsys).code == 0
    project.write("demodeck.yaml", "max_image_mb: 1\n")
    project.write_bytes("decks/images/shot.png", PNG + bytes(1 << 20))
    result = project.run("check", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines()[0] == (f"{WHERE} image 'images/shot.png' is 1.1 MB; images "
                                          "are limited to 1 MB (max_image_mb in demodeck.yaml)")


@pytest.mark.parametrize(("value", "message"), [("0", "must be at least 1"),
                                                ("2.5", "expected a whole number, got a number"),
                                                ("big", "expected a whole number, got text")])
def test_max_image_mb_must_be_a_whole_number_of_megabytes(project: Project, value: str,
                                                         message: str, capsys: Cap) -> None:
    project.write("demodeck.yaml", f"max_image_mb: {value}\n")
    result = project.run("check", capsys=capsys)
    assert result.code == 1
    assert result.err.startswith(f"demodeck.yaml:1:15: max_image_mb: {message}")


PEAK = """\
import re, sys
from demodeck.cli import main
status = main(sys.argv[1:])
with open("/proc/self/status") as f:  # the high-water mark of this program's memory
    print(int(re.search(r"VmHWM:\\s*(\\d+) kB", f.read()).group(1)) * 1024)
sys.exit(status)
"""


def peak_rss_of_export(project: Project, out: Path) -> int:
    """Peak resident memory of `demodeck export` in a process of its own. Read from
    /proc (VmHWM), not getrusage: ru_maxrss keeps, across the exec, the size of the
    forked copy of this test process, which may be larger than anything export uses."""
    proc = subprocess.run([sys.executable, "-c", PEAK, "export", "-C", str(project.root),
                           "-o", str(out)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/self/status")
def test_export_holds_a_large_image_once_not_several_copies(project: Project,
                                                           tmp_path: Path) -> None:
    """Peak memory with a 15 MB screenshot against the same deck with a small one: the
    image read once plus a chunk of base64 at a time, not the whole page as one string."""
    size = 15 << 20
    out = tmp_path / "deck.html"
    shot = with_screenshot(project, PNG)
    small = peak_rss_of_export(project, out)
    shot.write_bytes(PNG + os.urandom(size - len(PNG)))
    large = peak_rss_of_export(project, out)
    assert out.stat().st_size > size * 4 // 3  # the image is in the file, base64-encoded
    assert large - small < 2 * size, f"peak grew by {(large - small) / size:.1f}x the image"


# --- item 11: an image that cannot be read ---------------------------------------------

@pytest.mark.parametrize("command", ["build", "export"])
@pytest.mark.parametrize(("error", "reason"), [(PermissionError, "Permission denied"),
                                               (IsADirectoryError, "Is a directory")])
def test_an_image_unreadable_when_rendered_is_reported_at_the_line_naming_it(
        project: Project, monkeypatch: pytest.MonkeyPatch, command: str,
        error: type[OSError], reason: str, capsys: Cap) -> None:
    """Validation found a readable file; reading it failed afterwards (as root, a chmod
    would not stop the read, so the read itself is made to fail)."""
    shot = with_screenshot(project, PNG)
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == shot:
            raise error(13 if error is PermissionError else 21, reason, str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = project.run(command, capsys=capsys)
    assert result.code == 1
    assert result.err == (f"{WHERE} cannot read image 'images/shot.png': {reason}\n"
                          "error: 1 problem found; nothing was written\n")


def test_an_image_replaced_by_a_folder_after_validation_is_reported_at_its_line(
        project: Project, monkeypatch: pytest.MonkeyPatch, capsys: Cap) -> None:
    """The deck is validated again to find the line, and says what it finds now."""
    shot = with_screenshot(project, PNG)
    real = pipeline.export_deck

    def swap_then_export(*args: object, **kwargs: object) -> object:
        shot.unlink()  # export_deck is given the decks validated
        shot.mkdir()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "export_deck", swap_then_export)
    result = project.run("export", capsys=capsys)
    assert result.code == 1
    assert result.err == (f"{WHERE} image 'images/shot.png' does not exist (looked for "
                          "decks/images/shot.png)\n"
                          "error: 1 problem found; nothing was written\n")


def test_an_unreadable_image_in_a_deck_folder_names_the_demo_file(
        project: Project, monkeypatch: pytest.MonkeyPatch, capsys: Cap) -> None:
    (project.root / DECK).unlink()
    project.write("decks/2026-11-30/deck.yaml", "title: In a folder\n")
    project.write("decks/2026-11-30/search.yaml", textwrap.dedent("""\
        title: Search
        people: [{name: Ada, avatar: ../images/ada.png}]
        features: [Typos]
        why: Typos.
        could_be_better: Sooner.
        """))
    ada = project.write_bytes("decks/images/ada.png", PNG)
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == ada:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = project.run("build", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "decks/2026-11-30/search.yaml:2:30: people[0].avatar: cannot read image "
        "'../images/ada.png': Permission denied")
