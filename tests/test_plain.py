"""The plain build (``DEMODECK_PLAIN=1``) and the accelerated one make the same bytes.

The accelerators (build cache, manifest, process pool, kept files) sit behind one seam,
:mod:`demodeck.incremental.seam`; the plain twin is the reference they must agree with,
on the example decks and on a generated archive, cold, warm and after an edit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_DECK, REPO, add_why_line, copy_examples


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run_build(root: Path, out: Path, *args: str, plain: bool = False,
              env_home: Path) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(env_home), "XDG_CACHE_HOME": str(env_home),
           "PYTHONPATH": str(REPO)}
    if plain:
        env["DEMODECK_PLAIN"] = "1"
    proc = subprocess.run([sys.executable, "-m", "demodeck", "build", "-C", str(root),
                           "--out", str(out), *args],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def generated(root: Path, decks: int) -> Path:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from generate import generate  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    generate(root, decks, seed=11)
    return root


@pytest.mark.parametrize("source", ["examples", "archive"])
def test_the_plain_build_and_the_accelerated_one_write_the_same_site(
        tmp_path: Path, source: str) -> None:
    root = (copy_examples(tmp_path / "p") if source == "examples"
            else generated(tmp_path / "p", 30))
    home = tmp_path / "home"
    deck = root / EXAMPLE_DECK if source == "examples" else sorted(
        (root / "decks").glob("*.yaml"))[-1]
    for step in ("cold", "warm", "edited"):
        if step == "edited":
            add_why_line(deck, "Edited since.")
        run_build(root, tmp_path / "plain", "--jobs", "2", plain=True, env_home=home)
        said = run_build(root, tmp_path / "fast", "--jobs", "2", env_home=home)
        assert ("Up to date" in said) == (step == "warm")
        assert tree(tmp_path / "fast") == tree(tmp_path / "plain"), step


def test_a_plain_build_leaves_no_cache_behind(tmp_path: Path) -> None:
    root = copy_examples(tmp_path / "p")
    said = run_build(root, tmp_path / "site", plain=True, env_home=tmp_path / "home")
    assert said.startswith("Built ")
    assert not (root / ".demodeck-cache").exists()
    said = run_build(root, tmp_path / "site", plain=True, env_home=tmp_path / "home")
    assert said.startswith("Built ")  # never "Up to date": nothing is remembered


def test_an_action_closed_in_an_older_deck_leaves_the_newer_decks_page_as_a_cold_build_does(
        tmp_path: Path) -> None:
    """Week 47 now closes an action of week 46 that week 48's retrospective followed up as
    open: the cached rebuild makes week 48's page again, byte for byte as the plain build."""
    from bs4 import BeautifulSoup

    def follow_up(site: Path) -> str:
        page = BeautifulSoup((site / "2026-11-23/index.html").read_text(), "html.parser")
        card = page.select_one(".card--followup")
        assert card is not None
        return " ".join(card.get_text(" ").split())

    root, home = copy_examples(tmp_path / "p"), tmp_path / "home"
    run_build(root, tmp_path / "fast", env_home=home)
    assert "Announce schema migrations" in follow_up(tmp_path / "fast")
    deck = root / "decks/2026-11-16/deck.yaml"
    text = deck.read_text()
    assert "done: [checkout-smoke-test]" in text
    deck.write_text(text.replace("done: [checkout-smoke-test]",
                                 "done: [checkout-smoke-test, announce-migrations]"))
    said = run_build(root, tmp_path / "fast", env_home=home)
    assert "Up to date" not in said
    run_build(root, tmp_path / "plain", plain=True, env_home=home)
    assert tree(tmp_path / "fast") == tree(tmp_path / "plain")
    assert "Announce schema migrations" not in follow_up(tmp_path / "fast")


def test_the_benchmark_writes_one_archive_for_demodeck_mkdocs_and_hugo(tmp_path: Path) -> None:
    # every deck the generator makes (actions with and without owners, closed ones) has
    # its page in the MkDocs and Hugo copies the benchmark times against
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from generate import generate  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    generate(tmp_path / "d", 40, seed=5, mkdocs=tmp_path / "m", hugo=tmp_path / "h")
    decks = sorted(p.stem for p in (tmp_path / "d" / "decks").glob("*.yaml"))
    assert len(decks) == 40
    assert sorted(p.stem for p in (tmp_path / "m" / "docs").glob("2*.md")) == decks
    assert sorted(p.stem for p in (tmp_path / "h" / "content").glob("*.md")) == decks
    page = (tmp_path / "m" / "docs" / f"{decks[-1]}.md").read_text(encoding="utf-8")
    assert "## What could we have done better?" in page
