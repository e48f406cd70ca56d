"""Mixed scripts in Chromium (issue 22, item 6): Arabic, Hebrew and Latin names side by side.

An agenda line lists each demo's people; a name in one script must not reorder the
names around it. A demo written all in Arabic or all in Hebrew lays out right to left:
its people row starts at the right, and the why box's accent bar sits on the right.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import built_deck_url

DECK = """\
title: Mixed scripts
demos:
  - title: Arabic and Latin names together
    people: [ليلى حداد, Noa Levi]
    features: [Search]
    why: Both markets.
    could_be_better: Nothing.
  - title: بحث باللغة العربية
    people: [ليلى حداد, عمر خليل]
    features: [البحث]
    why: "**٢٣٪** من عمليات البحث لم تجد شيئًا."
    could_be_better: لا شيء.
  - title: חיפוש בעברית
    people: [נועה לוי, יעל בן דוד]
    features: [חיפוש]
    why: הרבה חיפושים לא מצאו כלום.
    could_be_better: כלום.
"""


@pytest.fixture(scope="module")
def deck_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return built_deck_url(tmp_path_factory.mktemp("bidi"), DECK)


@pytest.fixture
def page(browser: Any, deck_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = context.new_page()
    pg.goto(deck_url)
    pg.wait_for_function("window.demodeck && demodeck.current() >= 0")
    yield pg
    context.close()


# Where on screen a piece of text is drawn: the left edge of the first match of `text`
# among the text nodes under the element `selector`.
LEFT_OF = """([selector, text]) => {
  const walk = document.createTreeWalker(document.querySelector(selector), NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const at = node.data.indexOf(text);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + text.length);
    return range.getBoundingClientRect().left;
  }
  return null;
}"""


def left_of(page: Any, selector: str, text: str) -> float:
    left = page.evaluate(LEFT_OF, [selector, text])
    assert left is not None, f"{text!r} is not in {selector}"
    return float(left)


def test_names_in_two_scripts_keep_their_order_in_the_agenda(page: Any) -> None:
    line = ".agenda li:nth-child(1) .agenda-people"
    assert left_of(page, line, "ليلى حداد") < left_of(page, line, "Noa Levi")
    assert page.evaluate(f"getComputedStyle(document.querySelector('{line}')).direction") \
        == "ltr"


@pytest.mark.parametrize(("n", "slide", "first", "second"), [
    (2, "بحث-باللغة-العربية", "ليلى حداد", "عمر خليل"),
    (3, "חיפוש-בעברית", "נועה לוי", "יעל בן דוד"),
], ids=["arabic", "hebrew"])
def test_a_demo_all_in_one_right_to_left_script_reads_right_to_left(
        page: Any, n: int, slide: str, first: str, second: str) -> None:
    line = f".agenda li:nth-child({n}) .agenda-people"
    assert left_of(page, line, first) > left_of(page, line, second)  # the first at the right
    page.evaluate(f"demodeck.go({slide!r})")
    at = f"[id={slide!r}]"
    assert left_of(page, f"{at} .people", first) > left_of(page, f"{at} .people", second)
    bar = page.evaluate(f"""() => {{
        const why = getComputedStyle(document.querySelector("{at} .why"));
        return [why.direction, why.borderRightWidth, why.borderLeftWidth]; }}""")
    assert bar[0] == "rtl" and bar[1] != "0px" and bar[2] == "0px"  # the accent bar at the right


def test_a_demo_in_mixed_scripts_keeps_the_page_direction(page: Any) -> None:
    page.evaluate("demodeck.go('arabic-and-latin-names-together')")
    at = "#arabic-and-latin-names-together"
    assert left_of(page, f"{at} .people", "ليلى حداد") < left_of(page, f"{at} .people", "Noa Levi")
    assert page.evaluate(f"getComputedStyle(document.querySelector('{at} .why')).borderLeftWidth") \
        != "0px"
