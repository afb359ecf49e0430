"""``pidc``: the platform's command line for officers, engineers and the README's quick start."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from app.accounts import users_app
from pidc import i18n
from pidc.i18n import N_, _, ngettext
from pidc.settings import PROJECT_ROOT, home


def _language_in(args: list[str]) -> str | None:
    """The value of ``--lang`` in ``args`` (``--lang fr`` or ``--lang=fr``), if any."""
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if arg == "--lang" and index + 1 < len(args):
            return args[index + 1]
    return None


def _translate_help(command: click.Command) -> None:
    """Every help text of ``command`` and its subcommands, in the current language.

    The texts are written in English (marked with ``N_`` for extraction); Typer builds fresh
    click commands on each run, so translating them in place changes nothing for the next run.
    """
    for name in ("help", "short_help", "epilog"):
        text = getattr(command, name, None)
        if text:
            setattr(command, name, _(text))
    for param in command.params:
        if getattr(param, "help", None):
            param.help = _(param.help)
    # The --help option click adds to every command says what it does in our words too.
    make_help_option = command.get_help_option

    def get_help_option(ctx, make=make_help_option):
        option = make(ctx)
        if option is not None:
            option.help = _(HELP_OPTION)
        return option

    command.get_help_option = get_help_option
    for sub in getattr(command, "commands", {}).values():
        _translate_help(sub)


# Texts of click and Typer that every help screen shows (their own catalogs are English only).
HELP_OPTION = N_("Show this message and exit.")
REQUIRED = N_("[required]")
COMMANDS = N_("Commands")


def _translate_typer_words() -> None:
    """Typer's panel words in the current language (module settings, set again on each run)."""
    from typer import rich_utils

    rich_utils.REQUIRED_LONG_STRING = _(REQUIRED)
    rich_utils.COMMANDS_PANEL_TITLE = _(COMMANDS)


class TranslatedGroup(TyperGroup):
    """``pidc``: picks the language before anything is parsed, so ``--help`` is translated too."""

    def main(self, args=None, *rest, **options):
        argv = list(sys.argv[1:] if args is None else args)
        code = i18n.normalise(_language_in(argv)) or i18n.language_from_env()
        # The language holds for this run only: the previous one comes back (tests, embedding).
        with i18n.language(code):
            try:
                _translate_help(self)
                _translate_typer_words()
            except KeyboardInterrupt:  # Ctrl+C while starting: stop quietly, as click does
                raise SystemExit(130) from None
            return super().main(args, *rest, **options)


app = typer.Typer(
    cls=TranslatedGroup,
    help=N_("PIDC regional border data platform."),
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


Language = StrEnum("Language", {code: code for code in i18n.SUPPORTED})


@app.callback()
def main(
    lang: Annotated[
        Language | None,
        typer.Option(
            "--lang",
            case_sensitive=False,
            help=N_("Language of messages and reports: en or fr (default: $PIDC_LANG, else en)."),
        ),
    ] = None,
) -> None:
    """Set the language for the whole run (``TranslatedGroup`` has already chosen it)."""
    i18n.set_language(lang or i18n.language_from_env())


# Local dashboard accounts: `pidc users add|remove|list|set-password`.
app.add_typer(users_app, name="users")

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help=N_("Platform home folder (default: $PIDC_HOME or .home).")),
]


@app.command(help=N_("Write realistic sample returns for all members into the landing folder."))
def sample(
    home_dir: HomeOption = None,
    seed: Annotated[int, typer.Option(help=N_("Random seed; same seed, same files."))] = 2026,
    months: Annotated[int, typer.Option(help=N_("Months of history to generate."))] = 36,
    end_period: Annotated[
        str, typer.Option(help=N_("Last month generated (YYYY-MM)."))
    ] = "2026-09",
    scale: Annotated[int, typer.Option(help=N_("Multiplies breakdown rows, for benchmarks."))] = 1,
) -> None:
    from sample_data import generate_samples

    target = home(home_dir).ensure()
    manifest = generate_samples(
        target.landing, seed=seed, months=months, end_period=end_period, scale=scale
    )
    console.print(
        _("wrote {count} sample files into {folder}").format(
            count=i18n.format_count(len(manifest.files)), folder=target.landing
        )
    )


