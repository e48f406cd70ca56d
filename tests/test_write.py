"""The write stage (issue 6, speed): a folder the new site keeps as it is moves over whole.

A rebuild after a small edit renames each unchanged folder of the previous site into
the new one instead of making it again and linking its files: the result must be the
very site a fresh write gives, nothing the previous build did not write may come
along, and a build that fails after some folders moved must put every one of them
back, so the previous site stays exactly as it was.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from demodeck import write as write_mod
from demodeck.build import build
from demodeck.cache import BuildCache
from demodeck.config import load_config
from demodeck.errors import BuildError, UsageError
from demodeck.render import Kept, Output, Page, Renderer, Staged
from demodeck.serve import cached_builder
from tests.conftest import EXAMPLE_DECK, add_why_line, copy_examples

FIRST = {
    "index.html": b"<h1>Archive</h1>",
    "feed.xml": b"<feed/>",
    "2026-11-09/index.html": b"deck one",
    "2026-11-16/index.html": b"deck two",
    "2026-11-23/index.html": b"deck three",
    "people/index.html": b"everyone",
    "people/ann/index.html": b"Ann",
    "people/bob/index.html": b"Bob",
    "assets/deck.css": b"body{}",
    "assets/deck.js": b"go()",
    "assets/img/logo.png": b"PNG",
}

Entry = tuple[str, bytes | None, int]  # kind ("dir"/"file"/"link"), bytes of a file, inode


def snapshot(folder: Path) -> dict[str, Entry]:
    """Every entry under ``folder`` (folders, files, symlinks) with its bytes and inode:
    equal snapshots mean the same files, byte for byte, in the very same folders."""
    entries: dict[str, Entry] = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
        data = path.read_bytes() if kind == "file" else None
        entries[path.relative_to(folder).as_posix()] = (kind, data, st.st_ino)
    return entries


def contents(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` and the bytes of each file (None for a folder)."""
    return {rel: data for rel, (_, data, _) in snapshot(folder).items()}


def inode(path: Path) -> int:
    return path.lstat().st_ino


def leftovers(parent: Path, name: str = "site") -> list[Path]:
    return sorted([*parent.glob(f".{name}.new-*"), *parent.glob(f".{name}.old-*")])


def kept(out: Path, *paths: str) -> list[Output]:
    return [Kept(path, out / path, f"key of {path}") for path in paths]


