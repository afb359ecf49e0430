"""How the YAML says what a model's data must satisfy, at the least cost per `dbt build`.

Every data test is a node of its own: about 35 ms of a build whatever it reads, and a Dagster
asset check (docs/benchmarks.md, issue 15). One test per column and rule made 234 nodes, a third
of a small build. So the YAML is written with dbt's usual column tests, and :func:`fold_tests`
turns a model's (or seed's, or source table's) tests into:

- a ``not_null`` constraint, where the model's contract is enforced: DuckDB refuses the null when
  dbt writes the table, so the build fails exactly where the test would have, with no test;
- one ``data_checks`` test holding every other check (tests/generic/data_checks.sql): one node per
  model, each failing row naming its check, column and value.

Same checks, same nulls left out, same ``where`` per check. A seed's ``relationships`` to a model
stays a test of its own: folded, it would make every check of the seed wait for that model and
run at every build (the tests that read only seeds are left out of a build whose seeds did not
change: orchestration/seeds.py).

The generators (generate_staging_yaml.py, generate_dataset_models.py) call :func:`fold_tests`;
the hand-written YAML is folded in place by ``python dbt_project/scripts/data_checks.py FILE...``
(comments and layout kept), so it may be written the usual way first.
tests/warehouse/test_dbt_project.py checks that every model has at most one data test node.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEST_NAME = "data_checks"

# Column tests folded (a data_checks test already there takes them in).
COLUMN_TESTS = (
    "not_null",
    "unique",
    "accepted_values",
    "rate_between_zero_and_one",
    "in_code_list",
    "in_code_list_of_column",
    "relationships",
)

# Kinds in the order a model's checks are listed.
KINDS = ("not_null", "unique", "accepted_values", "rate", "known_code")


class Check(dict):
    """A check written on one line by :func:`dump_yaml`."""


def _name_and_spec(test: Any) -> tuple[str, dict]:
    if isinstance(test, str):
        return test, {}
    [(name, spec)] = test.items()
    return name, dict(spec or {})


def _ref_name(to: str) -> str:
    """``ref('dim_countries')`` -> ``dim_countries``."""
    return to.strip().removeprefix("ref(").removesuffix(")").strip("'\"")


def _config_where(spec: dict) -> str | None:
    config = dict(spec.get("config") or {})
    where = config.pop("where", None)
    if config or set(spec) - {"arguments", "config", "name"}:
        raise ValueError(f"cannot fold a test with {spec}: only `where` is folded")
    return where


def _column_check(column: str, name: str, spec: dict) -> dict:
    arguments = dict(spec.get("arguments") or {})
    if name == "not_null":
        check: dict = {"not_null": [column]}
    elif name == "unique":
        check = {"unique": [column]}
    elif name == "accepted_values":
        if arguments.get("quote", True) is False:
            raise ValueError(f"{column}: accepted_values with quote: false is not folded")
        check = {"accepted_values": column, "values": list(arguments["values"])}
    elif name == "rate_between_zero_and_one":
        check = {"rate": column}
    elif name == "in_code_list":
        check = {"known_code": column, "code_list": arguments["code_list"]}
    elif name == "in_code_list_of_column":
        check = {"known_code": column, "code_list_column": arguments["code_list_column"]}
    else:  # relationships
        check = {
            "known_code": column,
            "to": _ref_name(arguments["to"]),
            "field": arguments["field"],
        }
    where = _config_where(spec)
    if where:
        check["where"] = where
    return check


def _kind(check: dict) -> str:
    return next(kind for kind in KINDS if kind in check)


def checked_columns(check: dict) -> list[str]:
    """The column (or columns) a check reads: ``{unique: [a, b]}`` -> ``[a, b]``."""
    value = check[_kind(check)]
    return list(value) if isinstance(value, list) else [value]


def fold_tests(
    entry: dict,
    *,
    name: str | None = None,
    enforced: bool | None = None,
    kept: Callable[[str, dict], bool] = lambda name, spec: False,
) -> dict:
    """``entry`` (a YAML model, seed or source table) with its data tests folded, as above.

    ``name``: the entry's name in the test's name (a source table's is its source's and its
    own); ``enforced``: whether its contract is enforced (read from ``entry`` when not given);
    ``kept(test_name, spec)``: a column test to leave as it is.
    """
    if enforced is None:
        enforced = bool(((entry.get("config") or {}).get("contract") or {}).get("enforced"))
    not_null: list[str] = []
    checks: list[dict] = []
    for column in entry.get("columns") or []:
        left = []
        for test in column.get("data_tests") or []:
            test_name, spec = _name_and_spec(test)
            if test_name not in COLUMN_TESTS or kept(test_name, spec):
                left.append(test)
            elif test_name == "not_null" and not _config_where(spec) and enforced:
                constraints = column.setdefault("constraints", [])
                if not any(constraint.get("type") == "not_null" for constraint in constraints):
                    constraints.append({"type": "not_null"})
            elif test_name == "not_null" and not _config_where(spec):
                not_null.append(column["name"])
            else:
                checks.append(_column_check(column["name"], test_name, spec))
        if left:
            column["data_tests"] = left
        else:
            column.pop("data_tests", None)
    left = []
    for test in entry.get("data_tests") or []:
        test_name, spec = _name_and_spec(test)
        if test_name == TEST_NAME:
            checks.extend(dict(check) for check in spec["arguments"]["checks"])
        else:
            left.append(test)
    folded_not_null = [check for check in checks if _kind(check) == "not_null"]
    for check in folded_not_null:
        if check.get("where"):
            continue
        not_null.extend(column for column in check["not_null"] if column not in not_null)
    checks = [
        check for check in checks if not (_kind(check) == "not_null" and not check.get("where"))
    ]
    if not_null:
        checks.insert(0, {"not_null": not_null})
    checks.sort(key=lambda check: KINDS.index(_kind(check)))
    if checks:
        left.append(
            {
                TEST_NAME: {
                    "name": f"{TEST_NAME}_{name or entry['name']}",
                    "arguments": {"checks": [Check(check) for check in checks]},
                }
            }
        )
    if left:
        entry["data_tests"] = left
    else:
        entry.pop("data_tests", None)
    return entry


def _seed_relationship_to_model(seeds: set[str]) -> Callable[[str, dict], bool]:
    def kept(test_name: str, spec: dict) -> bool:
        if test_name != "relationships":
            return False
        return _ref_name(dict(spec.get("arguments") or {})["to"]) not in seeds

    return kept


def dump_yaml(document: dict) -> str:
    """``document`` as the generators write YAML, each folded check on one line."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(
        Check,
        lambda dumper, check: dumper.represent_mapping(
            "tag:yaml.org,2002:map", check.items(), flow_style=True
        ),
    )
    return yaml.dump(document, Dumper=Dumper, sort_keys=False, width=100, allow_unicode=True)


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The line after the block of the key on line ``start`` (at column ``indent``)."""
    end = start + 1
    last = start + 1
    while end < len(lines):
        stripped = lines[end].strip()
        if stripped:
            depth = len(lines[end]) - len(lines[end].lstrip(" "))
            if depth < indent or (depth == indent and not stripped.startswith("- ")):
                break
            last = end + 1
        end += 1
    return last


def _render(key: str, items: list, indent: int, flush: bool) -> list[str]:
    """``key:`` and its list at ``indent``, sequences flush with the key or indented under it;
    each check on one line."""
    import yaml

    def one_line(value: Any) -> str:
        return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6).strip()

    pad = " " * indent
    dash = pad if flush else pad + "  "
    out = [f"{pad}{key}:\n"]
    for item in items:
        name, spec = _name_and_spec(item)
        if not spec:
            out.append(f"{dash}- {name}\n")
        elif name == TEST_NAME:
            out.append(f"{dash}- {name}:\n")
            out.append(f"{dash}    name: {spec['name']}\n")
            out.append(f"{dash}    arguments:\n")
            out.append(f"{dash}      checks:\n")
            for check in spec["arguments"]["checks"]:
                out.append(f"{dash}      {'' if flush else '  '}- {one_line(dict(check))}\n")
        else:
            body = yaml.safe_dump({name: spec}, sort_keys=False, width=100, indent=2)
            lines = body.splitlines()
            out.append(f"{dash}- {lines[0]}\n")
            out.extend(f"{dash}  {line}\n" for line in lines[1:])
    return out


def fold_file(path: Path) -> None:
    """Fold every model, seed and source table of a hand-written YAML file in place: only the
    lines of the tests change (comments, descriptions and layout are kept as written)."""
    import copy

    import yaml
    from ruamel.yaml import YAML

    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    located = YAML().load(text)  # where each key is (line, column)
    plain = yaml.safe_load(text)
    seeds = {seed["name"] for seed in plain.get("seeds") or []} | _all_seed_names(path)
    kept = _seed_relationship_to_model(seeds)
    entries = []  # (located entry, plain entry, keyword arguments of fold_tests)
    for index, model in enumerate(plain.get("models") or []):
        entries.append((located["models"][index], model, {}))
    for index, seed in enumerate(plain.get("seeds") or []):
        entries.append((located["seeds"][index], seed, {"enforced": False, "kept": kept}))
    for s, source in enumerate(plain.get("sources") or []):
        for t, table in enumerate(source.get("tables") or []):
            arguments = {"enforced": False, "name": f"{source['name']}_{table['name']}"}
            entries.append((located["sources"][s]["tables"][t], table, arguments))

    def replaced(mapping: Any, tests: list | None) -> tuple[int, int, list[str]]:
        """The edit that writes ``tests`` (none: nothing) over ``mapping``'s data_tests."""
        line, indent = mapping.lc.key("data_tests")
        end = _block_end(lines, line, indent)
        flush = end > line + 1 and lines[line + 1].startswith(" " * indent + "- ")
        return line, end, _render("data_tests", tests, indent, flush) if tests else []

    edits: list[tuple[int, int, list[str]]] = []
    for where, entry, arguments in entries:
        folded = fold_tests(copy.deepcopy(entry), **arguments)
        for index, column in enumerate(entry.get("columns") or []):
            if folded["columns"][index].get("constraints") != column.get("constraints"):
                raise ValueError(
                    f"{path}: {entry['name']}.{column['name']}: a not_null test on a "
                    "contract model; write it as a constraint"
                )
            if "data_tests" not in column:
                continue
            edits.append(
                replaced(where["columns"][index], folded["columns"][index].get("data_tests"))
            )
        tests = folded.get("data_tests")
        if "data_tests" in entry:
            edits.append(replaced(where, tests))
        elif tests:
            last_key = list(where)[-1]
            line, indent = where.lc.key(last_key)
            end = _block_end(lines, line, indent)
            flush = "columns" not in where or lines[where.lc.key("columns")[0] + 1].startswith(
                " " * indent + "- "
            )
            edits.append((end, end, _render("data_tests", tests, indent, flush)))
    # Columns shared through a YAML anchor (`columns: *label_mapping_columns`) are edited once.
    unique_edits = {(start, end): replacement for start, end, replacement in edits}
    for (start, end), replacement in sorted(unique_edits.items(), reverse=True):
        lines[start:end] = replacement
    path.write_text("".join(lines), encoding="utf-8")


def _all_seed_names(path: Path) -> set[str]:
    """The project's seeds (every CSV under seeds/), for a file that names seeds of another."""
    project = next(parent for parent in path.resolve().parents if (parent / "seeds").is_dir())
    return {csv.stem for csv in (project / "seeds").rglob("*.csv")}


def main() -> None:
    for name in sys.argv[1:]:
        fold_file(Path(name))
        print(f"folded {name}")


if __name__ == "__main__":
    main()
