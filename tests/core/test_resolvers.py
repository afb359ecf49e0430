"""Resolving what members write: countries (pidc.countries) and code labels (pidc.labels)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pidc.contract import load_contract
from pidc.countries import CountryResolver, ReferenceSeedsMissing
from pidc.labels import LabelResolver, UnknownCodeList
from pidc.normalise import normalise_label


@pytest.fixture(scope="module")
def countries() -> CountryResolver:
    return CountryResolver.from_seeds()


@pytest.fixture(scope="module")
def labels() -> LabelResolver:
    return LabelResolver.from_seeds()


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


# --- countries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "kind", "matched_by"),
    [
        ("Chinese", "CHN", "country", "demonym"),
        ("People's Republic of China", "CHN", "country", "official_name"),
        ("PRC", "CHN", "country", "abbreviation"),
        ("CN", "CHN", "country", "alpha2"),
        ("FIJ", "FJI", "country", "ioc"),
        ("SAM", "WSM", "country", "ioc"),
        ("TGA", "TON", "country", "ioc"),
        ("VAN", "VUT", "country", "ioc"),
        ("Western Samoa", "WSM", "country", "historic"),
        ("New Zealand (8)", "NZL", "country", "name"),
        ("Pacific Islands", "G_PACIFIC_ISLANDS", "group", "group"),
        ("USA/Canada", "G_USA_CANADA", "group", "group"),
        ("stateless", "XXA", "special", "common_name"),
        ("fji", "FJI", "country", "alpha3"),
        ("FJ", "FJI", "country", "alpha2"),
        ("FJI", "FJI", "country", "alpha3"),
        ("242", "FJI", "country", "numeric"),
        ("i-Kiribati", "KIR", "country", "demonym"),
        ("Ni-Vanuatu", "VUT", "country", "demonym"),
        ("New Hebrides", "VUT", "country", "historic"),
        ("Burma", "MMR", "country", "historic"),
        ("Republic of Korea", "KOR", "country", "name"),
        ("South Korea", "KOR", "country", "common_name"),
        ("  TONGA [p] ", "TON", "country", "name"),
        ("Refugee", "XXB", "special", "common_name"),
        ("Not stated", "XXX", "special", "common_name"),
        ("Rest of Asia", "G_REST_OF_ASIA", "group", "group"),
        ("Others", "G_OTHER_COUNTRIES", "group", "group"),
    ],
)
def test_country_spellings_resolve(
    countries: CountryResolver, text: str, code: str, kind: str, matched_by: str
) -> None:
    result = countries.resolve(text)
    assert (result.code, result.kind, result.matched_by) == (code, kind, matched_by)
    assert result.input == text
    assert result.suggestions == []


def test_a_typo_is_not_resolved_but_suggested(countries: CountryResolver) -> None:
    result = countries.resolve("Fijji")
    assert result.code is None and result.kind is None and result.matched_by is None
    assert not result.resolved
    assert result.suggestions[0] == ("FJI", "Fiji")


def test_suggestions_are_at_most_three_distinct_codes(countries: CountryResolver) -> None:
    result = countries.resolve("Samao")
    assert result.code is None
    codes = [code for code, _ in result.suggestions]
    assert 1 <= len(codes) <= 3 and len(codes) == len(set(codes))
    assert "WSM" in codes


def test_ambiguous_names_stay_unresolved(countries: CountryResolver) -> None:
    # "Korea" could be either Korea; the platform reports it instead of guessing.
    result = countries.resolve("Korea")
    assert result.code is None
    assert {"KOR", "PRK"} <= {code for code, _ in result.suggestions}


def test_blank_resolves_to_nothing_without_suggestions(countries: CountryResolver) -> None:
    for blank in ("", "   ", "-"):
        result = countries.resolve(blank)
        assert result.code is None and result.suggestions == []


def test_default_resolver_is_cached() -> None:
    assert CountryResolver.from_seeds() is CountryResolver.from_seeds()


def test_resolver_reads_any_seed_folder(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    write_csv(
        reference / "countries.csv",
        [
            "country_code",
            "alpha2",
            "numeric_code",
            "country_name",
            "official_name",
            "region",
            "sub_region",
            "code_kind",
        ],
        [
            ["FJI", "FJ", "242", "Fiji", "Republic of Fiji", "Oceania", "Melanesia", "iso"],
            ["XXA", "", "", "Stateless person", "Stateless person", "", "", "icao_special"],
        ],
    )
    write_csv(
        reference / "country_groups.csv",
        ["group_code", "group_name", "description"],
        [["G_PACIFIC_ISLANDS", "Pacific Islands", "Pacific"]],
    )
    write_csv(
        reference / "country_aliases.csv",
        ["alias", "alias_normalised", "country_code", "alias_kind"],
        [
            ["Viti", "viti", "FJI", "common_name"],
            ["Stateless", "stateless", "XXA", "common_name"],
            ["Pasifika", "pasifika", "G_PACIFIC_ISLANDS", "group"],
        ],
    )
    resolver = CountryResolver.from_seeds(tmp_path)
    assert resolver is not CountryResolver.from_seeds()
    assert resolver.resolve("VITI").code == "FJI"
    assert resolver.resolve("Pasifika").kind == "group"
    assert resolver.resolve("Stateless").kind == "special"
    assert resolver.resolve("Fiji").code is None  # only what the seed lists
    assert resolver.resolve("Vitti").suggestions == [("FJI", "Fiji")]


def test_missing_seeds_say_how_to_build_them(tmp_path: Path) -> None:
    with pytest.raises(ReferenceSeedsMissing, match="build_seeds"):
        CountryResolver.from_seeds(tmp_path)


# --- labels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code_list", "text", "code"),
    [
        ("purpose", "Holiday", "HOL"),
        ("purpose", "vacation", "HOL"),
        ("purpose", "VISITING FRIENDS/ RELATIVES", "VFR"),
        ("purpose", "Business", "BUS"),
        ("purpose", "Others", "OTH"),
        ("purpose", "not stated", "_U"),
        ("purpose", "hol", "HOL"),
        ("refusal_reason", "b", "B"),
        ("refusal_reason", "Insufficient funds", "G"),
        ("sex", "Female", "F"),
        ("sex", "f", "F"),
        ("age_group", "18-34", "Y18T34"),
        ("mode", "Aircraft", "AIR"),
        ("mode", "ship", "SEA"),
        ("direction", "arrivals", "ARR"),
        ("traveller_type", "Crew", "CRW"),
        ("document_type", "Passport", "PASSPORT"),
    ],
)
def test_generic_labels_resolve(
    labels: LabelResolver, code_list: str, text: str, code: str
) -> None:
    assert labels.resolve(code_list, text).code == code


def test_every_contract_code_and_label_resolves_even_without_seeds(tmp_path: Path) -> None:
    bare = LabelResolver.from_seeds(tmp_path)  # no seed files at all
    contract = load_contract()
    for name in contract.code_lists:
        for code, label in contract.codes(name).items():
            assert bare.resolve(name, code).code == code
            assert bare.resolve(name, label.upper()).code == code


def test_member_spellings_win_over_generic(tmp_path: Path) -> None:
    header = ["member_code", "code_list", "label", "label_normalised", "code"]
    write_csv(
        tmp_path / "reference" / "label_mappings.csv",
        header,
        [["*", "purpose", "Leisure", "leisure", "HOL"]],
    )
    write_csv(
        tmp_path / "reference" / "member_label_mappings.csv",
        header,
        [
            ["FJI", "purpose", "Leisure", normalise_label("Leisure"), "OTH"],
            ["FJI", "purpose", "Tour", "tour", "HOL"],
        ],
    )
    resolver = LabelResolver.from_seeds(tmp_path)
    assert resolver.resolve("purpose", "Leisure").code == "HOL"
    assert resolver.resolve("purpose", "Leisure", member="TON").code == "HOL"
    member = resolver.resolve("purpose", "Leisure", member="fji")
    assert (member.code, member.matched_by) == ("OTH", "member")
    assert resolver.resolve("purpose", "Tour", member="FJI").code == "HOL"
    assert resolver.resolve("purpose", "Tour", member="TON").code is None


def test_unknown_label_is_unresolved_with_suggestions(labels: LabelResolver) -> None:
    result = labels.resolve("purpose", "Holliday")
    assert result.code is None and not result.resolved
    assert result.suggestions[0] == ("HOL", "Holiday")
    assert len(result.suggestions) <= 3


def test_unknown_code_list_is_a_clear_error(labels: LabelResolver) -> None:
    with pytest.raises(UnknownCodeList, match="unknown code list 'purposes'"):
        labels.resolve("purposes", "Holiday")
