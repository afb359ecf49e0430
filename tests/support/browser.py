"""The dashboard in a real browser: a ``streamlit run app/main.py`` on a free port against the
hand-made serving database, with local accounts, for the Playwright tests (Debian's chromium)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from app import accounts
from support.dashboard import PROJECT_ROOT, build_serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url}")


@contextlib.contextmanager
def running_dashboard(root: Path, accounts_to_add: dict[str, dict]) -> Iterator[str]:
    """Publish the hand-made serving database in ``root`` (unless one is there already), add the
    accounts (user name -> ``accounts.add_account`` keywords, all with :data:`PASSWORD`), start
    the dashboard on it and yield its address; the server is stopped after, its log left in
    ``root/streamlit.log``."""
    if not (root / "serving.duckdb").exists():
        build_serving(root / "serving.duckdb")
    environment = {
        **os.environ,
        "PIDC_HOME": str(root),
        "PIDC_ACCOUNTS_FILE": str(root / "accounts.toml"),
    }
    previous = {key: os.environ.get(key) for key in ("PIDC_HOME", "PIDC_ACCOUNTS_FILE")}
    os.environ.update({key: environment[key] for key in previous})
    try:
        for username, options in accounts_to_add.items():
            accounts.add_account(username, PASSWORD, **options)
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    port = free_port()
    log = (root / "streamlit.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(PROJECT_ROOT / "app" / "main.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
