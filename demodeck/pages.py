"""What the render stage hands to the write stage: the site's files, in memory or on disk.

Neutral ground: the write stage and the link check use these types without importing
the renderer (and Jinja with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Page:
    """One output file: a path relative to the site root and its bytes. ``key`` names
    everything it was made from, when known: a later build with the same key keeps it."""

    path: str
    data: bytes
    key: str = ""


@dataclass(frozen=True, slots=True)
class _OnDisk:
    """An output file already on disk: the write stage puts it in place without its bytes
    passing through this process (``data`` reads them, for whoever needs them)."""

    path: str
    source: Path  # that file
    key: str

    @property
    def data(self) -> bytes:
        return self.source.read_bytes()


@dataclass(frozen=True, slots=True)
class Kept(_OnDisk):
    """A file the previous build wrote that is still right (same key, untouched since),
    ``source`` in the current output folder: the write stage links it into the new site
    instead of rendering and writing it again."""


@dataclass(frozen=True, slots=True)
class Staged(_OnDisk):
    """A page a render worker wrote itself, straight into the folder the new site is made
    in (see :class:`demodeck.write.Staging`), instead of sending its bytes back."""


Output = Page | Kept | Staged
Reusable = dict[str, tuple[str, Path]]  # site path -> (its key, the file the last build wrote)
