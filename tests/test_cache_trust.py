"""The caches are trusted only as far as they deserve, and are never a reason to fail.

Issue 19, items 1, 2 (the cache's part), 3 and 7: a signing key that is empty, short or
unreadable never signs or passes anything; ``.demodeck-cache`` and what is in it are never
followed out of the project; a cache file that is a FIFO, a device or huge neither hangs
nor swallows the build; a user cache folder that is full or read-only costs a warning
line, not the build. Builds run in their own process here (what a user runs, and a hang
or a traceback shows), held to a timeout and to 1 GiB of memory.

The tests run as root, which reads and writes whatever the permission bits say: an
unreadable key is a folder where the file should be, an unwritable cache folder is a
file where the folder should be, and a real full or read-only disk is a small tmpfs,
mounted only where that is allowed (skipped elsewhere; a monkeypatched full disk stands
in for it everywhere).
"""

from __future__ import annotations

import errno
import os
import pickle
import re
import resource
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import jinja2.bccache
import pytest

from demodeck.incremental import cache_files, signed
from demodeck.incremental.cache import BuildCache
from tests.conftest import Project, Run

MEMORY = 1 << 30  # bytes a build process may map: enough for a build, not for /dev/zero
ONE_WARNING = re.compile(r"warning: (.+) is not usable \((.+)\); building without the "
                         r"(build|template) cache")


@pytest.fixture(autouse=True)
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user cache folder of the test's own (XDG_CACHE_HOME, also for the build
    processes), with this process's key and warning forgotten before and after."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.setattr(signed, "_warned", [])
    signed.secret.cache_clear()
    yield home
    signed.secret.cache_clear()


