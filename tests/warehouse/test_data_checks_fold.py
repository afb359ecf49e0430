"""dbt_project/scripts/data_checks.py: dbt's usual column tests folded into one test per model.

The dbt project's own tests (test_dbt_project.py) check the folded project builds, and that each
kind of check still catches what an attacker slips in; these check the fold itself, on YAML
written here: every test kept as a check (none dropped, none changed), nothing else in the file
touched, and a second fold changing nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from support.dbt_scripts import SCRIPTS_DIR, dbt_script

SCRIPT = SCRIPTS_DIR / "data_checks.py"


MODEL = {
    "name": "mart_example",
    "columns": [
        {"name": "example_key", "data_tests": ["unique", "not_null"]},
        {
            "name": "status",
            "data_tests": [
                "not_null",
                {"accepted_values": {"arguments": {"values": ["open", "closed"]}}},
            ],
        },
        {"name": "month", "data_tests": [{"accepted_values": {"arguments": {"values": [1, 2]}}}]},
        {"name": "rate", "data_tests": ["rate_between_zero_and_one"]},
        {
            "name": "sex_code",
            "data_tests": [{"in_code_list": {"arguments": {"code_list": "sex"}}}],
        },
        {
            "name": "code",
            "data_tests": [{"in_code_list_of_column": {"arguments": {"code_list_column": "list"}}}],
        },
        {
            "name": "country_code",
            "data_tests": [
                {
                    "relationships": {
                        "arguments": {"to": "ref('dim_countries')", "field": "country_code"},
                        "config": {"where": "country_code <> '_T'"},
                    }
                }
            ],
        },
        {"name": "note", "description": "untouched"},
    ],
    "data_tests": [{"some_other_test": {"arguments": {"x": 1}}}],
}


def test_every_column_test_becomes_one_check_of_one_test() -> None:
    module = dbt_script("data_checks")
    folded = module.fold_tests(yaml.safe_load(yaml.safe_dump(MODEL)))
    assert all("data_tests" not in column for column in folded["columns"])
    other, checks_test = folded["data_tests"]
    assert other == {"some_other_test": {"arguments": {"x": 1}}}
    assert checks_test["data_checks"]["name"] == "data_checks_mart_example"
    assert [dict(check) for check in checks_test["data_checks"]["arguments"]["checks"]] == [
        {"not_null": ["example_key", "status"]},
        {"unique": ["example_key"]},
        {"accepted_values": "status", "values": ["open", "closed"]},
        {"accepted_values": "month", "values": [1, 2]},
        {"rate": "rate"},
        {"known_code": "sex_code", "code_list": "sex"},
        {"known_code": "code", "code_list_column": "list"},
        {
            "known_code": "country_code",
            "to": "dim_countries",
            "field": "country_code",
            "where": "country_code <> '_T'",
        },
    ]


def test_an_enforced_contract_gets_constraints_not_a_not_null_check() -> None:
    module = dbt_script("data_checks")
    model = yaml.safe_load(yaml.safe_dump(MODEL))
    model["config"] = {"contract": {"enforced": True}}
    folded = module.fold_tests(model)
    checks = folded["data_tests"][1]["data_checks"]["arguments"]["checks"]
    assert not [check for check in checks if "not_null" in check]
    constraints = {column["name"]: column.get("constraints") for column in folded["columns"]}
    assert constraints["example_key"] == constraints["status"] == [{"type": "not_null"}]
    assert constraints["month"] is None


def test_a_test_with_more_than_a_where_is_refused_not_folded_silently() -> None:
    module = dbt_script("data_checks")
    model = {
        "name": "m",
        "columns": [{"name": "c", "data_tests": [{"unique": {"config": {"severity": "warn"}}}]}],
    }
    try:
        module.fold_tests(model)
    except ValueError as error:
        assert "severity" in str(error)
    else:
        raise AssertionError("a warn test was folded into an error test")


HAND_WRITTEN = """\
version: 2

# A comment the fold keeps.
seeds:
  - name: members
    description: >
      Folded text the fold keeps
      as written.
    columns:
      - name: member_code
        description: Code.
        data_tests: [unique, not_null]
      - name: name
        description: Name.

  - name: aliases
    columns:
      - name: member_code
        data_tests:
          - not_null
          - relationships:
              arguments: {to: ref('members'), field: member_code}
      - name: country_code
        data_tests:
          - relationships:
              arguments: {to: ref('dim_countries'), field: country_code}
models:
- name: mart_x
  columns:
  - name: k
    data_tests:
    - unique
  - name: v
    description: kept
"""


def test_a_hand_written_file_is_folded_in_place_keeping_everything_else(tmp_path: Path) -> None:
    """Only the tests' lines change; a seed's relationships to a seed is folded, to a model it
    stays its own test; a second fold changes nothing."""
    project = tmp_path / "dbt_project"
    (project / "seeds").mkdir(parents=True)
    for seed in ("members", "aliases"):
        (project / "seeds" / f"{seed}.csv").write_text("member_code\nFJI\n", encoding="utf-8")
    path = project / "seeds" / "_seeds.yml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    subprocess.run([sys.executable, str(SCRIPT), str(path)], check=True, capture_output=True)
    text = path.read_text(encoding="utf-8")
    assert "# A comment the fold keeps." in text
    assert "      Folded text the fold keeps\n      as written.\n" in text
    document = yaml.safe_load(text)
    members, aliases = document["seeds"]
    assert members["data_tests"] == [
        {
            "data_checks": {
                "name": "data_checks_members",
                "arguments": {
                    "checks": [{"not_null": ["member_code"]}, {"unique": ["member_code"]}]
                },
            }
        }
    ]
    assert aliases["data_tests"][0]["data_checks"]["arguments"]["checks"] == [
        {"not_null": ["member_code"]},
        {"known_code": "member_code", "to": "members", "field": "member_code"},
    ]
    assert aliases["columns"][1]["data_tests"] == [
        {"relationships": {"arguments": {"to": "ref('dim_countries')", "field": "country_code"}}}
    ]
    [mart] = document["models"]
    assert mart["columns"][1] == {"name": "v", "description": "kept"}
    assert mart["data_tests"][0]["data_checks"]["arguments"]["checks"] == [{"unique": ["k"]}]
    # Nothing but tests changed: the lines outside them are the same, in the same order.
    kept_lines = [line for line in HAND_WRITTEN.splitlines() if "data_tests" not in line]
    assert all(
        line in text.splitlines()
        for line in kept_lines
        if "unique" not in line
        and "not_null" not in line
        and "relationships" not in line
        and "arguments" not in line
    )
    subprocess.run([sys.executable, str(SCRIPT), str(path)], check=True, capture_output=True)
    assert path.read_text(encoding="utf-8") == text
