"""The `pidc` command line: template, validate (dry run with exit codes), ingest."""

from __future__ import annotations

import json

from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from cli.main import app
from pidc.contract import load_contract

runner = CliRunner()
HEADER = "member,period,port,nationality,reason,count\n"


def test_template_command_writes_the_contract_workbook(tmp_path):
    out = tmp_path / "fji.xlsx"
    result = runner.invoke(
        app, ["template", "--member", "fji", "--period", "Oct-2026", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    sheets = CalamineWorkbook.from_path(str(out)).sheet_names
    assert {"Instructions", "Return", *load_contract().dataset_names, "observations"} <= set(sheets)


def test_template_command_refuses_a_bad_month(tmp_path):
    result = runner.invoke(app, ["template", "--member", "FJI", "--period", "13/2026"])
    assert result.exit_code == 2


def test_validate_is_a_dry_run_with_a_verdict_exit_code(tmp_path):
    home = tmp_path / "home"
    good = tmp_path / "FJI_refusals_2026-09.csv"
    good.write_text(HEADER + "FJI,2026-09,FJNAN,Chinese,C,3\n")
    result = runner.invoke(app, ["validate", str(good), "--member", "FJI", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "Verdict: ACCEPTED" in result.output
    bad = tmp_path / "FJI_refusals_2026-08.csv"
    bad.write_text(HEADER + "FJI,2026-08,FJNAN,Fijji,C,3\n")
    result = runner.invoke(
        app, ["validate", str(bad), "--member", "FJI", "--format", "json", "--home", str(home)]
    )
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["verdict"] == "rejected"
    assert report["problems"][0]["value"] == "Fijji"
    assert not (home / "warehouse.duckdb").exists()  # nothing loaded


def test_ingest_folder_reports_each_outcome(tmp_path):
    home = tmp_path / "home"
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "FJI_refusals_2026-09.csv").write_text(HEADER + "FJI,2026-09,FJNAN,CHN,C,3\n")
    (folder / "FJI_refusals_2026-08.csv").write_text(HEADER + "FJI,2026-08,FJNAN,Fijji,C,3\n")
    result = runner.invoke(app, ["ingest", str(folder), "--member", "FJI", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "1 accepted, 1 rejected, 0 duplicate" in result.output
    assert "rejected FJI_refusals_2026-08.csv" in result.output
    again = runner.invoke(app, ["ingest", str(folder), "--member", "FJI", "--home", str(home)])
    assert "0 accepted, 0 rejected, 2 duplicate" in again.output


def test_run_stops_at_once_when_the_dashboard_port_is_taken(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["run", "--home", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 2
    assert f"Port {port} is already in use" in result.output
    assert f"make run PORT={port + 1}" in result.output
    assert not any((tmp_path / "landing").rglob("*.*"))  # nothing generated, nothing run
