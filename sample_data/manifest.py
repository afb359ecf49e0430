"""What the sample generator wrote and what it injected, so tests can check the platform found it.

The manifest lives beside the landing folder (``landing_dir.parent / "sample_manifest.json"``):
the landing folder itself holds only member files.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST_NAME = "sample_manifest.json"


@dataclass
class SampleFile:
    """One file as a member sent it. ``path`` is relative to the landing folder."""

    path: str
    member: str
    file_format: str  # xlsx or csv
    period: str
    version: int
    datasets: list[str]  # returns the file carries, nil returns included
    nil_datasets: list[str]
    received_at: str  # ISO date-time (UTC); also the file's mtime
    due_date: str
    late: bool
    rows: dict[str, int]  # data rows per dataset as written (after member spelling)
    totals: dict[str, int]  # sum of count per dataset
    encoding: str | None = None
    delimiter: str | None = None
    observations: int = 0


@dataclass
class ReturnRef:
    """One return (member x dataset x month) the manifest points at."""

    member: str
    dataset: str
    period: str
    note: str = ""


@dataclass
class LateReturn:
    """A return received after its deadline."""

    member: str
    dataset: str
    period: str
    received_at: str
    due_date: str
    days_late: int
    file: str


@dataclass
class NilReturn:
    """A declared nil return: the member said there was nothing to report."""

    member: str
    dataset: str
    period: str
    file: str


@dataclass
class Spike:
    """A nationality's count multiplied in one month of one member's return."""

    member: str
    dataset: str
    period: str
    column: str
    code: str
    factor: int
    baseline_mean: float  # mean of that nationality's monthly total over the 6 months before
    value: int  # that nationality's total in the spike month


@dataclass
class NewRoute:
    """A document-fraud route (embarkation country) appearing for the first time."""

    member: str
    dataset: str
    column: str
    code: str
    first_period: str
    periods: list[str]
    totals: dict[str, int]


@dataclass
class Correction:
    """A later version of an earlier return with changed figures."""

    member: str
    dataset: str
    period: str
    version: int
    file: str
    replaces_file: str
    rows_before: int
    rows_after: int
    total_before: int
    total_after: int


@dataclass
class SampleManifest:
    """Everything the generator wrote (``files``) and every event it injected."""

    seed: int
    months: int
    end_period: str
    scale: int
    periods: list[str]
    members: list[str]
    files: list[SampleFile] = field(default_factory=list)
    spikes: list[Spike] = field(default_factory=list)
    new_routes: list[NewRoute] = field(default_factory=list)
    missing_returns: list[ReturnRef] = field(default_factory=list)
    nil_returns: list[NilReturn] = field(default_factory=list)
    late_returns: list[LateReturn] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)

    def to_json(self) -> str:
        """The manifest as stable, sorted JSON text."""
        return json.dumps(asdict(self), indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def write(self, path: Path) -> Path:
        """Write :meth:`to_json` to ``path``; returns ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> SampleManifest:
        """Read a manifest written by :meth:`write`."""
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        kinds = {
            "files": SampleFile,
            "spikes": Spike,
            "new_routes": NewRoute,
            "missing_returns": ReturnRef,
            "nil_returns": NilReturn,
            "late_returns": LateReturn,
            "corrections": Correction,
        }
        for key, kind in kinds.items():
            raw[key] = [kind(**item) for item in raw.get(key, [])]
        return cls(**raw)
