"""`demodeck serve`: build in memory, serve it, rebuild on save, tell open pages over SSE.

A thin shell over the pipeline. Each rebuild calls ``load_config`` and the build's
stages (:func:`demodeck.build.make_site`) afresh (a content-hashed cache kept in memory
skips decks whose files did not change) and swaps the resulting pages into a dict under a
lock: that dict is the preview's own folder, so ``site/`` is never touched and
``demodeck build`` output never carries the live-reload script, which is added
to HTML responses as they are sent, before ``</body>``. The script is a file of the theme,
``static/preview.js`` (a project's own ``templates/static/preview.js`` wins).

A broken save keeps the last good pages and pushes the same ``file:line:col``
lines the CLI prints to the open pages (an overlay, set with ``textContent``). The
warnings `demodeck check` gives (:mod:`demodeck.warnings`) go the same way, in a panel of
their own the writer can hide; with ``--strict`` they are errors.
The page script asks for its events on a URL relative to itself, so the
preview keeps working behind ``--host 0.0.0.0``, a proxy or a tunnel.

This module is the shell that ties them together (:class:`Preview`: watch → debounce →
rebuild → tell); the parts live beside it: one rebuild in :mod:`demodeck.preview_build`,
the pages served and the events in :mod:`demodeck.preview_store`, the requests in
:mod:`demodeck.preview_http`, the file watching in :mod:`demodeck.watch`.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from demodeck import theme
from demodeck.config import load_config
from demodeck.errors import BuildError, DemodeckError, os_error_message
from demodeck.model import SiteConfig
from demodeck.preview_build import Builder, Snapshot, cached_builder
from demodeck.preview_http import LOOPBACK_NAMES, HostPolicy, PreviewServer, bind, url_for
from demodeck.preview_store import Hub, Store
from demodeck.watch import Batch, Debouncer, Layout, Watcher

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


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
            warned = self.store.current().warnings
            state, changed = self.store.good(snap)
            news: dict[str, object] = {"build": state.build, "changed": changed}
            if state.warnings != warned:  # open pages have the others (hello, last reload)
                news["warnings"] = list(state.warnings)
            self.hub.publish("reload", news)
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
