"""The regional template workbook a member fills in for one month (layout E), from the contract.

Sheets, in order: ``Instructions`` (prose for the reporting officer), ``Return`` (who, which
month, which version, and a nil-return tick per dataset), one sheet per contract dataset plus
``observations`` (row 1 = the dataset's columns without ``member`` and ``period``, data from row
2), and a hidden ``Lists`` sheet holding the code lists behind the drop-downs. Nothing here names
a column or a code by hand: everything comes from :func:`pidc.contract.load_contract`.

The template comes in English and French (``language``, issue 16). Sheet names, header cells and
the Return sheet's field names are the same in both, so one parser reads either; the French
edition's instructions, header notes, prompts and drop-down labels are French (the contract's
``labels_fr``), and its yes/no choices are oui/non. The parser reads a drop-down label in
either language back as its code.
"""

from __future__ import annotations

import math
import re
import tempfile
import textwrap
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from pidc import i18n
from pidc.contract import Column, Contract, Dataset, load_contract
from pidc.i18n import N_, _
from pidc.reference.seeds import read_seed, seed_exists

RETURN_SHEET = "Return"
INSTRUCTIONS_SHEET = "Instructions"
LISTS_SHEET = "Lists"
OBSERVATIONS = "observations"
# Columns that come from the Return sheet, so dataset sheets leave them out.
RETURN_LEVEL_COLUMNS = ("member", "period")
# The nil-return tick and yes/no choices, in the template's language (the parser reads both).
NIL_TICK = N_("yes")
BOOLEAN_CHOICES = [N_("yes"), N_("no")]
# Drop-downs and number checks cover this many rows beyond the data written.
EMPTY_ROWS_VALIDATED = 2000
# Characters per line of the Instructions sheet (its column is 100 wide).
INSTRUCTION_WIDTH = 92

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_MEMBER = re.compile(r"^[A-Z]{3}$")


# The note on each field of the Return sheet (its names are keys the parser reads, so they stay).
RETURN_FIELD_NOTES = {
    "member": N_("Your member code (ISO 3166-1 alpha-3), as written when the template was made."),
    "period": N_("The month the return covers, YYYY-MM (e.g. 2026-10)."),
    "version": N_("1 for the first return of the month; 2, 3 for each correction sent later."),
    "contact_name": N_("The officer who can answer questions on this return."),
    "contact_email": N_("That officer's email address."),
}


class TemplateError(ValueError):
    """The template cannot be written as asked; the message says what to change."""


def sheet_columns(dataset: Dataset) -> list[Column]:
    """The columns of ``dataset``'s sheet: every contract column except member and period."""
    return [c for c in dataset.columns if c.name not in RETURN_LEVEL_COLUMNS]


def template_sheets(contract: Contract | None = None) -> list[str]:
    """Names of the data sheets of the template: each contract dataset, then observations."""
    contract = contract or load_contract()
    return [*contract.dataset_names, OBSERVATIONS]


def _member_ports(member: str) -> list[str]:
    """Port codes of ``member`` from the ports seed, or none when the seed is not there yet."""
    if not seed_exists("reference/ports"):
        return []
    ports = read_seed("reference/ports")
    return sorted(ports.loc[ports["member_code"] == member, "port_code"])


def _is_french() -> bool:
    return i18n.get_language() == "fr"


def drop_down_values(contract: Contract, code_list: str) -> list[str]:
    """What the drop-down of ``code_list`` offers in the current language.

    English: the codes (as the template always had). French: the contract's French labels,
    which the parser reads back as their codes (:meth:`pidc.contract.Contract.code_for_label`).
    """
    if _is_french():
        return list(contract.labels(code_list, "fr").values())
    return list(contract.codes(code_list))


