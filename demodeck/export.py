"""Self-contained pages: CSS, JS and images inlined, for a wiki page or an email.

Works on the rendered HTML of our own templates: stylesheet links become
``<style>``, script sources become inline ``<script>``, and image sources become
``data:`` URIs. Anything that would close the inlined element early
(``</style``, ``</script``) is escaped. Links to other pages of the site are left
out by the templates themselves when ``standalone`` is set.

Images, the bulk of a page, are written rather than built into one string: the page
goes to a binary file piece by piece, each image base64-encoded a chunk at a time
straight into it, so memory holds each image once however large the page gets.
``demodeck export`` marks its file (:data:`MARKER`) so that it can tell a file it wrote,
which it may replace, from anyone else's (:func:`made_by_export`).
"""

from __future__ import annotations

import base64
import io
import mimetypes
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

_LINK = re.compile(r"<link\b[^>]*>", re.I)
_SCRIPT = re.compile(r"<script\b([^>]*)>\s*</script>", re.I)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ATTR = re.compile(r"""\s([a-zA-Z:-]+)\s*=\s*"([^"]*)\"""")
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_DOCTYPE = re.compile(r"\s*<!doctype\b[^>]*>\n?", re.I)
_CHUNK = 3 << 16  # bytes of an image encoded at a time (a multiple of 3: no padding inside)

# The first line after the doctype of every file `demodeck export` writes.
MARKER = "<!-- demodeck export: a self-contained deck; `demodeck export` may replace it -->"
_GENERATOR = b'<meta name="generator" content="demodeck'  # every page of the theme's
_HEAD = 8192  # bytes of a file read to find either


def _escape_close(text: str, tag: str) -> str:
    """Keep ``</script`` (or ``</style``) inside inlined code from closing the element."""
    return re.sub(rf"</({tag})", r"<\\/\1", text, flags=re.I)


def _attrs(tag: str) -> dict[str, str]:
    return {k.lower(): v for k, v in _ATTR.findall(tag)}


def _is_local(url: str) -> bool:
    return bool(url) and not re.match(r"^([a-z][a-z0-9+.\-]*:|//|#)", url, re.I)


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def data_uri(name: str, data: bytes) -> str:
    return f"data:{_mime(name)};base64,{base64.b64encode(data).decode('ascii')}"


def made_by_export(path: Path) -> bool:
    """Whether the regular file ``path`` is a page demodeck wrote: its first 8 KB carry
    :data:`MARKER` or the theme's generator tag (a page ``build`` wrote, or an export
    from before the marker)."""
    with path.open("rb") as f:
        head = f.read(_HEAD)
    return MARKER.encode() in head or _GENERATOR in head


def marked(html: str) -> str:
    """``html`` with :data:`MARKER` as its first line after the doctype."""
    match = _DOCTYPE.match(html)
    at = match.end() if match else 0
    return f"{html[:at]}{MARKER}\n{html[at:]}"


def inline_page(html: str, page_path: str, files: Mapping[str, bytes]) -> str:
    """``html`` (at ``page_path`` in the site) with every local asset inlined."""
    buffer = io.BytesIO()
    write_page(html, page_path, files, buffer)
    return buffer.getvalue().decode()


def write_page(html: str, page_path: str, files: Mapping[str, bytes], out: BinaryIO) -> int:
    """Write ``html`` (at ``page_path`` in the site) to ``out`` with every local asset
    inlined, images a chunk at a time; returns the bytes written."""
    here = posixpath.dirname(page_path)
    html = _inline_code(html, here, files)
    written, done = 0, 0
    for start, end, path in _local_images(html, here):
        data = files[path]
        written += out.write(html[done:start].encode())
        written += out.write(f"data:{_mime(path)};base64,".encode())
        view = memoryview(data)
        for at in range(0, len(view), _CHUNK):
            written += out.write(base64.b64encode(view[at:at + _CHUNK]))
        done = end
    return written + out.write(html[done:].encode())


def _local_path(here: str, url: str) -> str:
    return posixpath.normpath(posixpath.join(here, url.split("#")[0].split("?")[0]))


def _local_images(html: str, here: str) -> list[tuple[int, int, str]]:
    """Where each local ``<img src>`` value is in ``html``, and the site path it names."""
    found = []
    for match in _IMG.finditer(html):
        src = next((a for a in _ATTR.finditer(match.group(0)) if a.group(1).lower() == "src"),
                   None)
        if src is not None and _is_local(src.group(2)):
            start = match.start() + src.start(2)
            found.append((start, start + len(src.group(2)), _local_path(here, src.group(2))))
    return found


def _inline_code(html: str, here: str, files: Mapping[str, bytes]) -> str:
    """``html`` with its local stylesheets and scripts inline."""
    def load(url: str) -> tuple[str, bytes]:
        path = _local_path(here, url)
        return path, files[path]

    def stylesheet(match: re.Match[str]) -> str:
        attrs = _attrs(match.group(0))
        href = attrs.get("href", "")
        if "stylesheet" not in attrs.get("rel", "").split() or not _is_local(href):
            return match.group(0)
        path, data = load(href)
        css = _inline_css_urls(data.decode("utf-8"), path, files)
        media = f' media="{attrs["media"]}"' if "media" in attrs else ""
        return f"<style{media}>{_escape_close(css, 'style')}</style>"

    def script(match: re.Match[str]) -> str:
        src = _attrs(match.group(0)).get("src", "")
        if not _is_local(src):
            return match.group(0)
        js = load(src)[1].decode("utf-8")
        return f"<script>{_escape_close(js, 'script')}</script>"

    for pattern, fn in ((_LINK, stylesheet), (_SCRIPT, script)):
        html = pattern.sub(fn, html)
    return html


def _inline_css_urls(css: str, css_path: str, files: Mapping[str, bytes]) -> str:
    here = posixpath.dirname(css_path)

    def repl(match: re.Match[str]) -> str:
        url = match.group(2)
        if not _is_local(url):
            return match.group(0)
        path = posixpath.normpath(posixpath.join(here, url))
        return f'url("{data_uri(path, files[path])}")' if path in files else match.group(0)

    return _CSS_URL.sub(repl, css)


