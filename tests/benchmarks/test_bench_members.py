"""Ten times the members: the benchmark's extended registry, and the platform reading it.

``bench.members`` extends a copy of the dbt project's reference registry; the sample generator
and validation read that copy when ``PIDC_DBT_PROJECT_DIR`` names it. These tests check the copy
is consistent and that a member the release does not know is generated and accepted end to end
through the CLI (a fresh process, since the setting is read at start-up).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.end_to_end import snapshot_dbt_project
from bench.members import RegistryError, extend_member_registry
from pidc.settings import DBT_PROJECT_DIR, PROJECT_ROOT, SEEDS_DIR
from sample_data.profiles import PROFILES, profile, stand_in_template


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def doubled(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A copy of the dbt project with twice the members: (project, new code -> template)."""
    project = snapshot_dbt_project(DBT_PROJECT_DIR, tmp_path_factory.mktemp("registry"))
    return project, extend_member_registry(project, 2)


def test_the_project_own_seeds_are_untouched(doubled):
    project, added = doubled
    assert project != DBT_PROJECT_DIR
    own = {row["member_code"] for row in _rows(SEEDS_DIR / "reference" / "members.csv")}
    assert len(own) == 21 and not own & set(added)


def test_doubled_registry_is_consistent(doubled):
    project, added = doubled
    seeds = project / "seeds"
    members = {row["member_code"]: row for row in _rows(seeds / "reference" / "members.csv")}
    assert len(members) == 42 and len(added) == 21
    countries = {row["country_code"] for row in _rows(seeds / "reference" / "countries.csv")}
    assert set(added) <= countries  # real ISO codes, so the member type's check still holds
    assert set(added.values()) == set(PROFILES)  # each curated member stands in once
    membership = {row["member_code"] for row in _rows(seeds / "reference" / "membership.csv")}
    assert membership == set(members)

    ports = _rows(seeds / "reference" / "ports.csv")
    codes = [port["port_code"] for port in ports]
    assert len(codes) == len(set(codes)), "port codes must stay unique"
    by_member: dict[str, list[str]] = {}
    for port in ports:
        by_member.setdefault(port["member_code"], []).append(port["port_code"][2:])
    for code, template in added.items():
        assert members[code]["sub_region"] == members[template]["sub_region"]
        assert sorted(by_member.get(code, [])) == sorted(by_member.get(template, []))

    rules = _rows(seeds / "sharing" / "sharing_rules.csv")
    for code, template in added.items():
        own = {(r["dataset"], r["audience"]) for r in rules if r["member_code"] == code}
        assert own == {(r["dataset"], r["audience"]) for r in rules if r["member_code"] == template}


def test_stand_in_templates_are_stable_and_spread():
    registry = [*PROFILES, "ZZA", "ZZB", "ZZC"]
    templates = [stand_in_template(code, registry) for code in ("ZZA", "ZZB", "ZZC")]
    assert templates == sorted(PROFILES)[:3]
    assert stand_in_template("ZZB", reversed(registry)) == templates[1]
    # Outside the registry, a code still gets a plain profile (never an error).
    assert profile("QQQ").file_format == "csv"


def test_registry_refuses_a_factor_it_cannot_fill(tmp_path):
    project = snapshot_dbt_project(DBT_PROJECT_DIR, tmp_path)
    with pytest.raises(RegistryError, match="at most"):
        extend_member_registry(project, 50)
    with pytest.raises(RegistryError, match="1 or more"):
        extend_member_registry(project, 0)
    assert extend_member_registry(project, 1) == {}


def _validate(path: Path, member: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``pidc validate`` of one file in a fresh process that reads ``env``'s settings."""
    command = [sys.executable, "-m", "cli.main", "validate", str(path), "--member", member]
    return subprocess.run(
        [*command, "--format", "json"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.slow
def test_a_member_added_to_the_registry_is_generated_and_accepted(doubled, tmp_path):
    project, added = doubled
    env = {**os.environ, "PIDC_DBT_PROJECT_DIR": str(project), "PIDC_HOME": str(tmp_path / "home")}
    landing = tmp_path / "landing"
    subprocess.run(
        [sys.executable, "-m", "sample_data", "generate", "--months", "1", str(landing)],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    manifest = json.loads((tmp_path / "sample_manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["members"]) == 42
    # One stand-in for a CSV member and one for a workbook member.
    checked = set()
    for entry in manifest["files"]:
        fmt = entry["file_format"]
        if entry["member"] in added and fmt not in checked:
            checked.add(fmt)
            done = _validate(landing / entry["path"], entry["member"], env)
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert checked == {"csv", "xlsx"}
    # Without the setting the same file is refused: the member is not in the release's registry.
    some = next(e for e in manifest["files"] if e["member"] in added)
    plain = {k: v for k, v in env.items() if k != "PIDC_DBT_PROJECT_DIR"}
    refused = _validate(landing / some["path"], some["member"], plain)
    assert refused.returncode == 1
    assert some["member"] in refused.stdout
