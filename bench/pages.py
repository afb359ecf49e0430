"""Dashboard pages as a person meets them: each page's full render, per role, cold and warm.

``bench.dashboard`` times the data-access queries alone, which missed a Dataset explorer that
spent 20-40 s in pandas after its queries. This module runs the page script itself with
Streamlit's ``AppTest`` (the same script run the browser gets, without the network), as each
kind of viewer, and times (the search for Streamlit components, which a server makes once when
it starts and each ``AppTest`` would make again, is made once: :func:`scan_components_once`):

- the first view after a publication (``first``): Streamlit's caches cleared and the serving
  database let go, so it is opened again and every query runs;
- a revisit (``again``): the same page run again in the same session, caches warm;
- an interaction (``interaction``): the page's first choice box set to another option, as a
  person narrowing the view does; pages without one are not timed for it.

The pages and who may open them come from ``app.navigation``, so a new page is measured without
an entry here. A page that raises is reported with its error, never timed.
"""

from __future__ import annotations

import functools
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.measure import percentile, ratio

# Seconds an AppTest run may take before it counts as an error (a page taking this long is
# broken for a person anyway).
PAGE_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Role:
    """A kind of viewer the benchmark signs in as."""

    label: str
    role: str
    member_code: str | None = None
    group_code: str | None = None


ROLES = (
    Role("public", "public"),
    Role("member officer (FJI)", "member", member_code="FJI"),
    Role("Secretariat", "secretariat"),
)


def _quiet_streamlit() -> None:
    # Outside `streamlit run`, cached calls warn that there is no runtime; that is expected.
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)


def _viewer(role: Role):
    from app.data_access import Viewer

    return Viewer(
        role=role.role,
        member_code=role.member_code,
        group_code=role.group_code,
        name=f"benchmark {role.label}",
    )


def _timed_run(app_test) -> tuple[float, str | None]:
    """Seconds of one full script run, and the page's error if it raised one."""
    started = time.perf_counter()
    app_test.run()
    elapsed = time.perf_counter() - started
    if app_test.exception:
        return elapsed, str(app_test.exception[0].message)[:300]
    return elapsed, None


def _interact(app_test) -> bool:
    """Set the page's first choice box to another option; False when it has none.

    AppTest sees a box's shown labels only, so a box whose labels are not its values (a
    ``format_func``) cannot be set from here and is passed over for the next one.
    """
    for box in app_test.selectbox:
        options = list(box.options)
        if len(options) < 2 or str(box.value) not in options:
            continue
        box.set_value(next(option for option in reversed(options) if option != str(box.value)))
        return True
    return False


def scan_components_once() -> None:
    """Have every ``AppTest`` in this process share one search for Streamlit components.

    Each ``AppTest`` reads the metadata of every installed package for Streamlit components
    (``streamlit.components.v2.manifest_scanner``): a quarter of a page's run, in a test or here,
    in this environment of hundreds of packages. A Streamlit server searches once, when it
    starts, not for each page a person opens; the answer cannot change while this process runs.
    """
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    if getattr(scan, "scanned_once", False):
        return
    found: list = []

    @functools.wraps(scan)
    def scanned_once(*args, **kwargs):
        if not found:
            found.append(scan(*args, **kwargs))
        return list(found[0])

    scanned_once.scanned_once = True
    manifest_scanner.scan_component_manifests = scanned_once


def measure_page(page_file: Path, role: Role, repeats: int) -> dict[str, Any]:
    """p50/p95 seconds of ``page_file``'s first view, revisit and interaction as ``role``."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from app.data_access import serving

    scan_components_once()
    samples: dict[str, list[float]] = {"first": [], "again": [], "interaction": []}
    errors: list[str] = []
    for _ in range(repeats):
        st.cache_data.clear()
        st.cache_resource.clear()
        serving.let_go_of_publication()  # the first view after a publication opens the file
        app_test = AppTest.from_file(str(page_file), default_timeout=PAGE_TIMEOUT_SECONDS)
        app_test.session_state["viewer"] = _viewer(role)
        try:
            for step in ("first", "again", "interaction"):
                if step == "interaction" and not _interact(app_test):
                    break
                elapsed, error = _timed_run(app_test)
                if error:
                    errors.append(f"{step}: {error}")
                    break
                samples[step].append(elapsed)
        except Exception as error:  # a page that cannot run is reported, not fatal
            errors.append(f"{type(error).__name__}: {error}"[:300])
            logging.getLogger(__name__).debug("page %s failed", page_file, exc_info=True)
    return {
        step: {
            "p50": percentile(values, 0.5) if values else None,
            "p95": percentile(values, 0.95) if values else None,
            "runs": len(values),
        }
        for step, values in samples.items()
    } | {"errors": errors[:1]}


def measure_pages(serving_home: Path, repeats: int) -> dict[str, Any]:
    """Every page each role may open, rendered in full on ``serving_home``'s serving database.

    Returns ``{"roles": {role label: {page title: {"first"|"again"|"interaction": {"p50",
    "p95", "runs"}, "errors": [...]}}}}``.
    """
    from orchestration.transform import scoped_environ

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from app.navigation import PAGES, entries_for
    _quiet_streamlit()
    roles: dict[str, dict[str, Any]] = {}
    with scoped_environ({"PIDC_HOME": str(serving_home)}), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for role in ROLES:
            for entry in entries_for(_viewer(role)):
                if entry.file == "submit.py":
                    continue  # an upload form: nothing is read until a file is sent
                figures = measure_page(PAGES / entry.file, role, repeats)
                roles.setdefault(role.label, {})[entry.title] = figures
    return {"roles": roles}


def slowest(pages: dict[str, Any]) -> dict[str, Any]:
    """The slowest p95 of any page and step, per role: the figure the issue's target is on."""
    worst: dict[str, Any] = {}
    for role, by_page in pages.get("roles", {}).items():
        candidates = [
            (figures[step]["p95"], title, step)
            for title, figures in by_page.items()
            for step in ("first", "again", "interaction")
            if figures.get(step, {}).get("p95") is not None
        ]
        if candidates:
            seconds, title, step = max(candidates)
            worst[role] = {"p95": seconds, "page": title, "step": step}
    return worst


def compare_page_scales(small: dict[str, Any], large: dict[str, Any]) -> dict[str, Any]:
    """Per role, page and step: the large scale's p95 over the small scale's."""
    comparison: dict[str, Any] = {}
    for role, by_page in large.get("roles", {}).items():
        for title, figures in by_page.items():
            base = small.get("roles", {}).get(role, {}).get(title, {})
            comparison.setdefault(role, {})[title] = {
                step: ratio(figures.get(step, {}).get("p95"), base.get(step, {}).get("p95"))
                for step in ("first", "again", "interaction")
            }
    return comparison
