"""Sample returns for the benchmarks, generated once per size and copied where each run needs them.

Sets are written with ``sample_data.generate_samples`` into a cache folder keyed by months, scale,
end month and seed, so a benchmark run (or a rerun) never generates the same set twice.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sample_data import generate_samples
from sample_data.manifest import MANIFEST_NAME, SampleFile, SampleManifest


@dataclass(frozen=True)
class SampleSet:
    """A generated landing folder and the manifest describing every file in it."""

    landing: Path
    manifest: SampleManifest

    def files(self, file_format: str | None = None) -> list[SampleFile]:
        """The manifest's files, optionally only ``csv`` or ``xlsx`` ones."""
        return [f for f in self.manifest.files if file_format in (None, f.file_format)]

    def path_of(self, sample_file: SampleFile) -> Path:
        """Where ``sample_file`` is on disk."""
        return self.landing / sample_file.path


def sample_set(
    cache: Path,
    *,
    months: int,
    scale: int = 1,
    end_period: str = "2026-09",
    seed: int = 2026,
    members: int = 1,
    dbt_project_dir: Path | None = None,
) -> SampleSet:
    """The sample set for these arguments, generated into ``cache`` the first time it is asked.

    With ``members`` above 1 the set is written for the member registry of ``dbt_project_dir``
    (a copy extended by :func:`bench.members.extend_member_registry`), in a fresh process that
    reads that registry (``PIDC_DBT_PROJECT_DIR``).
    """
    suffix = "" if members == 1 else f"-m{members}"
    root = Path(cache) / f"samples-{months}m-x{scale}{suffix}-{end_period}-s{seed}"
    manifest_path = root / MANIFEST_NAME
    if not manifest_path.exists():
        if root.exists():
            shutil.rmtree(root)  # an interrupted generation: start again
        if members == 1:
            generate_samples(
                root / "landing", seed=seed, months=months, end_period=end_period, scale=scale
            )
        else:
            if dbt_project_dir is None:
                raise ValueError("a sample at more members needs the extended dbt project copy")
            from bench.measure import run_worker

            args = {
                "landing": str(root / "landing"),
                "months": months,
                "scale": scale,
                "end_period": end_period,
                "seed": seed,
            }
            done = run_worker("samples", args, env={"PIDC_DBT_PROJECT_DIR": str(dbt_project_dir)})
            if not done["ok"]:
                raise RuntimeError(f"sample generation failed: {done['error']}")
    return SampleSet(root / "landing", SampleManifest.load(manifest_path))


def copy_files(sample: SampleSet, files: list[SampleFile], landing: Path) -> int:
    """Copy ``files`` into ``landing/<MEMBER>/`` keeping their modification times (arrival order).

    Returns the number of bytes copied.
    """
    copied = 0
    for sample_file in files:
        source = sample.path_of(sample_file)
        target = Path(landing) / sample_file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        copied += source.stat().st_size
    return copied


def new_month_cutoff(manifest: SampleManifest) -> datetime:
    """The start of the month after the last period: when that period's returns start to arrive."""
    year, month = (int(part) for part in manifest.periods[-1].split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, 1)


def split_new_month(manifest: SampleManifest) -> tuple[list[SampleFile], list[SampleFile]]:
    """(history, new month): files received before the cutoff, and the month's arrivals after it.

    The new month's arrivals are what really lands in a month: the last period's returns plus
    late returns and corrections of earlier months received in the same weeks.
    """
    cutoff = new_month_cutoff(manifest)
    history, arrivals = [], []
    for sample_file in manifest.files:
        received = datetime.fromisoformat(sample_file.received_at).replace(tzinfo=None)
        (arrivals if received >= cutoff else history).append(sample_file)
    return history, arrivals


def rows_in(files: list[SampleFile]) -> int:
    """Data rows written in ``files`` (all datasets)."""
    return sum(sum(f.rows.values()) for f in files)
