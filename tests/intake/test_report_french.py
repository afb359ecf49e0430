"""Validation reports in English and French (issue 16): a problem keeps its English template and
its params, and is rendered in the reader's language whenever the report is shown or written."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from ingestion.intake import ingest_path, validate_file
from ingestion.report import MAX_MESSAGE_CHARS, MAX_VALUE_CHARS, ValidationReport
from pidc import i18n
from pidc.escaping import escape_markdown
from pidc.settings import home as make_home

TODAY = dt.date(2026, 11, 20)
REFUSALS_HEADER = "member,period,port,nationality,reason,count\n"
# A return with one mistake of each kind a member officer makes (see test_intake for the rules).
ERRONEOUS = REFUSALS_HEADER + (
    "FJI,2026-10,FJNAN,Fijji,C,1\n"  # unknown nationality: not guessed, suggestions
    "FJI,2026-10,FJNAN,CHN,Z,1\n"  # reason not in the code list
    "FJI,2026-10,FJNAN,CHN,C,-4\n"  # negative count
    "FJI,2026-10,FJNAN,IND,C,\n"  # blank count
    "FJI,2026-13,FJNAN,IND,B,1\n"  # not a month
    "FJI,2027-01,FJNAN,IND,D,1\n"  # a month that has not ended
    "TON,2026-10,FJNAN,IND,E,1\n"  # another member's figures
    "FJI,2026-10,XXNOPE,IND,F,1\n"  # not one of FJI's ports
    "FJI,2026-10,FJNAN,VNM,G,1\n"
    "FJI,2026-10,FJNAN,Vietnam,G,2\n"  # the same breakdowns twice
)


@pytest.fixture
def home(tmp_path):
    return make_home(tmp_path / "home").ensure()


def land(home, member: str, name: str, text: str):
    folder = home.landing / member
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def rendered(report: ValidationReport, code: str) -> tuple[str, str, list[tuple[str, str]]]:
    """The report's Markdown, HTML and (message, fix) of each problem, in language ``code``."""
    with i18n.language(code):
        return (
            report.to_markdown(),
            report.to_html(),
            [(p.text(), p.fix_text()) for p in report.problems],
        )


def worded_lines(markdown: str) -> set[str]:
    """The lines that say something in words (not blank lines or table rules)."""
    return {line for line in markdown.splitlines() if re.search(r"[A-Za-z]{3}", line)}


@pytest.fixture
def erroneous_report(home):
    path = land(home, "FJI", "FJI_refusals_2026-10.csv", ERRONEOUS)
    return validate_file(path, "FJI", today=TODAY)


def test_french_report_keeps_no_english_sentence_and_quotes_the_same_values(erroneous_report):
    report = erroneous_report
    assert not report.accepted and len(report.errors) >= 8 and report.warnings
    english_md, english_html, english = rendered(report, "en")
    french_md, french_html, french = rendered(report, "fr")
    # Every line that says something differs (headings, verdict, every problem's row).
    assert worded_lines(english_md) and not worded_lines(english_md) & worded_lines(french_md)
    for problem, (message_en, fix_en), (message_fr, fix_fr) in zip(
        report.problems, english, french, strict=True
    ):
        assert message_en == problem.message  # the stored English is the English rendering
        assert message_fr != message_en, message_en
        assert fix_fr != fix_en or not fix_en, fix_en
        # No English sentence is left anywhere in the French report.
        for sentence in filter(None, re.split(r"(?<=[.;:?])\s+", message_en + " " + fix_en)):
            if re.search(r"[a-z]{4} [a-z]{3,}", sentence):
                assert sentence not in french_md and sentence not in french_html, sentence
        # Values quoted from the file are params: identical in both languages.
        for value in problem.params.values():
            if isinstance(value, str) and value.startswith("'"):
                assert value in message_en + fix_en and value in message_fr + fix_fr
        assert problem.value is None or problem.value in french_md.replace("\\", "")
    by_row = {p.row: p for p in report.errors}
    fijji = by_row[2]
    assert fijji.params["value"] == "'Fijji'" and fijji.value == "Fijji"
    with i18n.language("fr"):
        assert fijji.text() == (
            "'Fijji' n’est pas un pays, une nationalité ou un groupe de pays connu de la "
            "plateforme ; aucune correspondance n’a été devinée."
        )
        assert "Vouliez-vous dire FJI (" in fijji.fix_text()
        assert by_row[4].text() == "L’effectif '-4' est négatif."
        [future] = [p for p in report.warnings if p.rule == "reporting_window"]
        assert future.text().startswith("1 valeur pour un mois postérieur à 2026-10 (2027-01)")
        assert "ligne 7" in future.text()
    assert "# Rapport de validation" in french_md and "**Verdict : REJETÉE**" in french_md
    assert "<html lang='fr'>" in french_html and "<html lang='en'>" in english_html
    assert "what is wrong" in english_html and "what is wrong" not in french_html


