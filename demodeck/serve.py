"""`demodeck serve`: build in memory, serve it, rebuild on save, tell open pages over SSE.

A thin shell over the pipeline. Each rebuild calls ``load_config`` and the build's
stages (:func:`demodeck.build.make_site`) afresh (a content-hashed cache kept in memory
skips decks whose files did not change) and swaps the resulting pages into a dict under a
lock: that dict is the preview's own folder, so ``site/`` is never touched and
``demodeck build`` output never carries the live-reload script, which is added
to HTML responses here, before ``</body>``. The script is a file of the theme,
``static/preview.js`` (a project's own ``templates/static/preview.js`` wins).

A broken save keeps the last good pages and pushes the same ``file:line:col``
lines the CLI prints to the open pages (an overlay, set with ``textContent``). The
warnings `demodeck check` gives (:mod:`demodeck.warnings`) go the same way, in a panel of
their own the writer can hide; with ``--strict`` they are errors.
The page script asks for its events on a URL relative to itself, so the
preview keeps working behind ``--host 0.0.0.0``, a proxy or a tunnel.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import html
import ipaddress
import json
import mimetypes
import queue
import secrets
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import unquote

from demodeck import theme
from demodeck.build import make_site
from demodeck.config import load_config
from demodeck.errors import BuildError, DemodeckError, UsageError, os_error_message
from demodeck.incremental.cache import BuildCache
from demodeck.incremental.seam import for_preview
from demodeck.model import SiteConfig
from demodeck.watch import Batch, Debouncer, Layout, Watcher

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
INTERNAL = "__demodeck__/"  # never a deck slug (those are dates) nor a theme asset
EVENTS = INTERNAL + "events"
SCRIPT = INTERNAL + "live.js"
KEEPALIVE_SECONDS = 15.0  # an SSE comment this often notices closed tabs
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
HTML_TYPE = "text/html; charset=utf-8"
MAX_CHANGED = 200  # above this the reload event says "everything" (null)


# --- building -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One good build, in memory."""

    site: SiteConfig
    pages: Mapping[str, bytes]  # site-relative POSIX path → bytes
    decks: frozenset[str]  # deck slugs (their folder names in the site)
    images: frozenset[Path]  # every image the decks show, for the watcher
    warnings: tuple[str, ...] = ()  # what `demodeck check` warns about, as it prints them


Builder = Callable[[Path], Snapshot]


def build_snapshot(root: Path, *, cache: BuildCache | None = None,
                   strict: bool = False) -> Snapshot:
    """The one rebuild the preview does, from fresh settings; raises BuildError (also
    for a warning, when ``strict``).

    With a ``cache`` (content-hashed) an edit to one deck re-reads every deck
    file but validates and renders only that deck, plus the archive pages
    (index, people, metrics, feed) that show every deck.
    """
    site = load_config(root)
    speed = for_preview(cache)
    decks, rendered = make_site(site, speed, speed.discover(site), strict=strict)
    files = speed.in_memory(rendered)
    warned = rendered.warnings
    return Snapshot(site=site, pages=files,
                    decks=frozenset(d.slug for d in decks),
                    images=frozenset(a.source for d in decks for a in d.assets),
                    warnings=tuple(map(str, warned)))


def cached_builder(root: Path, *, strict: bool = False) -> Builder:
    """A builder with its own cache, one per preview.

    It starts from the cache the last ``demodeck build`` left (if any, and only
    if it passes its signature check), so opening a big archive is quick; the
    preview never writes it back: it writes nothing into the project.
    """
    return functools.partial(build_snapshot, cache=BuildCache.for_project(root), strict=strict)


# --- state shared by the rebuild thread and the request threads ----------------------------


@dataclass(frozen=True, slots=True)
class State:
    """What the server answers with; replaced whole, never mutated."""

    build: str = ""  # id of the last good build; "" before the first
    pages: Mapping[str, bytes] = field(default_factory=dict)
    removed: frozenset[str] = frozenset()  # deck slugs served earlier in this session
    problems: tuple[str, ...] = ()  # the last build's problems; () when it was good
    warnings: tuple[str, ...] = ()  # the last good build's warnings


