"""Custom metrics: an aggregate expression over the event table, checked so nothing else gets in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from northstar.errors import NorthstarError
from northstar.i18n import N_, _
from northstar.store import parse_expression

EVENT_COLUMNS = ("user_id", "ts", "event", "amount", "duration_s", "nps_score")
# Aggregates, arithmetic, CASE and FILTER over the event table's columns. No subqueries, no
# tables, no table functions (read_csv, ...), no statements: those node types are simply absent.
_AGGREGATES: tuple[type[exp.Expression], ...] = (
    exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.Median, exp.Stddev, exp.StddevSamp,
    exp.StddevPop, exp.Variance, exp.Quantile, exp.ApproxDistinct,
)
_ALLOWED: tuple[type[exp.Expression], ...] = (
    *_AGGREGATES, exp.Distinct, exp.Filter, exp.Where, exp.Star,
    exp.Column, exp.Identifier, exp.Literal, exp.Paren, exp.Neg, exp.Null, exp.Boolean,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod,
    exp.Abs, exp.Round, exp.Coalesce, exp.Nullif, exp.Greatest, exp.Least,
    exp.Case, exp.If, exp.Cast, exp.TryCast, exp.DataType,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between,
    exp.Like, exp.ILike, exp.And, exp.Or, exp.Not,
)
ALLOWED_TEXT = N_("Only aggregates (count, sum, avg, min, max, median, stddev, quantile), "
                "arithmetic, CASE, FILTER (WHERE ...) and comparisons over the event table's "
                "columns may be used.")
EXAMPLE = "count(DISTINCT user_id) FILTER (WHERE event = 'upgrade')"


@dataclass(frozen=True)
class CustomExpression:
    """A checked custom aggregate, rendered back to SQL from its syntax tree."""

    text: str
    sql: str
    columns: tuple[str, ...]
    # True when user_id is used other than counted distinct: then it needs the real ids, not keys.
    needs_user_ids: bool


def _counted_distinct(column: exp.Column) -> bool:
    parent = column.parent
    return (isinstance(parent, exp.Distinct) and isinstance(parent.parent, exp.Count)) or \
        isinstance(parent, exp.ApproxDistinct)


def parse_custom(text: str, metric: str, columns: Sequence[str] = EVENT_COLUMNS,
                 properties: Sequence[str] | None = ()) -> CustomExpression:
    """Check `text` for metric `metric`; `properties` are the dataset's extra columns, or None
    when no dataset is known yet (any column name passes; compiling checks them)."""
    where = _("The custom expression of {metric!r} ({text!r})", metric=metric, text=text)
    tree, used = parse_expression(text, where, _ALLOWED, [*columns, *(properties or ())],
                                  _(ALLOWED_TEXT), EXAMPLE, string_literals=True,
                                  scope=_("of the event table"), any_columns=properties is None)
    if not any(isinstance(node, _AGGREGATES) for node in tree.walk()):
        raise NorthstarError(_("Expression is not an aggregate"),
                             _("{where} must aggregate the period's events, e.g. {example}.", where=where,
                               example=EXAMPLE))
    for column in tree.find_all(exp.Column):
        if column.find_ancestor(*_AGGREGATES, exp.Filter) is None:
            raise NorthstarError(
                _("Column outside an aggregate"),
                _("{where} uses {column!r} outside an aggregate; wrap it, e.g. sum({name}).", where=where,
                  column=column.name, name=column.name))
    needs_ids = any(c.name.lower() == "user_id" and not _counted_distinct(c)
                    for c in tree.find_all(exp.Column))
    return CustomExpression(text, tree.sql(dialect="duckdb"), used, needs_ids)