def test_report_json_round_trips_and_renders_the_same_in_both_languages(erroneous_report, tmp_path):
    erroneous_report.write(tmp_path / "written")
    document = json.loads((tmp_path / "written" / "report.json").read_text(encoding="utf-8"))
    # JSON as analysts query it: readable English, plus the template and its params.
    fijji = next(p for p in document["problems"] if p["value"] == "Fijji")
    assert fijji["message"] == "'Fijji' is not a country, nationality or country group the " \
        "platform knows; it was not guessed."  # fmt: skip
    assert fijji["message_template"] == "{value} is not {what}; it was not guessed."
    assert fijji["params"]["value"] == "'Fijji'"
    json.dumps(document["problems"])  # params are plain JSON, no default= needed
    again = ValidationReport.from_dict(document)
    assert again.problems == erroneous_report.problems
    for code in ("en", "fr"):
        assert rendered(again, code) == rendered(erroneous_report, code)
        with i18n.language(code):
            assert again.summary_text() == erroneous_report.summary_text()
    # The ledger's one-line summary stays English whatever the language.
    with i18n.language("fr"):
        assert again.summary().startswith("rejected: ")


def test_an_old_report_without_templates_still_renders_as_stored(erroneous_report):
    document = erroneous_report.to_dict()
    for problem in document["problems"]:
        for key in ("message_template", "fix_template", "params"):
            del problem[key]
    old = ValidationReport.from_dict(document)
    with i18n.language("fr"):
        markdown = old.to_markdown()
        assert old.problems[0].text() == erroneous_report.problems[0].message
    assert "# Rapport de validation" in markdown  # the report's own words are translated
    for problem in erroneous_report.problems:
        assert escape_markdown(problem.message) in markdown  # stored English, shown as is
    # A template whose params do not fit (a report.json edited by hand) shows the stored text.
    document = erroneous_report.to_dict()
    document["problems"][0]["params"] = {}
    broken = ValidationReport.from_dict(document)
    with i18n.language("fr"):
        assert broken.problems[0].text() == erroneous_report.problems[0].message
        broken.to_markdown()


def test_a_nil_return_for_a_month_that_has_not_ended_is_refused_in_french(home):
    header = "member,period,removal_type,nationality,destination_country,count\n"
    path = land(home, "FJI", "FJI_removals_2027-01.csv", header)
    report = validate_file(path, "FJI", today=TODAY)
    [problem] = report.errors
    assert problem.rule == "reporting_window"
    with i18n.language("fr"):
        text, fix = problem.text(), problem.fix_text()
    assert text.startswith("La déclaration néant removals pour 2027-01 n’a pas été enregistrée")
    assert fix.startswith("Rien d’autre dans le fichier n’a pu être chargé.")
    assert problem.message.startswith("The removals nil return for 2027-01 was not recorded")


def test_an_unsafe_file_is_refused_in_the_readers_language_through_the_sandbox(home, monkeypatch):
    monkeypatch.delenv("PIDC_PARSE_IN_PROCESS", raising=False)  # the worker raises the error
    path = land(home, "FJI", "FJI_refusals_2026-10.xls", "not really excel")
    report = validate_file(path, "FJI", today=TODAY)
    [problem] = report.errors
    assert problem.message == "FJI_refusals_2026-10.xls is an old-style Excel 97-2003 file (.xls)."
    assert problem.message_template == "{file} is an old-style Excel 97-2003 file (.xls)."
    with i18n.language("fr"):
        assert (
            problem.text() == "FJI_refusals_2026-10.xls est un ancien fichier Excel 97-2003 (.xls)."
        )
        assert problem.fix_text().startswith("Ouvrez-le dans Excel")


