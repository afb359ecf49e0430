"""Step 1: each member's figures in regional codes.

Volumes proportional to the member's size, seasonality with December/January and June-August
peaks, a gentle trend, Poisson noise spread over plausible breakdown combinations only.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from sample_data import profiles
from sample_data.common import Rows, SampleError, _rng
from sample_data.profiles import Port, member_ports, profile, size_scaled

# Monthly factors, mean 1: peaks at Christmas/New Year and in the June-August school holidays.
SEASON = np.array([1.2, 0.85, 0.9, 0.95, 0.9, 1.1, 1.25, 1.2, 0.95, 0.9, 0.95, 1.25])
SEASON = SEASON / SEASON.mean()
# Expected monthly count per annual movement, for the enforcement datasets.
MONTHLY_RATE = {
    "permits": 4e-3 / 12,
    "irregular": 2e-5,
    "refusals": 1e-5,
    "document_fraud": 2.5e-6,
    "facilitation": 4e-7,
    "removals": 6e-6,
}
HUBS = {"AUS", "NZL", "FJI", "PNG"}
CRUISE_SHARE = {"VUT": 0.15, "NCL": 0.08, "PYF": 0.06, "FJI": 0.05, "TKL": 1.0}
ROUTE_HUBS = ["SGP", "HKG", "MYS", "CHN", "FJI", "AUS", "NZL", "KOR", "PHL", "IDN"]


@dataclass
class _Cells:
    """The plausible breakdown combinations of one member's dataset, with their shares."""

    columns: list[str]
    cells: list[tuple[str, ...]]
    shares: np.ndarray


# ---------------------------------------------------------------------------- breakdown cells


def _pool(member: str, scale: int, width: int, weights: dict[str, float]) -> dict[str, float]:
    """The ``width * scale`` most likely countries for ``member`` with their weights."""
    sub_region = profiles.members().get(member, "")
    adjusted: dict[str, float] = {}
    for code, weight in weights.items():
        if code == member:
            continue
        region = profiles.COUNTRY_POOL.get(code, ("OTHER", 0))[0]
        factor = 1.0
        if sub_region == "Micronesia" and code in {"USA", "JPN", "PHL", "KOR", "TWN"}:
            factor = 4.0
        elif (member in {"NCL", "PYF", "WLF"} and code == "FRA") or (
            member in {"ASM", "TKL"} and code == "WSM"
        ):
            factor = 15.0
        elif member in {"COK", "NIU", "TKL"} and code == "NZL":
            factor = 3.0
        elif region == "PAC" and profiles.members().get(code) == sub_region:
            factor = 2.0
        adjusted[code] = weight * factor
    ranked = sorted(adjusted.items(), key=lambda item: (-item[1], item[0]))
    wanted = width * scale
    chosen = dict(ranked[:wanted])
    if len(chosen) < wanted:
        # Larger scales reach past the curated markets into every other ISO country.
        for code in sorted(profiles.country_names()):
            if len(chosen) >= wanted:
                break
            if code not in chosen and code != member:
                chosen[code] = 0.02
    return chosen


def _port_weights(ports: tuple[Port, ...], mode: str) -> list[tuple[Port, float]]:
    chosen = [p for p in ports if p.mode == mode]
    return [(port, 1.0 / (rank + 1)) for rank, port in enumerate(chosen)]


def _mode_shares(member: str, ports: tuple[Port, ...]) -> dict[str, float]:
    has = {p.mode for p in ports}
    if has == {"SEA"}:
        return {"SEA": 1.0}
    if has == {"AIR"}:
        return {"AIR": 1.0}
    sea = CRUISE_SHARE.get(member, 0.02)
    return {"AIR": 1 - sea, "SEA": sea}


