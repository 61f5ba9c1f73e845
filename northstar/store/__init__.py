"""Where everything is kept: the catalog of datasets, their event storage, the schema, SQL quoting."""

from northstar.store.core import CANONICAL_COLUMNS, DB_ENV, Dataset, Store, default_db_path
from northstar.store.sql import quote_ident, quote_literal
from northstar.store.sqlcheck import parse_expression

__all__ = [
    "CANONICAL_COLUMNS",
    "DB_ENV",
    "Dataset",
    "Store",
    "default_db_path",
    "parse_expression",
    "quote_ident",
    "quote_literal",
]
