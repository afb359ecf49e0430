"""Refuse hostile files before any parser touches them.

Members' files come from laptops and email; a file that hides macros, lies about its type, expands
into gigabytes or claims a million-row sheet is refused with a plain message, never opened.
"""

from __future__ import annotations

import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ingestion.errors import HostileFileError

ALLOWED_SUFFIXES = {".xlsx", ".csv"}
MACRO_SUFFIXES = {".xlsm", ".xltm", ".xlam", ".xlsb", ".docm"}
LEGACY_SUFFIXES = {".xls"}
_DIMENSION = re.compile(rb'<dimension ref="(?:[A-Z]+\d+:)?([A-Z]+)(\d+)"')


@dataclass(frozen=True)
class Limits:
    """Safety limits; each can be set by an environment variable of the same upper-case name."""

    max_file_mb: float = 25.0
    max_unpacked_mb: float = 250.0
    max_compression_ratio: float = 200.0
    max_sheet_rows: int = 200_000
    max_sheet_columns: int = 500

    @classmethod
    def from_environment(cls) -> Limits:
        values = {}
        for name, default in cls.__dataclass_fields__.items():
            raw = os.environ.get(f"PIDC_{name.upper()}")
            if raw:
                values[name] = type(default.default)(raw)  # type: ignore[arg-type]
        return cls(**values)


def safe_file_name(name: str) -> str:
    """``name`` if it is a plain file name; raises for path tricks and control characters."""
    cleaned = unicodedata.normalize("NFC", name)
    if (
        not cleaned
        or cleaned in {".", ".."}
        or "/" in cleaned
        or "\\" in cleaned
        or "\x00" in cleaned
        or any(unicodedata.category(ch) == "Cc" for ch in cleaned)
        or cleaned.startswith(".")
        or ":" in cleaned
        or len(cleaned) > 200
    ):
        raise HostileFileError(
            f"The file name {name!r} is not allowed.",
            "Rename the file to a plain name such as FJI_2026-10.xlsx (letters, digits, - and _).",
        )
    return cleaned


def _check_xlsx(path: Path, limits: Limits) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise HostileFileError(
            f"{path.name} is named .xlsx but is not an Excel workbook.",
            "Open it in Excel and use Save As > Excel Workbook (.xlsx).",
        ) from None
    with archive:
        names = archive.namelist()
        if any(n.lower().endswith("vbaproject.bin") for n in names) or any(
            "macroenabled" in archive.read(n).decode("utf-8", "ignore").lower()
            for n in names
            if n == "[Content_Types].xml"
        ):
            raise HostileFileError(
                f"{path.name} contains macros, which are never accepted.",
                "Save the workbook as a plain Excel Workbook (.xlsx), without macros.",
            )
        if "xl/workbook.xml" not in names:
            raise HostileFileError(
                f"{path.name} is a zip file but not an Excel workbook.",
                "Submit the Excel workbook itself (.xlsx).",
            )
        unpacked = sum(info.file_size for info in archive.infolist())
        packed = max(1, sum(info.compress_size for info in archive.infolist()))
        if (
            unpacked > limits.max_unpacked_mb * 1e6
            or unpacked / packed > limits.max_compression_ratio
        ):
            raise HostileFileError(
                f"{path.name} expands to {unpacked / 1e6:,.0f} MB "
                f"({unpacked / packed:,.0f} times its size), which looks like a zip bomb.",
                "Send the return as a normal workbook; if it is genuine, split it by month.",
            )
        for name in names:
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as sheet:
                head = sheet.read(4096)
            match = _DIMENSION.search(head)
            if not match:
                continue
            letters, rows = match[1].decode(), int(match[2])
            columns = 0
            for letter in letters:
                columns = columns * 26 + (ord(letter) - 64)
            if rows > limits.max_sheet_rows or columns > limits.max_sheet_columns:
                raise HostileFileError(
                    f"{path.name} has a sheet of {rows:,} rows x {columns:,} columns, more "
                    f"than the limit of {limits.max_sheet_rows:,} x {limits.max_sheet_columns}.",
                    "Delete the unused rows and columns (select them, Delete, save) and resubmit.",
                )


def _check_csv(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(8192)
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    binary_signatures = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x7fELF", b"MZ")
    if head.startswith(binary_signatures) or (b"\x00" in head and not utf16):
        raise HostileFileError(
            f"{path.name} is named .csv but is not a text file.",
            "Export the sheet from Excel with File > Save As > CSV, and send that file.",
        )


def check_file(path: Path, limits: Limits | None = None) -> str:
    """Refuse ``path`` if it is unsafe; return the format to parse it as (``xlsx`` or ``csv``)."""
    limits = limits or Limits.from_environment()
    safe_file_name(path.name)
    suffix = path.suffix.lower()
    if suffix in MACRO_SUFFIXES:
        raise HostileFileError(
            f"{path.name} is a macro-enabled or binary workbook ({suffix}), which is never accepted.",
            "Save it as a plain Excel Workbook (.xlsx) and submit that.",
        )
    if suffix in LEGACY_SUFFIXES:
        raise HostileFileError(
            f"{path.name} is an old-style Excel 97-2003 file (.xls).",
            "Open it in Excel and use Save As > Excel Workbook (.xlsx).",
        )
    if suffix not in ALLOWED_SUFFIXES:
        raise HostileFileError(
            f"{path.name}: files of type {suffix or '(none)'} are not accepted.",
            "Submit the regional template (.xlsx) or a CSV export (.csv).",
        )
    size = path.stat().st_size
    if size > limits.max_file_mb * 1e6:
        raise HostileFileError(
            f"{path.name} is {size / 1e6:,.1f} MB, over the {limits.max_file_mb:g} MB limit.",
            "Split the return into one file per month or dataset, or ask the Secretariat to "
            "raise PIDC_MAX_FILE_MB.",
        )
    if size == 0:
        raise HostileFileError(f"{path.name} is empty.", "Send the file again; it arrived empty.")
    if suffix == ".xlsx":
        _check_xlsx(path, limits)
        return "xlsx"
    _check_csv(path)
    return "csv"
