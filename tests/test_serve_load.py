"""The preview server under load and abuse (issue 7), on loopback only, every loop bounded.

* 200 concurrent clients (100 holding event streams open, 100 loading pages over
  keep-alive) are all answered, without an error the server reports, and every
  thread they took is given back;
* 1,000 saves in one second make a bounded number of rebuilds, and the last save wins;
* after every kind of failed build (bad YAML, hostile YAML, a broken template, a
  missing image, a crash inside the builder...) the server keeps serving the last good
  pages, says what is wrong, and recovers on the next good save.

The real server on a free port, as ``tests/test_serve.py`` drives it.
"""

from __future__ import annotations

import http.client
import os
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from demodeck.preview_build import Snapshot, cached_builder
from demodeck.serve import Console, Preview
from tests.test_serve import BROKEN, DECK, WAIT, Events, Live

DECK_FILE = "decks/2026-11-23.yaml"


@dataclass
class Counted:
    """A builder that counts its calls and can be told to blow up."""

    inner: Callable[[Path], Snapshot]
    calls: int = 0
    fail_with: BaseException | None = None

    def __call__(self, root: Path) -> Snapshot:
        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        return self.inner(root)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Live, Counted]]:
    root = tmp_path / "proj"
    (root / "decks").mkdir(parents=True)
    (root / DECK_FILE).write_text(DECK, encoding="utf-8")
    said: list[str] = []
    complained: list[str] = []
    builder = Counted(cached_builder(root.resolve()))
    preview = Preview(root, port=0, console=Console(said.append, complained.append),
                      builder=builder)
    preview.start()
    try:
        yield Live(root, preview, said, complained), builder
    finally:
        preview.stop()


def wait_until(check: Callable[[], bool], seconds: float = WAIT) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def preview_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t is not threading.main_thread())


# --- many clients ---------------------------------------------------------------------------


def test_200_concurrent_clients_and_event_streams(served: tuple[Live, Counted]) -> None:
    """200 connections open at the same time: they arrive over two seconds (a burst all
    at once is the next test) and stay open, the pages' for a second, the streams'
    until their tabs close."""
    live, _ = served
    before = set(threading.enumerate())
    streams: list[tuple[socket.socket, http.client.HTTPResponse]] = []
    errors: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()

    def arrive(n: int) -> None:
        time.sleep(max(0.0, started + n * 0.01 - time.monotonic()))

    def page_client(n: int) -> None:
        arrive(n)
        conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=60)
        try:
            for target in ("/", "/2026-11-23/", "/2026-11-23/", "/nope"):
                time.sleep(0.25)
                conn.request("GET", target)  # keep-alive: one connection, four requests
                res = conn.getresponse()
                body = res.read()
                expected = 404 if target == "/nope" else 200
                if res.status != expected or (expected == 200 and b"</html>" not in body):
                    raise AssertionError(f"{target}: {res.status}")
        except Exception as exc:  # every failure is collected and reported
            with lock:
                errors.append(f"page: {exc!r}")
        finally:
            conn.close()

    def stream_client(n: int) -> None:
        arrive(n)
        conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=60)
        try:
            conn.request("GET", "/__demodeck__/events")
            sock = conn.sock
            assert sock is not None
            res = conn.getresponse()  # the response owns the socket from here on
            first = res.fp.readline() + res.fp.readline()
            if res.status != 200 or b"retry:" not in first:
                raise AssertionError(f"events: {res.status} {first!r}")
            with lock:
                streams.append((sock, res))
        except Exception as exc:
            with lock:
                errors.append(f"stream: {exc!r}")
            conn.close()

    clients = [threading.Thread(target=page_client if n % 2 else stream_client, args=(n,))
               for n in range(200)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=90)
    assert errors == []
    assert len(streams) == 100
    assert wait_until(lambda: live.preview.hub.listeners == 100)
    assert time.monotonic() - started < 60
    # every open page hears about the next save
    live.save(DECK_FILE, DECK.replace("Colours.", "Contrast."))
    for sock, res in streams[:10]:
        sock.settimeout(WAIT)
        lines = iter(res.fp.readline, b"")
        assert any(line.startswith(b"event: reload") for line in lines)
    # the tabs close: their threads end at the stream's next write (a save here; the
    # 15 s keep-alive comment otherwise), and the server thread count comes back down
    for sock, res in streams:
        res.close()
        sock.close()
    for n in range(3):
        if live.preview.hub.listeners == 0:
            break
        live.save(DECK_FILE, DECK.replace("Colours.", f"Contrast {n}."))
        wait_until(lambda: live.preview.hub.listeners == 0, 2)
    assert live.preview.hub.listeners == 0
    assert wait_until(lambda: set(threading.enumerate()) - before == set(), 10), \
        preview_threads()
    assert not any("internal error" in line for line in live.complained), live.complained
    assert live.get("/2026-11-23/").status == 200


