"""The dashboard in French (issue 16): the language picker, remembered per account, and the
regional overview's texts and numbers in French."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from support.dashboard import MAIN, PAGES, SECRETARIAT, page_text

from app import accounts, sign_in
from app.auth import TOKEN_KEY, viewer_for
from app.language import LANGUAGE_KEY
from pidc import i18n

NNBSP = "\u202f"
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
