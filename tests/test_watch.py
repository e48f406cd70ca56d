"""The watcher: which paths matter, how bursts collapse, and real inotify events."""

from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path

import pytest
from watchdog.events import (
    DirModifiedEvent,
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
)

from demodeck.model import SiteConfig
from demodeck.watch import Batch, Change, Debouncer, Kind, Layout, Watcher, classify, event_changes


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    root = tmp_path.resolve()
    (root / "decks").mkdir()
    (root / "templates").mkdir()
    (root / "images").mkdir()
    return Layout.of(SiteConfig(root=root), images=[root / "images" / "shot.png"])


def kind_of(layout: Layout, rel: str, *, is_dir: bool = False) -> Kind | None:
    change = classify(layout.root / rel, layout, is_dir=is_dir)
    return None if change is None else change.kind


@pytest.mark.parametrize(("rel", "kind"), [
    ("decks/2026-11-23.yaml", Kind.DECK),
    ("decks/2026-11-23.yml", Kind.DECK),
    ("decks/2026-11-23/search.yaml", Kind.DECK),
    ("decks/2026-11-23/shot.png", Kind.IMAGE),
    ("templates/deck.html", Kind.TEMPLATE),
    ("templates/static/deck.css", Kind.TEMPLATE),
    ("demodeck.yaml", Kind.CONFIG),
    ("images/shot.png", Kind.IMAGE),
    ("images/new-one.jpg", Kind.IMAGE),  # a broken deck may be waiting for it
    # editors' scratch files and everything outside the inputs
    ("decks/.2026-11-23.yaml.swp", None),
    ("decks/2026-11-23.yaml~", None),
    ("decks/#2026-11-23.yaml#", None),
    ("decks/.tmp-2026-11-23.yaml", None),
    ("decks/2026-11-23.yaml.tmp", None),
    ("decks/4913", None),
    ("decks/README.md", None),
    ("site/index.html", None),
    ("README.md", None),
    ("images/notes.txt", None),
])
def test_classify(layout: Layout, rel: str, kind: Kind | None) -> None:
    assert kind_of(layout, rel) is kind


def test_a_file_in_a_deck_folder_names_the_folder(layout: Layout) -> None:
    change = classify(layout.root / "decks/2026-11-23/search.yaml", layout)
    assert change == Change(Kind.DECK, layout.root / "decks/2026-11-23")
    assert kind_of(layout, "decks/2026-11-30", is_dir=True) is Kind.DECK


def test_atomic_save_is_the_rename_onto_the_deck(layout: Layout) -> None:
    deck = str(layout.root / "decks/2026-11-23.yaml")
    temp = str(layout.root / "decks/.2026-11-23.yaml.tmp")
    changes = list(event_changes(FileMovedEvent(temp, deck), layout))
    assert changes == [Change(Kind.DECK, Path(deck))]


def test_a_save_is_over_when_its_file_is_renamed_into_place_or_closed(layout: Layout) -> None:
    """An atomic save ends with its rename, a save in place with the close; vim's way
    (the deck renamed to ``deck~``, a new deck written) only with the close."""
    deck = str(layout.root / "decks/2026-11-23.yaml")
    temp = str(layout.root / "decks/.2026-11-23.yaml.tmp")
    [renamed] = event_changes(FileMovedEvent(temp, deck), layout)
    assert renamed.written
    vim = [FileMovedEvent(deck, deck + "~"), FileCreatedEvent(deck), FileModifiedEvent(deck),
           FileClosedEvent(deck)]
    assert [c.written for e in vim for c in event_changes(e, layout)] == [
        False, False, False, True]


def test_renaming_a_deck_away_counts_both_ends(layout: Layout) -> None:
    old = str(layout.root / "decks/2026-11-23.yaml")
    new = str(layout.root / "decks/2026-11-30.yaml")
    assert len(list(event_changes(FileMovedEvent(old, new), layout))) == 2


def test_reads_and_folder_echoes_are_ignored(layout: Layout) -> None:
    deck = str(layout.root / "decks/2026-11-23.yaml")
    for event in (FileOpenedEvent(deck), FileClosedNoWriteEvent(deck),
                  DirModifiedEvent(str(layout.root / "decks"))):
        assert list(event_changes(event, layout)) == []
    assert list(event_changes(FileModifiedEvent(deck), layout))


def test_watches_cover_inputs_without_overlap(layout: Layout) -> None:
    nested = Layout.of(SiteConfig(root=layout.root),
                       images=[layout.root / "decks/2026-11-23/a.png", layout.root / "x.png"])
    watches = nested.watches()
    assert watches == {layout.root: False, layout.root / "decks": True,
                       layout.root / "templates": True}
    assert layout.watches()[layout.root / "images"] is False


