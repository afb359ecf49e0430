"""Messages kept language-neutral: an English template (the gettext msgid) and named params.

A validation problem or an intake error is written once, when a file is read, and read later,
perhaps in another language (a report shown in French on the dashboard, written in English for
the ledger). So it keeps its template, marked with ``N_`` for extraction, and its params (JSON:
what the file said, counts, codes), and is rendered with :func:`render` when it is shown:
``_(template).format(**params)`` in the current language.

A param is a string or a number shown as it is (values quoted from a file are never
translated), or one of these JSON objects, rendered in the current language too:

- ``{"template": ..., "params": {...}}`` (:func:`phrase`): a part of a sentence to translate;
- ``{"count": n}`` (:func:`number`): a number written the language's way (4 025 589);
- ``{"decimal": x}`` (:func:`decimal`): one decimal, the language's way (12,5);
- ``{"or": [...]}`` / ``{"and": [...]}`` (:func:`either`, :func:`each`): a list joined with
  the language's "or" or "and" (``FJI, WSM or TON``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from babel.lists import format_list

from pidc import i18n
from pidc.i18n import N_, _

CLIPPED = N_("{start}… ({length} characters in all)")


def phrase(template: str, **params: Any) -> dict:
    """A translatable part of a sentence, used as a param of another message."""
    return {"template": template, "params": params}


def number(value: int | float) -> dict:
    """A count shown with the current language's digit grouping."""
    return {"count": value}


def decimal(value: float) -> dict:
    """A number with one decimal, written the current language's way (12.5 / 12,5)."""
    return {"decimal": value}


def either(items: Iterable[Any]) -> dict:
    """Items joined with "or" in the current language (``a, b or c``)."""
    return {"or": list(items)}


def each(items: Iterable[Any]) -> dict:
    """Items joined with "and" in the current language (``a, b and c``)."""
    return {"and": list(items)}


def _shown(value: Any) -> Any:
    """One param as text in the current language (see the module's docstring)."""
    if isinstance(value, dict):
        if "template" in value:
            return render(str(value["template"]), value.get("params") or {})
        if "count" in value:
            return i18n.format_count(value["count"])
        if "decimal" in value:
            return i18n.format_decimal(value["decimal"], 1)
        for style, key in (("or", "or"), ("standard", "and")):
            if key in value:
                items = [str(_shown(item)) for item in value[key]]
                return format_list(items, style=style, locale=i18n.get_language()) if items else ""
    if isinstance(value, list):
        return ", ".join(str(_shown(item)) for item in value)
    return value


def render(template: str, params: Mapping[str, Any] | None = None) -> str:
    """``template`` in the current language with ``params`` filled in ("" for "").

    A translation that does not fit its params (a catalog mistake) falls back to the English
    template: a report is always shown, never an exception.
    """
    if not template:
        return ""  # gettext("") is the catalog's header, not an empty message
    values = {name: _shown(value) for name, value in (params or {}).items()}
    try:
        return _(template).format(**values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return template.format(**values)


def english(template: str, params: Mapping[str, Any] | None = None) -> str:
    """``template`` rendered in English, whatever the current language."""
    with i18n.language("en"):
        return render(template, params)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was (current language)."""
    if len(text) <= limit:
        return text
    return render(CLIPPED, {"start": text[:limit], "length": number(len(text))})


def clip_params(params: Mapping[str, Any], limit: int) -> dict:
    """``params`` with every long string (a value quoted from a file) cut to ``limit``.

    The cut one becomes a :func:`phrase`, so "characters in all" is said in the reader's
    language while the quoted characters stay as they were.
    """
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, str) and len(value) > limit:
            value = phrase(CLIPPED, start=value[:limit], length=number(len(value)))
        elif isinstance(value, dict) and "params" in value:
            value = {**value, "params": clip_params(value["params"] or {}, limit)}
        elif isinstance(value, dict):
            value = {
                key: [clip_params({"v": item}, limit)["v"] for item in items]
                if isinstance(items, list)
                else items
                for key, items in value.items()
            }
        out[name] = value
    return out