def _column_help(column: Column, contract: Contract) -> str:
    """What the header comment of ``column`` tells the officer, in the current language."""
    lines = [column.describe(i18n.get_language())]
    if column.type == "code" and column.code_list:
        if _is_french():
            listed = "; ".join(
                f"{label} ({code})"
                for code, label in contract.labels(column.code_list, "fr").items()
            )
            lines.append(_("Pick a label from the list: {listed}.").format(listed=listed))
        else:
            codes = contract.codes(column.code_list)
            listed = "; ".join(f"{code} = {label}" for code, label in codes.items())
            lines.append(_("Pick a code from the list: {listed}.").format(listed=listed))
    if column.default is not None:
        lines.append(
            _(
                "Optional: leave it blank (or write {default}) when your figures are not "
                "broken down this way."
            ).format(default=column.default)
        )
    elif column.type == "country":
        lines.append(
            _(
                "ISO 3166-1 alpha-3 code (e.g. FJI), XXA stateless, XXB/XXC refugee, XXX "
                "unknown; a country name is also accepted."
            )
        )
    elif column.type == "port":
        lines.append(
            _("Port code from the list (or _U if unknown); the port name is also accepted.")
        )
    elif column.type == "count":
        lines.append(
            _("Whole number, 0 or more. 0 means none were counted; do not leave it blank.")
        )
    elif column.type == "boolean":
        lines.append(_("yes or no."))
    return "\n".join(lines)


def _check_request(
    member: str,
    period: str,
    version: int,
    returns: Mapping[str, pd.DataFrame | None],
    nil_datasets: set[str] | frozenset[str],
    contract: Contract,
) -> None:
    if not _MEMBER.match(member or ""):
        raise TemplateError(
            _(
                "member {member} is not an ISO 3166-1 alpha-3 code; use e.g. 'FJI' (upper case)"
            ).format(member=repr(member))
        )
    if not _PERIOD.match(period or ""):
        raise TemplateError(
            _("period {period} is not a calendar month; write it as YYYY-MM").format(
                period=repr(period)
            )
        )
    if not isinstance(version, int) or version < 1:
        raise TemplateError(
            _("version {version} must be a whole number, 1 or more").format(version=repr(version))
        )
    known = set(contract.dataset_names)
    for name in [*returns, *nil_datasets]:
        if name not in known:
            raise TemplateError(
                _("dataset {name} is not in the contract; use one of {names}").format(
                    name=repr(name), names=", ".join(sorted(known))
                )
            )
    both = sorted(
        name for name in nil_datasets if returns.get(name) is not None and len(returns[name])
    )
    if both:
        raise TemplateError(
            _(
                "datasets {names} are marked nil but also have rows; a nil return has no rows"
            ).format(names=", ".join(both))
        )


