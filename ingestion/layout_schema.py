"""Declared layouts: the schema of a layout file, and where layouts are found.

A layout file (YAML) tells intake how to read one member's own publication (a statistics office
table, an immigration unit's monthly report) without new Python: which files it matches, which
sheet region holds which dataset, where the months and the categories are, which rows and
columns are totals (reconciled, never loaded) and which are skipped. The Secretariat writes one
per publication, checks it with ``pidc layout check``, and every later edition of that
publication loads unchanged.

The folder is a setting (``PIDC_LAYOUTS_DIR``; by default ``layouts/`` beside the seeds of the dbt
project in use), and layouts are re-read whenever a file in it changes, so a new or edited
layout takes effect without a restart.

Every key is checked: an unknown or misspelt key is refused with the nearest valid key, so a
reconciliation can never be skipped silently because ``totals`` was written ``total``.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pidc.contract import load_contract
from pidc.settings import DBT_PROJECT_DIR

# Keys a row or column header may name besides the dataset's own columns.
PERIOD_PARTS = ("year", "month", "period")


class LayoutError(ValueError):
    """A layout file is wrong; the message names the file, the key and what to write instead."""


def column_index(letter: str) -> int:
    """Spreadsheet column letters as a 0-based index: A -> 0, AA -> 26."""
    text = str(letter).strip().upper()
    if not text or not text.isalpha() or not text.isascii():
        raise ValueError(f"{letter!r} is not a column letter (write A, B, ..., AA)")
    index = 0
    for char in text:
        index = index * 26 + (ord(char) - 64)
    return index - 1


def column_letter(index: int) -> str:
    """A 0-based column index as spreadsheet letters: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_span(spec: str) -> list[int]:
    """``"C:P"`` (or ``"C"``) as the 0-based indexes from C to P."""
    first, _, last = str(spec).partition(":")
    return list(range(column_index(first), column_index(last or first) + 1))


class _Strict(BaseModel):
    """Refuses unknown keys, naming the nearest valid one."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            valid = {name for name in cls.model_fields} | {
                f.alias for f in cls.model_fields.values() if f.alias
            }
            for key in data:
                if key not in valid:
                    near = difflib.get_close_matches(str(key), sorted(valid), n=1, cutoff=0.5)
                    hint = f"; did you mean {near[0]!r}?" if near else ""
                    raise ValueError(
                        f"unknown key {key!r}{hint} (valid keys here: {', '.join(sorted(valid))})"
                    )
        return data


Labels = dict[str, str | dict[str, str]]
Patterns = list[str]


class Match(_Strict):
    """Which files a layout reads. Every criterion given must hold; the member must match too."""

    files: list[str] = Field(
        default_factory=list,
        description="File-name patterns (`*` and `?`, case-insensitive), any of which matches.",
    )
    sheets: list[str] = Field(
        default_factory=list, description="Sheets a workbook must have (workbooks only)."
    )
    header: list[str] = Field(
        default_factory=list,
        description="Texts that must all appear in the first 15 rows (a header signature).",
    )


class Rows(_Strict):
    """How the table's rows are read."""

    first: int = Field(ge=1, description="First data row (1-based, as Excel numbers rows).")
    keys: dict[str, str] = Field(
        description="What each row says and in which column: `{year: A, month: B}`, "
        "`{period: A}` or a breakdown such as `{country: B}`. A year written once for several "
        "rows carries down; a row with a year and no month is that year's total (reconciled)."
    )
    skip: Patterns = Field(
        default_factory=list,
        description="Regular expressions on the row label: rows not loaded (percentage rows, "
        "section headings); listed in the report.",
    )
    totals: Patterns = Field(
        default_factory=list,
        description="Row labels of grand-total rows: reconciled against all detail rows above.",
    )
    subtotals: Patterns = Field(
        default_factory=list,
        description="Row labels of subtotal rows: reconciled against the detail rows since the "
        "previous subtotal.",
    )
    stop: Patterns = Field(
        default_factory=list,
        description="Row labels that end the table (notes, sources). Figures below a stop row "
        "are reported, never dropped silently.",
    )
    flag: str | None = Field(
        None, description="Column holding row flags such as `[p]` (provisional)."
    )
    set: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per-row constants: `{'(?i)cruise': {mode: SEA}}` gives rows whose label "
        "matches their own values.",
    )


