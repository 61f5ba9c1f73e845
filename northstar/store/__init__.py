"""Where everything is kept: catalog and workshop state (SQLite), each dataset's events (DuckDB), SQL."""

from northstar.store.core import DB_ENV, DEFAULT_DB, Dataset, Store, default_db_path
from northstar.store.events import CANONICAL_COLUMNS, Activity, LayoutStats, write_lake_layout, write_layout
from northstar.store.sql import fetch_one, quote_ident, quote_literal
from northstar.store.sqlcheck import parse_expression
from northstar.store.state import from_db, to_db

__all__ = [
    "Activity",
    "CANONICAL_COLUMNS",
    "DB_ENV",
    "DEFAULT_DB",
    "Dataset",
    "LayoutStats",
    "Store",
    "default_db_path",
    "fetch_one",
    "from_db",
    "parse_expression",
    "quote_ident",
    "quote_literal",
    "to_db",
    "write_lake_layout",
    "write_layout",
]
