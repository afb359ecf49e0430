"""Every example query in docs/analysts.md runs against a published sample build.

The queries are read from the ```sql blocks of the page, so the documentation cannot drift from
the marts: the serving database is published from the sample warehouse built by
tests/warehouse/test_dbt_marts.py (the same session build, made once) with
orchestration.publish.publish_serving, and each query must return rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from support.warehouse import sample_build_once

from pidc.contract import load_contract

ANALYSTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "analysts.md"
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)
# The filter docs/analysts.md tells analysts to put on every sum over a fact.
COUNTED_FILTER = "is_counted_cross_section"
# Queries whose empty answer is the good news (documented as such on the page).
MAY_BE_EMPTY = ("mart_unmapped_values",)


def analyst_queries() -> list[str]:
    """The text of every ```sql block of docs/analysts.md, in page order."""
    return SQL_BLOCK.findall(ANALYSTS_DOC.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def serving(sample_serving: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample build's marts published into a serving database, as the pipeline does
    (``sample_serving`` of tests/conftest.py, published once)."""
    build = sample_build_once(tmp_path_factory)
    assert build.failures == []
    return sample_serving


def test_the_page_has_example_queries() -> None:
    queries = analyst_queries()
    assert len(queries) >= 8
    text = ANALYSTS_DOC.read_text(encoding="utf-8")
    assert "duckdb -readonly" in text
    for topic in ("refused", "routes", "overdue"):
        assert topic in text.lower()


@pytest.mark.slow
@pytest.mark.parametrize("position", range(len(analyst_queries())))
def test_example_query_returns_rows(serving: Path, position: int) -> None:
    query = analyst_queries()[position]
    with duckdb.connect(str(serving), read_only=True) as connection:
        result = connection.execute(query)
        columns = [column[0] for column in result.description]
        rows = result.fetchall()
    assert columns, f"query {position + 1} of docs/analysts.md returned no columns"
    if any(name in query for name in MAY_BE_EMPTY):
        return  # a clean sample has nothing to report here, which is the goal of this query
    assert rows, f"query {position + 1} of docs/analysts.md returned nothing:\n{query}"


@pytest.mark.slow
def test_the_documented_sum_over_a_fact_gives_the_published_totals(serving: Path) -> None:
    """The plain sum(observed_count) an analyst writes over a fact, with the one filter the page
    documents, equals each return's total in mart_return_totals and each month's regional total
    in mart_regional_trends (a return sent as a table broken down two ways, whose unfiltered
    sum counts people twice, is tested in tests/warehouse/test_dbt_project.py)."""
    assert f"where facts.{COUNTED_FILTER}" in ANALYSTS_DOC.read_text(encoding="utf-8")
    with duckdb.connect(str(serving), read_only=True) as connection:
        for dataset in load_contract().dataset_names:
            fact = f"marts.fct_{dataset}"
            returns = connection.execute(
                "select totals.member_code, totals.period_month, totals.total_count,"
                " coalesce(facts.counted, 0), coalesce(facts.everything, 0)"
                " from marts.mart_return_totals as totals"
                " left join (select member_code, period_month,"
                f"   sum(observed_count) filter (where {COUNTED_FILTER}) as counted,"
                f"   sum(observed_count) as everything from {fact} group by all) as facts"
                " using (member_code, period_month) where totals.dataset = ?",
                [dataset],
            ).fetchall()
            assert returns, dataset
            for member, month, total, counted, everything in returns:
                assert counted == total, (dataset, member, month)
                assert everything >= counted
            regional = connection.execute(
                "select trends.period_month, trends.total_count, coalesce(facts.counted, 0)"
                " from marts.mart_regional_trends as trends left join ("
                f"   select period_month, sum(observed_count) as counted from {fact}"
                f"   where {COUNTED_FILTER} group by all) as facts using (period_month)"
                " where trends.dataset = ?",
                [dataset],
            ).fetchall()
            for month, total, counted in regional:
                assert counted == total, (dataset, month)
