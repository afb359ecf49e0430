"""What the sample generator's steps share: its error, the months, seeded random streams."""

from __future__ import annotations

import zlib

import numpy as np


class SampleError(ValueError):
    """The sample generator was asked for something it cannot produce; says what to change."""


Rows = list[tuple[tuple[str, ...], int]]  # (breakdown codes in contract order, count)


def _stable(*parts: object) -> int:
    return zlib.crc32("|".join(str(p) for p in parts).encode())


def _rng(seed: int, *parts: object) -> np.random.Generator:
    """A random stream that depends only on ``seed`` and ``parts``, not on call order."""
    return np.random.default_rng([seed, _stable(*parts)])


def month_list(end_period: str, months: int) -> list[str]:
    """``months`` consecutive periods (YYYY-MM) ending with ``end_period``, oldest first."""
    try:
        year, month = (int(part) for part in end_period.split("-"))
        if not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        raise SampleError(f"end_period {end_period!r} is not a month; write YYYY-MM") from None
    if months < 1:
        raise SampleError(f"months must be 1 or more, not {months}")
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]