class Columns(_Strict):
    """How the table's columns are read: from their headers, or one by one."""

    header_rows: list[int] | list[list[int]] = Field(
        default_factory=list,
        description="Rows holding the column headers, joined per column. One list per key "
        "when `key` names several (`[[4, 5], [6]]`); outer keys carry right over merged cells.",
    )
    key: str | list[str] | None = Field(
        None,
        description="What the headers say: a breakdown (`purpose`), `period`, or several "
        "(`[country, sex]`, `[year, month]`).",
    )
    first: str | None = Field(
        None,
        alias="from",
        description="First column read (letter). Columns are read up to the last one with a "
        "header or a figure, so next month's extra column needs no edit.",
    )
    last: str | None = Field(
        None, alias="to", description="Last column read (letter); rarely needed."
    )
    totals: Patterns = Field(
        default_factory=list,
        description="Header texts of total columns: reconciled against the detail columns "
        "they cover, never loaded.",
    )
    skip: Patterns = Field(
        default_factory=list,
        description="Header texts of columns not loaded (percentages, distributions).",
    )
    codes: list[str] = Field(
        default_factory=list,
        description="Codes given to the detail columns in order, when headers are too noisy "
        "to read (PDF extracts). Columns with no header and no figure are left out first.",
    )
    ignore: list[str] = Field(
        default_factory=list,
        description="Columns (letters) not read at all, e.g. a row-number column added by an "
        "export. Any other column with values that the layout does not read is reported.",
    )
    cells: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Columns one by one: `{D: {direction: ARR, traveller_type: VIS}, "
        "F: {total: 'D:E'}}`.",
    )


