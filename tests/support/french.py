"""French names for the hand-made serving database, as the reference marts publish them
(``dim_datasets.title_fr``, ``dim_members.member_name_fr``, ``dim_countries.country_name_fr``,
``dim_codes.label_fr``): added where the database has no such column or leaves it empty."""

from __future__ import annotations

from pathlib import Path

import duckdb

FRENCH_TITLES = {
    "movements": "Mouvements aux frontières",
    "permits": "Visas et titres délivrés",
    "irregular": "Détections de migration irrégulière",
    "refusals": "Refus d’entrée",
    "document_fraud": "Documents frauduleux détectés",
    "facilitation": "Trafic illicite et traite de personnes",
    "removals": "Éloignements et retours",
}
FRENCH_MEMBERS = {"FJI": "Fidji", "TON": "Tonga", "NZL": "Nouvelle-Zélande", "TKL": "Tokelau"}
FRENCH_COUNTRIES = {
    "AUS": "Australie",
    "CHN": "Chine",
    "FJI": "Fidji",
    "IND": "Inde",
    "NZL": "Nouvelle-Zélande",
    "USA": "États-Unis",
}
FRENCH_TOPICS = {"TREND": "Tendance", "MODUS_OPERANDI": "Mode opératoire", "ROUTE": "Itinéraire"}
# table, key column, French column, names (dim_codes: the observation topics only)
FRENCH_COLUMNS = (
    ("dim_datasets", "dataset", "title_fr", FRENCH_TITLES),
    ("dim_members", "member_code", "member_name_fr", FRENCH_MEMBERS),
    ("dim_countries", "country_code", "country_name_fr", FRENCH_COUNTRIES),
    ("dim_codes", "code", "label_fr", FRENCH_TOPICS),
)


def publish_french_names(serving: Path) -> None:
    """Give the serving database's reference marts their French columns (names already there
    are kept)."""
    with duckdb.connect(str(serving)) as connection:
        for table, key, column, names in FRENCH_COLUMNS:
            connection.execute(
                f"alter table marts.{table} add column if not exists {column} varchar"
            )
            for code, name in names.items():
                connection.execute(
                    f"update marts.{table} set {column} = ? where {key} = ? and {column} is null",
                    [name, code],
                )
