"""Check that the dbt DAG goes one way: sources -> staging -> intermediate -> marts -> audits.

Reads dbt's manifest (``target/manifest.json`` after ``dbt parse``) and prints one line per
edge that breaks a rule, then exits 1; exits 0 when there is none. The layer of a model is its
folder under ``models/``.

- staging renames and casts one source: it reads exactly one source, and seeds, nothing else
  (never another staging model: which version of a return counts is intermediate logic);
- intermediate reads staging, intermediate and seeds, never a source, a mart or an audit;
- marts read intermediate, staging, other marts and seeds, never a source or an audit;
- audits (checks of the published marts) read anything but sources, and no model reads them;
- every model lives in one of these folders.

Usage: ``python dbt_project/scripts/check_dag.py [path/to/manifest.json]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

LAYERS = ("staging", "intermediate", "marts", "audits")
DEFAULT_MANIFEST = Path(__file__).resolve().parent.parent / "target" / "manifest.json"

# what each layer may read (besides seeds, which anything may read)
MAY_READ = {
    "staging": {"source"},
    "intermediate": {"staging", "intermediate"},
    "marts": {"staging", "intermediate", "marts"},
    "audits": {"staging", "intermediate", "marts", "audits"},
}


def _kind(node_id: str, manifest: dict) -> str:
    """source, seed, one of LAYERS for a model, or the resource type of anything else."""
    if node_id in manifest.get("sources", {}):
        return "source"
    node = manifest.get("nodes", {}).get(node_id)
    if node is None:
        return "unknown"
    if node["resource_type"] != "model":
        return node["resource_type"]
    fqn = node.get("fqn", [])
    return fqn[1] if len(fqn) > 2 and fqn[1] in LAYERS else "outside"


def _name(node_id: str) -> str:
    return node_id.split(".")[-1]


def violations(manifest: dict) -> list[str]:
    """Every edge of the manifest's model graph that breaks a rule, as a sentence."""
    problems = []
    for node_id, node in sorted(manifest.get("nodes", {}).items()):
        if node["resource_type"] != "model" or node.get("package_name") != "pidc":
            continue
        layer = _kind(node_id, manifest)
        name = _name(node_id)
        if layer == "outside":
            problems.append(f"{name}: a model outside {', '.join(LAYERS)} (models/<layer>/)")
            continue
        parents = sorted(set(node.get("depends_on", {}).get("nodes", [])))
        sources = [parent for parent in parents if _kind(parent, manifest) == "source"]
        if layer == "staging" and len(sources) != 1:
            problems.append(f"{name}: staging reads {len(sources)} sources, exactly one expected")
        for parent in parents:
            kind = _kind(parent, manifest)
            if kind == "seed" or kind in MAY_READ[layer]:
                continue
            problems.append(f"{name}: {layer} -> {kind} {_name(parent)}")
    return problems


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_MANIFEST
    if not path.exists():
        print(f"no manifest at {path}: run `dbt parse` first", file=sys.stderr)
        return 2
    problems = violations(json.loads(path.read_text(encoding="utf-8")))
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} edge(s) against the one-way DAG (see {Path(__file__).name})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
