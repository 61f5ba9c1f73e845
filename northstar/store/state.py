"""The state database: catalog, candidates, workshops, scores and trees in SQLite, shared by processes.

SQLite in WAL mode lets any number of processes read while one writes; writes are short transactions
(`BEGIN IMMEDIATE`, so a writer waits for the lock up front instead of failing half-way) and wait up
to `BUSY_TIMEOUT_MS` for each other. Connections are pooled per store: a thread borrows one for one
read or one transaction and gives it back.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from northstar import __version__
from northstar.errors import NorthstarError
from northstar.i18n import _
from northstar.store import schema

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
POOL_SIZE = 8


def to_db(value: datetime | None) -> str | None:
    """A timestamp as the state database keeps it: ISO 8601 text, naive UTC."""
    return None if value is None else value.isoformat(sep=" ")


def from_db(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def damaged(path: Path, err: sqlite3.Error) -> NorthstarError:
    return NorthstarError(
        _("Store is damaged or not Northstar's"),
        _("{path} could not be read as a Northstar state database ({error}). Restore the store folder "
          "from a backup, or pass another --db (a new folder is created empty).", path=path, error=err))


class StateDB:
    """A pool of SQLite connections to one state file, with `read()` and `transaction()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._opened = 0
        self._lock = threading.Lock()
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                  check_same_thread=False)
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable at checkpoints, fast commits
            con.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as err:
            raise damaged(self.path, err) from None
        return con

    @contextmanager
    def _borrow(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise NorthstarError("Store is closed", f"{self.path} was closed; open the store again.")
        try:
            con = self._pool.get_nowait()
        except queue.Empty:
            con = self._connect()
            with self._lock:
                self._opened += 1
        try:
            yield con
        finally:
            if con.in_transaction:  # an error half-way through a read: never hand out a busy one
                con.rollback()
            if self._closed or self._pool.qsize() >= POOL_SIZE:
                con.close()
            else:
                self._pool.put(con)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads; statements inside see one consistent snapshot."""
        with self._borrow() as con:
            try:
                con.execute("BEGIN DEFERRED")
                yield con
                con.execute("COMMIT")
            except sqlite3.OperationalError:
                raise
            except sqlite3.DatabaseError as err:  # "file is not a database", "disk image is malformed"
                raise damaged(self.path, err) from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The one way to write: everything inside commits together, or nothing does."""
        with self._borrow() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return


def open_state(path: Path) -> StateDB:
    """Open (creating or migrating) the state database at `path`; refuse newer or foreign files."""
    db = StateDB(path)
    try:
        with db.transaction() as con:
            application_id = con.execute("PRAGMA application_id").fetchone()[0]
            found = schema.read_version(con)
            if found is None:
                schema.create(con)
                log.info("Created a Northstar store at %s", path.parent)
            elif application_id != schema.APPLICATION_ID:
                raise NorthstarError(
                    _("Not a Northstar store"),
                    _("{path} is a SQLite database of another program. Pass a new or empty folder "
                      "as --db.", path=path))
            elif found > schema.SCHEMA_VERSION:
                raise newer_store(path.parent, found)
            elif found < schema.SCHEMA_VERSION:
                schema.migrate(con, found)
                log.info("Migrated the store %s from schema %d to %d", path.parent, found,
                         schema.SCHEMA_VERSION)
    except sqlite3.DatabaseError as err:
        db.close()
        raise damaged(path, err) from None
    except BaseException:
        db.close()
        raise
    return db


def newer_store(path: Path, found: int) -> NorthstarError:
    return NorthstarError(
        _("Store made by a newer Northstar"),
        _("{path} has schema version {found}; this Northstar ({version}) reads up to version "
          "{supported}. Upgrade Northstar (pip install -U northstar), or pass another --db. "
          "Nothing was changed.", path=path, found=found, version=__version__,
          supported=schema.SCHEMA_VERSION))