@app.command(help=N_("Write an empty regional template workbook for one member and month."))
def template(
    member: Annotated[str, typer.Option(help=N_("Member code, e.g. FJI."))],
    period: Annotated[str, typer.Option(help=N_("Month of the return, YYYY-MM."))],
    out: Annotated[Path | None, typer.Option(help=N_("Where to write the workbook."))] = None,
    lang: Annotated[
        Language | None,
        typer.Option(
            "--lang",
            case_sensitive=False,
            help=N_("Edition of the template: en or fr (default: the language of the run)."),
        ),
    ] = None,
) -> None:
    from ingestion.parsers.common import PeriodError, parse_period
    from ingestion.template import template_file_name, write_template

    try:
        month = parse_period(period)
    except PeriodError as error:
        console.print(f"[red]{error}[/red]: " + _("write the month as YYYY-MM, e.g. 2026-10"))
        raise typer.Exit(2) from None
    edition = i18n.set_language(lang or i18n.get_language())  # its messages follow the edition
    target = out or Path(template_file_name(member.upper(), month, edition))
    write_template(target, member.upper(), month, language=edition)
    console.print(_("wrote {path}").format(path=target))


@app.command(
    help=N_("Dry run: print the validation report; load nothing. Exit code 0 accepted, 1 rejected.")
)
def validate(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=N_("The return file."))],
    member: Annotated[str | None, typer.Option(help=N_("Submitting member, e.g. FJI."))] = None,
    output: Annotated[str, typer.Option("--format", help=N_("markdown or json"))] = "markdown",
    home_dir: HomeOption = None,
) -> None:
    from ingestion.intake import validate_file

    report = validate_file(file, member.upper() if member else None, home=home(home_dir))
    print(report.to_json() if output == "json" else report.to_markdown())
    raise typer.Exit(0 if report.accepted else 1)


@app.command(
    help=N_(
        "Ingest a file or a folder: load accepted returns, quarantine rejected ones.\n\n"
        "Links are refused unread and hidden and lock files skipped; each is listed."
    )
)
def ingest(
    path: Annotated[
        Path, typer.Argument(exists=True, help=N_("A return file or a folder of them."))
    ],
    member: Annotated[str | None, typer.Option(help=N_("Submitting member, e.g. FJI."))] = None,
    home_dir: HomeOption = None,
) -> None:
    from rich.progress import Progress

    from ingestion.intake import ingest_path
    from ingestion.landing import landing_entries
    from ingestion.report import word
    from ingestion.statuses import FileStatus

    target = home(home_dir)
    total = sum(map(len, landing_entries(path))) if path.is_dir() else 1
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task(_("ingesting"), total=total)
        outcomes = ingest_path(
            path,
            target,
            member=member.upper() if member else None,
            on_file=lambda _: progress.advance(task),
        )
    counts = {status: sum(o.status == status for o in outcomes) for status in FileStatus}
    for outcome in outcomes:
        # A member chose the file name and wrote the values in the message: never markup.
        said = f"{escape(outcome.file_name)}: {escape(_outcome_message(outcome))}"
        if outcome.status == FileStatus.REJECTED:
            console.print(f"[red]{escape(word(outcome.status))}[/red] {said}")
            console.print("  " + escape(_("report: {path}").format(path=outcome.report_path)))
        elif outcome.status in (FileStatus.REFUSED, FileStatus.SKIPPED):
            colour = "red" if outcome.status == FileStatus.REFUSED else "yellow"
            console.print(f"[{colour}]{escape(word(outcome.status))}[/{colour}] {said}")
    # Entries never read (refused, skipped) are counted only when there are any.
    recorded = (FileStatus.ACCEPTED, FileStatus.REJECTED, FileStatus.DUPLICATE)
    shown = {s: n for s, n in counts.items() if n or s in recorded}
    console.print(", ".join(_status_count(status, n) for status, n in shown.items()))
    failed = counts[FileStatus.REJECTED] or counts[FileStatus.REFUSED]
    raise typer.Exit(1 if failed and not path.is_dir() else 0)


