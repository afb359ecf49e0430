"""The reference seeds: in step with their builder, complete, unambiguous and true to sources."""

from __future__ import annotations

import csv
from pathlib import Path

import pycountry
import pytest

from pidc.contract import load_contract
from pidc.normalise import normalise_label
from pidc.reference import DATAHUB_COUNTRY_CODES, REFERENCE_SEEDS_DIR
from pidc.reference.build_seeds import HEADERS, render_seeds, write_seeds
from pidc.reference.country_tables import (
    ALIAS_KINDS,
    SOURCE_RANK,
    SPECIAL_CODES,
    AliasCandidate,
    clean_sports_code,
    french_short_name,
    resolve_aliases,
)
from pidc.reference.label_tables import GENERIC_MEMBER, stray_synonyms
from pidc.settings import PROJECT_ROOT

REAL_DATA = PROJECT_ROOT.parent / "shared" / "data" / "real"
DATAHUB = REAL_DATA / "datahub_country_codes.csv"
needs_datahub = pytest.mark.skipif(
    not DATAHUB.exists(), reason=f"real data folder {REAL_DATA} is absent"
)

# From the domain document: 21 members by sub-region.
DOMAIN_MEMBERS = {
    "Melanesia": {"FJI", "NCL", "PNG", "SLB", "VUT"},
    "Micronesia": {"FSM", "KIR", "MHL", "NRU", "PLW"},
    "Polynesia": {"ASM", "COK", "NIU", "PYF", "TKL", "TON", "TUV", "WLF", "WSM"},
    "Australia and New Zealand": {"AUS", "NZL"},
}


