"""Content keys: one short hash of some texts and bytes and demodeck's version.

The caches key their entries with it (:mod:`demodeck.incremental.cache`), and so do the stages that
keep work between builds (highlighted code, the archive pages' parts, the theme), which
import it from here rather than from the cache they feed.
"""

from __future__ import annotations

import hashlib

from demodeck import __version__


def digest(*parts: str | bytes) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(__version__.encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()