class Store:
    """The preview's own folder: pages in memory, swapped atomically under a lock."""

    def __init__(self, *, session: str | None = None) -> None:
        self._session = session or secrets.token_hex(4)
        self._count = 0
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._state = State()

    def current(self) -> State:
        with self._lock:
            return self._state

    def good(self, snap: Snapshot) -> tuple[State, list[str] | None]:
        """Serve ``snap``; returns the new state and the HTML pages that changed (None: many)."""
        with self._lock:
            old = self._state
            self._count += 1
            self._seen |= snap.decks
            self._state = State(build=f"{self._session}-{self._count}", pages=snap.pages,
                                removed=frozenset(self._seen - snap.decks),
                                warnings=snap.warnings)
            return self._state, changed_pages(old.pages, snap.pages)

    def bad(self, problems: Iterable[str]) -> State:
        with self._lock:
            self._state = State(build=self._state.build, pages=self._state.pages,
                                removed=self._state.removed, problems=tuple(problems),
                                warnings=self._state.warnings)
            return self._state


def changed_pages(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> list[str] | None:
    names = sorted(k for k in old.keys() | new.keys()
                   if k.endswith(".html") and old.get(k) != new.get(k))
    return names if len(names) <= MAX_CHANGED else None


class Hub:
    """Server-sent events to every open page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inboxes: set[queue.SimpleQueue[bytes | None]] = set()
        self._closed = False

    @contextmanager
    def subscribe(self) -> Iterator[queue.SimpleQueue[bytes | None]]:
        inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        with self._lock:
            if self._closed:
                inbox.put(None)
            self._inboxes.add(inbox)
        try:
            yield inbox
        finally:
            with self._lock:
                self._inboxes.discard(inbox)

    def publish(self, event: str, data: object) -> None:
        message = sse(event, data)
        with self._lock:
            for inbox in self._inboxes:
                inbox.put(message)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for inbox in self._inboxes:
                inbox.put(None)

    @property
    def listeners(self) -> int:
        with self._lock:
            return len(self._inboxes)


def sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


# --- requests -----------------------------------------------------------------------------


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
    # once (found by tests/test_serve_load.py: 200 at once took up to a minute to answer)
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


# --- the preview --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Console:
    """Where the preview talks to the writer; tests pass a recording one."""

    info: Callable[[str], None]
    error: Callable[[str], None]

    @classmethod
    def standard(cls) -> Console:
        return cls(info=lambda m: print(m, flush=True),
                   error=lambda m: print(m, file=sys.stderr, flush=True))


class Preview:
    """Builds, watches and serves one project until stopped. Use as a context manager."""

    def __init__(self, root: Path, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 console: Console | None = None, builder: Builder | None = None,
                 quiet: float = 0.05, max_delay: float = 0.3, strict: bool = False) -> None:
        self.root = root.resolve()
        self.host, self.port = host, port
        self.console = console or Console.standard()
        self.store, self.hub = Store(), Hub()
        self._builder = builder or cached_builder(self.root, strict=strict)
        self._build_lock = threading.Lock()
        self._debouncer = Debouncer(self.rebuild, quiet=quiet, max_delay=max_delay)
        self._watcher = Watcher(_initial_layout(self.root), self._debouncer.push)
        self._server: PreviewServer | None = None
        self._thread: threading.Thread | None = None
        self._last_failure: tuple[str, ...] = ()
        self._last_warnings: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the preview is not started")
        return url_for(self.host, self._server.server_address[1])

    def start(self) -> None:
        self._server = bind(self.host, self.port, store=self.store, hub=self.hub,
                            hosts=HostPolicy.for_bind(self.host),
                            script=functools.partial(theme.preview_script, self.root),
                            report=self.console.error)
        try:
            self._watcher.start()  # before the first build: no save falls in between
            self._debouncer.start()
            self.rebuild(None)
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.1},
                                            name="demodeck-http", daemon=True)
            self._thread.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop watching, end every event stream, free the port. Safe to call twice."""
        self._watcher.stop()
        self._debouncer.stop()
        self.hub.close()
        server, self._server = self._server, None
        if server is not None:
            if self._thread is not None:
                server.shutdown()
            server.server_close()

    def __enter__(self) -> Preview:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def rebuild(self, batch: Batch | None) -> None:
        """Build from scratch and serve the result, or keep the last good pages and say why."""
        with self._build_lock:
            started = time.perf_counter()
            self._watch_config()  # a new decks/ or templates/ is watched before it is read
            try:
                snap = self._builder(self.root)
            except BuildError as exc:
                self._failed([str(p) for p in exc.problems])
                return
            except DemodeckError as exc:
                self._failed([str(exc)])
                return
            except Exception as exc:  # a bug, or a file vanishing mid-build: keep serving
                known = os_error_message(exc, self.root) if isinstance(exc, OSError) else None
                self._failed([known or f"internal error: {type(exc).__name__}: {exc}"])
                return
            self._watcher.update(Layout.of(snap.site, snap.images))
            state, changed = self.store.good(snap)
            self.hub.publish("reload", {"build": state.build, "changed": changed,
                                        "warnings": list(state.warnings)})
            self._last_failure = ()
            self._report_good(snap, batch, time.perf_counter() - started)

    def _watch_config(self) -> None:
        with contextlib.suppress(DemodeckError):  # the build reports a broken demodeck.yaml
            self._watcher.update(Layout.of(load_config(self.root), self._watcher.layout.images))

    def _failed(self, lines: list[str]) -> None:
        state = self.store.bad(lines)
        self.hub.publish("problems", {"build": state.build, "problems": lines})
        if tuple(lines) == self._last_failure:
            return  # the same message once, not on every save that keeps it
        self._last_failure = tuple(lines)
        for line in lines:
            self.console.error(line)
        n = len(lines)
        still = ("still serving the last good build" if state.build
                 else "fix it and save; the preview will follow")
        self.console.error(f"error: {n} problem{'s' if n != 1 else ''} found; {still}")

    def _report_good(self, snap: Snapshot, batch: Batch | None, seconds: float) -> None:
        """The build in one line (with how many warnings), and the warnings themselves
        when they are not those the terminal shows last."""
        if snap.warnings != self._last_warnings:
            self._last_warnings = snap.warnings
            for line in snap.warnings:
                self.console.error(line)
        n, w = len(snap.decks), len(snap.warnings)
        what = f"{n} deck{'s' if n != 1 else ''}"
        warned = f" ({w} warning{'s' if w != 1 else ''})" if w else ""
        if batch is None:
            self.console.info(f"Built {what} in {seconds:.2f} s{warned}")
        else:
            self.console.info(f"{time.strftime('%H:%M:%S')} rebuilt {what} in {seconds:.2f} s "
                              f"after a change to {batch.describe(self.root)}{warned}")


def _initial_layout(root: Path) -> Layout:
    try:
        return Layout.of(load_config(root))
    except DemodeckError:  # the first build reports it; watch the usual places meanwhile
        return Layout.of(SiteConfig(root=root))


def serve(root: Path, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          open_browser: bool = False, console: Console | None = None,
          opener: Callable[[str], object] = webbrowser.open, strict: bool = False) -> int:
    """The `demodeck serve` command: run until Ctrl-C, then free the port and return 0."""
    console = console or Console.standard()
    if host.strip("[]").lower() not in LOOPBACK_NAMES:
        console.error(f"warning: serving on {host}: anyone who can reach this computer can "
                      "read these decks; the default, 127.0.0.1, keeps the preview private")
    preview = Preview(root, host=host, port=port, console=console, strict=strict)
    preview.start()
    try:
        console.info(f"Serving the preview at {preview.url} (Ctrl-C to stop)")
        if open_browser:
            opener(preview.url)
        while True:
            time.sleep(3600)  # Ctrl-C lands here as KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    finally:
        preview.stop()
    console.info("Stopped.")
    return 0