def _purpose_mix(region: str) -> dict[str, float]:
    if region in ("PAC", "ANZ"):
        base = {"HOL": 0.35, "VFR": 0.3, "BUS": 0.1, "EMP": 0.1, "EDU": 0.04, "OFF": 0.04}
    elif region == "ASIA":
        base = {"HOL": 0.45, "VFR": 0.1, "BUS": 0.2, "EMP": 0.08, "EDU": 0.06, "OFF": 0.04}
    else:
        base = {"HOL": 0.65, "VFR": 0.1, "BUS": 0.1, "EMP": 0.03, "EDU": 0.02, "OFF": 0.03}
    return {**base, "OTH": 0.04, "_U": 0.03}


def _movements_cells(member: str, scale: int) -> _Cells:
    habits = profile(member)
    size = habits.annual_movements
    ports = member_ports(member)
    modes = _mode_shares(member, ports)
    visitor_markets = _pool(
        member,
        scale,
        size_scaled(size, 4, 30, 5.0),
        {code: weight for code, (_, weight) in profiles.COUNTRY_POOL.items()},
    )
    total_weight = sum(visitor_markets.values())
    citizen_share = {"TKL": 0.6, "NIU": 0.45, "AUS": 0.45, "NZL": 0.45}.get(member, 0.3)
    crew_share = 0.03 + (0.1 if modes.get("SEA", 0) > 0.1 else 0)
    transit_share = 0.04 if member in HUBS else 0.0
    traveller_shares = {
        "CIT": citizen_share,
        "RES": 0.05,
        "CRW": crew_share,
        "TRN": transit_share,
    }
    traveller_shares["VIS"] = 1 - sum(traveller_shares.values())
    top_residents = list(visitor_markets)[: min(5 * scale, len(visitor_markets))]
    crew_pool = [c for c in ["PHL", "IDN", "CHN", "FJI", "KIR", "TUV", "KOR"] if c != member]
    crew_pool = [*crew_pool[: 3 + min(4, size_scaled(size, 0, 4, 1.0))], member]

    cells: list[tuple[str, ...]] = []
    shares: list[float] = []

    def add(direction, traveller, basis, country, purpose, port: Port, share):
        if share <= 0:
            return
        cells.append((direction, traveller, basis, country, purpose, port.mode, port.code))
        shares.append(share)

    for direction, mode in product(["ARR", "DEP"], ["AIR", "SEA"]):
        mode_share = modes.get(mode, 0)
        port_weights = _port_weights(ports, mode)
        port_total = sum(w for _, w in port_weights) or 1
        for port, port_weight in port_weights:
            base = 0.5 * mode_share * port_weight / port_total
            add(direction, "CIT", "NAT", member, "_Z", port, base * citizen_share)
            for code in top_residents:
                add(direction, "RES", "NAT", code, "_Z", port, base * 0.05 / len(top_residents))
            # Crew travel by sea far more than passengers do.
            crew_factor = 3.0 if mode == "SEA" and mode_share < 1 else 1.0
            crew_each = base * crew_share * crew_factor / len(crew_pool)
            for code in crew_pool:
                add(direction, "CRW", "NAT", code, "_Z", port, crew_each)
            if mode == "AIR" and transit_share:
                for code in top_residents:
                    share = base * transit_share / len(top_residents)
                    add(direction, "TRN", "NAT", code, "TRN", port, share)
            for code, weight in visitor_markets.items():
                region = profiles.COUNTRY_POOL.get(code, ("OTHER", 0))[0]
                visitor_share = base * traveller_shares["VIS"] * weight / total_weight
                if direction == "DEP":
                    purposes = {"_U": 1.0}  # purpose is asked on arrival only
                elif mode == "SEA" and member != "TKL":
                    purposes = {"HOL": 1.0}  # visitors by sea are cruise passengers
                else:
                    purposes = _purpose_mix(region)
                for purpose, purpose_share in purposes.items():
                    share = visitor_share * purpose_share
                    add(direction, "VIS", habits.visitor_basis, code, purpose, port, share)
    columns = ["direction", "traveller_type", "country_basis", "country", "purpose", "mode", "port"]
    weights = np.array(shares)
    return _Cells(columns, cells, weights / weights.sum())


