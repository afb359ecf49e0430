"""Every page, for every role, in English and in French, in a real browser (issue 16).

One dashboard server (the hand-made serving database, one account per role) and one chromium
for the whole walk. For each role (the public, a member officer, a group member, the
Secretariat) a person's steps: sign in, pick a language in the sidebar's picker, open every page
of the navigation in turn. Each page must finish rendering (no running script, no spinner, no
stale element) with no exception block and no error element; in French, no visible text may be
left in English:

- a text that is an English message of the French catalog (``pidc/locale/fr/LC_MESSAGES/
  messages.po``) whose French differs (placeholders match anything);
- a text shown the same on the English and the French page, unless it is a number, a date, a
  code, a proper noun of the reference data (members, countries, groups), a member's own note, a
  message the catalog deliberately keeps (French = English), a table cell holding one
  lower-case word (a value of the data: movements, true), or one of the few texts of
  :data:`SAME_IN_BOTH`.

The walk's serving database has the French names the reference marts publish
(``support.dashboard``). The sidebar is the same on every page, so its texts are told once per role
and language.

Every page is kept as a full-page screenshot in ``artifacts/screenshots/`` (CI keeps the folder).
The failure lists role, language, page and the untranslated texts, page by page.
"""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path

import duckdb
import pytest
from babel.messages.pofile import read_po
from support.browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, running_dashboard
from support.dashboard import build_serving

from app import data_access
from app.data_access import Viewer
from app.navigation import entries_for
from pidc import i18n

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
WIDTH = 1400
# role -> (account, its add_account options, the viewer the navigation is built for)
ROLES = {
    "public": (None, {}, Viewer.public()),
    "member-officer": (
        "fji.officer",
        {"role": "member", "member_code": "FJI"},
        Viewer(role="member", member_code="FJI"),
    ),
    "group-member": (
        "profiling.one",
        {"role": "group", "group_code": "PROFILING"},
        Viewer(role="group", group_code="PROFILING"),
    ),
    "secretariat": ("sec.one", {"role": "secretariat"}, Viewer(role="secretariat")),
}
# Texts the same in both languages that are none of the kinds above: the languages' own names,
# the platform's and a file format's name; Streamlit draws the file uploader's own words
# (its button reads "Upload" on a narrow page) and offers no way to change them.
SAME_IN_BOTH = {
    "English",
    "Français",
    "PIDC",
    "Excel",
    "Drag and drop file here",
    "Browse files",
    "Upload",
}
STREAMLIT_UPLOAD_LIMIT = re.compile(r"^(Limit )?\d+MB per file( • .*)?$")
# What a code looks like: FJI, PROFILING, _T, fct_movements, FJI_2026-09.xlsx, a UTC time.
# A table cell holding one lower-case word is a value of the data (movements, true), not a text.
DATA_VALUE = re.compile(r"^[a-z][a-z0-9_.\-]*$")
CODE = re.compile(
    r"\S+\.(?:xlsx|csv|json|html|pdf)\b|\b[A-Z0-9_][A-Z0-9_.\-]+\b|\b[a-z0-9]+(?:_[a-z0-9]+)+\b"
)
WORD = re.compile(r"[^\W\d_]{2,}")

