"""The dashboard in French (issue 16): the language picker, remembered per account, the
regional overview, and every other page, table, chart and legend for every role; labels from the
reference data in the viewer's language, never crossing languages through the cache."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest
from support.dashboard import (
    FJI_MOVEMENTS,
    FJI_OFFICER,
    MAIN,
    PAGES,
    PUBLIC,
    SECRETARIAT,
    SEP,
    page_text,
)

from app import accounts, data_access, sign_in
from app.auth import TOKEN_KEY, viewer_for
from app.data_access import serving
from app.language import LANGUAGE_KEY
from app.views.overview import dataset_titles
from pidc import i18n

NNBSP = "\u202f"  # French thousands separator
NBSP = "\u00a0"  # before a French percent sign
PASSWORD = "a long enough password"


@pytest.fixture(autouse=True)
def english_after(monkeypatch):
    monkeypatch.delenv("PIDC_LANG", raising=False)
    with i18n.language("en"):
        yield


def overview_in(code: str | None) -> AppTest:
    at = AppTest.from_file(str(PAGES / "overview.py"), default_timeout=30)
    at.session_state["viewer"] = SECRETARIAT
    if code:
        at.session_state[LANGUAGE_KEY] = code
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_overview_in_french(published):
    at = overview_in("fr")
    assert [title.value for title in at.title] == ["Aperçu régional"]
    assert at.subheader[0].value == "septembre 2026"
    assert any("Dernier mois : septembre 2026" in caption.value for caption in at.caption)
    assert f"81{NNBSP}787" in [metric.value for metric in at.metric]
    deltas = [metric.delta for metric in at.metric if metric.delta]
    assert any("par rapport au mois précédent" in delta for delta in deltas)
    assert "Provisoire" in at.info[0].value and "octobre 2026" in at.info[0].value
    text = page_text(at)
    assert "Carte de la région" in text
    assert "Latest month" not in text and "Map of the region" not in text


def test_the_overview_stays_english_by_default_and_follows_pidc_lang(published, monkeypatch):
    assert overview_in(None).title[0].value == "Regional overview"
    monkeypatch.setenv("PIDC_LANG", "fr")
    assert overview_in(None).title[0].value == "Aperçu régional"
    assert overview_in("en").title[0].value == "Regional overview"  # the tab's choice wins


def test_main_in_french_has_the_picker_and_a_french_page(published):
    at = AppTest.from_file(MAIN, default_timeout=30)
    at.session_state[LANGUAGE_KEY] = "fr"
    at.run()
    assert not at.exception, at.exception
    assert [title.value for title in at.title] == ["Aperçu régional"]
    assert at.session_state["language_picker"] == "fr"
    picker = at.sidebar.segmented_control[0]
    assert picker.label == "Langue" and picker.options == ["English", "Français"]


def test_a_signed_in_account_opens_in_its_remembered_language(published):
    account = accounts.add_account("fji.officer", PASSWORD, "member", member_code="FJI")
    accounts.set_account_language("fji.officer", "fr")
    at = AppTest.from_file(MAIN, default_timeout=30)
    at.session_state[TOKEN_KEY] = sign_in.issue_session(account)
    at.session_state["viewer"] = viewer_for(account)
    at.run()
    assert not at.exception, at.exception
    assert [title.value for title in at.title] == ["Aperçu régional"]


def test_the_account_file_keeps_the_language(pidc_home):
    accounts.add_account("sec.one", PASSWORD, "secretariat")
    assert accounts.account_language("sec.one") is None
    accounts.set_account_language("sec.one", "FR")
    assert accounts.account_language("sec.one") == "fr"
    assert accounts.load_accounts()["sec.one"].language == "fr"
    assert 'language = "fr"' in accounts.accounts_path().read_text()
    # other changes keep it
    accounts.set_password("sec.one", "another long password")
    assert accounts.account_language("sec.one") == "fr"
    with pytest.raises(accounts.AccountError):
        accounts.set_account_language("sec.one", "de")
    with pytest.raises(accounts.AccountError):
        accounts.set_account_language("nobody", "fr")
    assert accounts.account_language("nobody") is None


def test_picking_french_remembers_it_for_the_signed_in_account(published):
    account = accounts.add_account("fji.officer", PASSWORD, "member", member_code="FJI")
    at = AppTest.from_file(MAIN, default_timeout=30)
    at.session_state[TOKEN_KEY] = sign_in.issue_session(account)
    at.session_state["viewer"] = viewer_for(account)
    at.run()
    assert at.title[0].value == "Regional overview"
    picker = at.sidebar.segmented_control[0]
    assert picker.label == "Language" and picker.value == "en"
    picker.set_value("fr").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Aperçu régional"
    assert accounts.account_language("fji.officer") == "fr"


def test_picking_a_language_in_public_remembers_nothing(published):
    accounts.add_account("sec.one", PASSWORD, "secretariat")
    at = AppTest.from_file(MAIN, default_timeout=30).run()
    at.sidebar.segmented_control[0].set_value("fr").run()
    assert at.title[0].value == "Aperçu régional"
    assert accounts.account_language("sec.one") is None


# --- every page in French, for every role (issue 16) -----------------------------------------

FRENCH_PAGES = (
    "overview",
    "alerts",
    "compliance",
    "explorer",
    "member_profile",
    "downloads",
    "sign_in_log",
)
ROLES = {"public": PUBLIC, "member officer": FJI_OFFICER, "Secretariat": SECRETARIAT}
# Texts the same in English and French that are neither numbers nor codes: proper nouns and the
# few words French writes the same way.
SAME_IN_BOTH = {
    *("Tonga", "Tokelau", "fji.officer"),  # names
    *("Total", "Transit", "Latitude"),  # French words too
    *("SDMX-CSV", "CSV", "Excel"),  # file formats
}
# Numbers, months in digits, dashes, marks of hidden figures ("<5", "x"), percentages.
NEUTRAL = re.compile(r"^[\d\s\u202f\u00a0.,:;%<>x—+\-/()°]*$")
CODE = re.compile(r"^[A-Z_][A-Z0-9_]*$|^\d+°E$")  # and east longitudes (the map's ticks)
NAMED_CODE = re.compile(r"^(?P<name>.+) \((?P<code>[A-Z_][A-Z0-9_]*)\)$")  # "Tonga (TON)"


def english_msgids_translated_differently() -> set[str]:
    """Every English text of the French catalog whose French is not the same words."""
    with i18n.catalog_path("fr").open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    texts = set()
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        texts |= {text for text in ids if text not in strings}
    return texts


def _frame_texts(frame: pd.DataFrame, columns: list[str] | None = None) -> list[str]:
    shown = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    texts = [str(c) for c in shown]
    for column in shown:
        texts += [str(v) for v in frame[column] if isinstance(v, str)]
    if not isinstance(frame.index, pd.RangeIndex):
        texts += [str(v) for v in frame.index] + [str(frame.index.name or "")]
    return texts


def visible_texts(at: AppTest, *, with_tables: bool = True) -> list[str]:
    """Every text element a page shows: titles, captions, messages, metrics, widget labels and
    options, table headers and text cells, chart axis titles, ticks and legend entries."""
    texts = []
    for kind in ("title", "header", "subheader", "caption", "info", "warning", "error", "text"):
        texts += [str(element.value) for element in at.get(kind)]
    texts += [unescape_markdown(str(element.value)) for element in at.markdown]
    texts += [unescape_markdown(str(expander.label)) for expander in at.expander]
    for metric in at.metric:
        texts += [metric.label, str(metric.value), str(metric.delta or "")]
    for kind in ("selectbox", "multiselect", "radio", "select_slider", "number_input"):
        for widget in at.get(kind):
            texts.append(widget.label)
            texts += [str(option) for option in getattr(widget, "options", None) or []]
    if with_tables:
        for table in at.dataframe:
            config = json.loads(table.proto.columns or "{}")
            order = list(table.proto.column_order) or list(table.value.columns)
            texts += [str(config.get(c, {}).get("label", c)) for c in order]
            texts += _frame_texts(table.value, order)[len(order) :]
        for table in at.get("table"):
            texts += _frame_texts(table.value)
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        layout = spec["layout"]
        for name, axis in layout.items():
            if name.startswith(("xaxis", "yaxis")):
                texts.append(str((axis.get("title") or {}).get("text", "")))
                texts += [str(tick) for tick in axis.get("ticktext", [])]
        texts.append(str((layout.get("title") or {}).get("text", "")))
        texts += [trace["name"] for trace in spec["data"] if trace.get("showlegend", True)]
    return [text for text in texts if text.strip()]


def unescape_markdown(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def render(page: str, viewer, code: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=60)
    at.session_state["viewer"] = viewer
    at.session_state[LANGUAGE_KEY] = code
    at.run()
    assert not at.exception, at.exception
    return at


def neutral(text: str, codes: set[str]) -> bool:
    """True for a text that reads the same in every language: a number, a code, a proper noun."""
    named = NAMED_CODE.match(text)
    if named:
        text = named["name"]
    return bool(NEUTRAL.match(text) or CODE.match(text) or text in SAME_IN_BOTH | codes)


@pytest.fixture(scope="module")
def sign_in_files(tmp_path_factory) -> Path:
    """An account and a sign-in log with a success and a failure, made once per module: each
    takes a bcrypt hash or check (a quarter of a second), for 32 tests."""
    folder = tmp_path_factory.mktemp("sign_in_files")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PIDC_HOME", str(folder))
        patch.setenv("PIDC_ACCOUNTS_FILE", str(folder / "accounts.toml"))
        accounts.add_account("fji.officer", PASSWORD, "member", member_code="FJI")
        sign_in.attempt("fji.officer", PASSWORD)
        sign_in.attempt("nobody.here", "a wrong password")
    return folder


@pytest.fixture
def sign_in_attempts(published, sign_in_files):
    """``published`` with a copy of :func:`sign_in_files`, for the Secretariat's page."""
    shutil.copy(sign_in_files / "accounts.toml", accounts.accounts_path())
    shutil.copy(sign_in_files / "sign-in.sqlite", sign_in.store_path())
    return published


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("page", FRENCH_PAGES)
def test_every_page_reads_in_french_for_every_role(sign_in_attempts, page, role):
    viewer = ROLES[role]
    english = render(page, viewer, "en")
    french = render(page, viewer, "fr")
    # The Downloads page previews a table as its files hold it: codes and data, not words.
    with_tables = page != "downloads"
    english_texts = visible_texts(english, with_tables=with_tables)
    french_texts = visible_texts(french, with_tables=with_tables)
    assert french_texts
    left_in_english = sorted(set(french_texts) & english_msgids_translated_differently())
    assert not left_in_english, f"{page} ({role}): untranslated {left_in_english}"
    table_names = set(data_access.downloadable_table_names(viewer)) | {"nobody.here"}
    same = sorted(
        text for text in set(french_texts) & set(english_texts) if not neutral(text, table_names)
    )
    assert not same, f"{page} ({role}): the same in English and French: {same}"