# Sex and age of the persons counted, for offices that break a dataset down that way.
SEXES = {"M": 0.68, "F": 0.3, "_U": 0.02}
VICTIM_SEXES = {"F": 0.7, "M": 0.28, "_U": 0.02}  # victims of trafficking are mostly women
AGE_BANDINGS = {
    "broad": {"Y0T17": 0.08, "Y18T34": 0.5, "Y35T54": 0.32, "Y_GE55": 0.08, "_U": 0.02},
    "five_year": {
        "Y0T4": 0.01,
        "Y5T9": 0.01,
        "Y10T14": 0.03,
        "Y15T19": 0.1,
        "Y20T24": 0.17,
        "Y25T29": 0.18,
        "Y30T34": 0.15,
        "Y35T39": 0.11,
        "Y40T44": 0.08,
        "Y45T49": 0.06,
        "Y50T54": 0.04,
        "Y55T59": 0.02,
        "Y60T64": 0.01,
        "Y_GE65": 0.01,
        "_U": 0.02,
    },
}
SEX_AGE = ("sex", "age_group")


def splits_sex_age(member: str, dataset: str) -> bool:
    """Whether ``member``'s office breaks ``dataset`` down by sex and age group."""
    return dataset == "irregular" or dataset in profile(member).sex_age_datasets


def _with_sex_age(cells: _Cells, member: str, dataset: str) -> _Cells:
    """``cells`` with sex and age group: split where the office reports them, else ``_T``."""
    columns = [*cells.columns, *SEX_AGE]
    if not splits_sex_age(member, dataset):
        return _Cells(columns, [(*cell, "_T", "_T") for cell in cells.cells], cells.shares)
    ages = AGE_BANDINGS[profile(member).age_banding]
    role = cells.columns.index("role") if "role" in cells.columns else None
    split, shares = [], []
    for cell, share in zip(cells.cells, cells.shares, strict=True):
        sexes = VICTIM_SEXES if role is not None and cell[role] == "VICTIM" else SEXES
        for (sex, sex_share), (age, age_share) in product(sexes.items(), ages.items()):
            split.append((*cell, sex, age))
            shares.append(share * sex_share * age_share)
    weights = np.array(shares)
    return _Cells(columns, split, weights / weights.sum())


def _product_cells(columns: list[str], marginals: list[dict[str, float]]) -> _Cells:
    cells, shares = [], []
    for combination in product(*(m.items() for m in marginals)):
        share = float(np.prod([weight for _, weight in combination]))
        if share > 0:
            cells.append(tuple(code for code, _ in combination))
            shares.append(share)
    weights = np.array(shares)
    return _Cells(columns, cells, weights / weights.sum())


def _nationalities(member: str, scale: int, width: int) -> dict[str, float]:
    pool = _pool(member, scale, width, profiles.ENFORCEMENT_WEIGHTS)
    total = sum(pool.values())
    return {code: weight / total for code, weight in pool.items()}


def _enforcement_ports(member: str) -> dict[str, float]:
    ports = member_ports(member)
    air = [p for p in ports if p.mode == "AIR"] or list(ports)
    weights = {p.code: 1.0 / (rank + 1) for rank, p in enumerate(air)}
    total = sum(weights.values())
    return {code: weight / total for code, weight in weights.items()}


