"""The store: a folder with the state database (catalog and workshop state) and one events file per dataset.

```
STORE/                         e.g. .northstar/store (any path via --db or NORTHSTAR_DB)
  state.sqlite                 SQLite, WAL: datasets, candidates, workshops, scores, votes, trees
  events/<fingerprint>-<id>.duckdb   one per dataset: written once by ingest, then read-only
```
Many processes share a store: reads never wait, writes to the state are short transactions, and an
ingest writes a new events file that only its final catalog commit makes visible.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

import duckdb

from northstar.errors import NorthstarError
from northstar.i18n import _, lazy
from northstar.store import legacy
from northstar.store.events import ACTIVITY_PREFIX, Activity, EventFiles, alias_of
from northstar.store.schema import EVENT_TYPE, EVENTS_TABLE, EVENTS_VIEW, USERS_TABLE
from northstar.store.sql import quote_ident
from northstar.store.state import StateDB, from_db, open_state, to_db

DEFAULT_DB = Path(".northstar/store")
DB_ENV = "NORTHSTAR_DB"
STATE_FILE = "state.sqlite"
EVENTS_DIR = "events"




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
    file: str = ""  # its events file under the store's events/ folder

    def _table(self, name: str) -> str:
        return f"{quote_ident(alias_of(self.file))}.{quote_ident(name)}"

    @property
    def events_view(self) -> str:
        """The logical event table (`user_id, ts, event, amount, ...`), quoted for SQL."""
        return self._table(EVENTS_VIEW)

    @property
    def events_table(self) -> str:
        """The physical table: integer user keys, ENUM events, each user's events together in time order."""
        return self._table(EVENTS_TABLE)

    @property
    def users_table(self) -> str:
        return self._table(USERS_TABLE)

    def activity_table(self, grain: str) -> str:
        """The file's per-(period, user) rows at `grain` (see `events.Activity`), quoted for SQL."""
        return self._table(ACTIVITY_PREFIX + grain)

    @property
    def event_type(self) -> str:
        return self._table(EVENT_TYPE)

    @property
    def lake(self) -> dict:
        """For a dataset attached in place (`northstar attach`): its source, files and partitioning;
        empty for an ingested one."""
        lake = self.mapping.get("lake")
        return lake if isinstance(lake, dict) else {}

    @property
    def date_partitioned(self) -> bool:
        """Its events table has `partition_date`: a filter on it skips whole Parquet files."""
        return bool(self.lake.get("partition"))

    @property
    def cache_key(self) -> str:
        """Changes whenever the dataset's contents change: for result caches."""
        return f"{self.id}:{self.fingerprint}"


_DATASET_COLUMNS = ("id, name, source, rows, users, first_ts, last_ts, mapping, properties, notes, "
                    "fingerprint, loaded_at, file")


def _dataset(row: tuple) -> Dataset:
    (id_, name, source, rows, users, first_ts, last_ts, mapping, properties, notes, fingerprint,
     loaded_at, file) = row
    return Dataset(id=id_, name=name, source=source, rows=rows, users=users,
                   first_ts=from_db(first_ts), last_ts=from_db(last_ts),
                   mapping=json.loads(mapping or "{}"), properties=tuple(json.loads(properties or "[]")),
                   notes=tuple(lazy.from_json(n) for n in json.loads(notes or "[]")),
                   fingerprint=fingerprint or "",
                   loaded_at=from_db(loaded_at) or datetime.min, file=file)


def default_db_path() -> Path:
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


