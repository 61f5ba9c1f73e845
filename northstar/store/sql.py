"""SQL text helpers: the one place identifiers are quoted and literals are rendered."""

from __future__ import annotations

from typing import Any

import duckdb


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB, whatever characters it holds."""
    return '"' + str(name).replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Render a string literal; only for DDL where DuckDB takes no parameters (e.g. ENUM values)."""
    return "'" + str(value).replace("'", "''") + "'"


def fetch_one(cur: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """The one row of the query just run on `cur`, for queries that always return one (aggregates).

    DuckDB's `fetchone()` may return None; an aggregate without GROUP BY never does, so a missing
    row is a bug here, not something a user can cause.
    """
    row = cur.fetchone()
    assert row is not None, "an aggregate query returns one row"
    return row
