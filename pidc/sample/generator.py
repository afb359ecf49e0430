"""Deterministic, realistic monthly returns for every member, written as members send them.

The generator works in three steps. First it draws each member's figures in regional codes
(volumes proportional to the member's size, seasonality with December/January and June-August
peaks, a gentle trend, Poisson noise spread over plausible breakdown combinations only). Then
it injects the events the platform must notice: nationality spikes, a new document-fraud
route, missing, late and nil returns, and corrections sent later as a new version. Last, it
spells every value the way that member's office writes it and writes the files: template
workbooks (layout E) for about half the members, one CSV per dataset for the others, with each
file's mtime set to its intended received time. Everything is recorded in the manifest.
"""

from __future__ import annotations

import calendar
import csv
import io
import math
import os
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.template import sheet_columns, write_template
from pidc.contract import Contract, Dataset, load_contract
from pidc.sample import profiles
from pidc.sample.manifest import (
    MANIFEST_NAME,
    Correction,
    LateReturn,
    NewRoute,
    NilReturn,
    ReturnRef,
    SampleFile,
    SampleManifest,
    Spike,
)
from pidc.sample.profiles import Port, member_ports, profile, size_scaled

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
SPIKE_FACTOR = 5
HUBS = {"AUS", "NZL", "FJI", "PNG"}
CRUISE_SHARE = {"VUT": 0.15, "NCL": 0.08, "PYF": 0.06, "FJI": 0.05, "TKL": 1.0}
ROUTE_HUBS = ["SGP", "HKG", "MYS", "CHN", "FJI", "AUS", "NZL", "KOR", "PHL", "IDN"]
NEW_ROUTE_CANDIDATES = ["ARE", "THA", "TUR", "QAT", "CHL"]
DEFAULT_DEADLINE_DAY = 15


class SampleError(ValueError):
    """The sample generator was asked for something it cannot produce; says what to change."""


@dataclass
class _Cells:
    """The plausible breakdown combinations of one member's dataset, with their shares."""

    columns: list[str]
    cells: list[tuple[str, ...]]
    shares: np.ndarray


Rows = list[tuple[tuple[str, ...], int]]  # (breakdown codes in contract order, count)


def _stable(*parts: object) -> int:
    return zlib.crc32("|".join(str(p) for p in parts).encode())


def _rng(seed: int, *parts: object) -> np.random.Generator:
    """A random stream that depends only on ``seed`` and ``parts``, not on call order."""
    return np.random.default_rng([seed, _stable(*parts)])


def month_list(end_period: str, months: int) -> list[str]:
    """``months`` consecutive periods (YYYY-MM) ending with ``end_period``, oldest first."""
    try:
        year, month = (int(part) for part in end_period.split("-"))
        if not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        raise SampleError(f"end_period {end_period!r} is not a month; write YYYY-MM") from None
    if months < 1:
        raise SampleError(f"months must be 1 or more, not {months}")
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def _deadline_day() -> int:
    """The deadline day of the next month, from reporting_settings.csv when it exists."""
    path = profiles.REFERENCE_DIR / "reporting_settings.csv"
    if path.exists():
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("setting") == "deadline_day_of_next_month":
                    return int(row["value"])
    return DEFAULT_DEADLINE_DAY


def _due_date(period: str, deadline_day: int) -> date:
    year, month = (int(part) for part in period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, min(deadline_day, calendar.monthrange(year, month)[1]))


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
    raise SampleError(f"no sample recipe for dataset {dataset!r}; add one to pidc/sample")


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


# ---------------------------------------------------------------------------- spelling


def _spell_rows(
    member: str,
    period: str,
    dataset: str,
    rows: Rows,
    cells_columns: list[str],
    contract: Contract,
) -> list[dict[str, object]]:
    """``rows`` in ``member``'s own spelling, one dict per row in contract column order.

    Rows whose spellings coincide (a member grouping small markets) are added together, as
    the member's own tables do.
    """
    data = contract.dataset(dataset)
    columns = {c.name: c for c in data.breakdowns}
    port_by_code = {p.code: p for p in member_ports(member)}
    labels = {name: contract.codes(cl.code_list) for name, cl in columns.items() if cl.code_list}
    merged: dict[tuple[str, ...], int] = {}
    for codes, count in rows:
        record = dict(zip(cells_columns, codes, strict=True))
        spelled = []
        for name in [c.name for c in data.breakdowns]:
            column = columns[name]
            value = record[name]
            if column.type == "country":
                region = None
                if dataset == "movements" and record.get("traveller_type") == "VIS":
                    region = profiles.COUNTRY_POOL.get(value, ("OTHER", 0))[0]
                spelled.append(profiles.spell_country(value, member, region))
            elif column.type == "port":
                port = port_by_code.get(value, Port(value, value, ""))
                spelled.append(profiles.spell_port(port, member))
            elif column.type == "code":
                spelled.append(profiles.spell_code(value, column.code_list, member, labels[name]))
            else:
                spelled.append(value)
        key = tuple(spelled)
        merged[key] = merged.get(key, 0) + count
    names = [c.name for c in data.breakdowns]
    return [
        {"member": member, "period": period, **dict(zip(names, key, strict=True)), "count": count}
        for key, count in merged.items()
    ]


