"""Self-contained pages: CSS, JS and images inlined, for a wiki page or an email.

Works on the rendered HTML of our own templates: stylesheet links become
``<style>``, script sources become inline ``<script>``, and image sources become
``data:`` URIs. Anything that would close the inlined element early
(``</style``, ``</script``) is escaped. Links to other pages of the site are left
out by the templates themselves when ``standalone`` is set.
"""

from __future__ import annotations

import base64
import mimetypes
import posixpath
import re
from collections.abc import Mapping

_LINK = re.compile(r"<link\b[^>]*>", re.I)
_SCRIPT = re.compile(r"<script\b([^>]*)>\s*</script>", re.I)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ATTR = re.compile(r"""\s([a-zA-Z:-]+)\s*=\s*"([^"]*)\"""")
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


def _escape_close(text: str, tag: str) -> str:
    """Keep ``</script`` (or ``</style``) inside inlined code from closing the element."""
    return re.sub(rf"</({tag})", r"<\\/\1", text, flags=re.I)


def _attrs(tag: str) -> dict[str, str]:
    return {k.lower(): v for k, v in _ATTR.findall(tag)}


def _is_local(url: str) -> bool:
    return bool(url) and not re.match(r"^([a-z][a-z0-9+.\-]*:|//|#)", url, re.I)


def data_uri(name: str, data: bytes) -> str:
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def inline_page(html: str, page_path: str, files: Mapping[str, bytes]) -> str:
    """``html`` (at ``page_path`` in the site) with every local asset inlined."""
    here = posixpath.dirname(page_path)

    def load(url: str) -> tuple[str, bytes]:
        path = posixpath.normpath(posixpath.join(here, url.split("#")[0].split("?")[0]))
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

    def image(match: re.Match[str]) -> str:
        tag = match.group(0)
        src = _attrs(tag).get("src", "")
        if not _is_local(src):
            return tag
        path, data = load(src)
        return tag.replace(f'src="{src}"', f'src="{data_uri(path, data)}"', 1)

    for pattern, fn in ((_LINK, stylesheet), (_SCRIPT, script), (_IMG, image)):
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


