"""A user's mistake or a bad day on the machine is a plain message naming the place, never
an "internal error": templates that fail or call themselves, folders that cannot be read,
template links that leave the project, a port that is not one, settings out of place."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demodeck import render
from demodeck.cli import main
from demodeck.errors import UsageError
from demodeck.incremental import pool
from demodeck.preview_http import bind
from tests.conftest import REPO, Project, copy_examples

Cap = pytest.CaptureFixture[str]
NOTHING_WRITTEN = "error: 1 problem found; nothing was written"


@pytest.fixture
def examples(tmp_path: Path) -> Project:
    """A project with the example decks: two deck files and a deck folder."""
    root = tmp_path / "proj"
    root.mkdir()
    return Project(copy_examples(root))


def assert_plain(err: str) -> None:
    assert "internal error" not in err and "Traceback" not in err, err


# -- templates are code: links out of the project are refused ------------------------------

THEME_DECK = (REPO / "templates/deck.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("link", "what"), [
    ("templates/deck.html", "file"),
    ("templates/static/deck.css", "file"),
    ("templates/partials", "folder"),
    ("templates", "folder"),
])
@pytest.mark.parametrize("command", ["build", "export"])
def test_a_template_link_out_of_the_project_is_refused(examples: Project, tmp_path: Path,
                                                       link: str, what: str, command: str,
                                                       capsys: Cap) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "deck.html").write_text(THEME_DECK)  # a working template: only the link is wrong
    (outside / "deck.css").write_text("body { color: red }")
    path = examples.root / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(outside if what == "folder" else outside / path.name,
                    target_is_directory=what == "folder")
    out = ["-o", str(tmp_path / "deck.html")] if command == "export" else []
    result = examples.run(command, *out, capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == [
        f"{link}: is a link to a {what} outside the project; templates are code: "
        f"copy the {what} into the project instead", NOTHING_WRITTEN]
    assert not (examples.root / "site").exists() and not (tmp_path / "deck.html").exists()


def test_a_template_link_that_loops_is_refused(examples: Project, capsys: Cap) -> None:
    (examples.root / "templates").mkdir()
    (examples.root / "templates/deck.html").symlink_to(examples.root / "templates/deck.html")
    result = examples.run("build", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == [
        "templates/deck.html: is a symbolic link that loops", NOTHING_WRITTEN]


def test_a_template_linked_from_inside_the_project_is_used(examples: Project,
                                                           capsys: Cap) -> None:
    examples.write("shared/deck.html", THEME_DECK.replace('{% block body %}',
                                                          '{% block body %}<!-- shared -->'))
    (examples.root / "templates").mkdir()
    (examples.root / "templates/deck.html").symlink_to(examples.root / "shared/deck.html")
    assert examples.run("build", capsys=capsys).code == 0
    assert "<!-- shared -->" in examples.site("2026-11-23/index.html")


# -- a template that fails while it renders ------------------------------------------------

EXTENDS = '{% extends "!theme/deck.html" %}\n'
CALLS_ITSELF = ("the template calls itself without end (a macro, {% include %} or "
                "{% extends %} that leads back to itself)")
TEMPLATE_FAILURES = {
    "division by zero": ("templates/deck.html", EXTENDS
                         + "{% block retro_slide %}{{ super() }}\n{{ 1/0 }}{% endblock %}\n",
                         "templates/deck.html:3: the template failed: division by zero"),
    "a macro calling itself": ("templates/deck.html", EXTENDS
                               + "{% macro again(n) %}{{ again(n + 1) }}{% endmacro %}\n"
                               "{% block retro_slide %}{{ super() }}{{ again(1) }}{% endblock %}\n",
                               f"templates/deck.html:2: {CALLS_ITSELF}"),
    "a template including itself": ("templates/deck.html", '{% include "deck.html" %}\n',
                                    f"templates/deck.html:1: {CALLS_ITSELF}"),
    "a template extending itself": ("templates/deck.html", '{% extends "deck.html" %}\n',
                                    f"templates/deck.html:1: {CALLS_ITSELF}"),
    "an archive page dividing by zero": ("templates/index.html",
                                         '{% extends "!theme/index.html" %}\n'
                                         "{% block masthead %}{{ 1/0 }}{% endblock %}\n",
                                         "templates/index.html:2: the template failed: "
                                         "division by zero"),
}


@pytest.mark.parametrize("jobs", [[], ["--jobs", "1"], ["--jobs", "2"]],
                         ids=["default jobs", "one job", "two jobs"])
@pytest.mark.parametrize("case", TEMPLATE_FAILURES)
def test_a_failing_template_is_named_with_its_line(examples: Project, case: str,
                                                   jobs: list[str], capsys: Cap,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Deck pages may render in worker processes: the problem comes back as a message."""
    monkeypatch.setattr(pool, "PARALLEL_MIN", 1)  # three decks are enough to fork
    name, text, expected = TEMPLATE_FAILURES[case]
    examples.write(name, text)
    result = examples.run("build", *jobs, capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == [expected, NOTHING_WRITTEN]
    assert not (examples.root / "site").exists()


def test_export_names_the_failing_template(examples: Project, capsys: Cap) -> None:
    name, text, expected = TEMPLATE_FAILURES["division by zero"]
    examples.write(name, text)
    result = examples.run("export", "-o", str(examples.root / "deck.html"), capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == [expected, NOTHING_WRITTEN]
    assert not (examples.root / "deck.html").exists()


def test_a_bug_in_demodeck_is_not_blamed_on_the_theme(examples: Project, capsys: Cap,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the project's own templates/ can be at fault; with none, a failure is ours."""
    def broken(day: Any) -> str:
        raise ValueError("a bug")

    monkeypatch.setattr(render, "format_date", broken)
    result = examples.run("build", "--jobs", "1", capsys=capsys)
    assert result.code == 1
    assert result.err.startswith("internal error: ValueError: a bug\n")


# -- folders and files the system will not let us read -------------------------------------


def _refused(path: object) -> PermissionError:
    return PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))  # type: ignore[arg-type]


def deny(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``folder`` behave as with mode 000 for someone without root's powers (the
    tests run as root, who reads anything): it cannot be listed, and nothing in it can be
    looked at or opened."""
    real_scandir, real_stat = os.scandir, os.stat

    def place(path: Any) -> Path | None:
        if isinstance(path, str | bytes | os.PathLike):
            return Path(os.path.abspath(os.fsdecode(path)))
        return None  # a file descriptor

    def scandir(path: Any = ".") -> Any:
        where = place(path)
        if where is not None and (where == folder or folder in where.parents):
            raise _refused(path)
        return real_scandir(path)

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        where = place(path)
        if where is not None and folder in where.parents:
            raise _refused(path)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "stat", stat)


@pytest.mark.parametrize("command", ["build", "check"])
@pytest.mark.parametrize("folder", ["decks/2026-11-16", "decks"])
def test_an_unreadable_decks_folder_is_named(examples: Project, folder: str, command: str,
                                             capsys: Cap,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    deny(monkeypatch, examples.root / folder)
    result = examples.run(command, capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == [
        f"{folder}: cannot read this folder (permission denied)", NOTHING_WRITTEN]


def test_an_unreadable_project_folder_is_named(examples: Project, capsys: Cap,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    deny(monkeypatch, examples.root)
    result = examples.run("build", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == [
        f"error: {examples.root}: cannot read this folder (permission denied)"]


def test_any_file_the_system_refuses_is_named_not_called_a_bug(
        examples: Project, capsys: Cap, monkeypatch: pytest.MonkeyPatch) -> None:
    examples.write("templates/deck.html", THEME_DECK)
    refused = examples.root / "templates/deck.html"
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == refused:
            raise _refused(self)
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = examples.run("build", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == ["error: templates/deck.html: permission denied"]


def _without_root_powers(tmp_path: Path) -> list[str]:
    """The command prefix that makes file permissions hold for this user: none for a
    plain user; for root, setpriv dropping the powers to read and search anything."""
    if os.geteuid() != 0:
        return []
    prefix = [shutil.which("setpriv") or "setpriv",
              "--bounding-set=-dac_override,-dac_read_search"]
    probe = tmp_path / "probe"
    probe.mkdir(mode=0)
    try:
        tried = subprocess.run([*prefix, sys.executable, "-c", "import os, sys; "
                                "os.listdir(sys.argv[1])", str(probe)], capture_output=True)
    except OSError:
        tried = None
    finally:
        probe.rmdir()
    if tried is None or tried.returncode == 0:
        pytest.skip("cannot take away root's power to read anything here")
    return prefix


@pytest.fixture
def locked(examples: Project) -> Iterator[list[Path]]:
    """Paths a test makes unreadable; given their permissions back afterwards."""
    paths: list[Path] = []
    yield paths
    for path in paths:
        path.chmod(0o755)


@pytest.mark.parametrize(("path", "expected"), [
    ("decks/2026-11-16", ["decks/2026-11-16: cannot read this folder (permission denied)",
                          NOTHING_WRITTEN]),
    ("decks", ["decks: cannot read this folder (permission denied)", NOTHING_WRITTEN]),
    (".", ["error: {root}: cannot read this folder (permission denied)"]),
    ("templates/deck.html", ["error: templates/deck.html: permission denied"]),
])
def test_real_permissions_give_the_same_plain_messages(examples: Project, tmp_path: Path,
                                                       locked: list[Path], path: str,
                                                       expected: list[str]) -> None:
    prefix = _without_root_powers(tmp_path)
    examples.write("templates/deck.html", THEME_DECK)
    target = examples.root / path
    target.chmod(0)
    locked.append(target)
    proc = subprocess.run([*prefix, sys.executable, "-m", "demodeck", "build", "-C",
                           str(examples.root)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [e.format(root=examples.root) for e in expected]


# -- serve --port ---------------------------------------------------------------------------


@pytest.mark.parametrize("port", ["70000", "65536", "-1", "abc", "8e3"])
def test_serve_refuses_a_port_that_is_not_one(port: str, capsys: Cap) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", port])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert_plain(err)
    assert err.splitlines()[-1] == (f"demodeck serve: error: argument --port: '{port}' is not "
                                    "a port number (0 to 65535; 0 picks a free one)")


def test_the_preview_refuses_a_port_that_is_not_one() -> None:
    with pytest.raises(UsageError, match=r"^70000 is not a port number \(0 to 65535"):
        bind("127.0.0.1", 70000)


# -- demodeck.yaml: problems point at the value --------------------------------------------


def test_settings_outside_the_project_point_at_their_value(project: Project,
                                                           capsys: Cap) -> None:
    project.write("demodeck.yaml", "title: Demos\ndecks_dir: /srv/decks\n"
                  "output_dir:   ../public\n")
    result = project.run("check", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == [
        "demodeck.yaml:2:12: decks_dir: '/srv/decks' must be a folder inside the project "
        "(relative, without '..')",
        "demodeck.yaml:3:15: output_dir: '../public' must be a folder inside the project "
        "(relative, without '..')",
        "error: 2 problems found; nothing was written"]


def test_an_output_folder_over_the_sources_points_at_its_value(project: Project,
                                                               capsys: Cap) -> None:
    project.write("demodeck.yaml", "title: Demos\n\noutput_dir: decks\n")
    result = project.run("build", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == [
        "demodeck.yaml:3:13: output_dir: output folder 'decks' would overwrite your decks "
        "or templates; pick an empty folder such as 'site'", NOTHING_WRITTEN]