def second(out: Path, changed: dict[str, bytes]) -> list[Output]:
    """The next build's pages: ``changed`` written again, every other file of FIRST kept."""
    return [*kept(out, *(p for p in FIRST if p not in changed)),
            *(Page(path, data) for path, data in changed.items())]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A site as a first build (no previous folder) writes it."""
    site = tmp_path / "site"
    write_mod.write_site(site, [Page(path, data) for path, data in FIRST.items()])
    return site


def test_a_first_build_writes_every_page_and_the_marker(out: Path) -> None:
    assert {p: d for p, d in contents(out).items() if d is not None} == {
        **FIRST, write_mod.MARKER: (out / write_mod.MARKER).read_bytes()}
    assert leftovers(out.parent) == []


def test_unchanged_folders_move_over_and_the_site_is_what_a_fresh_write_gives(
        out: Path, tmp_path: Path) -> None:
    before = snapshot(out)
    changed = {"2026-11-16/index.html": b"deck two, edited", "people/index.html": b"all"}
    write_mod.write_site(out, second(out, changed))
    fresh = tmp_path / "fresh"
    write_mod.write_site(fresh, [Page(p, changed.get(p, d)) for p, d in FIRST.items()])
    assert contents(out) == contents(fresh)
    after = snapshot(out)
    moved = {"2026-11-09", "2026-11-23", "people/ann", "people/bob", "assets"}
    for folder in moved:  # the same folder, renamed over, and the same files in it
        assert after[folder][2] == before[folder][2], folder
    for path in FIRST:
        assert (after[path][2] == before[path][2]) == (path not in changed), path
    # a folder with a changed file is made again, and its sub-folders still move
    assert after["people"][2] != before["people"][2]
    assert after["2026-11-16"][2] != before["2026-11-16"][2]
    assert all((out / path).stat().st_nlink == 1 for path in FIRST)  # the old copy is gone
    assert leftovers(out.parent) == []


def test_a_folder_with_some_files_changed_links_the_kept_ones(out: Path) -> None:
    before = snapshot(out)
    write_mod.write_site(out, second(out, {"assets/deck.js": b"go(2)"}))
    after = snapshot(out)
    assert after["assets"][2] != before["assets"][2]  # made again: one file in it changed
    assert after["assets/deck.css"][1:] == before["assets/deck.css"][1:]  # linked: same inode
    assert after["assets/deck.js"][1] == b"go(2)"
    assert after["assets/img"][2] == before["assets/img"][2]  # unchanged sub-folder: moved
    assert after["assets/img/logo.png"] == before["assets/img/logo.png"]


def test_when_everything_is_kept_the_folders_move_and_the_root_stays_a_site(out: Path) -> None:
    before = snapshot(out)
    write_mod.write_site(out, kept(out, *FIRST))
    after = snapshot(out)
    for name in ("2026-11-09", "2026-11-16", "2026-11-23", "people", "assets"):
        assert after[name][2] == before[name][2]
    assert after["index.html"] == before["index.html"]  # the root's own files are linked
    assert (out / write_mod.MARKER).is_file()
    assert contents(out) == {rel: data for rel, (_, data, _) in before.items()}
    assert leftovers(out.parent) == []


@pytest.mark.parametrize("extra", ["file", "folder", "symlink"])
def test_what_the_previous_build_did_not_write_is_never_carried_over(
        out: Path, extra: str) -> None:
    deck = out / "2026-11-09"
    stray = deck / "notes"
    if extra == "file":
        stray.write_text("mine")
    elif extra == "folder":
        stray.mkdir()
    else:
        stray.symlink_to(deck / "index.html")
    page = inode(deck / "index.html")
    write_mod.write_site(out, second(out, {}))
    assert not os.path.lexists(out / "2026-11-09/notes")
    assert inode(out / "2026-11-09/index.html") == page  # still kept, by a link
    assert {p for p, d in contents(out).items() if d is not None} == {*FIRST, write_mod.MARKER}


def test_a_folder_where_a_kept_file_became_a_symlink_is_not_moved_over(
        out: Path, tmp_path: Path) -> None:
    """Only folders of plain files and folders move over as they are; the rest is made
    again, each file linked as before."""
    target = tmp_path / "target.html"
    target.write_bytes(b"deck one")
    (out / "2026-11-09/index.html").unlink()
    (out / "2026-11-09/index.html").symlink_to(target)
    folder = inode(out / "2026-11-09")
    write_mod.write_site(out, second(out, {}))
    assert inode(out / "2026-11-09") != folder
    assert (out / "2026-11-09/index.html").read_bytes() == b"deck one"


def test_a_kept_file_from_elsewhere_is_linked_and_its_folder_never_moves(
        out: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.html"
    elsewhere.write_bytes(b"deck one, from elsewhere")
    folder = inode(out / "2026-11-09")
    pages = [p for p in second(out, {}) if p.path != "2026-11-09/index.html"]
    write_mod.write_site(out, [*pages, Kept("2026-11-09/index.html", elsewhere, "k"),
                               Kept("copy/index.html", out / "2026-11-16/index.html", "k")])
    assert inode(out / "2026-11-09") != folder
    assert (out / "2026-11-09/index.html").read_bytes() == b"deck one, from elsewhere"
    assert inode(out / "2026-11-09/index.html") == inode(elsewhere)
    # kept from a folder that moves over: linked before the folder moved
    assert (out / "copy/index.html").read_bytes() == b"deck two"
    assert inode(out / "copy/index.html") == inode(out / "2026-11-16/index.html")


def test_every_kept_file_still_exists_where_it_was_after_the_write(out: Path) -> None:
    """Whoever holds the build's Kept pages (the preview reads them later) finds each at
    its path, with the bytes the site serves."""
    pages = second(out, {"2026-11-16/index.html": b"deck two, edited"})
    write_mod.write_site(out, pages)
    for page in pages:
        assert page.data == (out / page.path).read_bytes()


# --- failures: every moved folder goes back -------------------------------------------------


RealRename = Callable[[str | Path, str | Path], None]


def eio() -> OSError:
    return OSError(errno.EIO, os.strerror(errno.EIO))


def watch_renames(monkeypatch: pytest.MonkeyPatch, out: Path, *, fail_move: int = 0,
                  fail_swap: bool = False, error: BaseException | None = None,
                  stuck: str = "") -> list[str]:
    """os.rename, recording each folder moved out of ``out``; it raises ``error`` on the
    ``fail_move``-th move or (``fail_swap``) on the rename of the new site into place, and
    refuses to put back the folder named ``stuck``. Returns the names of the moved folders."""
    real: RealRename = os.rename
    moved: list[str] = []

    def rename(src: str | Path, dst: str | Path) -> None:
        src, dst = Path(src), Path(dst)
        if fail_swap and dst == out and src.name.startswith(f".{out.name}.new-"):
            raise error or eio()
        if src.name == stuck and dst.is_relative_to(out):
            raise eio()
        if src.is_relative_to(out) and src != out:
            if len(moved) + 1 == fail_move:
                raise error or eio()
            moved.append(src.name)
        real(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    return moved


@pytest.mark.parametrize(("fail_move", "error"), [
    (3, eio()),  # a disk error once two folders have moved
    (3, KeyboardInterrupt()),  # Ctrl-C is held back from the moves on; anything else is not
    (0, eio()),  # the swap itself, after every move
])
def test_a_failure_after_folders_moved_puts_every_one_back(
        out: Path, monkeypatch: pytest.MonkeyPatch, fail_move: int,
        error: BaseException) -> None:
    before = snapshot(out)
    moved = watch_renames(monkeypatch, out, fail_move=fail_move, fail_swap=not fail_move,
                          error=error)
    with pytest.raises(type(error) if isinstance(error, KeyboardInterrupt) else UsageError,
                       match="Input/output error; the previous site is unchanged$"
                       if isinstance(error, OSError) else None):
        write_mod.write_site(out, second(out, {"people/index.html": b"all"}))
    # the decks, people/ann, people/bob and assets: two had moved, or all six
    assert moved == (["2026-11-09", "2026-11-16"] if fail_move else
                     ["2026-11-09", "2026-11-16", "2026-11-23", "ann", "bob", "assets"])
    assert snapshot(out) == before  # the very same folders and files, byte for byte
    assert leftovers(out.parent) == []


@pytest.mark.parametrize("fails", ["write", "link"])
def test_a_page_that_cannot_be_written_fails_before_any_folder_moves(
        out: Path, monkeypatch: pytest.MonkeyPatch, fails: str) -> None:
    before = snapshot(out)
    moved = watch_renames(monkeypatch, out)

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if fails == "write":
        monkeypatch.setattr(Path, "write_bytes", full)
    else:
        monkeypatch.setattr(os, "link", full)
        monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(UsageError, match="No space left on device; the previous site is "):
        write_mod.write_site(out, second(out, {"people/index.html": b"all"}))
    assert moved == []
    assert snapshot(out) == before
    assert leftovers(out.parent) == []


def test_folders_that_cannot_be_moved_back_are_kept_and_named(
        out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should putting a folder back fail too, it is left in the temporary folder (never
    deleted) and the error says where; every other folder is back in place."""
    deck = snapshot(out)["2026-11-09/index.html"]
    watch_renames(monkeypatch, out, fail_move=3, stuck="2026-11-09")
    with pytest.raises(UsageError, match=r"\(Input/output error\), and 1 folder\(s\) of the "
                       r"previous site could not be moved back \(2026-11-09\): they are in "
                       r"\S+/\.site\.new-\w+; move them back") as info:
        write_mod.write_site(out, second(out, {"people/index.html": b"all"}))
    [tmp] = leftovers(out.parent)
    assert str(tmp) in str(info.value)
    assert snapshot(tmp / "2026-11-09")["index.html"] == deck
    assert not (out / "2026-11-09").exists()
    assert (out / "2026-11-16/index.html").read_bytes() == b"deck two"