# What each page must show in French, by role: names and labels from the reference data, French
# thousands separators (a narrow no-break space) and French month names.
FRENCH_SHOWN = {
    ("explorer", "public"): ["Pacifique", f"108{NNBSP}213", "août 2026", "sous-région"],
    ("explorer", "member officer"): [
        "Fidji (FJI)",
        "Nouvelle-Zélande (NZL)",
        "Nouvelle-Calédonie (NCL)",
        f"61{NNBSP}000",
        "sept. 2026",
        "Mouvements aux frontières",
    ],
    ("explorer", "Secretariat"): ["Chine", f"48{NNBSP}213", "août 2026", "Homme"],
    ("alerts", "member officer"): [
        "Médiane de référence (6,0)",
        "juil. 2026",
        "Fidji, Détections de migration irrégulière (Chine) : 57 en sept. 2026, pour une "
        "médiane de 6,0 sur les 12 mois précédents",
    ],
    ("alerts", "Secretariat"): ["Tonga", "Chine", "août 2026", "élevée", "moyenne", "+22,9"],
    ("compliance", "Secretariat"): ["Fidji (FJI)", "sept. 2026", f"100,0{NBSP}%", "Exhaustivité"],
    ("member_profile", "member officer"): [
        "Fidji (FJI)",
        f"61{NNBSP}234",
        "Part de la région, sept. 2026",
        f"74,9{NBSP}%",
        "Refus d'entrée",
    ],
    ("downloads", "member officer"): ["Téléchargements", "Tableau", "9 lignes."],
    ("sign_in_log", "Secretariat"): [
        "Journal des connexions",
        "échec",
        "nom d’utilisateur inconnu",
    ],
    ("sign_in_log", "public"): [
        "Seul le Secrétariat du PIDC peut consulter le journal des connexions."
    ],
}


