"""The preview's HTTP side: a request → a page from the :class:`~demodeck.preview_store.Store`.

Answers GET and HEAD from the pages in memory, adds the live-reload script tag to every
HTML page (never to ``demodeck build`` output), streams server-sent events from the
:class:`~demodeck.preview_store.Hub`, and refuses what must not be answered: a request
target that tries to leave the site (:func:`site_key`) and a ``Host`` that is not this
computer (:class:`HostPolicy`, against DNS rebinding). :func:`bind` turns every way
listening can fail into a :class:`UsageError` that says why. Standard library only.
"""

from __future__ import annotations

import errno
import html
import ipaddress
import mimetypes
import queue
import socket
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, cast
from urllib.parse import unquote

from demodeck.errors import UsageError
from demodeck.preview_store import Hub, State, Store, sse

INTERNAL = "__demodeck__/"  # never a deck slug (those are dates) nor a theme asset
EVENTS = INTERNAL + "events"
SCRIPT = INTERNAL + "live.js"
KEEPALIVE_SECONDS = 15.0  # an SSE comment this often notices closed tabs
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
HTML_TYPE = "text/html; charset=utf-8"


def site_key(target: str) -> str | None:
    """The page a request target names, or None for anything that tries to leave the site.

    Refuses absolute-form targets (``http://x/...``), ``//``-paths, encoded
    slashes and backslashes, NUL, bad UTF-8 and every ``.``/``..`` segment,
    whether written plainly or percent-encoded.
    """
    path = target.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or path.startswith("//"):
        return None
    if any(bad in path.lower() for bad in ("%2f", "%5c", "%00", "\\")):
        return None
    try:
        text = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    parts = text[1:].split("/")
    if "\x00" in text or any(p in (".", "..") for p in parts) or "" in parts[:-1]:
        return None
    key = "/".join(parts)
    return key + "index.html" if key == "" or key.endswith("/") else key


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """DNS-rebinding guard: answer only to names that can only mean this computer."""

    names: frozenset[str]
    any_ip: bool = False  # bound to every interface: any IP literal is fine, names are not

    @classmethod
    def for_bind(cls, host: str) -> HostPolicy:
        bound = host.strip("[]").lower()
        names = set(LOOPBACK_NAMES | {bound})
        wildcard = bound in WILDCARD_HOSTS
        if wildcard:
            names.add(socket.gethostname().lower())
        return cls(frozenset(names - {""}), any_ip=wildcard)

    def allows(self, header: str | None) -> bool:
        name = host_name(header)
        if name is None:
            return False
        if name in self.names:
            return True
        if self.any_ip:
            try:
                ipaddress.ip_address(name)
            except ValueError:
                return False
            return True
        return False


def host_name(header: str | None) -> str | None:
    """``localhost:8000`` → ``localhost``; ``[::1]:8000`` → ``::1``; None if malformed."""
    if not header:
        return None
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        name, rest = value[1:end], value[end + 1:]
        if end < 0 or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        return name
    name, _, port = value.partition(":")
    if ":" in port or (port and not port.isdigit()) or not name:
        return None
    return name


def relative_prefix(target: str) -> str:
    """``/2026-11-23/`` → ``../``: the way from a page back to the site root."""
    path = target.split("?", 1)[0]
    return "../" * max(path.count("/") - 1, 0)


def inject(page: bytes, tag: bytes) -> bytes:
    """Put ``tag`` before the last ``</body>`` (or at the end of a page without one)."""
    at = page.lower().rfind(b"</body")
    return page + tag if at < 0 else page[:at] + tag + page[at:]


def live_tag(prefix: str, build: str) -> bytes:
    return (f'<script src="{html.escape(prefix + SCRIPT)}" '
            f'data-demodeck-build="{html.escape(build)}"></script>\n').encode()


def message_page(title: str, lines: Iterable[str], prefix: str, *, pre: bool = False) -> bytes:
    """The small pages the preview makes itself: 404, deck removed, no good build yet."""
    body = "".join(f"<pre>{html.escape(t)}</pre>" if pre else f"<p>{html.escape(t)}</p>"
                   for t in lines)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{html.escape(title)} · demodeck preview</title>
