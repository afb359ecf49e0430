"""The dashboard in a real browser: Debian's chromium driven by Playwright.

Starts ``streamlit run app/main.py`` on a free port against the hand-made serving database and a
home folder with one local account, signs in, opens the overview, uploads a valid and an invalid
return, and saves screenshots into ``test-artifacts/``.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from support.browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, running_dashboard

from ingestion.template import write_template
from pidc.contract import load_contract

pytestmark = pytest.mark.browser

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (make system-deps installs it)")
    root = tmp_path_factory.mktemp("browser-home")
    officer = {"role": "member", "member_code": "FJI"}
    with running_dashboard(root, {"fji.officer": officer}) as url:
        yield url, root


def _returns(folder: Path) -> tuple[Path, Path]:
    permit_type = next(iter(load_contract().codes("permit_type")))
    good = pd.DataFrame([{"permit_type": permit_type, "nationality": "CHN", "count": 12}])
    bad = pd.DataFrame([{"permit_type": "NOT_A_PERMIT_TYPE", "nationality": "CHN", "count": 3}])
    valid = write_template(
        folder / "valid" / "FJI_2026-09.xlsx", "FJI", "2026-09", returns={"permits": good}
    )
    invalid = write_template(
        folder / "invalid" / "FJI_2026-09_bad.xlsx", "FJI", "2026-09", returns={"permits": bad}
    )
    return valid, invalid


def test_sign_in_overview_and_submit_in_a_real_browser(dashboard, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, root = dashboard
    valid, invalid = _returns(tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        external = []
        page.on(
            "request",
            lambda request: (
                external.append(request.url)
                if not request.url.startswith((url, "data:", "blob:"))
                else None
            ),
        )
        page.goto(url)
        expect(page.get_by_role("heading", name="Regional overview")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Public (not signed in)")).to_be_visible()
        page.wait_for_timeout(1500)
        page.screenshot(path=ARTIFACTS / "01-overview-public.png", full_page=True)

        page.get_by_label("User name").fill("fji.officer")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("FJI officer")).to_be_visible(timeout=20_000)
        expect(page.get_by_text("Map of the region")).to_be_visible()
        page.wait_for_timeout(1500)
        page.screenshot(path=ARTIFACTS / "02-overview-signed-in.png", full_page=True)

        page.get_by_role("link", name="Submit a return").click()
        expect(page.get_by_role("heading", name="Submit a return")).to_be_visible(timeout=20_000)
        page.locator("input[type=file]").set_input_files(str(valid))
        expect(page.get_by_text(re.compile("^Accepted"))).to_be_visible(timeout=60_000)
        page.screenshot(path=ARTIFACTS / "03-submit-accepted.png", full_page=True)

        page.locator("input[type=file]").set_input_files(str(invalid))
        expect(page.get_by_text(re.compile("^Rejected"))).to_be_visible(timeout=60_000)
        # The grid draws on a canvas; its cells are in the DOM for screen readers.
        expect(page.get_by_text("NOT_A_PERMIT_TYPE").first).to_be_attached()
        page.screenshot(path=ARTIFACTS / "04-submit-rejected.png", full_page=True)
        browser.close()

    landed = sorted(path.name for path in (root / "landing" / "FJI").iterdir())
    assert landed == ["FJI_2026-09.xlsx"]
    assert not external, f"the page fetched from outside the dashboard: {external[:5]}"
    shutil.copy(root / "streamlit.log", ARTIFACTS / "streamlit.log")


def test_a_signed_in_officer_stays_signed_in_across_reloads_and_tabs(dashboard):
    """The session cookie: a reload and a new tab keep the sign-in; signing out ends it."""
    from playwright.sync_api import expect, sync_playwright

    url, _ = dashboard
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_text("Public (not signed in)")).to_be_visible(timeout=30_000)
        page.get_by_label("User name").fill("fji.officer")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("FJI officer")).to_be_visible(timeout=20_000)
        page.wait_for_function("document.cookie.includes('pidc_session=v1.')", timeout=10_000)
        [cookie] = [c for c in context.cookies() if c["name"] == "pidc_session"]
        assert cookie["sameSite"] == "Strict" and cookie["expires"] > time.time() + 3600

        page.reload()
        expect(page.get_by_text("FJI officer")).to_be_visible(timeout=30_000)
        tab = context.new_page()
        tab.goto(url)
        expect(tab.get_by_text("FJI officer")).to_be_visible(timeout=30_000)

        tab.get_by_role("button", name="Sign out").click()
        expect(tab.get_by_text("Public (not signed in)")).to_be_visible(timeout=20_000)
        page.reload()
        expect(page.get_by_text("Public (not signed in)")).to_be_visible(timeout=30_000)
        page.wait_for_function("!document.cookie.includes('pidc_session=v1.')", timeout=10_000)
        browser.close()


def test_tables_charts_and_words_in_a_real_browser(dashboard):
    """Issue 16 as a person sees it: labels and "Sep 2026" in the explorer's grid, small
    multiples on the member profile, Material icons in the compliance grid, the upload limit."""
    from playwright.sync_api import expect, sync_playwright

    url, _ = dashboard
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # Tall enough that a full-page screenshot holds the whole page (the app scrolls inside).
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        page.goto(url)
        expect(page.get_by_text("Public (not signed in)")).to_be_visible(timeout=30_000)
        page.get_by_label("User name").fill("fji.officer")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("FJI officer")).to_be_visible(timeout=20_000)

        page.get_by_role("link", name="Dataset explorer").click()
        expect(page.get_by_role("heading", name="Rows")).to_be_visible(timeout=20_000)
        # The grid draws on a canvas; its cells are in the DOM for screen readers (with raw
        # values: "61,000" and "Sep 2026" are drawn from the column formats, see test_app).
        expect(page.get_by_text("New Zealand", exact=True).first).to_be_attached()
        cells = page.locator("[data-testid=stDataFrame] td").all_inner_texts()
        assert {"Fiji", "New Zealand", "Australia"} <= set(cells)
        assert not {"FJI", "NZL", "AUS"} & set(cells)  # names and labels, not codes
        page.wait_for_timeout(1500)
        page.screenshot(path=ARTIFACTS / "05-explorer.png", full_page=True)

        page.get_by_role("link", name="Member profile").click()
        expect(page.get_by_role("heading", name="Trends")).to_be_visible(timeout=20_000)
        expect(page.locator(".js-plotly-plot")).to_have_count(3, timeout=20_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=ARTIFACTS / "06-member-profile.png", full_page=True)

        page.get_by_role("link", name="Reporting compliance").click()
        expect(page.get_by_role("heading", name="Rates")).to_be_visible(timeout=20_000)
        # Material icons are a bundled font: a ligature, never an emoji drawn as a box.
        expect(page.locator("[data-testid=stIconMaterial]").first).to_be_visible()
        page.wait_for_timeout(1000)
        page.screenshot(path=ARTIFACTS / "07-compliance.png", full_page=True)

        page.get_by_role("link", name="Submit a return").click()
        expect(page.get_by_text("25MB per file")).to_be_visible(timeout=20_000)
        browser.close()
