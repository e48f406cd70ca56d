"""Content keys: one short hash of some texts and bytes and demodeck's version.

Neutral ground: the build cache keys its entries with it, and so does what keeps work
between builds outside it (highlighted code, in demodeck.markdown), importing it from
here rather than from the cache it feeds.
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
