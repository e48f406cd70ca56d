"""`demodeck serve`: a real server on a free port over a real project, no mocks.

Edits are atomic saves (write a temp file, ``os.replace`` it over the deck), the
way editors save; the test then waits, with a bound, for the server-sent event
a page would get and checks what the server answers.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from demodeck import outdir
from demodeck.build import build
from demodeck.config import load_config
from demodeck.errors import BuildError, UsageError
from demodeck.incremental import manifest
from demodeck.incremental.cache import BuildCache
from demodeck.pipeline import validate_all
from demodeck.preview_build import cached_builder
from demodeck.preview_http import SCRIPT, HostPolicy, host_name, inject, relative_prefix, site_key
from demodeck.serve import Console, Preview
from demodeck.theme import builtin_dir
from tests.conftest import (
    EXAMPLE_DECK,
    add_why_line,
    another_build_s_site,
    copy_examples,
    site_gone,
)

DECK = """\
title: Preview test deck
hosts: [Grace Hopper]
sprint_goals: ["Ship the preview"]
demos:
  - title: Live reload
    people: [Ada Lovelace]
    features: ["Saves show up at once"]
    why: Writers keep their place.
    could_be_better: We measured late.
  - title: Error overlay
    people: [Grace Hopper]
    features: ["Broken YAML shows a message"]
    why: Nobody reads the terminal.
    could_be_better: Colours.
"""
OTHER_DECK = DECK.replace("Preview test deck", "The week before")
BROKEN = DECK.replace("    why: Writers keep their place.\n",
                      "    why: Writers keep their place.\n    \"<b>bold</b>\": 1\n")
DECK_PAGE = "2026-11-23/index.html"
WAIT = 4.0  # seconds; every wait below is bounded by this


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


class Events:
    """A server-sent-events client on its own thread, as a page's EventSource would be."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT * 2)
        self.conn.request("GET", "/__demodeck__/events")
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type", "").startswith("text/event-stream")
        self.inbox: queue.SimpleQueue[tuple[str, dict[str, Any]]] = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        name, data = "message", ""
        with contextlib.suppress(OSError, ValueError):
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data += line[6:]
                elif not line and data:
                    self.inbox.put((name, json.loads(data)))
                    name, data = "message", ""

    def next(self, name: str, where: Callable[[dict[str, Any]], bool] = lambda _: True
             ) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, data = self.inbox.get(timeout=left)
            except queue.Empty:
                break
            if got == name and where(data):
                return data
        raise AssertionError(f"no '{name}' event within {WAIT} s")

    def close(self) -> None:
        self.conn.close()


