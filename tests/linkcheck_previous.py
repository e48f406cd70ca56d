"""The link check's scanner as it was before it became one loop per attribute name
(git 5acb908, demodeck/linkcheck.py): for each hit of a name, a search back to the
"<" before it and a match of the text in between. Kept as an oracle: the faster
``linkcheck.parse`` must read every page, hostile ones included, exactly as this did
(tests/test_linkcheck.py)."""

from __future__ import annotations

import bisect
import html

from demodeck import linkcheck


def parse(data: bytes) -> linkcheck.Parsed:
    lowered = data.lower()
    skipped = linkcheck._raw_text_spans(lowered)
    urls: list[tuple[int, str]] = []
    ids: set[str] = set()
    for name, pattern in linkcheck._ATTRS.items():
        search, pos = pattern.search, 0
        while (match := search(lowered, pos)) is not None:
            if _outside(lowered, skipped, match.start()):
                pos = match.start() + 1
                continue
            pos = match.end()
            group = 1 if match.group(1) is not None else 2 if match.group(2) is not None else 3
            value = _text(data[match.start(group):match.end(group)])
            if name == b"id":
                ids.add(value)
            elif (url := value.strip()) and linkcheck._EXTERNAL(url) is None:
                urls.append((match.start(), url))
    urls.sort()
    return "\0".join(url for _, url in urls), "\0".join(sorted(ids))


def _outside(lowered: bytes, skipped: list[tuple[int, int]], pos: int) -> bool:
    opening = lowered.rfind(b"<", 0, pos)
    if opening < 0 or linkcheck._TAG_SO_FAR(lowered, opening, pos) is None:
        return True
    if not skipped:
        return False
    i = bisect.bisect_right(skipped, (pos, len(lowered))) - 1
    return i >= 0 and skipped[i][0] <= pos < skipped[i][1]


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    if "\0" in text:
        text = text.replace("\0", "\ufffd")
    return html.unescape(text) if "&" in text else text
