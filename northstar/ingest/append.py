"""Add a later export to a dataset: old + new events in a new file, events both hold kept once.

Events are matched on the vendor's insert id when both sides have one (Mixpanel/Amplitude
`$insert_id`), else on the whole event row (user, time, event, values and shared properties).
The combined file is published like any load (store.write_dataset): atomically, old file retired.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from northstar.i18n import lazy
from northstar.ingest.roles import insert_id_column
from northstar.store import CANONICAL_COLUMNS, Dataset, Store, fetch_one, quote_ident

OLD, NEW, COMBINED = "ns_old_events", "ns_new_events", "ns_combined"


@dataclass(frozen=True)
class AppendResult:
    new: int
    already_there: int
    matched_on: str
    properties: tuple[str, ...]


def load_old(store: Store, old: Dataset, cur: duckdb.DuckDBPyConnection) -> None:
    """The existing events, copied into temp table OLD of the build cursor."""
    with store.events(old) as reader:
        ns_old_arrow = reader.sql(f"SELECT * FROM {old.events_view}").to_arrow_table()
    # DuckDB finds the Arrow table by its Python name (a replacement scan).
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {OLD} AS SELECT * FROM ns_old_arrow")
    del ns_old_arrow


def combine(cur: duckdb.DuckDBPyConnection, typed: str, old: Dataset,
            new_props: tuple[str, ...]) -> AppendResult:
    """Write temp table COMBINED = old events + the new ones not already there."""
    key = insert_id_column([p for p in old.properties if p in new_props])
    src = quote_ident(typed)
    if key:
        col = quote_ident(key)
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {NEW} AS SELECT * FROM {src} t "
                    f"WHERE t.ts IS NOT NULL AND (t.{col} IS NULL OR CAST(t.{col} AS VARCHAR) NOT IN "
                    f"(SELECT CAST({col} AS VARCHAR) FROM {OLD} WHERE {col} IS NOT NULL))")
        matched_on: str = lazy.gettext("the insert id {column!r}", column=key)
    else:
        shared = [*CANONICAL_COLUMNS, *(p for p in old.properties if p in new_props)]
        row = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR)" for c in shared)
        row_key = f"md5(CAST(list_value({row}) AS VARCHAR))"
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {NEW} AS SELECT * FROM {src} t "
                    f"WHERE t.ts IS NOT NULL AND {row_key} NOT IN (SELECT {row_key} FROM {OLD})")
        matched_on = lazy.gettext("whole event rows")
    cur.execute(f"SELECT (SELECT count(*) FROM {NEW}), count(*) FROM {src} WHERE ts IS NOT NULL")
    new, offered = fetch_one(cur)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {COMBINED} AS "
                f"SELECT * FROM {OLD} UNION ALL BY NAME SELECT * FROM {NEW}")
    cur.execute(f"DROP TABLE {OLD}")
    cur.execute(f"DROP TABLE {NEW}")
    properties = (*old.properties, *(p for p in new_props if p not in old.properties))
    return AppendResult(int(new), int(offered - new), matched_on, properties)
