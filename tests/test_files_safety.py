"""Files (issue 7): nothing outside the project is read, and the published site survives.

Every way a build can go wrong here (an image path that leaves the project, an
output folder that cannot be written, a full disk, Ctrl-C at any moment) must
leave the previous site exactly as it was, byte for byte, and no temporary
folder beside it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demodeck import cli, outdir
from demodeck import swap as swap_mod
from demodeck import write as write_mod
from demodeck.build import build
from demodeck.config import load_config
from demodeck.errors import UsageError
from demodeck.incremental import pool
from demodeck.pages import Page
from demodeck.preview_build import cached_builder
from tests.conftest import MINIMAL_DECK, REPO, Project

Cap = pytest.CaptureFixture[str]
PNG = next((REPO / "decks/images").glob("*.png")).read_bytes()


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(parent: Path, name: str = "site") -> list[Path]:
    return sorted([*parent.glob(f".{name}.new-*"), *parent.glob(f".{name}.old-*")])


def with_demo_lines(extra: str) -> str:
    """The minimal deck with ``extra`` (indented lines) added to its first demo."""
    return MINIMAL_DECK.replace("    minutes: 5\n", "    minutes: 5\n" + extra)


@pytest.fixture
def built(project: Project, capsys: Cap) -> Project:
    """A project with a good site already built: every test must leave it as it is."""
    (project.root / "decks/images").mkdir()
    (project.root / "decks/images/ok.png").write_bytes(PNG)
    assert project.run("build", capsys=capsys).code == 0
    return project


def assert_untouched(project: Project, before: dict[str, bytes]) -> None:
    assert tree(project.root / "site") == before
    assert leftovers(project.root) == []


# --- image paths that leave the project ----------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the project with a real PNG in it."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.png").write_bytes(PNG)
    return folder


ESCAPES = [
    ("avatar", "../../outside/secret.png", "points outside the project"),
    ("avatar", "images/../../../outside/secret.png", "points outside the project"),
    ("avatar", "{outside}/secret.png", "use a path relative to this file, not an absolute path"),
    ("avatar", "/etc/passwd", "use a path relative to this file, not an absolute path"),
    ("avatar", "file:///etc/passwd", "images must be files in the project, not URLs"),
    ("avatar", "//evil.example/x.png", "images must be files in the project, not URLs"),
    ("avatar", "https://evil.example/x.png", "images must be files in the project, not URLs"),
    ("avatar", "images/link-out.png", "points outside the project"),  # symlink to a file
    ("avatar", "linked/secret.png", "points outside the project"),  # symlinked folder
    ("avatar", "images/loop.png", "cannot use this image path: Symlink loop"),
    ("avatar", "images/" + "x" * 5000 + ".png", "cannot use this image path: File name too long"),
    ("avatar", "images/ok.png\\0.txt", "contains the control character U+0000"),
    ("avatar", "images/folder.png", "does not exist"),  # a folder named like an image
    ("avatar", "images/evil.svg", "SVG is refused"),
    ("src", "../../outside/secret.png", "points outside the project"),
    ("src", "images/link-out.png", "points outside the project"),
]


@pytest.mark.parametrize(("field", "path", "message"), ESCAPES)
def test_image_paths_never_leave_the_project(built: Project, outside: Path, field: str,
                                             path: str, message: str, capsys: Cap) -> None:
    images = built.root / "decks/images"
    (images / "link-out.png").symlink_to(outside / "secret.png")
    (built.root / "decks/linked").symlink_to(outside, target_is_directory=True)
    (images / "loop.png").symlink_to(images / "loop.png")
    (images / "folder.png").mkdir()
    (images / "evil.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>')
    before = tree(built.root / "site")
    value = path.format(outside=outside)
    extra = (f'    people: [{{name: Ada, avatar: "{value}"}}]\n' if field == "avatar" else
             f'    screenshot: {{src: "{value}", alt: A secret}}\n')
    deck = with_demo_lines(extra)
    if field == "avatar":  # replace the demo's people rather than add a second key
        deck = deck.replace("    people:\n      - Gur Shafriri\n"
                            "      - {name: Ada Lovelace, role: Backend}\n", "")
    built.write("decks/2026-11-23.yaml", deck)
    result = built.run("build", capsys=capsys)
    assert result.code == 1, result.out
    first = result.err.splitlines()[0]
    assert first.startswith("decks/2026-11-23.yaml:")
    assert message in first, first
    assert "internal error" not in result.err
    assert_untouched(built, before)
    assert not any(b"secret" in data for data in tree(built.root / "site").values())


def test_a_deck_file_linked_from_outside_is_refused(built: Project, outside: Path,
                                                   capsys: Cap) -> None:
    (outside / "2026-11-30.yaml").write_text(MINIMAL_DECK)
    (built.root / "decks/2026-11-30.yaml").symlink_to(outside / "2026-11-30.yaml")
    (outside / "folder").mkdir()
    (outside / "folder/demo.yaml").write_text("title: x\n")
    (built.root / "decks/2026-12-07").symlink_to(outside / "folder", target_is_directory=True)
    before = tree(built.root / "site")
    result = built.run("build", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        "decks/2026-11-30.yaml: this file is a link to a place outside the project; "
        "refusing to read it",
        "decks/2026-12-07/demo.yaml: this file is a link to a place outside the project; "
        "refusing to read it"]
    assert_untouched(built, before)


def test_a_decks_folder_linked_from_outside_is_refused(project: Project, outside: Path,
                                                      capsys: Cap) -> None:
    """Deck files are not resolved one by one when they are plain files in a decks folder
    inside the project: that shortcut must not apply to a decks folder that is a link."""
    (outside / "2026-11-30.yaml").write_text(MINIMAL_DECK)
    shutil.rmtree(project.root / "decks")
    (project.root / "decks").symlink_to(outside, target_is_directory=True)
    result = project.run("build", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "decks/2026-11-30.yaml: this file is a link to a place outside the project; "
        "refusing to read it")
    assert not (project.root / "site").exists()


def test_a_deck_file_linked_within_the_project_is_read(project: Project, capsys: Cap) -> None:
    project.write("drafts/monday.yaml", MINIMAL_DECK.replace("Search v2", "Linked search"))
    (project.root / "decks/2026-11-30.yaml").symlink_to(project.root / "drafts/monday.yaml")
    assert project.run("build", capsys=capsys).code == 0
    assert "Linked search" in (project.root / "site/2026-11-30/index.html").read_text()


def test_a_fifo_named_like_a_deck_does_not_hang_the_build(built: Project, capsys: Cap) -> None:
    os.mkfifo(built.root / "decks/2026-11-30.yaml")
    started = time.monotonic()
    result = built.run("build", capsys=capsys)
    assert time.monotonic() - started < 10
    assert result.code == 1
    assert result.err.splitlines()[0] == ("decks/2026-11-30.yaml: this is not a regular file; "
                                          "refusing to read it")


# --- names that differ only in case ---------------------------------------------------------


def test_names_differing_only_in_case_stay_apart(project: Project, capsys: Cap) -> None:
    """On a case-insensitive disk (macOS, Windows) two output files whose names differ
    only in case are one file: they must then hold the same bytes."""
    images = project.root / "decks/images"
    images.mkdir()
    (images / "Shot.png").write_bytes(PNG)
    (images / "shot.png").write_bytes(PNG + b"\0")  # another picture
    (images / "SHOT.PNG").write_bytes(PNG)  # the same picture as Shot.png
    deck = MINIMAL_DECK + """\
  - title: search v2
    people: [{name: ada lovelace, avatar: images/shot.png}, {name: ADA LOVELACE}]
    features: [Same title, other case]
    why: Case.
    could_be_better: Case.
    screenshot: {src: images/Shot.png, alt: Upper}
  - title: SEARCH V2
    people: [{name: Grace, avatar: images/SHOT.PNG}]
    features: [x]
    why: x
    could_be_better: x