def read_seed(name: str) -> list[dict[str, str]]:
    with (REFERENCE_SEEDS_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- the committed seeds are exactly what the builder writes -----------------------------------


def test_committed_seeds_equal_a_fresh_build(tmp_path: Path) -> None:
    write_seeds(tmp_path, existing_dir=REFERENCE_SEEDS_DIR)
    for name in HEADERS:
        committed = (REFERENCE_SEEDS_DIR / name).read_text(encoding="utf-8")
        built = (tmp_path / name).read_text(encoding="utf-8")
        assert built == committed, (
            f"{name} drifted from its builder; run `python -m pidc.reference.build_seeds`"
        )


def test_build_is_stable_when_run_twice(tmp_path: Path) -> None:
    write_seeds(tmp_path, existing_dir=REFERENCE_SEEDS_DIR)
    first = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    write_seeds(tmp_path)
    second = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    assert second == first  # same bytes, and unchanged files are not even rewritten


def test_build_without_the_datahub_table_keeps_the_committed_facts() -> None:
    # A clean machine has no ../shared/data/real; the build must still give the same seeds.
    without = render_seeds(datahub_csv=None, existing_dir=REFERENCE_SEEDS_DIR)
    for name in HEADERS:
        assert without.files[name] == (REFERENCE_SEEDS_DIR / name).read_text(encoding="utf-8")


def test_seed_headers_are_the_shared_interface() -> None:
    for name, header in HEADERS.items():
        with (REFERENCE_SEEDS_DIR / name).open(encoding="utf-8", newline="") as handle:
            assert next(csv.reader(handle)) == header


# --- members, membership, ports ----------------------------------------------------------------


def test_members_are_exactly_the_21_of_the_domain_with_valid_coordinates() -> None:
    members = read_seed("members.csv")
    by_region: dict[str, set[str]] = {}
    for row in members:
        by_region.setdefault(row["sub_region"], set()).add(row["member_code"])
        assert row["member_name"] and row["capital"]
        latitude, longitude = float(row["latitude"]), float(row["longitude"])
        # Every member lies in the Pacific band: south of 25N, north of 50S, and either side
        # of the antimeridian (east of 100E or west of 140W).
        assert -50 < latitude < 25, row
        assert longitude >= 100 or longitude <= -140, row
        assert -180 <= longitude <= 180
    assert by_region == DOMAIN_MEMBERS
    assert len(members) == 21


def test_every_member_is_a_member_since_the_reporting_start() -> None:
    spells = read_seed("membership.csv")
    assert {s["member_code"] for s in spells} == set().union(*DOMAIN_MEMBERS.values())
    assert all(s["valid_from"] == "2017-01-01" and s["valid_to"] == "" for s in spells)


def test_every_member_has_ports_and_tokelau_only_sea_ports() -> None:
    ports = read_seed("ports.csv")
    codes = [p["port_code"] for p in ports]
    assert len(codes) == len(set(codes)), "port codes must be unique"
    members = {m["member_code"] for m in read_seed("members.csv")}
    assert {p["member_code"] for p in ports} == members
    assert {p["port_mode"] for p in ports} <= {"AIR", "SEA"}
    assert {p["port_mode"] for p in ports if p["member_code"] == "TKL"} == {"SEA"}
    for port in ports:
        # UN/LOCODE style: the member's ISO alpha-2 then three letters.
        alpha2 = pycountry.countries.get(alpha_3=port["member_code"]).alpha_2
        assert port["port_code"][:2] == alpha2 and len(port["port_code"]) == 5, port
        assert -90 <= float(port["latitude"]) <= 90
        assert -180 <= float(port["longitude"]) <= 180


# --- countries, aliases, groups ----------------------------------------------------------------


def test_countries_match_pycountry_plus_the_icao_specials() -> None:
    rows = {r["country_code"]: r for r in read_seed("countries.csv")}
    for country in pycountry.countries:
        row = rows.pop(country.alpha_3)
        assert row["code_kind"] == "iso"
        assert row["alpha2"] == country.alpha_2
        assert row["numeric_code"] == country.numeric
        assert row["country_name"] in {country.name, getattr(country, "common_name", None)}
    assert set(rows) == {"XXA", "XXB", "XXC", "XXX"}
    assert all(r["code_kind"] == "icao_special" for r in rows.values())


def test_aliases_are_unambiguous_normalised_and_point_at_known_codes() -> None:
    aliases = read_seed("country_aliases.csv")
    normalised = [a["alias_normalised"] for a in aliases]
    assert len(normalised) == len(set(normalised)), "an alias must name exactly one code"
    known = {r["country_code"] for r in read_seed("countries.csv")}
    known |= {g["group_code"] for g in read_seed("country_groups.csv")}
    for alias in aliases:
        assert alias["alias_normalised"] == normalise_label(alias["alias"]) != ""
        assert alias["country_code"] in known, alias
        assert alias["alias_kind"] in ALIAS_KINDS, alias
        # dbt reads "null" and "" as NULL; no alias may be either.
        assert alias["alias_normalised"] != "null"


def test_every_code_resolves_from_itself() -> None:
    aliases = {a["alias_normalised"]: a["country_code"] for a in read_seed("country_aliases.csv")}
    for row in read_seed("countries.csv"):
        assert aliases[row["country_code"].lower()] == row["country_code"]
        if row["alpha2"]:
            assert aliases[row["alpha2"].lower()] == row["country_code"]
            assert aliases[row["numeric_code"]] == row["country_code"]
    for group in read_seed("country_groups.csv"):
        assert aliases[normalise_label(group["group_code"])] == group["group_code"]


def test_groups_stay_groups() -> None:
    groups = read_seed("country_groups.csv")
    assert all(g["group_code"].startswith("G_") for g in groups)
    required = {
        "G_PACIFIC_ISLANDS",
        "G_REST_OF_ASIA",
        "G_USA_CANADA",
        "G_CONTINENTAL_EUROPE",
        "G_REST_OF_WORLD",
        "G_OTHER_COUNTRIES",
    }
    assert required <= {g["group_code"] for g in groups}
    for alias in read_seed("country_aliases.csv"):
        is_group = alias["country_code"].startswith("G_")
        assert is_group == (alias["alias_kind"] == "group"), alias


def test_precedence_drops_the_loser_and_ambiguous_aliases() -> None:
    winners, dropped = resolve_aliases(
        [
            AliasCandidate("BRN", "BRN", "alpha3"),
            AliasCandidate("BRN", "BHR", "ioc"),
            AliasCandidate("Korea", "KOR", "name_variant"),
            AliasCandidate("Korea", "PRK", "name_variant"),
            AliasCandidate("Samoa", "WSM", "name"),
            AliasCandidate("SAMOA", "WSM", "demonym"),
        ]
    )
    assert {(w.normalised, w.code, w.kind) for w in winners} == {
        ("brn", "BRN", "alpha3"),
        ("samoa", "WSM", "name"),
    }
    assert {(d.alias_normalised, d.code) for d in dropped} == {
        ("brn", "BHR"),
        ("korea", "KOR"),
        ("korea", "PRK"),
    }
    assert SOURCE_RANK["alpha3"] < SOURCE_RANK["alpha2"] < SOURCE_RANK["name"]


@pytest.mark.parametrize(
    ("raw", "clean"), [("FIJ", "FIJ"), ("TAH2", "TAH"), ("1", None), ("", None), (" SAM ", "SAM")]
)
def test_sports_codes_lose_the_tables_footnote_digits(raw: str, clean: str | None) -> None:
    assert clean_sports_code(raw) == clean


def _datahub_rows() -> list[dict[str, str]]:
    with DATAHUB.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@needs_datahub
def test_ioc_and_fifa_codes_match_the_datahub_table() -> None:
    assert DATAHUB == DATAHUB_COUNTRY_CODES
    seeds = render_seeds(DATAHUB, REFERENCE_SEEDS_DIR)
    dropped = {(d.alias_normalised, d.code, d.source) for d in seeds.dropped_aliases}
    aliases = read_seed("country_aliases.csv")
    in_seed = {(a["alias_normalised"], a["country_code"]) for a in aliases}
    seeded_sports = {
        (a["alias_kind"], a["country_code"]): a["alias"]
        for a in aliases
        if a["alias_kind"] in {"ioc", "fifa"}
    }
    checked = 0
    for row in _datahub_rows():
        code = row["ISO3166-1-Alpha-3"]
        for kind, column in (("ioc", "IOC"), ("fifa", "FIFA")):
            sports = clean_sports_code(row[column])
            if not sports:
                assert (kind, code) not in seeded_sports
                continue
            checked += 1
            key = (sports.lower(), code)
            # Present (perhaps under a better-ranked kind) or dropped by precedence, and logged.
            assert key in in_seed or (*key, kind) in dropped, (kind, code, sports)
            if (kind, code) in seeded_sports:
                assert seeded_sports[(kind, code)] == sports
    assert checked > 400  # about 200 countries have both codes


@needs_datahub
def test_regions_match_the_datahub_table() -> None:
    regions = {
        r["ISO3166-1-Alpha-3"]: (r["Region Name"], r["Sub-region Name"]) for r in _datahub_rows()
    }
    for row in read_seed("countries.csv"):
        if row["code_kind"] == "iso":
            assert (row["region"], row["sub_region"]) == regions.get(row["country_code"], ("", ""))


# --- label mappings and settings ---------------------------------------------------------------


def test_every_contract_code_has_a_generic_label_mapping() -> None:
    contract = load_contract()
    mappings = read_seed("label_mappings.csv")
    generic = {
        (m["code_list"], m["label_normalised"]): m["code"]
        for m in mappings
        if m["member_code"] == GENERIC_MEMBER
    }
    for name in contract.code_lists:
        for code, label in contract.codes(name).items():
            assert generic[(name, normalise_label(code))] == code
            assert generic[(name, normalise_label(label))] == code


def test_label_mappings_are_unambiguous_and_normalised() -> None:
    contract = load_contract()
    mappings = read_seed("label_mappings.csv")
    keys = [(m["member_code"], m["code_list"], m["label_normalised"]) for m in mappings]
    assert len(keys) == len(set(keys))
    for m in mappings:
        assert m["member_code"] == GENERIC_MEMBER
        assert m["label_normalised"] == normalise_label(m["label"]) != ""
        assert m["code"] in contract.codes(m["code_list"]), m


@pytest.mark.parametrize(
    ("code_list", "label", "code"),
    [
        ("purpose", "Vacation", "HOL"),
        ("purpose", "VISITING FRIENDS/ RELATIVES", "VFR"),
        ("purpose", "EDUCATION/TRAINING", "EDU"),
        ("purpose", "Not stated", "_U"),
        ("refusal_reason", "Ground C", "C"),
        ("sex", "m", "M"),
        ("mode", "Vessel", "SEA"),
        ("direction", "Departures", "DEP"),
        ("fraud_type", "Imposter", "IMPOSTOR"),
    ],
)
def test_generic_labels_officers_write(code_list: str, label: str, code: str) -> None:
    generic = {
        (m["code_list"], m["label_normalised"]): m["code"] for m in read_seed("label_mappings.csv")
    }
    assert generic[(code_list, normalise_label(label))] == code


def test_every_curated_synonym_names_a_contract_code() -> None:
    # Fails when the contract drops or renames a code (or YAML misreads one, e.g. an unquoted
    # OFF becoming False); fix pidc/contract.yaml or pidc/reference/label_tables.py.
    assert stray_synonyms() == []


def test_reporting_settings_hold_the_cycle() -> None:
    settings = {s["setting"]: s["value"] for s in read_seed("reporting_settings.csv")}
    assert settings["deadline_day_of_next_month"] == "15"
    assert settings["first_reporting_month"] == "2017-01"


# --- French names (issue 16) -------------------------------------------------------------------


def test_every_country_group_and_member_has_a_french_name() -> None:
    countries = read_seed("countries.csv")
    assert all(row["country_name_fr"].strip() for row in countries)
    names_fr = {row["country_code"]: row["country_name_fr"] for row in countries}
    assert {code: names_fr[code] for code in ("NCL", "PYF", "XXA", "XXX")} == {
        "NCL": "Nouvelle-Calédonie",
        "PYF": "Polynésie française",
        "XXA": "Apatride",
        "XXX": "Nationalité non précisée",
    }
    assert {s.code for s in SPECIAL_CODES} <= {
        row["country_code"] for row in countries if row["country_name_fr"]
    }
    assert all(row["group_name_fr"].strip() for row in read_seed("country_groups.csv"))
    # A member's French name is its country's, from the same reference.
    for member in read_seed("members.csv"):
        assert member["member_name_fr"] == names_fr[member["member_code"]]


@needs_datahub
def test_french_country_names_come_from_the_datahub_table() -> None:
    rows = _datahub_rows()
    official = {r["ISO3166-1-Alpha-3"]: r["official_name_fr"].strip() for r in rows}
    checked = 0
    for row in read_seed("countries.csv"):
        if row["code_kind"] == "iso" and official.get(row["country_code"]):
            assert row["country_name_fr"] == official[row["country_code"]], row["country_code"]
            checked += 1
    assert checked > 240
    # UNTERM French Short when official_name_fr is blank, its article and stars taken off.
    assert french_short_name({"UNTERM French Short": "Fidji (les)"}) == "Fidji"
    assert french_short_name({"UNTERM French Short": "Saint-Siège (le) *"}) == "Saint-Siège"
    assert french_short_name({"UNTERM French Short": "Îles Cook (les) **"}) == "Îles Cook"


def test_without_any_table_french_names_come_from_pycountry(tmp_path: Path) -> None:
    # No datahub table and no committed seeds: pycountry's French catalog names every country.
    seeds = render_seeds(datahub_csv=None, existing_dir=tmp_path)
    countries = list(csv.DictReader(seeds.files["countries.csv"].splitlines()))
    names_fr = {row["country_code"]: row["country_name_fr"] for row in countries}
    assert all(names_fr.values())
    assert names_fr["NCL"] == "Nouvelle-Calédonie"
    assert names_fr["WLF"] == "Wallis et Futuna"  # pycountry's spelling, not the datahub's
    assert names_fr["DEU"] == "Allemagne"
    members = list(csv.DictReader(seeds.files["members.csv"].splitlines()))
    assert {m["member_code"]: m["member_name_fr"] for m in members}["WLF"] == "Wallis et Futuna"
