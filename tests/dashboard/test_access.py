"""Who may see what: the data layer's access rules, every page, download and upload path,
and the local accounts behind the sign-in."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from support.dashboard import (
    FJI_IRREGULAR_SEP,
    FJI_OFFICER,
    FJI_REFUSALS_SEP,
    PROFILING,
    PUBLIC,
    SECRET_NOTE,
    SECRETARIAT,
    SHARING,
    TKL_OFFICER,
    TON_MOVEMENTS_AUG,
    TON_OFFICER,
    figures_in,
    page_text,
    run_page,
)
from typer.testing import CliRunner

from app import accounts, data_access
from app.data_access import AccessDeniedError, Viewer
from app.exports import to_csv_bytes
from app.submission import submit_return, template_bytes
from ingestion.template import write_template
from pidc.contract import load_contract
from pidc.settings import PROJECT_ROOT, home

GROUP_MEMBERS = {"PROFILING": {"FJI", "NZL"}, "MARITIME": {"TON", "TKL"}}
PASSWORD = "correct horse battery"


def expected_owners(viewer: Viewer, dataset: str) -> set[str]:
    """Owners whose ``dataset`` figures the viewer may see, straight from the sharing rules."""
    owners = {"FJI", "TON", "NZL", "TKL"}
    if viewer.is_secretariat:
        return owners
    visible = set()
    for owner in owners:
        audience = SHARING.get((owner, dataset), "secretariat_only")
        if viewer.role == "member":
            groups = {g for g, members in GROUP_MEMBERS.items() if viewer.member_code in members}
            if (
                owner == viewer.member_code
                or audience == "all_members"
                or (audience == "profiling_group" and "PROFILING" in groups)
            ):
                visible.add(owner)
        elif viewer.role == "group":
            shared_with_group = audience == "all_members" or (
                audience == f"{viewer.group_code.lower()}_group"
            )
            others = GROUP_MEMBERS[viewer.group_code] - {owner}
            if shared_with_group and others:
                visible.add(owner)
    return visible


pytestmark = pytest.mark.usefixtures("published")


VIEWERS = [SECRETARIAT, FJI_OFFICER, TON_OFFICER, TKL_OFFICER, PROFILING, PUBLIC]


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: v.label)
@pytest.mark.parametrize("dataset", ["movements", "refusals", "irregular"])
def test_fact_rows_follow_the_sharing_rules(viewer, dataset):
    rows = data_access.facts(viewer, dataset)
    published = set(data_access.facts(SECRETARIAT, dataset)["member_code"])
    assert set(rows["member_code"]) == expected_owners(viewer, dataset) & published


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: v.label)
def test_every_member_level_mart_follows_the_sharing_rules(viewer):
    for reader in (
        data_access.return_totals,
        data_access.member_trends,
        data_access.reporting_compliance,
        data_access.alerts,
        data_access.nationality_trends,
    ):
        rows = reader(viewer)
        for dataset, owners in rows.groupby("dataset")["member_code"]:
            assert set(owners) <= expected_owners(viewer, dataset), (reader.__name__, dataset)


def test_a_member_filter_naming_an_unshared_member_returns_nothing():
    assert data_access.facts(FJI_OFFICER, "movements", members=["TON"]).empty
    assert data_access.member_trends(FJI_OFFICER, "movements", member="TON").empty
    # Tonga shares refusals with all members, movements with the Secretariat only.
    assert set(data_access.return_totals(FJI_OFFICER, member="TON")["dataset"]) == {"refusals"}


def test_widget_text_never_becomes_sql():
    hostile = "CHN') or true --"
    assert data_access.facts(FJI_OFFICER, "movements", codes={"country_code": [hostile]}).empty
    with pytest.raises(ValueError):
        data_access.facts(FJI_OFFICER, "movements", codes={"1=1 or country_code": ["CHN"]})
    with pytest.raises(KeyError):
        data_access.facts(FJI_OFFICER, "movements; drop table marts.dim_members")


def test_observations_beyond_the_owner_are_shareable_only():
    assert SECRET_NOTE in set(data_access.observations(FJI_OFFICER)["note"])
    assert SECRET_NOTE in set(data_access.observations(SECRETARIAT)["note"])
    assert SECRET_NOTE not in set(data_access.observations(TON_OFFICER)["note"])
    assert data_access.observations(PUBLIC).empty


def test_ledger_and_unmapped_values_are_the_members_own():
    assert set(data_access.submissions(TON_OFFICER)["member_code"]) == {"TON"}
    assert set(data_access.unmapped_values(FJI_OFFICER)["member_code"]) == {"FJI"}
    assert data_access.submissions(PROFILING).empty
    assert data_access.validation_report(TON_OFFICER, "sub-fji-1") is None
    assert data_access.validation_report(FJI_OFFICER, "../../etc/passwd") is None


def _all_pages_text(viewer: Viewer) -> str:
    texts = []
    for page in ("overview", "member_profile", "compliance", "alerts", "data_quality", "bulletin"):
        texts.append(page_text(run_page(page, viewer)))
    explorer = run_page("explorer", viewer)
    for dataset in load_contract().dataset_names:
        explorer.selectbox(key="dataset").set_value(dataset).run()
        texts.append(page_text(explorer))
    profile = run_page("member_profile", viewer)
    if profile.selectbox:
        for option in profile.selectbox[0].options:
            code = option[-4:-1]
            profile.selectbox[0].set_value(code).run()
            texts.append(page_text(profile))
    return "\n".join(texts)


def test_a_member_officer_never_sees_unshared_figures_on_any_page():
    text = _all_pages_text(FJI_OFFICER)
    assert TON_MOVEMENTS_AUG not in figures_in(text)
    text = _all_pages_text(TON_OFFICER)
    assert FJI_IRREGULAR_SEP not in figures_in(text)
    assert SECRET_NOTE not in text
    assert "Tonga recorded" in text  # its own alert, as a control


def test_a_member_officer_never_downloads_unshared_figures():
    for name, rows in data_access.downloadable_tables(FJI_OFFICER).items():
        csv = to_csv_bytes(rows).decode("utf-8-sig")
        assert str(TON_MOVEMENTS_AUG) not in csv, name
    for name, rows in data_access.downloadable_tables(TON_OFFICER).items():
        if name.startswith("fct_") or name in {"return_totals", "member_trends"}:
            assert str(FJI_REFUSALS_SEP) not in to_csv_bytes(rows).decode("utf-8-sig"), name


def test_download_list_probes_instead_of_loading_and_matches_the_loaded_tables():
    for viewer in (SECRETARIAT, FJI_OFFICER, TON_OFFICER, PROFILING, PUBLIC):
        loaded = data_access.downloadable_tables(viewer)
        names = data_access.downloadable_table_names(viewer)
        assert names == [name for name, rows in loaded.items() if not rows.empty], viewer
        for name in names:
            assert data_access.download_table(viewer, name).equals(loaded[name]), (viewer, name)
    with pytest.raises(KeyError, match="may download"):
        data_access.download_table(PUBLIC, "fct_movements")


def test_fact_months_are_those_of_the_rows_the_viewer_may_see():
    for viewer in (SECRETARIAT, FJI_OFFICER, TON_OFFICER, PUBLIC):
        for dataset in ("movements", "irregular", "refusals"):
            rows = data_access.facts(viewer, dataset)
            expected = sorted(rows["period_month"].unique()) if not rows.empty else []
            assert data_access.fact_months(viewer, dataset) == expected, (viewer, dataset)
    own = data_access.fact_months(TON_OFFICER, "movements", members=["TON"])
    rows = data_access.facts(TON_OFFICER, "movements", members=["TON"])
    assert own == sorted(rows["period_month"].unique())


# How many members a regional figure covers ("3 of 4 members, at least 90% of usual volume")
# is a count of returns, not a cell of people: left out when looking for small cells.
COVERAGE = re.compile(
    r"\d+ of \d+ members(, (at least |less than )?\d+% of usual volume)?|same \d+ members?"
    # dates in a table's raw values (2026-08-01): a month, not a count
    r"|\b\d{4}-\d{2}-\d{2}\b"
)


def test_the_public_never_sees_a_cell_from_one_to_four():
    text = COVERAGE.sub("", _all_pages_text(PUBLIC))
    assert not figures_in(text) & {1, 2, 3, 4} - {2026}
    explorer = run_page("explorer", PUBLIC)
    for dataset in ("movements", "refusals"):
        explorer.selectbox(key="dataset").set_value(dataset).run()
        for breakdown in ("region", "sub_region", "nationality", "sex", "age_group"):
            explorer.radio(key="public_by").set_value(breakdown).run()
            for table in explorer.dataframe:
                assert "display_value" in table.value.columns
                shown = pd.to_numeric(
                    table.value["display_value"].str.replace(",", ""), errors="coerce"
                )
                assert not shown.between(1, 4).any()
    tables = data_access.downloadable_tables(PUBLIC)
    assert list(tables) == ["public_aggregates"]
    assert not tables["public_aggregates"]["obs_value"].between(1, 4).any()


def test_suppressed_values_never_leave_the_data_layer_even_if_the_mart_leaks(published):
    connection = duckdb.connect(str(published / "serving.duckdb"))
    connection.execute("update marts.mart_public_aggregates set obs_value = 3 where is_suppressed")
    connection.close()
    data_access._cached_query.clear()
    rows = data_access.public_aggregates()
    assert rows.loc[rows["is_suppressed"], "obs_value"].isna().all()


def _return_file(tmp_path, code: str):
    permit_type = load_contract().dataset("permits").column("permit_type").code_list
    rows = pd.DataFrame([{"permit_type": code, "nationality": "CHN", "count": 12}])
    del permit_type
    return write_template(
        tmp_path / "FJI_2026-09.xlsx", "FJI", "2026-09", returns={"permits": rows}
    )


def test_a_member_officer_cannot_submit_or_fetch_a_template_for_another_member(tmp_path):
    valid = _return_file(tmp_path, next(iter(load_contract().codes("permit_type"))))
    with pytest.raises(AccessDeniedError):
        submit_return(FJI_OFFICER, "TON", valid.name, valid.read_bytes(), home())
    with pytest.raises(AccessDeniedError):
        template_bytes(FJI_OFFICER, "TON", "2026-09")
    with pytest.raises(AccessDeniedError):
        submit_return(PROFILING, "FJI", valid.name, valid.read_bytes(), home())
    assert not (home().landing / "TON").exists()


def test_an_upload_lands_in_the_members_folder_only_when_accepted(tmp_path):
    valid = _return_file(tmp_path, next(iter(load_contract().codes("permit_type"))))
    outcome = submit_return(FJI_OFFICER, "FJI", valid.name, valid.read_bytes(), home())
    assert outcome.report.accepted
    assert outcome.landed_path == home().landing / "FJI" / "FJI_2026-09.xlsx"
    assert outcome.landed_path.read_bytes() == valid.read_bytes()
    # A second upload of the same name never overwrites the first.
    again = submit_return(FJI_OFFICER, "FJI", valid.name, valid.read_bytes(), home())
    assert again.landed_path != outcome.landed_path and again.landed_path.exists()

    invalid = _return_file(tmp_path, "NOT_A_PERMIT_TYPE")
    rejected = submit_return(FJI_OFFICER, "FJI", invalid.name, invalid.read_bytes(), home())
    assert not rejected.report.accepted and rejected.landed_path is None
    assert "NOT_A_PERMIT_TYPE" in rejected.report.errors[0].message
    assert len(list((home().landing / "FJI").iterdir())) == 2


def test_a_hostile_file_name_is_refused_and_nothing_is_written(tmp_path):
    valid = _return_file(tmp_path, next(iter(load_contract().codes("permit_type"))))
    outcome = submit_return(FJI_OFFICER, "FJI", "../TON/evil.xlsx", valid.read_bytes(), home())
    assert not outcome.report.accepted and outcome.landed_path is None
    assert not home().landing.exists() or not any(home().landing.rglob("*.xlsx"))


# --- local accounts ---------------------------------------------------------------------------


def test_passwords_are_stored_as_salted_bcrypt_hashes_in_a_private_file():
    first = accounts.add_account("fji.officer", PASSWORD, "member", member_code="fji")
    second = accounts.add_account("ton.officer", PASSWORD, "member", member_code="TON")
    assert first.member_code == "FJI"
    assert first.password_hash.startswith("$2b$") and first.password_hash != second.password_hash
    path = accounts.accounts_path()
    assert PASSWORD not in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert accounts.authenticate("fji.officer", PASSWORD) == first
    assert accounts.authenticate("fji.officer", "wrong password!") is None
    assert accounts.authenticate("nobody", PASSWORD) is None
    # An unknown name is checked against a hash as costly as a real one: same bcrypt cost.
    assert accounts._DUMMY_HASH.split("$")[2] == first.password_hash.split("$")[2] == "12"
    assert accounts.authenticate("nobody", "not-a-real-password") is None


def test_importing_the_accounts_module_makes_no_hash():
    """Every `pidc` command and dashboard process imports app.accounts: a hash made at import
    cost each of them a quarter of a second."""
    probe = (
        "import bcrypt\n"
        "made = []\n"
        "hashpw = bcrypt.hashpw\n"
        "bcrypt.hashpw = lambda *a: made.append(a) or hashpw(*a)\n"
        "import app.accounts\n"
        "print(len(made))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True
    )
    assert result.stdout.strip() == "0", result.stderr


@pytest.mark.parametrize(
    ("role", "member", "group", "message"),
    [
        ("member", None, None, "needs --member"),
        ("member", "XYZ", None, "not a PIDC member"),
        ("secretariat", "FJI", None, "Only member officers"),
        ("group", None, None, "needs --group"),
        ("admin", None, None, "unknown"),
    ],
)
def test_invalid_account_requests_are_refused(role, member, group, message):
    with pytest.raises(accounts.AccountError, match=message):
        accounts.add_account("someone", PASSWORD, role, member_code=member, group_code=group)


def test_short_passwords_are_refused():
    with pytest.raises(accounts.AccountError, match="at least"):
        accounts.add_account("someone", "short", "secretariat")


def test_users_command_adds_lists_changes_and_removes_accounts():
    runner = CliRunner()
    added = runner.invoke(
        accounts.users_app,
        ["add", "sec.one", "--role", "secretariat", "--name", "Sec One"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(accounts.users_app, ["list"])
    assert "sec.one\tsecretariat" in listed.output and "$2b$" not in listed.output
    changed = runner.invoke(
        accounts.users_app, ["set-password", "sec.one", "--password", "another long secret"]
    )
    assert changed.exit_code == 0
    assert accounts.authenticate("sec.one", "another long secret") is not None
    assert accounts.authenticate("sec.one", PASSWORD) is None
    refused = runner.invoke(
        accounts.users_app,
        ["add", "x.y", "--role", "member", "--member", "ZZZ", "--password", PASSWORD],
    )
    assert refused.exit_code == 1 and "not a PIDC member" in refused.output
    removed = runner.invoke(accounts.users_app, ["remove", "sec.one"])
    assert removed.exit_code == 0 and accounts.load_accounts() == {}


def _sign_in_script():
    import streamlit as st

    from app.auth import sign_in_panel

    st.write(f"viewer: {sign_in_panel().label}")


def test_sign_in_gives_the_member_officer_view_and_a_wrong_password_does_not():
    # The panel on its own: AppTest drops sidebar elements of st.navigation apps on reruns
    # (the browser test signs in through app/main.py itself).
    accounts.add_account("fji.officer", PASSWORD, "member", member_code="FJI")
    at = AppTest.from_function(_sign_in_script, default_timeout=30).run()
    at.sidebar.text_input[0].input("fji.officer")
    at.sidebar.text_input[1].input("wrong password!")
    at.sidebar.button[0].click().run()
    assert "not recognised" in at.sidebar.error[0].value
    assert at.markdown[0].value == "viewer: Public (not signed in)"
    at.sidebar.text_input[1].input(PASSWORD)
    at.sidebar.button[0].click().run()
    assert not at.exception
    assert at.markdown[0].value == "viewer: FJI officer"
    assert at.session_state["viewer"] == Viewer(
        role="member", member_code="FJI", name="fji.officer"
    )
    at.sidebar.button[0].click().run()  # sign out
    assert at.markdown[0].value == "viewer: Public (not signed in)"


def test_public_regional_series_is_the_published_public_trends():
    """Everything the public sees of regional totals comes from mart_public_regional_trends:
    released months only (FJI's early October is provisional and absent), coverage rounded
    down, and no change where different members reported in the two months."""
    series = data_access.regional_series(PUBLIC)
    assert set(series["completeness_status"]) <= {"complete", "incomplete"}
    assert series["period_month"].max() == pd.Timestamp("2026-09-01")
    assert series["coverage_is_rounded"].all()
    assert (series["coverage_pct"] % 10 == 0).all()
    september = series[
        (series["dataset"] == "movements") & (series["period_month"] == pd.Timestamp("2026-09-01"))
    ].iloc[0]
    assert september["total_count"] == 81_787
    assert pd.isna(september["mom_change_pct"])  # NZL reported September, not August
    for viewer in (FJI_OFFICER, PROFILING):
        pd.testing.assert_frame_equal(data_access.regional_series(viewer), series)
    assert (data_access.regional_series(SECRETARIAT)["completeness_status"] == "provisional").any()
