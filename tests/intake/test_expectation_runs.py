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
