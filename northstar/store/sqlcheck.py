"""Parse user-written SQL expressions with sqlglot and let through only whitelisted node types."""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from northstar.errors import NorthstarError


def parse_expression(text: str, where: str, allowed: tuple[type[exp.Expression], ...],
                     columns: Sequence[str], allowed_text: str, example: str,
                     string_literals: bool = False, scope: str = "of the file",
                     any_columns: bool = False) -> tuple[exp.Expr, tuple[str, ...]]:
    """(tree, columns used, as spelled in `columns`) or a NorthstarError naming the bad part.

    `where` starts the messages ("The expression for amount ('...')"); `allowed_text` says what
    may be used. `any_columns` skips the column check, for when the columns are not known yet.
    The tree is rendered back by sqlglot, never pasted as text, so comments and anything hidden
    in them are gone.
    """
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except ParseError as err:
        first = str(err).splitlines()[0]
        raise NorthstarError("Expression is not valid",
                             f"{where} could not be parsed ({first}). Example: {example}.") from None
    if not statements:
        raise NorthstarError("Expression is empty", f"{where} is empty. Example: {example}.")
    if len(statements) > 1:
        raise NorthstarError(
            "Expression not allowed",
            f"{where} holds {len(statements)} statements separated by ';'. Give one expression, "
            f"e.g. {example}.")
    tree = statements[0]
    for node in tree.walk():
        node.comments = None  # rendered SQL never carries the user's comments
        if not isinstance(node, allowed):
            part = node.sql(dialect="duckdb") or type(node).__name__
            raise NorthstarError("Expression not allowed",
                                 f"{where} contains {part!r}, which is not allowed. {allowed_text}")
        if isinstance(node, exp.Literal) and node.is_string and not string_literals:
            raise NorthstarError(
                "Expression not allowed",
                f"{where} contains the text literal {node.sql()!r}. Quote column names with double "
                f"quotes (\"Unit Price\"), not single quotes.")
        if isinstance(node, exp.Column) and node.table:
            raise NorthstarError(
                "Expression not allowed",
                f"{where} refers to {node.sql()!r}; name the columns directly, without a table.")
    by_lower = {c.lower(): c for c in columns}
    used: list[str] = []
    for column in tree.find_all(exp.Column):
        if any_columns:
            if column.name not in used:
                used.append(column.name)
            continue
        name = by_lower.get(column.name.lower())
        if name is None:
            raise NorthstarError(
                "Unknown column in expression",
                f"{where} uses {column.name!r}, which is not a column {scope}. "
                f"Columns: {', '.join(columns)}.")
        if name not in used:
            used.append(name)
    return tree, tuple(used)