def _held() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def build(project: Project, *args: str, timeout: float = 30) -> Run:
    """``demodeck build`` in its own process (one job), as a user runs it."""
    proc = subprocess.run([sys.executable, "-m", "demodeck", "build", "-C", str(project.root),
                           "--jobs", "1", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=_held)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def built(run: Run) -> None:
    """The build succeeded, said nothing on stderr, and its site is there."""
    assert (run.code, run.err) == (0, ""), run.err
    assert run.out.startswith(("Built ", "Up to date: "))


def built_with_one_warning(run: Run) -> tuple[str, str, str]:
    """The build succeeded and said exactly one plain warning line: (what, why, which)."""
    assert run.code == 0, run.err
    assert run.out.startswith("Built ")
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    found = ONE_WARNING.fullmatch(lines[0])
    assert found, lines[0]
    return found[1], found[2], found[3]


def edit(project: Project) -> None:
    """A real change to the deck, so that the next build is not up to date."""
    deck = project.root / "decks/2026-11-23.yaml"
    deck.write_text(deck.read_text().replace("Checkout took", "Checkout took, once,"))


def key_file(xdg: Path) -> Path:
    return xdg / "demodeck" / "cache-key"


def write_key(xdg: Path, text: str) -> Path:
    path = key_file(xdg)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def forged(body: bytes, key: bytes) -> bytes:
    """A cache file as demodeck writes it, signed with ``key``."""
    import hmac

    return signed._MAGIC + hmac.digest(key, body, "sha256") + body


class Payload:
    """A pickle that makes a folder when it is unpickled: proof that it was."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.mkdir, (str(self.path),)


# -- item 1: the key --------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "\n", "00112233", "zz" * 32, "ab" * 40])
def test_an_empty_short_or_garbled_key_is_replaced_by_a_whole_new_one(
        project: Project, xdg: Path, text: str) -> None:
    path = write_key(xdg, text)
    built(build(project))
    assert re.fullmatch(r"[0-9a-f]{64}", path.read_text())
    assert path.stat().st_mode & 0o777 == 0o600
    edit(project)
    built(build(project))  # another process: the key on disk is the one it signed with
    again = build(project)
    built(again)
    assert again.out.startswith("Up to date: ")


@pytest.mark.parametrize("weak_key", ["", "00112233"])
def test_a_cache_forged_with_an_empty_or_short_key_is_never_unpickled(
        project: Project, xdg: Path, tmp_path: Path, weak_key: str) -> None:
    write_key(xdg, weak_key)  # as the disk filling up on the first run left it
    proof = tmp_path / "the forged pickle ran"
    cache = project.root / ".demodeck-cache"
    cache.mkdir()
    body = pickle.dumps(Payload(proof))
    for name in ("build.pickle", "delta.pickle", "demos-2026.pickle", "search-2026.pickle"):
        (cache / name).write_bytes(forged(body, bytes.fromhex(weak_key)))
    built(build(project))
    assert not proof.exists()
    assert "Search v2" in project.site()


def test_a_key_that_cannot_be_read_leaves_the_cache_aside_with_one_warning(
        project: Project, xdg: Path) -> None:
    # Root reads a file whatever its mode: a folder where the key should be is unreadable.
    key_file(xdg).mkdir(parents=True)
    what, why, which = built_with_one_warning(build(project))
    assert (what, why, which) == (str(key_file(xdg)), "Is a directory", "build")
    assert not (project.root / ".demodeck-cache").exists()  # nothing signed, nothing written
    assert "Search v2" in project.site()
    built_with_one_warning(build(project))  # every build, once


def test_a_key_that_cannot_be_made_leaves_the_caches_aside_with_one_warning(
        project: Project, xdg: Path) -> None:
    # Root writes in any folder: a file where the user's cache folder should be stands
    # for one that cannot be written to.
    xdg.write_text("not a folder")
    what, why, _ = built_with_one_warning(build(project))
    assert what.startswith(str(xdg)) and why == "Not a directory"
    assert not (project.root / ".demodeck-cache").exists()
    assert "Search v2" in project.site()


def test_a_key_whose_write_fails_midway_is_not_used_nor_left_short(
        project: Project, xdg: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    real_fsync = os.fsync

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    assert signed.secret() is None
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert not key_file(xdg).exists()  # no empty key left for the next run
    assert sorted(os.listdir(key_file(xdg).parent)) == []  # nor its temporary file
    assert capsys.readouterr().err == (f"warning: {key_file(xdg)} is not usable (No space left "
                                       "on device); building without the build cache\n")
    manifest = project.root / ".demodeck-cache" / "manifest.json"
    with pytest.raises(OSError):  # nothing is signed without a key
        signed.write_signed(manifest, b"{}")
    assert not manifest.parent.exists()
    project.write_bytes(".demodeck-cache/manifest.json", forged(b"{}", b""))
    assert signed.read_signed(manifest) is None  # nor does anything pass


def test_a_relative_xdg_cache_home_is_ignored(project: Project, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", ".cache")  # relative: the project, when run there
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(project.root)
    built(build(project))
    assert not (project.root / ".cache").exists()
    assert key_file(tmp_path / "home" / ".cache").is_file()


# -- item 2: never through a link -------------------------------------------------------------

@pytest.mark.parametrize("outside_exists", [True, False])
def test_a_cache_folder_that_is_a_link_is_not_followed(project: Project, tmp_path: Path,
                                                       outside_exists: bool) -> None:
    outside = tmp_path / "outside"
    if outside_exists:
        outside.mkdir()
    (project.root / ".demodeck-cache").symlink_to(outside)
    what, why, _ = built_with_one_warning(build(project))
    assert what == str(project.root / ".demodeck-cache") and "symbolic link" in why
    assert (sorted(os.listdir(outside)) if outside_exists else outside.exists()) in ([], False)
    assert "Search v2" in project.site()


@pytest.mark.parametrize("name", [".gitignore", "build.pickle", "delta.pickle",
                                  "demos-2026.pickle", "manifest.json"])
def test_a_link_in_the_cache_folder_is_not_written_through(project: Project, tmp_path: Path,
                                                           name: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project.root / ".demodeck-cache").mkdir()
    (project.root / ".demodeck-cache" / name).symlink_to(outside / name)  # dangling
    built(build(project))
    assert os.listdir(outside) == []
    edit(project)  # a build that reads the cache (and writes a delta)
    built(build(project))
    assert os.listdir(outside) == []
    assert (project.root / ".demodeck-cache" / "build.pickle").is_file()


def test_a_cache_file_that_links_to_a_good_one_elsewhere_is_not_read(
        project: Project, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    signed.write_signed(elsewhere / "manifest.json", b'{"fingerprint": "x"}')
    (project.root / ".demodeck-cache").mkdir()
    (project.root / ".demodeck-cache" / "manifest.json").symlink_to(elsewhere / "manifest.json")
    assert BuildCache.for_project(project.root).read_manifest() is None
    assert BuildCache(elsewhere / "build.pickle").read_manifest() == {"fingerprint": "x"}


# -- item 3: nothing that blocks or never ends ------------------------------------------------

def _plant(path: Path, kind: str) -> None:
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(kind)


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
@pytest.mark.parametrize("name", ["build.pickle", "delta.pickle", "demos-2026.pickle",
                                  "search-2026.pickle", "manifest.json"])
def test_a_cache_file_that_is_a_fifo_or_a_device_does_not_hang_the_build(
        project: Project, name: str, kind: str) -> None:
    built(build(project))
    edit(project)
    built(build(project))  # a delta.pickle now, too
    _plant(project.root / ".demodeck-cache" / name, kind)
    edit(project)
    built(build(project, timeout=20))
    path = project.root / ".demodeck-cache" / name
    assert not path.is_symlink() and not path.is_fifo()  # replaced, or removed (a delta)


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_a_key_that_is_a_fifo_or_a_device_does_not_hang_the_build(
        project: Project, xdg: Path, kind: str) -> None:
    key_file(xdg).parent.mkdir(parents=True)
    _plant(key_file(xdg), kind)
    built(build(project, timeout=20))
    assert re.fullmatch(r"[0-9a-f]{64}", key_file(xdg).read_text())


def test_compiled_templates_that_are_fifos_do_not_hang_the_build(project: Project,
                                                                 xdg: Path) -> None:
    built(build(project))
    compiled = [p for p in xdg.glob("demodeck/jinja-*/*") if p.is_file()]
    assert compiled
    for path in compiled:
        _plant(path, "fifo")
    edit(project)
    built(build(project, timeout=20))


def test_cache_files_that_are_fifos_do_not_hang_the_preview(project: Project) -> None:
    built(build(project))
    for name in ("build.pickle", "manifest.json"):
        _plant(project.root / ".demodeck-cache" / name, "fifo")
    script = ("import sys; from pathlib import Path;"
              "from demodeck.preview_build import cached_builder; root = Path(sys.argv[1]);"
              "print(len(cached_builder(root)(root).pages))")
    proc = subprocess.run([sys.executable, "-c", script, str(project.root)], capture_output=True,
                          text=True, timeout=20, preexec_fn=_held)
    assert proc.returncode == 0 and int(proc.stdout) > 1, proc.stderr


def test_a_huge_cache_file_is_not_read_into_memory(project: Project) -> None:
    built(build(project))
    huge = project.root / ".demodeck-cache" / "build.pickle"
    with huge.open("r+b") as f:  # sparse: no disk space taken
        f.truncate(signed.MAX_FILE + 1)
    cache = BuildCache.for_project(project.root)
    tracemalloc.start()
    try:
        assert cache.get_highlight("any") is None  # reads the cache: it starts over
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20
    edit(project)
    built(build(project))
    assert huge.stat().st_size < 1 << 20  # a real cache written in its place


# -- item 7: a full or read-only user cache folder --------------------------------------------

def test_compiled_templates_that_cannot_be_written_cost_one_warning_not_the_build(
        project: Project, xdg: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def disk_full(self: jinja2.bccache.Bucket, f: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(jinja2.bccache.Bucket, "write_bytecode", disk_full)
    run = project.run("build", "--jobs", "1", capsys=capsys)
    what, why, which = built_with_one_warning(run)
    assert what.startswith(str(xdg / "demodeck" / "jinja-"))
    assert (why, which) == ("No space left on device", "template")
    assert "Search v2" in project.site()
    assert (project.root / ".demodeck-cache" / "build.pickle").is_file()  # that one works


def test_a_cache_folder_that_cannot_be_written_costs_one_warning_not_the_build(
        project: Project, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache_files, "write", disk_full)  # the disk fills as the cache is saved
    what, why, which = built_with_one_warning(project.run("build", "--jobs", "1",
                                                          capsys=capsys))
    assert (what, why, which) == (str(project.root / ".demodeck-cache"),
                                  "No space left on device", "build")
    assert "Search v2" in project.site()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, where mounting one is allowed."""
    mount = tmp_path / "small"
    mount.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                              capture_output=True, timeout=10)
    except OSError:
        pytest.skip("no mount here")
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs is not allowed here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, timeout=10)