"""
    project.write("decks/2026-11-23.yaml", deck)
    project.write("decks/2026-11-16.yml", MINIMAL_DECK)
    project.write("decks/2026-11-16.yaml", MINIMAL_DECK)
    result = project.run("build", capsys=capsys)
    assert result.code == 1  # two files for one date are refused, not merged or picked
    assert result.err.splitlines()[0] == (
        "decks/2026-11-16.yml: two decks have the date 2026-11-16: decks/2026-11-16.yaml and "
        "decks/2026-11-16.yml; keep one")
    (project.root / "decks/2026-11-16.yml").unlink()
    result = project.run("build", capsys=capsys)
    assert result.code == 0, result.err
    files = tree(project.root / "site")
    folded: dict[str, bytes] = {}
    for path, data in files.items():
        assert folded.setdefault(path.casefold(), data) == data, path
    html = files["2026-11-23/index.html"].decode()
    for slide in ('id="search-v2"', 'id="search-v2-2"', 'id="search-v2-3"'):
        assert slide in html
    people = [p for p in files if p.startswith("people/") and p.count("/") == 2]
    assert len({p.casefold() for p in people}) == len(people)
    assert sum("ada-lovelace" in p for p in people) == 1  # one person, however typed


# --- the output folder ----------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small tmpfs at ``where``, or a skip when this machine cannot mount one."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_read_only_output_folder_is_a_clean_error(project: Project, tmp_path: Path,
                                                  capsys: Cap) -> None:
    """As root (CI) the folder is a tmpfs remounted read-only; otherwise a chmod."""
    mount = tmp_path / "mnt"
    out = mount / "site"
    if os.geteuid() == 0:
        context: contextlib.AbstractContextManager[Path] = tmpfs(mount, "8m")
    else:
        mount.mkdir()
        context = contextlib.nullcontext(mount)
    with context:
        assert project.run("build", "--out", str(out), capsys=capsys).code == 0
        before = tree(out)
        project.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace("Search v2", "Search v3"))
        if os.geteuid() == 0:
            subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
            reason = "Read-only file system"
        else:
            mount.chmod(0o555)
            reason = "Permission denied"
        try:
            result = project.run("build", "--out", str(out), capsys=capsys)
        finally:
            if os.geteuid() != 0:
                mount.chmod(0o755)
        assert result.code == 1
        assert result.err == (f"error: cannot write the site to {out}: {reason}; "
                              "the previous site is unchanged\n")
        assert tree(out) == before
        assert leftovers(mount) == []


def test_disk_full_on_a_real_tmpfs(project: Project, tmp_path: Path, capsys: Cap) -> None:
    """The first site fits; the second (a 1.2 MB screenshot more) does not."""
    mount = tmp_path / "small"
    out = mount / "site"
    with tmpfs(mount, "1m"):
        assert project.run("build", "--out", str(out), capsys=capsys).code == 0
        before = tree(out)
        (project.root / "decks/big.png").write_bytes(PNG + os.urandom(1200 * 1024))
        project.write("decks/2026-11-23.yaml",
                      with_demo_lines("    screenshot: {src: big.png, alt: Big}\n"))
        result = project.run("build", "--out", str(out), capsys=capsys)
        assert result.code == 1, result.out
        assert result.err == (f"error: cannot write the site to {out}: No space left on device;"
                              " the previous site is unchanged\n")
        assert tree(out) == before
        assert leftovers(mount) == []
        assert shutil.disk_usage(mount).used < 512 * 1024  # the half-written copy is gone


@pytest.mark.parametrize("after", [0, 3, 7])
def test_disk_full_simulated_at_any_page(built: Project, monkeypatch: pytest.MonkeyPatch,
                                         after: int, capsys: Cap) -> None:
    before = tree(built.root / "site")
    real = Path.write_bytes
    written = 0

    def write_bytes(self: Path, data: bytes) -> int:
        nonlocal written
        if written >= after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        written += 1
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    built.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace("Search v2", "Search v3"))
    result = built.run("build", "--no-cache", capsys=capsys)
    assert result.code == 1
    assert "No space left on device; the previous site is unchanged" in result.err
    assert "internal error" not in result.err
    assert_untouched(built, before)


@pytest.mark.parametrize("step", ["mkdtemp", "marker", "chmod", "exchange", "rename"])
def test_any_failing_step_of_the_write_keeps_the_site(built: Project, step: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree(built.root / "site")
    built.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace("Search v2", "Search v3"))
    failure = OSError(errno.EIO, os.strerror(errno.EIO))

    def fail(*args: object, **kwargs: object) -> None:
        raise failure

    if step == "mkdtemp":
        monkeypatch.setattr(tempfile, "mkdtemp", fail)
    elif step == "marker":
        monkeypatch.setattr(Path, "write_text", fail)
    elif step == "chmod":
        monkeypatch.setattr(os, "chmod", fail)
    elif step == "exchange":
        monkeypatch.setattr(swap_mod, "_exchange_call", lambda: fail)
    else:  # a file system without the exchange: two renames
        monkeypatch.setattr(swap_mod, "_exchange", lambda new, out: False)
        real = os.rename
        calls = []

        def rename(src: object, dst: object) -> None:  # fail the second of the two renames
            calls.append(src)
            if len(calls) == 2:
                raise failure
            real(src, dst)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(UsageError, match="Input/output error; the previous site is unchanged"):
        build(load_config(built.root))
    assert_untouched(built, before)


def test_a_page_path_that_leaves_the_site_is_refused(built: Project) -> None:
    before = tree(built.root / "site")
    for bad in ("../escaped.html", "/etc/escaped.html", "a/../../escaped.html"):
        with pytest.raises(ValueError, match="refusing to write outside the site"):
            write_mod.write_site(built.root / "site", [Page("index.html", b"x"), Page(bad, b"x")])
    assert_untouched(built, before)
    assert not (built.root / "escaped.html").exists()


@pytest.mark.parametrize("kind", ["foreign", "file", "symlink", "project", "decks"])
def test_folders_demodeck_did_not_make_are_never_replaced(project: Project, tmp_path: Path,
                                                          kind: str, capsys: Cap) -> None:
    target = {"foreign": tmp_path / "docs", "file": tmp_path / "notes.txt",
              "symlink": tmp_path / "link", "project": project.root,
              "decks": project.root / "decks"}[kind]
    if kind == "foreign":
        target.mkdir()
        (target / "keep.md").write_text("mine")
    elif kind == "file":
        target.write_text("mine")
    elif kind == "symlink":
        (tmp_path / "real").mkdir()
        target.symlink_to(tmp_path / "real", target_is_directory=True)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = project.run("build", "--out", str(target), capsys=capsys)
    assert result.code == 1
    assert result.err.startswith((f"error: {target}: ",  # refused by write
                                  f"demodeck.yaml: output_dir: output folder '{target}'"))
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert leftovers(target.parent, target.name) == []


def test_an_output_dir_through_a_symlink_is_refused_where_it_is_set(
        project: Project, tmp_path: Path, capsys: Cap) -> None:
    """demodeck.yaml's output folder never goes through a symlink (here one out of the
    project); ``--out`` may point anywhere, through one too."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (project.root / "link").symlink_to(outside, target_is_directory=True)
    project.write("demodeck.yaml", "title: Demos\ndecks_dir: decks\noutput_dir: link/site\n")
    result = project.run("build", capsys=capsys)
    assert (result.code, result.err) == (1, (
        "demodeck.yaml:3:13: output_dir: 'link/site' goes through 'link', a symlink; demodeck "
        "never writes through one: use a real folder inside the project (or `--out` for one "
        "elsewhere)\nerror: 1 problem found; nothing was written\n"))
    assert list(outside.iterdir()) == []
    assert project.run("build", "--out", "link/site", capsys=capsys).code == 0
    assert (outside / "site/index.html").is_file()