def test_long_values_are_clipped_in_every_language(home):
    huge = "Z" * 5000
    text = REFUSALS_HEADER + f"FJI,2026-10,FJNAN,{huge},C,1\n"
    path = land(home, "FJI", "FJI_refusals_2026-10.csv", text)
    report = validate_file(path, "FJI", today=TODAY)
    [problem] = [p for p in report.errors if p.column == "nationality"]
    assert len(problem.value) < MAX_VALUE_CHARS + 40
    assert len(json.dumps(problem.params)) < 3 * MAX_VALUE_CHARS  # not the 5,000 characters
    assert "characters in all" in problem.message and huge not in problem.message
    with i18n.language("fr"):
        said = problem.text()
    assert "caractères au total" in said and len(said) <= MAX_MESSAGE_CHARS + 60


def test_problems_past_the_limit_are_counted_with_a_french_example(home, monkeypatch):
    monkeypatch.setenv("PIDC_MAX_PROBLEMS", "2")
    nationalities = ["CHN", "IND", "VNM", "TON", "WSM"]
    rows = "".join(f"FJI,2026-10,FJNAN,{code},C,-{n}\n" for n, code in enumerate(nationalities, 1))
    path = land(home, "FJI", "FJI_refusals_2026-10.csv", REFUSALS_HEADER + rows)
    report = validate_file(path, "FJI", today=TODAY)
    assert report.unlisted and report.error_count == 5
    english_md, _, _ = rendered(report, "en")
    french_md, _, _ = rendered(report, "fr")
    assert "## Not listed" in english_md
    assert escape_markdown("The count '-3' is negative.") in english_md
    assert "## Non listés" in french_md
    assert escape_markdown("L’effectif '-3' est négatif.") in french_md
    assert "The count" not in french_md and "Write a whole" not in french_md
    restored = ValidationReport.from_dict(json.loads(report.to_json()))
    assert rendered(restored, "fr")[0] == french_md


def test_reports_written_during_intake_are_in_the_current_language(home):
    path = land(home, "FJI", "FJI_refusals_2026-10.csv", ERRONEOUS)
    with i18n.language("fr"):  # what the pipeline's intake step does with PIDC_LANG=fr
        [outcome] = ingest_path(path, home, today=TODAY)
    folder = outcome.report_path.parent
    assert "Rapport de validation" in (folder / "report.md").read_text(encoding="utf-8")
    assert "<html lang='fr'>" in (folder / "report.html").read_text(encoding="utf-8")
    stored = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert stored["problems"][0]["message"].isascii()  # English for analysts, as stored
    assert outcome.message.startswith("rejected: ")  # the ledger's summary stays English


def test_accepted_files_reports_are_in_the_readers_language_and_their_copies_archived(home):
    # A batch of accepted files: each report (rejected files' reports are tested above) in the
    # reader's language, and each file's bytes in the archive under its digest.
    paths = [
        land(home, member, f"{member}_refusals_2026-10.csv",
             REFUSALS_HEADER + f"{member},2026-10,{port},CHN,C,{count}\n")
        for member, port, count in [("FJI", "FJNAN", 3), ("WSM", "WSAPI", 4), ("TON", "TOTBU", 5)]
    ]  # fmt: skip
    with i18n.language("fr"):
        outcomes = ingest_path(home.landing, home, today=TODAY)
    assert [o.status for o in outcomes] == ["accepted"] * 3
    landed = {path.name: path for path in paths}
    for outcome in outcomes:
        path = landed[outcome.file_name]
        folder = outcome.report_path.parent
        assert outcome.report_path.name == "report.md"
        assert "Rapport de validation" in outcome.report_path.read_text(encoding="utf-8")
        assert "<html lang='fr'>" in (folder / "report.html").read_text(encoding="utf-8")
        assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["file_name"]
        archived = home.archive / f"{outcome.file_sha256}.csv"
        assert archived.read_bytes() == path.read_bytes()


def test_the_pipelines_intake_step_writes_reports_in_pidc_lang(home, monkeypatch):
    import dagster as dg

    from orchestration.intake import build_intake_assets
    from orchestration.resources import HomeResource

    monkeypatch.setenv("PIDC_LANG", "fr")
    land(home, "FJI", "FJI_refusals_2026-08.csv", REFUSALS_HEADER + "FJI,2026-08,FJNAN,Fijji,C,3\n")
    result = dg.materialize(
        [build_intake_assets()], resources={"home": HomeResource(root=str(home.root))}
    )
    assert result.success
    [markdown] = home.reports.glob("*/report.md")
    text = markdown.read_text(encoding="utf-8")
    assert text.startswith("# Rapport de validation")
    assert "n’est pas un pays, une nationalité ou un groupe de pays" in text
    [document] = home.reports.glob("*/report.json")
    stored = json.loads(document.read_text(encoding="utf-8"))
    assert stored["problems"][0]["message"].startswith("'Fijji' is not a country")
    assert i18n.get_language() == "en"  # the step's language ended with it


