"""The pipeline re-parses the dbt project only when a project file is newer than the manifest."""

from __future__ import annotations

import os
import shutil

from orchestration.transform import manifest_is_current
from pidc.settings import DBT_PROJECT_DIR


def test_manifest_is_current_follows_project_file_times(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    assert not manifest_is_current(project)  # never parsed
    manifest = project / "target" / "manifest.json"
    manifest.parent.mkdir()
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