# --- one build at a time, and what a killed one left -------------------------------------


HOLD_LOCK = ("import sys; from pathlib import Path; from demodeck import outdir\n"
             "with outdir.locked(Path(sys.argv[1]), lambda: None):\n"
             "    print('locked', flush=True); sys.stdin.readline()\n")


def test_a_second_build_waits_for_the_first_and_the_site_is_one_build(
        built: Project, tmp_path: Path) -> None:
    """Another build holds the output folder's lock (a process that takes it and waits):
    a build says once that it waits, touches nothing meanwhile, then builds the site."""
    site = built.root / "site"
    before = tree(site)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(site)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    procs = [holder]
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        built.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace("Search v2", "Search v3"))
        second = subprocess.Popen([sys.executable, "-m", "demodeck", "build", "-C",
                                   str(built.root)], text=True, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        procs.append(second)
        assert second.stderr is not None
        assert second.stderr.readline() == ("waiting for another demodeck build of site/ "
                                            "to finish…\n")
        time.sleep(0.3)
        assert second.poll() is None
        assert tree(site) == before and leftovers(built.root) == []
        holder.communicate("go\n", timeout=30)
        out, err = second.communicate(timeout=60)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert (second.returncode, err) == (0, "")
    assert out.startswith("Built 1 deck")
    assert "Search v3" in built.site("2026-11-23/index.html")
    build(load_config(built.root), out=tmp_path / "expected")
    assert tree(site) == tree(tmp_path / "expected")
    assert leftovers(built.root) == [] and not (built.root / ".site.lock").exists()


def half_done_swap(project: Project) -> dict[str, bytes]:
    """The state a build killed between the two renames of its swap (on a file system
    without the exchange) leaves: the site moved aside, the new one beside it. Returns
    the site as it was."""
    site = project.root / "site"
    before = tree(site)
    shutil.copytree(site, project.root / ".site.new-killed")
    (project.root / ".site.new-killed/index.html").write_text("the new site")
    site.rename(project.root / ".site.old-killed")
    return before


def test_a_build_puts_back_the_site_a_killed_build_left_aside(built: Project,
                                                              capsys: Cap) -> None:
    before = half_done_swap(built)
    result = built.run("build", capsys=capsys)
    assert result.code == 0
    assert result.err == (f"note: put back the previous site in {built.root / 'site'}: a build "
                          "stopped between the two renames of its swap had moved it aside\n")
    assert result.out.startswith("Up to date: ")  # it is the very site the last build wrote
    assert_untouched(built, before)


def test_the_preview_puts_back_the_site_a_killed_build_left_aside(built: Project) -> None:
    before = half_done_swap(built)
    cached_builder(built.root)(built.root)
    assert_untouched(built, before)


@pytest.mark.parametrize("cache", [False, True])
def test_an_old_copy_that_cannot_be_removed_is_named(
        built: Project, capsys: Cap, monkeypatch: pytest.MonkeyPatch, cache: bool) -> None:
    """The previous site, once replaced (without a cache), or what is left of the copy a
    cached build keeps to take unchanged folders from, cannot be removed (a file in it is
    immutable, or another user's): the build says where it is."""
    real = os.unlink

    def unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        if os.fspath(path) == "notes.txt":
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))
        real(path, *args, **kwargs)

    options = () if cache else ("--no-cache",)
    (built.root / "site/2026-11-23/notes.txt").write_text("stuck")
    monkeypatch.setattr(os, "unlink", unlink)
    for edit in ("Search v3", "Search v4")[:1 + cache]:  # the second: the copy kept is gone
        built.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace("Search v2", edit))
        result = built.run("build", *options, capsys=capsys)
        assert result.code == 0
    [left] = leftovers(built.root) or list(built.root.glob(".demodeck-cache/previous-site-*"))
    assert result.err.endswith(f"warning: cannot remove {left}, a copy of an earlier site "
                               "(Operation not permitted); delete it by hand\n")
    monkeypatch.undo()
    assert built.run("build", *options, capsys=capsys).code == 0  # the next build removes it
    assert leftovers(built.root) == []


