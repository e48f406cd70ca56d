"""Jinja's cache of compiled templates, in the user's cache folder.

Compiling the theme's templates is a good part of a small build; Jinja keeps what it
compiled, keyed on each template's source, through this :class:`jinja2.BytecodeCache`,
which the render stage's :class:`~demodeck.render.Renderer` takes when the build's
seam gives it one.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import jinja2
import jinja2.bccache

from demodeck.incremental.signed import (
    cache_dir,
    open_folder,
    read_cache_file,
    reason,
    warn_unusable,
)


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates, made optional: a file it cannot write (a full
    disk) turns it off with one warning instead of failing the build, and its files are
    read as the build cache's are (cache.read_cache_file: no links, FIFOs or devices)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(str(directory))
        self.off = False

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = read_cache_file(Path(self.directory, self.pattern % (bucket.key,)))
        if data is not None:
            try:
                bucket.bytecode_from_string(data)
            except Exception:  # cut short, or another Python's: compiled again
                bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if self.off:
            return
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:
            self.off = True
            warn_unusable(Path(self.directory), reason(exc), "the template cache")


def compiled_templates() -> jinja2.BytecodeCache | None:
    """Compiled templates, kept in the user's cache folder (never in a project, where a
    committed file could smuggle in code); keyed by Jinja on each template's source.
    None, said once, if that folder cannot be made or written to."""
    folder = cache_dir() / f"jinja-{jinja2.__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(open_folder(folder))  # a real folder, not a link
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "not writable")
    except OSError as exc:
        warn_unusable(folder, reason(exc), "the template cache")
        return None
    return _BytecodeCache(folder)
