"""The file `export` and `pdf` write (issue 19, items 8 and 11): never a deck source, never
a file they did not make unless --force, and a plain message for every path they cannot
write.

`pdf` is run with a stand-in for Chromium that writes a small PDF shaped like
Chromium's (classic xref table, an Info dictionary): what is checked here happens
before or after the printing, and tests/test_pdf.py prints with the real one.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from demodeck.export import MARKER
from demodeck.pdf import made_by_pdf, stamp
from tests.conftest import Project
from tests.test_files_safety import tmpfs

Cap = pytest.CaptureFixture[str]
DECK = "decks/2026-11-23.yaml"


def chromium_like_pdf() -> bytes:
    """A one-page PDF laid out as Chromium writes one."""
    objects = [b"<</Title (Deck)\n/Creator (Mozilla/5.0 \\(X11\\) HeadlessChrome/1.0)\n"
               b"/Producer (Skia/PDF m1)>>",
               b"<</Type /Catalog /Pages 3 0 R>>",
               b"<</Type /Pages /Kids [4 0 R] /Count 1>>",
               b"<</Type /Page /Parent 3 0 R /MediaBox [0 0 960 540]>>"]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % at for at in offsets)
    return out + (b"trailer\n<</Size %d\n/Root 2 0 R\n/Info 1 0 R>>\nstartxref\n%d\n%%%%EOF"
                  % (len(objects) + 1, xref))


@pytest.fixture
def chromium(tmp_path: Path) -> str:
    """A stand-in for Chromium: writes chromium_like_pdf() where --print-to-pdf= says."""
    fake = tmp_path / "bin" / "chromium"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nimport sys\n"
                    "out = next(a for a in sys.argv if a.startswith('--print-to-pdf='))\n"
                    f"open(out.split('=', 1)[1], 'wb').write({chromium_like_pdf()!r})\n")
    fake.chmod(0o755)
    return str(fake)


def run(project: Project, command: str, out: str | None, *flags: str, chromium: str,
        capsys: Cap) -> tuple[int, str]:
    args = [command, "2026-11-23", *(["-o", out] if out is not None else []), *flags]
    if command == "pdf":
        args += ["--chromium", chromium]
    result = project.run(*args, capsys=capsys)
    assert "internal error" not in result.err and "Traceback" not in result.err
    return result.code, result.err


def sources(project: Project) -> dict[str, bytes]:
    return {p.relative_to(project.root).as_posix(): p.read_bytes()
            for p in sorted(project.root.rglob("*")) if p.is_file()
            and p.relative_to(project.root).parts[0] in ("decks", "templates", "demodeck.yaml")}


@pytest.fixture
def with_sources(project: Project) -> Project:
    project.write("templates/deck.html", '{% extends "!theme/deck.html" %}\n')
    project.write("demodeck.yaml", "title: Weekly\n")
    return project


# --- item 8: never over the deck sources -------------------------------------------------

SOURCES = [(DECK, "inside decks/"), ("decks/new.html", "inside decks/"),
           ("decks", "the decks/ folder itself"), ("templates/deck.html", "inside templates/"),
           ("templates/new.html", "inside templates/"),
           ("demodeck.yaml", "the project's demodeck.yaml")]


@pytest.mark.parametrize("command", ["export", "pdf"])
@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize(("out", "where"), SOURCES)
def test_export_and_pdf_never_write_over_the_deck_sources_even_with_force(
        with_sources: Project, command: str, force: bool, out: str, where: str, chromium: str,
        capsys: Cap) -> None:
    before = sources(with_sources)
    target = str(with_sources.root / out)
    code, err = run(with_sources, command, target, *(["--force"] if force else []),
                    chromium=chromium, capsys=capsys)
    assert code == 1
    assert err == (f"error: {target} is {where}: demodeck {command} never writes over the "
                   "project's sources, not even with --force; choose a file outside decks/ "
                   "and templates/\n")
    assert sources(with_sources) == before


@pytest.mark.parametrize("command", ["export", "pdf"])
def test_a_symlink_into_the_decks_folder_is_refused(project: Project, tmp_path: Path,
                                                   command: str, chromium: str,
                                                   capsys: Cap) -> None:
    link = tmp_path / "deck.out"
    link.symlink_to(project.root / DECK)
    before = (project.root / DECK).read_bytes()
    code, err = run(project, command, str(link), "--force", chromium=chromium, capsys=capsys)
    assert code == 1
    assert err.startswith(f"error: {link} is inside decks/: demodeck {command} never writes")
    assert (project.root / DECK).read_bytes() == before
    assert link.is_symlink()


@pytest.mark.parametrize(("command", "suffix"), [("export", "html"), ("pdf", "pdf")])
def test_a_file_they_did_not_write_is_replaced_only_with_force(
        project: Project, tmp_path: Path, command: str, suffix: str, chromium: str,
        capsys: Cap) -> None:
    out = tmp_path / f"week-48.{suffix}"
    out.write_text("my own notes\n")
    code, err = run(project, command, str(out), chromium=chromium, capsys=capsys)
    assert code == 1
    assert err == (f"error: {out} already exists and demodeck {command} did not write it; "
                   "choose another file, or pass --force to replace it\n")
    assert out.read_text() == "my own notes\n"
    code, err = run(project, command, str(out), "--force", chromium=chromium, capsys=capsys)
    assert code == 0, err
    assert out.read_bytes() != b"my own notes\n"


@pytest.mark.parametrize(("command", "suffix"), [("export", "html"), ("pdf", "pdf")])
def test_a_file_they_wrote_is_replaced_without_force(project: Project, tmp_path: Path,
                                                    command: str, suffix: str,
                                                    chromium: str, capsys: Cap) -> None:
    out = tmp_path / f"week-48.{suffix}"
    assert run(project, command, str(out), chromium=chromium, capsys=capsys)[0] == 0
    out.chmod(0o640)
    project.write(DECK, (project.root / DECK).read_text().replace("Search v2", "Search v3"))
    code, err = run(project, command, str(out), chromium=chromium, capsys=capsys)
    assert code == 0, err
    assert out.stat().st_mode & 0o777 == 0o640  # replaced, its permissions kept
    if command == "export":
        assert "Search v3" in out.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_exported_file_carries_the_marker_after_its_doctype(project: Project,
                                                               tmp_path: Path,
                                                               capsys: Cap) -> None:
    out = tmp_path / "deck.html"
    assert project.run("export", "-o", str(out), capsys=capsys).code == 0
    assert out.read_text().splitlines()[:2] == ["<!doctype html>", MARKER]


def test_a_printed_pdf_names_demodeck_as_its_creator_in_a_sound_update(
        project: Project, tmp_path: Path, chromium: str, capsys: Cap) -> None:
    out = tmp_path / "deck.pdf"
    assert run(project, "pdf", str(out), chromium=chromium, capsys=capsys)[0] == 0
    data = out.read_bytes()
    assert data.startswith(chromium_like_pdf())  # nothing Chromium wrote moved
    assert_sound_update(data)
    assert made_by_pdf(out)
    assert not made_by_pdf(tmp_path / "bin" / "chromium")


def assert_sound_update(pdf: bytes) -> None:
    """The last xref section is where startxref says; its entry points at the new Info,
    which names demodeck as Creator and keeps the rest; its trailer points back at the
    previous one and keeps its Root."""
    *_, previous, last = (int(at) for at in re.findall(rb"startxref\s+(\d+)", pdf))
    section = re.match(rb"xref\n0 1\n0000000000 65535 f \n(\d+) 1\n(\d{10}) (\d{5}) n \n"
                       rb"trailer\n<<(.*?)>>", pdf[last:], re.S)
    assert section is not None, pdf[last:]
    number, at, _, trailer = section.groups()
    obj = pdf[int(at):last]
    assert obj.startswith(number + b" 0 obj\n<</Creator (demodeck ")
    assert obj.count(b"/Creator") == 1 and b"/Title" in obj and b"/Producer" in obj
    assert re.search(rb"/Prev %d\b" % previous, trailer)
    assert b"/Info %s 0 R" % number in trailer
    old = re.search(rb"trailer\s*<<(.*?)>>\s*startxref\s+%d\b" % previous, pdf, re.S)
    assert old is not None
    assert re.findall(rb"/Root \d+ \d+ R", trailer) == re.findall(rb"/Root \d+ \d+ R",
                                                                   old.group(1))


def test_a_pdf_of_another_shape_is_left_as_it_is() -> None:
    odd = b"%PDF-1.7\n1 0 obj\n<</Type /XRef>>\nstream\nendstream\nendobj\n%%EOF\n"
    assert stamp(odd) == odd


# --- item 11: paths that cannot be written -----------------------------------------------

@pytest.mark.parametrize("command", ["export", "pdf"])
def test_a_folder_as_output_is_a_plain_error(project: Project, tmp_path: Path, command: str,
                                            chromium: str, capsys: Cap) -> None:
    code, err = run(project, command, str(tmp_path), chromium=chromium, capsys=capsys)
    assert code == 1
    suffix = "html" if command == "export" else "pdf"
    assert err == (f"error: {tmp_path} is a folder; give a file name, such as "
                   f"{tmp_path}/2026-11-23.{suffix}\n")


@pytest.mark.parametrize("command", ["export", "pdf"])
def test_a_missing_folder_is_a_plain_error(project: Project, tmp_path: Path, command: str,
                                           chromium: str, capsys: Cap) -> None:
    out = tmp_path / "no-such-folder" / "deck.out"
    code, err = run(project, command, str(out), chromium=chromium, capsys=capsys)
    assert code == 1
    assert err == (f"error: cannot write {out}: the folder {out.parent} does not exist\n")
    assert not out.parent.exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", ["export", "pdf"])
def test_dev_full_is_refused_and_with_force_a_full_disk_is_a_plain_error(
        project: Project, command: str, chromium: str, capsys: Cap) -> None:
    code, err = run(project, command, "/dev/full", chromium=chromium, capsys=capsys)
    assert code == 1
    assert err == (f"error: /dev/full already exists and demodeck {command} did not write it; "
                   "choose another file, or pass --force to replace it\n")
    code, err = run(project, command, "/dev/full", "--force", chromium=chromium, capsys=capsys)
    assert code == 1
    assert err == "error: cannot write /dev/full: No space left on device\n"
    assert Path("/dev/full").is_char_device()


def test_a_full_disk_keeps_the_previous_export_whole(project: Project, tmp_path: Path,
                                                    capsys: Cap) -> None:
    """The first export fits; the second (an 800 KB screenshot more) does not."""
    mount = tmp_path / "small"
    out = mount / "deck.html"
    with tmpfs(mount, "1m"):
        assert project.run("export", "-o", str(out), capsys=capsys).code == 0
        before = out.read_bytes()
        project.write_bytes("decks/big.png", os.urandom(800 * 1024))
        project.write(DECK, (project.root / DECK).read_text().replace(
            "    minutes: 5\n", "    minutes: 5\n    screenshot: {src: big.png, alt: Big}\n"))
        result = project.run("export", "-o", str(out), capsys=capsys)
        assert result.code == 1
        assert result.err == (f"error: cannot write {out}: No space left on device; "
                              "the previous file is unchanged\n")
        assert out.read_bytes() == before
        assert sorted(p.name for p in mount.iterdir()) == ["deck.html"]
