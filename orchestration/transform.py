"""Transform: the dbt project (staging -> intermediate -> marts, seeds, tests) as Dagster assets.

The dbt project and its ``@dbt_assets`` come from cached factories, so importing this module never
runs dbt; the manifest is made by ``dbt parse`` the first time the definitions are built, only
when it is missing (or on every load under ``dagster dev``, so edits show up).
"""

import contextvars
import filecmp
import importlib.metadata
import json
import logging
import os
import re
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.core.dbt_cli_invocation import PARTIAL_PARSE_FILE_NAME
from dagster_dbt.core.dbt_event_iterator import DbtEventIterator
from dagster_dbt.errors import DagsterDbtCliRuntimeError
from packaging import version
from pydantic import Field

from orchestration.automation import after_intake_condition
from orchestration.dbt_client import real_dbt
from orchestration.partitions import month_window_vars
from orchestration.resources import (
    TRANSIENT_RETRY_POLICY,
    WAREHOUSE_POOL,
    HomeResource,
    stopped_for_good,
)
from orchestration.seeds import (
    SEEDS_LEFT_OUT,
    loaded_every_seed,
    nodes_left_out,
    record_loaded_seeds,
    seed_fingerprints,
    seeds_already_loaded,
)
from pidc.settings import DBT_PROJECT_DIR, Home, home

DBT_ASSETS_NAME = "dbt_models"
# The dbt beside this Python (the project's venv), so nothing depends on PATH being activated.
DBT_EXECUTABLE = real_dbt()
RAW_SOURCE_PREFIX = "raw"
SEED_GROUP = "seeds"


