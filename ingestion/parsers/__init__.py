"""Choose the parser for a file: the regional template, a declared layout, SDMX-CSV or long CSV."""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineWorkbook

from ingestion.errors import UnreadableFileError
from ingestion.parsers.common import ParsedSubmission
from ingestion.parsers.csv_returns import decode_text, parse_csv
from ingestion.parsers.declared_layout import find_layout, parse_declared
from ingestion.parsers.sdmx_csv import is_sdmx_csv, parse_sdmx_csv
from ingestion.parsers.template_workbook import RETURN_SHEET, parse_template


def parse_file(path: Path, kind: str, member: str | None) -> ParsedSubmission:
    """Parse ``path`` (already safety-checked as ``kind``: ``xlsx`` or ``csv``)."""
    if kind == "csv":
        with path.open("rb") as handle:
            head, _ = decode_text(handle.read(4096))
        if is_sdmx_csv(head.splitlines()[0] if head else ""):
            return parse_sdmx_csv(path, member)
        return parse_csv(path, member)
    try:
        sheets = CalamineWorkbook.from_path(str(path)).sheet_names
    except Exception as error:  # calamine raises its own error types for broken files
        raise UnreadableFileError(
            f"{path.name} could not be opened as an Excel workbook ({error}).",
            "Open it in Excel, check it is not password-protected, and save it as .xlsx.",
        ) from None
    if RETURN_SHEET in sheets:
        return parse_template(path, member)
    layout = find_layout(sheets, member)
    if layout:
        return parse_declared(path, member, layout)
    raise UnreadableFileError(
        f"{path.name} is neither the regional template (it has no {RETURN_SHEET!r} sheet) nor a "
        f"workbook with a declared layout{' for ' + member if member else ''}.",
        "Fill in the regional template (`pidc template` or the Submit page), or ask the "
        "Secretariat to declare your workbook's layout (docs/layouts.md).",
    )
