"""Self-contained pages: CSS, JS and images inlined, for a wiki page or an email.

Works on the rendered HTML of our own templates: stylesheet links become
``<style>``, script sources become inline ``<script>``, and image sources become
``data:`` URIs. Anything that would close the inlined element early
(``</style``, ``</script``) is escaped. Links to other pages of the site are left
out by the templates themselves when ``standalone`` is set.

Videos (a demo's recording) are inlined the same way, unless the caller names them in
``videos``: ``demodeck export`` writes a large one as a file beside the page instead, and
``demodeck pdf``, which prints the poster, leaves them out.

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
from dataclasses import dataclass
from html import escape as html_escape
from pathlib import Path
from typing import BinaryIO

from demodeck.errors import UsageError

_LINK = re.compile(r"<link\b[^>]*>", re.I)
_SCRIPT = re.compile(r"<script\b([^>]*)>\s*</script>", re.I)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_VIDEO = re.compile(r"<video\b[^>]*>", re.I)
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


_TYPES = {".webm": "video/webm", ".mp4": "video/mp4"}  # whatever the system's mime.types


def _mime(name: str) -> str:
    known = _TYPES.get(posixpath.splitext(name)[1].lower())
    return known or mimetypes.guess_type(name)[0] or "application/octet-stream"


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


def write_page(html: str, page_path: str, files: Mapping[str, bytes], out: BinaryIO, *,
               videos: Mapping[str, str] | None = None) -> int:
    """Write ``html`` (at ``page_path`` in the site) to ``out`` with every local asset
    inlined, images a chunk at a time; returns the bytes written. ``videos``: the site
    path of a video not to inline -> the URL the page gets instead ("" for none)."""
    here = posixpath.dirname(page_path)
    html = _inline_code(html, here, files)
    instead = videos or {}
    written, done = 0, 0
    for start, end, path, video in _local_media(html, here):
        written += out.write(html[done:start].encode())
        done = end
        if video and path in instead:
            written += out.write(html_escape(instead[path]).encode())
            continue
        data = files[path]
        written += out.write(f"data:{_mime(path)};base64,".encode())
        view = memoryview(data)
        for at in range(0, len(view), _CHUNK):
            written += out.write(base64.b64encode(view[at:at + _CHUNK]))
    return written + out.write(html[done:].encode())


def _local_path(here: str, url: str) -> str:
    return posixpath.normpath(posixpath.join(here, url.split("#")[0].split("?")[0]))


def _local_media(html: str, here: str) -> list[tuple[int, int, str, bool]]:
    """Where each local ``<img src>``, ``<video src>`` and ``<video poster>`` value is in
    ``html``, the site path it names, and whether it is a video's ``src``."""
    found = []
    for pattern, names in ((_IMG, ("src",)), (_VIDEO, ("src", "poster"))):
        for match in pattern.finditer(html):
            for attr in _ATTR.finditer(match.group(0)):
                name = attr.group(1).lower()
                if name in names and _is_local(attr.group(2)):
                    start = match.start() + attr.start(2)
                    found.append((start, start + len(attr.group(2)),
                                  _local_path(here, attr.group(2)),
                                  pattern is _VIDEO and name == "src"))
    return sorted(found)


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




@dataclass(frozen=True, slots=True)
class VideoPlacement:
    """Where ``export`` put each video: inlined, or written beside the page."""

    beside: dict[str, str]  # site path -> the page's URL of the file written beside it
    lines: list[str]  # what was done, one line per video, for the user


def place_videos(videos: Mapping[str, bytes], page: Path, limit_mb: int) -> VideoPlacement:
    """Inline each video up to ``limit_mb``; write each larger one into ``<page
    name>.files/`` beside ``page`` (made when missing), so the page plays it as long as the
    two stay together. Raises UsageError when that folder cannot be written."""
    folder = page.with_name(f"{page.stem}.files")
    beside: dict[str, str] = {}
    lines: list[str] = []
    for path, data in videos.items():
        name = posixpath.basename(path)
        size = _mb(len(data))
        if len(data) <= limit_mb << 20:
            lines.append(f"video {name} ({size}): inlined in the page "
                         f"(up to {limit_mb} MB, --inline-video-mb)")
            continue
        _write_beside(folder, name, data)
        beside[path] = f"{folder.name}/{name}"
        lines.append(f"video {name} ({size}): over {limit_mb} MB (--inline-video-mb), "
                     f"written to {folder / name}; keep it beside the page")
    return VideoPlacement(beside, lines)


def _mb(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{max(1, round(n / 1024))} KB"


def _write_beside(folder: Path, name: str, data: bytes) -> None:
    """``folder/name`` holds ``data`` (its name carries its content's hash: a file already
    there with that name and size is that video)."""
    target = folder / name
    try:
        folder.mkdir(exist_ok=True)
        if target.is_symlink() or not target.is_file() or target.stat().st_size != len(data):
            temp = folder / f".{name}.tmp"
            temp.write_bytes(data)
            temp.replace(target)
    except OSError as exc:
        raise UsageError(f"cannot write the video {target}: {exc.strerror or exc}") from exc