@pytest.mark.parametrize("cache", [False, True])
def test_a_read_only_folder_in_the_site_leaves_no_old_copy(
        built: Project, capsys: Cap, monkeypatch: pytest.MonkeyPatch, cache: bool) -> None:
    """A folder of the site made read-only: its files cannot be removed from it, so its old
    copy stayed beside the site after a build that said nothing. Now the build makes it
    writable, and removes it, with the previous site (without a cache) or with what is
    left of the copy a cached build keeps. (As root, which may remove anything, os.unlink
    is made to refuse as it does for others.)"""
    folder = built.root / "site/2026-11-23"
    if os.geteuid() == 0:
        real = os.unlink

        def unlink(path: Any, *args: Any, dir_fd: int | None = None, **kwargs: Any) -> None:
            parent = os.readlink(f"/proc/self/fd/{dir_fd}") if dir_fd is not None else (
                os.path.dirname(os.fspath(path)))
            if not os.stat(parent).st_mode & 0o200:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
            real(path, *args, dir_fd=dir_fd, **kwargs)

        monkeypatch.setattr(os, "unlink", unlink)
    folder.chmod(0o555)
    options = () if cache else ("--no-cache",)
    try:
        for edit in ("Search v3", "Search v4")[:1 + cache]:
            built.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace("Search v2", edit))
            result = built.run("build", *options, capsys=capsys)
            assert (result.code, result.err) == (0, "")
    finally:
        for path in built.root.rglob("2026-11-23"):
            path.chmod(0o755)
    assert edit in built.site("2026-11-23/index.html")
    assert leftovers(built.root) == []
    spares = list(built.root.glob(".demodeck-cache/previous-site-*"))
    assert len(spares) == cache
    for spare in spares:  # the site the last build replaced, whole, and nothing else
        assert "Search v3" in (spare / "2026-11-23/index.html").read_text()


