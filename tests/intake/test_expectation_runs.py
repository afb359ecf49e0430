"""Great Expectations runs (expectations/suites.py): the configuration memo changes no verdict,
and no frame is hashed for a fingerprint.

Each expectation's configuration is built once per validation instead of about 35 times
(``_memoise_configurations``). These tests break rules of every kind the suites use and compare
the failures, and the rows that broke them, with a run where the library builds every
configuration as shipped. The library would also hash every frame for a marker nothing reads
(``_skip_fingerprints``).
"""

from __future__ import annotations

import pandas as pd
import pytest

import expectations.suites as suites
from expectations.suites import Rule, run_rules

CODES = [f"C{index}" for index in range(20)]
RULES = [
    Rule("ExpectColumnValuesToNotBeNull", {"column": "code"}, "code", "", ""),
    Rule("ExpectColumnValuesToBeInSet", {"column": "code", "value_set": CODES}, "code", "", ""),
    Rule("ExpectColumnValuesToBeBetween", {"column": "count", "min_value": 0}, "count", "", ""),
    Rule(
        "ExpectColumnValuesToBeBetween",
        {"column": "count", "max_value": 50},
        "count",
        "",
        "",
        where=("__dataset", ("small",)),
    ),
    Rule("ExpectCompoundColumnsToBeUnique", {"column_list": ["__dataset", "code"]}, None, "", ""),
]


def _frame(bad_rows: dict[int, dict]) -> pd.DataFrame:
    """20 good rows (10 of dataset "small", counts 0-45; 10 of "large", counts 100-145), then
    ``bad_rows``: row -> the values that break it."""
    frame = pd.DataFrame(
        {
            "__dataset": ["small"] * 10 + ["large"] * 10,
            "code": list(CODES),
            "count": [5 * i for i in range(10)] + [100 + 5 * i for i in range(10)],
        },
        dtype=object,
    )
    for index, values in bad_rows.items():
        for column, value in values.items():
            frame.loc[index, column] = value
    return frame


def _as_shipped(monkeypatch) -> None:
    """Validate without the memo: every configuration built anew, as the library does."""

    def plain(batch, suite, result_format):
        return batch.validate(suite, result_format={"result_format": result_format})

    monkeypatch.setattr(suites, "_validate", plain)


def _failures(frame: pd.DataFrame, name: str) -> list[tuple[str, dict, list]]:
    return [
        (rule.expectation, rule.kwargs, sorted(rows))
        for rule, rows in run_rules(frame, RULES, name)
    ]


@pytest.mark.parametrize(
    "bad_rows",
    [
        {},
        {3: {"code": "Z"}},
        {
            0: {"code": "Z"},
            2: {"code": None},
            4: {"count": -1},
            7: {"count": 60},
            15: {"count": -5},
        },
        {1: {"code": "C0"}, 11: {"code": "C12"}, 12: {"code": "C1"}},
    ],
    ids=["clean", "one-code", "codes-and-counts", "repeats"],
)
def test_the_memo_gives_the_same_failures_and_rows_as_the_library_alone(bad_rows, monkeypatch):
    frame = _frame(bad_rows)
    memoised = _failures(frame, "memo_check")
    with monkeypatch.context() as patch:
        _as_shipped(patch)
        shipped = _failures(frame, "memo_check")
    assert memoised == shipped
    if bad_rows:
        assert memoised, "the broken rows must fail some rule"


def test_consecutive_runs_each_report_their_own_rows():
    # The suite (and its expectation objects) is reused from one run to the next; what one run
    # found must never leak into the next.
    first = _failures(_frame({4: {"count": -1}}), "memo_reuse")
    second = _failures(_frame({6: {"count": -2}, 8: {"count": -3}}), "memo_reuse")
    third = _failures(_frame({}), "memo_reuse")
    between = [(name, rows) for name, kwargs, rows in first if "min_value" in kwargs]
    assert between == [("ExpectColumnValuesToBeBetween", [4])]
    assert [rows for _, kwargs, rows in second if "min_value" in kwargs] == [[6, 8]]
    assert not [rows for _, kwargs, rows in third if "min_value" in kwargs]


