"""The main international air and sea ports of each member.

Codes are UN/LOCODE-style (the member's ISO alpha-2 then three letters). Where a city has both
an airport and a seaport, the airport takes the IATA-like code and the seaport its own code, so
one code is always one port with one mode. Coordinates are decimal degrees (WGS 84).
"""

from __future__ import annotations

from dataclasses import dataclass

AIR = "AIR"
SEA = "SEA"


@dataclass(frozen=True)
class Port:
    """A port of entry: code, member, name, mode (AIR or SEA) and position."""

    code: str
    member_code: str
    name: str
    mode: str
    latitude: float
    longitude: float


PORTS: tuple[Port, ...] = (
    # Melanesia
    Port("FJNAN", "FJI", "Nadi International Airport", AIR, -17.7554, 177.4431),
    Port("FJNAU", "FJI", "Nausori International Airport", AIR, -18.0433, 178.5592),
    Port("FJSUV", "FJI", "Port of Suva", SEA, -18.1353, 178.4233),
    Port("FJLTK", "FJI", "Port of Lautoka", SEA, -17.6044, 177.4408),
    Port("NCTON", "NCL", "Nouméa La Tontouta International Airport", AIR, -22.0146, 166.2130),
    Port("NCNOU", "NCL", "Port of Nouméa", SEA, -22.2711, 166.4380),
    Port("PGPOM", "PNG", "Port Moresby Jacksons International Airport", AIR, -9.4434, 147.2200),
    Port("PGLAE", "PNG", "Port of Lae", SEA, -6.7356, 146.9960),
    Port("PGRAB", "PNG", "Port of Rabaul", SEA, -4.1990, 152.1860),
    Port("PGMAG", "PNG", "Port of Madang", SEA, -5.2150, 145.8080),
    Port("SBHIR", "SLB", "Honiara International Airport", AIR, -9.4280, 160.0548),
    Port("SBHON", "SLB", "Port of Honiara", SEA, -9.4270, 159.9560),
    Port("SBNOR", "SLB", "Port of Noro", SEA, -8.2400, 157.2000),
    Port("VUVLI", "VUT", "Port Vila Bauerfield International Airport", AIR, -17.6993, 168.3200),
    Port("VUSON", "VUT", "Luganville Santo-Pekoa International Airport", AIR, -15.5050, 167.2197),
    Port("VUPVL", "VUT", "Port of Port Vila", SEA, -17.7460, 168.3100),
    Port("VULUG", "VUT", "Port of Luganville", SEA, -15.5333, 167.1667),
    # Micronesia
    Port("FMPNI", "FSM", "Pohnpei International Airport", AIR, 6.9851, 158.2090),
    Port("FMTKK", "FSM", "Chuuk International Airport", AIR, 7.4619, 151.8430),
    Port("FMYAP", "FSM", "Yap International Airport", AIR, 9.4989, 138.0830),
    Port("FMKOL", "FSM", "Port of Pohnpei (Dekehtik)", SEA, 6.9640, 158.2090),
    Port("KITRW", "KIR", "Bonriki International Airport", AIR, 1.3816, 173.1470),
    Port("KICXI", "KIR", "Cassidy International Airport (Kiritimati)", AIR, 1.9862, -157.3500),
    Port("KIBET", "KIR", "Port of Betio", SEA, 1.3540, 172.9300),
    Port("MHMAJ", "MHL", "Amata Kabua International Airport", AIR, 7.0648, 171.2720),
    Port("MHKWA", "MHL", "Kwajalein (Bucholz) Airport", AIR, 8.7203, 167.7320),
    Port("MHDLP", "MHL", "Port of Majuro (Delap)", SEA, 7.1030, 171.3740),
    Port("NRINU", "NRU", "Nauru International Airport", AIR, -0.5472, 166.9190),
    Port("NRAIW", "NRU", "Aiwo Boat Harbour", SEA, -0.5340, 166.9110),
    Port("PWROR", "PLW", "Roman Tmetuchl International Airport", AIR, 7.3673, 134.5440),
    Port("PWMAL", "PLW", "Port of Malakal", SEA, 7.3310, 134.4550),
    # Polynesia
    Port("ASPPG", "ASM", "Pago Pago International Airport", AIR, -14.3310, -170.7110),
    Port("ASPPS", "ASM", "Port of Pago Pago", SEA, -14.2780, -170.6880),
    Port("CKRAR", "COK", "Rarotonga International Airport", AIR, -21.2027, -159.8060),
    Port("CKAVA", "COK", "Avatiu Harbour", SEA, -21.2040, -159.7860),
    Port("NUIUE", "NIU", "Niue International Airport", AIR, -19.0790, -169.9260),
    Port("NUALO", "NIU", "Alofi Wharf", SEA, -19.0560, -169.9230),
    Port("PFPPT", "PYF", "Tahiti Faa'a International Airport", AIR, -17.5537, -149.6070),
    Port("PFPPE", "PYF", "Port of Papeete", SEA, -17.5360, -149.5690),
    # Tokelau has no airport: everyone arrives by sea, mostly on the ferry from Apia.
    Port("TKFKO", "TKL", "Fakaofo", SEA, -9.3803, -171.2200),
    Port("TKNKU", "TKL", "Nukunonu", SEA, -9.1700, -171.8100),
    Port("TKAFU", "TKL", "Atafu", SEA, -8.5400, -172.5150),
    Port("TOTBU", "TON", "Fua'amotu International Airport", AIR, -21.2412, -175.1500),
    Port("TOVAV", "TON", "Vava'u Lupepau'u Airport", AIR, -18.5853, -173.9620),
    Port("TONUK", "TON", "Port of Nuku'alofa (Queen Salote Wharf)", SEA, -21.1330, -175.1950),
    Port("TONEI", "TON", "Port of Neiafu", SEA, -18.6490, -173.9830),
    Port("TVFUN", "TUV", "Funafuti International Airport", AIR, -8.5250, 179.1960),
    Port("TVFUS", "TUV", "Port of Funafuti", SEA, -8.5200, 179.1930),
    Port("WFWLS", "WLF", "Wallis Hihifo Airport", AIR, -13.2383, -176.1990),
    Port("WFMAU", "WLF", "Port of Mata-Utu", SEA, -13.2820, -176.1740),
    Port("WSAPW", "WSM", "Faleolo International Airport", AIR, -13.8300, -172.0080),
    Port("WSFGI", "WSM", "Fagali'i Airport", AIR, -13.8487, -171.7400),
    Port("WSAPI", "WSM", "Port of Apia", SEA, -13.8270, -171.7620),
    # Australia and New Zealand: the main international gateways only.
    Port("AUSYD", "AUS", "Sydney Kingsford Smith Airport", AIR, -33.9461, 151.1772),
    Port("AUMEL", "AUS", "Melbourne Airport", AIR, -37.6690, 144.8410),
    Port("AUBNE", "AUS", "Brisbane Airport", AIR, -27.3842, 153.1175),
    Port("AUPER", "AUS", "Perth Airport", AIR, -31.9403, 115.9669),
    Port("AUBTB", "AUS", "Port Botany (Sydney)", SEA, -33.9700, 151.2200),
    Port("AUFRE", "AUS", "Port of Fremantle", SEA, -32.0550, 115.7390),
    Port("NZAKL", "NZL", "Auckland Airport", AIR, -37.0082, 174.7850),
    Port("NZCHC", "NZL", "Christchurch Airport", AIR, -43.4894, 172.5320),
    Port("NZWLG", "NZL", "Wellington Airport", AIR, -41.3272, 174.8050),
    Port("NZTRG", "NZL", "Port of Tauranga", SEA, -37.6500, 176.1830),
    Port("NZLYT", "NZL", "Port of Lyttelton", SEA, -43.6060, 172.7220),
)


def ports_rows() -> list[list[object]]:
    """Rows of seed ``ports.csv``, sorted by member then port code."""
    return [
        [p.code, p.member_code, p.name, p.mode, f"{p.latitude:.4f}", f"{p.longitude:.4f}"]
        for p in sorted(PORTS, key=lambda p: (p.member_code, p.code))
    ]
