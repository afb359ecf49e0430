"""The Dagster instance configuration under ``$PIDC_HOME/dagster``.

``python -m orchestration.instance`` writes ``dagster.yaml`` there (once; an operator's edits are
kept) before ``dagster dev`` starts with ``DAGSTER_HOME=$PIDC_HOME/dagster``: the ``warehouse``
pool gets one slot, so intake, the raw checks, dbt and publish never write or read the DuckDB
warehouse at the same time, telemetry is off (the platform runs offline) and so is the UI's
e-mail sign-up pop-up; the assets' freshness policies are evaluated (off by default while Dagster
calls them a preview).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pidc.settings import Home, home

INSTANCE_CONFIG = """\
# Written by `python -m orchestration.instance`; safe to edit (it is never overwritten).
concurrency:
  pools:
    # DuckDB allows one writer process or many readers, never both: one slot per pool.
    default_limit: 1
    granularity: op
telemetry:
  enabled: false
# No e-mail sign-up pop-up or "what's new" prompts in the UI (offline offices, no accounts).
nux:
  enabled: false
# Evaluate the assets' freshness policies (raw tables: monthly cycle; serving: nightly).
freshness:
  enabled: true
"""

# Keys added after a home's dagster.yaml was first written: appended when missing, so an
# operator's edits are kept and an older home still gets them.
LATER_KEYS = {
    "nux": "# No e-mail sign-up pop-up in the UI.\nnux:\n  enabled: false\n",
    "freshness": "# Evaluate the assets' freshness policies.\nfreshness:\n  enabled: true\n",
}


def write_instance_config(platform_home: Home) -> Path:
    """Create ``dagster.yaml`` in ``platform_home.dagster_home`` if missing; return its path.

    Point ``DAGSTER_HOME`` at that folder before ``dagster dev`` so the pool is enforced.
    """
    platform_home.ensure()
    config_file = platform_home.dagster_home / "dagster.yaml"
    if not config_file.exists():
        config_file.write_text(INSTANCE_CONFIG, encoding="utf-8")
        return config_file
    text = config_file.read_text(encoding="utf-8")
    missing = [block for key, block in LATER_KEYS.items() if f"\n{key}:" not in f"\n{text}"]
    if missing:
        config_file.write_text(text.rstrip("\n") + "\n" + "".join(missing), encoding="utf-8")
    return config_file


def main() -> int:
    """Write the instance config for ``$PIDC_HOME`` and print the folder for ``DAGSTER_HOME``."""
    config_file = write_instance_config(home())
    print(config_file.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