class Table(_Strict):
    """One table: a sheet region holding figures of one dataset."""

    sheet: str | None = Field(None, description="Sheet name (workbooks); omit for CSV files.")
    title: str | None = Field(
        None,
        description="Text the sheet must carry above the table; a missing title means the "
        "publication changed shape and the file is refused with a message to the Secretariat.",
    )
    dataset: str = Field(description="The regional dataset the figures belong to.")
    use: Literal["load", "reconcile"] = Field(
        "load",
        description="`reconcile`: the table is read only to check its totals against the "
        "loaded figures matching `against` (e.g. a quarterly or detail sheet); never loaded.",
    )
    against: dict[str, str] = Field(
        default_factory=dict,
        description="For `use: reconcile`: the breakdown values of the loaded figures the "
        "table's totals must equal (other breakdowns: the table's constants, else `_T`).",
    )
    period: str | None = Field(
        None,
        description="Where the month is when rows and columns do not say it: `file_name`, "
        "`title` (a month written above the table) or a fixed `YYYY-MM`.",
    )
    constants: dict[str, str] = Field(
        default_factory=dict,
        description="Values of the breakdowns the table does not show. Breakdowns whose code "
        "list admits `_T` default to `_T` (a total over that breakdown).",
    )
    labels: Labels = Field(
        default_factory=dict,
        description="Row or column labels mapped to codes (`OTHERS: G_OTHER_COUNTRIES`), or "
        "per breakdown when one label means different things (`country: {Others: "
        "G_OTHER_COUNTRIES}`). "
        "Several labels may map to one code (summed); a label may give several breakdowns "
        "(`{direction: ARR, traveller_type: VIS}`). Unmapped labels are resolved like template "
        "values; a label that does not resolve is reported once, to the Secretariat.",
    )
    blanks: Literal["error", "zero"] = Field(
        "error",
        description="What a blank cell among figures means: an `error` to report, or `zero` "
        "(tables extracted from PDFs, where `-` and blanks are both zero).",
    )
    remainder: str | None = Field(
        None,
        description="A group code (e.g. `G_REST_OF_WORLD`) that receives total minus the "
        "listed detail, where a total covers more than the rows shown. Without it a total "
        "that is not the sum of its detail is an error.",
    )
    tolerance: int = Field(
        0,
        ge=0,
        description="How far a printed total may be from the sum of its detail (rounding or "
        "extraction errors in the publication itself): such totals are accepted with a "
        "warning that lists them. Beyond it, a mismatch is an error.",
    )
    load_totals: bool = Field(
        False,
        description="Also load each row's grand-total column as the total (`_T`) of the "
        "column breakdown, so the published totals are the publication's own even where its "
        "detail does not add up exactly (use with `tolerance`). Needs one `columns.key`.",
    )
    rows: Rows
    columns: Columns

    @model_validator(mode="after")
    def _coherent(self) -> Table:
        contract = load_contract()
        if self.dataset not in contract.dataset_names:
            raise ValueError(
                f"dataset {self.dataset!r} is not one of {', '.join(contract.dataset_names)}"
            )
        dataset = contract.dataset(self.dataset)
        breakdowns = [c.name for c in dataset.breakdowns]
        known = set(breakdowns) | set(PERIOD_PARTS)
        given = list(self.rows.keys) + self.column_keys + list(self.constants)
        given += [k for cell in self.columns.cells.values() for k in cell if k != "total"]
        given += list(self.against)
        for values in self.rows.set.values():
            given += list(values)
        for label, value in self.labels.items():
            if isinstance(value, dict) and label not in breakdowns:
                given += list(value)
        for name in given:
            if name not in known:
                near = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                raise ValueError(
                    f"{name!r} is not a breakdown of {self.dataset}{hint} "
                    f"(breakdowns: {', '.join(breakdowns)})"
                )
        period_sources = [k for k in (*self.rows.keys, *self.column_keys) if k in PERIOD_PARTS]
        if not period_sources and not self.period:
            raise ValueError(
                "the table does not say where its month is: give rows.keys or columns.key a "
                "`period` (or `year` and `month`), or set `period` (file_name, title or YYYY-MM)"
            )
        fixed = self.period not in {None, "file_name", "title"}
        if fixed and not re.fullmatch(r"\d{4}-\d{2}", str(self.period)):
            raise ValueError("period must be file_name, title or a month written YYYY-MM")
        if not self.columns.cells and not self.column_keys and not self.columns.codes:
            raise ValueError("columns needs a `key` (read from headers), `codes` or `cells`")
        if self.columns.codes and len(self.column_keys) != 1:
            raise ValueError("columns.codes needs exactly one columns.key (the breakdown coded)")
        if self.load_totals and (len(self.column_keys) != 1 or not self.columns.totals):
            raise ValueError(
                "load_totals needs exactly one columns.key and a total column (columns.totals)"
            )
        if self.use == "reconcile" and not self.against:
            raise ValueError("a table with `use: reconcile` needs `against`")
        for letter in [
            self.rows.flag,
            self.columns.first,
            self.columns.last,
            *self.rows.keys.values(),
        ]:
            if letter:
                column_index(letter)
        for letter, cell in self.columns.cells.items():
            column_index(letter)
            if "total" in cell:
                column_span(cell["total"].replace(",", ":").split(":")[0])
        for pattern in self.rows.skip + self.rows.totals + self.rows.subtotals + self.rows.stop:
            re.compile(pattern)
        return self

    @property
    def column_keys(self) -> list[str]:
        """The keys the column headers give, outermost first."""
        key = self.columns.key
        return [] if key is None else [key] if isinstance(key, str) else list(key)

    @property
    def header_levels(self) -> list[list[int]]:
        """Header rows per column key (one level when ``header_rows`` is a flat list)."""
        rows = self.columns.header_rows
        if rows and isinstance(rows[0], list):
            return [list(level) for level in rows]  # type: ignore[arg-type]
        return [list(rows)] if rows else []  # type: ignore[list-item]


class Layout(_Strict):
    """A member's publication, as a layout file declares it."""

    name: str = Field(description="Short unique name, e.g. `ton-migration-report`.")
    description: str = Field("", description="What the publication is, for the reader.")
    member: str = Field(description="The member (ISO alpha-3) whose files this layout reads.")
    match: Match = Field(default_factory=Match, description="Which files the layout reads.")
    tables: Annotated[list[Table], Field(min_length=1, description="The tables read.")]
    source: Path | None = Field(None, exclude=True, description="(set on loading)")

    @model_validator(mode="after")
    def _member_upper(self) -> Layout:
        object.__setattr__(self, "member", self.member.upper())
        if not (self.match.files or self.match.sheets or self.match.header):
            raise ValueError("match needs `files`, `sheets` or `header` to know its files")
        return self


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "this key is required"
        lines.append(f"{where}: {message}")
    return "; ".join(dict.fromkeys(lines))


