"""One Great Expectations expectation for many columns' value checks: a batch's verdict at the
cost of one expectation rather than one per column.

Great Expectations' cost is mostly per expectation (building its metrics' graph and its
result), not per row: a batch of 32 workbooks holds some 26 columns with value checks, and
checking each with its own expectation cost 0.08 s of the batch's 0.58 s intake. This
expectation asks the same questions of every row in one metric. It is only used for the first
verdict (:func:`expectations.suites.run_rules`): when it fails, the columns' own expectations
find which rules failed and which rows broke them, so reports are unchanged.

Each check is one rule, on one column, as Great Expectations' own expectation answers it:

- ``{"column": c, "not_null": True}``: ``ExpectColumnValuesToNotBeNull``;
- ``{"column": c, "value_set": [...]}``: ``ExpectColumnValuesToBeInSet`` (nulls pass);
- ``{"column": c, "min_value": x, "max_value": y}``: ``ExpectColumnValuesToBeBetween`` on a
  numeric column, bounds included (nulls pass).

Imported by :func:`expectations.suites._make_context` only, after Great Expectations itself:
importing this module imports Great Expectations and registers the metric.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    MulticolumnMapMetricProvider,
)
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (
    multicolumn_condition_partial,
)


def rows_passing(columns: pd.DataFrame, checks: list[dict[str, Any]]) -> np.ndarray:
    """Per row of ``columns``, whether it passes every one of ``checks``."""
    passing = np.ones(len(columns), dtype=bool)
    nulls: dict[str, np.ndarray] = {}
    for check in checks:
        name = check["column"]
        column = columns[name]
        if name not in nulls:
            nulls[name] = np.asarray(column.isna(), dtype=bool)
        null = nulls[name]
        if check.get("not_null"):
            passing &= ~null
            continue
        if "value_set" in check:
            hits = _in_set(column, check["value_set"])
        else:
            hits = np.ones(len(column), dtype=bool)
            if check.get("min_value") is not None:
                hits &= _true(check["min_value"] <= column)
            if check.get("max_value") is not None:
                hits &= _true(column <= check["max_value"])
        # Value checks skip nulls, as Great Expectations' own do.
        if hits is not None:
            passing &= null | hits
    return passing


def _true(hits: pd.Series) -> np.ndarray:
    """A test's outcome per row, a missing outcome as False."""
    return np.asarray(hits.fillna(False), dtype=bool)


def _in_set(column: pd.Series, value_set: list) -> np.ndarray | None:
    """``column.isin(value_set)``, Great Expectations' own test, or None when every value is in
    the set. For a text column and a set of text, the few distinct values are looked up
    instead: pandas spends about a millisecond converting a list of 267 country codes for each
    column it tests, the lookup a tenth of that; text is equal in both exactly when its
    characters are."""
    if not pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
        return _true(column.isin(value_set))
    allowed = set(value_set)
    if not all(isinstance(value, str) for value in allowed):
        return _true(column.isin(value_set))
    outside = [
        value for value in column.unique() if isinstance(value, str) and value not in allowed
    ]
    return ~_true(column.isin(outside)) if outside else None


class MulticolumnValuesPassChecks(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.pass_checks"
    condition_domain_keys = (
        "batch_id",
        "table",
        "column_list",
        "row_condition",
        "condition_parser",
        "ignore_row_if",
    )
    condition_value_keys = ("checks",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):
        return pd.Series(rows_passing(column_list, kwargs["checks"]), index=column_list.index)


class ExpectMulticolumnValuesToPassChecks(MulticolumnMapExpectation):
    """Every row passes every check of ``checks`` (see the module's documentation). Given
    ``ignore_row_if="never"``: each check handles nulls as its own expectation does."""

    checks: list[dict[str, Any]] = pydantic.Field(description="Each column's check.")

    map_metric = "multicolumn_values.pass_checks"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "checks")
    args_keys = ("column_list", "checks")
