"""Recorded demos (issue 23, item 2): a demo's ``video:`` is checked like an image, played
on its slide with controls and never on its own, silent in the presenter's preview, shown
as its poster (or a placeholder) on a printed page, and inlined by ``export`` only up to
a limit. Playback is tested with the small WebM the example decks commit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import watched_page
from tests.conftest import MINIMAL_DECK, REPO, Project

Cap = pytest.CaptureFixture[str]
DECK = "decks/2026-11-23.yaml"
WEBM = (REPO / "decks/recordings/hebrew-search.webm").read_bytes()
POSTER = (REPO / "decks/images/hebrew-search-poster.png").read_bytes()
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(64)  # an MP4's first box
WHERE = "decks/2026-11-23.yaml:15:18: demos[0].video.src:"  # the line below, its value


def with_video(project: Project, video: str = "{src: recordings/search.webm, "
               "poster: images/search.png, caption: Searching *live*}",
               data: bytes | None = WEBM, name: str = "search.webm") -> None:
    """The minimal deck whose first demo has ``video: <video>``, and its files."""
    project.write(DECK, MINIMAL_DECK.replace("    minutes: 5\n",
                                             f"    minutes: 5\n    video: {video}\n"))
    if data is not None:
        project.write_bytes(f"decks/recordings/{name}", data)
    project.write_bytes("decks/images/search.png", POSTER)


def slide(project: Project) -> str:
    html = project.site("2026-11-23/index.html")
    return html[html.index('id="search-v2"'):html.index('id="faster-checkout"')]


# --- the slide ----------------------------------------------------------------------------

def test_a_video_plays_on_its_slide_with_controls_and_never_on_its_own(
        project: Project, capsys: Cap) -> None:
    with_video(project)
    assert project.run("build", capsys=capsys).code == 0
    html = slide(project)
    video = re.search(r"<video [^>]*>", html)
    assert video is not None
    tag = video.group(0)
    assert " controls " in tag and 'preload="metadata"' in tag and " playsinline" in tag
    assert "autoplay" not in html and "loop" not in tag
    src = re.search(r'src="\.\./(assets/video/search\.[0-9a-f]{10}\.webm)"', tag)
    poster = re.search(r'poster="\.\./(assets/img/search\.[0-9a-f]{10}\.png)"', tag)
    assert src and poster, tag
    assert (project.root / "site" / src.group(1)).read_bytes() == WEBM
    assert (project.root / "site" / poster.group(1)).read_bytes() == POSTER
    assert "<figcaption dir=\"auto\">Searching <em>live</em></figcaption>" in html
    assert 'class="slide slide--demo has-shot"' in project.site("2026-11-23/index.html")


def test_an_mp4_is_accepted_and_embedded(project: Project, capsys: Cap) -> None:
    with_video(project, "{src: recordings/search.mp4}", MP4, "search.mp4")
    assert project.run("build", capsys=capsys).code == 0
    src = re.search(r'<video src="\.\./(assets/video/search\.[0-9a-f]{10}\.mp4)"',
                    slide(project))
    assert src is not None
    assert (project.root / "site" / src.group(1)).read_bytes() == MP4


@pytest.mark.parametrize(("video", "data", "name", "message"), [
    ("{src: recordings/search.webm}", b"not a video at all", "search.webm",
     "'recordings/search.webm' is not an MP4 or WebM video (its first bytes are not a "
     "video's); export the recording as MP4 or WebM"),
    ("{src: recordings/search.webm}", MP4, "search.webm",
     "'recordings/search.webm' holds an MP4 video; name it search.mp4"),
    ("{src: recordings/search.mov}", MP4, "search.mov",
     "'recordings/search.mov' is not a supported video; use mp4 or webm"),
    ("{src: recordings/gone.webm}", None, "",
     "video 'recordings/gone.webm' does not exist (looked for decks/recordings/gone.webm)"),
    ("{src: 'https://cdn.example/search.webm'}", None, "",
     "videos must be files in the project, not URLs (the published deck must work offline)"),
    ("{src: ../../outside.webm}", None, "",
     "'../../outside.webm' points outside the project; keep videos inside the project "
     "folder"),
])
def test_a_bad_video_is_an_error_at_the_line_naming_it(
        project: Project, capsys: Cap, video: str, data: bytes | None, name: str,
        message: str) -> None:
    with_video(project, video, data, name)
    result = project.run("check", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines()[0] == f"{WHERE} {message}"


def test_a_video_over_max_video_mb_is_refused_unread(project: Project, capsys: Cap,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with_video(project, "{src: recordings/search.webm}", None)
    big = project.root / "decks/recordings/search.webm"
    big.parent.mkdir(parents=True)
    with big.open("wb") as f:  # sparse: takes no room on disk
        f.truncate((100 << 20) + 1)
    real_open = Path.open

    def open_(self: Path, *args: Any, **kwargs: Any) -> Any:
        assert self != big, "the video was opened"
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    result = project.run("check", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"{WHERE} video 'recordings/search.webm' is 100.1 MB; videos are limited to "
        "100 MB (max_video_mb in demodeck.yaml)")
    monkeypatch.undo()
    project.write("demodeck.yaml", "max_video_mb: 101\n")
    result = project.run("check", capsys=capsys)  # now read: its first bytes are zeros
    assert "is not an MP4 or WebM video" in result.err
    project.write("demodeck.yaml", "max_video_mb: 1\n")
    big.write_bytes(WEBM + bytes(1 << 20))
    assert project.run("check", capsys=capsys).err.splitlines()[0] == (
        f"{WHERE} video 'recordings/search.webm' is 1.1 MB; videos are limited to 1 MB "
        "(max_video_mb in demodeck.yaml)")


def test_a_demo_with_both_a_screenshot_and_a_video_is_told_to_use_a_poster(
        project: Project, capsys: Cap) -> None:
    with_video(project, "{src: recordings/search.webm}")
    deck = project.root / DECK
    deck.write_text(deck.read_text().replace(
        "    minutes: 5\n", "    minutes: 5\n    screenshot: {src: images/search.png, alt: A}\n"))
    result = project.run("check", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "decks/2026-11-23.yaml:16:5: demos[0].video: a demo shows a screenshot or a video, "
        "not both; make the screenshot the video's poster (video: {src: ..., poster: ...})")


def test_the_json_schema_describes_video_and_max_video_mb(project: Project,
                                                          capsys: Cap) -> None:
    result = project.run("schema", "--kind", "demo", capsys=capsys)
    video = json.loads(result.out)["properties"]["video"]
    assert video["required"] == ["src"]
    assert set(video["properties"]) == {"src", "poster", "caption"}
    assert video["properties"]["src"]["pattern"] == r"(?i)\.(mp4|webm)$"
    from demodeck.schema import CONFIG, Integer
    field = CONFIG.field("max_video_mb")
    assert field is not None and field.spec == Integer(minimum=1)


# --- export and pdf -----------------------------------------------------------------------

def test_export_inlines_a_small_video_and_says_so(project: Project, capsys: Cap) -> None:
    with_video(project)
    result = project.run("export", "-o", str(project.root / "deck.html"), capsys=capsys)
    assert result.code == 0, result.err
    assert result.out.splitlines()[1] == ("video search.d2aa3ce2e5.webm (9 KB): inlined in "
                                          "the page (up to 10 MB, --inline-video-mb)"
                                          .replace("d2aa3ce2e5", _hash(WEBM)))
    html = (project.root / "deck.html").read_text()
    assert '<video src="data:video/webm;base64,' in html
    assert 'poster="data:image/png;base64,' in html
    assert not (project.root / "deck.files").exists()


def test_export_writes_a_video_over_the_limit_beside_the_page(project: Project,
                                                              capsys: Cap) -> None:
    with_video(project)
    out = project.root / "out/deck.html"
    out.parent.mkdir()
    result = project.run("export", "-o", str(out), "--inline-video-mb", "0", capsys=capsys)
    assert result.code == 0, result.err
    name = f"search.{_hash(WEBM)}.webm"
    assert result.out.splitlines() == [
        f"wrote {out} ({out.stat().st_size / 1024:.0f} KB, 5 slides, 1 video in "
        "deck.files/ beside it)",
        f"video {name} (9 KB): over 0 MB (--inline-video-mb), written to "
        f"{out.parent / 'deck.files' / name}; keep it beside the page"]
    assert (out.parent / "deck.files" / name).read_bytes() == WEBM
    assert f'<video src="deck.files/{name}"' in out.read_text()


def _hash(data: bytes) -> str:
    import hashlib
    return hashlib.sha256(data).hexdigest()[:10]


# --- in Chromium --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def deck_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A built deck whose first demo has a video with a poster, the second one without."""
    from demodeck.cli import main

    project = Project(tmp_path_factory.mktemp("video") / "proj")
    project.root.mkdir()
    with_video(project)
    deck = project.root / DECK
    deck.write_text(deck.read_text().replace(
        "    could_be_better: Load testing came late.\n",
        "    could_be_better: Load testing came late.\n"
        "    video: {src: recordings/search.webm}\n"))
    assert main(["build", "-C", str(project.root)]) == 0
    return (project.root / "site/2026-11-23/index.html").as_uri()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with watched_page(browser, 1280, 720) as pg:
        yield pg


