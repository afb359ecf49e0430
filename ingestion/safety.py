"""Refuse hostile files before any parser touches them.

Members' files come from laptops and email; a file that hides macros, lies about its type, expands
into gigabytes or reaches a million rows is refused with a plain message, never opened.

A sheet's size is measured from its cells, never taken on trust from its ``<dimension>`` tag
(which any program can write, and which the regional template itself writes as ``A1:C1``): a
parser sizes its grid from the farthest cell, so one cell at ``XFD1048576`` asks it for half a
terabyte. Every worksheet part is streamed in chunks and each ``<row r=...>`` and ``<c r=...>`` is
read (rows and cells without ``r`` are counted by position), in bounded memory, before any parser
opens the file.

Most parts are plain XML whose every row and cell has a well-formed ``r`` within the limits; a
few counts and two regular-expression searches per chunk show that without making a Python
object per cell (:func:`sheet_within`). A part it cannot clear that way (a reference past the limits, a tag
without ``r``, quotes or prefixes) is measured exactly (:func:`sheet_extent`), and that measure,
never the fast one, decides.
"""

from __future__ import annotations

import functools
import html
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from ingestion.errors import HostileFileError
from ingestion.messages import decimal, number, phrase
from pidc.i18n import N_

ALLOWED_SUFFIXES = {".xlsx", ".csv"}
MACRO_SUFFIXES = {".xlsm", ".xltm", ".xlam", ".xlsb", ".docm"}
LEGACY_SUFFIXES = {".xls"}
_DIMENSION = re.compile(rb'<dimension ref="(?:[A-Z]+\d+:)?([A-Z]+)(\d+)"')
# A sheet's grid is <row r="7"> and <c r="B7"> tags (r may be left out: then position counts).
# Fast path, for a piece of plain XML (no namespace prefix on grid tags, no single quotes, so
# no attribute value can hide an r="..."): count the tags, read every r, compare the counts.
_ANY_ROW = re.compile(rb"<row[\s/>]")
_ANY_CELL = re.compile(rb"<c[\s/>]")
_ROW_DIGITS = re.compile(rb'<row(?=\s)[^>]*?\sr\s*=\s*"0*(\d{1,9})"')
# Letters and digits of each <c r=...>, from one scan.
_CELL_REFERENCE = re.compile(rb'<c(?=\s)[^>]*?\sr\s*=\s*"([A-Za-z]{1,6})0*(\d{1,9})"')
_NOT_PLAIN = re.compile(rb"'|<[\w.-]+:(?:row|c)[\s/>]")
# Slow path, tag by tag: any prefix, either quote, and rows and cells placed by position.
_GRID_START = re.compile(rb"<(?:[\w.-]+:)?(row|c)[\s/>]")
_GRID_TAG = re.compile(
    rb"""<(?:[\w.-]+:)?(?:row|c)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*/?>"""
)
_ATTRIBUTE = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REFERENCE = re.compile(rb"\s*([A-Za-z]*)(\d*)\s*")
_CHUNK = 1 << 20
# No tag of a real worksheet comes near this long.
_MAX_TAG_BYTES = 1 << 20


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
        # File systems count bytes: 150 accented letters are 300 bytes, past most limits.
        or len(cleaned.encode("utf-8")) > 200
    ):
        raise HostileFileError(
            N_("The file name {name} is not allowed."),
            N_(
                "Rename the file to a plain name such as FJI_2026-10.xlsx (letters, digits, - and _)."
            ),
            params={"name": repr(name)},
        )
    return cleaned


