"""Packing for the slides that continue (slides.py): items in order on as few slides as
hold them, and the height of balanced CSS columns of blocks that do not break."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence


def pack(count: int, height: Callable[[int, int], float], room: float) -> list[range]:
    """``count`` items in order on as few slides as hold them (``height(i, j)``, that of
    items i to j - 1 together, ≤ ``room``; an item taller than that alone on its slide),
    then evened out: as many slides, with as many items each if they fit so, else each
    as little full as that allows."""
    tall = functools.cache(height)

    def greedy(limit: float) -> list[range]:
        parts, first = [], 0
        for i in range(1, count):
            if tall(first, i + 1) > limit:
                parts.append(range(first, i))
                first = i
        return [*parts, range(first, count)]

    fewest = len(greedy(room))
    cuts = [-(-count * k // fewest) for k in range(fewest + 1)]  # the first ones fuller
    even = [range(a, b) for a, b in itertools.pairwise(cuts)]
    if all(tall(r.start, r.stop) <= room for r in even):
        return even
    lo, hi = 0.0, room
    for _ in range(10):
        mid = (lo + hi) / 2
        if len(greedy(mid)) <= fewest:
            hi = mid
        else:
            lo = mid
    return greedy(hi)


def balanced(heights: Sequence[float], columns: int, margin: float = 0.0) -> float:
    """The height of balanced CSS columns holding blocks of ``heights`` that do not break
    (``break-inside: avoid``), in order, each with ``margin`` below: the least column
    height that fits them all. A margin at the foot of a column is dropped, as the
    browser truncates it at the break, but for the last block's."""
    if not heights:
        return 0.0
    total = sum(heights) + margin * len(heights)
    lo, hi = max(heights), total
    if columns <= 1 or _in_columns(heights, columns, margin, lo):
        return total if columns <= 1 else lo
    while hi - lo > 0.01:
        mid = (lo + hi) / 2
        if _in_columns(heights, columns, margin, mid):
            hi = mid
        else:
            lo = mid
    return hi


def _in_columns(heights: Sequence[float], columns: int, margin: float, limit: float) -> bool:
    """Whether the blocks of balanced() fill ``columns`` or fewer no higher than ``limit``."""
    count, used = 1, 0.0
    for h in heights:
        if used:
            if used + margin + h <= limit:
                used += margin + h  # in this column
                continue
            if count == columns:
                return False  # a column too many
            count += 1
        used = h  # at the top of the next
    return used + margin <= limit