# ---------------------------------------------------------------------------- writing files


def _csv_bytes(header: list[str], records: list[dict[str, object]], member: str) -> bytes:
    habits = profile(member)
    # Windows tools write CRLF; the others write LF.
    line_end = "\r\n" if habits.encoding in ("cp1252", "utf-16") else "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=habits.delimiter, lineterminator=line_end)
    writer.writerow(header)
    for record in records:
        writer.writerow([record[name] for name in header])
    try:
        return buffer.getvalue().encode(habits.encoding)
    except UnicodeEncodeError as error:
        raise SampleError(
            f"{member}'s sample labels cannot be written in {habits.encoding}: {error}; "
            "change the label or the member's encoding in pidc/sample/profiles.py"
        ) from None


def _set_received(path: Path, received: datetime) -> None:
    stamp = calendar.timegm(received.timetuple())
    os.utime(path, (stamp, stamp))


@dataclass
class _Plan:
    """Everything decided before files are written."""

    figures: dict[tuple[str, str, str], Rows]  # (member, dataset, period) -> rows in codes
    columns: dict[tuple[str, str], list[str]]  # (member, dataset) -> cell column names
    missing: dict[tuple[str, str, str], str]  # -> why
    corrected: dict[tuple[str, str, str], Rows]  # -> version 2 rows
    notes: dict[tuple[str, str], list[dict[str, object]]]  # (member, period) -> observations


def generate_samples(
    landing_dir: Path,
    *,
    seed: int = 2026,
    months: int = 36,
    end_period: str = "2026-09",
    scale: int = 1,
) -> SampleManifest:
    """Write realistic member returns into ``landing_dir/<MEMBER>/`` and return the manifest.

    The same arguments always give byte-identical CSV files, identical workbooks and the same
    manifest, which is also written to ``landing_dir.parent / "sample_manifest.json"``. Each
    file's mtime is set to its intended received time. ``scale`` widens the breakdowns (more
    nationalities, more rows) without adding members; the members are those of the reference
    registry (``members.csv`` of the dbt project in use, see ``PIDC_DBT_PROJECT_DIR``). Raises :class:`SampleError` for a
    malformed ``end_period`` or ``months`` below 1 or ``scale`` below 1.
    """
    if scale < 1:
        raise SampleError(f"scale must be 1 or more, not {scale}")
    contract = load_contract()
    periods = month_list(end_period, months)
    # Every member of the registry reports; one without a curated profile borrows a curated
    # member's habits (profiles.stand_in_template).
    members = list(profiles.members())
    manifest = SampleManifest(
        seed=seed,
        months=months,
        end_period=end_period,
        scale=scale,
        periods=periods,
        members=members,
    )
    plan = _plan(members, periods, contract, seed, scale, manifest)
    landing_dir = Path(landing_dir)
    deadline_day = _deadline_day()
    for member in members:
        writer = _write_workbooks if profile(member).file_format == "xlsx" else _write_csvs
        writer(landing_dir, member, periods, plan, contract, seed, deadline_day, manifest)
    manifest.files.sort(key=lambda f: (f.member, f.period, f.version, f.path))
    for events in (manifest.late_returns, manifest.nil_returns):
        events.sort(key=lambda e: (e.member, e.period, e.dataset))
    manifest.write(landing_dir.parent / MANIFEST_NAME)
    return manifest


