"""English and French (issue 16): every extracted text has a French translation, and numbers and
dates are written each language's way."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from pidc import i18n
from pidc.i18n import _, ngettext

ROOT = Path(__file__).resolve().parents[2]
NNBSP = "\u202f"  # Babel's (CLDR's) French group separator: a narrow no-break space
PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\([a-z_]+\)[sdif]|%[sdif]")


@pytest.fixture(autouse=True)
def english_after():
    """Each test's language changes stay within the test."""
    with i18n.language("en"):
        yield


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> list:
    """Today's texts, extracted as ``make i18n`` extracts them (``babel.cfg``)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-o", str(pot), "--no-location", "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return [message for message in read_po(handle) if message.id]


@pytest.fixture(scope="module")
def french():
    with i18n.catalog_path("fr").open("rb") as handle:
        return read_po(handle, locale="fr")


def _texts(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def test_the_template_finds_the_texts_of_each_part(template):
    ids = {_texts(message.id)[0] for message in template}
    assert "# Validation report: {file}" in ids  # ingestion
    assert "Regional overview" in ids  # app
    assert "PIDC regional border data platform." in ids  # cli


def test_every_text_has_a_french_translation(template, french):
    """Fails on a text added or changed without its French: run ``make i18n`` and translate
    what it marks (empty or fuzzy) in pidc/locale/fr/LC_MESSAGES/messages.po."""
    untranslated = []
    for message in template:
        entry = french.get(message.id)
        strings = _texts(entry.string) if entry is not None else ()
        if entry is None or entry.fuzzy or not strings or not all(s.strip() for s in strings):
            untranslated.append(_texts(message.id)[0])
    assert not untranslated, "untranslated in French:\n" + "\n".join(untranslated)


def test_translations_keep_the_placeholders(french):
    wrong = []
    for entry in french:
        if not entry.id:
            continue
        ids, strings = _texts(entry.id), _texts(entry.string)
        expected = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for text in strings:
            if text and set(PLACEHOLDER.findall(text)) != expected:
                wrong.append(f"{ids[0]!r} -> {text!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_fuzzy_translations_are_never_shown(tmp_path, monkeypatch):
    catalog = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text(
        'msgid ""\nmsgstr "Language: fr\\n"\n\n'
        'msgid "Warnings"\nmsgstr "Avertissements"\n\n'
        '#, fuzzy\nmsgid "Errors"\nmsgstr "Erreurs ?"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        with i18n.language("fr"):
            assert _("Warnings") == "Avertissements"
            assert _("Errors") == "Errors"
    finally:
        i18n.translations.cache_clear()


def test_set_language_and_the_environment(monkeypatch):
    assert i18n.set_language("fr_NC.UTF-8") == "fr"
    assert _("Regional overview") == "Aperçu régional"
    assert i18n.set_language("de") == "en"  # unsupported: English
    assert _("Regional overview") == "Regional overview"
    monkeypatch.setenv("PIDC_LANG", "fr")
    assert i18n.language_from_env() == "fr"
    monkeypatch.setenv("PIDC_LANG", "xx")
    assert i18n.language_from_env() == "en"
    monkeypatch.delenv("PIDC_LANG")
    assert i18n.language_from_env() == "en"


def test_the_language_is_context_local():
    import contextvars
    import threading

    i18n.set_language("fr")
    seen = {}
    thread = threading.Thread(target=lambda: seen.update(other=i18n.get_language()))
    thread.start()
    thread.join()
    assert seen["other"] == "en"  # a new thread starts in English
    assert contextvars.copy_context().run(i18n.get_language) == "fr"
    with i18n.language("en"):
        assert _("Warnings") == "Warnings"
    assert _("Warnings") == "Avertissements"


def test_plurals_in_both_languages():
    assert ngettext("{count} member", "{count} members", 1).format(count=1) == "1 member"
    assert ngettext("{count} member", "{count} members", 3).format(count=3) == "3 members"
    with i18n.language("fr"):
        for count, text in ((0, "0 membre"), (1, "1 membre"), (3, "3 membres")):
            assert ngettext("{count} member", "{count} members", count).format(count=count) == text


@pytest.mark.parametrize(
    ("code", "count", "month", "long_month", "share", "decimal"),
    [
        ("en", "4,025,589", "Oct 2023", "October 2023", "12.5%", "1,234.5"),
        (
            "fr",
            f"4{NNBSP}025{NNBSP}589",
            "oct. 2023",
            "octobre 2023",
            "12,5\xa0%",
            f"1{NNBSP}234,5",
        ),
    ],
)
def test_numbers_and_dates_in_each_language(code, count, month, long_month, share, decimal):
    with i18n.language(code):
        assert i18n.format_count(4025589) == count
        assert i18n.format_month(dt.date(2023, 10, 1)) == month
        assert i18n.format_month("2023-10") == month
        assert i18n.format_month_long(dt.date(2023, 10, 17)) == long_month
        assert i18n.format_percent(0.125) == share
        assert i18n.format_decimal(1234.5) == decimal


def test_percent_without_decimals():
    assert i18n.format_percent(0.87) == "87.0%"
    assert i18n.format_percent(0.87, digits=0) == "87%"
    with i18n.language("fr"):
        assert i18n.format_percent(0.87, digits=0) == "87\xa0%"
