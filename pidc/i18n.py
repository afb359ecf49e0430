"""English and French (issue 16): gettext catalogs managed with Babel, and locale formatting.

The French catalog is ``pidc/locale/fr/LC_MESSAGES/messages.po``, committed as text and read at
run time (``babel.messages.pofile.read_po``), so a fresh clone needs no build step. Extraction:
``pybabel extract -F babel.cfg -o pidc/locale/messages.pot .`` then
``pybabel update -i pidc/locale/messages.pot -d pidc/locale -l fr`` (``make i18n``).

The current language is context-local (a ``ContextVar``): a command line run, a dashboard
session's script run or a test each sets its own, and threads started without a copied context
fall back to English. ``_`` and ``ngettext`` translate into it; ``format_count``,
``format_decimal``, ``format_percent`` and ``format_month`` write numbers and dates its way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import os
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SUPPORTED = ("en", "fr")
DEFAULT = "en"
LANGUAGE_ENV = "PIDC_LANG"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
# How each language names itself, for a language picker.
NAMES = {"en": "English", "fr": "Français"}

_current: ContextVar[str] = ContextVar("pidc_language", default=DEFAULT)


def normalise(language: str | None) -> str | None:
    """``"fr"``, ``"FR"``, ``"fr_FR.UTF-8"`` or ``"fr-NC"`` -> ``"fr"``; None when unsupported."""
    if not language:
        return None
    code = language.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    return code if code in SUPPORTED else None


def language_from_env(default: str = DEFAULT) -> str:
    """The language ``PIDC_LANG`` names, or ``default`` when unset or unsupported."""
    return normalise(os.environ.get(LANGUAGE_ENV)) or default


def set_language(language: str | None) -> str:
    """Make ``language`` current in this context (unsupported or empty: English); return it."""
    code = normalise(language) or DEFAULT
    _current.set(code)
    return code


def get_language() -> str:
    return _current.get()


@contextlib.contextmanager
def language(code: str | None) -> Iterator[str]:
    """Within the block, ``code`` is the current language; the previous one comes back after."""
    token = _current.set(normalise(code) or DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def catalog_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(code: str) -> NullTranslations:
    """The catalog for ``code``, read once per process (English and missing catalogs: none).

    The ``.po`` is compiled in memory; fuzzy entries are left out, as ``msgfmt`` leaves them: a
    guess is never shown as a translation.
    """
    path = catalog_path(code)
    if code == DEFAULT or not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code, domain=DOMAIN, ignore_obsolete=True)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _(message: str) -> str:
    """``message`` in the current language (as written when there is no translation)."""
    return translations(_current.get()).gettext(message)


gettext = _


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for ``count``, in the current language."""
    return translations(_current.get()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; translate it later, where it is shown, with ``_``."""
    return message


def locale() -> Locale:
    return Locale.parse(_current.get())


def format_count(value: int | float) -> str:
    """A whole number the current language's way: 4,025,589 (en), 4 025 589 (fr)."""
    return _count_in(round(value), _current.get())


@functools.lru_cache(maxsize=4096)
def _count_in(value: int, language: str) -> str:
    # Babel takes about 30 microseconds a number; reports and pages repeat the same counts.
    return numbers.format_decimal(value, locale=language)


def format_decimal(value: float, digits: int = 1) -> str:
    """A number with ``digits`` decimals: 12.5 (en), 12,5 (fr)."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return numbers.format_decimal(value, format=pattern, locale=_current.get())


def format_percent(value: float, digits: int = 1) -> str:
    """A share (0.125) as a percentage: 12.5% (en), 12,5 % (fr)."""
    pattern = locale().percent_formats[None].pattern
    if digits > 0:  # the last 0 of the integer part takes the decimals: #,##0.0 %
        head, _sep, tail = pattern.rpartition("0")
        pattern = f"{head}0.{'0' * digits}{tail}"
    return numbers.format_percent(value, format=pattern, locale=_current.get())


def format_month(value: dt.date | str) -> str:
    """A month, abbreviated: Oct 2023 (en), oct. 2023 (fr). Accepts a date or ``YYYY-MM``."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:7] + "-01")
    return dates.format_date(value, "MMM y", locale=_current.get())


def format_month_long(value: dt.date | str) -> str:
    """A month in full: October 2023 (en), octobre 2023 (fr)."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:7] + "-01")
    return dates.format_date(value, "MMMM y", locale=_current.get())


def format_date(value: dt.date) -> str:
    """A day: 2 Dec 2026 / 2 déc. 2026 (Babel's medium date)."""
    return dates.format_date(value, "medium", locale=_current.get())
