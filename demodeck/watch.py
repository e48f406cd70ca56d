"""The preview's eyes: watchdog events → classified changes → one debounced batch per burst.

Editors save in many ways: write in place (modified, modified, closed), write a
temp file and rename it over the deck (a *moved* event whose ``dest_path`` is
the deck), or rename the deck to ``deck.yaml~`` first. So every path an event
names is classified on its own, temp and swap files (``load.is_temp_file``) are
dropped, and the burst is collapsed into one :class:`Batch` once the folder has
been quiet for a moment, a shorter one once every file written in it was closed or
renamed into place: the last event of an editor's save. The batch says what the
change touches (one deck, or everything for a template or ``demodeck.yaml``) so a
cached build can redo only that.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from demodeck.config import CONFIG_FILE
from demodeck.load import is_temp_file
from demodeck.model import SiteConfig
from demodeck.schema import IMAGE_SUFFIXES

# "opened" and "closed_no_write" are reads (our own build reads every deck);
# "attrib" is chmod/touch noise. Directory "modified" only echoes its children.
RELEVANT_EVENTS = frozenset({"created", "modified", "deleted", "moved", "closed"})
YAML_SUFFIXES = (".yaml", ".yml")


class Kind(enum.Enum):
    DECK = "deck"  # a deck file or folder: rebuild that deck and the index
    IMAGE = "image"  # an image: rebuild the decks that show it
    TEMPLATE = "template"  # a user template or static file: rebuild everything
    CONFIG = "config"  # demodeck.yaml: rebuild everything, the layout may move


@dataclass(frozen=True, slots=True)
class Change:
    kind: Kind
    path: Path  # for DECK: the deck file or folder (decks/2026-11-23/x.yaml → decks/2026-11-23)
    # the event ended a write: the file was closed after writing, or renamed into place
    # (how it happened, not what changed: two changes of one path are one)
    written: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class Batch:
    """Every change of one burst of saves."""

    changes: frozenset[Change]

    def describe(self, root: Path) -> str:
        names = sorted({_rel(root, c.path) for c in self.changes})
        shown = ", ".join(names[:3])
        return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a project's inputs are, as of its last readable demodeck.yaml."""

    root: Path
    decks: Path
    templates: Path
    output: Path
    images: frozenset[Path] = field(default=frozenset())  # referenced by the last good build

    @classmethod
    def of(cls, site: SiteConfig, images: Iterable[Path] = ()) -> Layout:
        root = site.root.resolve()
        return cls(root=root, decks=site.decks_path.resolve(),
                   templates=site.templates_path.resolve(),
                   output=site.output_path.resolve(), images=frozenset(images))

    @property
    def config(self) -> Path:
        return self.root / CONFIG_FILE

    def watches(self) -> dict[Path, bool]:
        """Folders to watch → recursive? Only folders that exist can be watched."""
        wanted = {self.root: False}  # demodeck.yaml, and decks/ or templates/ appearing
        for folder in (self.decks, self.templates):
            if folder.is_dir():
                wanted[folder] = True
        for image in self.images:
            folder = image.parent
            if folder.is_dir() and not any(_within(folder, r) for r, rec in wanted.items() if rec):
                wanted.setdefault(folder, False)
        return wanted


def classify(path: Path, layout: Layout, *, is_dir: bool = False) -> Change | None:
    """What a changed path means for the site, or None if it cannot change the output."""
    if is_temp_file(path.name) or _within(path, layout.output):
        return None
    if path == layout.config:
        return Change(Kind.CONFIG, path)
    if _within(path, layout.templates):
        return Change(Kind.TEMPLATE, path)
    image = not is_dir and path.suffix.lower() in IMAGE_SUFFIXES
    if path in layout.images or (image and any(path.parent == i.parent for i in layout.images)):
        return Change(Kind.IMAGE, path)
    if path == layout.decks:
        return Change(Kind.DECK, path)  # the whole folder appeared or went away
    if not _within(path, layout.decks):
        return None
    if image:
        return Change(Kind.IMAGE, path)  # maybe the one a broken deck is waiting for
    top = layout.decks / path.relative_to(layout.decks).parts[0]
    if is_dir or path.suffix.lower() in YAML_SUFFIXES:
        return Change(Kind.DECK, top)  # a deck file, a deck folder, or a file in one
    return None  # README.md, vim's "4913" probe and the like


