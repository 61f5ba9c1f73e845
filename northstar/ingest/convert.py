"""Turn staged text columns into typed role values: timestamps, numbers; checked, with examples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from northstar.errors import NorthstarError
from northstar.i18n import N_, _, lazy, ngettext, number
from northstar.ingest.derived import DerivedExpression
from northstar.ingest.roles import role_word
from northstar.store import fetch_one, quote_ident, quote_literal

# Values exports use for "nothing here"; they count as missing, not as unparseable.
NULL_TOKENS = ("", "na", "n/a", "null", "none", "nan", "-", "nil", "(null)", "undefined")
# Above this share of unparseable values a column is the wrong column, not a dirty one.
MAX_BAD_SHARE = 0.5
# Epoch magnitudes: seconds until ~5138 AD are < 1e11; ms < 1e14; µs < 1e17; beyond that ns.
EPOCH_UNITS = ((1e11, "seconds", 1e6), (1e14, "milliseconds", 1e3), (1e17, "microseconds", 1.0),
               (float("inf"), "nanoseconds", 1e-3))


def _with_times(date: str) -> tuple[str, ...]:
    """A date layout with the time-of-day variants exports add to it (Excel's 12-hour one too)."""
    return (f"{date} %H:%M:%S", f"{date} %H:%M", f"{date} %I:%M:%S %p", f"{date} %I:%M %p", date)


# Layouts tried when the text is not ISO 8601, each with its time variants; the one that reads the
# most values wins (so 13/01/2024 settles day-first against month-first).
DATE_FORMATS: tuple[tuple[str, ...], ...] = (
    *(_with_times(d) for d in ("%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d",
                               "%m/%d/%y", "%d/%m/%y")),
    ("%Y-%m",), ("%Y%m%d",), ("%d %b %Y",), ("%b %d, %Y",), ("%d %B %Y",), ("%B %d, %Y",),
)
FORMAT_SAMPLE_ROWS = 20_000
# How an epoch unit is named in a note: alone, and counted in a mix.
EPOCH_NAMES = {
    "seconds": (N_("epoch seconds"), N_("{n} in seconds")),
    "milliseconds": (N_("epoch milliseconds"), N_("{n} in milliseconds")),
    "microseconds": (N_("epoch microseconds"), N_("{n} in microseconds")),
    "nanoseconds": (N_("epoch nanoseconds"), N_("{n} in nanoseconds")),
}


@dataclass(frozen=True)
class Conversion:
    """The SQL giving a role's typed value from the staging table, and how the text was read."""

    role: str
    sql: str
    how: str
    bad_rows: int = 0
    examples: tuple[str, ...] = ()


def present(column_sql: str) -> str:
    """SQL condition: the text holds a value (not empty, not NA/null/...)."""
    tokens = ", ".join(quote_literal(t) for t in NULL_TOKENS)
    return f"({column_sql} IS NOT NULL AND lower(trim({column_sql})) NOT IN ({tokens}))"


def text_value(column: str) -> str:
    """A text role (user id, event): trimmed, missing tokens as NULL."""
    col = quote_ident(column)
    return f"CASE WHEN {present(col)} THEN trim({col}) END"


def number_value(column: str, decimal_comma: bool) -> str:
    """A numeric value from text: currency signs and spaces dropped, thousands separators handled."""
    col = quote_ident(column)
    clean = f"regexp_replace(trim({col}), '[\\s$€£¥]', '', 'g')"
    if decimal_comma:  # 1.234,50 → 1234.50
        grouped = f"regexp_full_match({clean}, '-?\\d{{1,3}}(\\.\\d{{3}})+(,\\d*)?')"
        text = f"replace(CASE WHEN {grouped} THEN replace({clean}, '.', '') ELSE {clean} END, ',', '.')"
    else:  # 1,234.50 → 1234.50
        grouped = f"regexp_full_match({clean}, '-?\\d{{1,3}}(,\\d{{3}})+(\\.\\d*)?')"
        text = f"CASE WHEN {grouped} THEN replace({clean}, ',', '') ELSE {clean} END"
    value = f"try_cast({text} AS DOUBLE)"
    # inf/-inf/Infinity are numbers to DuckDB but not amounts: counted as unreadable, left empty.
    return f"CASE WHEN {present(col)} AND isfinite({value}) THEN {value} END"


def _fetch(cur: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The one row of an aggregate query."""
    cur.execute(sql)
    return fetch_one(cur)


def _failures(cur: duckdb.DuckDBPyConnection, table: str, column: str,
              converted_sql: str) -> tuple[int, int, tuple[str, ...]]:
    """(values present, values that did not convert, up to five distinct examples)."""
    col, tbl = quote_ident(column), quote_ident(table)
    bad = f"{present(col)} AND ({converted_sql}) IS NULL"
    total, failed = _fetch(cur, f"SELECT count(*) FILTER ({present(col)}), "
                                f"count(*) FILTER ({bad}) FROM {tbl}")
    examples: tuple[str, ...] = ()
    if failed:
        cur.execute(f"SELECT DISTINCT {col} FROM {tbl} WHERE {bad} LIMIT 5")
        examples = tuple(str(r[0]) for r in cur.fetchall())
    return total, failed, examples


def _check(role: str, column: str, total: int, failed: int, examples: Sequence[str], expected: str,
           fix: str) -> None:
    """`expected` ("dates or times", "numbers") and `fix` come translated."""
    word = str(role_word(role))
    if total == 0:
        raise NorthstarError(
            _("Column {column!r} is empty", column=column),
            _("{column!r}, mapped to {role}, has no values. {fix}", column=column, role=word, fix=fix))
    if failed / total > MAX_BAD_SHARE:
        shown = ", ".join(repr(e) for e in examples)
        raise NorthstarError(
            _("{role} column {column!r} does not hold {expected}", role=word, column=column,
              expected=expected),
            _("{failed} of {total} values in {column!r} could not be read as {expected} "
              "(e.g. {examples}). {fix}", failed=number(failed), total=number(total), column=column,
              expected=expected, examples=shown, fix=fix))


def timestamp_conversion(cur: duckdb.DuckDBPyConnection, table: str, column: str,
                         date_format: str | None = None) -> Conversion:
    """Find how `column` writes time (epoch s/ms/µs/ns, ISO text, a date format) and convert it.

    `date_format` (strptime codes such as `%Y%m%d` or `%d/%m/%Y %H:%M`) is used as given.
    """
    col, tbl = quote_ident(column), quote_ident(table)
    if date_format:
        if "%" not in date_format:
            raise NorthstarError(
                _("Bad date format"), _("{format!r} has no strptime codes (such as %Y). Write it like "
                                        "{examples}.", format=date_format,
                                        examples=_("{a}, {b} or {c}", a="%Y-%m-%d", b="%d/%m/%Y %H:%M",
                                                   c="%Y%m%d")))
        sql = f"try_strptime(trim({col}), {quote_literal(date_format)})"
        return _timestamp_result(cur, table, column, sql,
                                 lazy.gettext("dates like {format} (as chosen)", format=date_format))
    number = f"try_cast(trim({col}) AS DOUBLE)"
    is_number = f"{present(col)} AND regexp_full_match(trim({col}), '-?\\d+(\\.\\d+)?')"
    total, numeric, magnitude, low, high, iso = _fetch(
        cur, f"SELECT count(*) FILTER ({present(col)}), count(*) FILTER ({is_number}), "
             f"median(abs({number})) FILTER ({is_number}), min({number}) FILTER ({is_number}), "
             f"max({number}) FILTER ({is_number}), "
             f"count(try_cast(trim({col}) AS TIMESTAMPTZ)) FILTER ({present(col)}) FROM {tbl}")
    if numeric and numeric >= iso and not (low >= 19000101 and high <= 21001231):
        return _epoch_result(cur, table, column, number, is_number)
    if iso and iso >= total / 2:
        sql = f"CAST(timezone('UTC', try_cast(trim({col}) AS TIMESTAMPTZ)) AS TIMESTAMP)"
        return _timestamp_result(cur, table, column, sql, lazy.gettext("date/time text (ISO 8601)"))
    counts = ", ".join(f"count(try_strptime(v, {_format_list(f)}))" for f in DATE_FORMATS)
    parsed = _fetch(cur, f"SELECT {counts} FROM (SELECT trim({col}) AS v FROM {tbl} "
                         f"WHERE {present(col)} LIMIT {FORMAT_SAMPLE_ROWS})")
    best = max(range(len(DATE_FORMATS)), key=lambda i: parsed[i])
    if parsed[best] > max(iso, 0):
        formats = DATE_FORMATS[best]
        sql = f"try_strptime(trim({col}), {_format_list(formats)})"
        return _timestamp_result(cur, table, column, sql,
                                 lazy.gettext("dates like {format}", format=formats[-1]))
    sql = f"CAST(timezone('UTC', try_cast(trim({col}) AS TIMESTAMPTZ)) AS TIMESTAMP)"
    return _timestamp_result(cur, table, column, sql, lazy.gettext("date/time text (ISO 8601)"))


def _epoch_result(cur: duckdb.DuckDBPyConnection, table: str, column: str, number: str,
                  is_number: str) -> Conversion:
    """Epoch numbers, each read in the unit its magnitude says: an export mixing seconds and
    milliseconds (two SDKs, a migration) puts no row in 1970."""
    scale = " ".join(f"WHEN abs({number}) < {limit} THEN {micros}" for limit, _unit, micros
                     in EPOCH_UNITS[:-1])
    scale = f"CASE {scale} ELSE {EPOCH_UNITS[-1][2]} END"
    sql = f"CASE WHEN {is_number} THEN make_timestamp(CAST(round({number} * {scale}) AS BIGINT)) END"
    unit_of = " ".join(f"WHEN abs({number}) < {limit} THEN {i}" for i, (limit, _unit, _micros)
                       in enumerate(EPOCH_UNITS[:-1]))
    counts = _fetch(cur, f"SELECT {', '.join(f'count(*) FILTER (u = {i})' for i in range(4))} "
                         f"FROM (SELECT CASE {unit_of} ELSE 3 END AS u FROM {quote_ident(table)} "
                         f"WHERE {is_number})")
    used = [(n, unit) for n, (_limit, unit, _micros) in zip(counts, EPOCH_UNITS, strict=True) if n]
    how: str
    if len(used) == 1:
        how = lazy.gettext(EPOCH_NAMES[used[0][1]][0])
    else:
        parts = [lazy.gettext(EPOCH_NAMES[unit][1], n=n) for n, unit in used]
        how = lazy.gettext("epoch times in mixed units, each read by its magnitude ({parts})",
                           parts=parts)
    return _timestamp_result(cur, table, column, sql, how)


def _format_list(formats: tuple[str, ...]) -> str:
    return "[" + ", ".join(quote_literal(f) for f in formats) + "]"


def _timestamp_result(cur: duckdb.DuckDBPyConnection, table: str, column: str, sql: str,
                      how: str) -> Conversion:
    total, failed, examples = _failures(cur, table, column, sql)
    _check("timestamp", column, total, failed, examples, _("dates or times"),
           _("Map timestamp to another column (--map timestamp=COLUMN or the mapping form), or "
             "export times as ISO 8601 (2024-03-01 14:30:00) or epoch seconds."))
    return Conversion("timestamp", sql, how, failed, examples)


def numeric_conversion(cur: duckdb.DuckDBPyConnection, table: str, role: str,
                       source: str | DerivedExpression, prefer_decimal_comma: bool) -> Conversion:
    """Convert a column (or an arithmetic expression over columns) to numbers, checking each column."""
    columns = source.columns if isinstance(source, DerivedExpression) else (source,)
    styles: dict[str, bool] = {}
    bad_rows = 0
    examples: tuple[str, ...] = ()
    for column in columns:
        dot, comma = number_value(column, False), number_value(column, True)
        n_dot, n_comma = _fetch(cur, f"SELECT count({dot}), count({comma}) FROM {quote_ident(table)}")
        styles[column] = n_comma > n_dot or (n_comma == n_dot and prefer_decimal_comma)
        converted = number_value(column, styles[column])
        total, failed, found = _failures(cur, table, column, converted)
        _check(role, column, total, failed, found, _("numbers"),
               _("Clean the column, map {role} to another column (--map {option}=COLUMN or the "
                 "mapping form), or leave it unmapped (--map {option}=).", role=role_word(role),
                 option=role))
        if failed > bad_rows:
            bad_rows, examples = failed, found
    if isinstance(source, DerivedExpression):
        sql = source.to_sql(lambda c: number_value(c, styles[c]))
        how = f"= {source.text}"
    else:
        sql = number_value(source, styles[source])
        how = lazy.gettext("numbers with decimal commas") if styles[source] else lazy.gettext("numbers")
    return Conversion(role, sql, how, bad_rows, examples)


def check_range(cur: duckdb.DuckDBPyConnection, table: str, conversion: Conversion, low: float,
                high: float, column: str) -> None:
    """Every converted value must lie in [low, high] (e.g. an NPS answer is 0–10)."""
    value = f"({conversion.sql})"
    outside = f"{value} NOT BETWEEN {low} AND {high}"
    count, examples = _fetch(
        cur, f"SELECT count(*) FILTER ({outside}), "
             f"list(DISTINCT {value}) FILTER ({outside})[1:5] FROM {quote_ident(table)}")
    if count:
        shown = ", ".join(f"{v:g}" for v in examples)
        raise NorthstarError(
            _("{role} values out of range", role=role_word(conversion.role)),
            ngettext("{n} value of {column!r} lies outside {low}–{high} (e.g. {examples}). Map "
                     "{role} to a column of 0–10 answers, or leave it unmapped.",
                     "{n} values of {column!r} lie outside {low}–{high} (e.g. {examples}). Map "
                     "{role} to a column of 0–10 answers, or leave it unmapped.", count,
                     column=column, low=format(low, "g"), high=format(high, "g"), examples=shown,
                     role=role_word(conversion.role)))