BUSY_SCRIPT = """() => Boolean(
    document.querySelector('[data-testid=stApp][data-test-script-state=running]')
    || document.querySelector('[data-testid=stStatusWidget]')
    || document.querySelector('[data-testid=stSpinner]')
    || document.querySelector('[data-testid=stSkeleton]')
    || document.querySelector('[data-stale=true]')
)"""
# The visible text of the sidebar and of the page, line by line; Material icons are a font whose
# ligatures ('visibility', 'check_circle') are not words; a table's cells are drawn on a canvas, so they are read
# from the table the grid keeps for screen readers.
TEXT_SCRIPT = """() => {
    const icons = new Set(
        [...document.querySelectorAll('[data-testid=stIconMaterial]')]
            .map(icon => icon.textContent.trim())
    );
    // A file's preview (Downloads) is data as the file holds it, the same in every language.
    const previews = [...document.querySelectorAll(`[class*='${FILE_PREVIEW}']`)];
    previews.forEach(preview => { preview.style.display = 'none'; });
    const inPreview = cell => Boolean(cell.closest(`[class*='${FILE_PREVIEW}']`));
    const lines = id => {
        const element = document.querySelector(`[data-testid=${id}]`);
        if (!element) return [];
        const cells = [...element.querySelectorAll('[data-testid=stDataFrame] th, '
            + '[data-testid=stDataFrame] td')].filter(cell => !inPreview(cell))
            .map(cell => cell.textContent);
        // a choice box's placeholder ("Choose options") is an attribute, not inner text
        const placeholders = [...element.querySelectorAll('[placeholder]')]
            .map(input => input.getAttribute('placeholder'));
        return [...element.innerText.split('\\n'), ...cells, ...placeholders]
            .map(line => line.split(/\\s+/).filter(word => !icons.has(word)).join(' ').trim())
            .filter(line => line);
    };
    const cells = [...document.querySelectorAll('[data-testid=stDataFrame] td')]
        .filter(cell => !inPreview(cell)).map(cell => cell.textContent.trim());
    const texts = {sidebar: lines('stSidebar'), main: lines('stMain'), cells: cells};
    previews.forEach(preview => { preview.style.display = ''; });
    return texts;
}""".replace("${FILE_PREVIEW}", "st-key-file-preview")


@pytest.fixture(scope="module")
def walk_dashboard(tmp_path_factory):
    """One dashboard for the whole walk, with an account for every signed-in role, on the
    hand-made serving database with the French names the reference marts publish."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (make system-deps installs it)")
    root = tmp_path_factory.mktemp("languages-home")
    build_serving(root / "serving.duckdb")
    to_add = {account: options for account, options, _viewer in ROLES.values() if account}
    with running_dashboard(root, to_add) as url:
        yield url, root


@pytest.fixture(scope="module")
def chromium():
    """One browser for the whole walk (each role gets its own context: its own session)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Catalog:
    """The French catalog as the walk reads it: which English texts must not show in French."""

    def __init__(self) -> None:
        with i18n.catalog_path("fr").open("rb") as handle:
            catalog = read_po(handle, locale="fr", ignore_obsolete=True)
        self.translated: set[str] = set()  # English texts whose French differs
        self.kept: set[str] = set()  # English texts the catalog keeps as they are in French
        self.patterns: list[tuple[str, re.Pattern]] = []
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            english = message.id if isinstance(message.id, tuple) else (message.id,)
            french = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in english:
                text = text.strip()
                if text in (f.strip() for f in french if f):
                    self.kept.add(text)
                elif any(french):
                    self.translated.add(text)
                    self._pattern(text)

    def _pattern(self, text: str) -> None:
        """A message with placeholders matches any line that fills them ('{count} members')."""
        literal = re.sub(r"\{[^{}]*\}", " ", text)
        if "{" not in text or not re.search(r"[^\W\d_]{3,}", literal):
            return  # no placeholder, or nothing but punctuation around them: '{a}: {b}'
        parts = re.split(r"\{[^{}]*\}", text)
        self.patterns.append((text, re.compile(".+?".join(re.escape(p) for p in parts) + "$")))

    def english_message(self, line: str) -> str | None:
        """The catalog message ``line`` shows untranslated, if any."""
        if line in self.translated:
            return line
        for message, pattern in self.patterns:
            if pattern.match(line):
                return message
        return None


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


