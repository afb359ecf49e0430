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

from pidc.normalise import normalise_label

CONTRACT_FILE = Path(__file__).with_name("contract.yaml")

# Column types whose values are codes checked against a reference seed rather than a code list.
REFERENCE_TYPES = {"member": "members", "country": "countries", "port": "ports"}
# The languages every text of the contract comes in (issue 16); English is the key language.
LANGUAGES = ("en", "fr")


def _in(language: str | None, english: str, french: str) -> str:
    """``french`` when ``language`` is French, else ``english``."""
    return french if (language or "en").lower().startswith("fr") else english


class ContractError(ValueError):
    """The contract file is inconsistent; the message names the entry to fix."""


@dataclass(frozen=True)
class CodeList:
    """A regional code list: code -> English label (and French), plus the special codes it admits."""

    name: str
    description: str
    codes: dict[str, str]
    allowed_special: tuple[str, ...] = ()
    labels_fr: dict[str, str] = field(default_factory=dict)
    description_fr: str = ""
    # normalise_label(label in either language, special codes' included) -> code.
    label_index: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def all_codes(self, special_labels: dict[str, str]) -> dict[str, str]:
        """Every admissible code with its label, special codes (``_U``/``_Z``) last."""
        merged = dict(self.codes)
        for code in self.allowed_special:
            merged[code] = special_labels[code]
        return merged

    def all_codes_fr(self, special_labels_fr: dict[str, str]) -> dict[str, str]:
        """:meth:`all_codes` with the French labels, in the same order."""
        merged = {code: self.labels_fr[code] for code in self.codes}
        for code in self.allowed_special:
            merged[code] = special_labels_fr[code]
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
    description_fr: str = ""

    def describe(self, language: str | None = "en") -> str:
        """The column's description in ``language`` (``en`` or ``fr``)."""
        return _in(language, self.description, self.description_fr)

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
    title_fr: str = ""
    description_fr: str = ""

    def title_in(self, language: str | None = "en") -> str:
        """The dataset's title in ``language`` (``en`` or ``fr``)."""
        return _in(language, self.title, self.title_fr)

    def description_in(self, language: str | None = "en") -> str:
        """The dataset's description in ``language`` (``en`` or ``fr``)."""
        return _in(language, self.description, self.description_fr)

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
    special_codes_fr: dict[str, str] = field(default_factory=dict)

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

    def labels(self, code_list: str, language: str | None = "en") -> dict[str, str]:
        """Every admissible code of ``code_list`` with its label in ``language`` (en or fr)."""
        found = self.code_lists[code_list]
        if _in(language, "en", "fr") == "fr":
            return found.all_codes_fr(self.special_codes_fr)
        return found.all_codes(self.special_codes)

    def code_for_label(self, code_list: str, text: object) -> str | None:
        """The code whose label (English or French, any case or accents) is ``text``, or None.

        The template's drop-downs offer labels in the officer's language; this reads one back
        as its code. The contract guarantees no label names two codes of one list.
        """
        return self.code_lists[code_list].label_index.get(normalise_label(text))


def _french(raw: dict, key: str, where: str) -> str:
    """``raw[key]`` (a French text), or a :class:`ContractError` naming what lacks it."""
    text = raw.get(key)
    if not isinstance(text, str) or not text.strip():
        raise ContractError(f"{where}: {key} is missing; every text needs its French (issue 16)")
    return text


def _check_labels(name: str, codes: dict[str, str], labels_fr: dict[str, str]) -> None:
    """Every code has a French label, and no label (either language) names two codes."""
    untranslated = [code for code in codes if code not in labels_fr]
    stray = [code for code in labels_fr if code not in codes]
    if untranslated or stray:
        raise ContractError(
            f"code_lists.{name}: labels_fr must give every code its French label; "
            f"missing {untranslated}, not codes of the list {stray}"
        )
    # A drop-down label is read back as its code (Contract.code_for_label), so a label may not
    # be another code's label or code in either language.
    seen: dict[str, str] = {normalise_label(code): code for code in codes}
    for code in codes:
        for label in (codes[code], labels_fr[code]):
            other = seen.setdefault(normalise_label(label), code)
            if other != code:
                raise ContractError(
                    f"code_lists.{name}: label {label!r} of {code} is also {other}'s; "
                    "make the labels distinct"
                )


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
        description_fr=_french(raw, "description_fr", f"{where}.{name}"),
    )


def parse_contract(document: dict) -> Contract:
    """Build and check a :class:`Contract` from the parsed YAML document."""
    types = set(document["types"])
    special = {str(k): str(v) for k, v in document.get("special_codes", {}).items()}
    special_fr = {str(k): str(v) for k, v in (document.get("special_codes_fr") or {}).items()}
    if set(special_fr) != set(special):
        raise ContractError(
            f"special_codes_fr must label exactly the special codes {sorted(special)}; "
            f"it labels {sorted(special_fr)}"
        )
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
        codes = {str(k): str(v) for k, v in raw["codes"].items()}
        labels_fr = {str(k): str(v) for k, v in (raw.get("labels_fr") or {}).items()}
        _check_labels(name, codes, labels_fr)
        labelled = [*codes.items(), *labels_fr.items()]
        labelled += [(code, special[code]) for code in allowed]
        labelled += [(code, special_fr[code]) for code in allowed]
        code_lists[name] = CodeList(
            name=name,
            description=raw["description"],
            codes=codes,
            allowed_special=allowed,
            labels_fr=labels_fr,
            description_fr=_french(raw, "description_fr", f"code_lists.{name}"),
            label_index={normalise_label(label): code for code, label in reversed(labelled)},
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
            name,
            raw["title"],
            raw["description"],
            common,
            breakdowns,
            measure,
            title_fr=_french(raw, "title_fr", f"datasets.{name}"),
            description_fr=_french(raw, "description_fr", f"datasets.{name}"),
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
        title_fr=_french(obs, "title_fr", "observations"),
        description_fr=_french(obs, "description_fr", "observations"),
    )
    return Contract(
        int(document["version"]), datasets, observations, code_lists, special, special_fr
    )


@cache
def load_contract(path: Path = CONTRACT_FILE) -> Contract:
    """The contract from ``path`` (the project's own ``contract.yaml`` by default), cached."""
    with path.open(encoding="utf-8") as handle:
        return parse_contract(yaml.safe_load(handle))
