"""`export`, `pdf` and `announce` take their decks as `build` and `check` do, through the
build's seam (:mod:`demodeck.incremental.seam`): a deck the build cache holds unchanged
is not parsed again, the file or message is the same with the cache, without it
(``--no-cache``) and the plain way (``DEMODECK_PLAIN=1``), and what the cache knows of
the site is left as the last build wrote it.

Whether a deck was parsed is seen by counting the calls of the validate stage's
:func:`demodeck.decks.validate_one`, through which every deck goes, plain or cached.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from demodeck import decks
from demodeck.errors import Problem
from demodeck.incremental.cache import CACHE_DIR, BuildCache
from demodeck.load import DeckSource
from demodeck.model import Deck, SiteConfig
from tests.browser import CHROMIUM
from tests.conftest import Project, add_why_line, copy_examples

Cap = pytest.CaptureFixture[str]
NEWEST = "2026-11-23"
BROKEN = "title: Broken\ndemos:\n  - title: [unclosed\n"


@pytest.fixture
def examples(tmp_path: Path) -> Project:
    """A copy of the example decks (with their pictures)."""
    return Project(copy_examples(tmp_path / "larder"))


def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The deck files validated from now on in this process, one entry each."""
    seen: list[str] = []
    real = decks.validate_one

    def counted(site: SiteConfig, source: DeckSource,
                root: Path | None = None) -> tuple[Deck | None, list[Problem]]:
        seen.append(source.path)
        return real(site, source, root)

    monkeypatch.setattr(decks, "validate_one", counted)
    return seen


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def export(project: Project, out: Path, *args: str, capsys: Cap) -> bytes:
    result = project.run("export", NEWEST, "-o", str(out), "--jobs", "1", *args,
                         capsys=capsys)
    assert result.code == 0, result.err
    return out.read_bytes()


def test_an_exported_deck_is_the_same_file_with_the_cache_without_it_and_plain(
        examples: Project, tmp_path: Path, capsys: Cap,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert examples.run("build", "--jobs", "1", capsys=capsys).code == 0
    cached = export(examples, tmp_path / "cached.html", capsys=capsys)
    again = export(examples, tmp_path / "again.html", capsys=capsys)
    uncached = export(examples, tmp_path / "uncached.html", "--no-cache", capsys=capsys)
    monkeypatch.setenv("DEMODECK_PLAIN", "1")
    plain = export(examples, tmp_path / "plain.html", capsys=capsys)
    assert cached == again == uncached == plain
    assert b"<!-- demodeck export" in plain


def test_an_export_after_a_build_parses_no_deck_again(
        examples: Project, tmp_path: Path, capsys: Cap,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert examples.run("build", "--jobs", "1", capsys=capsys).code == 0
    plain = export(examples, tmp_path / "plain.html", "--no-cache", capsys=capsys)
    parsed = validations(monkeypatch)
    assert export(examples, tmp_path / "cached.html", capsys=capsys) == plain
    assert parsed == []


def test_announce_after_a_build_parses_no_deck_and_says_the_same(
        examples: Project, capsys: Cap, monkeypatch: pytest.MonkeyPatch) -> None:
    assert examples.run("build", "--jobs", "1", capsys=capsys).code == 0
    uncached = examples.run("announce", NEWEST, "--no-cache", capsys=capsys)
    monkeypatch.setenv("DEMODECK_PLAIN", "1")
    plain = examples.run("announce", NEWEST, capsys=capsys)
    monkeypatch.delenv("DEMODECK_PLAIN")
    parsed = validations(monkeypatch)
    cached = examples.run("announce", NEWEST, "--jobs", "1", capsys=capsys)
    assert parsed == []
    assert cached == uncached == plain
    assert cached.code == 0 and cached.out.startswith("**Larder R&D Weekly Demo · Week 48**")


def test_a_deck_export_validated_is_kept_for_the_next_run_and_the_sites_record_is_not_touched(
        examples: Project, tmp_path: Path, capsys: Cap,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert examples.run("build", "--jobs", "1", capsys=capsys).code == 0
    recorded = BuildCache.for_project(examples.root).read_manifest()
    add_why_line(examples.root / "decks" / f"{NEWEST}.yaml", "Edited after the build.")
    parsed = validations(monkeypatch)
    first = export(examples, tmp_path / "first.html", capsys=capsys)
    assert parsed == [f"decks/{NEWEST}.yaml"]  # the edited deck only
    assert b"Edited after the build." in first
    parsed.clear()
    assert export(examples, tmp_path / "second.html", capsys=capsys) == first
    assert parsed == []
    # the last build's record of its site, which the next build compares with, is as it was
    assert BuildCache.for_project(examples.root).read_manifest() == recorded
    # and the next build, from what the exports left in the cache, writes what a plain one does
    assert examples.run("build", "--jobs", "1", capsys=capsys).code == 0
    monkeypatch.setenv("DEMODECK_PLAIN", "1")
    assert examples.run("build", "--out", "plain", capsys=capsys).code == 0
    assert tree(examples.root / "site") == tree(examples.root / "plain")


def test_export_and_announce_with_no_cache_or_plain_leave_no_cache_behind(
        project: Project, tmp_path: Path, capsys: Cap,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert project.run("export", "-o", str(tmp_path / "a.html"), "--no-cache",
                       capsys=capsys).code == 0
    assert project.run("announce", "--no-cache", capsys=capsys).code == 0
    monkeypatch.setenv("DEMODECK_PLAIN", "1")
    assert project.run("export", "-o", str(tmp_path / "b.html"), capsys=capsys).code == 0
    assert project.run("announce", capsys=capsys).code == 0
    assert not (project.root / CACHE_DIR).exists()


@pytest.mark.parametrize("command", ["export", "announce"])
def test_a_yaml_error_is_reported_at_its_place_as_check_reports_it(
        examples: Project, capsys: Cap, command: str) -> None:
    assert examples.run("build", "--jobs", "1", capsys=capsys).code == 0
    examples.write("decks/2026-11-30.yaml", BROKEN)
    checked = examples.run("check", capsys=capsys)
    assert checked.code == 1
    assert checked.err.startswith("decks/2026-11-30.yaml:4:1: YAML syntax error: ")
    result = examples.run(command, NEWEST, capsys=capsys)
    assert (result.code, result.out, result.err) == (1, "", checked.err)


def test_pdf_takes_no_cache_and_jobs_as_build_does(
        examples: Project, tmp_path: Path, capsys: Cap) -> None:
    out = tmp_path / "deck.pdf"
    result = examples.run("pdf", NEWEST, "--out", str(out), "--no-cache", "--jobs", "1",
                          "--chromium", CHROMIUM, capsys=capsys)
    assert result.code == 0, result.err
    assert out.read_bytes().startswith(b"%PDF-")
    assert not (examples.root / CACHE_DIR).exists()
