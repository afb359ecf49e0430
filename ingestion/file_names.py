"""File names a member chose, checked before they reach the ledger, a report or a grid.

A name is shown to other people (the ledger grid, reports, the quarantine folder), so one that
displays as something else or that a spreadsheet would run is refused:

- invisible characters: bidirectional controls (``..._\\u202egpj.csv`` displays as
  ``..._vsc.jpg``), zero-width and other format characters, control characters;
- formula-like names: starting (after any spaces or invisible characters) with ``=``, ``+``,
  ``-`` or ``@``, or with a tab or carriage return, which a spreadsheet opening an export of the
  ledger would read as a formula (OWASP CSV injection; the rule of :mod:`pidc.escaping`).

The file is rejected with a report; the ledger, the report and the quarantine copy carry the
name neutralised by :func:`shown_file_name` (invisible characters spelled ``[U+202E]``, a
formula-like name behind a ``'``), never the raw name.
"""

from __future__ import annotations

import unicodedata

from pidc.escaping import FORMULA_PREFIX, is_formula_like
from pidc.i18n import N_

# Unicode categories that never print: controls, format characters (bidi controls, zero-width
# spaces and joiners), line and paragraph separators, unassigned code points, surrogates.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cn", "Cs"}


def _invisible(character: str) -> bool:
    return unicodedata.category(character) in _INVISIBLE_CATEGORIES


INVISIBLE_NAME = N_(
    "The file name contains invisible characters ({characters}) that can make it display as "
    "another name (for example with a different extension)."
)
FORMULA_NAME = N_(
    "The file name starts with {first}, so a spreadsheet showing the list of submissions would "
    "read it as a formula."
)


def file_name_refusal(name: str) -> tuple[str, dict[str, str]] | None:
    """Why ``name`` is refused as a file name, as an English template (marked for translation)
    and its parameters, or None when it is a plain name."""
    hidden = sorted({f"U+{ord(ch):04X}" for ch in name if _invisible(ch)})
    if hidden:
        return INVISIBLE_NAME, {"characters": ", ".join(hidden)}
    if is_formula_like(name):
        return FORMULA_NAME, {"first": repr(name.lstrip()[:1])}
    return None


def file_name_problem(name: str) -> str | None:
    """Why ``name`` is refused as a file name, in English, or None when it is a plain name."""
    refusal = file_name_refusal(name)
    return refusal[0].format(**refusal[1]) if refusal else None


def shown_file_name(name: str) -> str:
    """``name`` as the ledger, reports and the quarantine folder show it: every invisible
    character spelled out as ``[U+XXXX]``, a formula-like name behind a ``'``.

    A plain name is returned unchanged, so the ledger keeps the name the member gave it.
    """
    shown = "".join(f"[U+{ord(ch):04X}]" if _invisible(ch) else ch for ch in name)
    shown = FORMULA_PREFIX + shown if is_formula_like(shown) else shown
    return fit_file_name(shown)


MAX_NAME_BYTES = 200


def fit_file_name(name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """``name`` shortened in its middle (``…``), extension kept, to at most ``max_bytes`` bytes
    of UTF-8: spelling out invisible characters can make a name longer than a file system
    allows, and the quarantine copy must always be written."""
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    stem, dot, suffix = name.rpartition(".")
    suffix = f"{dot}{suffix}" if stem and len(suffix) <= 10 else ""
    stem = stem if suffix else name
    budget = max_bytes - len(suffix.encode("utf-8")) - len("…".encode())
    kept = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return f"{kept}…{suffix}"