def _frame_for_sheet(frame: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """``frame`` reduced to the sheet's columns, in contract order; refuses missing columns.

    An optional column (``sex``, ``age_group``) the frame leaves out is written as its default
    (``_T``), as a return without it means.
    """
    wanted = [c.name for c in sheet_columns(dataset)]
    frame = frame.assign(
        **{name: default for name, default in dataset.defaults.items() if name not in frame}
    )
    missing = [name for name in wanted if name not in frame.columns]
    unknown = [n for n in frame.columns if n not in wanted and n not in RETURN_LEVEL_COLUMNS]
    if missing or unknown:
        raise TemplateError(
            f"rows for {dataset.name!r} must have the columns {wanted}; "
            f"missing {missing}, not in the contract {unknown}"
        )
    return frame[wanted]


def _write_cell(
    sheet, row: int, col: int, value: object, column: Column, formats: dict, contract: Contract
) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return
    if column.type == "count" and isinstance(value, int | float) and not isinstance(value, bool):
        sheet.write_number(row, col, value, formats["count"])
    elif column.type == "boolean" and isinstance(value, bool):
        sheet.write_string(row, col, _("yes") if value else _("no"), formats["text"])
    elif column.type == "code" and column.code_list and _is_french():
        # As a French officer picks it from the drop-down: the label, not the code.
        labels = contract.labels(column.code_list, "fr")
        sheet.write_string(row, col, labels.get(str(value), str(value)), formats["text"])
    else:
        # Codes like "00" or "2026-10" must stay text; Excel would otherwise reinterpret them.
        sheet.write_string(row, col, str(value), formats["text"])


def _instructions(member: str, period: str, contract: Contract) -> list[tuple[str, str]]:
    """The Instructions sheet as (style, text) lines, in the current language.

    Each paragraph is one text to translate, wrapped to the sheet's width here, so a translator
    never sees half a sentence.
    """
    language = i18n.get_language()
    datasets = ", ".join(f"{d.name} ({d.title_in(language)})" for d in contract.datasets.values())
    sections: list[tuple[str, list[str]]] = [
        (
            _("What this workbook is"),
            [
                _("One monthly return: your agency's aggregate counts for one calendar month."),
                _("It has one sheet per dataset: {datasets}; and one for observations.").format(
                    datasets=datasets
                ),
                _("Aggregate counts only: never names, document numbers or personal records."),
            ],
        ),
        (
            _("How to fill it in"),
            [
                _("1. On the Return sheet check member and period; give a contact name and email."),
                _(
                    "2. On each dataset sheet write one row per breakdown combination, from row 2. "
                    "Use the drop-down lists where a column has them; hover on a header for help. "
                    "Nationality and country columns take ISO alpha-3 codes (FJI, CHN) or names. "
                    "count is a whole number. 0 means none were counted: write 0, never a blank. "
                    "sex and age_group are optional: leave them blank (or write _T) when your "
                    "figures are not broken down by sex or age. Age groups come in two bandings, "
                    "broad (Y0T17 ... Y_GE55) and five-year (Y0T4 ... Y_GE65): use one, not both. "
                    "Do not add subtotal or total rows; the platform adds up the rows itself."
                ),
                _(
                    "3. Observations: short notes on trends, modus operandi or routes. Say "
                    "whether each may be shared with other members (shareable = {yes}) or not "
                    "({no})."
                ).format(yes=_("yes"), no=_("no")),
            ],
        ),
        (
            _("Nil returns"),
            [
                _(
                    "If a dataset has nothing to report this month, choose '{yes}' under "
                    "nil_return next to it on the Return sheet and leave its sheet empty. A nil "
                    "return is a real answer: an empty sheet without the tick counts as not sent "
                    "(missing)."
                ).format(yes=_(NIL_TICK)),
            ],
        ),
        (
            _("Correcting a month you already sent"),
            [
                _(
                    "Send the whole return for that month again with the version one higher "
                    "(2, 3). The newest accepted version replaces the earlier one completely, so "
                    "include every row again, not only the rows that changed. Old versions stay "
                    "on file."
                ),
            ],
        ),
        (
            _("Deadline"),
            [_("Returns are due by the 15th of the month after the month they cover.")],
        ),
    ]
    lines = [
        (
            "title",
            _("PIDC monthly return - member {member}, month {period}").format(
                member=member, period=period
            ),
        )
    ]
    for heading, paragraphs in sections:
        lines += [("text", ""), ("heading", heading)]
        for paragraph in paragraphs:
            wrapped = textwrap.wrap(paragraph, INSTRUCTION_WIDTH, subsequent_indent="   ")
            lines += [("text", line) for line in wrapped]
    return lines


def write_template(
    path: Path,
    member: str,
    period: str,
    *,
    version: int = 1,
    returns: dict[str, pd.DataFrame | None] | None = None,
    nil_datasets: set[str] | frozenset[str] = frozenset(),
    observations: pd.DataFrame | None = None,
    contact_name: str = "",
    contact_email: str = "",
    language: str = "en",
) -> Path:
    """Write the regional template workbook for ``member`` and ``period`` to ``path``.

    ``language`` (``"en"`` or ``"fr"``) is the edition: the French one has its instructions,
    header notes, prompts and drop-down labels in French, with the same sheets and headers.

    Without ``returns`` the dataset sheets are empty (a blank template to fill in). With it,
    each given dataset's sheet holds the frame's rows (columns = the sheet's contract columns;
    ``member``/``period`` columns, if present, are ignored). ``nil_datasets`` are ticked as nil
    returns. The file is byte-for-byte reproducible for the same arguments. Raises
    :class:`TemplateError` for an unknown dataset, a malformed member or period, or rows
    whose columns do not match the contract.
    """
    with i18n.language(language):
        return _write_template(
            path,
            member,
            period,
            version=version,
            returns=returns,
            nil_datasets=nil_datasets,
            observations=observations,
            contact=(contact_name, contact_email),
        )


def template_for_download(member: str, period: str, language: str = "en") -> bytes:
    """An empty template for ``member`` and ``period`` in ``language``, as the file's bytes.

    For the Submit page's download button (``st.download_button(data=...)``), which serves a
    file it never writes to disk itself.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = write_template(Path(folder) / "template.xlsx", member, period, language=language)
        return path.read_bytes()


def template_file_name(member: str, period: str, language: str = "en") -> str:
    """The file name a downloaded template gets: ``PIDC_return_FJI_2026-10.xlsx`` (``_fr``
    before the extension for the French edition)."""
    suffix = "_fr" if i18n.normalise(language) == "fr" else ""
    return f"PIDC_return_{member}_{period}{suffix}.xlsx"


def _write_template(
    path: Path,
    member: str,
    period: str,
    *,
    version: int,
    returns: dict[str, pd.DataFrame | None] | None,
    nil_datasets: set[str] | frozenset[str],
    observations: pd.DataFrame | None,
    contact: tuple[str, str],
) -> Path:
    contract = load_contract()
    returns = dict(returns or {})
    nil_datasets = set(nil_datasets)
    _check_request(member, period, version, returns, nil_datasets, contract)
    if observations is not None:
        returns_with_obs: dict[str, pd.DataFrame | None] = {**returns, OBSERVATIONS: observations}
    else:
        returns_with_obs = returns

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # In memory: xlsxwriter otherwise writes a temporary file per XML part, which is slow.
    workbook = xlsxwriter.Workbook(str(path), {"in_memory": True})
    year, month = (int(part) for part in period.split("-"))
    # A fixed creation date keeps the file reproducible (xlsxwriter otherwise stamps "now").
    workbook.set_properties(
        {
            "title": _("PIDC monthly return {member} {period}").format(
                member=member, period=period
            ),
            "subject": _("PIDC regional monthly return"),
            "author": _("PIDC Secretariat"),
            "created": datetime(year + month // 12, month % 12 + 1, 1),
        }
    )
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "heading": workbook.add_format({"bold": True, "font_size": 11}),
        "header": workbook.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": False}
        ),
        "text": workbook.add_format({"num_format": "@"}),
        "count": workbook.add_format({"num_format": "0"}),
        "field": workbook.add_format({"bold": True}),
    }

    instructions = workbook.add_worksheet(INSTRUCTIONS_SHEET)
    instructions.set_column(0, 0, 100)
    for row, (style, text) in enumerate(_instructions(member, period, contract)):
        if text:
            instructions.write_string(row, 0, text, formats.get(style))

    _write_return_sheet(workbook, formats, contract, member, period, version, nil_datasets, contact)

    lists = _ListsSheet(contract, _member_ports(member))
    for name in template_sheets(contract):
        rows = returns_with_obs.get(name)
        _write_dataset_sheet(workbook, formats, contract, contract.dataset(name), rows, lists)
    lists.write(workbook, formats)
    instructions.activate()
    workbook.close()
    return path


def _write_return_sheet(
    workbook,
    formats: dict,
    contract: Contract,
    member: str,
    period: str,
    version: int,
    nil_datasets: set[str],
    contact: tuple[str, str],
) -> None:
    contact_name, contact_email = contact
    sheet = workbook.add_worksheet(RETURN_SHEET)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 36)
    # Row 1 is not read back, so its words follow the edition; the field names below are keys.
    sheet.write_string(0, 0, _("field"), formats["header"])
    sheet.write_string(0, 1, _("value"), formats["header"])
    fields: list[tuple[str, object]] = [
        ("member", member),
        ("period", period),
        ("version", version),
        ("contact_name", contact_name),
        ("contact_email", contact_email),
    ]
    for row, (field, value) in enumerate(fields, start=1):
        sheet.write_string(row, 0, field, formats["field"])
        sheet.write_comment(row, 0, _(RETURN_FIELD_NOTES[field]))
        if isinstance(value, int):
            sheet.write_number(row, 1, value)
        elif value:
            sheet.write_string(row, 1, str(value), formats["text"])
    first = len(fields) + 2  # one empty row after the fields
    sheet.write_string(first, 0, "dataset", formats["header"])
    sheet.write_string(first, 1, "nil_return", formats["header"])
    sheet.write_comment(
        first,
        1,
        _(
            "Choose '{yes}' when the dataset has nothing to report this month (a nil return). "
            "Leave blank when you fill in its sheet."
        ).format(yes=_(NIL_TICK)),
    )
    for offset, name in enumerate(contract.dataset_names, start=1):
        sheet.write_string(first + offset, 0, name, formats["field"])
        if name in nil_datasets:
            sheet.write_string(first + offset, 1, _(NIL_TICK))
    last = first + len(contract.dataset_names)
    sheet.data_validation(
        first + 1,
        1,
        last,
        1,
        {
            "validate": "list",
            "source": [_(NIL_TICK)],
            "input_title": _("Nil return?"),
            "input_message": _(
                "{yes} = nothing to report this month; blank = see the dataset sheet."
            ).format(yes=_(NIL_TICK)),
        },
    )
    sheet.freeze_panes(1, 0)


class _ListsSheet:
    """The hidden sheet of code lists; remembers which column holds which list."""

    def __init__(self, contract: Contract, ports: list[str]) -> None:
        self.columns: dict[str, list[str]] = {}
        self.contract = contract
        self.ports = ports

    def reference(self, column: Column) -> str | None:
        """Excel range of the drop-down values for ``column``, or None when it has none."""
        if column.type == "code" and column.code_list:
            name = column.code_list
            values = drop_down_values(self.contract, name)
        elif column.type == "port" and self.ports:
            name = "port"
            values = [*self.ports, "_U"]
        else:
            return None
        if name not in self.columns:
            self.columns[name] = values
        index = list(self.columns).index(name)
        letter = xl_col_to_name(index)
        return f"={LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"

    def write(self, workbook, formats: dict) -> None:
        sheet = workbook.add_worksheet(LISTS_SHEET)
        for index, (name, values) in enumerate(self.columns.items()):
            sheet.write_string(0, index, name, formats["header"])
            for row, value in enumerate(values, start=1):
                sheet.write_string(row, index, value, formats["text"])
            sheet.set_column(index, index, max(12, len(name) + 2))
        sheet.hide()


def _write_dataset_sheet(
    workbook,
    formats: dict,
    contract: Contract,
    dataset: Dataset,
    frame: pd.DataFrame | None,
    lists: _ListsSheet,
) -> None:
    sheet = workbook.add_worksheet(dataset.name)
    columns = sheet_columns(dataset)
    rows = _frame_for_sheet(frame, dataset) if frame is not None else None
    last_row = (0 if rows is None else len(rows)) + EMPTY_ROWS_VALIDATED
    for index, column in enumerate(columns):
        sheet.write_string(0, index, column.name, formats["header"])
        sheet.write_comment(0, index, _column_help(column, contract), {"x_scale": 2, "y_scale": 2})
        width = max(len(column.name) + 4, 14 if column.type != "text" else 60)
        sheet.set_column(index, index, width)
        source = lists.reference(column)
        if source:
            sheet.data_validation(
                1,
                index,
                last_row,
                index,
                {
                    "validate": "list",
                    "source": source,
                    # A warning, not a stop: officers may type their own label, which the
                    # platform maps through the Secretariat's mapping table.
                    "error_type": "warning",
                    "error_title": _("Not a {column} code").format(column=column.name),
                    "error_message": _("Pick a code from the list, or keep your own label."),
                },
            )
        elif column.type == "boolean":
            sheet.data_validation(
                1,
                index,
                last_row,
                index,
                {"validate": "list", "source": [_(choice) for choice in BOOLEAN_CHOICES]},
            )
        elif column.type == "count":
            sheet.data_validation(
                1,
                index,
                last_row,
                index,
                {
                    "validate": "integer",
                    "criteria": ">=",
                    "value": 0,
                    "error_title": _("Not a count"),
                    "error_message": _("count is a whole number, 0 or more."),
                },
            )
    sheet.freeze_panes(1, 0)
    if rows is None:
        return
    # Each column as plain Python values at once, written row by row as before: the same cells in
    # the same order. A typed column's tolist() gives them already; an object column may hold
    # numpy scalars, made plain one by one.
    values = []
    for index in range(len(columns)):
        column_values = rows.iloc[:, index]
        values.append(
            list(map(_plain, column_values.tolist()))
            if column_values.dtype == object
            else column_values.tolist()
        )
    for row_index, record in enumerate(zip(*values, strict=True), start=1):
        for col_index, (column, value) in enumerate(zip(columns, record, strict=True)):
            _write_cell(sheet, row_index, col_index, value, column, formats, contract)


def _plain(value: object) -> object:
    """numpy scalars as plain Python values, so xlsxwriter writes them as numbers or text."""
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value