def _plan(
    members: list[str],
    periods: list[str],
    contract: Contract,
    seed: int,
    scale: int,
    manifest: SampleManifest,
) -> _Plan:
    figures: dict[tuple[str, str, str], Rows] = {}
    columns: dict[tuple[str, str], list[str]] = {}
    for member, dataset in product(members, contract.dataset_names):
        cells = _dataset_cells(member, dataset, scale)
        columns[(member, dataset)] = cells.columns
        expected_names = [c.name for c in contract.dataset(dataset).breakdowns]
        if sorted(cells.columns) != sorted(expected_names):
            raise SampleError(
                f"the sample recipe for {dataset} writes {cells.columns} but the contract has "
                f"{expected_names}; update pidc/sample/generator.py"
            )
        rng = _rng(seed, "figures", member, dataset)
        for index, period in enumerate(periods):
            expected = _expected_total(member, dataset, period, index, seed)
            figures[(member, dataset, period)] = _draw(cells, expected, rng)
    plan = _Plan(figures, columns, {}, {}, {})
    events = _rng(seed, "events")
    _inject_spikes(plan, members, periods, events, manifest)
    _inject_new_route(plan, members, periods, events, manifest, scale)
    _choose_missing(plan, members, periods, contract, events, manifest)
    _choose_corrections(plan, members, periods, events, manifest)
    return plan


def _nationality_total(rows: Rows, position: int, code: str) -> int:
    return sum(count for cell, count in rows if cell[position] == code)


def _inject_spikes(plan, members, periods, events, manifest) -> None:
    """Multiply one nationality's figures by SPIKE_FACTOR in one month, for a few members."""
    if len(periods) < 8:
        return
    chosen: set[str] = set()
    for dataset in ["irregular", "refusals", "irregular"]:
        candidates = [
            m
            for m in members
            if m not in chosen and profile(m).annual_movements * MONTHLY_RATE[dataset] >= 15
        ]
        if not candidates:
            continue
        member = candidates[int(events.integers(len(candidates)))]
        chosen.add(member)
        position = plan.columns[(member, dataset)].index("nationality")
        period_index = int(events.integers(max(6, len(periods) - 12), len(periods) - 1))
        period = periods[period_index]
        history = periods[period_index - 6 : period_index]

        def mean_of(
            code: str, member=member, dataset=dataset, history=history, position=position
        ) -> float:
            totals = [
                _nationality_total(plan.figures[(member, dataset, p)], position, code)
                for p in history
            ]
            return sum(totals) / len(totals)

        codes = sorted({cell[position] for cell, _ in plan.figures[(member, dataset, period)]})
        if not codes:
            continue
        # One of the member's three usual nationalities, so the spike stands on a real baseline.
        usual = sorted(codes, key=lambda c: (-mean_of(c), c))[:3]
        code = usual[int(events.integers(len(usual)))]
        key = (member, dataset, period)
        plan.figures[key] = [
            (cell, count * SPIKE_FACTOR if cell[position] == code else count)
            for cell, count in plan.figures[key]
        ]
        # A quiet month times five can still sit near the usual level; top it up so the spike
        # is at least five times the recent average, as the alert must see it.
        floor = math.ceil(SPIKE_FACTOR * mean_of(code))
        shortfall = floor - _nationality_total(plan.figures[key], position, code)
        if shortfall > 0:
            largest = max(
                (i for i, (cell, _) in enumerate(plan.figures[key]) if cell[position] == code),
                key=lambda i: plan.figures[key][i][1],
            )
            cell, count = plan.figures[key][largest]
            plan.figures[key][largest] = (cell, count + shortfall)
        value = _nationality_total(plan.figures[key], position, code)
        manifest.spikes.append(
            Spike(
                member,
                dataset,
                period,
                "nationality",
                code,
                SPIKE_FACTOR,
                round(mean_of(code), 2),
                value,
            )
        )
        topic_note = (
            f"{dataset.replace('_', ' ').capitalize()} of {code} nationals rose sharply this month."
        )
        plan.notes.setdefault((member, period), []).append(
            {"dataset": dataset, "topic": "TREND", "note": topic_note, "shareable": "yes"}
        )


