"""Great Expectations suites generated from the data contract, run on frames already in memory.

Intake first turns every cell into a checkable form (``<column>__code`` for resolved codes,
``count__value`` for the parsed count, ``period__index`` for the month), then one suite per dataset
states the contract's rules on those columns. Failures come back as row-level
:class:`ingestion.report.Problem` objects in the member's words. Great Expectations is imported
inside the functions here: importing it costs seconds, so only a process that validates pays.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from pidc.contract import Dataset


@dataclass(frozen=True)
class Rule:
    """One expectation and how to explain its failures to a member."""

    expectation: str
    kwargs: dict[str, Any]
    column: str | None
    message: str  # empty: the cell's own reason, noted while resolving it, explains the failure
    fix: str


def month_index(period: str) -> int:
    """``YYYY-MM`` as a running month number, so windows are simple numeric bounds."""
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


def dataset_rules(
    dataset: Dataset,
    *,
    admissible: dict[str, list[str]],
    first_period: str,
    last_period: str,
) -> list[Rule]:
    """The rules for ``dataset``: required values, code lists, counts, window, member, keys.

    ``admissible`` maps each coded column to the codes it may hold (from the contract and the
    reference seeds). The rules do not depend on who submits, so one validation can cover the
    returns of many files: ``__item`` (which file a row came from) is part of the key, and
    ``member__is_submitter`` says whether a row's member is its file's submitter.
    """
    rules: list[Rule] = []
    for column in dataset.columns:
        name = column.name
        if column.type in ("code", "country", "port"):
            target = f"{name}__code"
            rules.append(
                Rule(
                    "ExpectColumnValuesToNotBeNull",
                    {"column": target},
                    name,
                    "",
                    "Use a code from the template's drop-down list.",
                )
            )
            rules.append(
                Rule(
                    "ExpectColumnValuesToBeInSet",
                    {"column": target, "value_set": admissible[name]},
                    name,
                    "",
                    "Use a code from the template's drop-down list.",
                )
            )
        elif column.type == "count":
            rules.append(
                Rule(
                    "ExpectColumnValuesToNotBeNull",
                    {"column": "count__value"},
                    name,
                    "",
                    "Write a whole number of zero or more (write 0 for none; leave no blanks).",
                )
            )
            rules.append(
                Rule(
                    "ExpectColumnValuesToBeBetween",
                    {"column": "count__value", "min_value": 0},
                    name,
                    "",
                    "Write a whole number of zero or more; counts cannot be negative.",
                )
            )
        elif column.type == "period":
            rules.append(
                Rule(
                    "ExpectColumnValuesToNotBeNull",
                    {"column": "period__index"},
                    name,
                    "",
                    "Write the month as YYYY-MM, for example 2026-10.",
                )
            )
            rules.append(
                Rule(
                    "ExpectColumnValuesToBeBetween",
                    {
                        "column": "period__index",
                        "min_value": month_index(first_period),
                        "max_value": month_index(last_period),
                    },
                    name,
                    f"The month is outside the reporting window ({first_period} to {last_period}); "
                    "returns cannot be for a month that has not ended, nor older than the "
                    "earliest history the platform keeps.",
                    "Check the year and month.",
                )
            )
        elif column.type == "member":
            rules.append(
                Rule(
                    "ExpectColumnValuesToBeInSet",
                    {"column": "member__is_submitter", "value_set": [True]},
                    name,
                    "",  # blank, or another member: the cell's own reason says which
                    "Submit only your own returns: write your own member code in this column.",
                )
            )
        elif column.type == "boolean":
            rules.append(
                Rule(
                    "ExpectColumnValuesToBeInSet",
                    {"column": f"{name}__value", "value_set": [True, False]},
                    name,
                    "The value is not yes or no.",
                    "Write yes or no.",
                )
            )
        elif column.type == "text":
            rules.append(
                Rule(
                    "ExpectColumnValuesToNotBeNull",
                    {"column": f"{name}__value"},
                    name,
                    "The text is blank.",
                    "Write the note, or delete the row.",
                )
            )
    if dataset.measure:
        key = ["__item"] + [
            f"{c}__code" if c not in ("member", "period") else f"{c}__key" for c in dataset.key
        ]
        rules.append(
            Rule(
                "ExpectCompoundColumnsToBeUnique",
                {"column_list": key},
                None,
                "This row repeats the breakdowns of another row in the same return.",
                "Add the two rows' counts together into one row, or correct the breakdowns.",
            )
        )
    return rules


@cache
def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Intake validates many small returns; per-validation progress bars are only noise.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("submissions")
    asset = source.add_dataframe_asset("return_rows")
    return gx, asset.add_batch_definition_whole_dataframe("whole_frame")


def run_rules(frame: pd.DataFrame, rules: list[Rule], suite_name: str) -> list[tuple[Rule, list]]:
    """Validate ``frame`` against ``rules`` with Great Expectations.

    Returns each failed rule with the frame index labels of the rows that broke it (empty when
    the rule concerns the frame as a whole).
    """
    if frame.empty:
        return []
    gx, batch_definition = _context()
    suite = gx.ExpectationSuite(name=suite_name)
    for position, rule in enumerate(rules):
        expectation = getattr(gx.expectations, rule.expectation)(**rule.kwargs)
        expectation.meta = {"rule": position}
        suite.add_expectation(expectation)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    failures = []
    for outcome in result.results:
        if outcome.success:
            continue
        rule = rules[outcome.expectation_config.meta["rule"]]
        failures.append((rule, list(outcome.result.get("unexpected_index_list") or [])))
    return failures