def load_layout(path: Path) -> Layout:
    """Read and check one layout file; :class:`LayoutError` names the key to fix."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise LayoutError(f"{path.name}: not valid YAML ({error})") from None
    if not isinstance(raw, dict):
        raise LayoutError(f"{path.name}: a layout is a mapping of keys (name, member, tables)")
    try:
        layout = Layout.model_validate(raw)
    except ValidationError as error:
        raise LayoutError(f"{path.name}: {_describe(error)}") from None
    return layout.model_copy(update={"source": path})


def layouts_dir() -> Path:
    """The folder layouts are read from: ``PIDC_LAYOUTS_DIR``, else ``<dbt project>/layouts``."""
    configured = os.environ.get("PIDC_LAYOUTS_DIR")
    return Path(configured).expanduser().resolve() if configured else DBT_PROJECT_DIR / "layouts"


def layouts_version(folder: Path | None = None) -> str:
    """A digest of every layout file's name and content: changes whenever a layout does."""
    import hashlib

    folder = Path(folder) if folder else layouts_dir()
    digest = hashlib.sha256()
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


_CACHE: dict[Path, tuple[tuple, tuple[Layout, ...], tuple[str, ...]]] = {}


def _read_folder(folder: Path | None) -> tuple[tuple[Layout, ...], tuple[str, ...]]:
    folder = Path(folder) if folder else layouts_dir()
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []
    signature = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    cached = _CACHE.get(folder)
    if cached and cached[0] == signature:
        return cached[1], cached[2]
    layouts: list[Layout] = []
    broken: list[str] = []
    for path in files:
        try:
            layout = load_layout(path)
        except LayoutError as error:
            broken.append(str(error))
            continue
        if any(other.name == layout.name for other in layouts):
            broken.append(f"{path.name}: another layout is already named {layout.name!r}")
            continue
        layouts.append(layout)
    _CACHE[folder] = (signature, tuple(layouts), tuple(broken))
    return tuple(layouts), tuple(broken)


def declared_layouts(folder: Path | None = None) -> tuple[Layout, ...]:
    """Every valid layout in ``folder`` (default :func:`layouts_dir`), sorted by file name.

    Re-read whenever a file in the folder is added, removed or changed (by name, size and
    modification time), so the running pipeline and dashboard pick up a new layout at once.
    A broken layout file is left out (see :func:`broken_layouts`): it never stops the others.
    """
    return _read_folder(folder)[0]


def broken_layouts(folder: Path | None = None) -> tuple[str, ...]:
    """What is wrong with each layout file in ``folder`` that could not be read."""
    return _read_folder(folder)[1]


REFERENCE_START = "<!-- layout-reference:start -->"
REFERENCE_END = "<!-- layout-reference:end -->"


def with_reference(document: str) -> str:
    """``document`` with the text between the reference markers replaced by the reference."""
    before, _, rest = document.partition(REFERENCE_START)
    _, _, after = rest.partition(REFERENCE_END)
    return f"{before}{REFERENCE_START}\n{schema_reference()}{REFERENCE_END}{after}"


def schema_reference() -> str:
    """Every layout key with its type and meaning, as Markdown (for docs/layouts.md)."""
    lines = []
    for title, model in (
        ("Top level", Layout),
        ("`match`", Match),
        ("`tables[]`", Table),
        ("`tables[].rows`", Rows),
        ("`tables[].columns`", Columns),
    ):
        lines += [f"### {title}", "", "| key | required | meaning |", "|---|---|---|"]
        for name, field in model.model_fields.items():
            if name == "source":
                continue
            key = field.alias or name
            required = "yes" if field.is_required() else ""
            text = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{key}` | {required} | {text} |")
        lines.append("")
    return "\n".join(lines)