def _status_count(status: str, count: int) -> str:
    """``3 accepted``: how many files ended with ``status``, in the current language."""
    forms = {
        "accepted": ngettext("{count} accepted", "{count} accepted", count),
        "rejected": ngettext("{count} rejected", "{count} rejected", count),
        "duplicate": ngettext("{count} duplicate", "{count} duplicate", count),
        "refused": ngettext("{count} refused", "{count} refused", count),
        "skipped": ngettext("{count} skipped", "{count} skipped", count),
    }
    text = forms.get(str(status))
    return text.format(count=count) if text else f"{count} {status}"


@app.command(
    help=N_(
        "Withdraw a loaded submission: its figures leave the next publication "
        "(docs/operations.md).\n\n"
        "Nothing is deleted: the ledger marks it withdrawn and records who, when and why; an "
        "earlier accepted version of the same member, dataset and month, if any, counts again."
    )
)
def withdraw(
    submission_id: Annotated[str, typer.Argument(help=N_("The submission id, from the ledger."))],
    reason: Annotated[str, typer.Option(help=N_("Why it is withdrawn; recorded in the ledger."))],
    by: Annotated[
        str | None,
        typer.Option(help=N_("Who withdraws it; recorded (default: your operating-system user).")),
    ] = None,
    home_dir: HomeOption = None,
) -> None:
    import getpass

    from ingestion.loader import connect
    from ingestion.withdraw import WithdrawalError, withdraw_submission

    target = home(home_dir)
    if not target.warehouse.exists():
        console.print(
            "[red]"
            + escape(_("No warehouse at {path}").format(path=target.warehouse))
            + "[/red]: "
            + escape(_("nothing loaded."))
        )
        raise typer.Exit(2)
    connection = connect(target.warehouse)
    try:
        done = withdraw_submission(
            connection, submission_id, reason=reason, withdrawn_by=by or getpass.getuser()
        )
    except WithdrawalError as error:
        said = _("Not withdrawn")
        console.print(f"[red]{escape(said)}[/red]: {escape(str(error))}")
        raise typer.Exit(1) from None
    finally:
        connection.close()
    console.print(escape(done.summary()))


@app.command(
    help=N_(
        "Ingest the landing folder, build and test the warehouse, publish the serving "
        "database.\n\nShows a progress bar per step; the whole log goes to $PIDC_HOME/logs."
    )
)
def pipeline(
    home_dir: HomeOption = None,
    verbose: Annotated[
        bool, typer.Option(help=N_("Print Dagster's and dbt's whole log here as well."))
    ] = False,
) -> None:
    from ingestion.sandbox import start_workers
    from orchestration.warm_dbt import start_server

    # Intake's file readers, and the process that imports dbt once for every dbt command
    # (orchestration.warm_dbt), start on the other core while Dagster is imported.
    start_workers()
    start_server()
    from orchestration import progress
    from orchestration.runner import PipelineError, run_pipeline

    try:
        # The reports the run writes are in this run's language (PIDC_LANG, read by intake).
        with (
            _language_in_environment(),
            StepProgress() as reporter,
            progress.reporting(reporter),
        ):
            summary = run_pipeline(home(home_dir).ensure(), quiet=not verbose)
    except PipelineError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        console.print(_("The serving database was left as it was."))
        raise typer.Exit(1) from None
    console.print(
        _(
            "published {tables} tables to {path}: {accepted} files accepted, {rejected} "
            "rejected, {duplicate} already received, {rows} rows loaded"
        ).format(
            tables=summary["tables_published"],
            path=summary["published_path"],
            accepted=summary["files_accepted"],
            rejected=summary["files_rejected"],
            duplicate=summary["files_duplicate"],
            rows=i18n.format_count(summary["rows_loaded"]),
        )
        + (
            _("; set aside: {entries}").format(entries=summary["set_aside"])
            if summary.get("set_aside")
            else ""
        )
    )
    if summary["files_rejected"]:
        console.print(
            "  " + _("rejected files and their reports: pidc ingest lists them; see quarantine/")
        )
    console.print("  " + _("whole log: {path}").format(path=summary["log_file"]))


