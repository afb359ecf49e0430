"""The dbt project's own scripts (dbt_project/scripts), loaded as modules for the tests: they are
run as ``python dbt_project/scripts/NAME.py``, not installed as a package."""

from __future__ import annotations

import importlib.util
from functools import cache
from types import ModuleType

from pidc.settings import DBT_PROJECT_DIR

SCRIPTS_DIR = DBT_PROJECT_DIR / "scripts"


@cache
def dbt_script(name: str) -> ModuleType:
    """``dbt_project/scripts/<name>.py`` as a module (loaded once)."""
    spec = importlib.util.spec_from_file_location(f"dbt_script_{name}", SCRIPTS_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
