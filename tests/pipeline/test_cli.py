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


def test_validate_speaks_french_with_lang_fr(tmp_path, monkeypatch):
    """`pidc --lang fr validate` (issue 16): the report's own words in French, the figures and
    the verdict's meaning unchanged; the language ends with the run."""
    from pidc import i18n

    monkeypatch.delenv("PIDC_LANG", raising=False)
    home = tmp_path / "home"
    bad = tmp_path / "FJI_refusals_2026-08.csv"
    bad.write_text(HEADER + "FJI,2026-08,FJNAN,Fijji,C,3\n")
    args = ["validate", str(bad), "--member", "FJI", "--home", str(home)]
    result = runner.invoke(app, ["--lang", "fr", *args])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("# Rapport de validation : FJI")
    assert "**Verdict : REJETÉE**" in result.output
    assert "## Erreurs (à corriger)" in result.output
    assert "| où | valeur | ce qui ne va pas | comment corriger |" in result.output
    assert "Fijji" in result.output
    assert i18n.get_language() == "en"
    # PIDC_LANG is the default; --lang wins over it
    monkeypatch.setenv("PIDC_LANG", "fr")
    assert "Rapport de validation" in runner.invoke(app, args).output
    assert "Validation report" in runner.invoke(app, ["--lang", "en", *args]).output


def test_help_speaks_french_with_lang_fr():
    result = runner.invoke(app, ["--lang", "fr", "--help"])
    assert result.exit_code == 0, result.output
    assert "Plateforme régionale de données frontalières du PIDC." in result.output
    assert "Essai à blanc" in result.output  # validate's help, in the command list
    result = runner.invoke(app, ["--lang", "fr", "validate", "--help"])
    assert "Membre déclarant, par ex. FJI." in result.output
    assert "Submitting member" in runner.invoke(app, ["validate", "--help"]).output


def test_validate_in_french_says_what_is_wrong_in_french(tmp_path, monkeypatch):
    """The problems themselves (not only the headings) are French; the value quoted is not."""
    monkeypatch.delenv("PIDC_LANG", raising=False)
    bad = tmp_path / "FJI_refusals_2026-08.csv"
    bad.write_text(HEADER + "FJI,2026-08,FJNAN,Fijji,C,-3\n")
    args = ["validate", str(bad), "--member", "FJI", "--home", str(tmp_path / "home")]
    english = runner.invoke(app, args).output
    french = runner.invoke(app, ["--lang", "fr", *args]).output
    assert "is not a country, nationality or country group" in english
    assert "is negative" in english
    assert "n’est pas un pays, une nationalité ou un groupe de pays" in french
    assert "est négatif" in french
    assert "is not a country" not in french and "is negative" not in french
    assert "'Fijji'" in english and "'Fijji'" in french
    # The JSON keeps readable English and the template, whatever the language.
    document = json.loads(runner.invoke(app, ["--lang", "fr", *args, "--format", "json"]).output)
    [fijji] = [p for p in document["problems"] if p["value"] == "Fijji"]
    assert fijji["message"].startswith("'Fijji' is not a country")
    assert fijji["message_template"] == "{value} is not {what}; it was not guessed."


def test_ingest_in_french_lists_outcomes_and_counts_in_french(tmp_path, monkeypatch):
    monkeypatch.delenv("PIDC_LANG", raising=False)
    home = tmp_path / "home"
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "FJI_refusals_2026-09.csv").write_text(HEADER + "FJI,2026-09,FJNAN,CHN,C,3\n")
    (folder / "FJI_refusals_2026-08.csv").write_text(HEADER + "FJI,2026-08,FJNAN,Fijji,C,3\n")
    args = ["ingest", str(folder), "--member", "FJI", "--home", str(home)]
    result = runner.invoke(app, ["--lang", "fr", *args])
    assert result.exit_code == 0, result.output
    assert "1 acceptée, 1 rejetée, 0 doublon" in result.output
    assert "rejetée FJI_refusals_2026-08.csv" in result.output
    # The rejected file's summary is rendered again in French from its report.json (the
    # console wraps long lines).
    said = " ".join(result.output.split())
    assert "1 ligne lue, 1 erreur, 0 avertissement" in said
    assert "n’est pas un pays" in said
    assert "rapport :" in said
    report = next((home / "reports").glob("*/report.md")).read_text(encoding="utf-8")
    assert report.startswith("# Rapport de validation")
    again = runner.invoke(app, ["--lang", "fr", *args])
    assert "0 acceptée, 0 rejetée, 2 doublons" in again.output


def test_withdraw_errors_in_french(tmp_path, monkeypatch):
    monkeypatch.delenv("PIDC_LANG", raising=False)
    home = tmp_path / "home"
    args = ["withdraw", "nope", "--reason", "test", "--home", str(home)]
    result = runner.invoke(app, ["--lang", "fr", *args])
    assert result.exit_code == 2
    assert "Aucun entrepôt de données à" in result.output and "rien n’est chargé" in result.output
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "FJI_refusals_2026-09.csv").write_text(
        HEADER + "FJI,2026-09,FJNAN,CHN,C,3\n"
    )
    runner.invoke(app, ["ingest", str(tmp_path / "one"), "--member", "FJI", "--home", str(home)])
    result = runner.invoke(app, ["--lang", "fr", *args])
    assert result.exit_code == 1
    assert "Non retirée" in result.output
    assert "Il n’y a pas de soumission 'nope' dans le registre." in result.output
    assert "There is no submission" in runner.invoke(app, args).output


def test_every_help_screen_is_french_down_to_the_help_option(monkeypatch):
    monkeypatch.delenv("PIDC_LANG", raising=False)
    french = " ".join(runner.invoke(app, ["--lang", "fr", "--help"]).output.split())
    assert "Commandes" in french and "Afficher ce message et quitter." in french
    for command in (["ingest"], ["withdraw"], ["sample"], ["layout", "check"], ["pipeline"]):
        said = " ".join(runner.invoke(app, ["--lang", "fr", *command, "--help"]).output.split())
        assert "Afficher ce message et quitter." in said, command
        assert "Show this message" not in said, command
    said = " ".join(runner.invoke(app, ["--lang", "fr", "withdraw", "--help"]).output.split())
    assert "Motif du retrait ; consigné dans le registre." in said
    assert "[obligatoire]" in said
    # The next run in English has its own words back (Typer's settings are set on each run).
    english = " ".join(runner.invoke(app, ["withdraw", "--help"]).output.split())
    assert "[required]" in english and "Show this message and exit." in english
