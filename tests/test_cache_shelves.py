"""The build cache's shelves: each deck's demos and search part, in a file per kind and year.

A rebuild after a demo's text changed takes every deck's head from the cache but reads
the demos of no unchanged deck and the search parts of the edited deck's year only (see
:mod:`demodeck.incremental.cache`). A shelf that is missing or damaged costs time, never
a wrong or failed site: a deck whose demos the cache lost is read again from its files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from demodeck import decks, model, render
from demodeck.build import build
from demodeck.config import load_config
from demodeck.errors import BuildError
from demodeck.incremental import archive_keys, manifest, seam, signed
from demodeck.incremental.cache import BuildCache
from demodeck.load import Discovered
from demodeck.model import SiteConfig
from tests.conftest import EXAMPLE_DECK, MINIMAL_DECK, add_why_line, copy_examples

OLD_DECK = "decks/2025-11-10.yaml"  # the one deck of 2025, beside the examples' three of 2026


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def two_years(root: Path) -> SiteConfig:
    """The example decks (2026) and a small deck of 2025."""
    copy_examples(root)
    (root / OLD_DECK).write_text(MINIMAL_DECK)
    return load_config(root)


def cache_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.endswith(".pickle"))


def same_as_cold(site: SiteConfig, tmp_path: Path) -> None:
    assert tree(site.output_path) == tree(build(site, out=tmp_path / "cold").out)


def rename_first_demo(deck: Path) -> None:
    """An edit the index and people pages show: every deck's demos are read for them."""
    text = deck.read_text()
    deck.write_text(text.replace("  - title: ", "  - title: Renamed ", 1))


def test_each_decks_demos_and_search_part_are_kept_in_a_file_per_year(tmp_path: Path) -> None:
    site = two_years(tmp_path / "p")
    build(site, cache=BuildCache(tmp_path / "c" / "build.pickle"))
    assert cache_files(tmp_path / "c") == [
        "build.pickle", "demos-2025.pickle", "demos-2026.pickle", "search-2025.pickle",
        "search-2026.pickle", "shown-2025.pickle", "shown-2026.pickle"]


