"""How the generated YAML says a column may not be null, at the least cost per `dbt build`.

Every data test is a node of its own (about 0.08 s each, docs/benchmarks.md), and a `not_null`
test per column was half of the project's tests. So the generators write each column's
`not_null` test, then :func:`fold_not_null` turns them into:

- a `not_null` constraint, where the model's contract is enforced: DuckDB refuses the null when
  dbt writes the table, so the build fails exactly where the test would have, with no test;
- one `not_null_columns` test listing them all (tests/generic/not_null_columns.sql), elsewhere
  (views and tables without a contract): one scan and one node per model.

The hand-written YAML follows the same rule (tests/warehouse/test_dbt_project.py checks it).
"""

from __future__ import annotations


def fold_not_null(model: dict) -> dict:
    """``model`` (a YAML model entry) with its columns' ``not_null`` tests folded, as above."""
    enforced = bool(model.get("config", {}).get("contract", {}).get("enforced"))
    required = []
    for column in model.get("columns", []):
        tests = column.get("data_tests") or []
        if "not_null" not in tests:
            continue
        kept = [test for test in tests if test != "not_null"]
        if kept:
            column["data_tests"] = kept
        else:
            column.pop("data_tests")
        if enforced:
            constraints = column.setdefault("constraints", [])
            if {"type": "not_null"} not in constraints:
                constraints.append({"type": "not_null"})
        else:
            required.append(column["name"])
    if required:
        model["data_tests"] = [
            {"not_null_columns": {"arguments": {"column_names": required}}},
            *model.get("data_tests", []),
        ]
    return model
