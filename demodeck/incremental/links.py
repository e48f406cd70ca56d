"""The link check of a rebuild: only the pages that changed, and those they may break.

Parsing a page is the slow part of :mod:`demodeck.linkcheck`, so its result (links and
ids) is kept in the build cache by the page's key (what it was rendered from) or,
lacking one, its bytes: a rebuild only parses the pages that changed, and never reads
the files it kept from the last build. Nor does it check the links of every page
again: only of those that changed and of those linking to a page that is gone or lost
an id (see broken_links).
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

from demodeck import linkcheck
from demodeck.errors import BuildError, Problem
from demodeck.incremental.cache import BuildCache
from demodeck.linkcheck import Parsed, pack, unpack
from demodeck.pages import Output, Reusable

# Cache entries, by a page's key: the pages it links to, and its links and ids. "targets2":
# the lists of "targets:" were saved by versions that let a fragment name any id of a page
# with no ids at all, so a site they passed may hold links that do not resolve.
_TARGETS = "targets2:"
_PARSED = "key:"


def broken_links(pages: Iterable[Output], cache: BuildCache, *,
                 known: Mapping[str, Parsed] | None = None,
                 place: linkcheck.Place = linkcheck.in_site) -> list[Problem]:
    """linkcheck.broken_links, but a page is not checked again when it passed in the site
    the cache last saw pass (``cache.checked``: the same path and key) and every file it
    links to (their paths are kept with the page's links) is still there and, if it is
    an HTML page, still has every id it had then (see _moved): its links resolve as they
    did. A page whose own key changed is checked in full. After a rebuild that changed
    one deck, only that deck's page and the archive pages showing the change are
    checked; the pages linking to the deck are checked too only if its page lost an id
    (a demo renamed, or removed)."""
    files = {p.path: p for p in pages}
    parsed: dict[str, Parsed] = {}
    for path, page in files.items():
        if path.endswith(".html"):
            parsed[path] = _parse_cached(page, cache, (known or {}).get(path))
    found: list[linkcheck.Broken] = []
    links = linkcheck.Links(files, parsed)
    for path in _to_check(files, parsed, cache):
        targets, broken = linkcheck.page_problems(links, path)
        found.extend(broken)
        if files[path].key:
            cache.put_parsed(_TARGETS + files[path].key, pack(sorted(targets)))
    if not found:
        cache.checked = {path: page.key for path, page in files.items()}
    return place(found) if found else []


def verify(pages: Iterable[Output], cache: BuildCache, *,
           known: Mapping[str, Parsed] | None = None,
           place: linkcheck.Place = linkcheck.in_site) -> None:
    """Stage 4 of a rebuild: raises BuildError on a broken local link or fragment, as
    ``place`` reports them."""
    broken = broken_links(pages, cache, known=known, place=place)
    if broken:
        raise BuildError(broken)


def _to_check(files: dict[str, Output], parsed: dict[str, Parsed],
              cache: BuildCache) -> list[str]:
    """The HTML pages whose links are checked, in order: all but those that still pass
    (see broken_links)."""
    if not cache.checked:
        return sorted(parsed)
    before = cache.checked
    moved = _moved(files, parsed, before, cache)
    todo: list[str] = []
    for path in sorted(parsed):
        key = files[path].key
        if key and before.get(path) == key:  # the page itself is as it was: its targets?
            targets = cache.get_parsed(_TARGETS + key)
            if targets is not None and moved.isdisjoint(unpack(targets)):
                cache.put_parsed(_TARGETS + key, targets)  # used: kept for the next build
                continue
        todo.append(path)
    return todo


def _moved(files: dict[str, Output], parsed: dict[str, Parsed], before: Mapping[str, str],
           cache: BuildCache) -> set[str]:
    """The paths a link of an unchanged page may not resolve to as it did in the site that
    last passed (``before``: path -> key). A link to a file needs the file to exist and, if
    it is an HTML page, a fragment on the link to name one of its ids (see linkcheck). So a
    path counts when it is gone or new, or is an HTML page whose key changed and that may
    have lost an id: its old ids (the cache's parse of its old key) are not known, or are
    not all among its ids now. A page that changed but kept its ids (a demo's text edited,
    the index showing one more deck) does not send the pages linking to it to be checked
    again, nor does a file that is not HTML (the feed changes with every deck) and is
    still there. Were fragments into other files (an SVG's ids) ever checked, those files
    would have to count here too."""
    moved = before.keys() ^ files.keys()  # gone, or new
    for path in parsed:  # the HTML pages
        old, key = before.get(path, ""), files[path].key
        if (old != key or not key) and not _kept_ids(path, old, key, parsed, cache):
            moved.add(path)
    return moved


def _kept_ids(path: str, old_key: str, key: str, parsed: dict[str, Parsed],
              cache: BuildCache) -> bool:
    """Whether the HTML page ``path``, now made from ``key``, has every id it had when it
    was made from ``old_key`` (from the cache's parse of that key; unknown: no)."""
    was = cache.get_parsed(_PARSED + old_key) if old_key and key else None
    if was is None:
        return False
    return was[1] == parsed[path][1] or set(unpack(was[1])) <= set(unpack(parsed[path][1]))


def _parse_cached(page: Output, cache: BuildCache, known: Parsed | None) -> Parsed:
    """The page's links and ids: ``known`` (parsed where it was rendered), the cache's, or
    parsed now; the cache keeps them for the next build."""
    key = (_PARSED + page.key if page.key
           else hashlib.blake2b(page.data, digest_size=20).hexdigest())
    found: Parsed | None = known or cache.get_parsed(key)
    if found is None:
        found = linkcheck.parse(page.data)
    cache.put_parsed(key, found)
    return found


def unread(reusable: Reusable, cache: BuildCache) -> Reusable:
    """The files of ``reusable`` (the last build's, see manifest.reusable) that the link
    check never reads: all but the HTML pages whose links and ids the cache lacks. For a
    run that holds no lock on the output folder (a check; the preview reads the pages it
    keeps under the lock, see manifest.last_pages): a build may swap it meanwhile, so
    such a page is rendered again rather than read from a folder that may no longer hold
    it, or hold another build's."""
    return {path: kept for path, kept in reusable.items()
            if not path.endswith(".html") or cache.get_parsed(_PARSED + kept[0]) is not None}


def page_targets(page: str, parsed: Parsed) -> str:
    """The files the links of ``page`` point at, as broken_links keeps them for the next
    build (see _to_check), from the page alone: worked out where the page is parsed (in
    a render worker), they are in the cache before the link check, which a parallel
    build then runs while another process saves the cache."""
    folder = posixpath.dirname(page)
    paths: set[str] = set()  # each file once: a person's page links to hundreds of demos
    for url in unpack(parsed[0]):
        if (url[0] == "#" and "%" not in url) or url.startswith("/"):
            continue  # an id of the page itself (see Links.of_page); no file (see linkcheck)
        paths.add(url.partition("#")[0].partition("?")[0])
    targets = {target for path in paths if (
        target := linkcheck.resolve(folder, unquote(path)) if path else page) is not None}
    return pack(sorted(targets))


def keep(cache: BuildCache, page: Output, parsed: Parsed, targets: str) -> None:
    """Put what broken_links keeps of a page into ``cache`` before it runs (see
    page_targets): the same entries, so it adds none."""
    if page.key:
        cache.put_parsed(_PARSED + page.key, parsed)
        cache.put_parsed(_TARGETS + page.key, targets)
