"""How the generated YAML checks that every code is known, at the least cost per `dbt build`.

Every data test is a node of its own (about 0.08 s each, plus a Dagster asset check), and the
generated models had one test per code column: an ``in_code_list`` test for each code of the
contract's code lists and a ``relationships`` test for each code of a dimension (countries,
ports, members, months), 71 nodes for 18 models. The generators still write those per column;
:func:`fold_codes` turns them into one ``known_codes`` test per model (tests/generic/known_codes.sql:
one node, each failing row naming its column and code). Same checks, same nulls left out, same
``where`` per column.
"""

from __future__ import annotations

FOLDED = ("in_code_list", "relationships")


def _check(column: str, name: str, test: dict) -> dict:
    arguments = dict(test.get("arguments") or {})
    check: dict = {"column": column}
    if name == "in_code_list":
        check["code_list"] = arguments["code_list"]
    else:
        # relationships: to: "ref('dim_countries')" -> the model's name.
        check["to"] = arguments["to"].removeprefix("ref('").removesuffix("')")
        check["field"] = arguments["field"]
    where = (test.get("config") or {}).get("where")
    if where:
        check["where"] = where
    return check


def fold_codes(model: dict) -> dict:
    """``model`` (a YAML model entry) with its columns' code tests folded into one, as above."""
    checks = []
    for column in model.get("columns", []):
        kept = []
        for test in column.get("data_tests") or []:
            name = next(iter(test)) if isinstance(test, dict) else test
            if name in FOLDED:
                checks.append(_check(column["name"], name, test[name]))
            else:
                kept.append(test)
        if kept:
            column["data_tests"] = kept
        else:
            column.pop("data_tests", None)
    if checks:
        model["data_tests"] = [
            *model.get("data_tests", []),
            {"known_codes": {"arguments": {"checks": checks}}},
        ]
    return model
