"""Text from a member's file, made safe for the places it is shown: Markdown, HTML, spreadsheets.

Members' files are untrusted. A value such as ``[Fix it here](https://evil.example/fix)`` must read
as those characters wherever the platform shows it, never as a link, an image, a formula or a
hidden right-to-left override. Three helpers, one per kind of output:

- :func:`escape_markdown` for anything rendered as Markdown (validation reports, the dashboard).
- :func:`visible_controls` for plain text and HTML (after ``html.escape``): control, bidirectional
  and zero-width characters are shown as ``[U+202E]`` instead of acting on the text around them.
- :func:`neutralise_formula` (and :func:`neutralise_formula_sql`, the same rule in DuckDB SQL) for
  text a spreadsheet might run as a formula: the OWASP CSV-injection rule, also after leading
  whitespace or invisible characters.
"""

from __future__ import annotations

import re
import unicodedata

# --- visible control characters -------------------------------------------------------------

# Characters that change how the text around them is displayed without being seen themselves:
# bidirectional marks, embeddings, overrides and isolates, and zero-width characters.
# U+200D (zero-width joiner) is left alone: emoji sequences need it and it reorders nothing.
_INVISIBLE = frozenset(
    [
        *(0x061C, 0x00AD, 0x180E, 0x200B, 0x200C, 0x200E, 0x200F, 0x2060, 0xFEFF),
        *range(0x202A, 0x202F),  # LRE RLE PDF LRO RLO
        *range(0x2061, 0x2065),  # invisible operators
        *range(0x2066, 0x206A),  # LRI RLI FSI PDI
    ]
)
_LINE_BREAKS = frozenset("\t\n\r\v\f\x85\u2028\u2029")


def visible_controls(text: str) -> str:
    """``text`` with tabs and line breaks as spaces and other invisible characters spelt out.

    ``"report\\u202egpj.csv"`` becomes ``"report[U+202E]gpj.csv"``: the reader sees the trick
    instead of a file name displayed backwards.
    """
    out = []
    for char in text:
        if char in _LINE_BREAKS:
            out.append(" ")
        elif ord(char) in _INVISIBLE or unicodedata.category(char) == "Cc":
            out.append(f"[U+{ord(char):04X}]")
        else:
            out.append(char)
    return "".join(out)


# --- Markdown -------------------------------------------------------------------------------

# Every ASCII character with a meaning in CommonMark, GitHub-flavoured Markdown or Streamlit's
# Markdown (colour directives, LaTeX ``$``): a backslash makes each one literal.
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~$&=")
# A backslash does not stop autolink literals (``https://...``, ``www.``, ``name@host``) or
# emoji and icon short codes (``:smile:``): renderers such as remark-gfm find those in the text
# after escapes are resolved. An invisible WORD JOINER before ``:`` and ``@`` (and between ``www``
# and its dot) breaks every such pattern and changes nothing the reader sees.
WORD_JOINER = "\u2060"
_WWW_DOT = re.compile(r"(?i)(?<=www)(?=\.)")


def escape_markdown(value: object) -> str:
    """``value`` as Markdown that renders as exactly its characters, on one line.

    No links, images, autolinks, HTML, headings, lists, tables, emphasis, code, maths or short
    codes can come out of it, whatever it contains; safe inside a GFM table cell.
    """
    text = _WWW_DOT.sub(WORD_JOINER, visible_controls(str(value)))
    out = []
    for char in text:
        if char in _MARKDOWN_SPECIAL:
            out.append("\\" + char)
        elif char in ":@":
            out.append(WORD_JOINER + char)
        else:
            out.append(char)
    return "".join(out)


# --- spreadsheet formulas -------------------------------------------------------------------

# OWASP CSV injection: a cell starting with = + - @ (or their full-width forms), tab or carriage
# return may be run as a formula. Spreadsheets skip leading spaces and invisible characters, so
# the check looks past them. One pattern for Python ``re`` and DuckDB's RE2: ASCII as \x escapes,
# the rest as literal characters (neither engine reads the other's \u / \x{} syntax).
_LEADING = (
    r"\x00-\x20\x7f-\xa0" + "\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff"
)
_TRIGGERS = r"=+\-@" + "\uff1d\uff0b\uff0d\uff20"
FORMULA_PATTERN = rf"^(?:[\t\r]|[{_LEADING}]*[{_TRIGGERS}])"
# A text cell that is just a number ("-5", "+1.25") is a number to a spreadsheet, not a formula.
PLAIN_NUMBER_PATTERN = r"[+-]?[0-9]+(?:\.[0-9]+)?"
_FORMULA = re.compile(FORMULA_PATTERN)
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER_PATTERN)
FORMULA_PREFIX = "'"


def is_formula_like(value: object) -> bool:
    """True when a spreadsheet could take the text ``value`` for a formula."""
    return (
        isinstance(value, str)
        and _FORMULA.match(value) is not None
        and _PLAIN_NUMBER.fullmatch(value) is None
    )


def neutralise_formula(value: object) -> object:
    """A formula-like text cell with a leading apostrophe; anything else unchanged."""
    return FORMULA_PREFIX + value if is_formula_like(value) else value  # type: ignore[operator]


def sql_string(text: str) -> str:
    """``text`` as a SQL string literal, for the few places a value cannot be a parameter
    (DuckDB's ``attach`` takes its path as a literal)."""
    return "'" + text.replace("'", "''") + "'"


def neutralise_formula_sql(value: str) -> str:
    """DuckDB SQL for the varchar expression ``value``, neutralised as :func:`neutralise_formula`.

    A cheap exact pre-check skips the regular expression for almost every value: a formula-like
    text starts with a character below '0' (controls, space, + and -), '=' or '@', or one from
    DEL up (the other invisible and full-width characters).
    """
    return (
        f"case when ({value} < '0' or {value} >= chr(127) or {value}[1] in ('=', '@')) "
        f"and regexp_matches({value}, {sql_string(FORMULA_PATTERN)}) "
        f"and not regexp_full_match({value}, {sql_string(PLAIN_NUMBER_PATTERN)}) "
        f"then {sql_string(FORMULA_PREFIX)} || {value} else {value} end"
    )
