"""The DuckDB store: named datasets of canonical events, each loaded or replaced in one transaction."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from northstar.errors import NorthstarError
from northstar.store.schema import ALL_SCHEMA, SCHEMA_VERSION
from northstar.store.sql import quote_ident

DEFAULT_DB = Path(".northstar/northstar.duckdb")
DB_ENV = "NORTHSTAR_DB"
# Columns every metric query sees, whatever the source called them.
CANONICAL_COLUMNS = ("user_id", "ts", "event", "amount", "duration_s", "nps_score")



@dataclass(frozen=True)
class Dataset:
    """One loaded dataset: where it came from, its size, span, mapping and content fingerprint."""

    id: int
    name: str
    source: str
    rows: int
    users: int
    first_ts: datetime | None
    last_ts: datetime | None
    mapping: dict
    properties: tuple[str, ...]
    notes: tuple[str, ...]
    fingerprint: str
    loaded_at: datetime

    @property
    def events_view(self) -> str:
        """The logical event table (`user_id, ts, event, amount, ...`), quoted for SQL."""
        return quote_ident(f"ns_view_{self.id}")

    @property
    def events_table(self) -> str:
        """The physical table: integer user keys, ENUM events, each user's events together in time order."""
        return quote_ident(f"ns_events_{self.id}")

    @property
    def users_table(self) -> str:
        return quote_ident(f"ns_users_{self.id}")

    @property
    def event_type(self) -> str:
        return quote_ident(f"ns_event_{self.id}")

    @property
    def cache_key(self) -> str:
        """Changes whenever the dataset's contents change: for result caches."""
        return f"{self.id}:{self.fingerprint}"


_DATASET_COLUMNS = ("id, name, source, rows, users, first_ts, last_ts, mapping, properties, notes, "
                    "fingerprint, loaded_at")


def _dataset(row: tuple) -> Dataset:
    (id_, name, source, rows, users, first_ts, last_ts, mapping, properties, notes, fingerprint,
     loaded_at) = row
    return Dataset(id=id_, name=name, source=source, rows=rows, users=users, first_ts=first_ts,
                   last_ts=last_ts, mapping=json.loads(mapping or "{}"),
                   properties=tuple(json.loads(properties or "[]")),
                   notes=tuple(json.loads(notes or "[]")), fingerprint=fingerprint or "",
                   loaded_at=loaded_at)


def default_db_path() -> Path:
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


class Store:
    """One DuckDB database file holding datasets. Open once per process; queries use cursors."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_db_path()
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(self.path))
        except duckdb.IOException as err:
            raise NorthstarError(
                "Store is in use or unreadable",
                f"Could not open {self.path}: {str(err).splitlines()[0]}. Close the other "
                f"Northstar process using it (the app or a CLI command), or pass another --db.",
            ) from None
        self._write_lock = threading.Lock()
        with self.cursor() as cur:
            cur.execute(ALL_SCHEMA)
            cur.execute("INSERT OR REPLACE INTO ns_meta VALUES ('schema_version', ?)",
                        [SCHEMA_VERSION])

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own (safe per thread), times in UTC, closed afterwards."""
        cur = self._con.cursor()
        try:
            cur.execute("SET TimeZone = 'UTC'")
            yield cur
        finally:
            cur.close()

    def close(self) -> None:
        self._con.close()

    # -- datasets -----------------------------------------------------------------------------
    def datasets(self) -> list[Dataset]:
        """All datasets, most recently loaded first."""
        with self.cursor() as cur:
            cur.execute(f"SELECT {_DATASET_COLUMNS} FROM datasets ORDER BY loaded_at DESC, id DESC")
            return [_dataset(r) for r in cur.fetchall()]

    def find(self, name: str) -> Dataset | None:
        with self.cursor() as cur:
            return self._find_with(cur, name)

    def dataset(self, name: str | None = None) -> Dataset:
        """The named dataset, or the most recently loaded one when `name` is None."""
        if name is None:
            found = self.datasets()
            if not found:
                raise NorthstarError(
                    "No dataset loaded",
                    f"The store {self.path} is empty. Load one with `python -m northstar ingest "
                    f"FILE --db {self.path}` or on the Data page.")
            return found[0]
        dataset = self.find(name)
        if dataset is None:
            names = ", ".join(d.name for d in self.datasets()) or "none"
            raise NorthstarError(
                f"No dataset named {name!r}", f"Datasets in {self.path}: {names}.")
        return dataset

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for a write, holding this process's write lock (one writer at a time)."""
        with self._write_lock, self.cursor() as cur:
            yield cur

    def replace_dataset(self, cur: duckdb.DuckDBPyConnection, name: str,
                        load: Callable[[Dataset], Dataset]) -> Dataset:
        """On a `writer()` cursor: create dataset `name` with `load` and drop any older one of that name.

        All in one transaction: if `load` raises, the store is as it was. `load(placeholder)` builds
        the tables the placeholder names (a fresh id) and returns the final record. Read and check
        the input before calling this, so a bad file never starts a transaction.
        """
        cur.execute("BEGIN TRANSACTION")
        try:
            cur.execute("SELECT nextval('ns_dataset_ids')")
            new_id = cur.fetchone()[0]
            record = load(Dataset(new_id, name, "", 0, 0, None, None, {}, (), (), "",
                                  datetime.now()))
            old = self._find_with(cur, name)
            if old is not None:
                self._drop_with(cur, old)
            placeholders = ", ".join("?" * len(_DATASET_COLUMNS.split(",")))
            cur.execute(
                f"INSERT INTO datasets ({_DATASET_COLUMNS}) VALUES ({placeholders})",
                [record.id, record.name, record.source, record.rows, record.users,
                 record.first_ts, record.last_ts, json.dumps(record.mapping),
                 json.dumps(list(record.properties)), json.dumps(list(record.notes)),
                 record.fingerprint, record.loaded_at])
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return record

    def delete_dataset(self, name: str) -> None:
        with self.writer() as cur:
            dataset = self._find_with(cur, name)
            if dataset is None:
                raise NorthstarError(f"No dataset named {name!r}", "Nothing was deleted.")
            cur.execute("BEGIN TRANSACTION")
            try:
                self._drop_with(cur, dataset)
                cur.execute("DELETE FROM ns_candidates WHERE dataset = ?", [name])
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    @staticmethod
    def _find_with(cur: duckdb.DuckDBPyConnection, name: str) -> Dataset | None:
        cur.execute(f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE name = ?", [name])
        row = cur.fetchone()
        return _dataset(row) if row else None

    @staticmethod
    def _drop_with(cur: duckdb.DuckDBPyConnection, dataset: Dataset) -> None:
        cur.execute(f"DROP VIEW IF EXISTS {dataset.events_view}")
        cur.execute(f"DROP TABLE IF EXISTS {dataset.events_table}")
        cur.execute(f"DROP TABLE IF EXISTS {dataset.users_table}")
        cur.execute(f"DROP TYPE IF EXISTS {dataset.event_type}")
        cur.execute("DELETE FROM datasets WHERE id = ?", [dataset.id])
