"""Shared fixtures: a throwaway demodeck project and a way to run the CLI in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from demodeck.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_DECK = "decks/2026-11-09.yaml"  # a deck of the examples that rebuild tests edit


def copy_examples(root: Path) -> Path:
    """A new project at ``root`` holding a copy of this repository's example decks."""
    shutil.copytree(REPO / "decks", root / "decks")
    return root


def count_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The processes forked from now on (one entry each, in this process)."""
    forked: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        forked.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", fork)
    return forked


def add_why_line(deck: Path, line: str) -> None:
    """A real edit to a deck file: ``line`` now opens its first demo's ``why``."""
    text = deck.read_text()
    assert "why: |\n" in text
    deck.write_text(text.replace("why: |\n", f"why: |\n      {line}\n", 1))


def built_deck_url(root: Path, deck: str) -> str:
    """Build a project at ``root`` of one deck, the YAML ``deck``; the file:// URL of that
    deck's page, for a browser test to open."""
    (root / "decks").mkdir()
    (root / "decks/2026-11-23.yaml").write_text(textwrap.dedent(deck), encoding="utf-8")
    assert main(["build", "-C", str(root), "--no-cache"]) == 0
    return (root / "site/2026-11-23/index.html").as_uri()


def site_gone(site: Path) -> None:
    """The instant between the two renames of a build's swap (where the file system has
    no exchange): no site."""
    os.rename(site, site.with_name(".site-old"))


def another_build_s_site(site: Path) -> None:
    """Another build's site swapped into place, whose index page (a file of its own)
    links to a page this project's site does not have."""
    new = site.with_name(".site-new")
    shutil.copytree(site, new)
    index = new / "index.html"
    index.unlink()
    index.write_text('<!doctype html><title>x</title><a href="2020-01-01/">Old</a>')
    os.rename(site, site.with_name(".site-old"))
    os.rename(new, site)

MINIMAL_DECK = """\
title: Weekly Demo
hosts: [Grace Hopper]
demos:
  - title: Search v2
    team: Discovery
    people:
      - Gur Shafriri
      - {name: Ada Lovelace, role: Backend}
    features: [Typo-tolerant matching, "**Hebrew** tokenisation"]
    why: |
      12% of searches had a typo. See [the RFC](https://example.com/rfc/42).
    could_be_better: |
      We shipped without a zero-results dashboard.
    minutes: 5
  - title: Faster checkout
    people: [Zoë Quinn]
    features: [One-click pay]
    why: Checkout took 9 steps.
    could_be_better: Load testing came late.
"""


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Project:
    root: Path

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def write_bytes(self, rel: str, data: bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def run(self, *args: str, capsys: pytest.CaptureFixture[str]) -> Run:
        """Run the CLI in-process (fast); use ``run_process`` to prove there is no traceback."""
        code = main([*args[:1], "-C", str(self.root), *args[1:]])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def run_process(self, *args: str) -> Run:
        proc = subprocess.run([sys.executable, "-m", "demodeck", *args[:1], "-C",
                               str(self.root), *args[1:]], capture_output=True, text=True,
                              timeout=60)
        return Run(proc.returncode, proc.stdout, proc.stderr)

    def site(self, rel: str = "index.html") -> str:
        return (self.root / "site" / rel).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module (Debian's, driven by Playwright)."""
    from tests.browser import chromium, require

    require()
    with chromium() as b:
        yield b


@pytest.fixture
def project(tmp_path: Path) -> Project:
    proj = Project(tmp_path / "proj")
    proj.root.mkdir()
    proj.write("decks/2026-11-23.yaml", MINIMAL_DECK)
    return proj