def _dataset_cells(member: str, dataset: str, scale: int) -> _Cells:
    size = profile(member).annual_movements
    width = size_scaled(size, 3, 20, 3.0)
    nationalities = _nationalities(member, scale, width)
    if dataset == "movements":
        return _with_sex_age(_movements_cells(member, scale), member, dataset)
    if dataset == "permits":
        types = {"VISITOR": 0.5, "WORK": 0.2, "STUDENT": 0.1, "RESIDENCE": 0.08, "OTHER": 0.04}
        visitor_markets = _pool(
            member,
            scale,
            width,
            {code: weight for code, (_, weight) in profiles.COUNTRY_POOL.items()},
        )
        total = sum(visitor_markets.values())
        cells = _product_cells(
            ["permit_type", "nationality"],
            [types, {code: weight / total for code, weight in visitor_markets.items()}],
        )
        if member in {"AUS", "NZL"}:
            # Labour-mobility schemes (PALM, RSE) recruit Pacific workers only.
            pacific = ["FJI", "WSM", "TON", "VUT", "SLB", "PNG", "KIR", "TUV"]
            for code in pacific[: 4 * scale if scale > 1 else len(pacific)]:
                cells.cells.append(("LABOUR_MOBILITY", code))
            extra = np.full(len(cells.cells) - len(cells.shares), 0.12 / len(pacific))
            joined = np.concatenate([cells.shares, extra])
            cells.shares = joined / joined.sum()
        return cells
    if dataset == "irregular":
        return _irregular_cells(member, nationalities)
    if dataset == "refusals":
        reasons = {
            "E": 0.3,
            "C": 0.2,
            "A": 0.1,
            "G": 0.1,
            "F": 0.08,
            "H": 0.07,
            "B": 0.05,
            "D": 0.04,
            "I": 0.03,
            "OTH": 0.03,
        }
        return _product_cells(
            ["port", "nationality", "reason"],
            [_enforcement_ports(member), nationalities, reasons],
        )
    if dataset == "document_fraud":
        return _document_fraud_cells(member, nationalities, scale)
    if dataset == "facilitation":
        cases = {
            ("SMUGGLING", "FACILITATOR"): 0.15,
            ("SMUGGLING", "SMUGGLED_PERSON"): 0.55,
            ("TRAFFICKING", "FACILITATOR"): 0.1,
            ("TRAFFICKING", "VICTIM"): 0.2,
        }
        cells, shares = [], []
        for (case, role), case_share in cases.items():
            for code, share in nationalities.items():
                cells.append((case, role, code))
                shares.append(case_share * share)
        weights = np.array(shares)
        return _with_sex_age(
            _Cells(["case_type", "role", "nationality"], cells, weights / weights.sum()),
            member,
            dataset,
        )
    if dataset == "removals":
        types = {
            "DEPORTATION": 0.35,
            "REMOVAL": 0.25,
            "VOLUNTARY_DEPARTURE": 0.3,
            "ASSISTED_RETURN": 0.1,
        }
        third_country = "NZL" if member == "AUS" else "AUS"
        cells, shares = [], []
        for (kind, kind_share), (code, share) in product(types.items(), nationalities.items()):
            cells.append((kind, code, code))
            shares.append(kind_share * share * 0.95)
            if code != third_country:
                cells.append((kind, code, third_country))
                shares.append(kind_share * share * 0.05)
        weights = np.array(shares)
        columns = ["removal_type", "nationality", "destination_country"]
        return _with_sex_age(_Cells(columns, cells, weights / weights.sum()), member, dataset)
    raise SampleError(
        f"no sample recipe for dataset {dataset!r}; add one to sample_data/figures.py"
    )


def _irregular_cells(member: str, nationalities: dict[str, float]) -> _Cells:
    categories = {
        "OVERSTAY": 0.5,
        "VISA_BREACH": 0.15,
        "UNAUTHORISED_WORK": 0.12,
        "IRREGULAR_ENTRY": 0.1,
        "ABSCONDED_CREW": 0.08,
        "STOWAWAY": 0.05,
    }
    where = {
        "OVERSTAY": {"INLAND": 0.9, "AIRPORT": 0.1},
        "VISA_BREACH": {"INLAND": 0.9, "AIRPORT": 0.1},
        "UNAUTHORISED_WORK": {"INLAND": 1.0},
        "IRREGULAR_ENTRY": {"AIRPORT": 0.6, "SEAPORT": 0.2, "AT_SEA": 0.2},
        "ABSCONDED_CREW": {"SEAPORT": 0.9, "INLAND": 0.1},
        "STOWAWAY": {"SEAPORT": 0.8, "AT_SEA": 0.2},
    }
    sexes = {"M": 0.68, "F": 0.3, "_U": 0.02}
    ages = {"Y0T17": 0.05, "Y18T34": 0.5, "Y35T54": 0.35, "Y_GE55": 0.08, "_U": 0.02}
    no_airport = all(p.mode == "SEA" for p in member_ports(member))
    cells, shares = [], []
    for category, category_share in categories.items():
        for location, location_share in where[category].items():
            if no_airport and location == "AIRPORT":
                location = "SEAPORT"
            for (code, share), (sex, sex_share), (age, age_share) in product(
                nationalities.items(), sexes.items(), ages.items()
            ):
                cells.append((category, code, sex, age, location))
                shares.append(category_share * location_share * share * sex_share * age_share)
    # Tokelau folds airport detections into sea ports, so merge any duplicate cells.
    merged: dict[tuple[str, ...], float] = {}
    for cell, share in zip(cells, shares, strict=True):
        merged[cell] = merged.get(cell, 0.0) + share
    weights = np.array(list(merged.values()))
    return _Cells(
        ["category", "nationality", "sex", "age_group", "detection_location"],
        list(merged),
        weights / weights.sum(),
    )


