"""One translation layer for everything Northstar says: gettext catalogs (Babel) and locale formats.

- `_("text {name}", name=...)` translates into the current language, then fills the fields;
  `ngettext(singular, plural, n, **fields)` picks the form for `n` (`n` is always a field).
- `N_("text")` only marks a constant for extraction; translate it where it is shown: `_(CONSTANT)`.
- The current language is per thread of execution (a Streamlit session's run, a CLI command):
  `set_language("sv")`, or `with use_language("sv"):`.
- Numbers, percentages and dates per locale: `number(1234.5, 1)` → "1 234,5" in Swedish.

Catalogs live in `locale/<lang>/LC_MESSAGES/northstar.po` (edited by people) and the compiled
`.mo` beside it (`make catalogs` extracts, updates and compiles; a test checks that the Swedish
catalog translates every string the code marks and that the `.mo` matches the `.po`).
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import os
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _format_date
from babel.numbers import format_decimal, format_percent

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "northstar"
LANGUAGES: dict[str, str] = {"en": "English", "sv": "Svenska"}
DEFAULT_LANGUAGE = "en"
LANG_ENV = "NORTHSTAR_LANG"

_current: ContextVar[str] = ContextVar("northstar_language", default=DEFAULT_LANGUAGE)


def parse_language(value: str | None) -> str | None:
    """A supported language from text like "sv", "sv-SE", "sv_SE.UTF-8" or "en-GB,en;q=0.9"."""
    for part in str(value or "").replace("_", "-").split(","):
        code = part.split(";")[0].split(".")[0].strip().split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return None


def default_language(*preferred: str | None) -> str:
    """NORTHSTAR_LANG if set, else the first supported of `preferred` (e.g. the browser's), else English."""
    return (parse_language(os.environ.get(LANG_ENV))
            or next((found for p in preferred if (found := parse_language(p))), None)
            or DEFAULT_LANGUAGE)


def set_language(lang: str) -> None:
    _current.set(parse_language(lang) or DEFAULT_LANGUAGE)


def language() -> str:
    return _current.get()


@contextlib.contextmanager
def use_language(lang: str) -> Iterator[None]:
    token = _current.set(parse_language(lang) or DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


@cache
def _translations(lang: str) -> _gettext.NullTranslations:
    if lang == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=True)


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it (for constants)."""
    return message


def _(message: str, /, **fields: object) -> str:
    text = _translations(language()).gettext(message)
    return text.format(**fields) if fields else text


def ngettext(singular: str, plural: str, n: int, /, **fields: object) -> str:
    """The form for `n`; `{n}` in the text is filled with `n` in the locale's number format."""
    text = _translations(language()).ngettext(singular, plural, n)
    return text.format(n=number(n), **fields)


def pgettext(context: str, message: str, /, **fields: object) -> str:
    """`message` in `context`, for a word that translates differently in different places."""
    text = _translations(language()).pgettext(context, message)
    return text.format(**fields) if fields else text


def _locale() -> Locale:
    try:
        return Locale.parse(language())
    except UnknownLocaleError:  # pragma: no cover - every LANGUAGES code is a Babel locale
        return Locale.parse(DEFAULT_LANGUAGE)


def number(value: float | int, decimals: int = 0) -> str:
    """`value` with the locale's grouping and decimal mark: 1,234.5 / 1 234,5."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=_locale())


def percent(fraction: float, decimals: int = 1) -> str:
    """`fraction` (0.125) as a percentage in the locale's form: 12.5% / 12,5 %."""
    base = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    pattern = f"{base}\xa0%" if language() == "sv" else f"{base}%"  # Swedish: a no-break space
    return format_percent(fraction, format=pattern, locale=_locale())


def day(value: date | datetime) -> str:
    """A date as people write it: 1 Mar 2026 / 1 mars 2026."""
    return _format_date(value, format="d MMM yyyy", locale=_locale())


def week(value: date | datetime) -> str:
    """The ISO week of `value`: "week 12, 2026" / "vecka 12, 2026"."""
    year, number_, _day = value.isocalendar()
    return _("week {number}, {year}", number=number_, year=year)
