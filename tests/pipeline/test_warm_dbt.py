"""The warm dbt (orchestration/warm_dbt.py): dbt imported once per process, a fork per command.

What must hold, as someone relying on ``dbt`` would check it: a command gives the same output
and exit status as the installed dbt, in the caller's folder and environment; it really runs in a
child of the server (not silently in the installed dbt); Ctrl+C and SIGTERM sent to the command
stop it; the server does not outlive the process that started it; and with no server, or a dead
one, the installed dbt runs as before.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from orchestration import warm_dbt
from orchestration.transform import dbt_executable, warm_dbt_executable
from pidc.settings import PROJECT_ROOT

CLIENT = warm_dbt_executable()


# A dbt project of two models: the commands here test how dbt is run, not the platform's models.
TINY_PROJECT = {
    "dbt_project.yml": "name: tiny\nversion: '1.0'\nprofile: tiny\n",
    "profiles.yml": "tiny:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
    "      path: \"{{ env_var('PIDC_HOME') }}/warehouse.duckdb\"\n",
    "models/one.sql": "select 1 as n\n",
    "models/two.sql": "select n + 1 as n from {{ ref('one') }}\n",
}


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "tiny"
    for name, text in TINY_PROJECT.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def server(tmp_path, monkeypatch):
    """This process's warm dbt, and an environment for dbt commands on a home of their own."""
    monkeypatch.delenv(warm_dbt.WARM_VARIABLE, raising=False)
    address = warm_dbt.start_server()
    assert address and warm_dbt.server_running()
    env = {
        **os.environ,
        "PIDC_HOME": str(tmp_path / "home"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    (tmp_path / "home").mkdir()
    return env


LS_OPTIONS = ("--select", "one+", "--output", "name", "--quiet")


def _ls(executable: str, env: dict[str, str], project: Path) -> subprocess.CompletedProcess:
    # Relative to the working folder: the command must run in the caller's.
    return subprocess.run(
        [executable, "ls", "--project-dir", ".", "--profiles-dir", ".", *LS_OPTIONS],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _pids(output: str) -> set[int]:
    """The process ids in dbt's JSON log lines."""
    return {json.loads(line)["info"]["pid"] for line in output.splitlines() if line.startswith("{")}


def test_a_warm_command_gives_what_the_installed_dbt_gives(server, tmp_path, project):
    assert Path(CLIENT).name == "pidc-dbt"
    warm, installed = _ls(CLIENT, server, project), _ls(dbt_executable(), server, project)
    assert warm.returncode == installed.returncode == 0, warm.stderr + warm.stdout
    assert warm.stdout == installed.stdout == "one\ntwo\n"
    # The caller's environment: DBT_TARGET_PATH put the parse where it said.
    assert (tmp_path / "target" / "partial_parse.msgpack").exists()
    # A command that fails, fails alike (dbt's exit status 2: no such project).
    missing = [CLIENT, "run", "--project-dir", str(tmp_path / "none")]
    failed = subprocess.run(missing, env=server, capture_output=True, text=True, timeout=300)
    assert failed.returncode == 2, failed.stdout + failed.stderr


def test_the_command_runs_in_a_child_of_the_server_unless_there_is_none(server, project):
    args = ["parse", "--project-dir", ".", "--profiles-dir", ".", "--log-format", "json"]

    def run(env: dict[str, str]) -> tuple[int, set[int]]:
        process = subprocess.Popen(
            [CLIENT, *args], cwd=project, env=env, stdout=subprocess.PIPE, text=True
        )
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output
        return process.pid, _pids(output)

    client, dbt = run(server)
    assert dbt and client not in dbt  # forked by the server, not the installed dbt in its place
    # No server, or one that has gone: the installed dbt replaces the client, in its process.
    for env in (
        {k: v for k, v in server.items() if k != warm_dbt.SERVER_VARIABLE},
        {**server, warm_dbt.SERVER_VARIABLE: "pidc-dbt-nobody-listens-here"},
    ):
        client, dbt = run(env)
        assert dbt == {client}


SHOW_OPTIONS = ("--profiles-dir", ".", "--log-format", "json", "--log-level", "debug")
LONG_QUERY = "select count(*) from range(20000000000) t where t.range % 7 = 3"


@pytest.mark.parametrize(
    "signum",
    [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
    ids=["ctrl-c", "sigterm", "kill -9 of pidc-dbt alone"],
)
def test_a_stop_sent_to_the_command_stops_dbt(server, project, signum):
    """dagster-dbt stops its dbt process with SIGINT; a person with Ctrl+C. ``pidc-dbt`` killed
    on its own must not leave its dbt running (holding the warehouse's lock)."""
    process = subprocess.Popen(
        [CLIENT, "show", "--inline", LONG_QUERY, "--project-dir", ".", *SHOW_OPTIONS],
        cwd=project,
        env=server,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    while not any('"name": "SQLQuery"' in line and "range(" in line for line in lines):
        line = process.stdout.readline()
        assert line, "".join(lines)
        lines.append(line)
        assert time.monotonic() < deadline
    time.sleep(0.5)  # inside DuckDB's query, which would last minutes
    dbt = _pids("".join(lines)).pop()
    assert dbt != process.pid
    process.send_signal(signum)
    process.communicate(timeout=60)
    assert process.returncode != 0
    deadline = time.monotonic() + 30
    while Path(f"/proc/{dbt}").exists() and _state(dbt) != "Z":
        assert time.monotonic() < deadline, f"dbt (process {dbt}) still runs"
        time.sleep(0.1)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "gone"


STARTER = textwrap.dedent("""
    import sys
    from orchestration import warm_dbt
    warm_dbt.start_server()
    print(warm_dbt._server["process"].pid, flush=True)
    if sys.argv[1] == "kill":
        import os, signal
        os.kill(os.getpid(), signal.SIGKILL)
""")


@pytest.mark.parametrize("how", ["exits", "kill"])
def test_the_server_ends_with_the_process_that_started_it(how):
    starter = subprocess.run(
        [sys.executable, "-c", STARTER, how],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    server = int(starter.stdout.split()[0])
    deadline = time.monotonic() + 60
    while _state(server) not in {"gone", "Z"}:
        assert time.monotonic() < deadline, "the warm dbt outlived its starter"
        time.sleep(0.1)


def test_pidc_warm_dbt_0_turns_it_off(monkeypatch):
    monkeypatch.setenv(warm_dbt.WARM_VARIABLE, "0")
    assert not warm_dbt.wanted()
    assert warm_dbt.start_server() is None
    assert warm_dbt.SERVER_VARIABLE not in os.environ  # dbt commands run the installed dbt
    monkeypatch.delenv(warm_dbt.WARM_VARIABLE)
    assert warm_dbt.start_server() == os.environ[warm_dbt.SERVER_VARIABLE]


MEMORY_PROBE = textwrap.dedent("""
    import json, os, resource, subprocess, sys
    from pathlib import Path
    from orchestration import warm_dbt
    from orchestration.transform import warm_dbt_executable
    project, home, ballast_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
    # A big pipeline process: every child it starts begins at its size.
    ballast = b"x" * (ballast_mb << 20)
    warm_dbt.start_server()
    server = warm_dbt._server["process"].pid
    env = {**os.environ, "PIDC_HOME": home, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    big = "select len(l) from (select list(range) as l from range(30000000))"
    subprocess.run([warm_dbt_executable(), "show", "--inline", big, "--project-dir", ".",
                    "--profiles-dir", "."], cwd=project, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    idle = int(Path(f"/proc/{server}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
    largest = warm_dbt.stop_server()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"server_mb": idle, "largest_dbt_mb": largest, "children_mb": children}))
""")
BALLAST_MB = 1200


def test_the_largest_dbt_command_s_own_peak_memory_is_what_the_server_reports(tmp_path, project):
    """`make bench` reports dbt's peak memory as the warm dbt measured it (bench/worker.py):
    the dbt command's own peak, which a 240 MB query raises, and never the size of the process
    that started it (every child Linux starts begins at its parent's size, so the finished
    children's figure of a 1.2 GB pipeline process reads 1.2 GB whatever dbt did)."""
    (tmp_path / "home").mkdir()
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(project), str(tmp_path / "home"), str(BALLAST_MB)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    measured = json.loads(probe.stdout.strip().splitlines()[-1])
    # The query holds about 240 MB in DuckDB on top of what the server holds...
    assert measured["largest_dbt_mb"] > measured["server_mb"] + 150, measured
    # ...and nothing of the starter's 1.2 GB, which the finished children's figure does show.
    assert measured["largest_dbt_mb"] < BALLAST_MB - 300, measured
    assert measured["children_mb"] > BALLAST_MB, measured
