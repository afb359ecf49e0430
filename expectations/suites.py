"""Great Expectations suites generated from the data contract, run on frames already in memory.

Intake first turns every cell into a checkable form (``<column>__code`` for resolved codes,
``count__value`` for the parsed count, ``period__index`` for the month), then one suite per dataset
states the contract's rules on those columns; intake merges the suites of a batch's datasets into
one (:func:`batch_rules`) and validates the whole batch in one run. Failures come back as row-level
:class:`ingestion.report.Problem` objects in the member's words. Great Expectations is imported
inside the functions here: importing it costs seconds, so only a process that validates pays.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from pidc.contract import Dataset
from pidc.i18n import N_


@dataclass(frozen=True)
class Rule:
    """One expectation and how to explain its failures to a member."""

    expectation: str
    kwargs: dict[str, Any]
    column: str | None
    # English templates (gettext msgids, marked with N_) filled in with ``params``: the problem
    # is shown in its reader's language (ingestion.messages). An empty message: the cell's own
    # reason, noted while resolving it, explains the failure.
    message: str
    fix: str
    # Only rows whose ``where[0]`` column holds one of ``where[1]`` are checked (a rule of some of
    # the datasets in a batch that holds several); None: every row.
    where: tuple[str, tuple[str, ...]] | None = None
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> str:
        """What the rule checks, as text: two rules with the same key are the same check."""
        kwargs = sorted((name, repr(value)) for name, value in self.kwargs.items())
        return repr(
            (self.expectation, kwargs, self.column, self.message, self.fix, self.where, self.params)
        )


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
                    N_("Use a code from the template's drop-down list."),
                )
            )
            rules.append(
                Rule(
                    "ExpectColumnValuesToBeInSet",
                    {"column": target, "value_set": admissible[name]},
                    name,
                    "",
                    N_("Use a code from the template's drop-down list."),
                )
            )
        elif column.type == "count":
            rules.append(
                Rule(
                    "ExpectColumnValuesToNotBeNull",
                    {"column": "count__value"},
                    name,
                    "",
                    N_("Write a whole number of zero or more (write 0 for none; leave no blanks)."),
                )
            )
            rules.append(
                Rule(
                    "ExpectColumnValuesToBeBetween",
                    {"column": "count__value", "min_value": 0},
                    name,
                    "",
                    N_("Write a whole number of zero or more; counts cannot be negative."),
                )
            )
        elif column.type == "period":
            rules.append(
                Rule(
                    "ExpectColumnValuesToNotBeNull",
                    {"column": "period__index"},
                    name,
                    "",
                    N_("Write the month as YYYY-MM, for example 2026-10."),
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
                    N_(
                        "The month is outside the reporting window ({first} to {last}); returns "
                        "cannot be for a month that has not ended, nor older than the earliest "
                        "history the platform keeps."
                    ),
                    N_("Check the year and month."),
                    params=(("first", first_period), ("last", last_period)),
                )
            )
        elif column.type == "member":
            rules.append(
                Rule(
                    "ExpectColumnValuesToBeInSet",
                    {"column": "member__is_submitter", "value_set": [True]},
                    name,
                    "",  # blank, or another member: the cell's own reason says which
                    N_("Submit only your own returns: write your own member code in this column."),
                )
            )
        elif column.type == "boolean":
            rules.append(
                Rule(
                    "ExpectColumnValuesToBeInSet",
                    {"column": f"{name}__value", "value_set": [True, False]},
                    name,
                    N_("The value is not yes or no."),
                    N_("Write yes or no."),
                )
            )
        elif column.type == "text":
            rules.append(
                Rule(
                    "ExpectColumnValuesToNotBeNull",
                    {"column": f"{name}__value"},
                    name,
                    N_("The text is blank."),
                    N_("Write the note, or delete the row."),
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
                N_("This row repeats the breakdowns of another row in the same return."),
                N_("Add the two rows' counts together into one row, or correct the breakdowns."),
            )
        )
    return rules


DATASET_COLUMN = "__dataset"


@dataclass(frozen=True)
class BatchRules:
    """One suite for a batch holding rows of several datasets (``__dataset`` says which).

    ``rules`` are the datasets' rules with the checks they share stated once (the same column,
    code list, window, message: ``count__value`` is checked once for every dataset). A rule some
    of the datasets do not have is limited to theirs (``Rule.where``) when the others' rows could
    fail it; value checks skip nulls, so a column a dataset lacks is no failure. ``own`` gives,
    for each dataset, each of its rules (in :func:`dataset_rules`'s order) as the position of
    the batch rule that checks it.
    """

    rules: list[Rule]
    own: dict[str, list[tuple[Rule, int]]]
    # column -> (value, datasets): the batch's table holds ``value`` in ``column`` for the rows of
    # ``datasets``, which do not have the column, so that a check every other row must pass
    # (not null) needs no row condition; the value passes every rule on the column.
    fills: dict[str, tuple[Any, tuple[str, ...]]]


_NO_FILL = object()


def _filler(rules: list[Rule]) -> Any:
    """A value that passes every one of ``rules`` (all on one column), or ``_NO_FILL``."""
    allowed: set | None = None
    bounds = None
    for rule in rules:
        if rule.expectation == "ExpectColumnValuesToBeInSet":
            values = set(rule.kwargs["value_set"])
            allowed = values if allowed is None else allowed & values
        elif rule.expectation == "ExpectColumnValuesToBeBetween":
            if bounds is not None:
                return _NO_FILL
            bounds = (rule.kwargs.get("min_value"), rule.kwargs.get("max_value"))
        elif rule.expectation != "ExpectColumnValuesToNotBeNull":
            return _NO_FILL
    if bounds is not None:
        low, high = bounds
        return _NO_FILL if allowed is not None else (low if low is not None else high or 0)
    if allowed is None:
        return "-"
    return sorted(allowed, key=repr)[0] if allowed else _NO_FILL


def batch_rules(per_dataset: dict[str, list[Rule]], columns: dict[str, set[str]]) -> BatchRules:
    """Merge the rules of the datasets in a batch (``per_dataset``: :func:`dataset_rules` of
    each) into one suite; ``columns`` are the columns of each dataset's rows in the batch.

    The rows of each dataset are told apart by ``__dataset``, which is added to every
    uniqueness key, so one file's return never repeats another dataset's (or file's) rows.
    """
    merged: list[Rule] = []
    users: list[set[str]] = []
    positions: dict[str, int] = {}
    own: dict[str, list[tuple[Rule, int]]] = {}
    for name, rules in per_dataset.items():
        own[name] = []
        for rule in rules:
            # One uniqueness check covers every dataset's key (with __dataset first).
            unique = rule.expectation == "ExpectCompoundColumnsToBeUnique"
            key = "unique" if unique else rule.key
            if key not in positions:
                positions[key] = len(merged)
                merged.append(rule)
                users.append(set())
            users[positions[key]].add(name)
            own[name].append((rule, positions[key]))
    everyone = set(per_dataset)
    fills: dict[str, tuple[Any, tuple[str, ...]]] = {}
    for position, rule in enumerate(merged):
        others = everyone - users[position]
        if rule.expectation == "ExpectCompoundColumnsToBeUnique":
            key_columns = [DATASET_COLUMN]
            for name in per_dataset:
                for target, index in own[name]:
                    if index == position:
                        key_columns += target.kwargs["column_list"]
            kwargs = {"column_list": list(dict.fromkeys(key_columns))}
            merged[position] = Rule(
                rule.expectation, kwargs, None, rule.message, rule.fix, params=rule.params
            )
            continue
        column = rule.kwargs.get("column")
        # Value checks skip nulls: only a dataset whose rows hold the column could fail them.
        at_risk = rule.expectation == "ExpectColumnValuesToNotBeNull" or any(
            column in columns.get(name, ()) for name in others
        )
        if others and at_risk and not any(column in columns.get(name, ()) for name in others):
            # Not null, for the datasets that have the column: the others' rows get a value that
            # passes every rule on it (cheaper for Great Expectations than a row condition).
            on_column = [r for r in merged if r.kwargs.get("column") == column]
            value, lacking = _filler(on_column), tuple(sorted(others))
            if value is not _NO_FILL and fills.get(column, (value, lacking))[1] == lacking:
                fills[column] = (value, lacking)
                continue
        if others and at_risk:
            where = (DATASET_COLUMN, tuple(sorted(users[position])))
            merged[position] = Rule(
                rule.expectation, rule.kwargs, rule.column, rule.message, rule.fix, where,
                rule.params,
            )  # fmt: skip
    return BatchRules(merged, own, fills)


_CONTEXT_LOCK = threading.Lock()


def _context():
    """Great Expectations and the batch definition every run uses, made once per process."""
    with _CONTEXT_LOCK:  # a warm-up thread (warm_up) may be making it right now
        return _make_context()


def warm_up() -> threading.Thread:
    """Import Great Expectations, make its context and run a tiny validation (its first run
    loads much more) in a background thread: it takes seconds, so a process that reads files in
    the sandbox's workers meanwhile does not wait for it when it validates; the thread, to join.

    Once per process: in a process already warmed up, the thread ends at once (a tiny validation
    costs some 20 ms of processor time, taken from the workers reading the batch's files).
    """
    thread = threading.Thread(target=_warm, name="gx-warm-up", daemon=True)
    thread.start()
    return thread


_WARMED = threading.Event()


def _warm() -> None:
    if _WARMED.is_set():
        return
    frame = pd.DataFrame({"code": ["A", None], "count": [1, 2]})
    rules = [
        Rule("ExpectColumnValuesToNotBeNull", {"column": "code"}, "code", "", ""),
        Rule("ExpectColumnValuesToBeInSet", {"column": "code", "value_set": ["B"]}, "code", "", ""),
        Rule("ExpectColumnValuesToBeBetween", {"column": "count", "min_value": 0}, "count", "", ""),
        Rule("ExpectCompoundColumnsToBeUnique", {"column_list": ["code", "count"]}, None, "", ""),
    ]
    # Both passes run (two rules fail): everything a validation loads is loaded.
    run_rules(frame, rules, "warm_up")
    _WARMED.set()


# One validation at a time per process (the warm-up's and intake's share one context).
_RUN_LOCK = threading.Lock()


@cache
def _make_context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _memoise_configurations()
    _skip_fingerprints()
    from expectations import combined  # registers its expectation and metric

    _CUSTOM[combined.ExpectMulticolumnValuesToPassChecks.__name__] = (
        combined.ExpectMulticolumnValuesToPassChecks
    )
    context = gx.get_context(mode="ephemeral")
    # Intake validates many small returns; per-validation progress bars are only noise.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("submissions")
    asset = source.add_dataframe_asset("return_rows")
    return gx, asset.add_batch_definition_whole_dataframe("whole_frame")


def _skip_fingerprints() -> None:
    """No fingerprint of every frame validated.

    Great Expectations hashes each pandas frame it is given (every value of every column) for a
    marker it only writes into the result's metadata; the batch's id and the metrics never use
    it, and nothing here reads it. That was 7% of a 32-workbook batch's validation and 3 s of a
    120-month rebuild's intake. Frames at or over ``HASH_THRESHOLD`` bytes are never hashed; the
    threshold is set to 0.
    """
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0


# This project's own expectations (expectations.combined), by class name: made with the context.
_CUSTOM: dict[str, Any] = {}
_SUITES: dict[str, Any] = {}
_SUITES_KEPT = 64


def _suite(suite_name: str, rules: list[Rule], positions: list[int]):
    """The Great Expectations suite of ``rules`` (those at ``positions``), built once per process.

    Building a suite costs a few milliseconds per expectation; a batch of the same datasets in
    the same reporting window asks for the same suite again.
    """
    key = repr((suite_name, [rules[p].key for p in positions]))
    suite = _SUITES.get(key)
    if suite is None:
        gx, _ = _context()
        from great_expectations.expectations.row_conditions import Column

        expectations = []
        for position in positions:
            rule = rules[position]
            kwargs = dict(rule.kwargs)
            if rule.where is not None:
                kwargs["row_condition"] = Column(rule.where[0]).is_in(list(rule.where[1]))
            kind = _CUSTOM.get(rule.expectation) or getattr(gx.expectations, rule.expectation)
            expectation = kind(**kwargs)
            expectation.meta = {"rule": position}
            expectations.append(expectation)
        # Given at once, not added one by one (each addition compares with every one before).
        suite = gx.ExpectationSuite(name=suite_name, expectations=expectations)
        if len(_SUITES) >= _SUITES_KEPT:
            _SUITES.pop(next(iter(_SUITES)))
        _SUITES[key] = suite
    return suite


def run_rules(frame: pd.DataFrame, rules: list[Rule], suite_name: str) -> list[tuple[Rule, list]]:
    """Validate ``frame`` against ``rules`` with Great Expectations.

    Returns each failed rule with the frame index labels of the rows that broke it (empty when
    the rule concerns the frame as a whole).

    Two passes: every rule for its verdict only (Great Expectations computes far fewer metrics),
    then, when some failed, those rules again for the rows that broke them. A batch of good
    returns pays the first pass only.
    """
    if frame.empty:
        return []
    with _RUN_LOCK:
        return _run_rules(frame, rules, suite_name)


# Great Expectations builds an expectation's configuration (a pydantic dump of the expectation)
# anew each time one is asked for: about 35 times per expectation in one validation (a batch of
# 200 files: 0.36 s a run with it, 0.255 s without, whatever the rows). Within one
# validation (:func:`_validate`) nothing changes an expectation object once made, so each one's
# configuration is built once and kept for that validation only; outside it, the library
# behaves as shipped. The objects are held until the validation ends, so an id is never reused.
_CONFIGURATIONS: dict[tuple[str, int], tuple[Any, Any]] | None = None
_MEMOISED = False


def _memoise_configurations() -> None:
    """Make ``Expectation.configuration`` reuse, during :func:`_validate`, the configuration
    it built for the same expectation object; and ``ExpectationConfiguration.to_domain_obj``
    the expectation it made from the same configuration object.

    The second matters as much: Great Expectations turns a configuration back into a new
    expectation object (validating every field again) some eight times per expectation in one
    validation, to read its keyword arguments, and each new object's configuration was built
    anew. Every one of those reads only; the configuration was complete (its batch id added)
    before the first. Rendering, which writes into configurations, is for GX Cloud only.
    """
    global _MEMOISED
    if _MEMOISED:
        return
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    build = Expectation.configuration.fget
    make = ExpectationConfiguration.to_domain_obj

    def kept_for(self, kind: str, produce):
        kept = _CONFIGURATIONS
        if kept is None:
            return produce(self)
        found = kept.get((kind, id(self)))
        if found is None or found[0] is not self:
            found = kept[(kind, id(self))] = (self, produce(self))
        return found[1]

    def configuration(self):
        return kept_for(self, "configuration", build)

    def to_domain_obj(self):
        return kept_for(self, "expectation", make)

    Expectation.configuration = property(configuration, doc=Expectation.configuration.__doc__)
    to_domain_obj.__doc__ = make.__doc__
    ExpectationConfiguration.to_domain_obj = to_domain_obj
    _MEMOISED = True


def _validate(batch, suite, result_format: str):
    """``batch.validate(suite)``, each expectation's configuration built once (see above)."""
    global _CONFIGURATIONS
    _CONFIGURATIONS = {}
    try:
        return batch.validate(suite, result_format={"result_format": result_format})
    finally:
        _CONFIGURATIONS = None


_NOT_NULL = "ExpectColumnValuesToNotBeNull"
# Value checks a column's not-null check can be folded into (their only kwargs besides column).
_FOLDABLE = {
    "ExpectColumnValuesToBeInSet": {"value_set"},
    "ExpectColumnValuesToBeBetween": {"min_value", "max_value"},
}


@dataclass(frozen=True)
class _Verdicts:
    """The first pass's rules: each column's not-null check folded into its value check.

    A column checked by exactly two rules over the same rows, not null and one value check (in
    a set, between bounds), fails either one exactly where the value check fails on a copy of
    the column whose nulls hold a value that breaks it (value checks skip nulls): one
    expectation instead of two, for a verdict that is the same. Great Expectations' cost is
    mostly per expectation, so a batch of good returns pays about half.
    """

    rules: list[Rule]
    # Per rule of the pass, the positions of the suite's rules it stands for.
    stands_for: list[tuple[int, ...]]
    # The first pass's frame: the suite's, with the folded columns' copies (``<column>__or_null``).
    frame: pd.DataFrame


def _breaking(rule: Rule, column: pd.Series) -> Any:
    """A value of ``column``'s kind that ``rule`` (a value check) fails, or ``_NO_FILL``."""
    kwargs = rule.kwargs
    if rule.expectation == "ExpectColumnValuesToBeInSet":
        allowed = kwargs["value_set"]
        if not all(isinstance(value, str) for value in allowed) or not (
            column.dtype == object or pd.api.types.is_string_dtype(column.dtype)
        ):
            return _NO_FILL
        value = "\0null"
        while value in allowed:
            value += "\0"
        return value
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    numeric = pd.api.types.is_float_dtype(column.dtype)
    if not numeric or not all(isinstance(b, int | float | None) for b in (low, high)):
        return _NO_FILL
    if low is not None:
        return float(low) - 1
    return _NO_FILL if high is None else float(high) + 1


def _verdict_rules(frame: pd.DataFrame, rules: list[Rule]) -> _Verdicts:
    """The first pass of :func:`_run_rules` (see :class:`_Verdicts`)."""
    on_column: dict[str, list[int]] = {}
    for position, rule in enumerate(rules):
        if (column := rule.kwargs.get("column")) is not None:
            on_column.setdefault(column, []).append(position)
    folded: dict[int, tuple[int, Any]] = {}  # value check -> (its not-null check, fill)
    for column, positions in on_column.items():
        if len(positions) != 2 or column not in frame.columns:
            continue
        null, value = sorted(positions, key=lambda p: rules[p].expectation != _NOT_NULL)
        check = rules[value]
        if (
            rules[null].expectation != _NOT_NULL
            or set(rules[null].kwargs) != {"column"}
            or check.expectation not in _FOLDABLE
            or not set(check.kwargs) - {"column"} <= _FOLDABLE[check.expectation]
            or rules[null].where != check.where
        ):
            continue
        fill = _breaking(check, frame[column])
        if fill is not _NO_FILL:
            folded[value] = (null, fill)
    if not folded:
        return _Verdicts(rules, [(p,) for p in range(len(rules))], frame)
    skipped = {null for null, _ in folded.values()}
    verdict_frame = frame.copy(deep=False)
    kept, stands_for = [], []
    for position, rule in enumerate(rules):
        if position in skipped:
            continue
        if position not in folded:
            kept.append(rule)
            stands_for.append((position,))
            continue
        null, fill = folded[position]
        column = rule.kwargs["column"]
        copy = f"{column}__or_null"
        verdict_frame[copy] = frame[column].fillna(fill)
        kwargs = {**rule.kwargs, "column": copy}
        kept.append(Rule(rule.expectation, kwargs, rule.column, rule.message, rule.fix,
                         rule.where, rule.params))  # fmt: skip
        stands_for.append(tuple(sorted((null, position))))
    return _Verdicts(kept, stands_for, verdict_frame)


_COMBINED = "ExpectMulticolumnValuesToPassChecks"


def _check(rule: Rule, frame: pd.DataFrame) -> dict[str, Any] | None:
    """``rule`` as a check of :mod:`expectations.combined`, or None when it cannot be one."""
    column = rule.kwargs.get("column")
    if rule.where is not None or column not in frame.columns:
        return None
    if rule.expectation == _NOT_NULL and set(rule.kwargs) == {"column"}:
        return {"column": column, "not_null": True}
    if not set(rule.kwargs) - {"column"} <= _FOLDABLE.get(rule.expectation, set()):
        return None
    if rule.expectation == "ExpectColumnValuesToBeInSet":
        return {"column": column, "value_set": list(rule.kwargs["value_set"])}
    bounds = {k: rule.kwargs.get(k) for k in ("min_value", "max_value")}
    if frame[column].dtype not in (np.dtype("int64"), np.dtype("float64")) or not all(
        isinstance(b, int | float | None) and not isinstance(b, bool) for b in bounds.values()
    ):
        return None  # Great Expectations compares these value by value, its own way
    low, high = bounds["min_value"], bounds["max_value"]
    if (low is None and high is None) or (low is not None and high is not None and low > high):
        return None  # an error of Great Expectations' own, which it reports as a failure
    return {"column": column, **bounds}


@dataclass(frozen=True)
class _Combined:
    """The verdict pass's rules: every rule that can be a check of one
    ``ExpectMulticolumnValuesToPassChecks`` (:mod:`expectations.combined`) made one, the others
    (``alone``, as positions in the suite's rules) as they are."""

    rule: Rule | None
    stands_for: tuple[int, ...]
    alone: tuple[int, ...]


def _combined_rules(frame: pd.DataFrame, rules: list[Rule]) -> _Combined:
    checks, stands_for, alone = [], [], []
    for position, rule in enumerate(rules):
        check = _check(rule, frame)
        if check is None:
            alone.append(position)
        else:
            checks.append(check)
            stands_for.append(position)
    columns = list(dict.fromkeys(check["column"] for check in checks))
    if len(checks) < 2 or len(columns) < 2:  # Great Expectations wants two columns or more
        return _Combined(None, (), tuple(range(len(rules))))
    kwargs = {"column_list": columns, "checks": checks, "ignore_row_if": "never"}
    rule = Rule(_COMBINED, kwargs, None, "", "")
    return _Combined(rule, tuple(stands_for), tuple(alone))


def _verdicts(
    batch_definition, frame: pd.DataFrame, rules: list[Rule], suite_name: str
) -> list[int]:
    """The positions of ``rules`` that ``frame`` fails, sorted: one Great Expectations run (two
    when the combined check fails; :func:`_combined_rules`, :func:`_verdict_rules`)."""
    combined = _combined_rules(frame, rules)
    if combined.rule is None:
        return _folded_verdicts(batch_definition, frame, rules, suite_name)
    asked = [combined.rule] + [rules[position] for position in combined.alone]
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = _validate(
        batch, _suite(f"{suite_name}__combined", asked, list(range(len(asked)))), "BOOLEAN_ONLY"
    )
    failed, combined_failed = [], False
    for outcome in result.results:
        if not outcome.success:
            index = outcome.expectation_config.meta["rule"]
            if index == 0:
                combined_failed = True
            else:
                failed.append(combined.alone[index - 1])
    if combined_failed:
        # Which of the combined rules failed: their own verdicts (folded as below).
        part = [rules[position] for position in combined.stands_for]
        failed += [
            combined.stands_for[index]
            for index in _folded_verdicts(batch_definition, frame, part, suite_name)
        ]
    return sorted(failed)


def _folded_verdicts(
    batch_definition, frame: pd.DataFrame, rules: list[Rule], suite_name: str
) -> list[int]:
    """The positions of ``rules`` that ``frame`` fails, sorted (:class:`_Verdicts`)."""
    first = _verdict_rules(frame, rules)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": first.frame})
    verdicts = _validate(
        batch, _suite(suite_name, first.rules, list(range(len(first.rules)))), "BOOLEAN_ONLY"
    )
    return sorted(
        position
        for outcome in verdicts.results
        if not outcome.success
        for position in first.stands_for[outcome.expectation_config.meta["rule"]]
    )


def _run_rules(frame: pd.DataFrame, rules: list[Rule], suite_name: str) -> list[tuple[Rule, list]]:
    _, batch_definition = _context()
    failed = _verdicts(batch_definition, frame, rules, suite_name)
    if not failed:
        return []
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = _validate(batch, _suite(suite_name, rules, failed), "COMPLETE")
    failures = []
    for outcome in sorted(result.results, key=lambda o: o.expectation_config.meta["rule"]):
        if outcome.success:
            continue
        rule = rules[outcome.expectation_config.meta["rule"]]
        failures.append((rule, list(outcome.result.get("unexpected_index_list") or [])))
    return failures
