"""The write stage: kept files are linked, and the previous site is untouched until the swap.

A rebuild after a small edit hard-links each unchanged file of the previous site into
the new one (issue 6, speed) instead of writing it again, and never moves anything out
of the previous site (issue 19: a build killed midway left it with holes): the result
must be the very site a fresh write gives, nothing the previous build did not write may
come along unless listed under ``extra:`` (and what goes is named), and a build that
fails leaves the previous site exactly as it was.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from demodeck import swap as swap_mod
from demodeck import write as write_mod
from demodeck.build import build
from demodeck.config import load_config
from demodeck.errors import BuildError, UsageError
from demodeck.incremental.cache import BuildCache
from demodeck.pages import Kept, Output, Page, Staged
from demodeck.preview_build import cached_builder
from demodeck.render import Renderer
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


def test_kept_files_are_linked_and_the_site_is_what_a_fresh_write_gives(
        out: Path, tmp_path: Path) -> None:
    before = snapshot(out)
    changed = {"2026-11-16/index.html": b"deck two, edited", "people/index.html": b"all"}
    write_mod.write_site(out, second(out, changed))
    fresh = tmp_path / "fresh"
    write_mod.write_site(fresh, [Page(p, changed.get(p, d)) for p, d in FIRST.items()])
    assert contents(out) == contents(fresh)
    after = snapshot(out)
    for path in FIRST:  # a kept file is the previous build's file itself
        assert (after[path][2] == before[path][2]) == (path not in changed), path
    assert all((out / path).stat().st_nlink == 1 for path in FIRST)  # the old copy is gone
    assert leftovers(out.parent) == []


def test_the_previous_site_is_untouched_until_the_swap(
        out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No folder or file of the previous site moves before the new one takes its place:
    a build stopped at any instant before that leaves it whole."""
    before = snapshot(out)
    seen: list[dict[str, Entry]] = []
    replace = swap_mod._replace

    def spy(new: Path, site: Path) -> Path | None:
        seen.append(snapshot(site))
        return replace(new, site)

    monkeypatch.setattr(swap_mod, "_replace", spy)
    write_mod.write_site(out, second(out, {"people/index.html": b"all"}))
    assert seen == [before]


def test_unchanged_folders_move_over_from_the_spare_copy(out: Path, tmp_path: Path) -> None:
    """The site a write replaces becomes the spare copy; the next write takes from it, as
    they are, the folders it needs unchanged (the very files the site holds), and leaves
    the rest, which it removes when its own replaced site becomes the spare."""
    spare = tmp_path / "spare"
    first = snapshot(out)
    write_mod.write_site(out, second(out, {"people/index.html": b"all"}), spare=spare)
    assert snapshot(spare) == first  # the replaced site, the very folders and files
    published, kept = snapshot(out), snapshot(spare)
    changed = {"people/index.html": b"all", "2026-11-16/index.html": b"deck two, edited"}
    written = write_mod.write_site(out, second(out, changed), spare=spare)
    after = snapshot(out)
    for folder in ("2026-11-09", "2026-11-23", "people/ann", "people/bob", "assets"):
        assert after[folder][2] == kept[folder][2], folder  # moved over from the spare
    for folder in ("people", "2026-11-16"):  # a file in it changed: made again
        assert after[folder][2] not in (kept[folder][2], published[folder][2]), folder
    for path in FIRST:  # every kept file is still the very file the site had
        assert (after[path][2] == published[path][2]) == (path not in changed), path
    assert "2026-11-09/index.html" in written.shared
    fresh = tmp_path / "fresh"
    write_mod.write_site(fresh, [Page(p, changed.get(p, d)) for p, d in FIRST.items()])
    assert contents(out) == contents(fresh)
    assert {rel: entry[:2] for rel, entry in snapshot(spare).items()} == {
        rel: entry[:2] for rel, entry in published.items()}
    assert leftovers(out.parent) == []