def test_a_burst_of_200_connections_is_answered_at_once(served: tuple[Live, Counted]) -> None:
    live, _ = served
    request = (f"GET /2026-11-23/ HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\n"
               "Connection: close\r\n\r\n").encode()
    selector = selectors.DefaultSelector()
    answers: dict[int, bytes] = {}
    try:
        for n in range(200):  # all SYNs at once, from one thread, non-blocking
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", live.port))
            selector.register(sock, selectors.EVENT_WRITE, n)
        deadline = time.monotonic() + 3
        while len(answers) < 200 and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.1):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if key.events == selectors.EVENT_WRITE:
                    sock.send(request)
                    selector.modify(sock, selectors.EVENT_READ, key.data)
                else:
                    answers[key.data] = sock.recv(12)  # the status line has come
                    selector.unregister(sock)
                    sock.close()
    finally:
        for key in list(selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        selector.close()
    assert len(answers) == 200
    assert set(answers.values()) == {b"HTTP/1.1 200"}


# --- a flood of saves -----------------------------------------------------------------------


def test_1000_saves_in_a_second_make_a_bounded_number_of_rebuilds(
        served: tuple[Live, Counted]) -> None:
    live, builder = served
    first = builder.calls
    started = time.monotonic()
    for n in range(1000):
        live.save(DECK_FILE, DECK.replace("Writers keep their place.", f"Save number {n}."))
        time.sleep(max(0.0, started + (n + 1) / 1000 - time.monotonic()))  # ~1 s in all
    seconds = time.monotonic() - started
    assert wait_until(lambda: "Save number 999." in live.get("/2026-11-23/").body, 10)
    time.sleep(0.5)  # anything still queued has run by now
    rebuilds = builder.calls - first
    # the debouncer ends a burst at 0.3 s (max_delay), so about one rebuild per 0.3 s
    # of saving, plus the one that picks up the tail
    assert 1 <= rebuilds <= seconds / 0.3 + 4, (rebuilds, seconds)
    assert not live.complained


# --- recovering from every kind of failure --------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _deep(live: Live) -> None:
    live.save(DECK_FILE, "a: " + "[" * 100_000 + "]" * 100_000 + "\n")


def _fifo(live: Live) -> None:
    os.mkfifo(live.root / "decks/2026-11-30.yaml")


def _undo_fifo(live: Live) -> None:
    (live.root / "decks/2026-11-30.yaml").unlink()


FAILURES: list[tuple[str, Callable[[Live], None], str, Callable[[Live], None] | None]] = [
    ("yaml syntax", lambda lv: lv.save(DECK_FILE, DECK + "  - [unclosed\n"),
     "YAML syntax error", None),
    ("schema", lambda lv: lv.save(DECK_FILE, BROKEN), "unknown field", None),
    ("tab", lambda lv: lv.save(DECK_FILE, DECK.replace("  - title: Live", "\t- title: Live")),
     "tab character", None),
    ("not utf-8", lambda lv: (lv.root / DECK_FILE).write_bytes(DECK.encode("utf-16")),
     "not valid UTF-8", None),
    ("python tag", lambda lv: lv.save(DECK_FILE, DECK.replace(
        "title: Preview test deck", "title: !!python/object/apply:os.system ['true']")),
     "is not allowed", None),
    ("alias bomb", lambda lv: lv.save(DECK_FILE, "\n".join(
        ["a: &a [x, x, x, x, x, x, x, x, x]"] + [f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9) + "]"
                                                 for p, c in zip("abcdefgh", "bcdefghi",
                                                                 strict=True)])),
     "expands to more than 200,000 values", None),
    ("100k-deep nesting", _deep, "nested more than 64 levels deep", None),  # was a SIGSEGV
    ("6 MB deck", lambda lv: lv.save(DECK_FILE, "#" * (6 * 1024 * 1024)),
     "deck files are limited to 5 MB", None),
    ("a FIFO", _fifo, "not a regular file", _undo_fifo),  # was a hung rebuild thread
    ("missing image", lambda lv: lv.save(DECK_FILE, DECK.replace(
        "    why: Writers keep their place.\n",
        "    why: Writers keep their place.\n    screenshot: {src: nope.png, alt: x}\n")),
     "image 'nope.png' does not exist", None),
    ("template syntax", lambda lv: lv.save("templates/deck.html", "{% block %}"),
     "template syntax error", lambda lv: (lv.root / "templates/deck.html").unlink()),
    ("template runtime", lambda lv: lv.save("templates/index.html", "{{ nope.nope }}"),
     "template error", lambda lv: (lv.root / "templates/index.html").unlink()),
    ("no retro slide", lambda lv: lv.save("templates/deck.html",
                                          '{% extends "!theme/deck.html" %}'
                                          "{% block retro_slide %}{% endblock %}"),
     "the retrospective slide is mandatory", lambda lv: (lv.root / "templates/deck.html")
     .unlink()),
    ("broken config", lambda lv: lv.save("demodeck.yaml", "title: [unclosed\n"),
     "demodeck.yaml", lambda lv: (lv.root / "demodeck.yaml").unlink()),
    ("decks folder gone", lambda lv: (lv.root / "decks").rename(lv.root / "decks-away"),
     "decks", lambda lv: (lv.root / "decks-away").rename(lv.root / "decks")),
]