# --- Ctrl-C ---------------------------------------------------------------------------------


def test_ctrl_c_while_pages_are_written_keeps_the_site(built: Project,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A real SIGINT, delivered after the third page is on disk."""
    before = tree(built.root / "site")
    real = Path.write_bytes
    count = 0

    def write_bytes(self: Path, data: bytes) -> int:
        nonlocal count
        count += 1
        if count == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    built.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace("Search v2", "Search v3"))
    with pytest.raises(KeyboardInterrupt):
        build(load_config(built.root))
    assert_untouched(built, before)


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM", "SIGHUP"])
@pytest.mark.parametrize(("exchange", "at"), [(True, 1), (False, 1), (False, 2)])
def test_a_signal_during_the_swap_leaves_a_whole_site(
        built: Project, exchange: bool, at: int, sig: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A real signal right after the exchange, or where the file system has none, after
    the first rename (the site is moved aside) or the second (the new one is in place):
    the swap finishes, and the output folder is one whole site. SIGTERM and SIGHUP are
    handled as the command line handles them."""
    calls = 0

    def then_signal() -> None:
        nonlocal calls
        calls += 1
        if calls == at:
            os.kill(os.getpid(), getattr(signal, sig))
            for _ in range(1000):  # give the interpreter every chance to run the handler
                pass

    if exchange:
        real_exchange = swap_mod._exchange_call()
        assert real_exchange is not None, "this system has no atomic exchange"

        def exchange_call(new: bytes, out: bytes) -> None:
            real_exchange(new, out)
            then_signal()

        monkeypatch.setattr(swap_mod, "_exchange_call", lambda: exchange_call)
    else:
        monkeypatch.setattr(swap_mod, "_exchange", lambda new, out: False)
        real = os.rename

        def rename(src: object, dst: object) -> None:
            real(src, dst)  # type: ignore[arg-type]
            then_signal()

        monkeypatch.setattr(os, "rename", rename)
    built.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace("Search v2", "Search v3"))
    with cli._stopped_by_signals():
        build(load_config(built.root))
    assert calls >= at
    assert "Search v3" in built.site("2026-11-23/index.html")
    assert (built.root / "site" / write_mod.MARKER).exists()
    assert leftovers(built.root) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def listing(folder: Path) -> dict[str, bytes | None]:
    """Every folder (None) and file (its bytes) under ``folder``."""
    return {p.relative_to(folder).as_posix(): None if p.is_dir() else p.read_bytes()
            for p in sorted(folder.rglob("*"))}


