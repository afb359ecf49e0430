"""The one reader of the dbt seeds: ``read_seed("reference/members")`` gives the seed as text.

Every seed is read the same way: every column as ``str``, an empty cell as ``""`` (never NaN),
so a code such as ``NA`` (Namibia) stays a code. A frame is read once per file version (its
modification time and size) and each caller gets its own copy, so a seed rewritten while a
process runs (``make contract``, ``make seeds``) is read again, and no caller can change what
another sees. Seeds live under ``pidc.settings.SEEDS_DIR`` (``PIDC_DBT_PROJECT_DIR`` moves it);
``seeds_dir`` reads another seeds folder (a test's, a deployment's copy).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd

from pidc import settings

_cache: dict[Path, tuple[tuple[int, int], pd.DataFrame]] = {}
_lock = threading.Lock()


def seed_path(name: str, seeds_dir: Path | None = None) -> Path:
    """The file of seed ``name``: a path below the seeds folder, without ``.csv``
    (``"reference/members"``, ``"sharing/member_groups"``)."""
    relative = Path(name if name.endswith(".csv") else f"{name}.csv")
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"seed name {name!r} must be a path below the seeds folder")
    return Path(seeds_dir or settings.SEEDS_DIR) / relative


def seed_exists(name: str, seeds_dir: Path | None = None) -> bool:
    """Whether seed ``name`` has been written (a fresh checkout before ``make seeds`` may lack it)."""
    return seed_path(name, seeds_dir).is_file()


def read_seed(name: str, seeds_dir: Path | None = None) -> pd.DataFrame:
    """Seed ``name`` (see :func:`seed_path`) as a frame of strings; raises FileNotFoundError
    when it does not exist."""
    path = seed_path(name, seeds_dir)
    stat = path.stat()
    version = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cache.get(path)
    if cached is None or cached[0] != version:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        cached = (version, frame)
        with _lock:
            _cache[path] = cached
    return cached[1].copy()


def seed_rows(name: str, seeds_dir: Path | None = None) -> list[dict[str, str]]:
    """Seed ``name`` as one dict per row (column name -> text), in file order."""
    return read_seed(name, seeds_dir).to_dict("records")