def test_the_server_recovers_after_every_failed_build(served: tuple[Live, Counted]) -> None:
    live, builder = served
    with live.events() as events:
        for n, (name, breaks, message, undo) in enumerate(FAILURES):
            breaks(live)
            problems = events.next("problems")["problems"]
            assert problems and any(message in p for p in problems), (name, problems)
            page = live.get("/2026-11-23/")
            assert page.status == 200, name  # the last good build is still served
            if undo is not None:
                undo(live)
            fixed = DECK.replace("Colours.", f"Recovered from {name} ({n}).")
            live.save(DECK_FILE, fixed)
            events.next("reload")
            assert wait_until(lambda: f"Recovered from {name} ({n})."  # noqa: B023
                              in live.get("/2026-11-23/").body), name
    assert not any("Traceback" in line for line in live.complained)
    assert builder.calls >= 2 * len(FAILURES)


@pytest.mark.parametrize("crash", [RuntimeError("boom"), RecursionError("deep"),
                                   MemoryError(), OSError(5, "Input/output error"),
                                   KeyError("x"), UnicodeDecodeError("utf-8", b"\xff", 0, 1,
                                                                     "bad")])
def test_a_crash_inside_the_builder_is_reported_and_survived(served: tuple[Live, Counted],
                                                             crash: BaseException) -> None:
    live, builder = served
    with live.events() as events:
        builder.fail_with = crash
        live.save(DECK_FILE, DECK.replace("Colours.", "Never shown."))
        problems = events.next("problems")["problems"]
        assert len(problems) == 1 and problems[0].startswith("internal error:"), problems
        assert live.get("/2026-11-23/").status == 200
        builder.fail_with = None
        live.save(DECK_FILE, DECK.replace("Colours.", "Shown."))
        events.next("reload")
    assert "Shown." in live.get("/2026-11-23/").body


def test_stop_ends_every_thread_it_started(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    root = tmp_path / "proj"
    (root / "decks").mkdir(parents=True)
    (root / DECK_FILE).write_text(DECK, encoding="utf-8")
    preview = Preview(root, port=0, console=Console(lambda _: None, lambda _: None))
    preview.start()
    port = int(preview.url.rsplit(":", 1)[1].strip("/"))
    streams = [Events(port) for _ in range(20)]
    for stream in streams:
        stream.next("hello")
    preview.stop()
    for stream in streams:
        stream.close()
    assert wait_until(lambda: set(threading.enumerate()) - before == set(), 10), \
        preview_threads()
    with socket.socket() as sock:  # and the port is free
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))