def _fill(disk: Path) -> None:
    with (disk / "filler").open("wb", buffering=0) as f, pytest.raises(OSError) as full:
        while True:
            f.write(bytes(4096))
    assert full.value.errno == errno.ENOSPC


@pytest.mark.parametrize("with_key", [False, True])
def test_a_full_user_cache_folder_costs_one_warning_not_the_build(
        project: Project, small_disk: Path, monkeypatch: pytest.MonkeyPatch,
        with_key: bool) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(small_disk))
    if with_key:
        write_key(small_disk, "ab" * 32)
    _fill(small_disk)
    what, why, which = built_with_one_warning(build(project))
    assert what.startswith(str(small_disk)) and why == "No space left on device"
    assert "Search v2" in project.site()
    if with_key:  # the project's cache is still written and signed
        assert which == "template"
        assert (project.root / ".demodeck-cache" / "build.pickle").is_file()
    else:  # no key: nothing signed, and no empty key left
        assert not (project.root / ".demodeck-cache").exists()
        assert not key_file(small_disk).exists()


def test_a_read_only_user_cache_folder_costs_one_warning_not_the_build(
        project: Project, small_disk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True, timeout=10)
    monkeypatch.setenv("XDG_CACHE_HOME", str(small_disk))
    what, why, _ = built_with_one_warning(build(project))
    assert what.startswith(str(small_disk)) and why == "Read-only file system"
    assert "Search v2" in project.site()