def _inject_new_route(plan, members, periods, events, manifest, scale) -> None:
    """A document-fraud route (embarkation country) that first appears a few months from the end."""
    if len(periods) < 4:
        return
    candidates = [
        m for m in members if profile(m).annual_movements * MONTHLY_RATE["document_fraud"] >= 4
    ]
    if not candidates:
        return
    member = candidates[int(events.integers(len(candidates)))]
    routes = set(_route_pool(member, scale))
    code = next(c for c in NEW_ROUTE_CANDIDATES if c not in routes and c != member)
    first_index = int(events.integers(max(1, len(periods) - 9), len(periods) - 2))
    port = next(iter(_enforcement_ports(member)))
    columns = plan.columns[(member, "document_fraud")]
    nationalities = ["IND", "CHN", "BGD"]
    totals: dict[str, int] = {}
    for period in periods[first_index:]:
        rng = _rng(manifest.seed, "route", member, period)
        added = []
        for nationality in nationalities[: 1 + int(rng.integers(3))]:
            record = {
                "document_type": "PASSPORT",
                "fraud_type": "FORGED",
                "issuing_country": nationality,
                "nationality": nationality,
                "port": port,
                "embarkation_country": code,
            }
            added.append((tuple(record[c] for c in columns), 2 + int(rng.poisson(3))))
        plan.figures[(member, "document_fraud", period)] = [
            *plan.figures[(member, "document_fraud", period)],
            *added,
        ]
        totals[period] = _total(added)
    first = periods[first_index]
    manifest.new_routes.append(
        NewRoute(
            member,
            "document_fraud",
            "embarkation_country",
            code,
            first,
            periods[first_index:],
            totals,
        )
    )
    plan.notes.setdefault((member, first), []).append(
        {
            "dataset": "document_fraud",
            "topic": "ROUTE",
            "note": f"First forged passports seen on flights from {code}.",
            "shareable": "yes",
        }
    )


def _choose_missing(plan, members, periods, contract, events, manifest) -> None:
    """Returns never sent: a small member silent for three months, random gaps, and the
    latest month not yet received from a few members."""
    spiked = {(s.member, s.period) for s in manifest.spikes}
    routed = {(r.member, p) for r in manifest.new_routes for p in r.periods}
    protected = spiked | routed

    def mark(member: str, period: str, dataset: str, why: str) -> None:
        if (member, period) not in protected:
            plan.missing[(member, dataset, period)] = why

    small = sorted(members, key=lambda m: (profile(m).annual_movements, m))[:6]
    if len(periods) >= 6:
        silent = small[int(events.integers(len(small)))]
        start = int(events.integers(1, len(periods) - 4))
        for period in periods[start : start + 3]:
            for dataset in contract.dataset_names:
                mark(silent, period, dataset, "member sent nothing for three months")
    for member, period, dataset in product(members, periods[:-1], contract.dataset_names):
        if events.random() < 0.01:
            mark(member, period, dataset, "return not sent")
    if len(periods) >= 2:
        pending = sorted(members)
        for index in sorted(events.choice(len(pending), size=min(3, len(pending)), replace=False)):
            for dataset in contract.dataset_names:
                mark(pending[index], periods[-1], dataset, "latest month not yet received")
    manifest.missing_returns.extend(
        ReturnRef(member, dataset, period, why)
        for (member, dataset, period), why in sorted(plan.missing.items())
    )


def _choose_corrections(plan, members, periods, events, manifest) -> None:
    """Earlier returns that the member resends later as version 2 with changed figures."""
    if len(periods) < 6:
        return
    by_format: dict[str, list[str]] = {"xlsx": [], "csv": []}
    for member in members:
        by_format[profile(member).file_format].append(member)
    chosen: list[tuple[str, str, str]] = []
    for file_format in ("xlsx", "csv"):
        pool = [m for m in by_format[file_format] if profile(m).annual_movements >= 100_000]
        for _ in range(2):
            if not pool:
                break
            member = pool.pop(int(events.integers(len(pool))))
            dataset = ["refusals", "irregular", "movements", "removals"][int(events.integers(4))]
            window = periods[max(0, len(periods) - 12) : len(periods) - 3]
            options = [
                p
                for p in window
                if (member, dataset, p) not in plan.missing
                and len(plan.figures[(member, dataset, p)]) >= 2
                and not any(s.member == member and s.period == p for s in manifest.spikes)
            ]
            if options:
                chosen.append((member, dataset, options[int(events.integers(len(options)))]))
    for member, dataset, period in chosen:
        rows = plan.figures[(member, dataset, period)]
        changed: Rows = []
        # Recounted figures: some rows change, and the last row turns out to be a duplicate,
        # so version 2 has fewer rows (staging must not keep the stale one).
        for cell, count in rows[:-1]:
            if events.random() < 0.3:
                count = max(1, round(count * events.uniform(0.7, 1.4)))
            changed.append((cell, count))
        if _total(changed) == _total(rows):
            cell, count = changed[0]
            changed[0] = (cell, count + 1)
        plan.corrected[(member, dataset, period)] = changed


