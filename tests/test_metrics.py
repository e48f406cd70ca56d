"""metrics.py: what a deck's metrics slide shows of the decks before it."""

from __future__ import annotations

import datetime as dt

import pytest

from demodeck.metrics import Axis, all_series, axis, deck_metrics
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
    assert deployments.spark.polyline == "3,11.7 60,3 117,7.3"  # a count: from zero
    assert deployments.spark.values == (4, 6, 5)
    assert bugs.previous is None and bugs.delta is None  # the deck before has none
    assert bugs.spark is not None
    assert [(p.label, p.value) for p in bugs.spark.points] == [
        ("2026-11-02", 9), ("2026-11-16", 3)]


def test_one_value_draws_no_sparkline() -> None:
    (only,) = deck_metrics([_deck(9, bugs_opened=2), _deck(16, active_users=7)])
    assert only.spark is None and only.previous is None


@pytest.mark.parametrize(("key", "label", "unit"), [
    ("p95_latency_ms", "P95 latency", "ms"),
    ("crash_free_sessions_pct", "Crash free sessions", "%"),
    ("lead_time_days", "Lead time", "days"),
    ("NPS_score", "NPS score", ""),  # the key's words as written
    ("support tickets per 1000 orders", "Support tickets per 1000 orders", ""),
    ("cycle_time_days", "Cycle time", "days"),  # a known metric
])
def test_a_metric_takes_its_unit_from_its_key(key: str, label: str, unit: str) -> None:
    assert (Metric(key, 1).label, Metric(key, 1).unit) == (label, unit)


def test_counts_are_drawn_from_zero_and_a_narrow_range_is_called_so() -> None:
    assert axis([41, 37, 44], count=True) == Axis(0, 44, False)
    assert axis([99.62, 99.71], count=False) == Axis(99.62, 99.71, True)
    assert axis([3.1, 9.5], count=False) == Axis(3.1, 9.5, False)
    # a sparkline has no room for words: a narrow range is widened to a quarter of the size
    wide = axis([99.62, 99.71], count=False, widen=True)
    assert not wide.narrow and wide.high - wide.low == pytest.approx(0.25 * 99.71)
    assert wide.low < 99.62 and wide.high > 99.71


def test_the_metrics_page_charts_counts_from_zero_and_shows_one_value_as_a_number() -> None:
    deployments, latency, single = all_series([
        _deck(9, deployments=41, p95_latency_ms=203, crash_free_sessions_pct=99.6),
        _deck(16, deployments=44, p95_latency_ms=212)])
    assert deployments.chart is not None and deployments.chart.axis == Axis(0, 44, False)
    assert [p.y for p in deployments.chart.points] == [6.8, 0]  # in percent of the box
    assert latency.chart is not None and latency.chart.axis == Axis(203, 212, True)  # not a count
    assert single.chart is None and single.unit == "%"
