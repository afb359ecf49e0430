"""The monthly bulletin in French (issue 16): the page, its HTML and its PDF say everything in
French, with the French names of the reference marts, and carry the same figures as the English
edition."""

from __future__ import annotations

import re
import zlib
from html.parser import HTMLParser

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from support.dashboard import (
    FJI_IRREGULAR_SEP,
    PAGES,
    PUBLIC,
    SECRETARIAT,
    SEP,
    SHARED_NOTE,
    page_text,
)

from app import data_access
from app.language import LANGUAGE_KEY
from app.views import bulletin as bulletin_module
from pidc import i18n
from pidc.contract import load_contract

NNBSP = "\u202f"
FRENCH_HEADINGS = [
    "Bulletin frontalier régional du PIDC - septembre 2026",
    "Chiffres clés",
    "Évolutions notables",
    "Alertes",
    "Respect des déclarations",
    "Observations",
]


@pytest.fixture(autouse=True)
def english_after(monkeypatch):
    monkeypatch.delenv("PIDC_LANG", raising=False)
    with i18n.language("en"):
        yield


@pytest.fixture
def french_marts(published):
    """The published marts (with their French columns, as the reference marts publish them),
    and the alert messages worded as ``mart_alerts`` words them (the hand-made ones are shorter)."""
    with duckdb.connect(str(published / "serving.duckdb")) as connection:
        connection.execute(
            "update marts.mart_alerts set message = member_code || ' reported ' || observed_count"
            " || ' for irregular of ' || dimension_value || ' nationals in Sep 2026, against a"
            " median of ' || round(baseline_median, 1) || ' (MAD ' || round(baseline_mad, 1)"
            " || ') over the previous ' || baseline_months || ' months with a return; modified"
            " z-score ' || round(modified_z_score, 1) || '.'"
        )
    data_access._cached_query.clear()
    return published


def editions(viewer=SECRETARIAT) -> dict[str, bulletin_module.Bulletin]:
    built = {}
    for code in ("en", "fr"):
        with i18n.language(code):
            built[code] = bulletin_module.build_bulletin(viewer, pd.Timestamp(SEP))
    return built


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs) -> None:
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if data.strip() and not self._in_style:
            self.texts.append(data.strip())


def html_texts(page: str) -> list[str]:
    parser = _Text()
    parser.feed(page)
    return parser.texts