STEP_CALLS = ("mkdir", "link", "rename", "replace", "unlink", "rmdir")


def build_stopped_at(root: Path, step: int, how: int, err: Path) -> int:
    """Fork a `demodeck build` of ``root`` that sends itself the signal ``how`` right after
    the ``step``-th file system call of its write stage (making, linking, renaming or
    removing a file or folder, or the exchange; 0: as the write begins), its stderr in
    ``err``. Returns its wait status."""
    pid = os.fork()
    if pid != 0:
        return os.waitpid(pid, 0)[1]
    code = 1
    try:
        sys.stdout = sys.stderr = open(err, "w")  # noqa: SIM115 (closed by the exit below)
        made = [-1]  # calls made since the write began; -1: not yet begun

        def count(calls: int = 1) -> None:
            if made[0] >= 0:
                made[0] += calls
                if made[0] == step:
                    os.kill(os.getpid(), how)
                    for _ in range(1000):  # SIGTERM: every chance to run the handler
                        pass

        def counted(fn: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                result = fn(*args, **kwargs)
                count()
                return result
            return call

        for name in STEP_CALLS:
            setattr(os, name, counted(getattr(os, name)))
        exchange = swap_mod._exchange_call()
        if exchange is not None:
            swap_mod._exchange_call = lambda: counted(exchange)  # type: ignore[method-assign]
        write_site = write_mod.write_site

        def begin(*args: Any, **kwargs: Any) -> Any:
            made[0] = 0
            count(0)
            return write_site(*args, **kwargs)

        write_mod.write_site = begin
        code = cli.main(["build", "-C", str(root), "--jobs", "1"])
    finally:
        sys.stderr.flush()
        os._exit(code)


@pytest.fixture
def versions(built: Project, tmp_path: Path) -> tuple[dict[str, bytes | None], ...]:
    """The site as built (v1), and as the next build makes it after an edit (v2)."""
    v1 = listing(built.root / "site")
    built.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace("Search v2", "Search v3"))
    build(load_config(built.root), out=tmp_path / "v2")
    v2 = listing(tmp_path / "v2")
    assert v1 != v2
    return v1, v2


