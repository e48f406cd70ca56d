"""sizes.py and theme_numbers.py: the theme's sizes, read from its deck.css and deck.js.

That the estimate built from them matches Chromium, with the built-in theme and a
project's own, is tested in test_overflow.py.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from demodeck import overflow, sizes, theme_numbers
from demodeck.model import Demo, Person

STATIC = Path(__file__).resolve().parent.parent / "templates/static"


def test_rules_are_read_by_selector_and_a_later_declaration_wins() -> None:
    css = """
        /* .why { padding: 9em } */
        .a, .b > .c  +  .d { padding: 1em 2em; --media: 50%; content: "} ;" }
        .a { padding: 3em !important; margin: 0 }
        .e:not(:is(.f, .g)) { gap: 1em }
    """
    assert theme_numbers.rules(css) == {
        ".a": {"padding": "3em", "--media": "50%", "content": '"} ;"', "margin": "0"},
        ".b > .c + .d": {"padding": "1em 2em", "--media": "50%", "content": '"} ;"'},
        ".e:not(:is(.f, .g))": {"gap": "1em"},
    }


def test_rules_inside_at_rules_and_broken_rules_are_left_out() -> None:
    css = """
        @import url("x.css");
        @media print { .slide { width: 9px } .x { y: z } }
        @supports (display: grid) { .slide { width: 8px } }
        .slide { width: 1280px }
        }} .after-a-stray-brace { width: 2px }
        .unclosed { width: 3px
    """
    assert theme_numbers.rules(css) == {".slide": {"width": "1280px"},
                                ".after-a-stray-brace": {"width": "2px"}}


def test_script_values_are_the_json_var_lines() -> None:
    js = ("  var MIN_FIT = 0.5; // a comment; with a semicolon\n"
          '  var SQUEEZE = [["--media", ["44%", "38%"]]];\n'
          "  var WARN_MS = 60 * 1000;\n  var lower = 1;\n  var DEEP = " + "[" * 100_000 + ";\n")
    assert theme_numbers.script_values(js) == {"MIN_FIT": 0.5,
                                               "SQUEEZE": [["--media", ["44%", "38%"]]]}


def test_deck_js_marks_the_values_check_reads() -> None:
    values = theme_numbers.script_values((STATIC / "deck.js").read_text(encoding="utf-8"))
    assert {"FLOOR_PX", "MIN_FIT", "FIT_STEPS", "SLACK_PX", "SQUEEZE"} <= values.keys()
    builtin = sizes.builtin()
    assert (builtin.floor_px, builtin.min_fit, builtin.fit_steps, builtin.slack_px) == (
        values["FLOOR_PX"], values["MIN_FIT"], values["FIT_STEPS"], values["SLACK_PX"])


def test_each_size_is_read_from_its_rule_in_the_theme(tmp_path: Path) -> None:
    """Every size follows the project's deck.css: with every number in it doubled (and
    each 0 made 0.25em), each one changes, but those deck.js sets."""
    def changed(number: re.Match[str]) -> str:
        value = float(number[1])
        return f"{value * 2:g}{number[2] or ''}" if value else "0.25em"

    css = (STATIC / "deck.css").read_text(encoding="utf-8")
    doubled = re.sub(r"(?<![\w#.-])(\d+(?:\.\d+)?)(em|px|%)?(?![\w.])", changed, css)
    (tmp_path / "templates/static").mkdir(parents=True)
    (tmp_path / "templates/static/deck.css").write_text(doubled, encoding="utf-8")
    own, builtin = sizes.of_project(tmp_path), sizes.builtin()
    unchanged = {f.name for f in dataclasses.fields(sizes.Sizes)
                 if getattr(own, f.name) == getattr(builtin, f.name)}
    # the stripe's border and the px of the padding under it still cancel out
    assert unchanged == {"pad_top_px", "floor_px", "min_fit", "fit_steps", "slack_px"}
    assert own.media[0] == 2 * builtin.media[0] and own.media[1:] == builtin.media[1:]


_CSS_PIECES = st.sampled_from([
    "{", "}", ";", ":", ",", " ", "\n", '"', "'", "/*", "*/", "(", ")", "@media x", "!important",
    ".slide", ".why", ".md pre", ".features li", "padding", "font-size", "line-height",
    "--media", "width", "0", "1e9", "-2", ".5em", "2.4em", "99999999px", "calc(", "var(--fit, 1)",
    "50%", "nan", "em", "px"])


_SELECTORS = [".slide", ".slide:not(.slide--dark)", ".slide--demo", ".slide--demo.has-shot",
              ".why", ".why .md", ".md pre", ".md td", ".features li", ".links a", ".people",
              ".slide-head h2", ".shot img", ".icon", ".timebox", ".slide-foot"]
_PROPS = ["padding", "padding-top", "font-size", "line-height", "width", "height", "gap",
          "row-gap", "column-gap", "--media", "max-height", "border-top", "margin-top"]
_VALUES = st.lists(st.sampled_from(["0", "1e9", "-2em", ".5em", "2.4em", "99999999px", "1px",
                                    "0.001em", "50%", "0%", "calc(1em - 9999px)", "solid",
                                    "calc(24px * var(--fit, 1))", "3", "0px"]),
                   min_size=1, max_size=4).map(" ".join)
_RULES = st.lists(st.builds("{} {{ {}: {} }}".format, st.sampled_from(_SELECTORS),
                            st.sampled_from(_PROPS), _VALUES), max_size=12).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(_CSS_PIECES, max_size=60).map("".join), _RULES))
def test_any_deck_css_gives_sizes_the_estimate_can_use(css: str) -> None:
    """Whatever a project's deck.css holds, check gets sizes and an estimate, no exception."""
    own = sizes.of_theme(css, None)
    estimate = overflow.estimate_demo(Demo(id="d", title="T", people=(Person("Ada"),),
                                           features=("F",), why="W " * 300,
                                           could_be_better="x"), own)
    assert own.min_fit <= estimate.fit <= 1