_PDF_STRING = re.compile(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj")
_PDF_ESCAPE = re.compile(rb"\\([nrtbf()\\]|[0-7]{1,3})")
_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def pdf_lines(pdf: bytes) -> list[str]:
    """The lines a PDF draws, in drawing order: each (Flate-compressed) page content stream
    inflated and its ``(...) Tj`` strings read as Latin-1, the core fonts' encoding. fpdf2 writes
    a no-break space as a space (it only keeps the words together), so the lines have none."""
    strings = []
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            content = zlib.decompress(stream.group(1))
        except zlib.error:
            continue  # not a content stream (fonts and images are not compressed here)
        for drawn in _PDF_STRING.finditer(content):
            raw = _PDF_ESCAPE.sub(
                lambda m: (
                    bytes([int(m.group(1), 8)])
                    if m.group(1)[:1].isdigit()
                    else _PDF_ESCAPES.get(m.group(1), m.group(1))
                ),
                drawn.group(1),
            )
            strings.append(raw.decode("latin-1").replace("\u00a0", " "))
    return strings


def pdf_text(pdf: bytes) -> str:
    """The PDF's lines joined by a space: a paragraph wrapped over lines reads whole again."""
    return " ".join(pdf_lines(pdf))


def english_phrases(texts: list[str]) -> set[str]:
    """The phrases of the English edition a French reader must not meet: every run of two or
    more words between punctuation. A single word may be a name (Tonga) or a code (TKL), and the
    member's own note is quoted as written in both editions, so neither counts."""
    phrases = set()
    for text in texts:
        for phrase in re.split(r"[.,:;()\[\]]|\s-\s", text.replace(SHARED_NOTE, "")):
            words = re.findall(r"[A-Za-z][A-Za-z'-]+", phrase)
            if len(words) >= 2:
                phrases.add(" ".join(phrase.split()))
    return phrases


def figures(text: str, language: str) -> list[float]:
    """Every number written, as values (4,025,589 / 4 025 589; 12.5 / 12,5), sorted."""
    if language == "fr":
        found = re.findall(r"\d+(?:[\u202f\u00a0 ]\d{3}(?!\d))*(?:,\d+)?", text)
        values = [re.sub(r"[\u202f\u00a0 ]", "", n).replace(",", ".") for n in found]
    else:
        found = re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", text)
        values = [n.replace(",", "") for n in found]
    return sorted(float(value) for value in values)


def test_the_french_html_has_french_headings_and_no_english_sentence(french_marts):
    built = editions()
    english = html_texts(bulletin_module.to_html(built["en"]))
    french_page = bulletin_module.to_html(built["fr"])
    french = html_texts(french_page)
    assert "<html lang='fr'>" in french_page
    assert french[0] == french[1] == FRENCH_HEADINGS[0]  # <title> and <h1>
    for heading in FRENCH_HEADINGS[1:]:
        assert heading in french
    joined = "\n".join(french)
    assert "Préparé pour le Secrétariat du PIDC." in french
    assert "Fidji, Mouvements aux frontières : 61 234" in joined.replace(NNBSP, " ")
    assert "« Détections de migration irrégulière » (nationalité : Chine)" in joined
    assert f"Fidji (Mouvements aux frontières, Tendance) : {SHARED_NOTE}" in french
    leaked = sorted(phrase for phrase in english_phrases(english) if phrase in joined)
    assert not leaked, f"English in the French bulletin: {leaked}"
    # the check can fail: it finds the English edition's headings and sentences
    assert {"Key figures", "Notable changes", "Prepared for the PIDC Secretariat"} <= (
        english_phrases(english)
    )
    assert figures("\n".join(english), "en") == figures(joined, "fr")


def test_the_french_pdf_has_french_headings_and_no_english_sentence(french_marts):
    built = editions()
    english_lines = pdf_lines(bulletin_module.to_pdf(built["en"]))
    english = " ".join(english_lines)
    french = pdf_text(bulletin_module.to_pdf(built["fr"]))
    assert english.startswith("PIDC regional border bulletin - September 2026 Prepared for")
    for heading in FRENCH_HEADINGS:
        assert heading in french
    # French accents are Latin-1: drawn by the core fonts as they are written.
    assert "Préparé pour le Secrétariat du PIDC." in french
    assert "« Détections de migration irrégulière » (nationalité : Chine)" in french
    assert "Déclarations reçues : 5 sur 6 attendues (83 %)" in french
    assert "?" not in french  # nothing the fonts could not draw
    # phrases line by line: a French paragraph does not wrap where the English one did
    leaked = sorted(phrase for phrase in english_phrases(english_lines) if phrase in french)
    assert not leaked, f"English in the French PDF: {leaked}"
    assert {"Key figures", "Border movements"} <= english_phrases(english_lines)
    assert figures(english, "en") == figures(french, "fr")
    assert float(FJI_IRREGULAR_SEP) in figures(french, "fr")


def test_the_pdf_draws_accents_and_spells_the_oe_ligature(published):
    """é, è, à, ç and « » are Latin-1; œ is not: the PDF spells it 'oe' rather than '?'."""
    note = "Nouméa : contrôle à l’arrivée très chargé, « cœur » de saison, reçu. Œuvre commune."
    bulletin = bulletin_module.Bulletin(
        month=pd.Timestamp(SEP),
        prepared_for="Préparé pour le public : chiffres régionaux publiés uniquement.",
        language="fr",
        observations=[note],
    )
    text = pdf_text(bulletin_module.to_pdf(bulletin))
    assert "Nouméa : contrôle à l'arrivée très chargé, « coeur » de saison, reçu." in text
    assert "OEuvre commune." in text
    assert "?" not in text
    # the HTML needs no spelling: UTF-8 carries œ as it is
    assert "« cœur »" in bulletin_module.to_html(bulletin)


def test_french_names_fall_back_to_the_english_columns_when_the_marts_have_none(published):
    # a serving database published before the reference marts had French columns
    with duckdb.connect(str(published / "serving.duckdb")) as connection:
        for table, column in (
            ("dim_datasets", "title_fr"),
            ("dim_datasets", "description_fr"),
            ("dim_members", "member_name_fr"),
            ("dim_countries", "country_name_fr"),
            ("dim_codes", "label_fr"),
        ):
            connection.execute(f"alter table marts.{table} drop column {column}")
    with i18n.language("fr"):
        bulletin = bulletin_module.build_bulletin(SECRETARIAT, pd.Timestamp(SEP))
        titles = bulletin_module.dataset_titles()
    contract = load_contract()
    assert titles == {name: contract.dataset(name).title for name in contract.dataset_names}
    assert bulletin.key_figures[0][0] == "Border movements"
    assert any(item.startswith("Fiji, Border movements : 61") for item in bulletin.notable_changes)
    assert bulletin.key_figures[0][1] == f"81{NNBSP}787"


def test_the_public_edition_in_french(french_marts):
    built = editions(PUBLIC)
    french = bulletin_module.to_html(built["fr"])
    assert "Préparé pour le public : chiffres régionaux publiés uniquement." in french
    assert "Aucune évolution par membre à signaler pour ce destinataire." in french
    assert "Fidji" not in french and SHARED_NOTE not in french
    totals = {code: [row[1] for row in built[code].key_figures] for code in built}
    assert totals["fr"][0] == f"81{NNBSP}787" and totals["en"][0] == "81,787"
    assert [figures(total, "fr") for total in totals["fr"]] == [
        figures(total, "en") for total in totals["en"]
    ]


def test_the_bulletin_page_in_french(french_marts):
    at = AppTest.from_file(str(PAGES / "bulletin.py"), default_timeout=30)
    at.session_state["viewer"] = SECRETARIAT
    at.session_state[LANGUAGE_KEY] = "fr"
    at.run()
    assert not at.exception, at.exception
    assert [title.value for title in at.title] == ["Bulletin mensuel"]
    assert at.header[0].value == FRENCH_HEADINGS[0]
    assert at.selectbox[0].label == "Mois"
    assert "octobre 2026 (provisoire)" in at.selectbox[0].options
    buttons = at.get("download_button")
    assert [button.proto.label for button in buttons] == [
        "Télécharger en HTML",
        "Télécharger en PDF",
    ]
    assert [subheader.value for subheader in at.subheader] == FRENCH_HEADINGS[1:]
    table = at.dataframe[0].value
    assert list(table.columns) == [
        "Jeu de données",
        "Total régional",
        "Par rapport au mois précédent",
        "Par rapport au même mois de l’an dernier",
        "Membres déclarants",
    ]
    assert table.iloc[0, 0] == "Mouvements aux frontières"
    text = page_text(at)
    assert "Key figures" not in text and "Prepared for" not in text
    assert "Fidji, Mouvements aux frontières" in text
