"""Parse user-written SQL expressions with sqlglot and let through only whitelisted node types."""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from northstar.errors import NorthstarError
from northstar.i18n import _


def parse_expression(text: str, where: str, allowed: tuple[type[exp.Expression], ...],
                     columns: Sequence[str], allowed_text: str, example: str,
                     string_literals: bool = False, scope: str | None = None,
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
        raise NorthstarError(_("Expression is not valid"),
                             _("{where} could not be parsed ({error}). Example: {example}.",
                               where=where, error=first, example=example)) from None
    if not statements:
        raise NorthstarError(_("Expression is empty"),
                             _("{where} is empty. Example: {example}.", where=where, example=example))
    if len(statements) > 1:
        raise NorthstarError(
            _("Expression not allowed"),
            _("{where} holds {count} statements separated by ';'. Give one expression, "
              "e.g. {example}.", where=where, count=len(statements), example=example))
    tree = statements[0]
    for node in tree.walk():
        node.comments = None  # rendered SQL never carries the user's comments
        if not isinstance(node, allowed):
            part = node.sql(dialect="duckdb") or type(node).__name__
            raise NorthstarError(_("Expression not allowed"),
                                 _("{where} contains {part!r}, which is not allowed. {allowed}",
                                   where=where, part=part, allowed=allowed_text))
        if isinstance(node, exp.Literal) and node.is_string and not string_literals:
            raise NorthstarError(
                _("Expression not allowed"),
                _("{where} contains the text literal {literal!r}. Quote column names with double "
                  "quotes (\"Unit Price\"), not single quotes.", where=where, literal=node.sql()))
        if isinstance(node, exp.Column) and node.table:
            raise NorthstarError(
                _("Expression not allowed"),
                _("{where} refers to {name!r}; name the columns directly, without a table.",
                  where=where, name=node.sql()))
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
                _("Unknown column in expression"),
                _("{where} uses {column!r}, which is not a column {scope}. Columns: {columns}.",
                  where=where, column=column.name, scope=scope or _("of the file"),
                  columns=", ".join(columns)))
        if name not in used:
            used.append(name)
    return tree, tuple(used)