@dataclass
class Live:
    root: Path
    preview: Preview
    said: list[str] = field(default_factory=list)
    complained: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.preview.url.rsplit(":", 1)[1].strip("/"))

    def get(self, target: str, *, host: str | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        try:
            conn.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
            if host != "":
                conn.putheader("Host", host or f"127.0.0.1:{self.port}")
            conn.endheaders()
            res = conn.getresponse()
            return Response(res.status, {k.lower(): v for k, v in res.getheaders()},
                            res.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def save(self, rel: str, text: str) -> None:
        """An editor's atomic save: a temp file beside the target, renamed over it."""
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.tmp")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, target)

    @contextlib.contextmanager
    def events(self) -> Iterator[Events]:
        stream = Events(self.port)
        try:
            stream.next("hello")
            yield stream
        finally:
            stream.close()

    def hello(self) -> dict[str, Any]:
        """What a page that connects now is told first (the problems and warnings)."""
        stream = Events(self.port)
        try:
            return stream.next("hello")
        finally:
            stream.close()


def start_live(root: Path) -> Live:
    said: list[str] = []
    complained: list[str] = []
    preview = Preview(root, port=0, console=Console(said.append, complained.append))
    preview.start()
    return Live(root, preview, said, complained)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    root = tmp_path / "proj"
    (root / "decks").mkdir(parents=True)
    (root / "decks/2026-11-23.yaml").write_text(DECK, encoding="utf-8")
    server = start_live(root)
    try:
        yield server
    finally:
        server.preview.stop()


def cli_lines(root: Path) -> list[str]:
    """What `demodeck check` prints for the project, one line per problem."""
    with pytest.raises(BuildError) as caught:
        validate_all(load_config(root))
    return [str(p) for p in caught.value.problems]


# --- serving ------------------------------------------------------------------------------


def test_pages_are_served_from_memory_with_the_script_injected(live: Live) -> None:
    res = live.get("/")
    assert res.status == 200
    assert res.headers["content-type"] == "text/html; charset=utf-8"
    assert "2026-11-23" in res.body
    tag = f'<script src="{SCRIPT}"'
    assert tag in res.body
    assert res.body.index(tag) < res.body.rindex("</body>")
    deck = live.get("/2026-11-23/")
    assert deck.status == 200
    assert f'<script src="../{SCRIPT}"' in deck.body  # relative: no host, no port
    assert "Writers keep their place." in deck.body
    assert not (live.root / "site").exists()  # the preview never writes the site
    assert not (live.root / ".demodeck-cache").exists()  # nor anything else
    script = live.get("/" + SCRIPT)
    assert script.status == 200 and "EventSource" in script.body
    assert "localhost" not in script.body and str(live.port) not in script.body


def test_build_output_has_no_live_reload_script(live: Live, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(load_config(live.root), out=out)
    for page in out.rglob("*"):
        if page.is_file():
            assert b"__demodeck__" not in page.read_bytes(), page


def test_the_preview_script_is_a_theme_file_a_project_can_replace(live: Live,
                                                                     tmp_path: Path) -> None:
    ours = (builtin_dir() / "static/preview.js").read_text(encoding="utf-8")
    assert live.get("/" + SCRIPT).body == ours
    live.save("templates/static/preview.js", "// the team's own preview\n")
    res = live.get("/" + SCRIPT)
    assert res.status == 200 and res.body == "// the team's own preview\n"
    assert res.headers["content-type"] == "text/javascript; charset=utf-8"
    out = tmp_path / "out"
    build(load_config(live.root), out=out)
    assert not list(out.rglob("preview*")), "the preview's script is never built"


def test_a_preview_script_linked_from_outside_the_project_is_not_served(live: Live,
                                                                         tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.js"
    outside.write_text("// not the project's\n", encoding="utf-8")
    (live.root / "templates/static").mkdir(parents=True)
    (live.root / "templates/static/preview.js").symlink_to(outside)
    res = live.get("/" + SCRIPT)
    assert res.status == 200 and "EventSource" in res.body  # ours, and the page still works
    assert "not the project's" not in res.body


def test_a_folder_without_its_slash_redirects_relatively(live: Live) -> None:
    res = live.get("/2026-11-23?x=1")
    assert res.status == 301
    assert res.headers["location"] == "2026-11-23/?x=1"


def test_unknown_paths_get_a_small_404_page(live: Live) -> None:
    res = live.get("/no/such/page.html")
    assert res.status == 404
    assert "<h1>Not found</h1>" in res.body
    assert f'src="../../{SCRIPT}"' in res.body


@pytest.mark.parametrize("target", [
    "/../etc/passwd",
    "/2026-11-23/../../etc/passwd",
    "/%2e%2e/etc/passwd",
    "/%2E%2E/%2e%2e/etc/passwd",
    "/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/..%2fetc%2fpasswd",
    "/..%5cetc%5cpasswd",
    "/assets/..\\..\\etc\\passwd",
    "//etc/passwd",
    "/./index.html",
    "/%00",
    "/%ff%fe",
    "http://evil.example/etc/passwd",
    "/etc/passwd",
    "/" + "x" * 300,
])
def test_path_traversal_is_404(live: Live, target: str) -> None:
    res = live.get(target)
    assert res.status == 404
    assert "root:" not in res.body


@pytest.mark.parametrize(("host", "status"), [
    ("localhost:{port}", 200),
    ("127.0.0.1:{port}", 200),
    ("[::1]:{port}", 200),
    ("LOCALHOST", 200),
    ("evil.example", 403),
    ("evil.example:{port}", 403),
    ("localhost.evil.example:{port}", 403),
    ("127.0.0.1.nip.io:{port}", 403),
    ("localhost:80:80", 403),
    ("", 403),  # no Host header at all
])
def test_host_header_guards_against_dns_rebinding(live: Live, host: str, status: int) -> None:
    res = live.get("/", host=host.format(port=live.port))
    assert res.status == status
    if status == 403:
        assert "2026-11-23" not in res.body


def test_event_stream_is_host_guarded_too(live: Live) -> None:
    assert live.get("/__demodeck__/events", host="evil.example").status == 403


def test_pages_leave_at_once_without_waiting_for_the_browsers_ack(
        live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """The headers and the page are two writes; with Nagle's algorithm on the socket,
    the page would wait for the browser's delayed ACK of the headers after every save."""
    from demodeck.preview_http import Handler

    nodelay: list[int] = []
    real = Handler.setup

    def setup(self: Handler) -> None:
        real(self)
        nodelay.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(Handler, "setup", setup)
    assert live.get("/2026-11-23/").status == 200
    assert nodelay and all(nodelay)


# --- rebuilding ---------------------------------------------------------------------------


def test_atomic_save_sends_reload_and_serves_new_html(live: Live) -> None:
    with live.events() as events:
        live.save("decks/2026-11-23.yaml", DECK.replace("keep their place", "never get lost"))
        event = events.next("reload")
        assert DECK_PAGE in event["changed"]
    res = live.get("/2026-11-23/")
    assert "never get lost" in res.body
    assert f'data-demodeck-build="{event["build"]}"' in res.body
    assert any("rebuilt 1 deck" in line and "decks/2026-11-23.yaml" in line
               for line in live.said)


def test_broken_save_keeps_last_good_pages_and_reports_like_the_cli(live: Live) -> None:
    with live.events() as events:
        live.save("decks/2026-11-23.yaml", BROKEN)
        problems = events.next("problems")["problems"]
        expected = cli_lines(live.root)
        assert problems == expected
        assert expected == ["decks/2026-11-23.yaml:9:5: demos[0].<b>bold</b>: "
                            "unknown field '<b>bold</b>'"]
        page = live.get("/2026-11-23/")
        assert page.status == 200 and "Writers keep their place." in page.body
        # a page opened now learns about the problem as soon as it connects
        assert live.hello()["problems"] == expected
        # the terminal says it once, without a traceback, even if the save is repeated
        live.save("decks/2026-11-23.yaml", BROKEN)
        events.next("problems")
        assert live.complained.count(expected[0]) == 1
        assert not any("Traceback" in line for line in live.complained)
        assert live.complained[-1] == ("error: 1 problem found; "
                                       "still serving the last good build")
        # mended: a reload with the fix, and new pages learn there is no problem left
        live.save("decks/2026-11-23.yaml", DECK.replace("Colours.", "Contrast."))
        events.next("reload")
    assert "Contrast." in live.get("/2026-11-23/").body
    assert live.hello()["problems"] == []


def test_a_reload_names_the_warnings_only_when_they_change(live: Live) -> None:
    """Open pages have the warnings (from hello and the reloads before): a long list is
    sent again, and laid out again, only when a save changes it."""
    from tests.test_overflow import LONG_DEMO

    with live.events() as events:
        live.save("decks/2026-11-23.yaml", DECK + LONG_DEMO)
        warned = events.next("reload")["warnings"]
        assert len(warned) == 1 and ": warning: demos[2]: 'The whole design document'" in warned[0]
        live.save("decks/2026-11-23.yaml", (DECK + LONG_DEMO).replace("Colours.", "Contrast."))
        same = events.next("reload")
        assert DECK_PAGE in same["changed"] and "warnings" not in same
        live.save("decks/2026-11-23.yaml", DECK)
        assert events.next("reload")["warnings"] == []
    assert live.hello()["warnings"] == []


def test_a_save_made_the_way_vim_makes_it_shows_the_new_deck(live: Live) -> None:
    """vim renames the deck to ``deck~``, writes a new deck and deletes ``deck~``: the
    rebuild waits for the new file's close, so the deck is never missing in between."""
    deck = live.root / "decks/2026-11-23.yaml"
    with live.events() as events:
        for n in range(3):
            deck.rename(deck.with_name(deck.name + "~"))
            deck.write_text(DECK.replace("keep their place", f"saved {n} times"),
                            encoding="utf-8")
            deck.with_name(deck.name + "~").unlink()
            events.next("reload", lambda d, n=n: DECK_PAGE in (d["changed"] or [])
                        and f"saved {n} times" in live.get("/2026-11-23/").body)
    assert not any("problem" in line for line in live.complained)


def test_a_save_that_breaks_the_yaml_is_shown_then_mended(live: Live) -> None:
    with live.events() as events:
        live.save("decks/2026-11-23.yaml", DECK.replace("demos:\n", "demos: [\n"))
        [problem] = events.next("problems")["problems"]
        assert problem.startswith("decks/2026-11-23.yaml:")
        assert live.get("/2026-11-23/").status == 200  # the last good deck stays
        live.save("decks/2026-11-23.yaml", DECK.replace("keep their place", "are back"))
        assert DECK_PAGE in events.next("reload")["changed"]
    assert "are back" in live.get("/2026-11-23/").body


def test_template_error_is_reported_and_recovered(live: Live) -> None:
    with live.events() as events:
        live.save("templates/deck.html", '{% extends "!theme/deck.html" %}{% block x %}')
        problems = events.next("problems")["problems"]
        assert len(problems) == 1 and problems[0].startswith("templates/deck.html:")
        (live.root / "templates/deck.html").unlink()
        events.next("reload")
    assert live.get("/2026-11-23/").status == 200


def test_new_deck_appears_in_the_index(live: Live) -> None:
    assert "2026-11-16" not in live.get("/").body
    with live.events() as events:
        live.save("decks/2026-11-16.yaml", OTHER_DECK)
        changed = events.next("reload")["changed"]
    assert "2026-11-16/index.html" in changed and "index.html" in changed
    assert "2026-11-16/" in live.get("/").body
    assert "The week before" in live.get("/2026-11-16/").body


def test_deleted_deck_shows_removed_page_and_leaves_the_index(live: Live) -> None:
    with live.events() as events:
        live.save("decks/2026-11-16.yaml", OTHER_DECK)
        events.next("reload")
        assert live.get("/2026-11-16/").status == 200
        (live.root / "decks/2026-11-16.yaml").unlink()
        changed = events.next("reload")["changed"]
    assert "2026-11-16/index.html" in changed
    gone = live.get("/2026-11-16/")
    assert gone.status == 410
    assert "This deck was removed" in gone.body
    assert "The week before" not in gone.body  # not a stale copy
    assert "2026-11-16/" not in live.get("/").body
    assert live.get("/2026-11-23/").status == 200


def test_first_build_broken_then_fixed(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "decks").mkdir(parents=True)
    (root / "decks/2026-11-23.yaml").write_text(BROKEN, encoding="utf-8")
    server = start_live(root)
    try:
        res = server.get("/")
        assert res.status == 503
        assert "unknown field &#x27;&lt;b&gt;bold&lt;/b&gt;&#x27;" in res.body
        assert server.complained[-1].endswith("fix it and save; the preview will follow")
        with server.events() as events:
            server.save("decks/2026-11-23.yaml", DECK)
            events.next("reload")
        assert server.get("/").status == 200
    finally:
        server.preview.stop()


# --- in a real browser ---------------------------------------------------------------------


def listening_page(browser: Any, preview: Preview, target: str, slide: int) -> Any:
    """A tab on the preview's ``target``, once it shows slide ``slide`` (from 0) and the
    preview counts it as a listener: a save after this reaches the page."""
    page = browser.new_page()
    page.goto(f"{preview.url}{target}")
    page.wait_for_function(f"window.demodeck && demodeck.current() === {slide}")
    deadline = time.monotonic() + WAIT
    while preview.hub.listeners < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    return page


def test_browser_keeps_the_slide_and_shows_problems_in_an_overlay(live: Live) -> None:
    from browser import chromium, require

    require()
    with chromium() as browser:
        page = listening_page(browser, live.preview, "2026-11-23/#live-reload", 2)  # slide 3
        page.evaluate("window.notReloaded = true")

        live.save("decks/2026-11-23.yaml", DECK.replace("keep their place", "never get lost"))
        page.wait_for_function(
            "document.getElementById('live-reload').textContent.includes('never get lost')",
            timeout=WAIT * 1000)
        assert page.evaluate("location.hash") == "#live-reload"
        assert page.evaluate("demodeck.current()") == 2
        assert page.evaluate("window.notReloaded") is True  # updated in place, no reload
        assert page.is_visible("#live-reload")

        live.save("decks/2026-11-23.yaml", BROKEN)
        overlay = page.wait_for_selector("#demodeck-problems pre", timeout=WAIT * 1000)
        assert overlay is not None
        assert overlay.text_content() == cli_lines(live.root)[0]
        assert page.evaluate("document.querySelector('#demodeck-problems').shadowRoot"
                             ".querySelector('pre b')") is None  # text, not markup
        assert page.is_visible("#live-reload")  # the last good deck stays
        assert "never get lost" in (page.text_content("#live-reload") or "")

        live.save("decks/2026-11-23.yaml", DECK)
        page.wait_for_selector("#demodeck-problems", state="detached", timeout=WAIT * 1000)
        page.wait_for_function(
            "document.getElementById('live-reload').textContent.includes('keep their place')",
            timeout=WAIT * 1000)
        assert page.evaluate("location.hash") == "#live-reload"
        assert page.evaluate("window.notReloaded") is True


def test_browser_shows_warnings_in_a_panel_the_writer_can_hide(live: Live) -> None:
    from browser import chromium, require

    from tests.test_overflow import LONG_DEMO

    require()
    with chromium() as browser:
        page = listening_page(browser, live.preview, "2026-11-23/#error-overlay", 3)

        live.save("decks/2026-11-23.yaml", DECK + LONG_DEMO)
        page.wait_for_function("!!document.getElementById('the-whole-design-document')",
                               timeout=WAIT * 1000)  # a new slide: the page reloads
        shown = page.wait_for_selector("#demodeck-warnings pre", timeout=WAIT * 1000)
        assert shown is not None
        expected = [line for line in live.complained if ": warning: " in line]
        assert shown.text_content() == "\n".join(expected)
        assert expected[0].startswith("decks/2026-11-23.yaml:15:5: warning: demos[2]: "
                                      "'The whole design document' has more text")
        assert page.is_hidden("#demodeck-problems")

        page.click("#demodeck-warnings button")  # Hide
        assert page.is_hidden("#demodeck-warnings")
        live.save("decks/2026-11-23.yaml", (DECK + LONG_DEMO).replace("the terminal", "logs"))
        page.wait_for_function(
            "document.getElementById('error-overlay').textContent.includes('reads logs')",
            timeout=WAIT * 1000)
        assert page.is_hidden("#demodeck-warnings")  # the same warnings stay hidden

        live.save("decks/2026-11-23.yaml", BROKEN + LONG_DEMO)  # errors win
        page.wait_for_selector("#demodeck-problems pre", timeout=WAIT * 1000)
        assert page.is_hidden("#demodeck-warnings")

        live.save("decks/2026-11-23.yaml", DECK)
        page.wait_for_selector("#demodeck-problems", state="detached", timeout=WAIT * 1000)
        page.wait_for_function(  # a slide went: the page reloads once more
            "!document.getElementById('the-whole-design-document')", timeout=WAIT * 1000)
        page.wait_for_load_state("load")
        assert page.query_selector("#demodeck-warnings") is None


def test_browser_shows_the_same_warnings_again_once_an_error_is_mended(live: Live) -> None:
    """The reload after the fix does not repeat warnings that did not change: the page
    shows those it was told last."""
    from browser import chromium, require

    from tests.test_overflow import LONG_DEMO

    require()
    live.save("decks/2026-11-23.yaml", DECK + LONG_DEMO)
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{live.preview.url}2026-11-23/")
        shown = page.wait_for_selector("#demodeck-warnings pre", timeout=WAIT * 1000)
        assert shown is not None
        warned = shown.text_content()
        assert warned and ": warning: demos[2]: 'The whole design document'" in warned

        live.save("decks/2026-11-23.yaml", BROKEN + LONG_DEMO)
        page.wait_for_selector("#demodeck-problems pre", timeout=WAIT * 1000)
        assert page.is_hidden("#demodeck-warnings")  # errors win

        live.save("decks/2026-11-23.yaml", (DECK + LONG_DEMO).replace("the terminal", "logs"))
        page.wait_for_selector("#demodeck-problems", state="detached", timeout=WAIT * 1000)
        page.wait_for_function(
            "document.getElementById('error-overlay').textContent.includes('reads logs')",
            timeout=WAIT * 1000)
        again = page.wait_for_selector("#demodeck-warnings pre", timeout=WAIT * 1000)
        assert again is not None and again.text_content() == warned


def test_browser_strict_shows_warnings_as_errors(tmp_path: Path) -> None:
    from browser import chromium, require

    from tests.test_overflow import LONG_DEMO

    require()
    root = tmp_path / "proj"
    (root / "decks").mkdir(parents=True)
    (root / "decks/2026-11-23.yaml").write_text(DECK, encoding="utf-8")
    preview = Preview(root, port=0, console=Console(print, print), strict=True)
    preview.start()
    try:
        with chromium() as browser:
            page = listening_page(browser, preview, "2026-11-23/", 0)
            Live(root, preview).save("decks/2026-11-23.yaml", DECK + LONG_DEMO)
            shown = page.wait_for_selector("#demodeck-problems pre", timeout=WAIT * 1000)
            assert shown is not None
            assert (shown.text_content() or "").startswith(
                "decks/2026-11-23.yaml:15:5: demos[2]: 'The whole design document'")
            assert page.is_hidden("#demodeck-warnings")
    finally:
        preview.stop()


def test_browser_restyles_in_place_and_reloads_on_new_slides(live: Live) -> None:
    from browser import chromium, require

    require()
    with chromium() as browser:
        page = listening_page(browser, live.preview, "2026-11-23/#error-overlay", 3)
        page.evaluate("window.notReloaded = true")

        # a theme stylesheet changes: its hashed name changes, the page swaps the <link>
        css = (builtin_dir() / "static/deck.css").read_text(encoding="utf-8")
        live.save("templates/static/deck.css", css + "\n.deck { outline: 7px solid red; }\n")
        page.wait_for_function("getComputedStyle(document.querySelector('.deck'))"
                               ".outlineWidth === '7px'", timeout=WAIT * 1000)
        assert page.evaluate("window.notReloaded") is True
        assert page.evaluate("document.querySelectorAll('link[rel=stylesheet]').length") == 2

        # a demo is added: the slides differ, so the page reloads, on the same slide
        added = DECK + """\
  - title: Added later
    people: [Zoë Quinn]
    features: ["One more"]
    why: Because.
    could_be_better: Nothing.
"""
        live.save("decks/2026-11-23.yaml", added)
        page.wait_for_function("!!document.getElementById('added-later')",
                               timeout=WAIT * 1000)
        page.wait_for_function("window.demodeck && demodeck.current() === 3")
        assert page.evaluate("location.hash") == "#error-overlay"
        assert page.evaluate("window.notReloaded") is None


# --- the port and the process -------------------------------------------------------------


def test_port_in_use_is_a_clear_usage_error(live: Live) -> None:
    other = Preview(live.root, port=live.port, console=Console(print, print))
    with pytest.raises(UsageError, match=f"port {live.port} on 127.0.0.1 is already in use"):
        other.start()


def test_cli_reports_a_busy_port_without_traceback(live: Live,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from demodeck.cli import main

    assert main(["serve", "-C", str(live.root), "--port", str(live.port)]) == 1
    err = capsys.readouterr().err
    assert f"error: port {live.port} on 127.0.0.1 is already in use" in err
    assert "--port 0" in err and "Traceback" not in err


def run_until_ctrl_c(root: Path, *args: str) -> tuple[int, str, str, int]:
    """`demodeck serve --port 0 ARGS` in a process: wait for its URL, then Ctrl-C it."""
    proc = subprocess.Popen([sys.executable, "-m", "demodeck", "serve", "-C", str(root),
                             "--port", "0", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = ""
        deadline = time.monotonic() + 10
        while "http://" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()
        url = line.split("at ", 1)[1].split()[0]
        port = int(url.rsplit(":", 1)[1].strip("/"))
        assert url == f"http://127.0.0.1:{port}/"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, line + out, err, port


def test_ctrl_c_stops_cleanly_and_frees_the_port(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "decks").mkdir(parents=True)
    (root / "decks/2026-11-23.yaml").write_text(DECK, encoding="utf-8")
    code, out, err, port = run_until_ctrl_c(root)
    assert code == 0, err
    assert "Traceback" not in err and "warning" not in err
    assert "Stopped." in out
    with socket.socket() as sock:  # the port is free again
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_other_hosts_print_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "decks").mkdir(parents=True)
    (root / "decks/2026-11-23.yaml").write_text(DECK, encoding="utf-8")
    code, _, err, _ = run_until_ctrl_c(root, "--host", "0.0.0.0")
    assert code == 0
    assert "warning: serving on 0.0.0.0: anyone who can reach this computer" in err


# --- the small pure helpers ---------------------------------------------------------------


@pytest.mark.parametrize(("target", "key"), [
    ("/", "index.html"),
    ("/?x=1", "index.html"),
    ("/2026-11-23/", "2026-11-23/index.html"),
    ("/2026-11-23/#demo", "2026-11-23/index.html"),
    ("/assets/deck.1234.css", "assets/deck.1234.css"),
    ("/assets/img/a%20b.png", "assets/img/a b.png"),
    ("/%D7%A9%D7%9C%D7%95%D7%9D/", "שלום/index.html"),
    ("/a/../b", None),
    ("/a/%2e%2e/b", None),
    ("/a%2fb", None),
    ("/a//b", None),
    ("a/b", None),
    ("*", None),
])
def test_site_key(target: str, key: str | None) -> None:
    assert site_key(target) == key


def test_host_policy() -> None:
    loopback = HostPolicy.for_bind("127.0.0.1")
    assert loopback.allows("localhost:8000") and loopback.allows("[::1]")
    assert not loopback.allows("192.168.1.5:8000")
    lan = HostPolicy.for_bind("0.0.0.0")
    assert lan.allows("192.168.1.5:8000")  # an IP literal cannot be DNS-rebound
    assert not lan.allows("attacker.example:8000")
    named = HostPolicy.for_bind("devbox.lan")
    assert named.allows("devbox.lan:8000") and not named.allows("other.lan")
    assert host_name("[::1") is None and host_name(":8000") is None


def test_inject_and_prefix() -> None:
    assert inject(b"<p>x</p></BODY></html>", b"<s>") == b"<p>x</p><s></BODY></html>"
    assert inject(b"<p>no body</p>", b"<s>") == b"<p>no body</p><s>"
    assert relative_prefix("/") == "" and relative_prefix("/a/b/") == "../../"


@pytest.fixture
def deck_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slug of every deck page rendered from now on, in order."""
    from demodeck.render import Renderer

    rendered: list[str] = []
    real = Renderer.deck_page
    monkeypatch.setattr(Renderer, "deck_page",
                        lambda self, deck, *a, **k: rendered.append(deck.slug)
                        or real(self, deck, *a, **k))
    return rendered


def test_a_preview_rebuild_renders_only_the_deck_that_changed(
        tmp_path: Path, deck_renders: list[str]) -> None:
    """The preview's builder (the project's cache, held in memory) keeps every page it
    rendered: after a save, one deck page is rendered again, not the whole archive."""
    builder = cached_builder(copy_examples(tmp_path))
    first = builder(tmp_path)
    assert len(deck_renders) == len(first.decks) == 3
    deck_renders.clear()
    add_why_line(tmp_path / EXAMPLE_DECK, "Saved.")
    second = builder(tmp_path)
    assert deck_renders == ["2026-11-09"]
    assert b"Saved." in second.pages["2026-11-09/index.html"]


def test_the_preview_starts_from_the_files_the_last_build_left(
        tmp_path: Path, deck_renders: list[str]) -> None:
    """Opening the preview of an archive `demodeck build` just built renders nothing: it
    reads the kept files (and serves the same bytes the build wrote)."""
    build(load_config(copy_examples(tmp_path)), cache=BuildCache.for_project(tmp_path))
    deck_renders.clear()
    builder = cached_builder(tmp_path)
    snapshot = builder(tmp_path)
    assert deck_renders == []
    site = tmp_path / "site"
    written = {p.relative_to(site).as_posix(): p.read_bytes()
               for p in site.rglob("*") if p.is_file() and p.name != ".demodeck-site"}
    assert snapshot.pages == written
    add_why_line(tmp_path / EXAMPLE_DECK, "Saved.")  # later saves: from memory, as before
    assert b"Saved." in builder(tmp_path).pages["2026-11-09/index.html"]
    assert deck_renders == ["2026-11-09"]


def test_the_preview_serves_archive_pages_as_a_fresh_build_makes_them(tmp_path: Path) -> None:
    """The preview keeps each deck's part of the archive pages' keys in memory, from one
    save to the next: after edits to what those pages show, and after undoing one, it
    serves what a build from scratch writes."""
    root = copy_examples(tmp_path / "p")
    builder = cached_builder(root)
    builder(root)
    folder, older = root / "decks/2026-11-16/03-offline-cart.yaml", root / EXAMPLE_DECK
    edits = [(folder, "  - Søren Lund\n", "  - Zoe Castellanos\n"),  # Zoë's page moves
             (older, "{name: Noa Levi,", "{name: NOA LEVI,"),
             (folder, "  - Zoe Castellanos\n", "  - Søren Lund\n")]  # and moves back
    moved = "people/zoe-castellanos-2/index.html"
    for n, (deck, old, new) in enumerate(edits):
        assert old in deck.read_text()
        deck.write_text(deck.read_text().replace(old, new, 1))
        served = builder(root).pages
        out = tmp_path / f"fresh-{n}"
        build(load_config(root), out=out)
        assert served == {p.relative_to(out).as_posix(): p.read_bytes()
                          for p in out.rglob("*") if p.is_file() and p.name != ".demodeck-site"}
        assert (moved in served) == (n < 2)


def test_a_preview_rebuild_reads_only_the_deck_file_that_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A save reads the file it changed; the others' stamps are looked at, not their bytes
    (the files here are all settled at once: see manifest.SETTLE_NS)."""
    from demodeck import load
    from demodeck.incremental import manifest

    monkeypatch.setattr(manifest, "SETTLE_NS", 0)
    read: list[str] = []
    real = load._read_bytes
    monkeypatch.setattr(load, "_read_bytes",
                        lambda path, **k: read.append(path.name) or real(path, **k))
    root = copy_examples(tmp_path)
    builder = cached_builder(root)
    builder(root)
    assert len(read) > 3  # every deck file, the first time
    read.clear()
    add_why_line(root / EXAMPLE_DECK, "Saved.")
    assert b"Saved." in builder(root).pages["2026-11-09/index.html"]
    assert read == ["2026-11-09.yaml"]


def test_the_preview_reads_each_kept_deck_back_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The decks the cache keeps are read back (unpickled) once, not on every save."""
    unpickled: list[str] = []
    real = BuildCache.read_deck
    monkeypatch.setattr(BuildCache, "read_deck",
                        lambda self, key, head, demos: unpickled.append(key)
                        or real(self, key, head, demos))
    root = copy_examples(tmp_path)
    builder = cached_builder(root)
    builder(root)
    for n in range(3):
        unpickled.clear()
        add_why_line(root / EXAMPLE_DECK, f"Saved {n}.")
        assert f"Saved {n}.".encode() in builder(root).pages["2026-11-09/index.html"]
        assert len(unpickled) == (2 if n == 0 else 0)  # the two decks that did not change


def test_the_preview_serves_what_a_fresh_build_makes_after_a_picture_changes(
        tmp_path: Path) -> None:
    """A deck whose picture changed is validated again, and the preview's kept copy of it
    is not used from then on."""
    root = copy_examples(tmp_path / "p")
    builder = cached_builder(root)
    builder(root)
    avatar = root / "decks/images/zoe-castellanos.png"
    avatar.write_bytes((root / "decks/images/noa-levi.png").read_bytes())
    for n in range(2):
        add_why_line(root / EXAMPLE_DECK, f"Saved {n}.")
        served = builder(root).pages
        out = tmp_path / f"fresh-{n}"
        build(load_config(root), out=out)
        assert served == {p.relative_to(out).as_posix(): p.read_bytes()
                          for p in out.rglob("*") if p.is_file() and p.name != ".demodeck-site"}


def site_files(site: Path) -> dict[str, bytes]:
    """What a snapshot of the site in ``site`` serves: every file the build wrote."""
    return {p.relative_to(site).as_posix(): p.read_bytes()
            for p in site.rglob("*") if p.is_file() and p.name != ".demodeck-site"}


@pytest.mark.parametrize("swap", [site_gone, another_build_s_site])
def test_a_build_swapping_the_site_once_the_preview_chose_its_pages_changes_nothing_served(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deck_renders: list[str],
        swap: Callable[[Path], None]) -> None:
    """The preview's first build keeps the pages the last `demodeck build` left that it
    need not render again. A build waiting for the site's lock swaps the folder the moment
    the preview lets go of it: the preview still serves the pages it chose, the last
    build's, rendering none, and says nothing of a missing file."""
    root = copy_examples(tmp_path / "p")
    build(load_config(root), cache=BuildCache.for_project(root))
    site = root / "site"
    built = site_files(site)
    deck_renders.clear()
    waiting: list[Callable[[], None]] = []
    real_reusable, real_locked = manifest.reusable, outdir.locked

    def reusable(before: dict[str, Any] | None, out: Path) -> dict[str, tuple[str, Path]]:
        found = real_reusable(before, out)
        assert "index.html" in found  # a page the preview keeps
        waiting.append(lambda: swap(site))  # a build now waits for the lock to swap it
        return found

    @contextlib.contextmanager
    def locked(out: Path, told: Callable[[], None], *, wait: bool = True) -> Iterator[bool]:
        with real_locked(out, told, wait=wait) as mine:
            yield mine
        while waiting:  # the lock is free: the build that waited for it swaps the site
            waiting.pop()()

    monkeypatch.setattr(manifest, "reusable", reusable)
    monkeypatch.setattr(outdir, "locked", locked)
    served = cached_builder(root)(root).pages
    assert (root / ".site-old").is_dir()  # the build swapped the site meanwhile
    assert served == built
    assert deck_renders == []


@pytest.mark.parametrize("swap", [site_gone, another_build_s_site])
def test_a_preview_started_while_a_build_holds_the_site_renders_every_page(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deck_renders: list[str],
        swap: Callable[[Path], None]) -> None:
    """A build holding the site's lock may swap the folder at any moment: the preview's
    first build keeps none of its pages then, rendering them all, and so serves the right
    ones whatever the build did to the folder meanwhile."""
    root = copy_examples(tmp_path / "p")
    build(load_config(root), cache=BuildCache.for_project(root))
    site = root / "site"
    built = site_files(site)
    deck_renders.clear()
    real_reusable = manifest.reusable

    def reusable(before: dict[str, Any] | None, out: Path) -> dict[str, tuple[str, Path]]:
        found = real_reusable(before, out)
        swap(site)  # the build swaps the folder right after the preview looked
        return found

    monkeypatch.setattr(manifest, "reusable", reusable)
    with outdir.locked(site, lambda: None):
        served = cached_builder(root)(root).pages
    assert served == built
    assert len(deck_renders) == 3