def test_outside_a_validation_nothing_is_kept_and_the_library_builds_afresh():
    run_rules(_frame({}), RULES, "memo_outside")
    assert suites._CONFIGURATIONS is None  # no expectation object outlives its validation
    expectation = suites._suite("memo_outside", RULES, list(range(len(RULES)))).expectations[0]
    assert expectation.configuration is not expectation.configuration
    assert expectation.configuration == expectation.configuration


def test_no_frame_is_hashed_and_the_failures_are_those_a_hashed_run_gives(monkeypatch):
    # Imported here: Great Expectations takes seconds to import, and collection is per worker.
    from great_expectations.execution_engine import pandas_execution_engine

    frame = _frame({3: {"code": "Z"}, 5: {"count": -1}})
    with monkeypatch.context() as patch:  # as shipped: every frame under 1 GB is hashed
        patch.setattr(pandas_execution_engine, "HASH_THRESHOLD", 1e9)
        hashed = _failures(frame, "fingerprint")

    def refuse(_frame):
        raise AssertionError("a frame was hashed for its fingerprint")

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", refuse)
    assert _failures(frame, "fingerprint") == hashed
    assert [(name, rows) for name, _kwargs, rows in hashed] == [
        ("ExpectColumnValuesToBeInSet", [3]),
        ("ExpectColumnValuesToBeBetween", [5]),
    ]


# A suite as intake builds it: codes and counts each checked for not null and for a value, one
# of them on some datasets' rows only, beside checks that are not folded.
FOLDED_RULES = [
    Rule("ExpectColumnValuesToNotBeNull", {"column": "code"}, "code", "", ""),
    Rule("ExpectColumnValuesToBeInSet", {"column": "code", "value_set": CODES}, "code", "", ""),
    Rule("ExpectColumnValuesToNotBeNull", {"column": "count"}, "count", "", ""),
    Rule("ExpectColumnValuesToBeBetween", {"column": "count", "min_value": 0}, "count", "", ""),
    Rule(
        "ExpectColumnValuesToNotBeNull",
        {"column": "month"},
        "month",
        "",
        "",
        where=("__dataset", ("small",)),
    ),
    Rule(
        "ExpectColumnValuesToBeBetween",
        {"column": "month", "min_value": 10, "max_value": 20},
        "month",
        "",
        "",
        where=("__dataset", ("small",)),
    ),
    Rule("ExpectColumnValuesToBeInSet", {"column": "flag", "value_set": [True]}, "flag", "", ""),
    Rule("ExpectCompoundColumnsToBeUnique", {"column_list": ["__dataset", "code"]}, None, "", ""),
]


def _typed_frame(bad_rows: dict[int, dict]) -> pd.DataFrame:
    """20 good rows typed as intake's (text codes, float counts and months), then ``bad_rows``."""
    frame = pd.DataFrame(
        {
            "__dataset": ["small"] * 10 + ["large"] * 10,
            "code": pd.array(list(CODES), dtype="str"),
            "count": [float(i) for i in range(20)],
            "month": [15.0] * 10 + [None] * 10,  # only "small" rows must have a month
            "flag": [True] * 20,
        }
    )
    for index, values in bad_rows.items():
        for column, value in values.items():
            frame.loc[index, column] = value
    return frame


