"""Raw YAML values that remember where they were written: what load gives validate.

Each value carries a 1-based :class:`Mark` (line, column), so that every problem
validation finds can name its place in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(slots=True)
class RawScalar:
    value: Any  # str, int, float, bool, None, datetime.date or datetime.datetime
    mark: Mark


@dataclass(slots=True)
class RawSeq:
    items: list[Raw]
    mark: Mark


@dataclass(slots=True)
class RawMap:
    entries: dict[str, tuple[Mark, Raw]]  # key -> (mark of the key, value)
    mark: Mark


Raw = RawScalar | RawSeq | RawMap
