"""Countries, country groups and every spelling of them that members write.

Sources, in the order they are trusted:

* ISO 3166-1 from ``pycountry``: alpha-3, alpha-2, numeric, name, official name, common name.
* The public-domain table ``datasets/country-codes`` (``datahub_country_codes.csv``): UN M49
  region and sub-region, IOC and FIFA sports codes, and the French names (``official_name_fr``,
  the UN's French short name; ``UNTERM French Short`` when that is blank). It is read when
  present; on a machine without it the values already in the committed seeds are kept, so the
  build still runs, and a country still without a French name takes pycountry's French
  translation of its ISO name (its ``iso3166-1`` gettext catalog).
* Curated tables in this module for what no offline library holds: demonyms, abbreviations,
  common and historic names, ICAO Doc 9303 codes for the stateless, refugees and unknown, and
  the country groups members use in their tables ("Pacific Islands", "Rest of Asia").

Alias precedence. One normalised alias must name exactly one code, so when sources disagree the
candidate with the best rank in :data:`SOURCE_RANK` wins and the others are dropped; when two
different codes share the best rank the alias is ambiguous and dropped altogether (the platform
reports a value it cannot map rather than guessing). Every dropped alias is returned by
:func:`resolve_aliases` and logged by the build.
"""

from __future__ import annotations

import csv
import functools
import gettext
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pycountry

from pidc.normalise import normalise_label

ISO = "iso"
ICAO_SPECIAL = "icao_special"

# Lower rank wins. ``name_variant`` rows are written with alias_kind ``name``: they are forms
# derived from the ISO name ("Republic of Korea" from "Korea, Republic of") and must lose to any
# exact name ("Congo" is the Republic of the Congo, not a shortening of the DR Congo's name).
SOURCE_RANK: dict[str, int] = {
    "alpha3": 1,
    "alpha2": 2,
    "numeric": 3,
    "name": 4,
    "official_name": 5,
    "common_name": 6,
    # The French name (countries.country_name_fr), for French-speaking offices (issue 16).
    "name_fr": 7,
    "name_variant": 8,
    "historic": 9,
    "abbreviation": 10,
    "demonym": 11,
    "ioc": 12,
    "fifa": 13,
    "group": 14,
}
ALIAS_KINDS = tuple(sorted({"name" if s == "name_variant" else s for s in SOURCE_RANK}))


@dataclass(frozen=True)
class SpecialCode:
    """An ICAO Doc 9303 nationality code that is not a country."""

    code: str
    name: str
    official_name: str
    aliases: tuple[str, ...]


SPECIAL_CODES: tuple[SpecialCode, ...] = (
    SpecialCode(
        "XXA",
        "Stateless person",
        "Stateless person, as defined in Article 1 of the 1954 Convention",
        ("Stateless", "Stateless persons", "No nationality", "Without nationality", "Apatride"),
    ),
    SpecialCode(
        "XXB",
        "Refugee (1951 Convention)",
        "Refugee, as defined in Article 1 of the 1951 Convention relating to the Status of "
        "Refugees as amended by the 1967 Protocol",
        ("Refugee", "Refugees", "Convention refugee", "Refugee 1951 Convention"),
    ),
    SpecialCode(
        "XXC",
        "Refugee (other)",
        "Refugee, other than as defined under the code XXB",
        ("Other refugee", "Refugee other", "Non-convention refugee", "Refugee (non-convention)"),
    ),
    SpecialCode(
        "XXX",
        "Unspecified nationality",
        "Person of unspecified nationality",
        (
            "Unknown",
            "Unspecified",
            "Not stated",
            "Not specified",
            "Not known",
            "Nationality unknown",
            "Unknown nationality",
            "Nationality not stated",
        ),
    ),
)
SPECIAL_CODE_SET = frozenset(s.code for s in SPECIAL_CODES)
# Their French names, as the French edition of ICAO Doc 9303 words them; no reference table
# holds these, so they are curated here (a test checks every special code has one).
SPECIAL_NAMES_FR: dict[str, str] = {
    "XXA": "Apatride",
    "XXB": "Réfugié (Convention de 1951)",
    "XXC": "Réfugié (autre)",
    "XXX": "Nationalité non précisée",
}


@dataclass(frozen=True)
class CountryGroup:
    """A label that stands for several countries; it stays a group, never one country."""

    code: str
    name: str
    description: str
    aliases: tuple[str, ...] = field(default=())