@pytest.mark.parametrize(("page", "role"), list(FRENCH_SHOWN))
def test_french_pages_show_french_names_numbers_and_months(sign_in_attempts, page, role):
    at = render(page, ROLES[role], "fr")
    texts = visible_texts(at, with_tables=page != "downloads")  # the file's preview: data
    everything = "\n".join(texts)
    missing = [shown for shown in FRENCH_SHOWN[(page, role)] if shown not in everything]
    assert not missing, f"{page} ({role}) lacks {missing}"
    # No English month name and no comma thousands separator left anywhere.
    assert not re.search(r"\b(Aug|Sep|Oct) 2026\b", everything)
    assert not re.search(r"\d,\d{3}\b", everything)


def _public_explorer(dataset: str, by: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / "explorer.py"), default_timeout=60)
    at.session_state["viewer"] = PUBLIC
    at.session_state[LANGUAGE_KEY] = "fr"
    # Chosen before the first run: AppTest looks a widget's value up among the options as shown
    # (in French), which a set_value of the option itself does not match.
    at.session_state["dataset"] = dataset
    at.session_state["public_by"] = by
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_public_explorer_in_french_names_countries_regions_and_hidden_figures(published):
    at = _public_explorer("refusals", "nationality")
    assert set(at.dataframe[0].value["breakdown_value"]) == {"Chine", "États-Unis"}
    table = _public_explorer("movements", "sub_region").dataframe[0].value
    assert set(table["breakdown_value"]) == {
        "Mélanésie",
        "Polynésie",
        "Australie et Nouvelle-Zélande",
    }
    assert set(table["conf_status_label"]) == {
        "affiché",
        "masqué : effectif trop faible (<5)",
        "masqué : il permettrait de déduire un autre chiffre masqué",
    }
    assert set(table["display_value"]) == {f"61{NNBSP}234", "<5"}


