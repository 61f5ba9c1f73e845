"""Derived role expressions: arithmetic over the file's columns gets in, nothing else does."""

import pytest

from northstar.errors import NorthstarError
from northstar.ingest.derived import parse_derived
from northstar.store.sql import quote_ident

COLUMNS = ["Quantity", "UnitPrice", "Unit Price", "discount"]


def test_arithmetic_over_columns_renders_with_each_column_swapped():
    expr = parse_derived('quantity * "Unit Price" - coalesce(discount, 0)', "amount", COLUMNS)
    assert expr.columns == ("Quantity", "Unit Price", "discount")
    sql = expr.to_sql(lambda c: f"CAST({quote_ident(c)} AS DOUBLE)")
    assert sql == ('CAST("Quantity" AS DOUBLE) * CAST("Unit Price" AS DOUBLE) '
                   '- COALESCE(CAST("discount" AS DOUBLE), 0)')


@pytest.mark.parametrize("text, fragment", [
    ("(SELECT 1)", "not allowed"),
    ("read_csv('/etc/passwd')", "not allowed"),
    ("Quantity; DROP TABLE datasets", "2 statements"),
    ("Quantity * (2", "could not be parsed"),
    ("t.Quantity * 2", "without a table"),
    ("'5'", "text literal"),
    ("Price * 2", "not a column of the file"),
    ("2 * 3", "at least one"),
    ("upper(Quantity)", "not allowed"),
])
def test_rejects_anything_but_arithmetic(text, fragment):
    with pytest.raises(NorthstarError) as err:
        parse_derived(text, "amount", COLUMNS)
    assert fragment in str(err.value)
