"""Choose the parser for a file: the regional template, a declared layout, SDMX-CSV or long CSV.

A member's own publication (workbook or CSV) is read through the declared layouts of that
member whose file-name patterns, sheets and header signature it matches; every other CSV must be
SDMX-CSV or the regional long format.
"""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineWorkbook

from ingestion.errors import UnreadableFileError
from ingestion.layout_schema import broken_layouts
from ingestion.messages import phrase
from ingestion.parsers.common import ParsedSubmission
from ingestion.parsers.csv_returns import dataset_from_file_name, decode_text, parse_csv
from ingestion.parsers.declared_layout import matching_layouts, parse_declared
from ingestion.parsers.sdmx_csv import is_sdmx_csv, parse_sdmx_csv
from ingestion.parsers.template_workbook import RETURN_SHEET, parse_template
from pidc.i18n import N_


def _broken_note() -> str | dict:
    """The layout files that could not be read, since one of them may be this file's (a
    message param: ingestion.messages)."""
    broken = broken_layouts()
    if not broken:
        return ""
    return phrase(
        N_(" Layout files that could not be read (one may be this file's): {files}"),
        files="; ".join(broken),
    )


def parse_file(path: Path, kind: str, member: str | None) -> ParsedSubmission:
    """Parse ``path`` (already safety-checked as ``kind``: ``xlsx`` or ``csv``)."""
    if kind == "csv":
        with path.open("rb") as handle:
            head, _ = decode_text(handle.read(4096))
        if is_sdmx_csv(head.splitlines()[0] if head else ""):
            return parse_sdmx_csv(path, member)
        layouts = matching_layouts(path, member, None)
        if layouts:
            return parse_declared(path, member, layouts)
        if dataset_from_file_name(path.name) is None:
            raise UnreadableFileError(
                N_(
                    "{file} is not a return this platform can read: it is not SDMX-CSV, its "
                    "name does not say which dataset it holds (as a regional CSV return's does), "
                    "and no declared layout of {member} matches its name or header."
                )
                if member
                else N_(
                    "{file} is not a return this platform can read: it is not SDMX-CSV, its "
                    "name does not say which dataset it holds (as a regional CSV return's does), "
                    "and no declared layout matches its name or header."
                ),
                N_(
                    "If this is your office's own monthly publication, ask the Secretariat to "
                    "declare a layout for this publication (docs/layouts.md; `pidc layout check` "
                    "shows what it would read); if it is a regional CSV return, put the dataset "
                    "in its name, e.g. FJI_refusals_2026-10.csv.{broken}"
                ),
                audience="secretariat",
                params={"file": path.name, "member": member or "", "broken": _broken_note()},
            )
        return parse_csv(path, member)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = workbook.sheet_names
    except Exception as error:  # calamine raises its own error types for broken files
        raise UnreadableFileError(
            N_("{file} could not be opened as an Excel workbook ({error})."),
            N_("Open it in Excel, check it is not password-protected, and save it as .xlsx."),
            params={"file": path.name, "error": str(error)},
        ) from None
    if RETURN_SHEET in sheets:
        return parse_template(path, member, workbook)
    layouts = matching_layouts(path, member, sheets)
    if layouts:
        return parse_declared(path, member, layouts)
    raise UnreadableFileError(
        N_(
            "{file} is neither the regional template (it has no {sheet} sheet) nor a workbook "
            "with a declared layout for {member}."
        )
        if member
        else N_(
            "{file} is neither the regional template (it has no {sheet} sheet) nor a workbook "
            "with a declared layout."
        ),
        N_(
            "Fill in the regional template (`pidc template` or the Submit page), or ask the "
            "Secretariat to declare a layout for this publication (docs/layouts.md; `pidc layout "
            "check` shows what it would read).{broken}"
        ),
        audience="secretariat",
        params={
            "file": path.name,
            "sheet": repr(RETURN_SHEET),
            "member": member or "",
            "broken": _broken_note(),
        },
    )