GROUPS: tuple[CountryGroup, ...] = (
    CountryGroup(
        "G_PACIFIC_ISLANDS",
        "Pacific Islands",
        "Pacific Island countries and territories not reported separately.",
        (
            "Pacific Island countries",
            "Pacific Island countries and territories",
            "Pacific Islanders",
            "Pacific",
            "South Pacific",
            "PICTs",
            "PICs",
        ),
    ),
    CountryGroup(
        "G_OTHER_PACIFIC",
        "Other Pacific",
        "Pacific countries other than those listed separately in the same table.",
        (
            "Other Pacific Islands",
            "Other Pacific Island countries",
            "Rest of Pacific",
            "Rest of the Pacific",
            "Other Oceania",
            "Rest of Oceania",
        ),
    ),
    CountryGroup(
        "G_REST_OF_ASIA",
        "Rest of Asia",
        "Asian countries other than those listed separately in the same table.",
        ("Other Asia", "Other Asian countries", "Rest of Asian countries"),
    ),
    CountryGroup("G_ASIA", "Asia", "Asia as a whole.", ("Asian countries",)),
    CountryGroup(
        "G_USA_CANADA",
        "USA/Canada",
        "The United States of America and Canada together (Pacific tables' 'North America').",
        ("USA and Canada", "US and Canada", "United States and Canada", "North America"),
    ),
    CountryGroup(
        "G_CONTINENTAL_EUROPE",
        "Continental Europe",
        "European countries other than the United Kingdom.",
        ("Europe excluding UK", "Europe excl UK", "Europe (excl. UK)", "Mainland Europe"),
    ),
    CountryGroup(
        "G_REST_OF_EUROPE",
        "Rest of Europe",
        "European countries other than those listed separately in the same table.",
        ("Other Europe", "Other European countries"),
    ),
    CountryGroup("G_EUROPE", "Europe", "Europe as a whole.", ("European countries",)),
    CountryGroup("G_MIDDLE_EAST", "Middle East", "Middle Eastern countries.", ()),
    CountryGroup("G_AFRICA", "Africa", "African countries.", ("African countries",)),
    CountryGroup(
        "G_LATIN_AMERICA",
        "Latin America",
        "Central and South America and the Caribbean.",
        ("South America", "Central and South America", "Latin America and the Caribbean"),
    ),
    CountryGroup(
        "G_REST_OF_WORLD",
        "Rest of World",
        "Every country not listed separately in the same table.",
        ("Rest of the World", "RoW"),
    ),
    CountryGroup(
        "G_OTHER_COUNTRIES",
        "Other countries",
        "Countries the member grouped as 'Others' in its table.",
        ("Others", "Other", "All other countries", "Other nationalities", "Other nationality"),
    ),
)
# The groups' names in French (curated: they are the Secretariat's own groupings).
GROUP_NAMES_FR: dict[str, str] = {
    "G_AFRICA": "Afrique",
    "G_ASIA": "Asie",
    "G_CONTINENTAL_EUROPE": "Europe continentale",
    "G_EUROPE": "Europe",
    "G_LATIN_AMERICA": "Amérique latine",
    "G_MIDDLE_EAST": "Moyen-Orient",
    "G_OTHER_COUNTRIES": "Autres pays",
    "G_OTHER_PACIFIC": "Autres pays du Pacifique",
    "G_PACIFIC_ISLANDS": "Îles du Pacifique",
    "G_REST_OF_ASIA": "Reste de l’Asie",
    "G_REST_OF_EUROPE": "Reste de l’Europe",
    "G_REST_OF_WORLD": "Reste du monde",
    "G_USA_CANADA": "États-Unis et Canada",
}

