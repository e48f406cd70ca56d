"""What the renderer's filters write into pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from demodeck import render
from demodeck.config import load_config
from demodeck.metrics import deck_metrics
from demodeck.model import Deck, Demo, Metric


def test_format_numbers_writes_each_value_as_format_number_does() -> None:
    assert render.format_numbers((1204, 998.456, -3, 7.0)) == "1,204, 998.46, -3, 7.0"
    assert render.format_numbers(()) == ""


def test_a_sparkline_names_its_values(tmp_path: Path) -> None:
    """The text alternative of a metric's sparkline lists the values it draws."""
    def deck(day: int, users: int | float) -> Deck:
        demo = Demo(id="d", title="D", people=(), features=(), why="", could_be_better="")
        return Deck(date=dt.date(2026, 11, day), title="T", demos=(demo,),
                    metrics=(Metric("active_users", users),))

    history = [deck(2, 1500), deck(9, 20.125), deck(16, 31000)]
    renderer = render.Renderer(load_config(tmp_path))
    page, _ = renderer.deck_page(history[-1], render.DeckContext(history[1],
                                                                 deck_metrics(history)))
    html = page.data
    assert b'aria-label="Last 3 decks: 1,500, 20.12, 31,000"' in html