def test_a_rebuild_after_a_demos_text_changed_reads_no_other_years_shelf_and_no_demos(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = two_years(tmp_path / "p")
    cache_file = tmp_path / "c" / "build.pickle"
    build(site, cache=BuildCache(cache_file))
    read: list[str] = []
    real_read = signed.read_signed
    monkeypatch.setattr(signed, "read_signed", lambda path: read.append(path.name)
                        or real_read(path))
    monkeypatch.setattr("demodeck.incremental.cache.read_signed", signed.read_signed)
    monkeypatch.setattr("demodeck.incremental.cache_files.read_signed", signed.read_signed)
    unpickled: list[str] = []
    real_demos = model.PickledDemos.__getattr__
    monkeypatch.setattr(model.PickledDemos, "__getattr__", lambda deck, name: (
        unpickled.append(deck.slug) if name == "demos" else None) or real_demos(deck, name))
    add_why_line(tmp_path / "p" / "decks/2026-11-23.yaml", "Edited today.")
    assert build(site, cache=BuildCache(cache_file)).rendered == 1
    assert unpickled == []
    assert sorted(name for name in read if name.endswith(".pickle")) == [
        "build.pickle", "delta.pickle", "demos-2026.pickle", "search-2026.pickle",
        "shown-2026.pickle"]
    same_as_cold(site, tmp_path)


@pytest.mark.parametrize("damage", ["removed", "not signed", "cut short"])
def test_a_lost_demos_shelf_has_the_decks_read_again_and_the_site_is_right(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    site = two_years(tmp_path / "p")
    cache_file = tmp_path / "c" / "build.pickle"
    build(site, cache=BuildCache(cache_file))
    shelf = tmp_path / "c" / "demos-2026.pickle"
    if damage == "removed":
        shelf.unlink()
    elif damage == "not signed":
        data = bytearray(shelf.read_bytes())
        data[len(data) // 2] ^= 1  # one bit of one demo
        shelf.write_bytes(bytes(data))
    else:
        shelf.write_bytes(shelf.read_bytes()[:-100])
    validated: list[str] = []
    real = decks.validate_deck
    monkeypatch.setattr(decks, "validate_deck", lambda source, *a, **k: validated.append(
        source.path) or real(source, *a, **k))
    rename_first_demo(tmp_path / "p" / EXAMPLE_DECK)  # the index lists every deck's demos
    build(site, cache=BuildCache(cache_file))
    # the edited deck, then the two others of 2026 for their demos; 2025's shelf is whole
    assert validated == [EXAMPLE_DECK, "decks/2026-11-23.yaml", "decks/2026-11-16"]
    assert "Renamed " in (site.output_path / "index.html").read_text()
    same_as_cold(site, tmp_path)
    validated.clear()
    rename_first_demo(tmp_path / "p" / OLD_DECK)
    build(site, cache=BuildCache(cache_file))
    assert validated == [OLD_DECK]  # the shelf was written again, whole
    same_as_cold(site, tmp_path)


def test_a_deck_whose_demos_were_lost_and_whose_file_changed_since_it_was_found_is_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its demos are read again from its file, which must still be what the build found:
    else the build stops, as when a file changes between finding and parsing it."""
    monkeypatch.setattr(manifest, "SETTLE_NS", 0)  # files written just now are not read again
    site = two_years(tmp_path / "p")
    cache_file = tmp_path / "c" / "build.pickle"
    build(site, cache=BuildCache(cache_file))
    (tmp_path / "c" / "demos-2026.pickle").unlink()
    rename_first_demo(tmp_path / "p" / EXAMPLE_DECK)
    newest = tmp_path / "p" / "decks/2026-11-23.yaml"
    real = seam.Accelerated.discover

    def discover_then_edit(speed: seam.Accelerated, site: SiteConfig) -> Discovered:
        found = real(speed, site)
        add_why_line(newest, "Written while the build runs.")
        return found

    monkeypatch.setattr(seam.Accelerated, "discover", discover_then_edit)
    with pytest.raises(BuildError, match=re.escape(
            "decks/2026-11-23.yaml: the file changed while demodeck was reading the decks; "
            "build again")):
        build(site, cache=BuildCache(cache_file))


def test_a_lost_search_shelf_is_worked_out_again(tmp_path: Path) -> None:
    site = two_years(tmp_path / "p")
    cache_file = tmp_path / "c" / "build.pickle"
    build(site, cache=BuildCache(cache_file))
    (tmp_path / "c" / "search-2026.pickle").unlink()
    add_why_line(tmp_path / "p" / EXAMPLE_DECK, "Edited today.")
    build(site, cache=BuildCache(cache_file))
    assert (tmp_path / "c" / "search-2026.pickle").is_file()
    same_as_cold(site, tmp_path)


def test_the_shelves_of_a_year_with_no_deck_left_go_when_the_cache_is_written_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = two_years(tmp_path / "p")
    cache_file = tmp_path / "c" / "build.pickle"
    build(site, cache=BuildCache(cache_file))
    (tmp_path / "p" / OLD_DECK).unlink()
    monkeypatch.setattr("demodeck.incremental.cache_files.COMPACT_AT", 0.0)
    build(site, cache=BuildCache(cache_file))
    assert cache_files(tmp_path / "c") == ["build.pickle", "demos-2026.pickle",
                                           "search-2026.pickle", "shown-2026.pickle"]
    same_as_cold(site, tmp_path)


def test_the_feed_is_made_again_only_when_what_it_shows_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-in feed shows each deck's title, date, hosts, demo titles and presenters,
    not their text; a project's own feed template may show anything."""
    monkeypatch.setattr(render, "FEED_DECKS", 2)  # the two newest decks
    site = two_years(tmp_path / "p")
    cache_file = tmp_path / "c" / "build.pickle"
    feed = site.output_path / "feed.xml"

    def rebuilt_feed() -> bool:
        before = feed.stat().st_ino
        build(site, cache=BuildCache(cache_file))
        same_as_cold(site, tmp_path)
        return feed.stat().st_ino != before

    build(site, cache=BuildCache(cache_file))
    newest = tmp_path / "p" / "decks/2026-11-23.yaml"
    add_why_line(newest, "Edited today.")
    assert not rebuilt_feed()
    rename_first_demo(newest)
    assert rebuilt_feed() and "Renamed " in feed.read_text()
    rename_first_demo(tmp_path / "p" / EXAMPLE_DECK)  # the third newest: not in the feed
    assert not rebuilt_feed()
    templates = tmp_path / "p" / "templates"
    templates.mkdir()
    (templates / "feed.xml").write_text(
        "<feed>{% for deck in decks %}{{ deck.demos[0].why }}{% endfor %}</feed>\n")
    assert rebuilt_feed()
    add_why_line(newest, "Edited again.")
    assert rebuilt_feed() and "Edited again." in feed.read_text()


def test_the_archive_pages_keys_are_put_together_again_only_when_a_decks_part_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edited "why" changes no deck's part of the archive pages' keys: the keys the
    last build put together are taken from the cache. A renamed demo changes one, and
    all are read in full, from their shelves or, lost there, from the decks."""
    site = two_years(tmp_path / "p")
    cache_file = tmp_path / "c" / "build.pickle"
    build(site, cache=BuildCache(cache_file))
    summed: list[int] = []
    real = archive_keys.from_parts
    monkeypatch.setattr(archive_keys, "from_parts", lambda decks, parts, **kw: summed.append(
        len(parts)) or real(decks, parts, **kw))
    add_why_line(tmp_path / "p" / EXAMPLE_DECK, "Edited today.")
    build(site, cache=BuildCache(cache_file))
    assert summed == []
    (tmp_path / "c" / "shown-2025.pickle").unlink()
    rename_first_demo(tmp_path / "p" / EXAMPLE_DECK)
    build(site, cache=BuildCache(cache_file))
    assert summed == [4]
    assert "Renamed " in (site.output_path / "index.html").read_text()
    same_as_cold(site, tmp_path)