class Store:
    """A Northstar store folder, opened (created or migrated) for this process; a context manager.

    - `transaction()` / `read()`: the state database (SQLite connections);
    - `events(dataset)`: a DuckDB cursor that reads the dataset's events (`dataset.events_view`);
    - `write_dataset(name, build)`: publish a new events file and its catalog row atomically.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_db_path()
        legacy.prepare_folder(self.path)
        self._state: StateDB = open_state(self.path / STATE_FILE)
        self._events = EventFiles(self.path / EVENTS_DIR)
        self._events.sweep_incoming()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._state.close()
        self._events.close()

    # -- the state database -----------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Write to the state database: all of the block commits, or none of it."""
        with self._state.transaction() as con:
            yield con

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Read the state database; the block sees one consistent snapshot."""
        with self._state.read() as con:
            yield con

    # -- events -----------------------------------------------------------------------------------
    @contextmanager
    def events(self, dataset: Dataset) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB cursor (times in UTC) on which `dataset.events_view` and its tables can be read."""
        with self._events.cursor(dataset.file, dataset.name) as cur:
            yield cur

    def activity(self, dataset: Dataset) -> Activity | None:
        """The dataset's per-grain activity tables, when its file has them (ingested, not a lake)."""
        return self._events.activity(dataset.file, dataset.name)

    @contextmanager
    def scratch(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB cursor for reading files that are not loaded (previews)."""
        with self._events.scratch() as cur:
            yield cur

    # -- datasets ---------------------------------------------------------------------------------
    def datasets(self) -> list[Dataset]:
        """All datasets, most recently loaded first."""
        with self.read() as con:
            rows = con.execute(f"SELECT {_DATASET_COLUMNS} FROM datasets "
                               "ORDER BY loaded_at DESC, id DESC").fetchall()
        return [_dataset(r) for r in rows]

    def find(self, name: str) -> Dataset | None:
        with self.read() as con:
            return _find_with(con, name)

    def dataset(self, name: str | None = None) -> Dataset:
        """The named dataset, or the most recently loaded one when `name` is None."""
        if name is None:
            found = self.datasets()
            if not found:
                raise NorthstarError(
                    _("No dataset loaded"),
                    _("The store {path} is empty. Load one with `northstar ingest FILE --db "
                      "{path}` or on the Data page.", path=self.path))
            return found[0]
        dataset = self.find(name)
        if dataset is None:
            names = ", ".join(d.name for d in self.datasets()) or "none"
            raise NorthstarError(_("No dataset named {name!r}", name=name),
                                 _("Datasets in {path}: {names}.", path=self.path, names=names))
        return dataset

    def write_dataset(self, name: str,
                      build: Callable[[duckdb.DuckDBPyConnection], Dataset]) -> Dataset:
        """Create dataset `name` with `build`, replacing any older one of that name, atomically.

        `build(cur)` writes the events into a new file through `cur` (see `events.write_layout`) and
        returns the record (its id and file are filled in here). Until the catalog commits, nobody
        sees the new file; if anything fails, the store is exactly as it was.
        """
        with self._events.build() as (cur, incoming):
            record = build(cur)
        try:
            file = self._events.publish(incoming, record.fingerprint or "dataset")
            with self.transaction() as con:
                old = _find_with(con, name)
                if old is not None:
                    con.execute("DELETE FROM datasets WHERE id = ?", [old.id])
                new_id = con.execute(
                    "INSERT INTO datasets (name, source, rows, users, first_ts, last_ts, mapping, "
                    "properties, notes, fingerprint, loaded_at, file) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    [name, record.source, record.rows, record.users, to_db(record.first_ts),
                     to_db(record.last_ts), json.dumps(record.mapping), json.dumps(list(record.properties)),
                     json.dumps([lazy.to_json(n) for n in record.notes]), record.fingerprint,
                     to_db(record.loaded_at), file]).fetchone()[0]
        except BaseException:
            self._events.discard(incoming)
            if "file" in locals():
                self._events.retire(file)
            raise
        if old is not None:
            self._events.retire(old.file)
        with self.read() as con:
            published = _find_with(con, name)
        assert published is not None and published.id == new_id
        return published

    def delete_dataset(self, name: str) -> None:
        """Delete a dataset, its events file and its saved candidates."""
        with self.transaction() as con:
            dataset = _find_with(con, name)
            if dataset is None:
                raise NorthstarError(_("No dataset named {name!r}", name=name), _("Nothing was deleted."))
            con.execute("DELETE FROM datasets WHERE id = ?", [dataset.id])
            con.execute("DELETE FROM candidates WHERE dataset = ?", [name])
        self._events.retire(dataset.file)


def _find_with(con: sqlite3.Connection, name: str) -> Dataset | None:
    row = con.execute(f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE name = ?", [name]).fetchone()
    return _dataset(row) if row else None