# --- the dashboard's Data quality and Submit pages, in French ------------------------------------


def _page_in(page: str, viewer, code: str):
    from streamlit.testing.v1 import AppTest
    from support.dashboard import PAGES

    from app.language import LANGUAGE_KEY

    at = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=30)
    at.session_state["viewer"] = viewer
    at.session_state[LANGUAGE_KEY] = code
    at.run()
    assert not at.exception, at.exception
    return at


def test_data_quality_shows_a_stored_report_in_the_viewers_language(published, monkeypatch):
    from support.dashboard import FJI_OFFICER, page_text

    monkeypatch.delenv("PIDC_LANG", raising=False)
    path = published / "FJI_refusals_2026-10.csv"
    path.write_text(ERRONEOUS, encoding="utf-8")
    with i18n.language("en"):  # written in English, as a pipeline without PIDC_LANG writes it
        validate_file(path, "FJI", today=TODAY).write(published / "reports" / "sub-fji-1")
    french = page_text(_page_in("data_quality", FJI_OFFICER, "fr"))
    english = page_text(_page_in("data_quality", FJI_OFFICER, "en"))
    assert "Qualité des données" in french and "Soumissions" in french
    assert "Valeurs sans correspondance" in french
    assert escape_markdown("'Fijji' n’est pas un pays") in french
    assert escape_markdown("'Fijji' is not a country") in english
    assert "is not a country" not in french and "Data quality" not in french
    assert "# Rapport de validation" in french
    # the ledger and the unmapped values read as words, not codes, in the reader's language
    dataframes = _page_in("data_quality", FJI_OFFICER, "fr").dataframe
    ledger, unmapped = (frame.value for frame in dataframes)
    assert list(ledger["datasets"]) == ["Mouvements aux frontières"]
    assert list(ledger["file_format"]) == ["Modèle régional (Excel)"]
    assert "movements" not in set(ledger.astype(str).to_numpy().ravel())
    assert set(unmapped["column_name"]) <= {"Pays", "Nationalité"}


def test_submit_page_in_french(published, monkeypatch):
    from support.dashboard import FJI_OFFICER, PUBLIC, page_text

    monkeypatch.delenv("PIDC_LANG", raising=False)
    at = _page_in("submit", FJI_OFFICER, "fr")
    assert [title.value for title in at.title] == ["Soumettre une déclaration"]
    assert [sub.value for sub in at.subheader] == ["1. Modèle", "2. Déposer votre déclaration"]
    assert at.selectbox[0].label == "Membre" and at.selectbox[1].label == "Mois du modèle"
    assert "Seul le modèle ci-dessous" in at.selectbox[1].help
    (uploader,) = at.get("file_uploader")
    assert uploader.proto.label == "Fichier de la déclaration (.xlsx ou .csv)"
    assert "Submit" not in page_text(at)
    public = _page_in("submit", PUBLIC, "fr")
    assert "Connectez-vous en tant qu’agent d’un membre" in public.info[0].value


@pytest.mark.parametrize(
    ("name", "french", "english"),
    [
        ("@FJI_refusals_2026-10.csv", "comme une formule", "as a formula"),
        ("FJI_\u202egpj.csv", "caractères invisibles", "invisible characters"),
    ],
)
def test_a_refused_file_name_is_explained_in_the_readers_language(tmp_path, name, french, english):
    path = tmp_path / name
    path.write_text(ERRONEOUS, encoding="utf-8")
    report = validate_file(path, "FJI", today=TODAY)
    restored = ValidationReport.from_dict(json.loads(report.to_json()))
    with i18n.language("fr"):
        shown = restored.to_markdown()
    assert french in shown and english not in shown
    with i18n.language("en"):
        assert english in restored.to_markdown()


def test_template_errors_speak_the_editions_language(tmp_path):
    from ingestion.template import TemplateError, write_template

    with pytest.raises(TemplateError, match="n’est pas un mois civil"):
        write_template(tmp_path / "t.xlsx", "FJI", "2026-13", language="fr")
    with pytest.raises(TemplateError, match="is not a calendar month"):
        write_template(tmp_path / "t.xlsx", "FJI", "2026-13")
