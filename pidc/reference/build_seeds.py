"""Write the reference seeds under ``dbt_project/seeds/reference/`` from their sources.

``python -m pidc.reference.build_seeds`` rewrites every reference seed except
``member_label_mappings.csv`` (member spellings, edited by the Secretariat). Output is sorted and
stable: running it twice changes nothing. The datasets/country-codes table is read when present
(``../shared/data/real/datahub_country_codes.csv`` or ``--datahub``); without it the regions and
sports codes already in the committed seeds are kept, and so are the French country names
(pycountry's French catalog names any country still without one).
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

from pidc.reference import DATAHUB_COUNTRY_CODES, REFERENCE_SEEDS_DIR
from pidc.reference.country_tables import (
    DroppedAlias,
    ExternalFacts,
    alias_candidates,
    alias_rows,
    country_rows,
    facts_from_seeds,
    group_rows,
    read_datahub,
    resolve_aliases,
)
from pidc.reference.label_tables import label_mapping_rows
from pidc.reference.members import members_rows, membership_rows
from pidc.reference.ports import ports_rows
from pidc.reference.reporting import reporting_settings_rows

log = logging.getLogger(__name__)

HEADERS: dict[str, list[str]] = {
    "members.csv": [
        "member_code",
        "member_name",
        "member_name_fr",
        "sub_region",
        "capital",
        "latitude",
        "longitude",
    ],
    "membership.csv": ["member_code", "valid_from", "valid_to"],
    "countries.csv": [
        "country_code",
        "alpha2",
        "numeric_code",
        "country_name",
        "country_name_fr",
        "official_name",
        "region",
        "sub_region",
        "code_kind",
    ],
    "country_groups.csv": ["group_code", "group_name", "group_name_fr", "description"],
    "country_aliases.csv": ["alias", "alias_normalised", "country_code", "alias_kind"],
    "ports.csv": ["port_code", "member_code", "port_name", "port_mode", "latitude", "longitude"],
    "label_mappings.csv": ["member_code", "code_list", "label", "label_normalised", "code"],
    "reporting_settings.csv": ["setting", "value", "description"],
}


@dataclass
class ReferenceSeeds:
    """The rendered seeds (file name -> CSV text) and what the build left out."""

    files: dict[str, str]
    dropped_aliases: list[DroppedAlias] = field(default_factory=list)
    facts_source: str = ""


def csv_text(header: list[str], rows: list[list[object]]) -> str:
    """CSV text with ``\\n`` line ends and minimal quoting, so the output is byte-stable."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def external_facts(datahub_csv: Path | None, existing_dir: Path) -> ExternalFacts:
    """Facts from the datahub table when it exists, else from the seeds in ``existing_dir``."""
    if datahub_csv is not None and datahub_csv.exists():
        return read_datahub(datahub_csv)
    facts = facts_from_seeds(existing_dir)
    if not facts.regions:
        log.warning(
            "no datahub table and no committed countries.csv in %s: regions and IOC/FIFA codes "
            "will be empty",
            existing_dir,
        )
    return facts


def render_seeds(
    datahub_csv: Path | None = DATAHUB_COUNTRY_CODES,
    existing_dir: Path = REFERENCE_SEEDS_DIR,
) -> ReferenceSeeds:
    """Every reference seed as text, without writing anything."""
    facts = external_facts(datahub_csv, existing_dir)
    winners, dropped = resolve_aliases(alias_candidates(facts))
    countries = country_rows(facts)
    # Members' French names are their countries' (same reference), by alpha-3.
    country_names_fr = {
        row[0]: row[HEADERS["countries.csv"].index("country_name_fr")] for row in countries
    }
    rows = {
        "members.csv": members_rows(country_names_fr),
        "membership.csv": membership_rows(),
        "countries.csv": countries,
        "country_groups.csv": group_rows(),
        "country_aliases.csv": alias_rows(winners),
        "ports.csv": ports_rows(),
        "label_mappings.csv": label_mapping_rows(),
        "reporting_settings.csv": reporting_settings_rows(),
    }
    files = {name: csv_text(HEADERS[name], rows[name]) for name in HEADERS}
    return ReferenceSeeds(files, dropped, facts.source)


def write_seeds(
    out_dir: Path = REFERENCE_SEEDS_DIR,
    datahub_csv: Path | None = DATAHUB_COUNTRY_CODES,
    existing_dir: Path | None = None,
) -> ReferenceSeeds:
    """Render the seeds and write those whose content changed into ``out_dir``.

    ``existing_dir`` (default ``out_dir``) holds the seeds whose regions and sports codes are
    kept when the datahub table is absent.
    """
    seeds = render_seeds(datahub_csv, existing_dir or out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in seeds.files.items():
        target = out_dir / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8", newline="")
    return seeds


def main(argv: list[str] | None = None) -> int:
    """Command line: rebuild the reference seeds and log the aliases left out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REFERENCE_SEEDS_DIR, help="seed folder")
    parser.add_argument(
        "--datahub", type=Path, default=DATAHUB_COUNTRY_CODES, help="country-codes table"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list dropped aliases")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    # pycountry warns about known duplicates in its historic-countries data on every load.
    logging.getLogger("pycountry.db").setLevel(logging.ERROR)
    seeds = write_seeds(args.out, args.datahub)
    log.info("regions and sports codes from %s", seeds.facts_source)
    for item in seeds.dropped_aliases:
        log.debug(
            "dropped alias %r -> %s (%s): %s",
            item.alias_normalised,
            item.code,
            item.source,
            item.reason,
        )
    log.info(
        "wrote %d reference seeds to %s; %d conflicting aliases dropped (-v lists them)",
        len(seeds.files),
        args.out,
        len(seeds.dropped_aliases),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
