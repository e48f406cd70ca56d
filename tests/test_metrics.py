"""metrics.py: what a deck's metrics slide shows of the decks before it."""

from __future__ import annotations

import datetime as dt

from demodeck.metrics import deck_metrics
from demodeck.model import Deck, Metric


def _deck(day: int, **values: float) -> Deck:
    return Deck(date=dt.date(2026, 11, day), title="T", demos=(),
                metrics=tuple(Metric(k, v) for k, v in values.items()))


def test_sparklines_skip_decks_without_the_metric() -> None:
    history = [_deck(2, deployments=4, bugs_opened=9), _deck(9, deployments=6),
               _deck(16, deployments=5, bugs_opened=3)]  # oldest first, ends with the deck
    deployments, bugs = deck_metrics(history)
    assert (deployments.previous, deployments.delta, deployments.tone) == (6, -1, "bad")
    assert deployments.spark is not None
    assert [(p.label, p.value) for p in deployments.spark.points] == [
        ("2026-11-02", 4), ("2026-11-09", 6), ("2026-11-16", 5)]
    assert deployments.spark.polyline == "3,29 60,3 117,16"
    assert deployments.spark.values == (4, 6, 5)
    assert bugs.previous is None and bugs.delta is None  # the deck before has none
    assert bugs.spark is not None
    assert [(p.label, p.value) for p in bugs.spark.points] == [
        ("2026-11-02", 9), ("2026-11-16", 3)]


def test_one_value_draws_no_sparkline() -> None:
    (only,) = deck_metrics([_deck(9, bugs_opened=2), _deck(16, active_users=7)])
    assert only.spark is None and only.previous is None
