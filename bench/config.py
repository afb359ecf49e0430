"""How big a benchmark run is: the sizes of history, breakdown scale and repetitions."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HistorySize:
    """One end-to-end size: ``months`` of history before the new month, at breakdown ``scale``,
    with ``members`` times the 21 members (see :mod:`bench.members`)."""

    months: int
    scale: int = 1
    members: int = 1

    @property
    def label(self) -> str:
        """``36m x1`` style label used in tables and result keys (``36m x1, 10x members``)."""
        label = f"{self.months}m x{self.scale}"
        return label if self.members == 1 else f"{label}, {self.members}x members"


@dataclass(frozen=True)
class BenchConfig:
    """Everything a run's size depends on; ``quick()`` and ``full()`` are the two presets."""

    name: str
    # Ingestion comparisons read this many months of sample returns at scale 1.
    ingestion_months: int
    # At most this many files per format go through the ingestion comparison (None: all).
    ingestion_file_limit: int | None
    # End-to-end sizes; the first is the "sample scale" and the last the largest for dashboards.
    history_sizes: tuple[HistorySize, ...]
    query_repeats: int
    # Files the intake profile (cProfile) runs over.
    profile_files: int
    end_period: str = "2026-09"
    seed: int = 2026
    run_end_to_end: bool = True
    # Full renders per page, role and scale (each one is a whole script run, so fewer).
    page_repeats: int = 3
    notes: list[str] = field(default_factory=list)

    @classmethod
    def quick(cls) -> BenchConfig:
        """Smoke size: finishes in well under a minute; numbers are only indicative."""
        return cls(
            name="quick",
            ingestion_months=1,
            ingestion_file_limit=6,
            history_sizes=(HistorySize(1, 1),),
            query_repeats=5,
            profile_files=6,
            run_end_to_end=False,
        )

    @classmethod
    def full(cls) -> BenchConfig:
        """What the issue asks for: 3 and 10 years of history, and 3 years at 10 times the members."""
        return cls(
            name="full",
            ingestion_months=3,
            ingestion_file_limit=None,
            history_sizes=(HistorySize(36, 1), HistorySize(120, 1), HistorySize(36, 1, members=10)),
            query_repeats=30,
            profile_files=300,
        )

    def with_sizes(self, sizes: list[HistorySize]) -> BenchConfig:
        """The same configuration with other end-to-end sizes (``--sizes 6x1,12x1``)."""
        return BenchConfig(
            name=self.name,
            ingestion_months=self.ingestion_months,
            ingestion_file_limit=self.ingestion_file_limit,
            history_sizes=tuple(sizes),
            query_repeats=self.query_repeats,
            profile_files=self.profile_files,
            end_period=self.end_period,
            seed=self.seed,
            run_end_to_end=bool(sizes),
            page_repeats=self.page_repeats,
            notes=list(self.notes),
        )


def parse_sizes(text: str) -> list[HistorySize]:
    """``"36x1,120x1,36x10m"`` -> sizes. Raises ValueError naming the bad part.

    Each part is ``MONTHS[xFACTOR...]``: a plain factor widens the breakdowns (``36x10``), a factor
    ending in ``m`` multiplies the members (``36x10m``); ``36x10x10m`` does both.
    """
    sizes = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        months, *factors = part.split("x")
        scale, members = 1, 1
        try:
            for factor in factors:
                if factor.endswith("m"):
                    members = int(factor[:-1])
                else:
                    scale = int(factor)
            size = HistorySize(int(months), scale, members)
        except ValueError:
            raise ValueError(
                f"size {part!r} is not MONTHSxSCALE or MONTHSxMEMBERSm, for example 36x1 or 36x10m"
            ) from None
        if min(size.months, size.scale, size.members) < 1:
            raise ValueError(f"size {part!r}: months, scale and members must be 1 or more")
        sizes.append(size)
    return sizes
