"""Every internal link and asset in the output must resolve before anything is written.

Runs on the pages in memory: for each HTML page, every relative ``href``/``src``
must name a page or file of the site, and a ``#fragment`` on it must name an
``id`` in that page. External links (with a scheme) are not fetched.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from demodeck.errors import Problem
from demodeck.render import Page

_URL_ATTR = re.compile(r"""\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ID_ATTR = re.compile(r"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _ids(text: str) -> set[str]:
    return {html.unescape(a or b) for a, b in _ID_ATTR.findall(text)}


def check_links(pages: Iterable[Page], *, output_name: str = "site") -> list[Problem]:
    files = {p.path: p for p in pages}
    html_text = {path: p.data.decode("utf-8", "replace") for path, p in files.items()
                 if path.endswith(".html")}
    ids: dict[str, set[str]] = {}
    problems: list[Problem] = []
    for path, text in sorted(html_text.items()):
        for a, b in _URL_ATTR.findall(text):
            url = html.unescape(a or b).strip()
            reason = _broken(path, url, files, html_text, ids)
            if reason:
                problems.append(Problem(f"{output_name}/{path}", 0, 0,
                                        f"broken link '{url}': {reason}"))
    return problems


def _broken(page: str, url: str, files: dict[str, Page], html_text: dict[str, str],
            ids: dict[str, set[str]]) -> str | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("//"):
        return None  # external, or a data: URI
    if url.startswith("/"):
        return "root-relative links break when the site is served from a sub-path"
    target = page
    if parts.path:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
        if target.startswith("../") or target == "..":
            return "points outside the site"
        if parts.path.endswith("/") or target == ".":
            target = posixpath.join(target, "index.html").removeprefix("./")
    if target not in files:
        return f"no file {target} in the site"
    fragment = unquote(parts.fragment)
    if fragment and target in html_text:
        if target not in ids:
            ids[target] = _ids(html_text[target])
        if fragment not in ids[target]:
            return f"no element with id '{fragment}' in {target}"
    return None