def test_a_batch_names_what_changed_as_the_preview_reports_it(layout: Layout) -> None:
    deck = Change(Kind.DECK, layout.root / "decks/2026-11-23.yaml")
    template = Change(Kind.TEMPLATE, layout.root / "templates/deck.html")
    assert Batch(frozenset({deck})).describe(layout.root) == "decks/2026-11-23.yaml"
    assert Batch(frozenset({deck, template})).describe(layout.root) == (
        "decks/2026-11-23.yaml, templates/deck.html")


def collect(**kwargs: float) -> tuple[Debouncer, queue.SimpleQueue[tuple[float, Batch]]]:
    out: queue.SimpleQueue[tuple[float, Batch]] = queue.SimpleQueue()
    debouncer = Debouncer(lambda b: out.put((time.monotonic(), b)), **kwargs)
    debouncer.start()
    return debouncer, out


def test_a_burst_is_one_batch(tmp_path: Path) -> None:
    debouncer, out = collect(quiet=0.05, max_delay=1.0)
    try:
        started = time.monotonic()
        for name in ("a", "b", "a", "c"):
            debouncer.push(Change(Kind.DECK, tmp_path / name))
            time.sleep(0.01)
        when, batch = out.get(timeout=2)
        assert {c.path.name for c in batch.changes} == {"a", "b", "c"}
        assert 0.05 <= when - started < 0.5
        with pytest.raises(queue.Empty):
            out.get(timeout=0.15)
    finally:
        debouncer.stop()


def test_a_flood_still_rebuilds_at_a_bounded_rate(tmp_path: Path) -> None:
    debouncer, out = collect(quiet=0.05, max_delay=0.15)
    try:
        started = time.monotonic()
        while time.monotonic() - started < 0.6:  # never 50 ms quiet
            debouncer.push(Change(Kind.DECK, tmp_path / "a"))
            time.sleep(0.005)
        batches = [out.get(timeout=1)]
        while True:
            try:
                batches.append(out.get(timeout=0.2))
            except queue.Empty:
                break
        assert 3 <= len(batches) <= 6  # about one per max_delay, not one per event
    finally:
        debouncer.stop()


def test_a_burst_ends_without_the_quiet_once_its_writes_are_over(tmp_path: Path) -> None:
    debouncer, out = collect(quiet=60, max_delay=60)  # only a written file ends it now
    try:
        deck = tmp_path / "2026-11-23.yaml"
        debouncer.push(Change(Kind.DECK, deck))  # the rename to deck~, the new file...
        debouncer.push(Change(Kind.IMAGE, tmp_path / "images/a.png", written=True))
        with pytest.raises(queue.Empty):  # the deck is still being written
            out.get(timeout=0.3)
        debouncer.push(Change(Kind.DECK, deck, written=True))  # ...and its close
        _, batch = out.get(timeout=5)
        assert {c.path.name for c in batch.changes} == {"2026-11-23.yaml", "a.png"}
    finally:
        debouncer.stop()


def test_stop_wakes_an_idle_debouncer() -> None:
    debouncer, _ = collect()
    started = time.monotonic()
    debouncer.stop()
    assert time.monotonic() - started < 1


def test_watcher_sees_an_atomic_save(layout: Layout) -> None:
    deck = layout.root / "decks/2026-11-23.yaml"
    deck.write_text("title: one\n")
    seen: queue.SimpleQueue[Change] = queue.SimpleQueue()
    watcher = Watcher(layout, seen.put)
    watcher.start()
    try:
        temp = deck.with_name(".2026-11-23.yaml.tmp")
        temp.write_text("title: two\n")
        os.replace(temp, deck)
        assert seen.get(timeout=2) == Change(Kind.DECK, deck)
        (layout.root / "templates/deck.html").write_text("x")
        kinds = {seen.get(timeout=2).kind}
        while not seen.empty():
            kinds.add(seen.get().kind)
        assert kinds == {Kind.DECK, Kind.TEMPLATE} or kinds == {Kind.TEMPLATE}
    finally:
        watcher.stop()


def test_watcher_follows_a_new_decks_folder(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    seen: queue.SimpleQueue[Change] = queue.SimpleQueue()
    watcher = Watcher(Layout.of(SiteConfig(root=root)), seen.put)
    watcher.start()
    try:
        (root / "decks").mkdir()
        assert seen.get(timeout=2).kind is Kind.DECK
        assert watcher.update(Layout.of(SiteConfig(root=root)))  # a recursive watch was added
        assert watcher.watched()[root / "decks"] is True
        (root / "decks/2026-11-23.yaml").write_text("x")
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            change = seen.get(timeout=2)
            if change.path == root / "decks/2026-11-23.yaml":
                break
        else:  # pragma: no cover - only on failure
            pytest.fail("no event from the new decks folder")
    finally:
        watcher.stop()


def test_watcher_stop_is_prompt(layout: Layout) -> None:
    watcher = Watcher(layout, lambda _: None)
    watcher.start()
    started = time.monotonic()
    watcher.stop()
    assert time.monotonic() - started < 1.5
    assert not any(t.name.startswith("demodeck") for t in threading.enumerate()
                   if t.is_alive() and t.daemon is False)