class PythonModelLineageFilter(logging.Filter):
    """Drop dagster-dbt's warning that a Python model's column lineage could not be built.

    ``fetch_column_metadata()`` parses every built model's code as SQL (sqlglot) to derive
    column lineage. The two Python models (the disclosure suppression and its audit) are not SQL,
    so each build logged a 40-line traceback per model to the terminal, which looks like a failure
    and is not one: those models simply have no SQL lineage. Every other warning passes.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            message.startswith("An error occurred while building column lineage metadata")
            and ".py`" in message.split("\n", 1)[0]
        )


# dagster-dbt logs through Dagster's built-in logger (dagster.get_dagster_logger()).
logging.getLogger("dagster.builtin").addFilter(PythonModelLineageFilter())


def column_lineage_wanted() -> bool:
    """Whether each dbt build also gives Dagster the column lineage of every model.

    dagster-dbt works it out by parsing each model's SQL with sqlglot after the build: about
    10 s of every build on this project (a sixth of a new month's run on a 2-core machine), for
    a view of the Dagster UI. So it is off unless ``PIDC_COLUMN_LINEAGE=1``; the columns and
    their types (``dagster/column_schema``) are always given, and dbt's own docs (``make docs``)
    show the lineage between models.
    """
    return os.environ.get("PIDC_COLUMN_LINEAGE", "").strip().lower() in {"1", "true", "yes"}


class DbtProjectNotReadyError(RuntimeError):
    """The dbt project is missing or ``dbt parse`` failed, so there is no manifest to load."""


class DbtBuildConfig(dg.Config):
    """Options for one dbt build run."""

    full_refresh: bool = Field(
        default=False, description="Rebuild incremental models and changed seeds from scratch."
    )
    first_month: str | None = Field(
        default=None,
        description="With last_month (YYYY-MM): also rebuild every member-month of this window "
        "(a backfill, e.g. after a mapping seed changed for those months).",
    )
    last_month: str | None = Field(default=None, description="Last month of the window (YYYY-MM).")
    full_checks: bool = Field(
        default=False,
        description="Data tests read every row of the large incremental models, not only the "
        "rows built since their tests last passed (the nightly build; "
        "dbt_project/macros/checked_builds.sql).",
    )

    def may_leave_out_seeds(self) -> bool:
        """False for the builds that load the seeds whatever the warehouse records: the nightly
        build (full checks, which also catch a seed table changed by hand) and a full refresh
        (orchestration/seeds.py)."""
        return not (self.full_refresh or self.full_checks)

    def dbt_vars(self) -> dict[str, Any]:
        """The window and the full checks as dbt ``--vars`` (empty without either)."""
        found: dict[str, Any] = {FULL_CHECKS_VAR: True} if self.full_checks else {}
        if self.first_month or self.last_month:
            found |= month_window_vars(
                self.first_month or self.last_month, self.last_month or self.first_month
            )
        return found


# The dbt var (dbt_project.yml) that makes the tests of the large incremental models read every row.
FULL_CHECKS_VAR = "pidc_full_checks"


# Messages of failures that go away on their own: another process holds DuckDB's file lock
# (a dashboard opening the wrong file, a second writer outside the pool), or the disk hiccuped.
_TRANSIENT_DBT_ERRORS = re.compile(
    r"could not set lock on file|conflicting lock is held|database is locked|"
    r"resource temporarily unavailable|no space left on device",
    re.IGNORECASE,
)


# What a pipeline build leaves out (see dbt_build_args).
PIPELINE_BUILD_EXCLUDES = ("--exclude-resource-type", "unit_test")
# What a pipeline build does not write, unless DBT_DEBUG_VARIABLE is set (see dbt_build_args).
LEAN_BUILD_OUTPUT = ("--no-write-json", "--log-level-file", "info")
# `1` makes pipeline builds write dbt's debug log and its JSON artifacts (docs/orchestration.md).
DBT_DEBUG_VARIABLE = "PIDC_DBT_DEBUG"


def dbt_debug_wanted() -> bool:
    """Whether pipeline builds write everything dbt can (``PIDC_DBT_DEBUG=1``)."""
    return os.environ.get(DBT_DEBUG_VARIABLE, "").strip().lower() in {"1", "true", "yes"}


def dbt_build_args(
    full_refresh: bool = False,
    dbt_vars: Mapping[str, str] | None = None,
    *,
    seeds_left_out: bool = False,
    debug: bool | None = None,
) -> list[str]:
    """The dbt command for a pipeline run: ``build`` runs seeds, models and data tests in DAG
    order.

    dbt's unit tests are left out: they check the SQL's logic on fixed inputs, not the data, so
    they pass or fail with the code, not with a month's returns. They run where the code changes
    (`make test`, CI, ``dbt test --select test_type:unit``), as dbt advises, instead of costing
    every scheduled build 19 nodes (docs/operations.md).

    Nor does a build write dbt's JSON artifacts (``manifest.json``, ``run_results.json``) or a
    debug-level ``dbt.log`` into its own folder: at 36 months they cost 2 s of a 23 s build
    (docs/benchmarks.md) and 15 MB of log per build, and nothing reads them. The build's folder
    keeps its compiled SQL and an info-level ``dbt.log`` (every node's result, time and error,
    as JSON lines); each node's result also reaches Dagster's events and the run's log.
    ``PIDC_DBT_DEBUG=1`` writes everything, for a build being debugged (``debug``).

    ``--full-refresh`` rebuilds incremental models and reloads seeds whose columns changed;
    ``dbt_vars`` (a window of months to rebuild) go to ``--vars`` as JSON; ``seeds_left_out``:
    the warehouse already holds the seeds as they are (orchestration/seeds.py).
    """
    if debug is None:
        debug = dbt_debug_wanted()
    args = [
        "build",
        *(() if debug else LEAN_BUILD_OUTPUT),
        *PIPELINE_BUILD_EXCLUDES,
        *(SEEDS_LEFT_OUT if seeds_left_out else ()),
        *(["--full-refresh"] if full_refresh else []),
    ]
    if dbt_vars:
        args += ["--vars", json.dumps(dict(dbt_vars), sort_keys=True)]
    return args


def is_transient_dbt_failure(message: str) -> bool:
    """True when a dbt failure is worth retrying (a file lock, a full disk), not a failed test.

    A failing data test or a SQL error fails the same way on every retry, so it is not retried.
    """
    return bool(_TRANSIENT_DBT_ERRORS.search(message))


def dbt_env(platform_home: Home) -> dict[str, str]:
    """Environment variables that ``dbt_project/profiles.yml`` reads to find the warehouse (and
    plain log lines: dbt's output ends up in log files, not only on a terminal)."""
    return {
        "PIDC_HOME": str(platform_home.root),
        "PIDC_WAREHOUSE": str(platform_home.warehouse),
        "DBT_USE_COLORS": "false",
    }


@contextmanager
def scoped_environ(values: Mapping[str, str], *, override: bool = True) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore the old ones.

    dbt runs as a subprocess that inherits this process's environment, and its profile reads the
    warehouse path from there; this is how a run for a given home folder reaches dbt.
    """
    previous = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if override or name not in os.environ:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _group_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text) or "transform"


class PidcDbtTranslator(DagsterDbtTranslator):
    """Groups follow the dbt folder (staging, intermediate, marts); sources are raw assets.

    A source's asset key comes from its ``meta.dagster.asset_key`` (``["raw", <table>]``); a
    source without one is still bound to ``raw/<table>`` so lineage from intake never breaks.
    """

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        """The dbt default, except that sources without an explicit key become ``raw/<table>``."""
        meta = dbt_resource_props.get("config", {}).get("meta") or dbt_resource_props.get("meta")
        has_explicit_key = bool((meta or {}).get("dagster", {}).get("asset_key"))
        if dbt_resource_props["resource_type"] == "source" and not has_explicit_key:
            return dg.AssetKey([RAW_SOURCE_PREFIX, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """``seeds`` for seeds, else the model's top folder under ``models/``."""
        if dbt_resource_props["resource_type"] == "seed":
            return SEED_GROUP
        fqn = dbt_resource_props.get("fqn", [])
        return _group_name(fqn[1]) if len(fqn) > 2 else "transform"

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        """Every model and seed rebuilds by itself after its parents update (see
        ``orchestration.automation``); sources are the raw tables intake fills."""
        if dbt_resource_props["resource_type"] == "source":
            return None
        return after_intake_condition()


def dbt_executable() -> str:
    """Path of the dbt command: the venv's, else the one on PATH."""
    if Path(DBT_EXECUTABLE).exists():
        return DBT_EXECUTABLE
    return shutil.which("dbt") or "dbt"


class PidcDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, told dbt's version instead of asking ``dbt --version``.

    dagster-dbt runs ``dbt --version`` once per resource to tell dbt-core from dbt Fusion, and
    that command asks pypi.org for the latest releases of dbt-core and every adapter: a request
    to the internet in every pipeline run (the platform runs offline), up to a second's timeout
    each where there is no link, and a process that imports dbt (2-5 s). The dbt this resource
    runs is the one installed beside this Python (``dbt_executable``), so its version is the
    installed dbt-core's.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        # dagster-dbt opens dbt's adapter in this process only to read back what dbt built
        # (the models' columns); a command that reads nothing back starts dbt without it.
        if not _ADAPTER_WANTED.get():
            return None
        return super()._initialize_dbt_core_adapter(args)


# Whether dbt commands started here open dbt's adapter in this process (see without_adapter).
_ADAPTER_WANTED = contextvars.ContextVar("pidc_dbt_adapter_wanted", default=True)


@contextmanager
def without_adapter(skip: bool = True) -> Iterator[None]:
    """dbt commands started inside run without dagster-dbt's in-process adapter (``skip``).

    Opening it loads dbt's profile, project and macros in this process: 2.8-3.7 s on a 2-core
    machine, before dbt's own process starts. It serves only to read back what dbt built; a
    ``dbt parse``, or a build whose columns nobody keeps, does without it.
    """
    token = _ADAPTER_WANTED.set(not skip)
    try:
        yield
    finally:
        _ADAPTER_WANTED.reset(token)


def warm_dbt_executable() -> str:
    """``pidc-dbt`` beside this Python (:mod:`orchestration.dbt_client`): dbt's command line,
    run by this process's warm dbt when one runs (:mod:`orchestration.warm_dbt`), else the
    installed dbt; the installed dbt where ``pidc-dbt`` is missing (the platform not installed)."""
    client = Path(sys.executable).with_name("pidc-dbt")
    return str(client) if client.exists() else dbt_executable()


def dbt_cli(project: DbtProject) -> DbtCliResource:
    """The dbt CLI resource for ``project``: the project's own dbt, warm when it can be."""
    return PidcDbtCliResource(project_dir=project, dbt_executable=warm_dbt_executable())


def read_to_the_end(events: Iterator[Any]) -> Iterator[Any]:
    """Every event of ``events`` read now, in this thread; then given back in their order, and
    an error the stream raised raised again after them (where it came).

    With DuckDB, dagster-dbt's ``fetch_column_metadata()`` must wait for dbt to finish (to open
    the warehouse after dbt let go of it). It waits in a worker thread, and meanwhile Dagster's
    ``imap`` loops on ``future.done()`` without pausing: one core of two spent for the whole
    build (9.8 million calls in a pipeline on an empty landing folder), taken from dbt. Read here,
    the wait is a blocking read of dbt's output; the metadata step then starts with every event.
    """
    collected: list[Any] = []
    try:
        for event in events:
            collected.append(event)
    except Exception as error:  # raised again below, after the events that came before it
        failure = error

        def replay() -> Iterator[Any]:
            yield from collected
            raise failure

        return replay()
    return iter(collected)


def dbt_target_path() -> Path:
    """Where dbt writes its manifest, partial parsing and each run's folder.

    dbt's own ``DBT_TARGET_PATH`` (relative to the project folder, or absolute), else ``target``.
    Two pipelines sharing one checkout (two homes on one server, the test workers of
    ``make test``) each set their own, so neither rewrites the manifest the other is reading.
    """
    return Path(os.environ.get("DBT_TARGET_PATH") or "target")


def dbt_project_for(project_dir: Path) -> DbtProject:
    """dagster-dbt's view of the project at ``project_dir``, with the target folder above."""
    return DbtProject(project_dir=project_dir, target_path=dbt_target_path())


def parse_dbt_project(project_dir: Path = DBT_PROJECT_DIR) -> DbtProject:
    """Run ``dbt parse`` now and return the project; its manifest is then current.

    Raises ``DbtProjectNotReadyError`` with the command to run when the project cannot be parsed.
    """
    project_dir = Path(project_dir)
    if not (project_dir / "dbt_project.yml").exists():
        raise DbtProjectNotReadyError(
            f"No dbt project at {project_dir} (dbt_project.yml is missing). The transform step "
            "needs the dbt project; check out the full repository."
        )
    project = dbt_project_for(project_dir)
    try:
        # The profile reads the warehouse path from the environment; parsing does not open the
        # database, but the variables must exist, so fall back to the default home folder.
        with scoped_environ(dbt_env(home()), override=False), without_adapter():
            # dagster-dbt's own preparer looks for `dbt` on PATH; use the venv's dbt instead.
            dbt_cli(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    except Exception as error:
        raise DbtProjectNotReadyError(
            f"`dbt parse` failed for {project_dir}: {error}. Run `.venv/bin/dbt parse "
            f"--project-dir {project_dir} --profiles-dir {project_dir}` to see the full error."
        ) from error
    if not project.manifest_path.exists():
        raise DbtProjectNotReadyError(
            f"dbt parse ran but wrote no manifest at {project.manifest_path}."
        )
    pidc_dbt_project.cache_clear()
    build_dbt_assets.cache_clear()
    return project


# Folders dbt writes into; their files never make a manifest stale.
_GENERATED_FOLDERS = {"target", "logs", "dbt_packages"}


def manifest_is_current(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    """True when the project's manifest is newer than every source file of the project.

    Parsing costs seconds on every run; it is only needed after models, YAML, macros, seeds or
    settings changed.
    """
    project_dir = Path(project_dir)
    manifest = dbt_project_for(project_dir).manifest_path
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    target = dbt_target_path()
    generated = _GENERATED_FOLDERS | ({target.parts[0]} if not target.is_absolute() else set())
    for path in project_dir.rglob("*"):
        relative = path.relative_to(project_dir)
        if relative.parts and relative.parts[0] in generated:
            continue
        if path.is_file() and path.stat().st_mtime > built:
            return False
    return True


@cache
def pidc_dbt_project(project_dir: Path = DBT_PROJECT_DIR) -> DbtProject:
    """The dbt project, with a manifest: parsed now if missing (or always under ``dagster dev``,
    like ``DbtProject.prepare_if_dev``, so model edits show up on reload).
    """
    project = dbt_project_for(Path(project_dir)) if Path(project_dir).is_dir() else None
    if (
        project is None
        or project.preparer.using_dagster_dev()
        or not project.manifest_path.exists()
    ):
        project = parse_dbt_project(project_dir)
    return project


@cache
def build_dbt_assets(project_dir: Path = DBT_PROJECT_DIR) -> dg.AssetsDefinition:
    """Every seed, model and test of the dbt project as one Dagster multi-asset."""
    project = pidc_dbt_project(project_dir)
    # Read once, for the assets and for each build's seeds (orchestration/seeds.py).
    manifest = json.loads(project.manifest_path.read_text(encoding="utf-8"))

    @dbt_assets(
        manifest=manifest,
        project=project,
        name=DBT_ASSETS_NAME,
        dagster_dbt_translator=PidcDbtTranslator(),
        pool=WAREHOUSE_POOL,
        retry_policy=TRANSIENT_RETRY_POLICY,
    )
    def dbt_models(
        context: dg.AssetExecutionContext,
        config: DbtBuildConfig,
        dbt: DbtCliResource,
        home: HomeResource,
    ):
        dbt_vars = config.dbt_vars()
        if dbt_vars:
            context.log.info(f"dbt build with the vars {dbt_vars}")
        warehouse = home.get_home().warehouse
        fingerprints = seed_fingerprints(manifest, Path(project.project_dir))
        # Seeds are loaded when they changed (orchestration/seeds.py); a run of a subset of the
        # assets keeps dagster-dbt's own selection.
        seeds_left_out = (
            config.may_leave_out_seeds()
            and not context.is_subset
            and seeds_already_loaded(warehouse, fingerprints, manifest)
        )
        if seeds_left_out:
            context.log.info(
                "The seeds are unchanged since the last build that loaded them: not loaded again."
            )
        # The models' columns (dagster/column_schema) are read back after the build for the
        # Dagster instance to keep. An ephemeral instance (run_pipeline: `pidc pipeline`,
        # `make run`) keeps none of its events once the run ends (the run log takes their
        # messages only), so such a run does not read them: no adapter opened in this
        # process (about 3.7 s) and no query per model after the build.
        columns_kept = not context.instance.is_ephemeral
        # The environment is read when dbt's subprocess starts, i.e. inside cli().
        with scoped_environ(dbt_env(home.get_home())), without_adapter(not columns_kept):
            invocation = dbt.cli(
                dbt_build_args(config.full_refresh, dbt_vars, seeds_left_out=seeds_left_out),
                context=context,
            )
        from orchestration import progress

        # One step per model, seed, snapshot and data test the build selects.
        nodes = set(manifest.get("nodes", {}))
        if seeds_left_out:
            nodes -= nodes_left_out(manifest)
        progress.current.start("dbt build", len(nodes) or None)

        built: set[str] = set()  # the nodes dbt built or loaded (for the seeds' record)

        def counted(events: Iterator[Any]) -> Iterator[Any]:
            # Counted as dbt reports them: with DuckDB, fetch_column_metadata() first waits for
            # dbt to finish (to open the warehouse after dbt let go of it), then adds columns.
            for event in events:
                progress.current.advance()
                node = built_node(event)
                if node:
                    built.add(node)
                yield event

        passed = False
        try:
            with stopped_for_good():
                if columns_kept:
                    yield from DbtEventIterator(
                        read_to_the_end(counted(invocation.stream())),
                        dbt_cli_invocation=invocation,
                    ).fetch_column_metadata(with_column_lineage=column_lineage_wanted())
                else:
                    yield from counted(invocation.stream())
            progress.current.finish("dbt build", "models built and tested")
            passed = True
        except DagsterDbtCliRuntimeError as error:
            if is_transient_dbt_failure(str(error)):
                raise  # the retry policy tries again after an exponential back-off
            # A failed test or model fails identically on a retry: fail now, visibly.
            raise dg.Failure(description=str(error), allow_retries=False) from error
        finally:
            release_warehouse(invocation)
            if passed and not seeds_left_out:
                # Only after a build that passed (one that failed anywhere may have loaded seeds
                # whose tests did not run or did not pass) and loaded every seed (a subset of the
                # assets may load none). Without a record, the next build loads them again: a
                # failure here costs that, never the build.
                try:
                    if loaded_every_seed(built, fingerprints):
                        record_loaded_seeds(warehouse, fingerprints)
                except (duckdb.Error, OSError) as error:
                    context.log.warning(f"The seeds loaded were not recorded ({error}).")
            keep_partial_parsing(Path(invocation.target_path))
            prune_run_targets(Path(invocation.target_path).parent)

    return dbt_models


def built_node(event: Any) -> str | None:
    """The dbt node (``unique_id``) a dagster-dbt event says was built or loaded, else None.

    dagster-dbt gives a model, seed or snapshot an ``Output`` (an ``AssetMaterialization``
    outside an asset) only when dbt reports it a success, with the node in its metadata."""
    if not isinstance(event, dg.Output | dg.AssetMaterialization):
        return None
    value = (event.metadata or {}).get("unique_id")
    value = getattr(value, "value", value)
    return value if isinstance(value, str) else None


def release_warehouse(invocation: Any) -> None:
    """Close the connections dagster-dbt's adapter opened in this process to read columns.

    dbt-duckdb keeps the database open while any of them is (one per thread); left open, the
    next step in this process (``pidc pipeline`` runs every step in one) could not open the
    warehouse read-only, and the next dbt build could not take its write lock.
    """
    adapter = getattr(invocation, "adapter", None)
    if adapter is None:
        return
    adapter.cleanup_connections()
    # dbt-duckdb shares one database handle per process (its "environment") and keeps it open
    # after the last connection closed; close it, and let the next use open a fresh one.
    manager = type(adapter.connections)
    environment = getattr(manager, "_ENV", None)
    if environment is not None:
        environment.close()
    if hasattr(manager, "close_all_connections"):
        manager.close_all_connections()


RUN_TARGET_PREFIX = f"{DBT_ASSETS_NAME}-"
RUN_TARGETS_KEPT = 5


def keep_partial_parsing(run_target: Path) -> bool:
    """Keep the parse state a build wrote in its own folder as the project's, for the next build.

    dagster-dbt starts every build from a copy of ``<target>/partial_parse.msgpack`` in the
    build's own folder, and dbt writes its new state there, which is then pruned. dbt parses
    the whole project again (6-9 s here) when that state was saved under another profile, and
    the profile includes the warehouse path, i.e. the home: after ``dbt parse`` for another home
    (a test, a benchmark, a second home on one checkout) every later build parsed everything
    again, for good. Keeping the state the build saved makes the next build in this home parse
    only what changed. dbt compares each file's checksum with the state, so keeping a newer
    state is always safe; it replaces the old one in one step (no reader sees half a file).
    Returns whether the state was kept (False when dbt left it as it found it, or when
    ``run_target`` is not a build's own folder).
    """
    fresh = run_target / PARTIAL_PARSE_FILE_NAME
    kept = run_target.parent / PARTIAL_PARSE_FILE_NAME
    if not run_target.name.startswith(RUN_TARGET_PREFIX) or not fresh.is_file():
        return False
    if kept.is_file() and filecmp.cmp(fresh, kept, shallow=False):
        return False
    staged = kept.with_name(f".{PARTIAL_PARSE_FILE_NAME}.{os.getpid()}")
    shutil.copyfile(fresh, staged)
    os.replace(staged, kept)
    return True


def prune_run_targets(target_root: Path, keep: int = RUN_TARGETS_KEPT) -> list[Path]:
    """Remove all but the ``keep`` newest per-run dbt target folders; return those removed.

    dagster-dbt gives every build its own target folder (``target/dbt_models-<run>-<id>``, about
    25 MB: manifest, compiled SQL, dbt.log). Nothing reads them after the run, so on a platform
    that builds every night they would fill the disk; the newest few stay for debugging. Only
    folders with that prefix are touched: ``target/manifest.json`` and partial parsing stay.
    """
    runs = sorted(
        (path for path in target_root.glob(f"{RUN_TARGET_PREFIX}*") if path.is_dir()),
        key=lambda path: path.stat().st_mtime_ns,
        reverse=True,
    )
    removed = runs[keep:]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def group_asset_keys(assets_def: dg.AssetsDefinition, group: str) -> list[dg.AssetKey]:
    """Keys of the assets in ``assets_def`` that belong to ``group`` (e.g. the marts)."""
    return sorted(
        (key for key, name in assets_def.group_names_by_key.items() if name == group),
        key=lambda key: key.to_user_string(),
    )


def transform_definitions(project_dir: Path = DBT_PROJECT_DIR) -> dg.Definitions:
    """The dbt assets with their asset checks and the dbt CLI resource."""
    project = pidc_dbt_project(project_dir)
    return dg.Definitions(
        assets=[build_dbt_assets(project_dir)],
        resources={"dbt": dbt_cli(project)},
    )