# --- real builds ----------------------------------------------------------------------------


def test_a_rebuild_after_one_edit_moves_the_other_decks_and_matches_a_cold_build(
        tmp_path: Path) -> None:
    root = copy_examples(tmp_path / "p")
    site, out, cache = load_config(root), root / "site", tmp_path / "cache.pickle"
    build(site, cache=BuildCache(cache))
    before = snapshot(out)
    add_why_line(root / EXAMPLE_DECK, "Edited today.")
    build(site, cache=BuildCache(cache))
    after = snapshot(out)
    edited = EXAMPLE_DECK.removeprefix("decks/").removesuffix(".yaml")
    decks = {p for p in after if p.startswith("2026-") and "/" not in p}
    assert edited in decks and len(decks) == 3
    for deck in decks:
        assert (after[deck][2] == before[deck][2]) == (deck != edited), deck
    build(site, out=tmp_path / "cold")
    assert contents(out) == contents(tmp_path / "cold")


def test_the_preview_reads_the_files_a_rebuild_moved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The preview's first build keeps what `demodeck build` left, moved folders and all:
    it renders nothing and serves the bytes on disk."""
    root = copy_examples(tmp_path)
    build(load_config(root), cache=BuildCache.for_project(root))
    add_why_line(root / EXAMPLE_DECK, "Edited today.")
    build(load_config(root), cache=BuildCache.for_project(root))
    rendered: list[object] = []
    monkeypatch.setattr(Renderer, "deck_page", lambda *a, **k: rendered.append(a))
    snapshot_ = cached_builder(root)(root)
    assert rendered == []
    written = {p: d for p, d in contents(root / "site").items()
               if d is not None and p != write_mod.MARKER}
    assert snapshot_.pages == written


# --- deck pages written by the render workers (write.Staging) ---------------------------


def _parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    from demodeck import pool

    monkeypatch.setattr(pool, "PARALLEL_MIN", 1)


@pytest.mark.parametrize("self_contained", [False, True])
def test_render_workers_write_the_deck_pages_and_the_site_is_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, self_contained: bool) -> None:
    """In a parallel build each worker writes the deck pages it renders into the new
    site's folder, and the parent the archive pages it renders meanwhile; the parent never
    holds the deck pages' bytes, write_site only adds the theme's files and the images,
    and the site is the serial one."""
    root = copy_examples(tmp_path / "p")
    build(load_config(root), out=tmp_path / "serial", jobs=1, self_contained=self_contained)
    _parallel(monkeypatch)
    written: list[str] = []
    write_site = write_mod.write_site

    def spy(out: Path, pages: list[Output], staging: write_mod.Staging | None = None) -> set[str]:
        written.extend(p.path for p in pages if isinstance(p, Staged))
        return write_site(out, pages, staging)

    monkeypatch.setattr(write_mod, "write_site", spy)
    build(load_config(root), out=tmp_path / "parallel", jobs=2, self_contained=self_contained)
    site = contents(tmp_path / "parallel")
    assert {f"{d}/index.html" for d in ("2026-11-09", "2026-11-16", "2026-11-23")} | {
        "index.html", "feed.xml", "people/index.html"} <= set(written)
    assert sorted(written) == sorted(path for path, data in site.items() if data is not None
                                     and not path.startswith("assets/")
                                     and path != write_mod.MARKER)
    assert site == contents(tmp_path / "serial")
    assert leftovers(tmp_path) == [] and leftovers(tmp_path, "parallel") == []


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, Entry]]:
    """The examples built once, and the next builds parallel: the project and its site."""
    root = copy_examples(tmp_path)
    build(load_config(root))
    _parallel(monkeypatch)
    return root, snapshot(root / "site")


def test_a_parallel_build_that_fails_after_workers_wrote_pages_leaves_nothing_behind(
        built: tuple[Path, dict[str, Entry]], monkeypatch: pytest.MonkeyPatch) -> None:
    root, before = built
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates/index.html").write_text("{{ no_such_thing.title }}\n")
    staged: list[Path] = []
    make = write_mod.Staging.make

    def spy(self: write_mod.Staging) -> Path:
        staged.append(make(self))
        return staged[-1]

    monkeypatch.setattr(write_mod.Staging, "make", spy)
    with pytest.raises(BuildError, match="no_such_thing"):
        build(load_config(root), jobs=2)
    assert staged and not staged[0].exists()  # the workers had written into it
    assert snapshot(root / "site") == before
    assert leftovers(root) == []


def test_a_page_a_render_worker_cannot_write_is_a_clear_error(
        built: tuple[Path, dict[str, Entry]], monkeypatch: pytest.MonkeyPatch) -> None:
    root, before = built

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_bytes", full)  # the workers, forked, inherit it
    with pytest.raises(UsageError, match=r"^cannot write the site to .*/site: No space left "
                                         r"on device; the previous site is unchanged$"):
        build(load_config(root), jobs=2)
    assert snapshot(root / "site") == before
    assert leftovers(root) == []


def test_an_archive_page_the_main_process_cannot_write_is_a_clear_error(
        built: tuple[Path, dict[str, Entry]], monkeypatch: pytest.MonkeyPatch) -> None:
    """The main process writes the archive pages into the new folder while the workers
    render decks: a write that fails there stops the workers, removes the folder and
    leaves the previous site as it was."""
    root, before = built
    main, make_folders = os.getpid(), write_mod._make_folders
    failed: list[tuple[str, ...]] = []

    def full_for_people(root: Path, parts: tuple[str, ...]) -> None:
        if os.getpid() == main and parts[:1] == ("people",):
            failed.append(parts)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        make_folders(root, parts)

    monkeypatch.setattr(write_mod, "_make_folders", full_for_people)
    with pytest.raises(UsageError, match=r"^cannot write the site to .*/site: No space left "
                                         r"on device; the previous site is unchanged$"):
        build(load_config(root), jobs=2)
    assert len(failed) == 1
    assert snapshot(root / "site") == before
    assert leftovers(root) == []