def _route_pool(member: str, scale: int) -> list[str]:
    return [c for c in ROUTE_HUBS if c != member][: 3 + scale]


def _document_fraud_cells(member: str, nationalities: dict[str, float], scale: int) -> _Cells:
    documents = {
        "PASSPORT": 0.6,
        "VISA": 0.2,
        "ID_CARD": 0.05,
        "RESIDENCE_PERMIT": 0.1,
        "OTHER": 0.05,
    }
    frauds = {
        "COUNTERFEIT": 0.25,
        "FORGED": 0.3,
        "FRAUD_OBTAINED": 0.15,
        "IMPOSTOR": 0.2,
        "PSEUDO": 0.05,
        "STOLEN_BLANK": 0.05,
    }
    routes = _route_pool(member, scale)
    ports = _enforcement_ports(member)
    # Forgers favour documents of countries whose passports open many borders.
    forged_issuer = {
        code: ["GBR", "USA", "AUS", "NZL", "FRA"][i % 5] for i, code in enumerate(nationalities)
    }
    cells, shares = [], []
    for (document, d), (fraud, f), (code, n), (port, p), route in product(
        documents.items(), frauds.items(), nationalities.items(), ports.items(), routes
    ):
        for issuer, issuer_share in ((code, 0.8), (forged_issuer[code], 0.2)):
            if issuer == member:
                continue
            cells.append((document, fraud, issuer, code, port, route))
            shares.append(d * f * n * p * issuer_share / len(routes))
    merged: dict[tuple[str, ...], float] = {}
    for cell, share in zip(cells, shares, strict=True):
        merged[cell] = merged.get(cell, 0.0) + share
    weights = np.array(list(merged.values()))
    return _Cells(
        [
            "document_type",
            "fraud_type",
            "issuing_country",
            "nationality",
            "port",
            "embarkation_country",
        ],
        list(merged),
        weights / weights.sum(),
    )


# ---------------------------------------------------------------------------- drawing figures


def _expected_total(member: str, dataset: str, period: str, index: int, seed: int) -> float:
    size = profile(member).annual_movements
    month = int(period[5:7])
    growth = 0.01 + 0.05 * _rng(seed, "trend", member).random()
    trend = (1 + growth) ** (index / 12)
    if dataset == "movements":
        return size / 12 * SEASON[month - 1] * trend
    # Enforcement counts follow traffic, but less sharply than holiday makers do.
    return size * MONTHLY_RATE[dataset] * SEASON[month - 1] ** 0.5 * trend


def _draw(cells: _Cells, expected: float, rng: np.random.Generator) -> Rows:
    total = int(rng.poisson(expected))
    if total == 0:
        return []
    # Each month's mix wobbles a little around the member's usual pattern.
    shares = cells.shares * rng.lognormal(0.0, 0.08, len(cells.shares))
    counts = rng.multinomial(total, shares / shares.sum())
    return [(cells.cells[i], int(c)) for i, c in enumerate(counts) if c > 0]


def _total(rows: Rows) -> int:
    return sum(count for _, count in rows)
