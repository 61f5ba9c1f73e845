"""Derived role expressions (`amount = Quantity * UnitPrice`): parse, allow only arithmetic, render SQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from northstar.errors import NorthstarError
from northstar.i18n import _
from northstar.store import parse_expression

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
    tree: exp.Expr

    def to_sql(self, column_sql: Callable[[str], str]) -> str:
        """Render for DuckDB, each column replaced by `column_sql(name)` (e.g. its numeric cast)."""

        def swap(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Column):
                return sqlglot.parse_one(column_sql(_resolve(node.name, self.columns)), read="duckdb")
            return node

        return self.tree.copy().transform(swap).sql(dialect="duckdb")


def _resolve(name: str, columns: Sequence[str]) -> str:
    by_lower = {c.lower(): c for c in columns}
    return by_lower[name.lower()]


def parse_derived(text: str, role: str, file_columns: Sequence[str]) -> DerivedExpression:
    """Parse `text` as the expression for `role`, or raise a NorthstarError naming the bad part."""
    tree, used = parse_expression(
        text, _("The expression for {role} ({text!r})", role=role, text=text), _ALLOWED_NODES,
        file_columns,
        _("Only + - * / %, numbers, column names and {functions} may be used.",
          functions=ALLOWED_FUNCTIONS),
        "Quantity * UnitPrice")
    if not used:
        raise NorthstarError(
            _("Expression uses no column"),
            _("The expression for {role} ({text!r}) must read at least one of the file's columns.",
              role=role, text=text))
    return DerivedExpression(text=text, columns=used, tree=tree)