def event_changes(event: FileSystemEvent, layout: Layout) -> Iterator[Change]:
    """The changes one watchdog event stands for: both ends of a rename count."""
    if event.event_type not in RELEVANT_EVENTS:
        return
    if event.is_directory and event.event_type == "modified":
        return
    paths = [(event.src_path, event.event_type == "closed")]
    if event.event_type == "moved":
        paths.append((event.dest_path, True))  # an atomic save's last step
    for raw, written in paths:
        if raw:
            change = classify(Path(os.fsdecode(raw)), layout, is_dir=event.is_directory)
            if change is not None:
                yield dataclasses.replace(change, written=True) if written else change


class Debouncer:
    """Collects changes and calls ``action`` once per burst, on its own thread.

    A burst ends after ``quiet`` seconds without a new change, or only ``settle``
    seconds when the last change of each path in it ended a write (``Change.written``:
    an editor's save is over, nothing more of it is coming), or ``max_delay``
    seconds after its first change, so a flood of events (a ``git checkout``,
    a script rewriting every deck) still rebuilds at a bounded rate. Changes
    that arrive while ``action`` runs make the next batch.
    """

    def __init__(self, action: Callable[[Batch], None], *, quiet: float = 0.05,
                 max_delay: float = 0.3, settle: float = 0.01,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._action = action
        self._quiet = quiet
        self._settle = settle
        self._max_delay = max_delay
        self._clock = clock
        self._cond = threading.Condition()
        self._pending: set[Change] = set()
        self._writing: set[Change] = set()  # pending changes whose write has not ended
        self._first = self._last = 0.0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="demodeck-debounce", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def push(self, change: Change) -> None:
        with self._cond:
            now = self._clock()
            if not self._pending:
                self._first = now
            self._last = now
            self._pending.add(change)
            if change.written:
                self._writing.discard(change)
            else:
                self._writing.add(change)
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._action(batch)

    def _next_batch(self) -> Batch | None:
        with self._cond:
            while not self._pending and not self._stopping:
                self._cond.wait()
            while not self._stopping:
                quiet = self._quiet if self._writing else self._settle
                due = min(self._last + quiet, self._first + self._max_delay)
                wait = due - self._clock()
                if wait <= 0:
                    break
                self._cond.wait(wait)
            if self._stopping:
                return None
            batch = Batch(frozenset(self._pending))
            self._pending.clear()
            self._writing.clear()
            return batch


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        for change in event_changes(event, self._watcher.layout):
            self._watcher.on_change(change)


def _default_observer() -> BaseObserver:
    return Observer(timeout=0.1)  # the timeout bounds how long stop() takes


class Watcher:
    """Keeps watchdog watches on a project's inputs as its layout and images change."""

    def __init__(self, layout: Layout, on_change: Callable[[Change], None], *,
                 observer_factory: Callable[[], BaseObserver] = _default_observer) -> None:
        self.layout = layout
        self.on_change = on_change
        self._observer = observer_factory()
        self._handler = _Handler(self)
        self._watches: dict[tuple[Path, bool], ObservedWatch] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        self.update(self.layout)
        self._observer.start()

    def update(self, layout: Layout) -> bool:
        """Watch what ``layout`` needs and nothing else; True if a recursive watch was added
        (files created in that folder before the watch existed were not seen)."""
        with self._lock:
            self.layout = layout
            wanted = set(layout.watches().items())
            for key in set(self._watches) - wanted:
                self._observer.unschedule(self._watches.pop(key))
            added = False
            for folder, recursive in wanted - set(self._watches):
                try:
                    self._watches[(folder, recursive)] = self._observer.schedule(
                        self._handler, str(folder), recursive=recursive)
                except OSError:  # removed since we looked; the root watch sees it return
                    continue
                added = added or recursive
            return added

    def watched(self) -> dict[Path, bool]:
        """Folder → recursive, as currently scheduled (for tests and diagnostics)."""
        with self._lock:
            return {folder: recursive for folder, recursive in self._watches}

    def stop(self) -> None:
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join(timeout=5)


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
