"""Which link targets a deck may hold: shared by validation (``url:`` fields) and the
Markdown renderer (links inside text), so both stages allow exactly the same URLs."""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_ALLOWED_SCHEMES = ("http", "https", "mailto")


def url_is_safe(url: str) -> bool:
    """http(s), mailto and relative URLs only. Browsers ignore tabs, newlines and
    leading control characters in URLs, so strip those before reading the scheme."""
    squeezed = re.sub(r"[\x00-\x20\x7f]", "", url).lower()
    match = _SCHEME.match(squeezed)
    return match is None or match.group(1) in _ALLOWED_SCHEMES
