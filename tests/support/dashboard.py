"""The hand-made serving database the dashboard tests read, its viewers and page helpers.

``build_serving`` writes a small serving database whose every figure is known (the constants
below), so a test can say exactly what each viewer must and must not see.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import duckdb
import pandas as pd
from streamlit.testing.v1 import AppTest

from app.data_access import Viewer
from pidc.contract import load_contract

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAGES = PROJECT_ROOT / "app" / "pages"
MAIN = str(PROJECT_ROOT / "app" / "main.py")

SECRETARIAT = Viewer(role="secretariat", name="Secretariat")
FJI_OFFICER = Viewer(role="member", member_code="FJI", name="FJI officer")
TON_OFFICER = Viewer(role="member", member_code="TON", name="TON officer")
TKL_OFFICER = Viewer(role="member", member_code="TKL", name="TKL officer")
PROFILING = Viewer(role="group", group_code="PROFILING", name="Profiling group")
PUBLIC = Viewer.public()

AUG, SEP, OCT = dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)
MEMBERS = [
    # code, name, sub-region, capital, lat, lon
    ("FJI", "Fiji", "Melanesia", "Suva", -18.14, 178.44),
    ("TON", "Tonga", "Polynesia", "Nuku'alofa", -21.14, -175.2),
    ("NZL", "New Zealand", "Australia and New Zealand", "Wellington", -41.29, 174.78),
    ("TKL", "Tokelau", "Polynesia", "Nukunonu", -9.2, -171.85),
]
# French names and labels (issue 16): the columns the published dimension marts carry beside
# the English ones (dim_members.member_name_fr, dim_countries.country_name_fr, ...).
MEMBER_NAMES_FR = {
    "FJI": "Fidji",
    "TON": "Tonga",
    "NZL": "Nouvelle-Zélande",
    "TKL": "Tokelau",
}
COUNTRIES = [
    # code, name, French name, region, sub-region
    ("AUS", "Australia", "Australie", "Oceania", "Australia and New Zealand"),
    ("CHN", "China", "Chine", "Asia", "Eastern Asia"),
    ("FJI", "Fiji", "Fidji", "Oceania", "Melanesia"),
    ("IND", "India", "Inde", "Asia", "Southern Asia"),
    ("NCL", "New Caledonia", "Nouvelle-Calédonie", "Oceania", "Melanesia"),
    ("NZL", "New Zealand", "Nouvelle-Zélande", "Oceania", "Australia and New Zealand"),
    ("USA", "United States", "États-Unis", "Americas", "Northern America"),
]
GROUP_NAMES = {
    "PROFILING": ("Profiling Group", "Groupe de profilage"),
    "MARITIME": ("Maritime Group", "Groupe maritime"),
}
DATASETS_FR = {
    # dataset: (title, description)
    "movements": (
        "Mouvements aux frontières",
        "Arrivées et départs réguliers de voyageurs par les ports du membre.",
    ),
    "permits": ("Visas et titres délivrés", "Visas et titres délivrés par le membre dans le mois."),
    "irregular": (
        "Détections de migration irrégulière",
        "Personnes détectées en situation irrégulière.",
    ),
    "refusals": ("Refus d'entrée", "Personnes non admises à la frontière."),
    "document_fraud": (
        "Documents frauduleux détectés",
        "Documents de voyage ou d'identité frauduleux détectés.",
    ),
    "facilitation": (
        "Trafic illicite de migrants et traite des personnes",
        "Personnes impliquées dans des affaires de trafic illicite de migrants ou de traite.",
    ),
    "removals": (
        "Éloignements et retours",
        "Personnes éloignées ou renvoyées du territoire du membre.",
    ),
}
CODE_LABELS_FR = {
    "_T": "Total (toutes valeurs)",
    "_U": "Inconnu",
    "_Z": "Sans objet",
    "ARR": "Arrivée",
    "DEP": "Départ",
    "CIT": "Citoyen",
    "RES": "Résident (non-citoyen)",
    "VIS": "Visiteur",
    "CRW": "Équipage",
    "TRN": "Passager en transit",
    "RST": "Résident habituel (citoyens et résidents)",
    "NAT": "Nationalité",
    "DST": "Pays de destination finale",
    "HOL": "Vacances",
    "BUS": "Affaires",
    "VFR": "Visite à des amis ou à la famille",
    "EDU": "Études ou formation",
    "EMP": "Emploi",
    "OFF": "Mission officielle ou conférence",
    "OTH": "Autre",
    "AIR": "Aérien",
    "SEA": "Maritime",
    "VISITOR": "Visiteur",
    "WORK": "Travail",
    "LABOUR_MOBILITY": "Programme de mobilité de main-d'œuvre",
    "STUDENT": "Étudiant",
    "RESIDENCE": "Résidence",
    "OTHER": "Autre",
    "IRREGULAR_ENTRY": "Entrée irrégulière",
    "OVERSTAY": "Dépassement de la durée de séjour",
    "VISA_BREACH": "Non-respect des conditions du visa",
    "ABSCONDED_CREW": "Membre d'équipage en fuite",
    "STOWAWAY": "Passager clandestin",
    "UNAUTHORISED_WORK": "Travail non autorisé",
    "M": "Homme",
    "F": "Femme",
    "X": "Autre",
    "Y0T17": "Moins de 18 ans",
    "Y18T34": "18 à 34 ans",
    "Y35T54": "35 à 54 ans",
    "Y_GE55": "55 ans et plus",
    "Y0T4": "0 à 4 ans",
    "Y5T9": "5 à 9 ans",
    "Y10T14": "10 à 14 ans",
    "Y15T19": "15 à 19 ans",
    "Y20T24": "20 à 24 ans",
    "Y25T29": "25 à 29 ans",
    "Y30T34": "30 à 34 ans",
    "Y35T39": "35 à 39 ans",
    "Y40T44": "40 à 44 ans",
    "Y45T49": "45 à 49 ans",
    "Y50T54": "50 à 54 ans",
    "Y55T59": "55 à 59 ans",
    "Y60T64": "60 à 64 ans",
    "Y_GE65": "65 ans et plus",
    "AIRPORT": "Aéroport",
    "SEAPORT": "Port maritime",
    "INLAND": "Intérieur du territoire",
    "AT_SEA": "En mer",
    "A": "Pas de document de voyage valable",
    "B": "Document de voyage faux, contrefait ou falsifié",
    "C": "Pas de visa ou de titre de séjour valable",
    "D": "Visa ou titre de séjour faux, contrefait ou falsifié",
    "E": "Objet et conditions du séjour non justifiés",
    "F_REASON": "Dépassement antérieur de la durée de séjour",
    "G": "Moyens de subsistance insuffisants",
    "H": "Signalement ou liste de surveillance",
    "I": "Menace pour l'ordre public, la sécurité ou la santé",
    "PASSPORT": "Passeport",
    "VISA": "Visa",
    "ID_CARD": "Carte d'identité",
    "RESIDENCE_PERMIT": "Titre de séjour",
    "COUNTERFEIT": "Contrefait",
    "FORGED": "Falsifié",
    "FRAUD_OBTAINED": "Authentique obtenu frauduleusement",
    "IMPOSTOR": "Usurpation d'identité",
    "PSEUDO": "Pseudo-document",
    "STOLEN_BLANK": "Vierge volé",
    "SMUGGLING": "Trafic illicite de migrants",
    "TRAFFICKING": "Traite des personnes",
    "FACILITATOR": "Passeur",
    "SMUGGLED_PERSON": "Personne ayant fait l'objet d'un trafic illicite",
    "VICTIM": "Victime",
    "DEPORTATION": "Expulsion",
    "REMOVAL": "Éloignement",
    "VOLUNTARY_DEPARTURE": "Départ volontaire",
    "ASSISTED_RETURN": "Retour aidé",
    "TREND": "Tendance",
    "MODUS_OPERANDI": "Mode opératoire",
    "ROUTE": "Itinéraire",
}
# A code's label depends on its list where the same code means two things.
CODE_LABELS_FR_BY_LIST = {
    ("country_basis", "RES"): "Pays de résidence",
    ("purpose", "TRN"): "Transit",
    ("refusal_reason", "F"): CODE_LABELS_FR["F_REASON"],
    ("refusal_reason", "OTH"): "Autre",
}


def code_label_fr(code_list: str, code: str) -> str:
    """The French label of ``code`` in ``code_list`` (the dataset list: the French title)."""
    if code_list == "dataset":
        return DATASETS_FR[code][0]
    return CODE_LABELS_FR_BY_LIST.get((code_list, code)) or CODE_LABELS_FR[code]


GROUPS = [("PROFILING", "FJI"), ("PROFILING", "NZL"), ("MARITIME", "TON"), ("MARITIME", "TKL")]
# owner, dataset -> audience; anything not listed is secretariat_only.
SHARING = {
    ("FJI", "movements"): "all_members",
    ("FJI", "irregular"): "profiling_group",
    ("FJI", "refusals"): "secretariat_only",
    ("TON", "movements"): "secretariat_only",
    ("TON", "refusals"): "all_members",
    ("NZL", "movements"): "all_members",
    ("NZL", "irregular"): "profiling_group",
}
# Distinctive figures, so a test can tell whether they leaked onto a page.
TON_MOVEMENTS_AUG = 48_213  # Tonga shares movements with the Secretariat only
FJI_REFUSALS_SEP = 919  # Fiji shares refusals with the Secretariat only
FJI_IRREGULAR_SEP = 57  # shared with the Profiling Group (FJI, NZL)
FJI_MOVEMENTS = {AUG: 60_000, SEP: 61_234}
FJI_MOVEMENTS_OCT = 70_017  # filed early: provisional, the Secretariat's eyes only
NZL_MOVEMENTS_SEP = 20_553
TON_REFUSALS_SEP = 3
# The history behind FJI's irregular CHN alert: June's return had none (0), July none at all.
ALERT_HISTORY = {
    dt.date(2026, 5, 1): 5,
    dt.date(2026, 6, 1): 0,
    dt.date(2026, 7, 1): None,
    AUG: 6,
    SEP: FJI_IRREGULAR_SEP,
}
SECRET_NOTE = "Internal only: suspected syndicate at Nadi"
SHARED_NOTE = "Cruise season started early this year"

# (dataset, member, month, count, {column: code}); codes not given take a default.
FACTS = [
    ("movements", "FJI", AUG, FJI_MOVEMENTS[AUG], {"country": "AUS"}),
    ("movements", "FJI", SEP, 61_000, {"country": "AUS"}),
    ("movements", "FJI", SEP, 234, {"country": "CHN"}),
    ("movements", "TON", AUG, TON_MOVEMENTS_AUG, {"country": "NZL"}),
    ("movements", "NZL", SEP, NZL_MOVEMENTS_SEP, {"country": "FJI"}),
    ("refusals", "FJI", SEP, FJI_REFUSALS_SEP, {"nationality": "CHN"}),
    ("refusals", "TON", SEP, TON_REFUSALS_SEP, {"nationality": "USA"}),
    ("irregular", "FJI", SEP, FJI_IRREGULAR_SEP, {"nationality": "CHN"}),
    ("irregular", "NZL", SEP, 12, {"nationality": "IND"}),
]


def default_code(column) -> str:
    if column.type == "country":
        return "CHN"
    if column.type == "port":
        return "_U"
    return next(iter(load_contract().code_lists[column.code_list].codes))


def _fact_tables(connection) -> None:
    contract = load_contract()
    for name in contract.dataset_names:
        if name not in {dataset for dataset, *_ in FACTS}:
            continue  # other fact marts are not published: pages must cope
        dataset = contract.dataset(name)
        code_columns = [f"{c.name}_code" for c in dataset.breakdowns]
        columns = ["member_code varchar", "period_month date"]
        columns += [f"{c} varchar" for c in code_columns]
        columns += ["observed_count bigint", "source_row_count bigint", "has_unmapped_value bool"]
        connection.execute(
            f"create table marts.fct_{name} ({name}_key varchar, {', '.join(columns)})"
        )
        for index, (fact_dataset, member, month, count, codes) in enumerate(FACTS):
            if fact_dataset != name:
                continue
            values = [codes.get(c.name, default_code(c)) for c in dataset.breakdowns]
            placeholders = ", ".join("?" for _ in range(len(values) + 6))
            connection.execute(
                f"insert into marts.fct_{name} values ({placeholders})",
                [f"k{index}", member, month, *values, count, 1, False],
            )


def _insert(connection, table: str, ddl: str, rows: list[tuple]) -> None:
    connection.execute(f"create table marts.{table} ({ddl})")
    if rows:
        placeholders = ", ".join("?" for _ in rows[0])
        connection.executemany(f"insert into marts.{table} values ({placeholders})", rows)


def _sharing_access() -> list[tuple]:
    group_of = {}
    for group, member in GROUPS:
        group_of.setdefault(member, set()).add(group)
    rows = []
    owners = [code for code, *_ in MEMBERS]
    for owner in owners:
        for dataset in load_contract().dataset_names:
            audience = SHARING.get((owner, dataset), "secretariat_only")
            for viewer in ["SECRETARIAT", "PUBLIC", *owners]:
                if viewer == "SECRETARIAT" or viewer == owner:
                    can_view = True
                elif viewer == "PUBLIC":
                    can_view = False
                elif audience == "all_members":
                    can_view = True
                elif audience == "profiling_group":
                    can_view = "PROFILING" in group_of.get(viewer, set())
                elif audience == "maritime_group":
                    can_view = "MARITIME" in group_of.get(viewer, set())
                else:
                    can_view = False
                rows.append((viewer, owner, dataset, can_view))
    return rows


def _grants() -> list[tuple]:
    """mart_dashboard_grants from the same rules: viewer kind and code, owner, dataset, reason."""
    access = _sharing_access()
    can_view = {(viewer, owner, dataset): can for viewer, owner, dataset, can in access}
    rows = []
    for viewer, owner, dataset, can in access:
        if viewer == "SECRETARIAT":
            rows.append(("secretariat", viewer, owner, dataset, "secretariat"))
        elif viewer != "PUBLIC" and can:
            rows.append(("member", viewer, owner, dataset, "own" if viewer == owner else "shared"))
    owners = [code for code, *_ in MEMBERS]
    for group in sorted({group for group, _ in GROUPS}):
        members = {member for g, member in GROUPS if g == group}
        for owner in owners:
            for dataset in load_contract().dataset_names:
                others = members - {owner}
                if others and all(can_view[(other, owner, dataset)] for other in others):
                    rows.append(("group", group, owner, dataset, "shared"))
    return rows


def _compliance_counts(rows: list[tuple]) -> tuple[int, int, int, int, int, int]:
    """expected, received, on time, late, missing and nil returns of (status, nil) rows."""
    statuses = [status for status, _ in rows]
    received = [nil for status, nil in rows if status in ("on_time", "late")]
    return (
        len(rows),
        len(received),
        statuses.count("on_time"),
        statuses.count("late"),
        statuses.count("missing"),
        sum(received),
    )


def _dashboard_marts(connection, compliance: list[tuple], member_trends: list[tuple]) -> None:
    """The marts of dbt_project/models/marts/dashboard, worked out from the same rows."""
    grants = _grants()
    _insert(
        connection,
        "mart_dashboard_grants",
        "viewer_kind varchar, viewer_code varchar, owner_member varchar, dataset varchar, "
        "grant_reason varchar",
        grants,
    )
    due = [row for row in compliance if row[3] != "not_yet_due"]
    rates = []
    for member, dataset in sorted({(m, d) for m, d, *_ in due}):
        counts = _compliance_counts(
            [(s, n) for m, d, _, s, n, *_ in due if (m, d) == (member, dataset)]
        )
        rates.append((member, dataset, *counts, counts[1] / counts[0], counts[2] / counts[0]))
    _insert(
        connection,
        "mart_dashboard_compliance_rates",
        "member_code varchar, dataset varchar, expected_returns bigint, received_returns bigint, "
        "on_time_returns bigint, late_returns bigint, missing_returns bigint, nil_returns bigint, "
        "completeness_rate double, timeliness_rate double",
        rates,
    )
    per_viewer = []
    for kind, code in sorted({(kind, code) for kind, code, *_ in grants}):
        visible = {(owner, dataset) for k, c, owner, dataset, _ in grants if (k, c) == (kind, code)}
        for month in sorted({row[2] for row in due}):
            rows = [r for r in due if r[2] == month and (r[0], r[1]) in visible]
            if not rows:
                continue
            expected, received, on_time, late, missing, _ = _compliance_counts(
                [(r[3], r[4]) for r in rows]
            )
            absent = sorted({r[0] for r in rows if r[3] == "missing"})
            per_viewer.append(
                (
                    kind,
                    code,
                    month,
                    expected,
                    received,
                    on_time,
                    late,
                    missing,
                    received / expected,
                    on_time / expected,
                    ", ".join(absent) or None,
                )
            )
    _insert(
        connection,
        "mart_dashboard_viewer_compliance",
        "viewer_kind varchar, viewer_code varchar, period_month date, expected_returns bigint, "
        "received_returns bigint, on_time_returns bigint, late_returns bigint, "
        "missing_returns bigint, completeness_rate double, timeliness_rate double, "
        "missing_members varchar",
        per_viewer,
    )
    changes = [
        (d, m, p, t, prev, mom)
        for d, m, p, t, prev, mom, _ in member_trends
        if prev is not None and prev >= 20 and mom is not None
    ]
    ranked = []
    for month in sorted({p for _, _, p, *_ in changes}):
        month_changes = sorted(
            (c for c in changes if c[2] == month), key=lambda c: (-abs(c[5]), c[0], c[1])
        )
        ranked += [(*c, rank) for rank, c in enumerate(month_changes, start=1)]
    _insert(
        connection,
        "mart_dashboard_notable_changes",
        "dataset varchar, member_code varchar, period_month date, total_count bigint, "
        "previous_month_total bigint, mom_change_pct double, change_rank bigint",
        ranked,
    )
    _insert(
        connection,
        "mart_dashboard_settings",
        "setting varchar, value varchar, description varchar",
        [
            ("small_cell_max", "4", "Counts from 1 to this value are suppressed."),
            ("min_contributors", "3", "Fewer contributing members hide a figure."),
        ],
    )


def _public_aggregates() -> list[tuple]:
    # dataset, month, breakdown, value, obs (None when suppressed), display, suppressed, status, n
    return [
        ("movements", AUG, "region", "PACIFIC", 108_213, "108,213", False, "F", 2),
        ("movements", SEP, "region", "PACIFIC", 81_787, "81,787", False, "F", 3),
        ("movements", SEP, "sub_region", "Melanesia", 61_234, "61,234", False, "F", 1),
        ("movements", SEP, "sub_region", "Australia and New Zealand", None, "<5", True, "D", 1),
        ("movements", SEP, "sub_region", "Polynesia", None, "<5", True, "A", 1),
        ("refusals", SEP, "region", "PACIFIC", 922, "922", False, "F", 2),
        ("refusals", SEP, "nationality", "CHN", 919, "919", False, "F", 1),
        ("refusals", SEP, "nationality", "USA", None, "<5", True, "A", 1),
        ("irregular", SEP, "region", "PACIFIC", 69, "69", False, "F", 2),
    ]


def build_serving(path: Path) -> Path:
    """Write the hand-made serving database to ``path`` and return it."""
    contract = load_contract()
    connection = duckdb.connect(str(path))
    connection.execute("create schema marts")
    _insert(
        connection,
        "dim_members",
        "member_code varchar, member_name varchar, sub_region varchar, capital varchar, "
        "latitude double, longitude double, member_since date, member_until date, "
        "is_current_member bool, member_name_fr varchar",
        [(*m, dt.date(2017, 1, 1), None, True, MEMBER_NAMES_FR[m[0]]) for m in MEMBERS],
    )
    _insert(
        connection,
        "dim_countries",
        "country_code varchar, country_name varchar, region varchar, sub_region varchar, "
        "is_group bool, country_name_fr varchar",
        [(code, name, region, sub, False, fr) for code, name, fr, region, sub in COUNTRIES],
    )
    _insert(
        connection,
        "dim_codes",
        "code_list varchar, code varchar, label varchar, sort_order integer, label_fr varchar",
        [
            (name, code, label, order, code_label_fr(name, code))
            for name in contract.code_lists
            for order, (code, label) in enumerate(contract.codes(name).items())
        ],
    )
    _insert(
        connection,
        "dim_datasets",
        "dataset varchar, title varchar, description varchar, has_nationality bool, "
        "has_route bool, title_fr varchar, description_fr varchar",
        [
            (
                name,
                contract.dataset(name).title,
                contract.dataset(name).description,
                "nationality" in contract.dataset(name).column_names,
                name == "document_fraud",
                *DATASETS_FR[name],
            )
            for name in contract.dataset_names
        ],
    )
    _insert(
        connection,
        "dim_member_groups",
        "group_code varchar, group_name varchar, member_code varchar, group_name_fr varchar",
        [(group, GROUP_NAMES[group][0], member, GROUP_NAMES[group][1]) for group, member in GROUPS],
    )
    _insert(
        connection,
        "mart_sharing_access",
        "viewer varchar, owner_member_code varchar, dataset varchar, can_view bool",
        _sharing_access(),
    )
    _fact_tables(connection)
    # Changes compare like with like: September's -43.4% is FJI and TON only (NZL did not
    # report in August). October is provisional: FJI filed early, the deadline has not passed.
    # key, dataset, month, members, total, previous, mom, coverage, status, latest, compared
    trends = [
        ("m1", "movements", AUG, 2, 108_213, None, None, 50.0, "incomplete", False, 0),
        ("m2", "movements", SEP, 3, 81_787, 108_213, -43.4, 100.0, "complete", True, 2),
        ("m3", "movements", OCT, 1, FJI_MOVEMENTS_OCT, 81_787, 14.3, 57.6, "provisional", False, 1),
        ("r2", "refusals", SEP, 2, 922, None, None, 50.0, "incomplete", True, 0),
        ("i2", "irregular", SEP, 2, 69, None, None, 50.0, "incomplete", True, 0),
    ]
    _insert(
        connection,
        "mart_regional_trends",
        "trend_key varchar, dataset varchar, period_month date, member_count_reporting integer, "
        "total_count bigint, previous_month_total bigint, mom_change_pct double, "
        "same_month_last_year_total bigint, yoy_change_pct double, members_expected bigint, "
        "coverage_pct double, completeness_status varchar, is_latest_month boolean, "
        "mom_members_compared bigint, yoy_members_compared bigint",
        [
            (k, d, p, n, t, prev, mom, None, None, len(MEMBERS), cover, status, latest, both, 0)
            for k, d, p, n, t, prev, mom, cover, status, latest, both in trends
        ],
    )
    # What the public sees: released months only, coverage rounded down, no change where the
    # members differ (NZL reported September, not August).
    public_trends = [
        ("movements", AUG, 108_213, 2, 50, "incomplete", False, None),
        ("movements", SEP, 81_787, 3, 100, "complete", True, 108_213),
        ("refusals", SEP, 922, 2, 50, "incomplete", True, None),
        ("irregular", SEP, 69, 2, 50, "incomplete", True, None),
    ]
    no_change = (None, False, None, None, False)  # mom, same members, last year, yoy, same
    _insert(
        connection,
        "mart_public_regional_trends",
        "dataset varchar, period_month date, total_count bigint, display_value varchar, "
        "is_suppressed boolean, members_reporting bigint, members_expected bigint, "
        "coverage_at_least_pct bigint, completeness_status varchar, is_latest_month boolean, "
        "previous_month_total bigint, mom_change_pct double, is_mom_same_members boolean, "
        "same_month_last_year_total bigint, yoy_change_pct double, is_yoy_same_members boolean",
        [
            (d, p, t, f"{t:,}", False, n, len(MEMBERS), cover, status, latest, prev, *no_change)
            for d, p, t, n, cover, status, latest, prev in public_trends
        ],
    )
    return_rows = [
        ("movements", "FJI", AUG, FJI_MOVEMENTS[AUG], False),
        ("movements", "FJI", SEP, FJI_MOVEMENTS[SEP], False),
        ("movements", "FJI", OCT, FJI_MOVEMENTS_OCT, False),
        ("movements", "TON", AUG, TON_MOVEMENTS_AUG, False),
        ("movements", "TON", SEP, 0, True),
        ("movements", "NZL", SEP, NZL_MOVEMENTS_SEP, False),
        ("refusals", "FJI", SEP, FJI_REFUSALS_SEP, False),
        ("refusals", "TON", SEP, TON_REFUSALS_SEP, False),
        ("irregular", "FJI", SEP, FJI_IRREGULAR_SEP, False),
        ("irregular", "NZL", SEP, 12, False),
    ]
    _insert(
        connection,
        "mart_return_totals",
        "dataset varchar, member_code varchar, period_month date, total_count bigint, "
        "is_nil_return bool",
        return_rows,
    )
    received = dt.datetime(2026, 10, 10, 9, 0)
    late = dt.datetime(2026, 10, 20, 9, 0)
    compliance = [
        # member, dataset, month, status, nil, corrected, versions, received
        ("FJI", "movements", AUG, "on_time", False, False, 1, received),
        ("FJI", "movements", SEP, "late", False, False, 1, late),
        ("TON", "movements", AUG, "on_time", False, False, 1, received),
        ("TON", "movements", SEP, "on_time", True, False, 1, received),
        ("NZL", "movements", AUG, "missing", False, False, 0, None),
        ("NZL", "movements", SEP, "on_time", False, True, 2, received),
        ("TKL", "movements", AUG, "missing", False, False, 0, None),
        ("TKL", "movements", SEP, "missing", False, False, 0, None),
        ("FJI", "refusals", SEP, "on_time", False, False, 1, received),
        ("TON", "refusals", SEP, "on_time", False, False, 1, received),
    ]
    _insert(
        connection,
        "mart_reporting_compliance",
        "member_code varchar, dataset varchar, period_month date, due_date date, "
        "is_expected bool, status varchar, is_nil_return bool, is_corrected bool, "
        "version_count integer, first_received_at timestamp, last_received_at timestamp",
        [
            (m, d, p, dt.date(p.year, p.month + 1, 15), True, s, n, c, v, r, r)
            for m, d, p, s, n, c, v, r in compliance
        ],
    )
    member_trends = [
        ("movements", "FJI", AUG, FJI_MOVEMENTS[AUG], None, None, 55.4),
        ("movements", "FJI", SEP, FJI_MOVEMENTS[SEP], FJI_MOVEMENTS[AUG], 2.06, 74.9),
        ("movements", "FJI", OCT, FJI_MOVEMENTS_OCT, FJI_MOVEMENTS[SEP], 14.34, 100.0),
        ("movements", "TON", AUG, TON_MOVEMENTS_AUG, None, None, 44.6),
        ("movements", "TON", SEP, 0, TON_MOVEMENTS_AUG, -100.0, 0.0),
        ("movements", "NZL", SEP, NZL_MOVEMENTS_SEP, None, None, 25.1),
        ("refusals", "FJI", SEP, FJI_REFUSALS_SEP, None, None, 99.7),
        ("refusals", "TON", SEP, TON_REFUSALS_SEP, None, None, 0.3),
        ("irregular", "FJI", SEP, FJI_IRREGULAR_SEP, 6, 850.0, 82.6),
        ("irregular", "NZL", SEP, 12, None, None, 17.4),
    ]
    _insert(
        connection,
        "mart_member_trends",
        "dataset varchar, member_code varchar, period_month date, total_count bigint, "
        "previous_month_total bigint, mom_change_pct double, same_month_last_year_total bigint, "
        "yoy_change_pct double, rolling_3m_total bigint, rolling_12m_total bigint, "
        "share_of_regional_pct double",
        [
            (d, m, p, t, prev, mom, None, None, t, t, share)
            for d, m, p, t, prev, mom, share in member_trends
        ],
    )
    _dashboard_marts(connection, compliance, member_trends)
    _insert(
        connection,
        "mart_nationality_trends",
        "dataset varchar, member_code varchar, nationality_code varchar, period_month date, "
        "total_count bigint, rolling_3m_total bigint, rolling_12m_total bigint",
        [
            ("irregular", "FJI", "CHN", AUG, 6, 6, 6),
            ("irregular", "FJI", "CHN", SEP, FJI_IRREGULAR_SEP, 63, 63),
            ("refusals", "FJI", "CHN", SEP, FJI_REFUSALS_SEP, 919, 919),
        ],
    )
    _insert(
        connection,
        "mart_route_trends",
        "member_code varchar, embarkation_country_code varchar, period_month date, "
        "total_count bigint",
        [],
    )
    _insert(
        connection,
        "mart_alerts",
        "alert_id varchar, dataset varchar, member_code varchar, alert_type varchar, "
        "dimension_value varchar, period_month date, observed_count bigint, "
        "baseline_median double, baseline_mad double, modified_z_score double, "
        "baseline_months integer, severity varchar, message varchar, series_kind varchar",
        [
            (
                "a1",
                "irregular",
                "FJI",
                "spike",
                "CHN",
                SEP,
                FJI_IRREGULAR_SEP,
                6.0,
                1.5,
                22.9,
                12,
                "high",
                f"Fiji detected {FJI_IRREGULAR_SEP} Chinese nationals in an irregular situation "
                "in Sep 2026, against a median of 6 over the previous 12 months.",
                "nationality",
            ),
            (
                "a2",
                "movements",
                "TON",
                "spike",
                "total",
                AUG,
                TON_MOVEMENTS_AUG,
                20000.0,
                900.0,
                19.1,
                12,
                "medium",
                f"Tonga recorded {TON_MOVEMENTS_AUG:,} border movements in Aug 2026, against a "
                "median of 20,000.",
                "total",
            ),
        ],
    )
    _insert(
        connection,
        "mart_alert_series",
        "alert_id varchar, dataset varchar, member_code varchar, period_month date, "
        "observed_count bigint, has_return boolean, is_alert_month boolean, "
        "is_baseline_month boolean",
        [
            ("a1", "irregular", "FJI", month, count, count is not None, month == SEP, month < SEP)
            for month, count in ALERT_HISTORY.items()
        ],
    )
    _insert(
        connection,
        "mart_observations",
        "member_code varchar, dataset varchar, period_month date, topic varchar, note varchar, "
        "is_shareable bool",
        [
            ("FJI", "movements", SEP, "TREND", SHARED_NOTE, True),
            ("FJI", "movements", SEP, "MODUS", SECRET_NOTE, False),
        ],
    )
    _insert(
        connection,
        "mart_submissions",
        "submission_id varchar, member_code varchar, file_name varchar, file_format varchar, "
        "received_at timestamp, status varchar, datasets varchar, periods varchar, "
        "rows_read bigint, rows_loaded bigint, rows_rejected bigint, report_path varchar, "
        "summary varchar",
        [
            (
                "sub-fji-1",
                "FJI",
                "FJI_2026-09.xlsx",
                "template",
                late,
                "accepted",
                "movements",
                "2026-09",
                3,
                3,
                0,
                "",
                "accepted: 3 rows read",
            ),
            (
                "sub-ton-1",
                "TON",
                "tonga_sept.csv",
                "csv",
                received,
                "rejected",
                "refusals",
                "2026-09",
                5,
                0,
                5,
                "",
                "rejected: 5 rows read, 1 errors",
            ),
        ],
    )
    _insert(
        connection,
        "mart_unmapped_values",
        "member_code varchar, dataset varchar, column_name varchar, raw_value varchar, "
        "row_count bigint, person_count bigint",
        [
            ("FJI", "movements", "country", "Chinese Taipei", 2, 31),
            ("TON", "refusals", "nationality", "Tongan passport", 1, 2),
        ],
    )
    sdmx = [
        (
            "PIDC:DF_BORDER(1.0)",
            "M",
            "PACIFIC",
            f"{month:%Y-%m}",
            dataset.upper(),
            breakdown,
            value,
            "" if obs is None else str(obs),
            status,
        )
        for dataset, month, breakdown, value, obs, _, _, status, _ in _public_aggregates()
    ]
    _insert(
        connection,
        "mart_public_aggregates",
        "dataset varchar, period_month date, breakdown varchar, breakdown_value varchar, "
        "obs_value bigint, display_value varchar, is_suppressed bool, conf_status varchar, "
        "contributing_members integer",
        _public_aggregates(),
    )
    _insert(
        connection,
        "mart_sdmx_public",
        "DATAFLOW varchar, FREQ varchar, REF_AREA varchar, TIME_PERIOD varchar, "
        "INDICATOR varchar, BREAKDOWN varchar, BREAKDOWN_VALUE varchar, OBS_VALUE varchar, "
        "CONF_STATUS varchar",
        sdmx,
    )
    connection.execute(
        "create table main.publication as select timestamptz '2026-10-16 06:00:00+00' "
        "as published_at"
    )
    connection.close()
    return path


def republish(serving: Path, sql: str, params: list | None = None) -> None:
    """A new publication of ``serving`` with ``sql`` applied, made the way the pipeline makes
    one (orchestration.publish): a changed copy moved over the file, never a write in place. The
    dashboard holds the publication it reads open, so this process could not write to it."""
    staging = serving.with_name(f".{serving.name}.test.publishing")
    staging.write_bytes(serving.read_bytes())
    with duckdb.connect(str(staging)) as connection:
        connection.execute(sql, params or [])
    os.replace(staging, serving)


def run_page(page: str, viewer: Viewer, timeout: float = 30) -> AppTest:
    """Run one page as ``viewer`` and return the finished AppTest (no exception allowed)."""
    at = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=timeout)
    at.session_state["viewer"] = viewer
    at.run()
    assert not at.exception, at.exception
    return at


def page_text(at: AppTest) -> str:
    """Everything a page shows as text: markdown, metrics, captions, alerts and table cells."""
    parts = []
    for kind in (
        "markdown",
        "caption",
        "info",
        "success",
        "error",
        "warning",
        "title",
        "header",
        "subheader",
        "text",
    ):
        parts += [str(element.value) for element in at.get(kind)]
    for metric in at.metric:
        parts += [metric.label, str(metric.value), str(metric.delta or "")]
    for expander in at.expander:
        parts.append(str(expander.label))
    for table in [*at.dataframe, *at.get("table")]:
        frame = table.value
        # A plain row number is not a figure on the page; a labelled index (members) is.
        parts.append(frame.to_string(index=not isinstance(frame.index, pd.RangeIndex)))
    return "\n".join(parts)


def month_of(value: str) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


def chart_traces(at: AppTest, index: int) -> dict[str, dict[dt.date, float | None]]:
    """The ``index``-th plotly chart of a page as trace name -> {month: value}."""
    spec = json.loads(at.get("plotly_chart")[index].proto.spec)
    return {
        trace["name"]: dict(zip((month_of(x) for x in trace["x"]), trace["y"], strict=True))
        for trace in spec["data"]
    }


def figures_in(text: str) -> set[int]:
    """Every number written on the page (thousands separators removed)."""

    return {int(n.replace(",", "")) for n in re.findall(r"(?<![\d.])\d[\d,]*(?![\d.])", text)}


# --- empty states -----------------------------------------------------------------------------