VIDEO = "document.querySelector('#search-v2 video')"


def test_the_webm_plays_in_chromium_only_when_asked(page: Any, deck_url: str) -> None:
    page.goto(deck_url + "#search-v2")
    page.wait_for_function(f"{VIDEO}.readyState >= 1")  # metadata: it is a video
    assert page.evaluate(f"[{VIDEO}.videoWidth, {VIDEO}.videoHeight]") == [320, 180]
    page.wait_for_timeout(300)
    assert page.evaluate(f"[{VIDEO}.paused, {VIDEO}.currentTime]") == [True, 0]
    page.evaluate(f"{VIDEO}.muted = true; {VIDEO}.loop = true; {VIDEO}.play()")
    page.wait_for_function(f"{VIDEO}.currentTime > 0.2")  # frames were decoded
    page.keyboard.press("ArrowRight")  # leaving the slide stops the recording
    assert page.evaluate(f"{VIDEO}.paused") is True


def test_space_on_the_focused_video_does_not_leave_the_slide(page: Any,
                                                              deck_url: str) -> None:
    page.goto(deck_url + "#search-v2")
    page.wait_for_function("window.demodeck && demodeck.current() >= 0")
    page.focus("#search-v2 video")
    page.keyboard.press("Space")
    assert page.evaluate("demodeck.slides[demodeck.current()].id") == "search-v2"


