"""The README's set-up command and its Day-one block, run as written (issue 21, items 8
and 9): the text is read out of README.md, so the test fails when the README drifts.

They run in a fresh copy of the repository, in a shell that has nothing of this test run:
no PYTHONPATH, no virtual environment. Where the machine has Debian's (or Ubuntu's) own
python3, that is the `python3` they get: it refuses `pip install` into the system
("externally-managed-environment"), which the first command must get past. pip installs
from the package index, as a user's does.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from demodeck.scaffold import next_demo_day
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def first_command() -> str:
    """The first line of the README's first block: set up, build, open the site."""
    block = SH_BLOCK.search(README)
    assert block is not None, "README.md starts with a ```sh block of two commands"
    return block.group(1).splitlines()[0]


def day_one() -> str:
    """The ```sh block of the README's "Day one" section, whole."""
    section = README.split("\n## Day one\n", 1)
    assert len(section) == 2, "README.md has a '## Day one' section"
    block = SH_BLOCK.search(section[1])
    assert block is not None, "the Day one section has a ```sh block"
    return block.group(1)


def fresh_copy(dest: Path) -> Path:
    """What a clone of this repository holds, with the work tree's content (edits not yet
    committed too) and nothing git ignores (no site/, no .venv/, no caches)."""
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout: no way to tell which files a clone holds")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPO, capture_output=True,
                            check=True).stdout
    for name in sorted(set(listed.decode().split("\0")) - {""}):
        source = REPO / name
        if source.is_file():  # not a file deleted in the work tree
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def externally_managed(python: str) -> bool:
    """Whether ``python`` is a system Python that refuses `pip install` (PEP 668) and can
    make virtual environments (Debian's python3-venv is installed)."""
    probe = ("import ensurepip, os, sys, sysconfig; "
             "print(sys.version_info >= (3, 11) and os.path.exists(os.path.join("
             "sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))")
    result = subprocess.run([python, "-I", "-c", probe], capture_output=True, text=True,
                            check=False)
    return result.stdout.strip() == "True"


def user_shell(tmp: Path) -> dict[str, str]:
    """The environment of a user's new terminal, with a stand-in browser that notes the
    URL it is asked to open in ``tmp/opened.txt``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSAFEPATH")}
    browser = tmp / "browser"
    browser.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> {tmp / 'opened.txt'}\n")
    browser.chmod(0o755)
    env["BROWSER"] = str(browser)
    debian = Path("/usr/bin/python3")
    if debian.is_file() and externally_managed(str(debian)):
        env["PATH"] = f"{debian.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.mark.timeout(900)  # two pip installs from the package index
def test_the_first_command_and_the_day_one_block_run_as_written(tmp_path: Path) -> None:
    repo = fresh_copy(tmp_path / "demodeck")
    env = user_shell(tmp_path)
    command = first_command()
    assert "bash .ci/run" not in command
    first = subprocess.run(["bash", "-c", command], cwd=repo, env=env, capture_output=True,
                           text=True, timeout=800)
    assert first.returncode == 0, first.stdout + first.stderr
    assert re.search(r"^Built 3 decks, \d+ slides, ", first.stdout, re.M), first.stdout
    index = repo / "site" / "index.html"
    assert index.is_file()
    opened = (tmp_path / "opened.txt").read_text().splitlines()
    assert len(opened) == 1 and opened[0].startswith("file://")
    assert Path(opened[0].removeprefix("file://")).resolve() == index.resolve()

    block = day_one()
    shell = subprocess.run(["bash", "-e", "-c", block], cwd=repo, env=env,
                           capture_output=True, text=True, timeout=800)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    monday = next_demo_day(dt.date.today(), "monday")
    after = monday + dt.timedelta(days=7)
    lines = shell.stdout.splitlines()
    assert f"created myteam/decks/{monday}.yaml" in lines
    assert f"created decks/{after}.yaml (decks/{monday}.yaml already exists)" in lines
    assert "OK: 2 decks, 8 slides, no problems" in lines
    assert any(line.startswith("Built 2 decks, 8 slides, ") for line in lines), lines
    team = repo / "myteam"
    for day in (monday, after):
        assert (team / "site" / day.isoformat() / "index.html").is_file()
    assert (team / ".gitignore").read_text() == "site/\nexports/\n.demodeck-cache/\n"