@pytest.mark.parametrize(
    "bad_rows",
    [
        {},
        {2: {"code": None}},
        {3: {"code": "Z"}, 4: {"code": None}},
        {5: {"count": None}},
        {6: {"count": -1.0}, 7: {"count": None}},
        {1: {"month": None}, 2: {"month": 9.0}, 15: {"month": 99.0}},
        # A value that a folded column's nulls take must still fail where it was written.
        {8: {"code": "\0null"}, 9: {"count": -1.0}, 3: {"month": 9.0}},
        {0: {"flag": False}, 12: {"code": "C0"}},
    ],
    ids=[
        "clean", "null-code", "bad-and-null-codes", "null-count", "bad-and-null-counts",
        "months-of-some-datasets", "the-fill-values-themselves", "others",
    ],
)  # fmt: skip
def test_folding_not_null_into_the_value_check_gives_the_same_failures(bad_rows, monkeypatch):
    frame = _typed_frame(bad_rows)
    first = suites._verdict_rules(frame, FOLDED_RULES)
    # Each column's not-null check is folded into its value check: two expectations fewer than
    # the suite for each of code, count and month; the others are as they were.
    assert len(first.rules) == len(FOLDED_RULES) - 3
    assert sorted(p for positions in first.stands_for for p in positions) == list(range(8))
    folded = _failures_of(frame, FOLDED_RULES, "folded")
    with monkeypatch.context() as patch:  # every rule its own expectation, as before
        patch.setattr(
            suites,
            "_verdict_rules",
            lambda frame, rules: suites._Verdicts(rules, [(p,) for p in range(len(rules))], frame),
        )
        unfolded = _failures_of(frame, FOLDED_RULES, "unfolded")
    assert folded == unfolded
    assert bool(folded) == bool(bad_rows)


def _failures_of(frame: pd.DataFrame, rules: list[Rule], name: str) -> list[tuple]:
    return [
        (rule.expectation, rule.column, sorted(rows))
        for rule, rows in run_rules(frame, rules, name)
    ]


def test_a_column_is_folded_only_when_its_checks_allow_it():
    frame = _typed_frame({})
    frame["word"] = pd.array(["a"] * 20, dtype="str")
    not_null = Rule("ExpectColumnValuesToNotBeNull", {"column": "word"}, "word", "", "")
    rules = [
        # a set of numbers for a text column: no value of the column's kind is sure to break it
        Rule("ExpectColumnValuesToNotBeNull", {"column": "flag"}, "flag", "", ""),
        Rule(
            "ExpectColumnValuesToBeInSet", {"column": "flag", "value_set": [True]}, "flag", "", ""
        ),
        # not null on some rows, the value check on all: not the same rows
        Rule(**{**not_null.__dict__, "where": ("__dataset", ("small",))}),
        Rule("ExpectColumnValuesToBeInSet", {"column": "word", "value_set": ["a"]}, "word", "", ""),
        # a third check on the column
        Rule("ExpectColumnValuesToNotBeNull", {"column": "count"}, "count", "", ""),
        Rule("ExpectColumnValuesToBeBetween", {"column": "count", "min_value": 0}, "count", "", ""),
        Rule(
            "ExpectColumnValuesToBeBetween", {"column": "count", "max_value": 50}, "count", "", ""
        ),
    ]
    assert len(suites._verdict_rules(frame, rules).rules) == len(rules)


def test_great_expectations_is_warmed_up_once_per_process(monkeypatch):
    suites.warm_up().join()  # this process's first (or an earlier test's) warm-up
    assert suites._WARMED.is_set()
    runs = []
    monkeypatch.setattr(suites, "run_rules", lambda *arguments: runs.append(arguments))
    suites.warm_up().join()  # a batch in a process already warm: no validation for nothing
    assert runs == []
    monkeypatch.setattr(suites, "_WARMED", suites.threading.Event())
    suites.warm_up().join()  # a new process's first
    assert len(runs) == 1 and suites._WARMED.is_set()


# --- One expectation for many columns' value checks (expectations.combined) -------------------
# A batch's verdict asks Great Expectations one question for every not-null, in-set and between
# check of the suite (ExpectMulticolumnValuesToPassChecks) instead of one expectation each. When
# it fails, the rules' own expectations say which failed and where, so the failures and rows are
# those of one expectation per rule: checked here against exactly that, on frames an adversary
# would pick (nulls, the fill values, text that differs from a code by one character or by
# case, NaN, bounds and one past them, booleans beside numbers).

