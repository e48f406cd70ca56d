"""Packing for the slides that continue (slides.py): items in order on as few slides as
hold them, and the height of balanced CSS columns of blocks that do not break."""

from __future__ import annotations

import functools
import itertools
import math
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
    if columns <= 1:
        return total
    fits, *no = _in_columns(heights, columns, margin, lo)
    if fits:
        return lo
    # The search narrows in on a limit: most limits it tries are within the range the
    # blocks were last found to fill the columns the same way at, fitting or not.
    yes = [math.inf, -math.inf]
    while hi - lo > 0.01:
        mid = (lo + hi) / 2
        if yes[0] <= mid < yes[1]:
            fits = True
        elif no[0] <= mid < no[1]:
            fits = False
        else:
            fits, *found = _in_columns(heights, columns, margin, mid)
            yes, no = (found, no) if fits else (yes, found)
        if fits:
            hi = mid
        else:
            lo = mid
    return hi


def _in_columns(heights: Sequence[float], columns: int, margin: float,
                limit: float) -> tuple[bool, float, float]:
    """Whether the blocks of balanced() fill ``columns`` or fewer no higher than
    ``limit``, and the limits from ``low`` up to (not with) ``high`` that each block is
    placed the same way at, so that give the same answer: ``(fits, low, high)``."""
    count, used = 1, 0.0
    low, high = -math.inf, math.inf  # the highest column filled, the lowest not
    for h in heights:
        if used:
            tall = used + margin + h
            if tall <= limit:
                used += margin + h  # in this column
                low = tall if tall > low else low
                continue
            high = tall if tall < high else high
            if count == columns:
                return False, low, high  # a column too many
            count += 1
        used = h  # at the top of the next
    tall = used + margin
    if tall <= limit:
        return True, max(low, tall), high
    return False, low, min(high, tall)