# Names people use that ISO does not list (or lists only inside "X, Y of" forms).
COMMON_NAMES: dict[str, str] = {
    "Britain": "GBR",
    "Great Britain": "GBR",
    "England": "GBR",
    "Scotland": "GBR",
    "Wales": "GBR",
    "Northern Ireland": "GBR",
    "Brunei": "BRN",
    "Russia": "RUS",
    "Turkey": "TUR",
    "Czech Republic": "CZE",
    "Ivory Coast": "CIV",
    "Holland": "NLD",
    "The Netherlands": "NLD",
    "Chinese Taipei": "TWN",
    "Republic of China": "TWN",
    "Mainland China": "CHN",
    "China PR": "CHN",
    "PR China": "CHN",
    "Hong Kong SAR": "HKG",
    "Hong Kong SAR China": "HKG",
    "Macau": "MAC",
    "Macao SAR": "MAC",
    "Macau SAR": "MAC",
    "Vatican": "VAT",
    "Vatican City": "VAT",
    "Republic of the Congo": "COG",
    "Congo-Brazzaville": "COG",
    "Democratic Republic of Congo": "COD",
    "DR Congo": "COD",
    "Congo-Kinshasa": "COD",
    "British Virgin Islands": "VGB",
    "US Virgin Islands": "VIR",
    "Tahiti": "PYF",
    "Samoa (Western)": "WSM",
    "Federated States of Micronesia": "FSM",
    "Pohnpei": "FSM",
    "Wallis": "WLF",
    "Futuna": "WLF",
}

# Old names, curated for the Pacific and for names members still write.
HISTORIC_NAMES: dict[str, str] = {
    "Western Samoa": "WSM",
    "New Hebrides": "VUT",
    "Gilbert Islands": "KIR",
    "Ellice Islands": "TUV",
    "British Solomon Islands": "SLB",
    "British Solomon Islands Protectorate": "SLB",
    "Territory of Papua and New Guinea": "PNG",
    "Papua and New Guinea": "PNG",
    "Pleasant Island": "NRU",
    "French Oceania": "PYF",
    "Burma": "MMR",
    "Ceylon": "LKA",
    "Siam": "THA",
    "Persia": "IRN",
    "Kampuchea": "KHM",
    "Democratic Kampuchea": "KHM",
    "Malaya": "MYS",
    "Formosa": "TWN",
    "Dutch East Indies": "IDN",
    "Portuguese Timor": "TLS",
    "East Timor": "TLS",
    "Swaziland": "SWZ",
    "Macedonia": "MKD",
    "Former Yugoslav Republic of Macedonia": "MKD",
    "Cape Verde": "CPV",
    "Zaire": "COD",
    "Rhodesia": "ZWE",
    "East Germany": "DEU",
    "West Germany": "DEU",
}

# pycountry.historic_countries entries with exactly one present-day successor; the others
# (USSR, Yugoslavia, Netherlands Antilles, Gilbert and Ellice Islands...) split and stay unmapped.
HISTORIC_SUCCESSORS: dict[str, str] = {
    "AFI": "DJI",
    "ATB": "ATA",
    "ATN": "ATA",
    "BUR": "MMR",
    "BYS": "BLR",
    "CTE": "KIR",
    "DDR": "DEU",
    "DHY": "BEN",
    "FXX": "FRA",
    "HVO": "BFA",
    "JTN": "UMI",
    "MID": "UMI",
    "NHB": "VUT",
    "PCZ": "PAN",
    "PUS": "UMI",
    "RHO": "ZWE",
    "SKM": "IND",
    "TMP": "TLS",
    "VDR": "VNM",
    "WAK": "UMI",
    "YMD": "YEM",
    "ZAR": "COD",
}

ABBREVIATIONS: dict[str, str] = {
    "PRC": "CHN",
    "P.R.C.": "CHN",
    "U.S.A.": "USA",
    "U.S.": "USA",
    "UK": "GBR",
    "U.K.": "GBR",
    "N.Z.": "NZL",
    "ROK": "KOR",
    "DPRK": "PRK",
    "UAE": "ARE",
    "U.A.E.": "ARE",
    "RMI": "MHL",
    "KSA": "SAU",
    "HKSAR": "HKG",
    "ROC": "TWN",
    "CNMI": "MNP",
    "BVI": "VGB",
    "USVI": "VIR",
    "DRC": "COD",
    "FYROM": "MKD",
}