<style>body{{font:17px/1.5 system-ui,sans-serif;max-width:44rem;margin:12vh auto;padding:0 1.5rem}}
pre{{white-space:pre-wrap;font-size:14px}}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
{body}
<p><a href="{html.escape(prefix or './')}">All decks</a></p>
</body>
</html>
""".encode()


def content_type(key: str) -> str:
    kind = mimetypes.guess_type(key)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/javascript", "image/svg+xml",
                                            "application/json", "application/xml"):
        kind += "; charset=utf-8"
    return kind


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True  # open event streams must not keep the process alive
    # socketserver's default backlog of 5 drops SYNs when many tabs and streams connect at
    # once (found by tests/test_serve_load.py)
    request_queue_size = socket.SOMAXCONN

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily, *,
                 store: Store, hub: Hub, hosts: HostPolicy, script: Callable[[], bytes],
                 report: Callable[[str], None]) -> None:
        self.address_family = family
        self.store, self.hub, self.hosts, self.report = store, hub, hosts, report
        self.script = script  # the live-reload script, read when a page asks for it
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        TCPServer.server_bind(self)  # HTTPServer's would do a reverse DNS lookup
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):  # closed tabs are normal
            self.report(f"internal error while answering a request: {type(exc).__name__}: {exc}")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the page's refetches reuse the connection
    server_version = "demodeck"
    timeout = 60  # an idle keep-alive connection frees its thread after this
    # headers and body leave as separate writes: with Nagle's algorithm on, the body
    # waits for the browser's delayed ACK of the headers before it is sent
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would bury the build messages

    @property
    def app(self) -> PreviewServer:
        return cast(PreviewServer, self.server)

    def _answer(self, *, body: bool) -> None:
        if not self.app.hosts.allows(self.headers.get("Host")):
            self._send(403, message_page("Forbidden", [
                "This preview answers only to localhost (or the --host it was started with)."],
                ""), body=body)
            return
        key = site_key(self.path)
        if key == EVENTS:
            self._events(body=body)
        elif key == SCRIPT:
            self._send(200, self.app.script(), body=body, ctype="text/javascript; charset=utf-8")
        else:
            self._page(key, body=body)

    def _page(self, key: str | None, *, body: bool) -> None:
        state = self.app.store.current()
        prefix = relative_prefix(self.path)
        data = state.pages.get(key) if key is not None else None
        if key is not None and data is not None:
            self._send(200, data, body=body, ctype=content_type(key), prefix=prefix, state=state,
                       cache="max-age=3600" if key.startswith("assets/") else "no-store")
        elif key is not None and key + "/index.html" in state.pages:
            location = key.rsplit("/", 1)[-1] + "/" + self._query()
            self._send(301, b"", body=body, headers={"Location": location})
        elif key is not None and key.split("/", 1)[0] in state.removed:
            self._send(410, message_page("This deck was removed", [
                f"The deck file for {key.split('/', 1)[0]} is gone from the decks folder. "
                "If that was a mistake, restore it and this page comes back."], prefix),
                body=body, prefix=prefix, state=state)
        elif not state.build and state.problems:
            self._send(503, message_page("The site has problems", state.problems, prefix,
                                         pre=True), body=body, prefix=prefix, state=state)
        else:
            self._send(404, message_page("Not found", [
                "There is no page at this address in the preview."], prefix),
                body=body, prefix=prefix, state=state)

    def _query(self) -> str:
        _, mark, query = self.path.partition("?")
        return mark + query.split("#", 1)[0]

    def _send(self, status: int, data: bytes, *, body: bool, ctype: str = HTML_TYPE,
              prefix: str | None = None, state: State | None = None, cache: str = "no-store",
              headers: Mapping[str, str] | None = None) -> None:
        if state is not None and prefix is not None and ctype.startswith("text/html"):
            data = inject(data, live_tag(prefix, state.build))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _events(self, *, body: bool) -> None:
        self.close_connection = True  # the stream ends only when the tab or the server goes
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Accel-Buffering", "no")  # a proxy in front must not buffer it
        self.end_headers()
        if not body:
            return
        with self.app.hub.subscribe() as inbox:  # subscribe first: no event falls in between
            state = self.app.store.current()
            first = b"retry: 1000\n" + sse("hello", {"build": state.build,
                                                     "problems": list(state.problems),
                                                     "warnings": list(state.warnings)})
            message: bytes | None = first
            while message is not None:
                self.wfile.write(message)
                self.wfile.flush()
                try:
                    message = inbox.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    message = b": keep-alive\n\n"


def bind(host: str, port: int, **kwargs: Any) -> PreviewServer:
    """Listen on ``host:port``; every way that can fail becomes a UsageError that says why."""
    if not 0 <= port <= 65535:
        raise UsageError(f"{port} is not a port number (0 to 65535; 0 picks a free one)")
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"cannot serve on '{host}': {exc.strerror}") from exc
    family, _, _, _, address = infos[0]
    try:
        return PreviewServer((str(address[0]), port), family, **kwargs)
    except OSError as exc:
        raise UsageError(_bind_message(host, port, exc)) from exc


def _bind_message(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use (another `demodeck serve`?); "
                "stop it, choose another with --port, or use --port 0 for a free one")
    if exc.errno == errno.EACCES:
        return (f"not allowed to listen on port {port}; ports below 1024 need "
                "administrator rights, choose one like 8000")
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"'{host}' is not an address of this computer; check --host"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def url_for(host: str, port: int) -> str:
    shown = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"
