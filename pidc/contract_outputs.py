"""Everything generated from the data contract: dbt seeds and the human-readable reference.

``python -m pidc.contract_outputs`` (or ``make contract``) rewrites them; a test fails when the
committed copies drift from what the contract says.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pidc.contract import Contract, load_contract
from pidc.settings import PROJECT_ROOT, SEEDS_DIR

CONTRACT_SEEDS_DIR = SEEDS_DIR / "contract"
DOCS_REFERENCE = PROJECT_ROOT / "docs" / "data-contract.md"


def _csv(header: list[str], rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def code_lists_csv(contract: Contract) -> str:
    """Seed ``code_lists``: every admissible code of every code list with its English and French
    labels, special codes flagged."""
    rows: list[list[object]] = []
    for name in contract.code_lists:
        french = contract.labels(name, "fr")
        for order, (code, label) in enumerate(contract.labels(name, "en").items()):
            rows.append(
                [name, code, label, french[code], order + 1, code in contract.special_codes]
            )
    return _csv(["code_list", "code", "label", "label_fr", "sort_order", "is_special"], rows)


def dataset_columns_csv(contract: Contract) -> str:
    """Seed ``dataset_columns``: each dataset's columns in order with type and code list."""
    rows: list[list[object]] = []
    for name in [*contract.dataset_names, "observations"]:
        for ordinal, column in enumerate(contract.dataset(name).columns, start=1):
            rows.append([name, column.name, column.type, column.code_list or "", ordinal])
    return _csv(["dataset", "column_name", "column_type", "code_list", "ordinal"], rows)


def reference_markdown(contract: Contract) -> str:
    """``docs/data-contract.md``: datasets, columns and code lists for people."""
    lines = [
        "# The regional data contract",
        "",
        "Generated from `pidc/contract.yaml` by `make contract`; do not edit by hand.",
        f"Contract version {contract.version}.",
        "",
        "Every dataset row is one member's count for one month and one combination of breakdowns.",
        "Zero is a real zero; a nil return says there was nothing to report; a missing return is",
        "simply absent. Country columns take ISO 3166-1 alpha-3 codes, the ICAO Doc 9303 codes",
        "XXA (stateless), XXB and XXC (refugees) and XXX (unknown), or a country-group code (G_...),",
        "and the platform also resolves names, demonyms, alpha-2 codes, sports codes and old names.",
        "",
        "## Datasets",
        "",
    ]
    for name in [*contract.dataset_names, "observations"]:
        dataset = contract.dataset(name)
        lines += [
            f"### `{name}`: {dataset.title}",
            "",
            dataset.description,
            "",
            f"*{dataset.title_fr}* : {dataset.description_fr}",
            "",
        ]
        if dataset.key and dataset.measure:
            lines += [f"Key: {', '.join(f'`{k}`' for k in dataset.key)}.", ""]
        lines += ["| column | type | code list | description |", "|---|---|---|---|"]
        for column in dataset.columns:
            code_list = f"[`{column.code_list}`](#{column.code_list})" if column.code_list else ""
            description = column.description
            if column.default is not None:
                description += (
                    f" Optional: a return without this column, or a blank cell, means "
                    f"`{column.default}`."
                )
            lines.append(f"| `{column.name}` | {column.type} | {code_list} | {description} |")
        lines.append("")
    lines += ["## Code lists", ""]
    for name, code_list in contract.code_lists.items():
        lines += [
            f"### {name}",
            "",
            code_list.description,
            "",
            "| code | label | label (fr) |",
            "|---|---|---|",
        ]
        french = contract.labels(name, "fr")
        for code, label in contract.labels(name, "en").items():
            lines.append(f"| `{code}` | {label} | {french[code]} |")
        lines.append("")
    return "\n".join(lines)


def generated_files(contract: Contract | None = None) -> dict[Path, str]:
    """Every file the contract generates, path -> content."""
    contract = contract or load_contract()
    return {
        CONTRACT_SEEDS_DIR / "code_lists.csv": code_lists_csv(contract),
        CONTRACT_SEEDS_DIR / "dataset_columns.csv": dataset_columns_csv(contract),
        DOCS_REFERENCE: reference_markdown(contract),
    }


def write_generated_files() -> list[Path]:
    """Rewrite every generated file; return the ones whose content changed."""
    changed = []
    for path, content in generated_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for changed_path in write_generated_files():
        print(f"wrote {changed_path.relative_to(PROJECT_ROOT)}")
