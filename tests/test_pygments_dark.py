"""Code on a dark background: the theme's stylesheet has Pygments' dark style there too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DARK = (".pv-notes-body .highlight", ".slide--dark .highlight")  # where code sits on navy


def selectors(css: str) -> set[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    return {" ".join(s.split()) for block in re.findall(r"([^{}]+)\{", css)
            for s in block.split(",")}


@pytest.mark.parametrize("scope", DARK)
def test_every_class_the_highlighter_writes_has_a_dark_colour(scope: str) -> None:
    """As for the light style (tests/test_markdown.py), the file must cover every token class
    of the installed Pygments, here under each dark container."""
    from pygments.formatters import HtmlFormatter

    shipped = selectors((REPO / "templates/static/pygments.css").read_text(encoding="utf-8"))
    wanted = selectors("\n".join(HtmlFormatter(style="lightbulb").get_token_style_defs(scope)))
    assert len(wanted) > 50
    assert wanted <= shipped, sorted(wanted - shipped)