# Nationality adjectives and nouns, weighted to the Pacific and Asia. Ambiguous ones
# ("Dominican", "Congolese", "Guinean") are left out on purpose: they name two countries.
DEMONYMS: dict[str, str] = {
    # Pacific
    "Fijian": "FJI",
    "Fiji Islander": "FJI",
    "i-Kiribati": "KIR",
    "Ni-Vanuatu": "VUT",
    "Vanuatuan": "VUT",
    "Solomon Islander": "SLB",
    "Papua New Guinean": "PNG",
    "Samoan": "WSM",
    "American Samoan": "ASM",
    "Tongan": "TON",
    "Tuvaluan": "TUV",
    "Nauruan": "NRU",
    "Palauan": "PLW",
    "Marshallese": "MHL",
    "Micronesian": "FSM",
    "Cook Islander": "COK",
    "Niuean": "NIU",
    "Tokelauan": "TKL",
    "Wallisian": "WLF",
    "Futunan": "WLF",
    "French Polynesian": "PYF",
    "Tahitian": "PYF",
    "New Caledonian": "NCL",
    "Guamanian": "GUM",
    "Northern Mariana Islander": "MNP",
    "Norfolk Islander": "NFK",
    "Pitcairn Islander": "PCN",
    "Australian": "AUS",
    "Aussie": "AUS",
    "New Zealander": "NZL",
    "Kiwi": "NZL",
    # Asia
    "Chinese": "CHN",
    "Taiwanese": "TWN",
    "Hong Konger": "HKG",
    "Hongkonger": "HKG",
    "Macanese": "MAC",
    "Japanese": "JPN",
    "Korean": "KOR",
    "South Korean": "KOR",
    "North Korean": "PRK",
    "Mongolian": "MNG",
    "Filipino": "PHL",
    "Filipina": "PHL",
    "Philippine": "PHL",
    "Indonesian": "IDN",
    "Malaysian": "MYS",
    "Singaporean": "SGP",
    "Thai": "THA",
    "Vietnamese": "VNM",
    "Cambodian": "KHM",
    "Lao": "LAO",
    "Laotian": "LAO",
    "Burmese": "MMR",
    "Bruneian": "BRN",
    "Timorese": "TLS",
    "East Timorese": "TLS",
    "Indian": "IND",
    "Pakistani": "PAK",
    "Bangladeshi": "BGD",
    "Sri Lankan": "LKA",
    "Nepalese": "NPL",
    "Nepali": "NPL",
    "Bhutanese": "BTN",
    "Maldivian": "MDV",
    "Afghan": "AFG",
    "Iranian": "IRN",
    "Iraqi": "IRQ",
    "Syrian": "SYR",
    "Lebanese": "LBN",
    "Jordanian": "JOR",
    "Israeli": "ISR",
    "Palestinian": "PSE",
    "Saudi": "SAU",
    "Saudi Arabian": "SAU",
    "Emirati": "ARE",
    "Qatari": "QAT",
    "Kuwaiti": "KWT",
    "Omani": "OMN",
    "Yemeni": "YEM",
    "Bahraini": "BHR",
    "Turkish": "TUR",
    "Kazakh": "KAZ",
    "Kazakhstani": "KAZ",
    "Uzbek": "UZB",
    "Kyrgyz": "KGZ",
    "Tajik": "TJK",
    "Turkmen": "TKM",
    # Americas
    "American": "USA",
    "Canadian": "CAN",
    "Mexican": "MEX",
    "Brazilian": "BRA",
    "Argentine": "ARG",
    "Argentinian": "ARG",
    "Chilean": "CHL",
    "Peruvian": "PER",
    "Colombian": "COL",
    "Venezuelan": "VEN",
    "Ecuadorian": "ECU",
    "Bolivian": "BOL",
    "Uruguayan": "URY",
    "Paraguayan": "PRY",
    "Cuban": "CUB",
    "Jamaican": "JAM",
    "Haitian": "HTI",
    "Guatemalan": "GTM",
    "Honduran": "HND",
    "Salvadoran": "SLV",
    "Nicaraguan": "NIC",
    "Costa Rican": "CRI",
    "Panamanian": "PAN",
    # Europe
    "British": "GBR",
    "English": "GBR",
    "Scottish": "GBR",
    "Welsh": "GBR",
    "Northern Irish": "GBR",
    "Irish": "IRL",
    "French": "FRA",
    "German": "DEU",
    "Italian": "ITA",
    "Spanish": "ESP",
    "Portuguese": "PRT",
    "Dutch": "NLD",
    "Belgian": "BEL",
    "Swiss": "CHE",
    "Austrian": "AUT",
    "Swedish": "SWE",
    "Norwegian": "NOR",
    "Danish": "DNK",
    "Finnish": "FIN",
    "Icelandic": "ISL",
    "Polish": "POL",
    "Czech": "CZE",
    "Slovak": "SVK",
    "Hungarian": "HUN",
    "Romanian": "ROU",
    "Bulgarian": "BGR",
    "Greek": "GRC",
    "Russian": "RUS",
    "Ukrainian": "UKR",
    "Belarusian": "BLR",
    "Serbian": "SRB",
    "Croatian": "HRV",
    "Bosnian": "BIH",
    "Albanian": "ALB",
    "Lithuanian": "LTU",
    "Latvian": "LVA",
    "Estonian": "EST",
    "Slovenian": "SVN",
    "Maltese": "MLT",
    "Cypriot": "CYP",
    "Luxembourgish": "LUX",
    "Georgian": "GEO",
    "Armenian": "ARM",
    "Azerbaijani": "AZE",
    "Moldovan": "MDA",
    # Africa
    "Nigerian": "NGA",
    "Ghanaian": "GHA",
    "Kenyan": "KEN",
    "South African": "ZAF",
    "Ethiopian": "ETH",
    "Egyptian": "EGY",
    "Moroccan": "MAR",
    "Algerian": "DZA",
    "Tunisian": "TUN",
    "Libyan": "LBY",
    "Sudanese": "SDN",
    "South Sudanese": "SSD",
    "Somali": "SOM",
    "Eritrean": "ERI",
    "Ugandan": "UGA",
    "Tanzanian": "TZA",
    "Rwandan": "RWA",
    "Zimbabwean": "ZWE",
    "Zambian": "ZMB",
    "Cameroonian": "CMR",
    "Senegalese": "SEN",
    "Ivorian": "CIV",
    "Malagasy": "MDG",
    "Mauritian": "MUS",
}