def test_the_sign_in_form_in_french(pidc_home):
    def panel():
        from app import language
        from app.auth import sign_in_panel

        language.apply()
        sign_in_panel()

    at = AppTest.from_function(panel, default_timeout=30)
    at.session_state[LANGUAGE_KEY] = "fr"
    at.run()
    assert not at.exception, at.exception
    sidebar = at.sidebar
    assert [field.label for field in sidebar.text_input] == ["Nom d’utilisateur", "Mot de passe"]
    assert sidebar.caption[0].value == "Connecté en tant que : **Public (non connecté)**"
    sidebar.text_input[0].input("nobody.here")
    sidebar.text_input[1].input("a wrong password")
    at.sidebar.button[0].click().run()
    assert at.sidebar.error[0].value == "Nom d’utilisateur ou mot de passe non reconnu."


# --- labels from the reference data, in the viewer's language ---------------------------------


def test_reference_labels_follow_the_language(published):
    with i18n.language("fr"):
        assert data_access.code_labels("country")["NCL"] == "Nouvelle-Calédonie"
        assert data_access.code_labels("sex")["M"] == "Homme"
        assert data_access.member_names()["FJI"] == "Fidji"
        assert data_access.dataset_titles()["refusals"] == "Refus d'entrée"
        groups = data_access.reference("dim_member_groups")
        assert set(groups["group_name"]) == {"Groupe de profilage", "Groupe maritime"}
        assert data_access.dataset_description("movements").startswith("Arrivées et départs")
    # English after French, the cache warm: never the French table.
    assert data_access.code_labels("country")["NCL"] == "New Caledonia"
    assert data_access.member_names()["FJI"] == "Fiji"
    assert data_access.dataset_titles()["refusals"] == "Refusals of entry"
    with i18n.language("fr"):  # and French again after English
        assert data_access.member_names()["NZL"] == "Nouvelle-Zélande"


