"""Ten times the members: a copy of the dbt project whose reference registry lists more members.

PIDC has 21 members; the issue's third size is ten times that. The extra members are ISO countries
that are not PIDC members (from the ``countries`` seed, in code order), each a stand-in for a
curated member (:func:`sample_data.profiles.stand_in_template`): it takes that member's
sub-region and coordinates, its ports (codes re-prefixed with the stand-in's own alpha-2 so they
stay UN/LOCODE-shaped and unique), its sharing rules and its group memberships. The sample
generator then writes returns for every member of the registry with the template's habits.

Only the copy given is changed; the project's own seeds never are. The pipeline, the validation
and the sample generator read the copy when ``PIDC_DBT_PROJECT_DIR`` names it
(:data:`pidc.settings.DBT_PROJECT_DIR`).
"""

from __future__ import annotations

import csv
from pathlib import Path

from sample_data.profiles import stand_in_template

REGISTRY_SEEDS = {
    "members": "reference/members.csv",
    "membership": "reference/membership.csv",
    "ports": "reference/ports.csv",
    "countries": "reference/countries.csv",
    "sharing_rules": "sharing/sharing_rules.csv",
    "member_groups": "sharing/member_groups.csv",
}


class RegistryError(ValueError):
    """The registry cannot be extended as asked (a factor below 1, or too few countries)."""


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def extend_member_registry(project_dir: Path, factor: int) -> dict[str, str]:
    """Make the registry of the dbt project copy at ``project_dir`` ``factor`` times as large.

    Returns ``{new member code: the curated member it stands in for}``. Raises
    :class:`RegistryError` when ``factor`` is below 1 or there are not enough non-member ISO
    countries to draw from.
    """
    if factor < 1:
        raise RegistryError(f"the member factor must be 1 or more, not {factor}")
    seeds = Path(project_dir) / "seeds"
    tables = {name: _read(seeds / relative) for name, relative in REGISTRY_SEEDS.items()}
    member_header, member_rows = tables["members"]
    current = {row["member_code"]: row for row in member_rows}
    wanted = len(current) * (factor - 1)
    if wanted == 0:
        return {}
    candidates = sorted(
        row["country_code"]
        for row in tables["countries"][1]
        if row.get("code_kind", "iso") == "iso" and row["country_code"] not in current
    )
    if len(candidates) < wanted:
        raise RegistryError(
            f"{factor} times {len(current)} members needs {wanted} more countries; the countries "
            f"seed has only {len(candidates)} that are not members (use a factor of at most "
            f"{1 + len(candidates) // len(current)})"
        )
    countries = {row["country_code"]: row for row in tables["countries"][1]}
    extra = candidates[:wanted]
    registry = sorted([*current, *extra])
    templates = {code: stand_in_template(code, registry) for code in extra}

    for code, template in templates.items():
        source = current[template]
        offset = 0.05 * (extra.index(code) // len(current) + 1)  # keeps map points apart
        member_rows.append(
            {
                **source,
                "member_code": code,
                "member_name": countries[code]["country_name"],
                "latitude": f"{float(source['latitude']) + offset:.4f}",
                "longitude": f"{float(source['longitude']) + offset:.4f}",
            }
        )
    _write(seeds / REGISTRY_SEEDS["members"], member_header, sorted(member_rows, key=_by_code))

    header, rows = tables["membership"]
    _write(
        seeds / REGISTRY_SEEDS["membership"],
        header,
        sorted(_with_stand_ins(rows, templates), key=_by_code),
    )

    header, rows = tables["ports"]
    by_member: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_member.setdefault(row["member_code"], []).append(row)
    for code, template in templates.items():
        alpha2 = countries[code]["alpha2"]
        name = countries[code]["country_name"]
        for port in by_member.get(template, []):
            rows.append(
                {
                    **port,
                    "port_code": alpha2 + port["port_code"][2:],
                    "member_code": code,
                    "port_name": f"{port['port_name']}, {name}",
                }
            )
    _write(seeds / REGISTRY_SEEDS["ports"], header, sorted(rows, key=lambda r: r["port_code"]))

    header, rows = tables["sharing_rules"]
    rules = _with_stand_ins(rows, templates)
    _write(seeds / REGISTRY_SEEDS["sharing_rules"], header, sorted(rules, key=_by_code))

    header, rows = tables["member_groups"]
    groups = _with_stand_ins(rows, templates)
    _write(
        seeds / REGISTRY_SEEDS["member_groups"],
        header,
        sorted(groups, key=lambda r: (r["group_code"], r["member_code"])),
    )
    return templates


def _with_stand_ins(rows: list[dict[str, str]], templates: dict[str, str]) -> list[dict[str, str]]:
    """``rows`` plus, for each stand-in, a copy of its template member's rows under its code."""
    return rows + [
        {**row, "member_code": code}
        for code, template in templates.items()
        for row in rows
        if row["member_code"] == template
    ]


def _by_code(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row.values())