def _check_xlsx(path: Path, limits: Limits) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise HostileFileError(
            N_("{file} is named .xlsx but is not an Excel workbook."),
            N_("Open it in Excel and use Save As > Excel Workbook (.xlsx)."),
            params={"file": path.name},
        ) from None
    with archive:
        names = archive.namelist()
        if any(n.lower().endswith("vbaproject.bin") for n in names) or any(
            "macroenabled" in archive.read(n).decode("utf-8", "ignore").lower()
            for n in names
            if n == "[Content_Types].xml"
        ):
            raise HostileFileError(
                N_("{file} contains macros, which are never accepted."),
                N_("Save the workbook as a plain Excel Workbook (.xlsx), without macros."),
                params={"file": path.name},
            )
        if "xl/workbook.xml" not in names:
            raise HostileFileError(
                N_("{file} is a zip file but not an Excel workbook."),
                N_("Submit the Excel workbook itself (.xlsx)."),
                params={"file": path.name},
            )
        unpacked = sum(info.file_size for info in archive.infolist())
        packed = max(1, sum(info.compress_size for info in archive.infolist()))
        if (
            unpacked > limits.max_unpacked_mb * 1e6
            or unpacked / packed > limits.max_compression_ratio
        ):
            raise HostileFileError(
                N_(
                    "{file} expands to {megabytes} MB ({ratio} times its size), which looks "
                    "like a zip bomb."
                ),
                N_("Send the return as a normal workbook; if it is genuine, split it by month."),
                params={
                    "file": path.name,
                    "megabytes": number(round(unpacked / 1e6)),
                    "ratio": number(round(unpacked / packed)),
                },
            )
        sheets = _sheet_names(archive)
        for info in archive.infolist():
            if info.filename.lower().endswith(".xml") and not info.is_dir():
                _check_extent(archive, info, path, limits, sheets.get(info.filename))


_SHEET = re.compile(rb'<(?:[\w.-]+:)?sheet\s[^>]*?\bname\s*=\s*"([^"]*)"[^>]*?:id\s*=\s*"([^"]*)"')
_RELATIONSHIP = re.compile(
    rb'<(?:[\w.-]+:)?Relationship\s[^>]*?\bId\s*=\s*"([^"]*)"[^>]*?\bTarget\s*=\s*"([^"]*)"'
)


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part -> the sheet's name as Excel shows it, as far as the workbook says (only
    for messages: every XML part is measured whatever it is called)."""
    try:
        with archive.open("xl/workbook.xml") as part:
            workbook = part.read(_MAX_TAG_BYTES)
        with archive.open("xl/_rels/workbook.xml.rels") as part:
            relationships = part.read(_MAX_TAG_BYTES)
    except (KeyError, OSError, zipfile.BadZipFile, EOFError, ValueError):
        return {}
    targets = {}
    for identifier, target in _RELATIONSHIP.findall(relationships):
        target = target.decode("utf-8", "replace")
        targets[identifier] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    names = {}
    for name, identifier in _SHEET.findall(workbook):
        if identifier in targets:
            names[targets[identifier]] = html.unescape(name.decode("utf-8", "replace"))
    return names


_FAR = 10**9  # stands for a row or column number too long to be real


def column_number(letters: str) -> int:
    """A column's letters as its number: A is 1, Z 26, AA 27, XFD 16384."""
    if len(letters) > 6:
        return _FAR
    number = 0
    for letter in letters.upper():
        number = number * 26 + (ord(letter) - 64)
    return number