class DatahubTableError(ValueError):
    """The country-codes table lacks a column the build needs."""


@dataclass
class ExternalFacts:
    """What the country-codes table contributes: regions, sports codes and French names."""

    regions: dict[str, tuple[str, str]] = field(default_factory=dict)
    ioc: dict[str, str] = field(default_factory=dict)
    fifa: dict[str, str] = field(default_factory=dict)
    names_fr: dict[str, str] = field(default_factory=dict)
    source: str = "none"


# "Fidji (les)", "Saint-Siège (le) *", "Îles Cook (les) **": the UNTERM short names carry the
# article in brackets and footnote stars.
_UNTERM_TAIL = re.compile(r"\s*(\((le|la|les|l')\))?\s*\**$")


def french_short_name(row: dict[str, str]) -> str:
    """A country's French short name from a datahub row ("" when the row has none)."""
    official = (row.get("official_name_fr") or "").strip()
    if official:
        return official
    return _UNTERM_TAIL.sub("", (row.get("UNTERM French Short") or "").strip())


@functools.cache
def _pycountry_french() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)


def pycountry_french_name(country) -> str:
    """pycountry's French translation of ``country``'s common (else ISO) name."""
    return _pycountry_french().gettext(getattr(country, "common_name", None) or country.name)


DATAHUB_COLUMNS = ("ISO3166-1-Alpha-3", "IOC", "FIFA", "Region Name", "Sub-region Name")
_SPORTS_CODE = re.compile(r"([A-Z]{3})\d*")


def clean_sports_code(value: str | None) -> str | None:
    """A three-letter IOC/FIFA code without the table's footnote digits ("TAH2" -> "TAH").

    Values that are not three letters after that (blank, a bare footnote "1") give ``None``.
    """
    match = _SPORTS_CODE.fullmatch((value or "").strip())
    return match.group(1) if match else None


def read_datahub(path: Path) -> ExternalFacts:
    """Regions and IOC/FIFA codes from the datasets/country-codes table at ``path``."""
    facts = ExternalFacts(source=str(path))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in DATAHUB_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DatahubTableError(
                f"{path} lacks columns {missing}; use the datasets/country-codes "
                "data/country-codes.csv file, or remove it to keep the committed values"
            )
        for row in reader:
            code = row["ISO3166-1-Alpha-3"].strip()
            if not code:
                continue
            facts.regions[code] = (row["Region Name"].strip(), row["Sub-region Name"].strip())
            if name_fr := french_short_name(row):
                facts.names_fr[code] = name_fr
            for kind, target in (("IOC", facts.ioc), ("FIFA", facts.fifa)):
                sports = clean_sports_code(row[kind])
                if sports:
                    target[code] = sports
    return facts