COMBINED_RULES = [
    *FOLDED_RULES,
    Rule("ExpectColumnValuesToNotBeNull", {"column": "note"}, "note", "", ""),
    Rule(
        "ExpectColumnValuesToBeBetween",
        {"column": "whole", "min_value": 0, "max_value": 9},
        "whole",
        "",
        "",
    ),
    Rule("ExpectColumnValuesToBeInSet", {"column": "other", "value_set": CODES}, "other", "", ""),
]


def _rich_frame(bad_rows: dict[int, dict]) -> pd.DataFrame:
    frame = _typed_frame({})
    frame["note"] = pd.array(["n"] * 20, dtype="str")
    frame["whole"] = pd.Series(range(20), dtype="int64") % 10
    frame["other"] = pd.Series(list(CODES), dtype=object)  # a column of Python objects
    frame["flag"] = frame["flag"].astype(object)  # so that it can hold a blank or a number
    for index, values in bad_rows.items():
        for column, value in values.items():
            frame.loc[index, column] = value
    return frame


def _one_expectation_per_rule(patch) -> None:
    patch.setattr(
        suites,
        "_verdict_rules",
        lambda frame, rules: suites._Verdicts(rules, [(p,) for p in range(len(rules))], frame),
    )
    patch.setattr(suites, "_combined_rules", lambda frame, rules: suites._Combined(None, (), ()))


_ADVERSARIAL = {
    "code": ["C1", "Z", None, "\0null", "c1", "C1 ", "C19", "C20", ""],
    "count": [0.0, -1.0, None, float("nan"), 1e300, -0.0],
    "month": [10.0, 20.0, 9.0, 21.0, None, 9.999],
    "flag": [True, False, None, 1, 0],
    "note": ["x", None, ""],
    "whole": [0, 9, 10, -1],
    "other": ["C1", "Z", None, 1, True],
}


@pytest.mark.parametrize(
    "bad_rows",
    [
        {},
        {2: {"code": None}},
        {3: {"code": "Z"}, 4: {"code": "c1"}, 5: {"code": "C1 "}},
        {6: {"count": -1.0}, 7: {"count": None}},
        {1: {"month": None}, 2: {"month": 9.0}, 3: {"month": 21.0}, 15: {"month": 99.0}},
        {8: {"code": "\0null"}, 9: {"count": -1.0}},
        {0: {"flag": False}, 12: {"code": "C0"}},
        {4: {"note": None}},
        {5: {"whole": 10}, 6: {"whole": -1}},
        {7: {"other": "Z"}, 8: {"other": 1}},
        {11: {"other": None, "note": None, "code": None}},
    ],
    ids=[
        "clean", "null-code", "codes-near-a-code", "bad-and-null-counts", "months",
        "the-fill-values-themselves", "others", "blank-note", "integers-past-bounds",
        "objects", "all-null-row",
    ],
)  # fmt: skip
def test_the_combined_check_gives_the_failures_of_one_expectation_per_rule(bad_rows, monkeypatch):
    frame = _rich_frame(bad_rows)
    combined = suites._combined_rules(frame, COMBINED_RULES)
    # Every check on a whole column is combined; the ones limited to some datasets' rows
    # (month) and the uniqueness check are asked on their own.
    assert combined.rule is not None
    alone = [COMBINED_RULES[position] for position in combined.alone]
    assert [rule.kwargs.get("column") for rule in alone] == ["month", "month", None]
    assert sorted(combined.stands_for + combined.alone) == list(range(len(COMBINED_RULES)))
    found = _failures_of(frame, COMBINED_RULES, "combined")
    with monkeypatch.context() as patch:
        _one_expectation_per_rule(patch)
        expected = _failures_of(frame, COMBINED_RULES, "per_rule")
    assert found == expected
    assert bool(found) == bool(bad_rows)


