"""Derived role expressions (`amount = Quantity * UnitPrice`): parse, allow only arithmetic, render SQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from northstar.errors import NorthstarError

# Arithmetic and a few null-handling helpers; nothing that can reach a table, a file or a statement.
_ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Paren, exp.Neg,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod,
    exp.Abs, exp.Round, exp.Coalesce, exp.Nullif, exp.Greatest, exp.Least,
)
ALLOWED_FUNCTIONS = "abs, round, coalesce, nullif, greatest, least"


@dataclass(frozen=True)
class DerivedExpression:
    """A validated arithmetic expression over a file's columns."""

    text: str
    columns: tuple[str, ...]  # the file's column names it reads, as spelled in the file
    tree: exp.Expression

    def to_sql(self, column_sql: Callable[[str], str]) -> str:
        """Render for DuckDB, each column replaced by `column_sql(name)` (e.g. its numeric cast)."""

        def swap(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Column):
                return sqlglot.parse_one(column_sql(_resolve(node.name, self.columns)), read="duckdb")
            return node

        return self.tree.copy().transform(swap).sql(dialect="duckdb")


def _resolve(name: str, columns: Sequence[str]) -> str:
    by_lower = {c.lower(): c for c in columns}
    return by_lower[name.lower()]


def parse_derived(text: str, role: str, file_columns: Sequence[str]) -> DerivedExpression:
    """Parse `text` as the expression for `role`, or raise a NorthstarError naming the bad part."""
    where = f"The expression for {role} ({text!r})"
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except ParseError as err:
        first = str(err).splitlines()[0]
        raise NorthstarError(
            "Expression is not valid", f"{where} could not be parsed ({first}). "
            f"Use arithmetic over column names, e.g. Quantity * UnitPrice.") from None
    if not statements:
        raise NorthstarError("Expression is empty", f"{where} is empty; give a column or arithmetic.")
    if len(statements) > 1:
        raise NorthstarError(
            "Expression not allowed",
            f"{where} holds {len(statements)} statements separated by ';'. Give one arithmetic "
            f"expression, e.g. Quantity * UnitPrice.")
    tree = statements[0]
    for node in tree.walk():
        if not isinstance(node, _ALLOWED_NODES):
            part = node.sql(dialect="duckdb") or type(node).__name__
            raise NorthstarError(
                "Expression not allowed",
                f"{where} contains {part!r}, which is not allowed. Only + - * / %, numbers, "
                f"column names and {ALLOWED_FUNCTIONS} may be used.")
        if isinstance(node, exp.Literal) and node.is_string:
            raise NorthstarError(
                "Expression not allowed",
                f"{where} contains the text literal {node.sql()!r}. Quote column names with double "
                f"quotes (\"Unit Price\"), not single quotes.")
        if isinstance(node, exp.Column) and node.table:
            raise NorthstarError(
                "Expression not allowed",
                f"{where} refers to {node.sql()!r}; name the file's columns directly, without a table.")
    known = {c.lower() for c in file_columns}
    used: list[str] = []
    for column in tree.find_all(exp.Column):
        if column.name.lower() not in known:
            raise NorthstarError(
                "Unknown column in expression",
                f"{where} uses {column.name!r}, which is not a column of the file. "
                f"Columns: {', '.join(file_columns)}.")
        name = _resolve(column.name, file_columns)
        if name not in used:
            used.append(name)
    if not used:
        raise NorthstarError(
            "Expression uses no column", f"{where} must read at least one of the file's columns.")
    return DerivedExpression(text=text, columns=tuple(used), tree=tree)