@contextlib.contextmanager
def _language_in_environment():
    """``PIDC_LANG`` set to the run's language within the block (as it was after)."""
    before = os.environ.get(i18n.LANGUAGE_ENV)
    os.environ[i18n.LANGUAGE_ENV] = i18n.get_language()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(i18n.LANGUAGE_ENV, None)
        else:
            os.environ[i18n.LANGUAGE_ENV] = before


def _outcome_message(outcome) -> str:
    """What happened to a file, in the current language: a rejected file's summary is rendered
    again from its report.json (the outcome's message is the ledger's English one)."""
    import json

    from ingestion.report import ValidationReport

    if outcome.report_path is not None:
        document = Path(outcome.report_path).parent / "report.json"
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            report = ValidationReport.from_dict(json.loads(document.read_text(encoding="utf-8")))
            return report.summary_text()
    return outcome.message


class StepProgress:
    """A progress bar per pipeline step (files, models, time left) on the terminal."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn(_("left")),
            TimeRemainingColumn(),
            console=console,
        )
        self.task = None

    def __enter__(self) -> StepProgress:
        self.bar.start()
        return self

    def __exit__(self, *_) -> None:
        self.bar.stop()

    def start(self, step: str, total: int | None = None) -> None:
        self.task = self.bar.add_task(step, total=total)

    def advance(self, amount: int = 1) -> None:
        if self.task is not None:
            self.bar.advance(self.task, amount)

    def finish(self, step: str, summary: str = "") -> None:
        if self.task is not None:
            total = self.bar.tasks[-1].total
            self.bar.update(self.task, completed=total or 1, total=total or 1)
            self.task = None
        if summary:
            self.bar.console.print(f"  {step}: {summary}")


@app.command(help=N_("Start the Streamlit dashboard on the published serving database."))
def dashboard(
    home_dir: HomeOption = None,
    port: Annotated[int, typer.Option(help=N_("Port to serve on."))] = 8501,
    watch_landing: Annotated[
        bool,
        typer.Option(
            "--watch/--no-watch",
            help=N_(
                "Also watch landing and run the pipeline when new files arrive (uploads from "
                "the Submit page included). Leave off when `make dagster` runs the landing sensor."
            ),
        ),
    ] = True,
) -> None:
    environment = {**os.environ, "PIDC_HOME": str(home(home_dir).root)}
    watcher = None
    if watch_landing:
        watcher = subprocess.Popen(  # noqa: S603 - fixed command, the home path from settings
            [sys.executable, "-m", "cli.main", "watch", "--home", str(home(home_dir).root)],
            env=environment,
            cwd=PROJECT_ROOT,
            # Not in the terminal's process group: Ctrl+C stops the dashboard, and this process
            # stops the watcher itself (below), never mid-import with a traceback.
            start_new_session=True,
        )
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "app" / "main.py"),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    # The command is fixed here; only the port (an int) and paths from settings vary.
    try:
        code = subprocess.call(command, env=environment, cwd=PROJECT_ROOT)  # noqa: S603
    finally:
        if watcher is not None:
            watcher.terminate()
            watcher.wait(timeout=30)
    raise typer.Exit(code)


@app.command(
    help=N_(
        "Watch landing and run the pipeline whenever new files arrive (what `make run` starts)."
    )
)
def watch(
    home_dir: HomeOption = None,
    interval: Annotated[int, typer.Option(help=N_("Seconds between looks at landing."))] = 60,
) -> None:
    from orchestration.watcher import watch as watch_landing

    with contextlib.suppress(KeyboardInterrupt):
        watch_landing(home(home_dir).ensure(), interval)


@app.command(
    help=N_(
        "Quick start: sample data (if landing is empty), the pipeline, then the dashboard.\n\n"
        "Run again, it only runs the pipeline when landing holds something new (or a file held "
        "for the Secretariat is due for another read), so a second `make run` serves at once."
    )
)
def run(
    home_dir: HomeOption = None,
    port: Annotated[int, typer.Option(help=N_("Dashboard port."))] = 8501,
    serve: Annotated[bool, typer.Option(help=N_("Start the dashboard at the end."))] = True,
) -> None:
    from ingestion.intake import pending_files

    target = home(home_dir).ensure()
    if serve and not port_is_free(port):
        console.print(
            "[red]"
            + escape(_("Port {port} is already in use").format(port=port))
            + "[/red] "
            + escape(
                _(
                    "(is a dashboard already running?). Stop it, or choose another port: "
                    "make run PORT={next}"
                ).format(next=port + 1)
            )
        )
        raise typer.Exit(2)
    if not any(target.landing.rglob("*.*")):
        sample(home_dir=target.root)
    waiting = pending_files(target)
    if waiting or not target.serving.exists():
        started = dt.datetime.now()
        console.print(
            _("{count} new files in {folder}: running the pipeline").format(
                count=i18n.format_count(waiting), folder=target.landing
            )
        )
        pipeline(home_dir=target.root)
        console.print(
            _("pipeline finished in {seconds} s").format(
                seconds=(dt.datetime.now() - started).seconds
            )
        )
    else:
        console.print(
            _("nothing new in {folder}: serving the data published last time").format(
                folder=target.landing
            )
        )
    if serve:
        console.print(
            _("dashboard on {address} (Ctrl+C to stop)").format(address=f"http://localhost:{port}")
        )
        dashboard(home_dir=target.root, port=port)


def port_is_free(port: int) -> bool:
    """Whether a dashboard could listen on ``port`` on this machine."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("", port))
        except OSError:
            return False
    return True


