"""Every internal link and asset in the output must resolve before anything is written.

Runs on the pages in memory: for each HTML page, every relative ``href``/``src``
must name a page or file of the site, and a ``#fragment`` on it must name an
``id`` in that page. External links (with a scheme) are not fetched. Parsing a
page is the slow part, so its result (links and ids) is cached by the page's key
(what it was rendered from) or, lacking one, its bytes: a rebuild only parses
the pages that changed, and never reads the files it kept from the last build.
"""

from __future__ import annotations

import hashlib
import html
import posixpath
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

from demodeck.cache import BuildCache
from demodeck.errors import Problem
from demodeck.render import Output

_URL_ATTR = re.compile(rb"""\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ID_ATTR = re.compile(rb"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)')""")

Parsed = tuple[tuple[str, ...], frozenset[str]]  # (local URLs, ids)


def _is_external(url: str) -> bool:
    return bool(re.match(r"^([a-zA-Z][a-zA-Z0-9+.\-]*:|//)", url))


def parse(data: bytes) -> Parsed:
    """The local URLs a page links to and the ids it defines."""
    urls = []
    for a, b in _URL_ATTR.findall(data):
        url = html.unescape((a or b).decode("utf-8", "replace")).strip()
        if url and not _is_external(url):
            urls.append(url)
    ids = frozenset(html.unescape((a or b).decode("utf-8", "replace"))
                    for a, b in _ID_ATTR.findall(data))
    return tuple(urls), ids


def check_links(pages: Iterable[Output], *, cache: BuildCache | None = None,
                known: Mapping[str, Parsed] | None = None,
                output_name: str = "site") -> list[Problem]:
    """Broken local links and fragments of ``pages``. ``known``: pages already parsed
    (by the workers that rendered them), by path."""
    files = {p.path: p for p in pages}
    parsed: dict[str, Parsed] = {}
    for path, page in files.items():
        if path.endswith(".html"):
            parsed[path] = _parse_cached(page, cache, (known or {}).get(path))
    problems: list[Problem] = []
    memo: dict[tuple[str, str], str | None] = {}  # (target, fragment) -> why it is broken
    for path in sorted(parsed):
        folder = posixpath.dirname(path)
        for url in dict.fromkeys(parsed[path][0]):  # each distinct URL once per page
            reason = _check(folder, path, url, files, parsed, memo)
            if reason:
                problems.append(Problem(f"{output_name}/{path}", 0, 0,
                                        f"broken link '{url}': {reason}"))
    return problems


def _parse_cached(page: Output, cache: BuildCache | None, known: Parsed | None) -> Parsed:
    """The page's links and ids: ``known`` (parsed where it was rendered), the cache's, or
    parsed now; the cache keeps them for the next build."""
    if cache is None:
        return known or parse(page.data)
    key = (f"key:{page.key}" if page.key
           else hashlib.blake2b(page.data, digest_size=20).hexdigest())
    found: Parsed | None = known or cache.get_parsed(key)
    if found is None:
        found = parse(page.data)
    cache.put_parsed(key, found)
    return found


def _resolve(folder: str, path: str) -> str | None:
    """``path`` relative to ``folder``, as a site path; None if it leaves the site."""
    rest, ups = path, 0
    while rest.startswith("../"):
        rest, ups = rest[3:], ups + 1
    parts = folder.split("/") if folder else []
    if ups > len(parts):
        return None
    joined = "/".join([*parts[:len(parts) - ups], rest])
    if "./" in joined or joined.endswith((".", "/")) or "//" in joined:  # rare: do it fully
        joined = posixpath.normpath(posixpath.join(folder, path))
        if joined == ".." or joined.startswith("../"):
            return None
        if path.endswith("/") or joined == ".":
            joined = posixpath.join(joined, "index.html").removeprefix("./")
    return joined


def _check(folder: str, page: str, url: str, files: dict[str, Output],
           parsed: dict[str, Parsed], memo: dict[tuple[str, str], str | None]) -> str | None:
    if url.startswith("/"):
        return "root-relative links break when the site is served from a sub-path"
    path, _, fragment = url.partition("#")
    path = unquote(path.partition("?")[0])
    target = _resolve(folder, path) if path else page
    if target is None:
        return "points outside the site"
    key = (target, fragment)
    if key not in memo:
        memo[key] = _missing(target, unquote(fragment), files, parsed)
    return memo[key]


def _missing(target: str, fragment: str, files: dict[str, Output],
             parsed: dict[str, Parsed]) -> str | None:
    if target not in files:
        return f"no file {target} in the site"
    if fragment and target in parsed and fragment not in parsed[target][1]:
        return f"no element with id '{fragment}' in {target}"
    return None