def facts_from_seeds(reference_dir: Path) -> ExternalFacts:
    """The table's facts as the committed seeds already hold them (for machines without it)."""
    facts = ExternalFacts(source=f"committed seeds in {reference_dir}")
    countries = reference_dir / "countries.csv"
    if countries.exists():
        with countries.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["code_kind"] == ISO:
                    facts.regions[row["country_code"]] = (row["region"], row["sub_region"])
                    if row.get("country_name_fr"):
                        facts.names_fr[row["country_code"]] = row["country_name_fr"]
    aliases = reference_dir / "country_aliases.csv"
    if aliases.exists():
        with aliases.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["alias_kind"] == "ioc":
                    facts.ioc[row["country_code"]] = row["alias"]
                elif row["alias_kind"] == "fifa":
                    facts.fifa[row["country_code"]] = row["alias"]
    return facts


def country_rows(facts: ExternalFacts) -> list[list[object]]:
    """Rows of seed ``countries.csv``: every ISO 3166-1 country, then the ICAO specials.

    ``country_name_fr`` comes from the country-codes table (``facts.names_fr``), else from
    pycountry's French catalog; the specials' from :data:`SPECIAL_NAMES_FR`.
    """
    rows: list[list[object]] = []
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_3):
        region, sub_region = facts.regions.get(country.alpha_3, ("", ""))
        rows.append(
            [
                country.alpha_3,
                country.alpha_2,
                country.numeric,
                getattr(country, "common_name", None) or country.name,
                facts.names_fr.get(country.alpha_3) or pycountry_french_name(country),
                getattr(country, "official_name", None) or country.name,
                region,
                sub_region,
                ISO,
            ]
        )
    for special in SPECIAL_CODES:
        rows.append(
            [
                special.code,
                "",
                "",
                special.name,
                SPECIAL_NAMES_FR[special.code],
                special.official_name,
                "",
                "",
                ICAO_SPECIAL,
            ]
        )
    return rows


def group_rows() -> list[list[object]]:
    """Rows of seed ``country_groups.csv``, sorted by group code."""
    return [
        [g.code, g.name, GROUP_NAMES_FR[g.code], g.description]
        for g in sorted(GROUPS, key=lambda g: g.code)
    ]


@dataclass(frozen=True)
class AliasCandidate:
    """One spelling a source offers for a code, before conflicts are settled."""

    alias: str
    code: str
    source: str

    @property
    def normalised(self) -> str:
        return normalise_label(self.alias)

    @property
    def kind(self) -> str:
        """The ``alias_kind`` written to the seed."""
        return "name" if self.source == "name_variant" else self.source

    @property
    def rank(self) -> int:
        return SOURCE_RANK[self.source]


@dataclass(frozen=True)
class DroppedAlias:
    """A candidate left out of the seed, and why."""

    alias_normalised: str
    code: str
    source: str
    reason: str


def name_variants(name: str) -> list[str]:
    """Forms derived from an ISO name that people also write.

    "Korea, Republic of" -> "Korea", "Republic of Korea"; "Falkland Islands (Malvinas)" ->
    "Falkland Islands"; "Saint Lucia" -> "St Lucia"; "Trinidad and Tobago" -> "Trinidad &
    Tobago" (which normalises to "trinidad tobago").
    """
    variants: list[str] = []
    if "(" in name:
        variants.append(re.sub(r"\s*\([^)]*\)", "", name).strip())
    if "," in name:
        head, tail = (part.strip() for part in name.split(",", 1))
        variants.append(head)
        if re.search(r"\bof( the)?$", tail, re.IGNORECASE):
            variants.append(f"{tail} {head}")
    for form in [name, *variants]:
        if form.startswith("Saint "):
            variants.append("St " + form.removeprefix("Saint "))
        if " and " in form:
            variants.append(form.replace(" and ", " & "))
    return variants