@pytest.mark.parametrize("exchange", [True, False])
def test_a_build_killed_at_any_step_of_its_write_leaves_the_old_site_or_the_new(
        built: Project, versions: tuple[dict[str, bytes | None], ...], tmp_path: Path,
        exchange: bool, capsys: Cap, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGKILL right after each file system call of the write, from the first folder made
    to the last of the previous site removed, in turn: where the file system exchanges two
    names in one step, the site is at every instant the old one or the new one, file for
    file; where it takes two renames, the one moment between them leaves the old site
    aside, and the next build puts it back. Either way the next build gives the new site
    and nothing is left beside it."""
    v1, v2 = versions
    if not exchange:
        monkeypatch.setattr(swap_mod, "_exchange", lambda new, out: False)
    site, edited = built.root / "site", (built.root / "decks/2026-11-23.yaml").read_text()
    outcomes = set()
    for step in range(1000):
        built.write("decks/2026-11-23.yaml", MINIMAL_DECK)  # back to the old site
        assert built.run("build", capsys=capsys).code == 0
        assert listing(site) == v1
        built.write("decks/2026-11-23.yaml", edited)
        status = build_stopped_at(built.root, step, signal.SIGKILL, tmp_path / "err")
        if os.WIFEXITED(status):  # the build made fewer calls: every step was tried
            assert os.WEXITSTATUS(status) == 0 and step > 10 and listing(site) == v2
            break
        assert os.WTERMSIG(status) == signal.SIGKILL
        if exchange or site.exists():
            now = listing(site)
            assert now in (v1, v2), f"killed after step {step}: a mix of both sites"
            outcomes.add("old" if now == v1 else "new")
        else:
            [aside] = site.parent.glob(".site.old-*")
            assert listing(aside) == v1, f"killed after step {step}"
            assert outdir.repair(site) == [f"note: put back the previous site in {site}: a "
                                           "build stopped between the two renames of its "
                                           "swap had moved it aside"]
            assert listing(site) == v1
            outcomes.add("aside")
        result = built.run("build", capsys=capsys)
        assert (result.code, result.err) == (0, ""), f"after step {step}"
        assert listing(site) == v2
        assert leftovers(built.root) == [] and not (built.root / ".site.lock").exists()
    assert outcomes == ({"old", "new"} if exchange else {"old", "new", "aside"})


def test_a_build_stopped_by_sigterm_at_any_step_of_its_write_says_so_or_finishes(
        built: Project, versions: tuple[dict[str, bytes | None], ...], tmp_path: Path,
        capsys: Cap) -> None:
    """SIGTERM, as a service manager or CI runner sends it, right after each file system
    call of the write: before the swap the build stops cleanly with the old site and
    nothing beside it; from the swap on it is held back and the build finishes."""
    v1, v2 = versions
    site, edited = built.root / "site", (built.root / "decks/2026-11-23.yaml").read_text()
    outcomes = set()
    for step in range(1000):
        built.write("decks/2026-11-23.yaml", MINIMAL_DECK)
        assert built.run("build", capsys=capsys).code == 0
        built.write("decks/2026-11-23.yaml", edited)
        status = build_stopped_at(built.root, step, signal.SIGTERM, tmp_path / "err")
        err = (tmp_path / "err").read_text()
        assert os.WIFEXITED(status), f"step {step}: killed by the signal"
        if os.WEXITSTATUS(status) == 143:
            assert err == "stopped by SIGTERM; nothing was changed\n"
            assert listing(site) == v1
        else:
            assert (os.WEXITSTATUS(status), "Traceback" in err) == (0, False), err
            assert listing(site) == v2
        assert leftovers(built.root) == [] and not (built.root / ".site.lock").exists()
        outcomes.add(os.WEXITSTATUS(status))
        if step > 50:
            break
    assert outcomes == {0, 143}


Archive = tuple[Path, float, dict[str, bytes], dict[str, bytes]]

# `demodeck build` (the program, as the console script runs it) that says "ready" once the
# interpreter has started and demodeck is imported: Ctrl-C before that is Python's start-up,
# not demodeck's build, so the test times its interrupts from there.
READY_BUILD = ("import sys; from demodeck.cli import run; print('ready', flush=True); "
               "sys.argv[1:1] = ['build']; sys.exit(run())")


def start_build(root: Path, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", READY_BUILD, "-C", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    return proc


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # hung: do not leave it behind
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, err


def run_build(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "demodeck", "build", "-C", str(root), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """A generated 80-deck archive built once (v1, timed), and what its next build gives."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from generate import generate  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    root = tmp_path_factory.mktemp("archive")
    generate(root, 80, seed=7)
    proc = start_build(root, "--jobs", "1", "--no-cache")
    started = time.monotonic()
    code, err = finish(proc)
    seconds = time.monotonic() - started
    assert code == 0, err
    v1 = tree(root / "site")
    for deck in sorted((root / "decks").glob("*.yaml"))[::10]:  # v2: every tenth deck edited
        deck.write_text(deck.read_text().replace("title:", "title: Edited", 1))
    expected = root.parent / "expected"
    build(load_config(root), out=expected)
    return root, seconds, v1, tree(expected)


@pytest.mark.parametrize(("jobs", "sig"), [  # 2: the forked workers get the signal too
    ("1", "SIGINT"), ("2", "SIGINT"), ("2", "SIGTERM")])
def test_ctrl_c_or_sigterm_mid_build_keeps_the_previous_site(archive: Archive, jobs: str,
                                                             sig: str) -> None:
    """Ctrl-C as a terminal sends it (to the whole process group), or SIGTERM as a service
    manager does, at several moments of a real `demodeck build` of a big archive: each run
    either stops with the previous site intact and says so, or finishes with the new one;
    never half of each, never a temp folder, never a traceback or a hang."""
    root, seconds, v1, v2 = archive
    signum = getattr(signal, sig)
    stopped = (130, "interrupted; nothing was changed") if sig == "SIGINT" else (
        143, "stopped by SIGTERM; nothing was changed")
    outcomes = []
    for fraction in (0.2, 0.5, 0.8):
        previous = tree(root / "site")
        assert previous in (v1, v2)
        proc = start_build(root, "--jobs", jobs, "--no-cache")
        time.sleep(seconds * fraction)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signum)
        code, err = finish(proc)
        assert "Traceback" not in err, err
        site = tree(root / "site")
        if code == stopped[0]:  # after any warnings the build printed before it stopped
            *before, last = err.strip().splitlines()
            assert last == stopped[1]
            assert all(": warning: " in line for line in before), err
            assert site == previous, f"interrupted at {fraction}: the previous site changed"
        elif code == 0:  # the build was already done
            assert site == v2, f"finished at {fraction}: not the new site"
        else:  # killed by the signal while the interpreter was exiting, after the build
            assert (code, err) == (-signum, ""), err
            assert site in (previous, v2)
        assert leftovers(root) == []
        outcomes.append(code)
    assert stopped[0] in outcomes
    final = run_build(root)
    assert final.returncode == 0, final.stderr  # the cache an interrupted build left works
    assert tree(root / "site") == v2


