"""Who the sample members are and how each one writes its returns.

Facts about members and ports come from the reference seeds (``members.csv``, ``ports.csv``)
when they exist; a small built-in table stands in while they do not. What is invented here is
only the *behaviour* of each member's office: how big it is, whether it sends the template
workbook or CSV files, which encoding its software writes, how it spells countries, which of
its own labels it uses for purposes or reasons, and how often it is late.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache

import pycountry

from pidc.normalise import normalise_label
from pidc.reference.seeds import seed_exists, seed_rows
from pidc.settings import SEEDS_DIR

REFERENCE_DIR = SEEDS_DIR / "reference"
MEMBER_LABEL_MAPPINGS_CSV = REFERENCE_DIR / "member_label_mappings.csv"
MEMBER_LABEL_MAPPINGS_HEADER = ["member_code", "code_list", "label", "label_normalised", "code"]

# Stand-in for members.csv while the reference seeds are being written: code -> sub-region.
FALLBACK_MEMBERS: dict[str, str] = {
    **dict.fromkeys(["FJI", "NCL", "PNG", "SLB", "VUT"], "Melanesia"),
    **dict.fromkeys(["FSM", "KIR", "MHL", "NRU", "PLW"], "Micronesia"),
    **dict.fromkeys(["ASM", "COK", "NIU", "PYF", "TKL", "TON", "TUV", "WLF", "WSM"], "Polynesia"),
    **dict.fromkeys(["AUS", "NZL"], "Australia and New Zealand"),
}

# Stand-in for ports.csv: (port_code, member_code, port_name, port_mode).
FALLBACK_PORTS: list[tuple[str, str, str, str]] = [
    ("AUSYD", "AUS", "Sydney Kingsford Smith Airport", "AIR"),
    ("AUMEL", "AUS", "Melbourne Airport", "AIR"),
    ("AUBNE", "AUS", "Brisbane Airport", "AIR"),
    ("AUFRE", "AUS", "Port of Fremantle", "SEA"),
    ("NZAKL", "NZL", "Auckland Airport", "AIR"),
    ("NZCHC", "NZL", "Christchurch Airport", "AIR"),
    ("NZWLG", "NZL", "Wellington Airport", "AIR"),
    ("NZTRG", "NZL", "Port of Tauranga", "SEA"),
    ("FJNAN", "FJI", "Nadi International Airport", "AIR"),
    ("FJSUV", "FJI", "Nausori Airport", "AIR"),
    ("FJLTK", "FJI", "Port of Lautoka", "SEA"),
    ("NCNOU", "NCL", "Noumea La Tontouta Airport", "AIR"),
    ("NCNOS", "NCL", "Port of Noumea", "SEA"),
    ("PGPOM", "PNG", "Port Moresby Jacksons Airport", "AIR"),
    ("PGLAE", "PNG", "Port of Lae", "SEA"),
    ("SBHIR", "SLB", "Honiara International Airport", "AIR"),
    ("SBHIS", "SLB", "Port of Honiara", "SEA"),
    ("VUVLI", "VUT", "Port Vila Bauerfield Airport", "AIR"),
    ("VUPVS", "VUT", "Port Vila Harbour", "SEA"),
    ("FMPNI", "FSM", "Pohnpei International Airport", "AIR"),
    ("FMTKK", "FSM", "Chuuk International Airport", "AIR"),
    ("KITRW", "KIR", "Bonriki International Airport", "AIR"),
    ("KIBET", "KIR", "Port of Betio", "SEA"),
    ("MHMAJ", "MHL", "Marshall Islands International Airport", "AIR"),
    ("MHMJS", "MHL", "Port of Majuro", "SEA"),
    ("NRINU", "NRU", "Nauru International Airport", "AIR"),
    ("PWROR", "PLW", "Palau International Airport", "AIR"),
    ("PWMLK", "PLW", "Port of Malakal", "SEA"),
    ("ASPPG", "ASM", "Pago Pago International Airport", "AIR"),
    ("ASPPS", "ASM", "Port of Pago Pago", "SEA"),
    ("CKRAR", "COK", "Rarotonga International Airport", "AIR"),
    ("CKAVA", "COK", "Port of Avarua", "SEA"),
    ("NUIUE", "NIU", "Niue International Airport", "AIR"),
    ("NUALO", "NIU", "Alofi Wharf", "SEA"),
    ("PFPPT", "PYF", "Tahiti Faa'a International Airport", "AIR"),
    ("PFPPS", "PYF", "Port of Papeete", "SEA"),
    ("TKFAK", "TKL", "Fakaofo", "SEA"),
    ("TKNKU", "TKL", "Nukunonu", "SEA"),
    ("TKAFA", "TKL", "Atafu", "SEA"),
    ("TOTBU", "TON", "Fua'amotu International Airport", "AIR"),
    ("TONUK", "TON", "Port of Nuku'alofa", "SEA"),
    ("TVFUN", "TUV", "Funafuti International Airport", "AIR"),
    ("TVFUS", "TUV", "Port of Funafuti", "SEA"),
    ("WFWLS", "WLF", "Hihifo Airport", "AIR"),
    ("WFMAU", "WLF", "Port of Mata-Utu", "SEA"),
    ("WSAPW", "WSM", "Faleolo International Airport", "AIR"),
    ("WSAPI", "WSM", "Port of Apia", "SEA"),
]


@dataclass(frozen=True)
class Port:
    """A port of entry as the ports seed lists it."""

    code: str
    name: str
    mode: str


@dataclass(frozen=True)
class MemberProfile:
    """How one member's office reports: size, file format and spelling habits.

    ``annual_movements`` is arrivals plus departures in a year. ``country_style`` is one of
    alpha3, alpha2, names, demonyms, sports, groups. ``own_labels`` maps a code list to the
    member's own label for each code (used instead of the code); ``contract_labels`` lists the
    code lists the member writes with the contract's English labels. ``sex_age_datasets`` names
    the datasets besides ``irregular`` the office breaks down by sex and age group (the others
    it sends as totals, ``_T``, leaving the columns out of its CSV files), in the
    ``age_banding`` it uses: ``broad`` (Y0T17 ... Y_GE55) or ``five_year`` (Y0T4 ... Y_GE65).
    ``language`` is the edition of the template a workbook office fills in: the French-speaking
    territories (New Caledonia, French Polynesia, Wallis and Futuna) pick French labels from
    the French edition's drop-downs.
    """

    code: str
    annual_movements: int
    file_format: str  # xlsx or csv
    country_style: str
    encoding: str = "utf-8"
    delimiter: str = ","
    port_style: str = "code"  # code or name
    visitor_basis: str = "NAT"
    lateness: float = 0.1  # share of returns received after the deadline
    contract_labels: tuple[str, ...] = ()
    own_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    footnotes: dict[str, str] = field(default_factory=dict)  # country code -> marker
    sex_age_datasets: tuple[str, ...] = ()
    age_banding: str = "broad"  # broad or five_year
    language: str = "en"  # edition of the regional template the office fills in: en or fr


# Labels that members use instead of regional codes. Each one is listed in the committed seed
# member_label_mappings.csv, which `python -m sample_data mappings` rewrites from this table.
_FJI_PURPOSE = {
    "HOL": "Holiday",
    "BUS": "Business",
    "VFR": "Visiting Friends/Relatives",
    "EDU": "Education/Training",
    "EMP": "Employment",
    "OFF": "Official/Conference",
    "TRN": "Transit",
    "OTH": "Others",
    "_U": "Not Stated",
    "_Z": "N/A",
}
_VUT_PURPOSE = {
    "HOL": "Tourism",
    "BUS": "Business trip",
    "VFR": "Visiting family",
    "EDU": "Study",
    "EMP": "Work",
    "OFF": "Government mission",
    "TRN": "In transit",
    "OTH": "Other purpose",
    "_U": "Purpose not given",
    "_Z": "No purpose recorded",
}
_SLB_REASON = {
    "A": "No passport",
    "B": "Fake passport",
    "C": "No visa",
    "D": "Fake visa",
    "E": "No onward ticket",
    "F": "Previous overstayer",
    "G": "Insufficient funds",
    "H": "Watchlisted",
    "I": "Health or security risk",
    "OTH": "Other reason",
}
_PNG_REASON = {
    "A": "Invalid passport",
    "B": "Forged passport",
    "C": "Visa not held",
    "D": "Forged visa",
    "E": "Purpose of visit not genuine",
    "F": "Overstayed before",
    "G": "No funds",
    "H": "Prohibited immigrant",
    "I": "Public health or security threat",
    "OTH": "Other grounds",
}
_COK_IRREGULAR = {
    "IRREGULAR_ENTRY": "Illegal entry",
    "OVERSTAY": "Overstayer",
    "VISA_BREACH": "Breach of permit conditions",
    "ABSCONDED_CREW": "Crew deserter",
    "STOWAWAY": "Stowaway found",
    "UNAUTHORISED_WORK": "Working illegally",
}
_ASM_AGE = {"Y0T17": "0-17", "Y18T34": "18-34", "Y35T54": "35-54", "Y_GE55": "55+", "_U": "Age n/s"}
_KIR_TRAVELLER = {
    "CIT": "Returning citizens",
    "RES": "Returning residents",
    "VIS": "Visitors",
    "CRW": "Ship and air crew",
    "TRN": "Transit passengers",
}
_MHL_DIRECTION = {"ARR": "IN", "DEP": "OUT"}
_FJI_DOCUMENT = {
    "PASSPORT": "Passport book",
    "VISA": "Visa label",
    "ID_CARD": "National ID",
    "RESIDENCE_PERMIT": "Residence permit",
    "OTHER": "Other document",
}
_FJI_FRAUD = {
    "COUNTERFEIT": "Counterfeit",
    "FORGED": "Photo substitution",
    "FRAUD_OBTAINED": "Genuine fraudulently obtained",
    "IMPOSTOR": "Look-alike",
    "PSEUDO": "Fantasy document",
    "STOLEN_BLANK": "Stolen blank",
}
_FJI_REMOVAL = {
    "DEPORTATION": "Deported",
    "REMOVAL": "Removed",
    "VOLUNTARY_DEPARTURE": "Left voluntarily",
    "ASSISTED_RETURN": "Assisted voluntary return",
}
_SLB_ROLE = {
    "FACILITATOR": "Smuggler or trafficker",
    "SMUGGLED_PERSON": "Smuggled migrant",
    "VICTIM": "Trafficking victim",
}
_TKL_BASIS = {"NAT": "Citizenship", "RES": "Residence"}

PROFILES: dict[str, MemberProfile] = {
    profile.code: profile
    for profile in [
        # Template workbook members.
        MemberProfile(
            "AUS",
            36_000_000,
            "xlsx",
            "alpha3",
            lateness=0.03,
            sex_age_datasets=("facilitation", "removals"),
            age_banding="five_year",
        ),
        MemberProfile(
            "NZL",
            14_000_000,
            "xlsx",
            "alpha3",
            contract_labels=("purpose",),
            sex_age_datasets=("facilitation",),
        ),
        MemberProfile(
            "PNG",
            450_000,
            "xlsx",
            "names",
            lateness=0.35,
            own_labels={"refusal_reason": _PNG_REASON},
        ),
        MemberProfile("NCL", 500_000, "xlsx", "alpha2", lateness=0.15, language="fr"),
        MemberProfile("PYF", 600_000, "xlsx", "alpha2", lateness=0.1, language="fr"),
        MemberProfile("WSM", 350_000, "xlsx", "names", lateness=0.2),
        MemberProfile("TON", 200_000, "xlsx", "sports", lateness=0.25),
        MemberProfile("PLW", 200_000, "xlsx", "alpha3", lateness=0.15),
        MemberProfile("FSM", 80_000, "xlsx", "demonyms", lateness=0.3),
        MemberProfile("TUV", 12_000, "xlsx", "alpha3", lateness=0.3),
        MemberProfile("WLF", 20_000, "xlsx", "alpha2", lateness=0.2, language="fr"),
        # CSV members: one file per dataset, their own software's encoding and delimiter.
        MemberProfile(
            "FJI",
            2_000_000,
            "csv",
            "groups",
            encoding="utf-8-sig",
            visitor_basis="RES",
            lateness=0.1,
            contract_labels=("direction", "traveller_type", "mode", "sex"),
            own_labels={
                "purpose": _FJI_PURPOSE,
                "document_type": _FJI_DOCUMENT,
                "fraud_type": _FJI_FRAUD,
                "removal_type": _FJI_REMOVAL,
            },
            # Victims of trafficking and persons removed by sex and five-year age band, the
            # banding of the Fiji Bureau of Statistics' own tables.
            sex_age_datasets=("facilitation", "removals"),
            age_banding="five_year",
        ),
        MemberProfile(
            "SLB",
            120_000,
            "csv",
            "demonyms",
            encoding="cp1252",
            delimiter=";",
            port_style="name",
            lateness=0.45,
            own_labels={"refusal_reason": _SLB_REASON, "facilitation_role": _SLB_ROLE},
        ),
        MemberProfile(
            "VUT",
            350_000,
            "csv",
            "sports",
            encoding="utf-16",
            lateness=0.3,
            contract_labels=("traveller_type",),
            own_labels={"purpose": _VUT_PURPOSE},
        ),
        MemberProfile(
            "KIR",
            40_000,
            "csv",
            "alpha3",
            lateness=0.4,
            own_labels={"traveller_type": _KIR_TRAVELLER},
        ),
        MemberProfile(
            "MHL",
            50_000,
            "csv",
            "alpha2",
            delimiter=";",
            lateness=0.25,
            own_labels={"direction": _MHL_DIRECTION},
        ),
        MemberProfile(
            "NRU", 25_000, "csv", "names", encoding="cp1252", port_style="name", lateness=0.5
        ),
        MemberProfile(
            "ASM",
            100_000,
            "csv",
            "names",
            lateness=0.2,
            contract_labels=("sex", "irregular_category"),
            own_labels={"age_group": _ASM_AGE},
            sex_age_datasets=("removals",),
        ),
        MemberProfile(
            "COK",
            360_000,
            "csv",
            "names",
            encoding="utf-8-sig",
            delimiter=";",
            visitor_basis="RES",
            lateness=0.1,
            own_labels={"irregular_category": _COK_IRREGULAR},
            footnotes={"NZL": " (8)", "AUS": "*"},
        ),
        MemberProfile("NIU", 8_000, "csv", "alpha3", encoding="utf-16", delimiter=";"),
        MemberProfile(
            "TKL",
            3_000,
            "csv",
            "demonyms",
            lateness=0.35,
            own_labels={"country_basis": _TKL_BASIS},
        ),
    ]
}

# Nationality spellings that a member office is likely to write. Only standard forms: the
# reference resolver knows ISO names and official names, demonyms, old names and these groups.
_DEMONYMS = {
    "CHN": "Chinese",
    "FJI": "Fijian",
    "WSM": "Samoan",
    "TON": "Tongan",
    "KIR": "i-Kiribati",
    "VUT": "Ni-Vanuatu",
    "SLB": "Solomon Islander",
    "PNG": "Papua New Guinean",
    "PHL": "Filipino",
    "IND": "Indian",
    "IDN": "Indonesian",
    "VNM": "Vietnamese",
    "BGD": "Bangladeshi",
    "LKA": "Sri Lankan",
    "USA": "American",
    "GBR": "British",
    "AUS": "Australian",
    "NZL": "New Zealander",
    "FRA": "French",
    "JPN": "Japanese",
    "KOR": "South Korean",
}
_NAME_OVERRIDES = {"CHN": "People's Republic of China", "USA": "USA", "GBR": "United Kingdom"}
# Members whose old systems still print the colonial-era name of Samoa.
_OLD_NAME_USERS = {"ASM", "NRU"}
_SPORTS = {"FJI": "FIJ", "WSM": "SAM", "TON": "TGA", "VUT": "VAN"}
# How the Fiji Bureau of Statistics groups visitors by residence (its published tables do).
GROUP_LABELS = {
    "PAC": "Pacific Islands",
    "ASIA": "Rest of Asia",
    "EUR": "Continental Europe",
    "OTHER": "Rest of World",
    "AMER": "Rest of World",
}
GROUPS_NAMED_COUNTRIES = {"AUS", "NZL", "USA", "CAN", "GBR", "JPN", "CHN", "KOR", "IND"}

# Source countries for the Pacific: code -> (region, weight as a visitor market).
COUNTRY_POOL: dict[str, tuple[str, float]] = {
    "AUS": ("ANZ", 30),
    "NZL": ("ANZ", 20),
    "USA": ("AMER", 10),
    "CAN": ("AMER", 2),
    "CHL": ("AMER", 0.3),
    "MEX": ("AMER", 0.3),
    "BRA": ("AMER", 0.3),
    "GBR": ("EUR", 3),
    "FRA": ("EUR", 2),
    "DEU": ("EUR", 1.5),
    "ITA": ("EUR", 0.5),
    "NLD": ("EUR", 0.5),
    "ESP": ("EUR", 0.4),
    "CHE": ("EUR", 0.4),
    "SWE": ("EUR", 0.3),
    "IRL": ("EUR", 0.3),
    "CHN": ("ASIA", 6),
    "JPN": ("ASIA", 3),
    "KOR": ("ASIA", 2),
    "IND": ("ASIA", 2),
    "PHL": ("ASIA", 1.5),
    "IDN": ("ASIA", 1),
    "MYS": ("ASIA", 1),
    "SGP": ("ASIA", 1),
    "THA": ("ASIA", 0.6),
    "VNM": ("ASIA", 0.5),
    "TWN": ("ASIA", 0.6),
    "HKG": ("ASIA", 0.6),
    "BGD": ("ASIA", 0.2),
    "LKA": ("ASIA", 0.2),
    "NPL": ("ASIA", 0.2),
    "PAK": ("ASIA", 0.2),
    "FJI": ("PAC", 4),
    "WSM": ("PAC", 2),
    "TON": ("PAC", 1.5),
    "PNG": ("PAC", 1.5),
    "VUT": ("PAC", 1),
    "SLB": ("PAC", 0.8),
    "KIR": ("PAC", 0.3),
    "TUV": ("PAC", 0.2),
    "NRU": ("PAC", 0.1),
    "FSM": ("PAC", 0.2),
    "MHL": ("PAC", 0.2),
    "PLW": ("PAC", 0.1),
    "COK": ("PAC", 0.5),
    "NCL": ("PAC", 0.5),
    "PYF": ("PAC", 0.4),
    "ZAF": ("OTHER", 0.3),
    "ARE": ("OTHER", 0.2),
    "ISR": ("OTHER", 0.1),
    "TUR": ("OTHER", 0.1),
}

# Nationalities most often seen in detections, refusals and removals in the region.
ENFORCEMENT_WEIGHTS: dict[str, float] = {
    "CHN": 5,
    "IND": 3,
    "PHL": 3,
    "IDN": 2,
    "VNM": 2,
    "BGD": 1.5,
    "LKA": 1,
    "NPL": 1,
    "PAK": 1,
    "MYS": 1,
    "KOR": 0.5,
    "FJI": 2,
    "PNG": 1.5,
    "WSM": 1.5,
    "TON": 1.5,
    "VUT": 1,
    "SLB": 1,
    "KIR": 0.5,
    "TUV": 0.3,
    "USA": 0.5,
    "GBR": 0.3,
    "AUS": 0.5,
    "NZL": 0.5,
}


@cache
def members() -> dict[str, str]:
    """Member code -> sub-region, from members.csv when present, else the built-in table."""
    if seed_exists("reference/members"):
        found = {row["member_code"]: row["sub_region"] for row in seed_rows("reference/members")}
        if found:
            return dict(sorted(found.items()))
    return dict(sorted(FALLBACK_MEMBERS.items()))


@cache
def ports() -> dict[str, tuple[Port, ...]]:
    """Member code -> its ports (sorted by code), from ports.csv when present."""
    rows: list[tuple[str, str, str, str]]
    if seed_exists("reference/ports"):
        rows = [
            (r["port_code"], r["member_code"], r["port_name"], r["port_mode"].upper())
            for r in seed_rows("reference/ports")
        ]
    else:
        rows = FALLBACK_PORTS
    by_member: dict[str, list[Port]] = {}
    for code, member, name, mode in sorted(rows):
        by_member.setdefault(member, []).append(Port(code, name, mode))
    return {member: tuple(found) for member, found in by_member.items()}


def member_ports(member: str) -> tuple[Port, ...]:
    """The ports ``member`` reports through; Tokelau has no airport, so sea ports only."""
    found = ports().get(member, ())
    if member == "TKL":
        found = tuple(p for p in found if p.mode == "SEA")
    if not found:
        # A member without a listed port still reports: the contract's "unknown port".
        mode = "SEA" if member == "TKL" else "AIR"
        found = (Port("_U", "Unknown", mode),)
    return found


def stand_in_template(member: str, registry: Iterable[str]) -> str:
    """The curated member whose habits ``member`` borrows when it has no profile of its own.

    Members listed in the registry (``members.csv``) but not in :data:`PROFILES` - a member that
    joined after this release, or the extra members of a benchmark at ten times the members -
    take turns over the curated members in code order, so the mix of sizes, file formats and
    spellings stays the real one. The same registry always gives the same templates.
    """
    curated = sorted(PROFILES)
    extras = sorted(code for code in registry if code not in PROFILES)
    return curated[extras.index(member) % len(curated)]


@cache
def profile(member: str) -> MemberProfile:
    """The reporting habits of ``member``.

    A curated profile when there is one; for another member of the registry, a copy of its
    :func:`stand_in_template`'s habits without that office's own labels (those are mapped per
    member in ``member_label_mappings.csv``, so a stand-in writes codes instead); for a code not
    in the registry, a plain alpha-3 CSV reporter.
    """
    if member in PROFILES:
        return PROFILES[member]
    registry = members()
    if member in registry:
        template = PROFILES[stand_in_template(member, registry)]
        return replace(template, code=member, own_labels={})
    return MemberProfile(member, 50_000, "csv", "alpha3")


def country_names() -> dict[str, str]:
    """Alpha-3 -> the short name an office would write (ISO common name where ISO has one)."""
    names = {}
    for country in pycountry.countries:
        names[country.alpha_3] = getattr(country, "common_name", None) or country.name
    return names


_NAMES = country_names()
_ALPHA2 = {country.alpha_3: country.alpha_2 for country in pycountry.countries}


def spell_country(code: str, member: str, region: str | None = None) -> str:
    """How ``member`` writes the country ``code`` (an alpha-3 or ICAO XX? code).

    ``region`` is the pool region, only used by members that group minor markets (the
    ``groups`` style); it is ignored otherwise.
    """
    style = profile(member).country_style
    if code.startswith("XX"):
        return code  # ICAO codes are written as they are by every office
    if style == "groups" and region is not None:
        if code not in GROUPS_NAMED_COUNTRIES:
            return GROUP_LABELS.get(region, GROUP_LABELS["OTHER"])
        return _name(code, member).upper()
    if style in ("names", "groups"):
        return _name(code, member)
    if style == "demonyms":
        return _DEMONYMS.get(code) or _name(code, member)
    if style == "alpha2":
        return _ALPHA2.get(code, code)
    if style == "sports":
        return _SPORTS.get(code, code)
    return code


def _name(code: str, member: str) -> str:
    if code == "WSM" and member in _OLD_NAME_USERS:
        return "Western Samoa"
    name = _NAME_OVERRIDES.get(code) or _NAMES.get(code, code)
    if not name.isascii():
        # "Türkiye", "Côte d'Ivoire": the SQL normaliser only matches ASCII spellings exactly,
        # and cp1252 offices cannot write every accent, so such offices use the code.
        name = code
    return name + profile(member).footnotes.get(code, "")


def spell_code(code: str, code_list: str, member: str, contract_labels: dict[str, str]) -> str:
    """How ``member`` writes ``code`` of ``code_list``: its own label, the contract label, or
    the code itself."""
    habits = profile(member)
    own = habits.own_labels.get(code_list)
    if own and code in own:
        return own[code]
    if code_list in habits.contract_labels:
        return contract_labels.get(code, code)
    return code


def spell_port(port: Port, member: str) -> str:
    """How ``member`` writes a port: its code, or its name for offices that write names."""
    if profile(member).port_style == "name" and port.code != "_U":
        return port.name
    return port.code


def member_label_mapping_rows() -> list[list[str]]:
    """Rows of member_label_mappings.csv: every member-specific label the samples use."""
    rows = []
    for member, habits in sorted(PROFILES.items()):
        for code_list, labels in sorted(habits.own_labels.items()):
            for code, label in labels.items():
                rows.append([member, code_list, label, normalise_label(label), code])
    return sorted(rows)


def member_label_mappings_csv() -> str:
    """The text of member_label_mappings.csv (UTF-8, header row, ``\\n`` line ends)."""
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MEMBER_LABEL_MAPPINGS_HEADER)
    writer.writerows(member_label_mapping_rows())
    return buffer.getvalue()


def write_member_label_mappings() -> bool:
    """Rewrite the seed from the profiles; True when its content changed."""
    content = member_label_mappings_csv()
    path = MEMBER_LABEL_MAPPINGS_CSV
    if path.exists() and path.read_text(encoding="utf-8") == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return True


def size_scaled(size: int, low: int, high: int, per_decade: float) -> int:
    """A breakdown width that grows with the log of a member's size, kept in [low, high]."""
    return max(low, min(high, round(low + per_decade * math.log10(max(size, 1000) / 1000))))