def test_a_spare_folder_that_is_not_exactly_the_sites_is_made_again(
        out: Path, tmp_path: Path) -> None:
    """A folder of the spare copy moves over only when it holds exactly the files the new
    site keeps, each the very file of the current site."""
    spare = tmp_path / "spare"
    write_mod.write_site(out, second(out, {}), spare=spare)
    (spare / "2026-11-09/index.html").unlink()
    (spare / "2026-11-09/index.html").write_bytes(b"not the site's")
    (spare / "2026-11-23/notes.txt").write_text("extra")
    kept = snapshot(spare)
    write_mod.write_site(out, second(out, {}), spare=spare)
    after = snapshot(out)
    for folder in ("2026-11-09", "2026-11-23"):
        assert after[folder][2] != kept[folder][2], folder
    assert after["2026-11-16"][2] == kept["2026-11-16"][2]
    assert (out / "2026-11-09/index.html").read_bytes() == b"deck one"
    assert not (out / "2026-11-23/notes.txt").exists()


def test_a_failure_after_folders_moved_from_the_spare_leaves_the_site(
        out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spare = tmp_path / "spare"
    write_mod.write_site(out, second(out, {}), spare=spare)
    before = snapshot(out)
    monkeypatch.setattr(swap_mod, "_exchange_call", lambda: _fail)
    with pytest.raises(UsageError, match=r"Input/output error; the previous site is unchanged$"):
        write_mod.write_site(out, second(out, {"people/index.html": b"all"}), spare=spare)
    assert snapshot(out) == before
    assert leftovers(out.parent) == []
    monkeypatch.undo()
    write_mod.write_site(out, second(out, {"people/index.html": b"all"}), spare=spare)
    assert (out / "2026-11-09/index.html").read_bytes() == b"deck one"
    assert (out / "people/index.html").read_bytes() == b"all"


def _fail(*args: object) -> None:
    raise eio()


def test_when_everything_is_kept_the_files_are_linked_and_the_root_stays_a_site(
        out: Path) -> None:
    before = snapshot(out)
    write_mod.write_site(out, kept(out, *FIRST))
    after = snapshot(out)
    for path in FIRST:
        assert after[path] == before[path]
    assert (out / write_mod.MARKER).is_file()
    assert contents(out) == {rel: data for rel, (_, data, _) in before.items()
                             if rel != write_mod.MARKER} | {
        write_mod.MARKER: (out / write_mod.MARKER).read_bytes()}
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
    written = write_mod.write_site(out, second(out, {}))
    assert not os.path.lexists(out / "2026-11-09/notes")
    assert inode(out / "2026-11-09/index.html") == page  # still kept, by a link
    assert {p for p, d in contents(out).items() if d is not None} == {*FIRST, write_mod.MARKER}
    assert written.dropped == ["2026-11-09/notes/" if extra == "folder" else "2026-11-09/notes"]


def test_a_kept_file_that_became_a_symlink_is_never_followed(
        out: Path, tmp_path: Path) -> None:
    """Only a plain file of the previous site is shared; what a symlink points to (a file
    anywhere on this computer) is never published."""
    target = tmp_path / "secret.html"
    target.write_bytes(b"secret")
    (out / "2026-11-09/index.html").unlink()
    (out / "2026-11-09/index.html").symlink_to(target)
    before = snapshot(out)
    with pytest.raises(UsageError, match="is no longer a plain file; the previous site is "):
        write_mod.write_site(out, second(out, {}))
    assert snapshot(out) == before
    assert leftovers(out.parent) == []


def test_a_kept_file_from_elsewhere_is_linked(out: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.html"
    elsewhere.write_bytes(b"deck one, from elsewhere")
    pages = [p for p in second(out, {}) if p.path != "2026-11-09/index.html"]
    write_mod.write_site(out, [*pages, Kept("2026-11-09/index.html", elsewhere, "k"),
                               Kept("copy/index.html", out / "2026-11-16/index.html", "k")])
    assert (out / "2026-11-09/index.html").read_bytes() == b"deck one, from elsewhere"
    assert inode(out / "2026-11-09/index.html") == inode(elsewhere)
    assert (out / "copy/index.html").read_bytes() == b"deck two"
    assert inode(out / "copy/index.html") == inode(out / "2026-11-16/index.html")


def test_every_kept_file_still_exists_where_it_was_after_the_write(out: Path) -> None:
    """Whoever holds the build's Kept pages (the preview reads them later) finds each at
    its path, with the bytes the site serves."""
    pages = second(out, {"2026-11-16/index.html": b"deck two, edited"})
    write_mod.write_site(out, pages)
    for page in pages:
        assert page.data == (out / page.path).read_bytes()


# --- failures: the previous site stays --------------------------------------------------------


def eio() -> OSError:
    return OSError(errno.EIO, os.strerror(errno.EIO))


def no_exchange(monkeypatch: pytest.MonkeyPatch) -> None:
    """The swap as on a file system without an atomic exchange: two renames."""
    monkeypatch.setattr(swap_mod, "_exchange", lambda new, out: False)


@pytest.mark.parametrize("exchange", [True, False])
@pytest.mark.parametrize("error", [eio(), KeyboardInterrupt()])
def test_a_swap_that_fails_leaves_the_previous_site(
        out: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool,
        error: BaseException) -> None:
    """The exchange fails, or (without one) the rename of the new site into place, after
    the old one was moved aside: it is put back. Ctrl-C is held back from the swap on;
    anything else is not."""
    before = snapshot(out)
    if exchange:
        def fail_exchange(new: bytes, site: bytes) -> None:
            raise error

        monkeypatch.setattr(swap_mod, "_exchange_call", lambda: fail_exchange)
    else:
        no_exchange(monkeypatch)
        real = os.rename

        def rename(src: str | Path, dst: str | Path) -> None:
            if Path(src).name.startswith(".site.new-"):
                raise error
            real(src, dst)

        monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(type(error) if isinstance(error, KeyboardInterrupt) else UsageError,
                       match="Input/output error; the previous site is unchanged$"
                       if isinstance(error, OSError) else None):
        write_mod.write_site(out, second(out, {"people/index.html": b"all"}))
    assert snapshot(out) == before  # the very same folders and files, byte for byte
    assert leftovers(out.parent) == []


@pytest.mark.parametrize("errno_", [errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP])
def test_a_file_system_without_the_exchange_gets_two_renames(
        out: Path, monkeypatch: pytest.MonkeyPatch, errno_: int) -> None:
    def refuse(new: bytes, site: bytes) -> None:
        raise OSError(errno_, os.strerror(errno_))

    monkeypatch.setattr(swap_mod, "_exchange_call", lambda: refuse)
    write_mod.write_site(out, second(out, {"people/index.html": b"all"}))
    assert (out / "people/index.html").read_bytes() == b"all"
    assert leftovers(out.parent) == []


@pytest.mark.parametrize("fails", ["write", "link"])
def test_a_page_that_cannot_be_written_leaves_the_previous_site(
        out: Path, monkeypatch: pytest.MonkeyPatch, fails: str) -> None:
    before = snapshot(out)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if fails == "write":
        monkeypatch.setattr(Path, "write_bytes", full)
    else:
        monkeypatch.setattr(os, "link", full)
        monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(UsageError, match="No space left on device; the previous site is "):
        write_mod.write_site(out, second(out, {"people/index.html": b"all"}))
    assert snapshot(out) == before
    assert leftovers(out.parent) == []


# --- real builds ----------------------------------------------------------------------------


def test_a_rebuild_after_one_edit_links_the_other_decks_and_matches_a_cold_build(
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
        page = f"{deck}/index.html"
        assert (after[page][2] == before[page][2]) == (deck != edited), deck
    build(site, out=tmp_path / "cold")
    assert contents(out) == contents(tmp_path / "cold")


def test_the_preview_reads_the_files_a_rebuild_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The preview's first build keeps what `demodeck build` left, linked files and all:
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
    from demodeck.incremental import pool

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

    def spy(out: Path, pages: list[Output], staging: write_mod.Staging | None = None,
            **kwargs: Any) -> write_mod.Written:
        written.extend(p.path for p in pages if isinstance(p, Staged))
        return write_site(out, pages, staging, **kwargs)

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
