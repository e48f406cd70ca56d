"""What the renderer's filters write into pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from demodeck import render
from demodeck.config import load_config
from demodeck.metrics import deck_metrics
from demodeck.model import Deck, Demo, Metric, Person


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


def test_people_read_right_to_left_as_their_names_do(tmp_path: Path) -> None:
    """``demo.people|direction`` judges the row by the names, as ``|direction`` of the
    names themselves does; an all-Arabic row of people is laid out right to left."""
    groups = [("ليلى حداد", "عمر خليل"), ("ليلى حداد", "Noa Levi"), ("123", "נועה לוי"),
              ("Ada", "Grace"), ("42",)]
    for names in groups:
        people = [Person(name) for name in names]
        assert render.direction(people) == render.direction(names)
    assert [render.direction([Person(n) for n in names]) for names in groups] == \
        ["rtl", "ltr", "rtl", "ltr", "ltr"]

    demo = Demo(id="d", title="بحث", people=tuple(Person(n) for n in groups[0]),
                features=(), why="", could_be_better="")
    deck = Deck(date=dt.date(2026, 11, 2), title="T", demos=(demo,))
    page, _ = render.Renderer(load_config(tmp_path)).deck_page(deck, render.DeckContext(None, ()))
    assert b'<ul class="people" dir="rtl">' in page.data
    assert b'<span class="agenda-people" dir="rtl">' in page.data