def _received(member: str, period: str, seed: int, deadline_day: int, salt: str = "") -> datetime:
    """When ``member``'s return for ``period`` arrives: usually before the deadline."""
    rng = _rng(seed, "received", member, period, salt)
    due = _due_date(period, deadline_day)
    first_day = date(due.year, due.month, 1)
    if rng.random() < profile(member).lateness:
        day = due + timedelta(days=int(rng.integers(1, 60)))
    else:
        day = first_day + timedelta(days=int(rng.integers(0, (due - first_day).days + 1)))
    return datetime(day.year, day.month, day.day, int(rng.integers(7, 18)), int(rng.integers(60)))


def _record_file(
    manifest: SampleManifest,
    path: str,
    member: str,
    period: str,
    version: int,
    carried: dict[str, list[dict[str, object]]],
    received: datetime,
    deadline_day: int,
    **extra,
) -> SampleFile:
    due = _due_date(period, deadline_day)
    late = received.date() > due
    nil = sorted(name for name, records in carried.items() if not records)
    entry = SampleFile(
        path=path,
        member=member,
        file_format=extra.pop("file_format"),
        period=period,
        version=version,
        datasets=sorted(carried),
        nil_datasets=nil,
        received_at=received.isoformat(),
        due_date=due.isoformat(),
        late=late,
        rows={name: len(records) for name, records in sorted(carried.items())},
        totals={
            name: sum(int(r["count"]) for r in records) for name, records in sorted(carried.items())
        },
        **extra,
    )
    manifest.files.append(entry)
    if version == 1:
        for name in sorted(carried):
            if late:
                manifest.late_returns.append(
                    LateReturn(
                        member,
                        name,
                        period,
                        entry.received_at,
                        entry.due_date,
                        (received.date() - due).days,
                        path,
                    )
                )
            if name in nil:
                manifest.nil_returns.append(NilReturn(member, name, period, path))
    return entry


def _records_for(plan: _Plan, member, dataset, period, contract, rows=None):
    rows = plan.figures[(member, dataset, period)] if rows is None else rows
    return _spell_rows(member, period, dataset, rows, plan.columns[(member, dataset)], contract)


def _write_workbooks(
    landing_dir, member, periods, plan, contract, seed, deadline_day, manifest
) -> None:
    folder = landing_dir / member
    for period in periods:
        carried = {
            dataset: _records_for(plan, member, dataset, period, contract)
            for dataset in contract.dataset_names
            if (member, dataset, period) not in plan.missing
        }
        if not carried:
            continue
        received = _received(member, period, seed, deadline_day)
        name = f"{member}_return_{period}.xlsx"
        _workbook(
            folder / name,
            member,
            period,
            1,
            carried,
            plan.notes.get((member, period), []),
            contract,
        )
        _set_received(folder / name, received)
        entry = _record_file(
            manifest,
            f"{member}/{name}",
            member,
            period,
            1,
            carried,
            received,
            deadline_day,
            file_format="xlsx",
            observations=len(plan.notes.get((member, period), [])),
        )
        corrected = {
            d: rows for (m, d, p), rows in plan.corrected.items() if m == member and p == period
        }
        if not corrected:
            continue
        # A correction resends the whole month as version 2, with the recounted dataset changed.
        version_two = dict(carried)
        for dataset, rows in corrected.items():
            version_two[dataset] = _records_for(plan, member, dataset, period, contract, rows)
        later = received + timedelta(days=30 + int(_rng(seed, "fix", member, period).integers(90)))
        fixed_name = f"{member}_return_{period}_v2.xlsx"
        _workbook(folder / fixed_name, member, period, 2, version_two, [], contract)
        _set_received(folder / fixed_name, later)
        _record_file(
            manifest,
            f"{member}/{fixed_name}",
            member,
            period,
            2,
            version_two,
            later,
            deadline_day,
            file_format="xlsx",
        )
        for dataset in sorted(corrected):
            manifest.corrections.append(
                _second_version(member, dataset, period, fixed_name, entry, version_two[dataset])
            )


def _second_version(member, dataset, period, fixed_name, entry, fixed_rows) -> Correction:
    """The manifest record of a version 2 that replaces ``entry``'s return of ``dataset``."""
    return Correction(
        member,
        dataset,
        period,
        2,
        f"{member}/{fixed_name}",
        entry.path,
        entry.rows[dataset],
        len(fixed_rows),
        entry.totals[dataset],
        sum(int(r["count"]) for r in fixed_rows),
    )


