"""What the preview serves and tells open pages: the :class:`Store` and the :class:`Hub`.

The rebuild thread swaps each good build into the ``Store`` (pages in memory, replaced
whole under a lock, so a request never sees half a build) or records why it failed;
the ``Hub`` pushes the news to every open page as server-sent events. Both are small
nouns shared by the rebuild thread (:mod:`demodeck.serve`) and the request threads
(:mod:`demodeck.preview_http`), easy to use on their own in tests.
"""

from __future__ import annotations

import json
import queue
import secrets
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from demodeck.preview_build import Snapshot

MAX_CHANGED = 200  # above this the reload event says "everything" (null)


@dataclass(frozen=True, slots=True)
class State:
    """What the server answers with; replaced whole, never mutated."""

    build: str = ""  # id of the last good build; "" before the first
    pages: Mapping[str, bytes] = field(default_factory=dict)
    removed: frozenset[str] = frozenset()  # deck slugs served earlier in this session
    problems: tuple[str, ...] = ()  # the last build's problems; () when it was good
    warnings: tuple[str, ...] = ()  # the last good build's warnings


class Store:
    """The preview's own folder: pages in memory, swapped atomically under a lock."""

    def __init__(self, *, session: str | None = None) -> None:
        self._session = session or secrets.token_hex(4)
        self._count = 0
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._state = State()

    def current(self) -> State:
        with self._lock:
            return self._state

    def good(self, snap: Snapshot) -> tuple[State, list[str] | None]:
        """Serve ``snap``; returns the new state and the HTML pages that changed (None: many)."""
        with self._lock:
            old = self._state
            self._count += 1
            self._seen |= snap.decks
            self._state = State(build=f"{self._session}-{self._count}", pages=snap.pages,
                                removed=frozenset(self._seen - snap.decks),
                                warnings=snap.warnings)
            return self._state, changed_pages(old.pages, snap.pages)

    def bad(self, problems: Iterable[str]) -> State:
        with self._lock:
            self._state = State(build=self._state.build, pages=self._state.pages,
                                removed=self._state.removed, problems=tuple(problems),
                                warnings=self._state.warnings)
            return self._state


def changed_pages(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> list[str] | None:
    names = sorted(k for k in old.keys() | new.keys()
                   if k.endswith(".html") and old.get(k) != new.get(k))
    return names if len(names) <= MAX_CHANGED else None


class Hub:
    """Server-sent events to every open page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inboxes: set[queue.SimpleQueue[bytes | None]] = set()
        self._closed = False

    @contextmanager
    def subscribe(self) -> Iterator[queue.SimpleQueue[bytes | None]]:
        inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        with self._lock:
            if self._closed:
                inbox.put(None)
            self._inboxes.add(inbox)
        try:
            yield inbox
        finally:
            with self._lock:
                self._inboxes.discard(inbox)

    def publish(self, event: str, data: object) -> None:
        message = sse(event, data)
        with self._lock:
            for inbox in self._inboxes:
                inbox.put(message)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for inbox in self._inboxes:
                inbox.put(None)

    @property
    def listeners(self) -> int:
        with self._lock:
            return len(self._inboxes)


def sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