def test_a_missing_or_empty_french_label_falls_back_to_english(published):
    serving = duckdb.connect(str(published / "serving.duckdb"))
    serving.execute("update marts.dim_members set member_name_fr = '' where member_code = 'TON'")
    serving.execute(
        "update marts.dim_countries set country_name_fr = null where country_code = 'USA'"
    )
    # An older publication: no French columns at all.
    serving.execute("alter table marts.dim_codes drop column label_fr")
    serving.execute("alter table marts.dim_datasets drop column title_fr")
    serving.close()
    data_access._cached_query.clear()
    with i18n.language("fr"):
        names = data_access.member_names()
        assert names["TON"] == "Tonga" and names["FJI"] == "Fidji"
        countries = data_access.code_labels("country")
        assert countries["USA"] == "United States" and countries["CHN"] == "Chine"
        assert data_access.code_labels("sex")["M"] == "Male"
        assert data_access.dataset_titles()["refusals"] == "Refusals of entry"
        assert (
            data_access.dataset_description("refusals") == "Personnes non admises à la frontière."
        )


def test_the_cache_key_holds_the_language(published, monkeypatch):
    """The same query asked in English and in French is two cache entries, never one."""
    read = []
    publication = serving._publication

    def counting_publication(*args, **kwargs):
        read.append(args)  # a query that reaches the database, i.e. not one from the cache
        return publication(*args, **kwargs)

    monkeypatch.setattr(serving, "_publication", counting_publication)
    sql = "select member_code from marts.dim_members"
    data_access.query(sql, language="en")
    data_access.query(sql, language="en")
    assert len(read) == 1  # the second English read came from the cache
    data_access.query(sql, language="fr")
    assert len(read) == 2  # the French read did not


def test_a_page_read_in_english_then_french_then_english_never_mixes(published):
    assert "Fiji (FJI)" in render("member_profile", SECRETARIAT, "en").selectbox[0].options
    assert "Fidji (FJI)" in render("member_profile", SECRETARIAT, "fr").selectbox[0].options
    assert "Fiji (FJI)" in render("member_profile", SECRETARIAT, "en").selectbox[0].options


# --- the member profile's share of the region -------------------------------------------------


def test_the_share_of_the_region_is_of_the_latest_released_month(published):
    """Fiji filed October early (provisional): alone in it, Fiji would be 100% of the region.
    The share shown is September's, the latest month every member's returns are in or due."""
    assert data_access.latest_released_month() == pd.Timestamp(SEP)
    at = render("member_profile", FJI_OFFICER, "en")
    assert "Share of the region, Sep 2026" in [header.value for header in at.subheader]
    shares = {metric.label: metric.value for metric in at.metric}
    assert shares[dataset_titles()["movements"]] == "74.9%"
    assert "100.0%" not in shares.values()
    assert f"Fiji: {FJI_MOVEMENTS[SEP]:,}" in [caption.value for caption in at.caption]


def test_the_template_a_french_reader_downloads_is_the_french_edition(published):
    """The Submit page passes the reader's language: same sheets and headers, French texts."""
    import io

    from openpyxl import load_workbook

    from app.submission import template_bytes, template_name

    def texts(data: bytes) -> tuple[list[str], set[str]]:
        workbook = load_workbook(io.BytesIO(data))
        cells = {
            cell.value
            for sheet in workbook
            for row in sheet.iter_rows()
            for cell in row
            if isinstance(cell.value, str)
        }
        return workbook.sheetnames, cells

    english_sheets, english = texts(template_bytes(FJI_OFFICER, "FJI", "2026-09"))
    french_sheets, french = texts(template_bytes(FJI_OFFICER, "FJI", "2026-09", "fr"))
    assert french_sheets == english_sheets
    assert any("déclaration" in text.lower() for text in french - english)
    assert not any("declaration" in text.lower() for text in french)
    assert template_name("FJI", "2026-09", "fr") == "PIDC_return_FJI_2026-09_fr.xlsx"
    assert template_name("FJI", "2026-09") == "PIDC_return_FJI_2026-09.xlsx"
