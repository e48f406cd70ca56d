"""Numbers over time: each deck's change from the last one, sparklines, full charts.

Only geometry and arithmetic live here; templates draw the SVG from these values,
so the charts need no JavaScript and print like any other vector drawing.

A chart must not make a small change look big: counts are drawn from zero, and any
other number's range is called narrow when it is under NARROW of its size (99.62 to
99.71 %), which the metrics page says in words and a sparkline, too small for words,
widens to that share.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from demodeck.model import Deck, Metric

SPARK_DECKS = 12
NARROW = 0.25  # a range under this share of its largest value is narrow (see the top)
# +1: a rise is good news; -1: a fall is good news; 0: it depends, say nothing
DIRECTION: dict[str, int] = {"deployments": 1, "bugs_opened": -1, "bugs_closed": 1,
                             "cycle_time_days": -1, "active_users": 1}


class Point(NamedTuple):
    """One point of a chart. A named tuple, not a frozen dataclass: a large archive's build
    draws tens of thousands of them (five sparklines on every deck page, the metrics page's
    charts), and a frozen dataclass sets each field through ``object.__setattr__``."""

    x: float
    y: float
    value: int | float
    label: str  # the deck date, ISO


@dataclass(frozen=True, slots=True)
class Axis:
    """The values at the foot and the top of a chart."""

    low: int | float
    high: int | float
    narrow: bool  # zoomed into a range much smaller than the values: changes look big


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    points: tuple[Point, ...]
    low: int | float  # the values' own range
    high: int | float
    axis: Axis

    @property
    def last(self) -> Point:
        return self.points[-1]

    @property
    def segments(self) -> tuple[tuple[Point, Point], ...]:
        """Each point with the next: the line as <line>s, which (unlike a polyline) take
        coordinates in percent."""
        return tuple(zip(self.points, self.points[1:], strict=False))

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


def is_count(unit: str, values: Sequence[int | float]) -> bool:
    """Whole numbers of things, with no unit: drawn from zero."""
    return not unit and all(isinstance(v, int) and v >= 0 for v in values)


def axis(values: Sequence[int | float], *, count: bool, widen: bool = False) -> Axis:
    """From zero for a count, else the values' own range; ``widen`` a narrow one to NARROW
    of the values' size, around them (not below zero where they are all positive)."""
    low, high = min(values), max(values)
    if count:
        return Axis(min(low, 0), max(high, 0), False)
    size = max(abs(low), abs(high))
    narrow = high - low < NARROW * size
    if not (narrow and widen):
        return Axis(low, high, narrow)
    half = NARROW * size / 2
    bottom = (low + high) / 2 - half
    if low >= 0 and bottom < 0:
        bottom = 0
    return Axis(bottom, bottom + 2 * half, False)


def chart(values: Sequence[tuple[str, int | float]], *, width: int, height: int,
          pad: float = 3.0, count: bool = False, widen: bool = False) -> Chart | None:
    """Scale (label, value) pairs into a width×height box; None when there is nothing.
    ``count`` and ``widen`` choose the axis (see ``axis``)."""
    if not values:
        return None
    nums = [v for _, v in values]
    scale = axis(nums, count=count, widen=widen)
    span = scale.high - scale.low
    inner = height - 2 * pad
    xs = _xs(len(values), width, pad)
    if not span:
        y = round(height / 2, 1)
        points = [Point(x, y, value, label) for x, (label, value) in zip(xs, values, strict=True)]
    else:
        points = [Point(x, round(pad + (scale.high - value) / span * inner, 1), value, label)
                  for x, (label, value) in zip(xs, values, strict=True)]
    return Chart(width, height, tuple(points), min(nums), max(nums), scale)


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
        spark = (chart(series, width=120, height=32, widen=True,
                       count=is_count(metric.unit, [v for _, v in series]))
                 if len(series) > 1 else None)
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
    return tuple(Series(key, m.label, m.unit, tuple(values[key]), _page_chart(m, values[key]))
                 for key, m in order.items())


def _page_chart(metric: Metric, values: Sequence[tuple[str, int | float]]) -> Chart | None:
    """The metrics page's chart, in percent of its box (the page sizes it; its labels stay
    the page's size), or None for a single value: that is shown as a number."""
    if len(values) < 2:
        return None
    return chart(values, width=100, height=100, pad=0,
                 count=is_count(metric.unit, [v for _, v in values]))