def _workbook(path: Path, member, period, version, carried, notes, contract) -> None:
    returns: dict[str, pd.DataFrame | None] = {}
    for dataset, records in carried.items():
        if records:
            names = [c.name for c in sheet_columns(contract.dataset(dataset))]
            returns[dataset] = pd.DataFrame([[r[n] for n in names] for r in records], columns=names)
    nil = {dataset for dataset, records in carried.items() if not records}
    observations = None
    if notes:
        names = [c.name for c in sheet_columns(contract.observations)]
        observations = pd.DataFrame([[note[n] for n in names] for note in notes], columns=names)
    write_template(
        path,
        member,
        period,
        version=version,
        returns=returns,
        nil_datasets=nil,
        observations=observations,
        contact_name=f"Reporting officer {member}",
        contact_email=f"returns@immigration.{member.lower()}.example",
    )


def _write_csvs(landing_dir, member, periods, plan, contract, seed, deadline_day, manifest) -> None:
    folder = landing_dir / member
    folder.mkdir(parents=True, exist_ok=True)
    habits = profile(member)
    for period in periods:
        received_month = _received(member, period, seed, deadline_day)
        for dataset in contract.dataset_names:
            if (member, dataset, period) in plan.missing:
                continue
            received = received_month
            # Now and then one dataset's file leaves the office later than the rest.
            if _rng(seed, "straggler", member, dataset, period).random() < 0.05:
                received = _received(member, period, seed, deadline_day, dataset) + timedelta(
                    days=20
                )
            records = _records_for(plan, member, dataset, period, contract)
            name = f"{member}_{dataset}_{period}.csv"
            header = _csv_header(member, contract.dataset(dataset))
            _write_csv(folder / name, header, records, member, received)
            entry = _record_file(
                manifest,
                f"{member}/{name}",
                member,
                period,
                1,
                {dataset: records},
                received,
                deadline_day,
                file_format="csv",
                encoding=habits.encoding,
                delimiter=habits.delimiter,
            )
            if (member, dataset, period) in plan.corrected:
                fixed = _records_for(
                    plan,
                    member,
                    dataset,
                    period,
                    contract,
                    plan.corrected[(member, dataset, period)],
                )
                later = received + timedelta(
                    days=30 + int(_rng(seed, "fix", member, period).integers(90))
                )
                fixed_name = f"{member}_{dataset}_{period}_v2.csv"
                _write_csv(folder / fixed_name, header, fixed, member, later)
                _record_file(
                    manifest,
                    f"{member}/{fixed_name}",
                    member,
                    period,
                    2,
                    {dataset: fixed},
                    later,
                    deadline_day,
                    file_format="csv",
                    encoding=habits.encoding,
                    delimiter=habits.delimiter,
                )
                manifest.corrections.append(
                    _second_version(member, dataset, period, fixed_name, entry, fixed)
                )
        notes = plan.notes.get((member, period), [])
        if notes:
            name = f"{member}_observations_{period}.csv"
            records = [{"member": member, "period": period, **note} for note in notes]
            _write_csv(
                folder / name, contract.observations.column_names, records, member, received_month
            )
            manifest.files.append(
                SampleFile(
                    path=f"{member}/{name}",
                    member=member,
                    file_format="csv",
                    period=period,
                    version=1,
                    datasets=["observations"],
                    nil_datasets=[],
                    received_at=received_month.isoformat(),
                    due_date=_due_date(period, deadline_day).isoformat(),
                    late=received_month.date() > _due_date(period, deadline_day),
                    rows={"observations": len(records)},
                    totals={},
                    encoding=habits.encoding,
                    delimiter=habits.delimiter,
                    observations=len(records),
                )
            )


def _csv_header(member: str, dataset: Dataset) -> list[str]:
    """The columns of ``member``'s CSV for ``dataset``: an office that does not break it down
    by sex and age leaves those optional columns out, as returns written before them do."""
    if splits_sex_age(member, dataset.name):
        return dataset.column_names
    return [c for c in dataset.column_names if c not in SEX_AGE or c not in dataset.defaults]


def _write_csv(path: Path, header: list[str], records, member: str, received: datetime) -> None:
    path.write_bytes(_csv_bytes(header, records, member))
    _set_received(path, received)
