"""The regional data contract, loaded from ``contract.yaml``.

This module is the only reader of the contract file. Parsers, expectation suites, the template
generator, the dbt seed generator and the docs reference all ask it for datasets, columns and code
lists instead of restating them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

CONTRACT_FILE = Path(__file__).with_name("contract.yaml")

# Column types whose values are codes checked against a reference seed rather than a code list.
REFERENCE_TYPES = {"member": "members", "country": "countries", "port": "ports"}


class ContractError(ValueError):
    """The contract file is inconsistent; the message names the entry to fix."""


@dataclass(frozen=True)
class CodeList:
    """A regional code list: code -> English label, plus the special codes it admits."""

    name: str
    description: str
    codes: dict[str, str]
    allowed_special: tuple[str, ...] = ()

    def all_codes(self, special_labels: dict[str, str]) -> dict[str, str]:
        """Every admissible code with its label, special codes (``_U``/``_Z``) last."""
        merged = dict(self.codes)
        for code in self.allowed_special:
            merged[code] = special_labels[code]
        return merged


@dataclass(frozen=True)
class Column:
    """One column of a dataset: its name, contract type and, for ``code`` columns, the list."""

    name: str
    type: str
    description: str
    code_list: str | None = None
    # The code a return that leaves this column out (or blank) means, e.g. ``_T`` for a
    # breakdown many members do not report; None for a column every return must carry.
    default: str | None = None

    @property
    def sql_type(self) -> str:
        """The warehouse type that holds this column."""
        return {"count": "bigint", "boolean": "boolean"}.get(self.type, "varchar")


@dataclass(frozen=True)
class Dataset:
    """A regional dataset: the common columns, its own breakdowns and the count measure."""

    name: str
    title: str
    description: str
    common: tuple[Column, ...]
    breakdowns: tuple[Column, ...]
    measure: Column | None

    @property
    def columns(self) -> tuple[Column, ...]:
        """All columns in template and raw-table order."""
        tail = (self.measure,) if self.measure else ()
        return self.common + self.breakdowns + tail

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def defaults(self) -> dict[str, str]:
        """Optional columns -> the code a return without them (or with a blank) stands for."""
        return {c.name: c.default for c in self.columns if c.default is not None}

    @property
    def key(self) -> list[str]:
        """Columns that identify one row of a return: everything but the measure."""
        return [c.name for c in self.common + self.breakdowns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"dataset {self.name!r} has no column {name!r}")


@dataclass(frozen=True)
class Contract:
    """The whole contract: datasets (the seven regional ones), observations and code lists."""

    version: int
    datasets: dict[str, Dataset]
    observations: Dataset
    code_lists: dict[str, CodeList]
    special_codes: dict[str, str] = field(default_factory=dict)

    @property
    def dataset_names(self) -> list[str]:
        return list(self.datasets)

    def dataset(self, name: str) -> Dataset:
        """The dataset called ``name`` (``observations`` included)."""
        if name == "observations":
            return self.observations
        try:
            return self.datasets[name]
        except KeyError:
            known = ", ".join([*self.datasets, "observations"])
            raise KeyError(f"unknown dataset {name!r}; the contract has: {known}") from None

    def codes(self, code_list: str) -> dict[str, str]:
        """Every admissible code of ``code_list`` with its label."""
        return self.code_lists[code_list].all_codes(self.special_codes)


def _column(
    raw: dict, where: str, types: set[str], code_lists: dict, special: dict[str, str]
) -> Column:
    name = raw.get("name")
    if not name:
        raise ContractError(f"{where}: a column has no name")
    kind = raw.get("type")
    if kind not in types:
        raise ContractError(f"{where}.{name}: type {kind!r} is not one of {sorted(types)}")
    code_list = raw.get("code_list")
    if kind == "code" and code_list not in code_lists:
        raise ContractError(f"{where}.{name}: code_list {code_list!r} is not declared")
    if not raw.get("description"):
        raise ContractError(f"{where}.{name}: every column needs a description")
    default = raw.get("default")
    if default is not None:
        admissible = code_lists[code_list].all_codes(special) if kind == "code" else {}
        if str(default) not in admissible:
            raise ContractError(
                f"{where}.{name}: default {default!r} is not a code of its code list "
                "(only code columns can have a default)"
            )
        default = str(default)
    return Column(
        name=name,
        type=kind,
        description=raw["description"],
        code_list=code_list,
        default=default,
    )


def parse_contract(document: dict) -> Contract:
    """Build and check a :class:`Contract` from the parsed YAML document."""
    types = set(document["types"])
    special = {str(k): str(v) for k, v in document.get("special_codes", {}).items()}
    code_lists: dict[str, CodeList] = {}
    for name, raw in document["code_lists"].items():
        # YAML reads unquoted ON/OFF/YES/NO/Y/N as booleans and 01 as a number: codes must be
        # quoted strings, or "OFF" would silently become "False".
        not_text = [repr(code) for code in raw["codes"] if not isinstance(code, str)]
        if not_text:
            raise ContractError(
                f"code_lists.{name}: codes {', '.join(not_text)} are not text; quote them in YAML"
            )
        allowed = tuple(raw.get("allow", ()))
        unknown = [code for code in allowed if code not in special]
        if unknown:
            raise ContractError(
                f"code_lists.{name}: allow names undeclared special codes {unknown}"
            )
        code_lists[name] = CodeList(
            name=name,
            description=raw["description"],
            codes={str(k): str(v) for k, v in raw["codes"].items()},
            allowed_special=allowed,
        )
    common = tuple(
        _column(c, "common_columns", types, code_lists, special) for c in document["common_columns"]
    )
    measure = _column(document["measure"], "measure", types, code_lists, special)
    datasets: dict[str, Dataset] = {}
    for name, raw in document["datasets"].items():
        breakdowns = tuple(
            _column(c, f"datasets.{name}", types, code_lists, special) for c in raw["columns"]
        )
        datasets[name] = Dataset(
            name, raw["title"], raw["description"], common, breakdowns, measure
        )
    dataset_codes = set(code_lists["dataset"].codes)
    if dataset_codes != set(datasets):
        raise ContractError(
            f"code_lists.dataset lists {sorted(dataset_codes)} but datasets are {sorted(datasets)}"
        )
    obs = document["observations"]
    observations = Dataset(
        "observations",
        obs["title"],
        obs["description"],
        (),
        tuple(_column(c, "observations", types, code_lists, special) for c in obs["columns"]),
        None,
    )
    return Contract(int(document["version"]), datasets, observations, code_lists, special)


@cache
def load_contract(path: Path = CONTRACT_FILE) -> Contract:
    """The contract from ``path`` (the project's own ``contract.yaml`` by default), cached."""
    with path.open(encoding="utf-8") as handle:
        return parse_contract(yaml.safe_load(handle))
