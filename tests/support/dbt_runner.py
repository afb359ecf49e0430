"""dbt in the test process, with the project parsed once per test session.

dbt parses the whole project (5-9 s) whenever its saved parse state is missing or was saved for
another profile, and the profile names the warehouse, i.e. the home: every test that runs dbt in
a home of its own paid a full parse, about 20 times per session (2.5 minutes of test time). The
parse does not depend on the home (every warehouse file is ``warehouse.duckdb``, so every node's
database and schema are the same), only on the project's files and the ``--vars`` given. So the
project is parsed once per ``--vars`` and each build, run or test starts from a copy of that
manifest (dbtRunner's documented way to reuse one; a copy, because dbt writes compiled SQL into
the nodes it runs). dbt's own parsing stays tested where it is the subject (`make lint`,
tests/warehouse/test_dbt_manifest.py, every pipeline run, which parses as a deployment does).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orchestration.transform import scoped_environ
from pidc.settings import DBT_PROJECT_DIR

# Commands that start from the session's parse; anything else (parse, ls, debug) parses as usual.
RUNS_A_MANIFEST = {"build", "run", "test", "seed", "compile"}

_MANIFESTS: dict[str, Any] = {}
_SCRATCH: list[Path] = []


def _common(target_path: Path) -> list[str]:
    return [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
    ]


def _vars_of(args: Sequence[str]) -> str:
    """The ``--vars`` text of ``args`` ('' without one): the only argument parsing depends on."""
    return args[list(args).index("--vars") + 1] if "--vars" in args else ""


def _scratch() -> Path:
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="pidc-dbt-parse-")))
        atexit.register(shutil.rmtree, _SCRATCH[0], ignore_errors=True)
    return _SCRATCH[0]


def parsed_manifest(dbt_vars: str = "") -> Any:
    """The project's manifest parsed with ``dbt_vars`` (once per session and set of vars)."""
    if dbt_vars not in _MANIFESTS:
        from dbt.cli.main import dbtRunner

        folder = _scratch() / f"parse-{len(_MANIFESTS)}"
        # Any home will do: parsing never opens the warehouse, and its name is always the same.
        with scoped_environ({"PIDC_HOME": str(folder / "home")}):
            result = dbtRunner().invoke(
                ["parse", *(["--vars", dbt_vars] if dbt_vars else []), *_common(folder)]
            )
        assert result.success, f"dbt parse failed: {result.exception}"
        _MANIFESTS[dbt_vars] = result.result
    return _MANIFESTS[dbt_vars]


def invoke_dbt(
    args: Sequence[str],
    target_path: Path,
    home_root: Path | None = None,
    *,
    write_json: bool = False,
) -> Any:
    """``dbt <args>`` in this process, on the warehouse of ``home_root`` (PIDC_HOME as set when
    ``None``), writing its compiled SQL and an info-level log under ``target_path``; dbtRunner's
    result (which holds every node's result).

    A build, run, test or seed starts from a copy of the session's parse (see the module). As in
    a pipeline build (orchestration.transform.dbt_build_args), dbt writes no JSON artifacts and
    no debug log (about 2 s a build of the sample) unless ``write_json`` asks for the artifacts."""
    from dbt.cli.main import dbtRunner

    runner = (
        dbtRunner(manifest=parsed_manifest(_vars_of(args)).deepcopy())
        if args and args[0] in RUNS_A_MANIFEST
        else dbtRunner()
    )
    home = {} if home_root is None else {"PIDC_HOME": str(home_root)}
    try:
        with scoped_environ(home):
            lean = ["--log-level-file", "info", *([] if write_json else ["--no-write-json"])]
            return runner.invoke([*args, *_common(target_path), *lean])
    finally:
        _release_warehouse()


def _release_warehouse() -> None:
    """Close the warehouse dbt kept open (``keep_open: true`` in profiles.yml).

    A dbt process releases the file when it ends; this process goes on, and the test's next
    step (or the next test's dbt run on another home) must find the file closed. dbt-duckdb keeps
    its one open database on the connection manager; its ``close_all_connections`` only forgets
    it, so it is closed here first.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager

    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()
        manager.close_all_connections()
