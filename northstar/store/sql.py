"""SQL text helpers: the one place identifiers are quoted and literals are rendered."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB, whatever characters it holds."""
    return '"' + str(name).replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Render a string literal; only for DDL where DuckDB takes no parameters (e.g. ENUM values)."""
    return "'" + str(value).replace("'", "''") + "'"