def test_the_presenter_view_shows_the_video_and_previews_it_silent(page: Any,
                                                                   deck_url: str) -> None:
    page.goto(deck_url.replace("index.html", "index.html?presenter") + "#title")
    page.wait_for_function("window.demodeck && demodeck.isPresenter && demodeck.current() >= 0")
    preview = page.evaluate("""() => {
        const v = document.querySelector('.pv-frame--next video');
        return v && [v.muted, v.hasAttribute('controls'), v.getAttribute('preload'),
                     v.autoplay];
    }""")
    assert preview == [True, False, "none", False]
    page.keyboard.press("ArrowRight")
    assert page.evaluate("getComputedStyle(document.querySelector('.pv-current "
                         "#search-v2 video')).display") == "block"


def test_a_printed_slide_shows_the_poster_or_a_labelled_placeholder(page: Any,
                                                                    deck_url: str) -> None:
    page.goto(deck_url)
    page.wait_for_function("window.demodeck && demodeck.current() >= 0")
    page.emulate_media(media="print")
    shown = page.evaluate("""() => [...document.querySelectorAll('.shot--video')].map(f =>
        [...f.children].filter(c => getComputedStyle(c).display !== 'none')
                       .map(c => c.tagName + (c.tagName === 'IMG' ? ':' + c.complete
                                                 + ':' + c.naturalWidth : '')))""")
    assert shown == [["IMG:true:320", "FIGCAPTION"], ["P"]]
    assert page.text_content("#faster-checkout .video-placeholder") == (
        "▶ Recorded demo: Faster checkout")
    page.emulate_media(media="screen")
    assert page.evaluate("getComputedStyle(document.querySelector('#search-v2 "
                         ".video-still')).display") == "none"