def alias_candidates(facts: ExternalFacts) -> list[AliasCandidate]:
    """Every candidate alias from every source, unsettled."""
    out: list[AliasCandidate] = []
    for country in pycountry.countries:
        code = country.alpha_3
        name_fr = facts.names_fr.get(code) or pycountry_french_name(country)
        out.append(AliasCandidate(name_fr, code, "name_fr"))
        out.append(AliasCandidate(code, code, "alpha3"))
        out.append(AliasCandidate(country.alpha_2, code, "alpha2"))
        out.append(AliasCandidate(country.numeric, code, "numeric"))
        # Spreadsheets drop leading zeros ("36" for Australia's "036").
        out.append(AliasCandidate(str(int(country.numeric)), code, "numeric"))
        out.append(AliasCandidate(country.name, code, "name"))
        for variant in name_variants(country.name):
            out.append(AliasCandidate(variant, code, "name_variant"))
        official = getattr(country, "official_name", None)
        if official:
            out.append(AliasCandidate(official, code, "official_name"))
        common = getattr(country, "common_name", None)
        if common:
            out.append(AliasCandidate(common, code, "common_name"))
    for alias, code in COMMON_NAMES.items():
        out.append(AliasCandidate(alias, code, "common_name"))
    for historic in pycountry.historic_countries:
        successor = HISTORIC_SUCCESSORS.get(historic.alpha_3)
        if successor:
            for form in [historic.name, *name_variants(historic.name)]:
                out.append(AliasCandidate(form, successor, "historic"))
    for alias, code in HISTORIC_NAMES.items():
        out.append(AliasCandidate(alias, code, "historic"))
    for alias, code in ABBREVIATIONS.items():
        out.append(AliasCandidate(alias, code, "abbreviation"))
    for alias, code in DEMONYMS.items():
        out.append(AliasCandidate(alias, code, "demonym"))
    for code, sports in facts.ioc.items():
        out.append(AliasCandidate(sports, code, "ioc"))
    for code, sports in facts.fifa.items():
        out.append(AliasCandidate(sports, code, "fifa"))
    for special in SPECIAL_CODES:
        out.append(AliasCandidate(special.code, special.code, "alpha3"))
        out.append(AliasCandidate(special.name, special.code, "name"))
        out.append(AliasCandidate(SPECIAL_NAMES_FR[special.code], special.code, "name_fr"))
        for alias in special.aliases:
            out.append(AliasCandidate(alias, special.code, "common_name"))
    for group in GROUPS:
        for alias in (group.code, group.name, GROUP_NAMES_FR[group.code], *group.aliases):
            out.append(AliasCandidate(alias, group.code, "group"))
    return [c for c in out if c.normalised]


def resolve_aliases(
    candidates: list[AliasCandidate],
) -> tuple[list[AliasCandidate], list[DroppedAlias]]:
    """One winner per normalised alias by :data:`SOURCE_RANK`, and the candidates dropped.

    The same code offered by several sources is not a conflict: the best-ranked source names
    the row's ``alias_kind``. Two codes tied at the best rank make the alias ambiguous, and it
    is dropped for both.
    """
    by_alias: dict[str, list[AliasCandidate]] = defaultdict(list)
    for candidate in candidates:
        by_alias[candidate.normalised].append(candidate)
    winners: list[AliasCandidate] = []
    dropped: list[DroppedAlias] = []
    for normalised in sorted(by_alias):
        # Best candidate per code; sort makes the choice among equal ranks deterministic.
        best: dict[str, AliasCandidate] = {}
        for candidate in sorted(by_alias[normalised], key=lambda c: (c.rank, c.alias)):
            best.setdefault(candidate.code, candidate)
        top_rank = min(c.rank for c in best.values())
        top = [c for c in best.values() if c.rank == top_rank]
        if len(top) > 1:
            codes = ", ".join(sorted(c.code for c in top))
            for candidate in sorted(best.values(), key=lambda c: c.code):
                dropped.append(
                    DroppedAlias(
                        normalised,
                        candidate.code,
                        candidate.source,
                        f"ambiguous: names {codes} at the same precedence",
                    )
                )
            continue
        winner = top[0]
        winners.append(winner)
        for candidate in sorted(best.values(), key=lambda c: c.code):
            if candidate.code != winner.code:
                dropped.append(
                    DroppedAlias(
                        normalised,
                        candidate.code,
                        candidate.source,
                        f"lost to {winner.code} ({winner.source})",
                    )
                )
    return winners, dropped


def alias_rows(winners: list[AliasCandidate]) -> list[list[object]]:
    """Rows of seed ``country_aliases.csv``, sorted by normalised alias (unique)."""
    return [
        [w.alias, w.normalised, w.code, w.kind] for w in sorted(winners, key=lambda w: w.normalised)
    ]
