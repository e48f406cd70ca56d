"""Numbers over time: each deck's change from the last one, sparklines, full charts.

Only geometry and arithmetic live here; templates draw the SVG from these values,
so the charts need no JavaScript and print like any other vector drawing.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from demodeck.model import Deck, Metric

SPARK_DECKS = 12
# +1: a rise is good news; -1: a fall is good news; 0: it depends, say nothing
DIRECTION: dict[str, int] = {"deployments": 1, "bugs_opened": -1, "bugs_closed": 1,
                             "cycle_time_days": -1, "active_users": 1}


class Point(NamedTuple):
    """One point of a chart. A named tuple, not a frozen dataclass: a 520-deck build draws
    ~34,000 of them (five sparklines on every deck page, the metrics page's charts), and a
    frozen dataclass sets each field through ``object.__setattr__`` (0.9 -> 0.25 us each)."""

    x: float
    y: float
    value: int | float
    label: str  # the deck date, ISO


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    points: tuple[Point, ...]
    low: int | float
    high: int | float

    @property
    def polyline(self) -> str:
        return " ".join([f"{p.x:g},{p.y:g}" for p in self.points])

    @property
    def values(self) -> tuple[int | float, ...]:
        """The values plotted, in order (for a text alternative of the chart)."""
        return tuple([p.value for p in self.points])


@dataclass(frozen=True, slots=True)
class MetricView:
    """One metric as a deck's metrics slide shows it."""

    metric: Metric
    previous: int | float | None
    spark: Chart | None

    @property
    def delta(self) -> int | float | None:
        if self.previous is None:
            return None
        delta = self.metric.value - self.previous
        return round(delta, 2) if isinstance(delta, float) else delta

    @property
    def tone(self) -> str:
        """good, bad or neutral, from the metric's direction and the sign of the change."""
        delta = self.delta
        sign = DIRECTION.get(self.metric.key, 0)
        if not delta or not sign:
            return "neutral"
        return "good" if (delta > 0) == (sign > 0) else "bad"


def chart(values: Sequence[tuple[str, int | float]], *, width: int, height: int,
          pad: float = 3.0) -> Chart | None:
    """Scale (label, value) pairs into a width×height box; None when there is nothing."""
    if not values:
        return None
    nums = [v for _, v in values]
    low, high = min(nums), max(nums)
    span = (high - low) or 1
    inner = height - 2 * pad
    xs = _xs(len(values), width, pad)
    if high == low:
        y = round(height / 2, 1)
        points = [Point(x, y, value, label) for x, (label, value) in zip(xs, values, strict=True)]
    else:
        points = [Point(x, round(pad + (high - value) / span * inner, 1), value, label)
                  for x, (label, value) in zip(xs, values, strict=True)]
    return Chart(width, height, tuple(points), low, high)


@functools.lru_cache(maxsize=64)
def _xs(count: int, width: int, pad: float) -> tuple[float, ...]:
    """The x of each of ``count`` points spread over the width (a point alone in the middle):
    the same for every sparkline of a length, and a deck page draws five of them."""
    if count == 1:
        return (round(width / 2, 1),)
    step = (width - 2 * pad) / (count - 1)
    return tuple(round(pad + i * step, 1) for i in range(count))


def deck_metrics(history: Sequence[Deck]) -> tuple[MetricView, ...]:
    """Views of the last deck's metrics; ``history`` is oldest first and ends with it."""
    if not history:
        return ()
    deck = history[-1]
    previous = {m.key: m.value for m in history[-2].metrics} if len(history) > 1 else {}
    # each deck's values by key (a deck's metrics come from a mapping: one value per key)
    window = [(d.slug, {m.key: m.value for m in d.metrics}) for d in history[-SPARK_DECKS:]]
    views = []
    for metric in deck.metrics:
        series = [(slug, values[metric.key]) for slug, values in window if metric.key in values]
        spark = chart(series, width=120, height=32) if len(series) > 1 else None
        views.append(MetricView(metric, previous.get(metric.key), spark))
    return tuple(views)


@dataclass(frozen=True, slots=True)
class Series:
    """One metric across every deck that reports it, for the metrics page."""

    key: str
    label: str
    unit: str
    values: tuple[tuple[str, int | float], ...]  # (deck date, value), oldest first
    chart: Chart | None


def all_series(decks_oldest_first: Sequence[Deck]) -> tuple[Series, ...]:
    order: dict[str, Metric] = {}
    values: dict[str, list[tuple[str, int | float]]] = {}
    for deck in decks_oldest_first:
        for m in deck.metrics:
            order.setdefault(m.key, m)
            values.setdefault(m.key, []).append((deck.slug, m.value))
    return tuple(Series(key, m.label, m.unit, tuple(values[key]),
                        chart(values[key], width=720, height=200, pad=8))
                 for key, m in order.items())