layout_app = typer.Typer(
    help=N_("Declared layouts: read members' own publications (docs/layouts.md)."),
    no_args_is_help=True,
)
app.add_typer(layout_app, name="layout")


@layout_app.command(
    "check",
    help=N_(
        "Print what the layout would read: tables, months, records, totals, problems. Loads "
        "nothing."
    ),
)
def layout_check(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=N_("The publication."))],
    member: Annotated[str, typer.Option(help=N_("The member whose publication it is, e.g. TON."))],
    layout: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help=N_("A layout file being drafted.")),
    ] = None,
) -> None:
    """Print what the layout would read: tables, months, records, totals, problems. Loads nothing."""
    from ingestion.layout_check import check_layout

    result = check_layout(file, member, layout)
    print(result.to_text())
    raise typer.Exit(0 if result.ok else 1)


@layout_app.command(
    "reference",
    help=N_("Print every layout key with its meaning (Markdown), or write it into a document."),
)
def layout_reference(
    write: Annotated[
        Path | None,
        typer.Option(
            help=N_("Update the key reference between the markers in this Markdown file.")
        ),
    ] = None,
) -> None:
    """Print every layout key with its meaning (Markdown), or write it into a document."""
    from ingestion.layout_schema import schema_reference, with_reference

    if write is None:
        print(schema_reference())
        return
    write.write_text(with_reference(write.read_text(encoding="utf-8")), encoding="utf-8")
    console.print(_("wrote the layout key reference into {path}").format(path=write))


@app.command(help=N_("Regenerate the seeds and docs that come from the data contract."))
def contract() -> None:
    from pidc.contract_outputs import write_generated_files

    for path in write_generated_files():
        console.print(_("wrote {path}").format(path=path.relative_to(PROJECT_ROOT)))


if __name__ == "__main__":
    # `python -m cli.main` (the watcher beside the dashboard): Ctrl+C at any moment, even
    # during imports, stops it without a traceback on the terminal.
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