@pytest.fixture(scope="module")
def proper_nouns(walk_dashboard) -> list[str]:
    """Names and members' own words that read the same in both languages, longest first:
    members, countries and groups (with their French names where published), members' notes and
    the values they sent that no mapping knew."""
    _url, root = walk_dashboard
    columns = {
        "dim_members": "member_name",
        "dim_countries": "country_name",
        "dim_member_groups": "group_name",
        "mart_observations": "note",
        "mart_unmapped_values": "raw_value",
    }
    names: set[str] = set()
    with duckdb.connect(str(root / "serving.duckdb"), read_only=True) as connection:
        for table, column in columns.items():
            published = {
                row[0]
                for row in connection.execute(
                    "select column_name from information_schema.columns"
                    " where table_schema = 'marts' and table_name = ?",
                    [table],
                ).fetchall()
            }
            for name in (column, f"{column}_fr"):
                if name in published:
                    rows = connection.execute(f"select distinct {name} from marts.{table}")
                    names |= {value for (value,) in rows.fetchall() if value}
    names |= {account for account, _options, _viewer in ROLES.values() if account}
    return sorted(names, key=len, reverse=True)


# Streamlit marks its app with the state of the script run (data-test-script-state on stApp,
# the mark its own browser tests wait on). Counted from the page's start: each run that ends.
RUNS_SCRIPT = """(() => {
    window.__pidcRunsEnded = 0;
    new MutationObserver(records => {
        for (const record of records) {
            if (record.target.getAttribute(record.attributeName) === 'notRunning'
                && record.oldValue !== 'notRunning') window.__pidcRunsEnded += 1;
        }
    }).observe(document, {
        subtree: true, attributes: true, attributeOldValue: true,
        attributeFilter: ['data-test-script-state'],
    });
})();"""
# A page is settled when it has been quiet for QUIET_CHECKS looks in a row, QUIET_INTERVAL_MS
# apart (0.2 s): longer than the gap between a run and the rerun it asks for. Measured over a
# whole walk (131 waits), that gap was 44 ms at most, and no page went busy again once it had
# looked quiet. Before a screenshot, SCREENSHOT_QUIET_CHECKS: the charts draw again for the
# taller window, which no busy mark shows.
QUIET_CHECKS = 3
QUIET_INTERVAL_MS = 100
SCREENSHOT_QUIET_CHECKS = 6
# How long an action's run is waited for before the page is only watched until quiet.
RUN_WAIT_MS = 5_000


def runs_ended(page) -> int:
    """How many script runs have ended since the page loaded (:data:`RUNS_SCRIPT`)."""
    return page.evaluate("() => window.__pidcRunsEnded ?? 0")


def settle(
    page, timeout: float = 60, *, runs_before: int | None = None, checks: int = QUIET_CHECKS
) -> None:
    """Wait until the script run is over and the page is drawn: nothing running, no spinner,
    no stale element, ``checks`` times in a row. After an action, ``runs_before``
    (:func:`runs_ended` before it): the run the action started is waited for to end first, as
    Streamlit's own mark tells (the running man shows only a moment after a run starts)."""
    if runs_before is not None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        # No run seen ending in time: the page is watched until quiet below, as any page is.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(
                f"() => (window.__pidcRunsEnded ?? 0) > {runs_before}", timeout=RUN_WAIT_MS
            )
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        quiet = 0 if page.evaluate(BUSY_SCRIPT) else quiet + 1
        if quiet >= checks:
            return
        page.wait_for_timeout(QUIET_INTERVAL_MS)
    raise AssertionError(f"{page.url} was still running after {timeout:.0f} s")


def navigation(page) -> list[tuple[str, str]]:
    """The sidebar's pages as (address path, title), in order (all of them, unfolded)."""
    more = page.locator("[data-testid=stSidebarNavViewButton]")
    if more.count() and more.inner_text().startswith("View") and "more" in more.inner_text():
        more.click()
    links = page.locator("[data-testid=stSidebarNav] a[data-testid=stSidebarNavLink]")
    found = []
    for index in range(links.count()):
        link = links.nth(index)
        path = re.sub(r"^https?://[^/]+", "", link.get_attribute("href") or "").strip("/")
        found.append((path, link.inner_text().strip()))
    return found


def sign_in(page, account: str) -> None:
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_label("User name").fill(account)
    sidebar.get_by_label("Password", exact=True).fill(PASSWORD)
    runs = runs_ended(page)
    sidebar.get_by_role("button", name="Sign in").click()
    sidebar.locator("[data-testid=stButton] button").first.wait_for(timeout=20_000)
    settle(page, runs_before=runs)


