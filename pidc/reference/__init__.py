"""Reference data: members, membership, countries, aliases, ports, label mappings, settings.

The facts live in this package (curated tables in code, or read from libraries such as
pycountry); ``python -m pidc.reference.build_seeds`` writes them as the dbt seeds under
``dbt_project/seeds/reference/``. The resolvers in :mod:`pidc.countries` and :mod:`pidc.labels`
read those seeds back, so Python and dbt always map a member's spelling the same way.
"""

from __future__ import annotations

from pidc.settings import PROJECT_ROOT, SEEDS_DIR

REFERENCE_SEEDS_DIR = SEEDS_DIR / "reference"

# Public-domain country-code table (datasets/country-codes); optional, never committed.
DATAHUB_COUNTRY_CODES = (
    PROJECT_ROOT.parent / "shared" / "data" / "real" / "datahub_country_codes.csv"
)

__all__ = ["DATAHUB_COUNTRY_CODES", "REFERENCE_SEEDS_DIR"]
