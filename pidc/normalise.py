"""One normalisation for every label a member writes, so aliases match however they are typed.

The same rule runs in Python (intake, seed generation) and in SQL (dbt macro ``normalise_label``),
so it is deliberately simple: footnote markers off, lower case, accents off, every run of
characters outside ``[a-z0-9]`` becomes one space, trimmed.
"""

from __future__ import annotations

import re
import unicodedata

# Trailing markers spreadsheets attach to labels: "New Zealand (8)", "Fiji*", "Tonga [p]", "Samoa †".
_FOOTNOTE = re.compile(r"(\s*(\(\d{1,3}\)|\[[a-z]{1,3}\]|\*+|†|‡))+\s*$", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def strip_footnote(text: str) -> str:
    """``text`` without trailing footnote or provisional markers."""
    return _FOOTNOTE.sub("", text)


def normalise_label(text: object) -> str:
    """The canonical matching form of a label; ``""`` for blanks and ``None``."""
    if text is None:
        return ""
    value = strip_footnote(str(text).strip())
    value = unicodedata.normalize("NFKD", value.lower())
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", value).strip()