def pick_language(page, code: str) -> None:
    """Choose ``code`` in the sidebar's picker, as a person would (the button with its name)."""
    picker = page.locator("[data-testid=stSidebar] [data-testid=stButtonGroup]")
    option = picker.get_by_role("radio", name=i18n.NAMES[code], exact=True)
    if option.get_attribute("aria-checked") != "true":  # clicked again, a choice is undone
        runs = runs_ended(page)
        option.click()
        settle(page, runs_before=runs)
    assert option.get_attribute("aria-checked") == "true", f"{code} could not be picked"


def problems_on(page) -> list[str]:
    """Exception blocks and error elements, with what they say."""
    found = []
    for testid in ("stException", "stAlertContentError"):
        for element in page.locator(f"[data-testid={testid}]").all():
            found.append(f"{testid}: {' '.join(element.inner_text().split())[:300]}")
    return found


def screenshot(page, role: str, code: str, number: int, path: str) -> None:
    """The whole page: the app scrolls inside its main block, so the window is made as tall as
    that block for the picture (and put back after)."""
    height = page.evaluate(
        "() => document.querySelector('[data-testid=stMain]')?.scrollHeight ?? 1000"
    )
    page.set_viewport_size({"width": WIDTH, "height": max(1000, min(int(height) + 80, 12_000))})
    settle(page, checks=SCREENSHOT_QUIET_CHECKS)  # no script runs: the charts only draw again
    name = f"{role}-{code}-{number:02d}-{path.replace('/', '-') or 'overview'}.png"
    page.screenshot(path=SCREENSHOTS / name, full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": 1000})


def same_in_both_allowed(
    line: str, catalog: Catalog, proper_nouns: list[str], cells: set[str]
) -> bool:
    """A text that may read the same in English and French: see the module's docstring."""
    if line in SAME_IN_BOTH or line in catalog.kept or STREAMLIT_UPLOAD_LIMIT.match(line):
        return True
    if line in cells and DATA_VALUE.match(line):
        return True
    rest = line
    for name in proper_nouns:
        rest = rest.replace(name, " ")
    rest = CODE.sub(" ", rest)
    return not WORD.search(rest)


def why_english(
    line: str,
    english_lines: set[str],
    catalog: Catalog,
    proper_nouns: list[str],
    cells: set[str] = frozenset(),
) -> str | None:
    """Why a French page's ``line`` reads as English, or None when it does not."""
    message = catalog.english_message(line)
    if message is not None:
        return f"{line!r} (catalog: {message!r})" if message != line else repr(line)
    if line in english_lines and not same_in_both_allowed(line, catalog, proper_nouns, cells):
        return f"{line!r} (the same on the English page)"
    return None


def untranslated(
    lines,
    english_lines: set[str],
    catalog: Catalog,
    proper_nouns: list[str],
    cells: set[str] = frozenset(),
) -> list[str]:
    """The French ``lines`` that read as English, each with why, sorted and without repeats."""
    reasons = (why_english(line, english_lines, catalog, proper_nouns, cells) for line in lines)
    return sorted({reason for reason in reasons if reason})


def expected_paths(root: Path, viewer: Viewer, monkeypatch) -> list[str]:
    """The address paths of the pages ``viewer``'s navigation lists (the default page is the
    root), read from the navigation itself against the dashboard's serving database."""
    monkeypatch.setenv("PIDC_HOME", str(root))
    data_access._cached_query.clear()
    try:
        return ["" if entry.default else Path(entry.file).stem for entry in entries_for(viewer)]
    finally:
        data_access._cached_query.clear()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_in_both_languages(
    role, walk_dashboard, chromium, catalog, proper_nouns, monkeypatch
):
    nouns = proper_nouns
    url, root = walk_dashboard
    account, _options, viewer = ROLES[role]
    expected = expected_paths(root, viewer, monkeypatch)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": WIDTH, "height": 1000})
    context.add_init_script(RUNS_SCRIPT)
    page = context.new_page()
    report: list[str] = []
    # what the English pages showed, by page address; "sidebar": the sidebar on any page
    english: dict[str, set[str]] = {"sidebar": set()}
    try:
        page.goto(url)
        page.locator("[data-testid=stSidebarNav]").wait_for(timeout=30_000)
        settle(page, runs_before=0)
        # The walk's waits rest on Streamlit's run mark: an upgrade that drops it must say so,
        # not turn every click into a five-second wait.
        assert runs_ended(page) >= 1, "no script run was seen ending (data-test-script-state)"
        if account:
            sign_in(page, account)
        for code in ("en", "fr"):
            pick_language(page, code)
            pages = navigation(page)
            assert [path for path, _title in pages] == expected, (role, code, pages)
            with i18n.language(code):
                assert pages[0][1] == i18n._("Regional overview"), (role, code, pages[0])
            sidebar: set[str] = set()
            for number, (path, title) in enumerate(pages, start=1):
                link = page.locator(f"[data-testid=stSidebarNav] a[href$='/{path}']").first
                runs = runs_ended(page)
                link.click()
                page.wait_for_url(re.compile(rf"/{re.escape(path)}$"), timeout=20_000)
                settle(page, runs_before=runs)
                where = f"{role} / {code} / {title} (/{path})"
                report += [f"{where}: {error}" for error in problems_on(page)]
                shown = page.evaluate(TEXT_SCRIPT)
                screenshot(page, role, code, number, path)
                if code == "en":
                    english[path] = set(shown["main"])
                    english["sidebar"] |= set(shown["sidebar"])
                    continue
                found = untranslated(
                    shown["main"], english.get(path, set()), catalog, nouns, set(shown["cells"])
                )
                if found:
                    report.append(f"{where}: untranslated:\n    " + "\n    ".join(found))
                sidebar |= set(shown["sidebar"])
            # the sidebar is the same on every page: told once
            found = untranslated(sidebar, english["sidebar"], catalog, nouns)
            if found:
                report.append(
                    f"{role} / {code} / sidebar: untranslated:\n    " + "\n    ".join(found)
                )
    finally:
        context.close()
    assert not report, (
        f"{len(report)} page(s) with problems for {role} (screenshots in {SCREENSHOTS}):\n"
        + "\n".join(report)
    )


# --- the walk's rules, without a browser ------------------------------------------------------


def test_the_walk_flags_english_catalog_messages_in_french(catalog):
    assert why_english("Month", set(), catalog, []) == "'Month'"
    assert why_english("Mois", set(), catalog, []) is None
    # a message with placeholders matches however they are filled
    line = "Latest month: September 2026, complete."
    assert "catalog: 'Latest month: {month}, complete.'" in why_english(line, set(), catalog, [])
    assert why_english("Dernier mois : septembre 2026, complet.", set(), catalog, []) is None
    # nothing but punctuation around placeholders matches nothing: '{severity}: {message}'
    assert why_english("Gravité élevée : Fidji a déclaré 57", set(), catalog, []) is None


def test_the_walk_flags_texts_left_the_same_unless_names_codes_or_numbers(catalog):
    def same(line: str, cells: frozenset = frozenset()) -> str | None:
        return why_english(line, {line}, catalog, ["Fiji", "Tonga"], set(cells))

    assert (
        same("Tonga, Border movements")
        == "'Tonga, Border movements' (the same on the English page)"
    )
    assert same("Sep 2026") is not None  # a month the English way
    for kept in (
        "Fiji (FJI)",
        "81 787",
        "2026-10-16 06:00 UTC",
        "FJI_2026-09.xlsx",
        "fct_movements",
    ):
        assert same(kept) is None, kept
    assert same("Observations") is None  # the catalog keeps it: the same word in French
    assert same("English") is None and same("Drag and drop file here") is None
    assert same("movements", {"movements"}) is None  # a value of the data in a table
    assert same("movements") is not None