def _worker_ignores_sigint(_state: object, _index: int) -> tuple[bool, bool]:
    time.sleep(0.02)  # long enough that the workers get some of the tasks
    return pool.in_worker(), signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_parallel_build_workers_leave_ctrl_c_to_the_parent(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "PARALLEL_MIN", 1)
    ran = pool.parallel_map(_worker_ignores_sigint, None, 20, jobs=3)
    assert (True, True) in ran and (False, False) in ran  # this process keeps its Ctrl-C
    assert set(ran) == {(True, True), (False, False)}


_AT_FORK: Path | None = None  # where the hook below records, while a test wants it


def _record_sigint_at_fork() -> None:
    if _AT_FORK is not None:
        shielded = (signal.getsignal(signal.SIGINT) == signal.SIG_IGN
                    or signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))
        with _AT_FORK.open("a") as f:
            f.write(f"{int(shielded)}\n")


os.register_at_fork(after_in_child=_record_sigint_at_fork)


def test_parallel_build_workers_are_shielded_from_ctrl_c_from_birth(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    global _AT_FORK
    monkeypatch.setattr(pool, "PARALLEL_MIN", 1)
    _AT_FORK = tmp_path / "at-fork"
    try:
        pool.parallel_map(_worker_ignores_sigint, None, 4, jobs=2)
    finally:
        _AT_FORK = None
    births = [int(line) for line in (tmp_path / "at-fork").read_text().split()]
    assert births and all(births), births  # 1: SIGINT ignored or blocked from the start