def column_letters(number: int) -> str:
    """A column's number as its letters: 1 is A, 16384 XFD."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _row_number(digits: bytes) -> int:
    return int(digits) if len(digits) <= 9 else _FAR


def _pieces(stream) -> Iterator[bytes]:
    """``stream`` in pieces of about a megabyte, each cut just before a ``<`` (which only ever
    starts markup), so no tag is split between two pieces. Text beyond a megabyte after the
    last tag is skipped; a tag longer than that arrives cut, and is then malformed."""
    carry = b""
    while chunk := stream.read(_CHUNK):
        text = carry + chunk
        start = text.rfind(b"<")
        if start == -1:
            carry = b""
            continue
        yield text[:start]
        carry = text[start:]
        if len(carry) > _MAX_TAG_BYTES:
            yield carry[:_MAX_TAG_BYTES]
            carry = b""
    yield carry


def sheet_extent(stream) -> tuple[int, int]:
    """The rows and columns a worksheet part really spans: (last row, last column), 1-based.

    Read from its rows and cells, never from its ``<dimension>``; the part is streamed, so
    memory stays at a few megabytes whatever its size. Raises ``ValueError`` for a row or cell
    tag that is not well-formed.
    """
    rows = columns = 0
    pieces = _pieces(stream)
    for piece in pieces:
        if _not_plain(piece):
            return _positional_extent(piece, pieces, rows, columns)
        row_digits = _ROW_DIGITS.findall(piece)
        cells = _CELL_REFERENCE.findall(piece)
        if not _all_rows_placed(piece, len(row_digits)) or not _all_cells_placed(piece, len(cells)):
            # Some row or cell is placed by position (or written oddly): count tag by tag.
            return _positional_extent(piece, pieces, rows, columns)
        if row_digits:
            rows = max(rows, *map(int, set(row_digits)))
        if cells:
            cell_letters, cell_digits = zip(*cells, strict=True)
            rows = max(rows, *map(int, set(cell_digits)))
            columns = max(columns, *(column_number(c.decode()) for c in set(cell_letters)))
    return rows, columns


def _not_plain(piece: bytes) -> bool:
    """Whether ``_NOT_PLAIN`` matches ``piece``: a quote, or a prefixed row or cell tag (which
    needs ":row" or ":c" in it, found faster than by the pattern)."""
    return b"'" in piece or (
        (b":row" in piece or b":c" in piece) and _NOT_PLAIN.search(piece) is not None
    )


# Whether every row (cell) tag of a piece is one of the ``found`` read with its r. Each match
# is a distinct tag, so found <= tags <= the times "<row" ("<c" less "<co", as in <col>) occurs:
# when found equals the count the tags need no scan of their own.
def _all_rows_placed(piece: bytes, found: int) -> bool:
    return found == piece.count(b"<row") or found == len(_ANY_ROW.findall(piece))


def _all_cells_placed(piece: bytes, found: int) -> bool:
    return found == piece.count(b"<c") - piece.count(b"<co") or found == len(
        _ANY_CELL.findall(piece)
    )


def _positional_extent(
    piece: bytes, pieces: Iterator[bytes], rows: int, columns: int
) -> tuple[int, int]:
    """The extent counted tag by tag from ``piece`` on: a row without r follows the row before
    it, a cell without r the cell before it in its row (as parsers place them)."""
    row, column = rows, 0
    for text in chain([piece], pieces):
        for start in _GRID_START.finditer(text):
            tag = _GRID_TAG.match(text, start.start())
            if tag is None:
                raise ValueError(f"a malformed <{start[1].decode()}> tag")
            letters = digits = b""
            for attribute in _ATTRIBUTE.finditer(tag[1]):
                if attribute[1] == b"r":
                    reference = _REFERENCE.fullmatch(attribute[2] or attribute[3] or b"")
                    if reference is None:
                        raise ValueError(f"a malformed reference {attribute[0][:40]!r}")
                    letters, digits = reference[1], reference[2]
            if start[1] == b"row":
                row, column = (_row_number(digits) if digits else row + 1), 0
                rows = max(rows, row)
                continue
            column = column_number(letters.decode()) if letters else column + 1
            rows = max(rows, _row_number(digits) if digits else row)
            columns = max(columns, column)
    return rows, columns


def _at_most(limit: int, alphabet: str) -> bytes:
    """A pattern for the numbers written in ``alphabet`` (``0123456789`` for row numbers without
    leading zeros, ``A``-``Z`` for column letters, either case) from 1 to ``limit``: every
    shorter one, each of the same length smaller at its first differing place, and the limit."""
    letters = alphabet.isalpha()
    written = column_letters(limit) if letters else str(limit)
    if limit < 1:
        return rb"(?!)"  # nothing

    def one_of(characters: str) -> str:
        return characters + characters.lower() if letters else characters

    first, any_character = ("A-Za-z", "[A-Za-z]") if letters else ("1-9", "[0-9]")
    # Shorter than the limit (a written number never starts with 0).
    alternatives = [f"[{first}]{any_character}{{0,{len(written) - 2}}}"] if written[1:] else []
    for place, character in enumerate(written):
        lowest = 1 if place == 0 and not letters else 0
        smaller = alphabet[lowest : alphabet.index(character)]
        if smaller:
            tail = len(written) - place - 1
            prefix = "".join(f"[{one_of(c)}]" for c in written[:place])
            alternatives.append(f"{prefix}[{one_of(smaller)}]{any_character}{{{tail}}}")
    alternatives.append("".join(f"[{one_of(c)}]" for c in written))
    return "|".join(alternatives).encode()


# The form every writer of real workbooks uses: r first, in double quotes.
_CELL_TAG, _ROW_TAG = b'<c r="', b'<row r="'


@functools.lru_cache(maxsize=8)
def _past_limits(max_rows: int, max_columns: int) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """Searches for a cell (a row) tag, ``<c`` (``<row``) then a space, ``/`` or ``>``, that is
    not of the form ``<c r="`` (``<row r="``) followed by a reference :data:`_CELL_REFERENCE`
    (:data:`_ROW_DIGITS`) reads within ``max_rows`` and ``max_columns``. Each starts with its
    tag's text, so the search skips from tag to tag, and tries one look-ahead at each: the
    reference as it must be (a column from 1 to the limit, any leading zeros, then row 0 or a
    row from 1 to the limit, and the closing quote). One search per piece both checks that every
    tag is placed by its r (as :func:`sheet_extent` reads it at once) and that each is within
    the limits."""
    # Never more than those readers read (six letters, nine digits after the zeros): anything
    # longer is not cleared here, and sheet_extent, which decides, measures it.
    rows = _at_most(min(max_rows, 10**9 - 1), "0123456789")
    columns = _at_most(min(max_columns, column_number("ZZZZZZ")), "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    row_within = rb"(?:0+|0*(?:" + rows + rb'))"'
    tag_end = rb"(?=[\s/>])"
    cells = re.compile(
        rb"<c" + tag_end + rb"(?!" + re.escape(_CELL_TAG[2:]) + rb"(?:" + columns + rb")"
        + row_within + rb")"
    )  # fmt: skip
    grid_rows = re.compile(
        rb"<row" + tag_end + rb"(?!" + re.escape(_ROW_TAG[4:]) + row_within + rb")"
    )
    return cells, grid_rows


def sheet_within(stream, max_rows: int, max_columns: int) -> bool:
    """Whether a worksheet part plainly lies within ``max_rows`` x ``max_columns``.

    True only when every piece is plain XML (as :func:`sheet_extent` reads it), every row and
    cell tag there opens with its ``r`` (``<row r="7"``, ``<c r="B7"``: how Excel, LibreOffice,
    openpyxl and xlsxwriter write them) and every such reference is well-formed and within the
    limits; :func:`sheet_extent` then reads the same references and finds the part within the
    limits too. False means "not shown", not "too large": measure the part with
    :func:`sheet_extent`. Streamed like it, in bounded memory, and without a Python object per
    cell: the tags are searched, not collected.
    """
    cells_past, rows_past = _past_limits(max_rows, max_columns)
    for piece in _pieces(stream):
        if _not_plain(piece) or cells_past.search(piece) or rows_past.search(piece):
            return False
    return True


class _Reread:
    """A part's stream from its start again after its ``head`` was read: its first ``read``
    returns ``head`` and the bytes after it, as many as reading it afresh would (a zip member's
    ``read(n)`` returns n bytes until its end), so the part is opened and inflated once."""

    def __init__(self, head: bytes, stream) -> None:
        self._head: bytes | None = head
        self._stream = stream

    def read(self, size: int) -> bytes:
        head, self._head = self._head, None
        if head is None:
            return self._stream.read(size)
        if len(head) >= size:  # never for sheet_extent's chunks, which are larger than a head
            self._head = head[size:]
            return head[:size]
        return head + self._stream.read(size - len(head))


def _check_extent(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    path: Path,
    limits: Limits,
    sheet: str | None,
) -> None:
    """Refuse ``path`` if the part ``info`` (the sheet named ``sheet``) has a grid larger than
    the limits."""
    try:
        with archive.open(info) as part:
            head = part.read(4096)
            declared = _DIMENSION.search(head)
            within = sheet_within(
                _Reread(head, part), limits.max_sheet_rows, limits.max_sheet_columns
            )
        if within and declared:
            within = (
                _row_number(declared[2]) <= limits.max_sheet_rows
                and column_number(declared[1].decode()) <= limits.max_sheet_columns
            )
        if within:
            return
        with archive.open(info) as part:  # measured exactly: for the decision and the message
            rows, columns = sheet_extent(part)
    except (ValueError, zipfile.BadZipFile, OSError, EOFError) as error:
        raise HostileFileError(
            N_(
                "{file} could not be read safely: its part {part} is damaged or malformed ({error})."
            ),
            N_("Open it in Excel, save it again as an Excel Workbook (.xlsx) and resubmit."),
            params={"file": path.name, "part": info.filename, "error": str(error)},
        ) from None
    if declared:
        # A declared size larger than the cells is refused too: some readers allocate from it.
        rows = max(rows, _row_number(declared[2]))
        columns = max(columns, column_number(declared[1].decode()))
    if rows > limits.max_sheet_rows or columns > limits.max_sheet_columns:
        where = (
            phrase(N_("sheet {sheet}"), sheet=repr(sheet))
            if sheet
            else phrase(N_("part {part}"), part=info.filename)
        )
        raise HostileFileError(
            N_(
                "{file} has a sheet of {rows} rows x {columns} columns ({where} reaches row "
                "{rows} and column {letters}), more than the limit of {max_rows} x "
                "{max_columns}."
            ),
            N_(
                "Delete the unused rows and columns (select them, Delete, save) and resubmit; a "
                "single stray cell far down or to the right is enough to make a sheet this large."
            ),
            params={
                "file": path.name,
                "rows": number(rows),
                "columns": number(columns),
                "where": where,
                "letters": column_letters(columns),
                "max_rows": number(limits.max_sheet_rows),
                "max_columns": number(limits.max_sheet_columns),
            },
        )


def _check_csv(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(8192)
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    binary_signatures = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x7fELF", b"MZ")
    if head.startswith(binary_signatures) or (b"\x00" in head and not utf16):
        raise HostileFileError(
            N_("{file} is named .csv but is not a text file."),
            N_("Export the sheet from Excel with File > Save As > CSV, and send that file."),
            params={"file": path.name},
        )


def check_file(path: Path, limits: Limits | None = None) -> str:
    """Refuse ``path`` if it is unsafe; return the format to parse it as (``xlsx`` or ``csv``)."""
    limits = limits or Limits.from_environment()
    safe_file_name(path.name)
    suffix = path.suffix.lower()
    if suffix in MACRO_SUFFIXES:
        raise HostileFileError(
            N_("{file} is a macro-enabled or binary workbook ({suffix}), which is never accepted."),
            N_("Save it as a plain Excel Workbook (.xlsx) and submit that."),
            params={"file": path.name, "suffix": suffix},
        )
    if suffix in LEGACY_SUFFIXES:
        raise HostileFileError(
            N_("{file} is an old-style Excel 97-2003 file (.xls)."),
            N_("Open it in Excel and use Save As > Excel Workbook (.xlsx)."),
            params={"file": path.name},
        )
    if suffix not in ALLOWED_SUFFIXES:
        raise HostileFileError(
            N_("{file}: files of type {suffix} are not accepted.")
            if suffix
            else N_("{file}: files without a type (.xlsx or .csv) are not accepted."),
            N_("Submit the regional template (.xlsx) or a CSV export (.csv)."),
            params={"file": path.name, "suffix": suffix},
        )
    size = path.stat().st_size
    if size > limits.max_file_mb * 1e6:
        raise HostileFileError(
            N_("{file} is {megabytes} MB, over the {limit} MB limit."),
            N_(
                "Split the return into one file per month or dataset, or ask the Secretariat to "
                "raise PIDC_MAX_FILE_MB."
            ),
            params={
                "file": path.name,
                "megabytes": decimal(size / 1e6),
                "limit": f"{limits.max_file_mb:g}",
            },
        )
    if size == 0:
        raise HostileFileError(
            N_("{file} is empty."),
            N_("Send the file again; it arrived empty."),
            params={"file": path.name},
        )
    if suffix == ".xlsx":
        _check_xlsx(path, limits)
        return "xlsx"
    _check_csv(path)
    return "csv"
