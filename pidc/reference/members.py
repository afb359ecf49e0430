"""The 21 PIDC members and their dated membership.

No offline library knows capitals and their coordinates, so they are curated here (decimal
degrees, WGS 84, four decimals: about ten metres, plenty for a regional map). Longitudes stay in
-180..180; maps centre on the Pacific themselves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """A reporting member: ISO 3166-1 alpha-3 code, name, sub-region and capital."""

    code: str
    name: str
    sub_region: str
    capital: str
    latitude: float
    longitude: float


# Sub-regions as in the domain document (UN M49 names).
MEMBERS: tuple[Member, ...] = (
    Member("FJI", "Fiji", "Melanesia", "Suva", -18.1416, 178.4419),
    Member("NCL", "New Caledonia", "Melanesia", "Nouméa", -22.2758, 166.4580),
    Member("PNG", "Papua New Guinea", "Melanesia", "Port Moresby", -9.4438, 147.1803),
    Member("SLB", "Solomon Islands", "Melanesia", "Honiara", -9.4456, 159.9729),
    Member("VUT", "Vanuatu", "Melanesia", "Port Vila", -17.7334, 168.3273),
    Member("FSM", "Federated States of Micronesia", "Micronesia", "Palikir", 6.9248, 158.1610),
    Member("KIR", "Kiribati", "Micronesia", "South Tarawa", 1.3291, 172.9790),
    Member("MHL", "Marshall Islands", "Micronesia", "Majuro", 7.0897, 171.3803),
    Member("NRU", "Nauru", "Micronesia", "Yaren", -0.5477, 166.9209),
    Member("PLW", "Palau", "Micronesia", "Ngerulmud", 7.5006, 134.6242),
    Member("ASM", "American Samoa", "Polynesia", "Pago Pago", -14.2756, -170.7020),
    Member("COK", "Cook Islands", "Polynesia", "Avarua", -21.2078, -159.7750),
    Member("NIU", "Niue", "Polynesia", "Alofi", -19.0595, -169.9187),
    Member("PYF", "French Polynesia", "Polynesia", "Papeete", -17.5350, -149.5696),
    # Tokelau has no capital; the administrative seat rotates between the three atolls.
    Member("TKL", "Tokelau", "Polynesia", "Fakaofo", -9.3653, -171.2153),
    Member("TON", "Tonga", "Polynesia", "Nukuʻalofa", -21.1393, -175.2049),
    Member("TUV", "Tuvalu", "Polynesia", "Funafuti", -8.5211, 179.1983),
    Member("WLF", "Wallis and Futuna", "Polynesia", "Mata-Utu", -13.2825, -176.1736),
    Member("WSM", "Samoa", "Polynesia", "Apia", -13.8314, -171.7518),
    Member("AUS", "Australia", "Australia and New Zealand", "Canberra", -35.2809, 149.1300),
    Member("NZL", "New Zealand", "Australia and New Zealand", "Wellington", -41.2865, 174.7762),
)

# The PIDC regional reporting started in January 2017; every current member has been one since.
REPORTING_START = "2017-01-01"


@dataclass(frozen=True)
class Membership:
    """One member's membership spell; ``valid_to`` empty while it is still a member."""

    member_code: str
    valid_from: str
    valid_to: str = ""


MEMBERSHIP: tuple[Membership, ...] = tuple(
    Membership(member.code, REPORTING_START) for member in MEMBERS
)


def members_rows(country_names_fr: dict[str, str]) -> list[list[object]]:
    """Rows of seed ``members.csv``, sorted by member code.

    ``member_name_fr`` is the member's country name in French from the countries seed's
    reference (``country_names_fr``, alpha-3 -> name), never typed here.
    """
    missing = sorted(m.code for m in MEMBERS if not country_names_fr.get(m.code))
    if missing:
        raise ValueError(f"no French country name for members {missing}")
    return [
        [
            m.code,
            m.name,
            country_names_fr[m.code],
            m.sub_region,
            m.capital,
            f"{m.latitude:.4f}",
            f"{m.longitude:.4f}",
        ]
        for m in sorted(MEMBERS, key=lambda m: m.code)
    ]


def membership_rows() -> list[list[object]]:
    """Rows of seed ``membership.csv``, sorted by member code and start date."""
    spells = sorted(MEMBERSHIP, key=lambda s: (s.member_code, s.valid_from))
    return [[s.member_code, s.valid_from, s.valid_to] for s in spells]