def test_random_bad_cells_fail_the_same_rules_on_the_same_rows(monkeypatch):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    cells = st.dictionaries(
        st.integers(0, 19),
        st.dictionaries(
            st.sampled_from(sorted(_ADVERSARIAL)), st.integers(0, 8), min_size=1, max_size=3
        ),
        max_size=4,
    )

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(cells)
    def check(picks):
        bad_rows = {
            row: {column: _ADVERSARIAL[column][pick % len(_ADVERSARIAL[column])]
                  for column, pick in values.items()}
            for row, values in picks.items()
        }  # fmt: skip
        frame = _rich_frame(bad_rows)
        found = _failures_of(frame, COMBINED_RULES, "combined_random")
        with monkeypatch.context() as patch:
            _one_expectation_per_rule(patch)
            assert found == _failures_of(frame, COMBINED_RULES, "per_rule_random")

    check()


def test_a_rule_is_combined_only_when_the_check_answers_as_its_expectation():
    frame = _rich_frame({})
    frame["text_month"] = pd.array(["2026-01"] * 20, dtype="str")
    rules = [
        # compared value by value by Great Expectations (text bounds), not as numbers
        Rule(
            "ExpectColumnValuesToBeBetween",
            {"column": "text_month", "min_value": "2026-01"},
            "text_month",
            "",
            "",
        ),
        # limited to some rows
        Rule(**{**COMBINED_RULES[1].__dict__, "where": ("__dataset", ("small",))}),
        # a keyword the check does not know
        Rule(
            "ExpectColumnValuesToBeBetween",
            {"column": "count", "min_value": 0, "strict_min": True},
            "count",
            "",
            "",
        ),
        # bounds the wrong way round: Great Expectations' own error, reported as a failure
        Rule(
            "ExpectColumnValuesToBeBetween",
            {"column": "count", "min_value": 5, "max_value": 1},
            "count",
            "",
            "",
        ),
        # a column the frame does not hold
        Rule("ExpectColumnValuesToNotBeNull", {"column": "absent"}, "absent", "", ""),
    ]
    assert all(suites._check(rule, frame) is None for rule in rules)
    # One column alone is not combined: Great Expectations wants two columns or more.
    one_column = [COMBINED_RULES[0], COMBINED_RULES[1]]
    assert suites._combined_rules(frame, one_column).rule is None


def test_a_batch_of_good_rows_asks_two_expectations_not_one_per_rule(monkeypatch):
    asked = []
    validate = suites._validate

    def counting(batch, suite, result_format):
        asked.append(len(suite.expectations))
        return validate(batch, suite, result_format)

    monkeypatch.setattr(suites, "_validate", counting)
    assert run_rules(_rich_frame({}), COMBINED_RULES, "count_asked") == []
    # the combined check, the two month rules limited to some rows, the uniqueness check
    assert asked == [4]
    asked.clear()
    run_rules(_rich_frame({3: {"code": "Z"}}), COMBINED_RULES, "count_asked")
    # then the combined rules' own verdicts (folded: 8 rules as 6), then the code's two rules
    # (folded into one verdict) for their rows
    assert asked == [4, 6, 2]


def test_text_set_lookup_is_pandas_isin():
    from expectations.combined import _in_set

    values = ["C1", "Z", None, "c1", "C1 ", "", "\0null", "C19", float("nan")]
    for dtype in ("str", "string", object):
        column = pd.Series(values * 3, dtype=dtype)
        for value_set in (CODES, ["Z"], [], [*CODES, "c1", ""]):
            hits = _in_set(column, value_set)
            expected = column.isin(value_set).fillna(False).to_numpy(dtype=bool)
            got = expected.copy() if hits is None else hits
            if hits is None:  # every value is in the set
                assert expected[column.notna().to_numpy()].all()
            assert (got[column.notna().to_numpy()] == expected[column.notna().to_numpy()]).all()
