"""The pipeline re-parses the dbt project only when a project file is newer than the manifest."""

from __future__ import annotations

import json
import os
import shutil

from support.dbt_scripts import dbt_script

from orchestration.transform import dbt_target_path, manifest_is_current
from pidc.settings import DBT_PROJECT_DIR


def test_manifest_is_current_follows_project_file_times(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    assert not manifest_is_current(project)  # never parsed
    # where dbt writes it: target/, or DBT_TARGET_PATH (each pytest-xdist worker has its own)
    manifest = project / dbt_target_path() / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("{}")
    newest = max(p.stat().st_mtime for p in project.rglob("*") if p.is_file())
    os.utime(manifest, (newest + 10, newest + 10))
    assert manifest_is_current(project)
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("written after the manifest")
    assert manifest_is_current(project)  # dbt's own output does not count
    model = next((project / "models").rglob("*.sql"))
    os.utime(model, (newest + 20, newest + 20))
    assert not manifest_is_current(project)


def _check_dag():
    return dbt_script("check_dag")


def _model(layer: str, name: str, *parents: str) -> tuple[str, dict]:
    node_id = f"model.pidc.{name}"
    return node_id, {
        "resource_type": "model",
        "package_name": "pidc",
        "fqn": ["pidc", layer, name],
        "depends_on": {"nodes": list(parents), "macros": []},
    }


def test_check_dag_names_every_edge_against_the_direction(tmp_path, capsys):
    """A manifest breaking each rule once: the script names each edge and exits 1."""
    nodes = dict(
        [
            _model("staging", "stg_raw__a", "source.pidc.raw.a"),
            _model("staging", "stg_raw__b", "source.pidc.raw.b", "model.pidc.stg_raw__a"),
            _model("staging", "stg_raw__c", "source.pidc.raw.a", "source.pidc.raw.b"),
            _model("intermediate", "int_ok", "model.pidc.stg_raw__a", "seed.pidc.members"),
            _model("intermediate", "int_bad", "model.pidc.mart_x", "source.pidc.raw.a"),
            _model("marts", "mart_x", "model.pidc.int_ok", "model.pidc.audit_y"),
            _model("audits", "audit_y", "model.pidc.mart_x"),
            _model("elsewhere", "lost_model"),
        ]
    )
    nodes["seed.pidc.members"] = {"resource_type": "seed", "package_name": "pidc", "fqn": []}
    sources = {f"source.pidc.raw.{name}": {} for name in ("a", "b")}
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": nodes, "sources": sources}))
    check_dag = _check_dag()
    assert check_dag.main(["check_dag.py", str(manifest)]) == 1
    printed = capsys.readouterr().out
    for edge in (
        "stg_raw__b: staging -> staging stg_raw__a",
        "stg_raw__c: staging reads 2 sources, exactly one expected",
        "int_bad: intermediate -> marts mart_x",
        "int_bad: intermediate -> source a",
        "mart_x: marts -> audits audit_y",
        "lost_model: a model outside",
    ):
        assert edge in printed
    assert "int_ok" not in printed and "stg_raw__a:" not in printed


def test_the_project_dag_goes_one_way(tmp_path):
    """`dbt parse` of the real project, then check_dag.py on its manifest: no violation."""
    from dbt.cli.main import dbtRunner

    from orchestration.transform import scoped_environ

    target = tmp_path / "target"
    with scoped_environ({"PIDC_HOME": str(tmp_path / "home")}):
        result = dbtRunner().invoke(
            [
                "parse",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(target),
                "--log-path",
                str(tmp_path / "logs"),
            ]
        )
    assert result.success, result.exception
    check_dag = _check_dag()
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert check_dag.violations(manifest) == []
    assert check_dag.main(["check_dag.py", str(target / "manifest.json")]) == 0
