"""Each dataset's events in a DuckDB file of its own: written once by ingest, then read-only for all.

DuckDB allows one writing process per file, so no file is ever written after it is published: ingest
builds a new file under a temporary name, checkpoints and closes it, and renames it into place; the
catalog row that points at it commits afterwards. Readers (the app, the CLI, a second app process)
attach the files they need READ_ONLY to one in-memory DuckDB connection per process, so any number of
them read at once and an ingest never waits for them, nor they for it.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from northstar.errors import NorthstarError
from northstar.i18n import _
from northstar.store.schema import EVENT_FILE_LAYOUT, EVENT_TYPE, EVENTS_TABLE, EVENTS_VIEW, USERS_TABLE
from northstar.store.sql import fetch_one, quote_ident, quote_literal
from northstar.vocab import GRAINS

log = logging.getLogger(__name__)

INCOMING_PREFIX = ".incoming-"
# DuckDB's memory ceiling for this process (e.g. "3GB"); past it, joins, sorts and aggregates spill
# to the events folder's `.spill/`. Unset: DuckDB's default (80% of RAM).
MEMORY_ENV = "NORTHSTAR_DUCKDB_MEMORY"
SPILL_DIR = ".spill"
META_TABLE = "northstar_meta"
# Columns every metric query sees, whatever the source called them.
CANONICAL_COLUMNS = ("user_id", "ts", "event", "amount", "duration_s", "nps_score")


# Per grain, one row per (period, user) of an ingested file: the user's events in the period, which
# event types they were (bits of `mask_0`, `mask_1`, ...: bit i of word i // 64 is the ENUM's code i),
# whether any carried money, and the user's events in the periods before (`earlier_events`). Counting
# users per period is then a scan of these rows instead of a hash aggregate over every event. Files
# with more event types than ACTIVITY_MAX_EVENTS have none (metrics read the events); neither do
# lakes, whose rows are not copied.
ACTIVITY_PREFIX = "activity_"
ACTIVITY_MAX_EVENTS = 512
MASK_BITS = 64


@dataclass(frozen=True)
class Activity:
    """An event file's activity tables, and how to test their masks for a set of event names."""

    events: tuple[str, ...]  # the event names in ENUM code order

    @property
    def words(self) -> int:
        return max(1, -(-len(self.events) // MASK_BITS))

    def did(self, names: tuple[str, ...], alias: str = "a") -> str:
        """SQL true for an activity row whose user did one of `names` (every event when empty)."""
        if not names:
            return "true"
        codes = {code for code, event in enumerate(self.events) if event in names}
        words = [sum(1 << (c % MASK_BITS) for c in codes if c // MASK_BITS == w) for w in range(self.words)]
        tests = [f"{alias}.mask_{w} & {bits}::UBIGINT <> 0" for w, bits in enumerate(words) if bits]
        if not tests:
            return "false"
        return tests[0] if len(tests) == 1 else f"({' OR '.join(tests)})"


def write_activity(cur: duckdb.DuckDBPyConnection) -> bool:
    """Write `activity_<grain>` for every grain from the events table; False when there are too many
    event types for the masks (then none is written).

    Days are grouped from the events; weeks and months from the days (every week and month is whole
    days), where a user's events before a period are those before its first day."""
    cur.execute(f"SELECT len(enum_range(NULL::{EVENT_TYPE}))")
    count = fetch_one(cur)[0]
    if count > ACTIVITY_MAX_EVENTS:
        return False
    words = range(Activity(("",) * count).words)
    if len(words) == 1:
        masks = "bit_or(CAST(1 AS UBIGINT) << code) AS mask_0"
    else:
        masks = ",\n                       ".join(
            f"coalesce(bit_or(CAST(1 AS UBIGINT) << (code % {MASK_BITS})) "
            f"FILTER (WHERE code // {MASK_BITS} = {w}), 0) AS mask_{w}" for w in words)
    finest, *coarser = GRAINS
    cur.execute(f"""
        CREATE TABLE {ACTIVITY_PREFIX}{finest} AS
        SELECT *, CAST(coalesce(sum(events) OVER (PARTITION BY user_key ORDER BY period ROWS BETWEEN
                   UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS UBIGINT) AS earlier_events
        FROM (
            SELECT period, user_key, CAST(count(*) AS UINTEGER) AS events,
                   {masks},
                   coalesce(bool_or(amount > 0), false) AS paid
            FROM (SELECT date_trunc('{finest}', ts) AS period, user_key,
                         CAST(enum_code(event) AS UBIGINT) AS code, amount
                  FROM {EVENTS_TABLE} WHERE user_key IS NOT NULL)
            GROUP BY period, user_key
        )""")
    merged = "".join(f"bit_or(mask_{w}) AS mask_{w}, " for w in words)
    for grain in coarser:
        cur.execute(f"""
            CREATE TABLE {ACTIVITY_PREFIX}{grain} AS
            SELECT date_trunc('{grain}', period) AS period, user_key, CAST(sum(events) AS UINTEGER) AS events,
                   {merged}bool_or(paid) AS paid, min(earlier_events) AS earlier_events
            FROM {ACTIVITY_PREFIX}{finest}
            GROUP BY 1, 2""")
    return True


@dataclass(frozen=True)
class LayoutStats:
    """What writing the layout found: users, events kept, their span, and events without a user."""

    users: int
    rows: int
    first_ts: datetime | None
    last_ts: datetime | None
    anonymous: int


def write_layout(cur: duckdb.DuckDBPyConnection, typed: str, properties: tuple[str, ...]) -> LayoutStats:
    """Write the physical tables and the logical view from temp table `typed`, in `cur`'s database.

    `typed` holds canonical columns plus `properties`, one row per event; rows without a timestamp
    are left out. Users get integer keys in order of first appearance (compact keys, cohorts come out
    in order); events become an ENUM; each user's events are stored together in time order, because
    metrics group per (period, user) and window per user.
    """
    source = quote_ident(typed)
    cur.execute(f"CREATE TYPE {EVENT_TYPE} AS ENUM "
                f"(SELECT DISTINCT event FROM {source} WHERE ts IS NOT NULL ORDER BY event)")
    cur.execute(f"""
        CREATE TABLE {USERS_TABLE} AS
        SELECT CAST(row_number() OVER (ORDER BY first_ts, user_id) - 1 AS UINTEGER) AS user_key,
               user_id, first_ts
        FROM (SELECT user_id, min(ts) AS first_ts FROM {source}
              WHERE user_id IS NOT NULL AND ts IS NOT NULL GROUP BY user_id)""")
    props = "".join(f", t.{quote_ident(p)}" for p in properties)
    cur.execute(f"""
        CREATE TABLE {EVENTS_TABLE} AS
        SELECT u.user_key, t.ts, CAST(t.event AS {EVENT_TYPE}) AS event, t.amount,
               t.duration_s, t.nps_score{props}
        FROM {source} t LEFT JOIN {USERS_TABLE} u ON t.user_id = u.user_id
        WHERE t.ts IS NOT NULL
        ORDER BY u.user_key, t.ts""")
    view_props = "".join(f", e.{quote_ident(p)}" for p in properties)
    # Unqualified names: the view resolves them in its own file under whatever alias it is attached.
    cur.execute(f"""
        CREATE VIEW {EVENTS_VIEW} AS
        SELECT u.user_id, e.ts, CAST(e.event AS VARCHAR) AS event, e.amount, e.duration_s,
               e.nps_score{view_props}
        FROM {EVENTS_TABLE} e LEFT JOIN {USERS_TABLE} u ON e.user_key = u.user_key""")
    cur.execute(f"CREATE TABLE {META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR)")
    cur.execute(f"INSERT INTO {META_TABLE} VALUES ('layout', ?)", [str(EVENT_FILE_LAYOUT)])
    if write_activity(cur):
        cur.execute(f"INSERT INTO {META_TABLE} VALUES ('activity', ?)", [",".join(GRAINS)])
    cur.execute(f"SELECT (SELECT count(*) FROM {USERS_TABLE}), count(*), min(ts), max(ts), "
                f"count(*) FILTER (user_key IS NULL) FROM {EVENTS_TABLE}")
    users, rows, first_ts, last_ts, anonymous = fetch_one(cur)
    return LayoutStats(users, rows, first_ts, last_ts, anonymous)


# A lake dataset's file holds no events: `lake_rows` is a view over the Parquet files (the mapping
# applied), and the usual tables are views over it; only the users (one row per user) are stored.
LAKE_ROWS = "lake_rows"


def write_lake_layout(cur: duckdb.DuckDBPyConnection, rows_sql: str, properties: tuple[str, ...]
                      ) -> LayoutStats:
    """Write views over Parquet in `cur`'s database: the same names and columns as `write_layout`.

    `rows_sql` selects canonical columns plus `properties` (and `partition_date` when the files are
    partitioned by date) from `read_parquet(...)`. Events stay in the files: each query reads only
    the columns it needs, and a filter on `partition_date` skips whole files. Users get integer keys
    in order of first appearance, as in `write_layout`; they are the one thing stored, and
    `refresh` (attaching again) renumbers them.
    """
    cur.execute(f"CREATE VIEW {LAKE_ROWS} AS {rows_sql}")
    cur.execute(f"""
        CREATE TABLE {USERS_TABLE} AS
        SELECT CAST(row_number() OVER (ORDER BY first_ts, user_id) - 1 AS UINTEGER) AS user_key,
               user_id, first_ts
        FROM (SELECT user_id, min(ts) AS first_ts FROM {LAKE_ROWS}
              WHERE user_id IS NOT NULL AND ts IS NOT NULL GROUP BY user_id)
        ORDER BY user_key""")
    cur.execute(f"DESCRIBE {LAKE_ROWS}")
    partitioned = any(row[0] == "partition_date" for row in cur.fetchall())
    props = "".join(f", t.{quote_ident(p)}" for p in properties)
    partition = ", t.partition_date" if partitioned else ""
    cur.execute(f"""
        CREATE VIEW {EVENTS_TABLE} AS
        SELECT u.user_key, t.ts, t.event, t.amount, t.duration_s, t.nps_score{props}{partition}
        FROM {LAKE_ROWS} t LEFT JOIN {USERS_TABLE} u ON t.user_id = u.user_id
        WHERE t.ts IS NOT NULL""")
    cur.execute(f"""
        CREATE VIEW {EVENTS_VIEW} AS
        SELECT t.user_id, t.ts, t.event, t.amount, t.duration_s, t.nps_score{props}{partition}
        FROM {LAKE_ROWS} t WHERE t.ts IS NOT NULL""")
    cur.execute(f"CREATE TABLE {META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR)")
    cur.execute(f"INSERT INTO {META_TABLE} VALUES ('layout', ?), ('storage', 'lake')",
                [str(EVENT_FILE_LAYOUT)])
    cur.execute(f"SELECT (SELECT count(*) FROM {USERS_TABLE}), count(*), min(ts), max(ts), "
                f"count(*) FILTER (user_id IS NULL) FROM {LAKE_ROWS} WHERE ts IS NOT NULL")
    users, rows, first_ts, last_ts, anonymous = fetch_one(cur)
    return LayoutStats(users, rows, first_ts, last_ts, anonymous)


class EventFiles:
    """The folder of event files, and this process's read-only view of them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(config=self.config())
        self._lock = threading.Lock()
        self._attached: dict[str, str] = {}   # file name → alias
        self._activity: dict[str, Activity | None] = {}  # file name → its activity tables
        self._in_use: Counter[str] = Counter()

    def config(self) -> dict[str, str | bool | int | float | list[str]]:
        """DuckDB settings of every connection: the memory ceiling and where to spill past it."""
        limit = os.environ.get(MEMORY_ENV)
        if not limit:
            return {}
        return {"memory_limit": limit, "temp_directory": str(self.folder / SPILL_DIR)}

    # -- writing ---------------------------------------------------------------------------------
    @contextmanager
    def build(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
        """A connection to a new, private event file; it is closed and complete when this ends.

        The caller publishes the file (`publish`) after the block; if the block raises, the file is
        deleted and nothing anyone reads has changed.
        """
        incoming = self.folder / f"{INCOMING_PREFIX}{uuid.uuid4().hex}.duckdb"
        con = duckdb.connect(str(incoming), config=self.config())
        try:
            con.execute("SET TimeZone = 'UTC'")
            yield con, incoming
            con.execute("CHECKPOINT")  # everything in the file itself: no .wal beside it
        except BaseException:
            con.close()
            _remove(incoming)
            raise
        con.close()

    def publish(self, incoming: Path, fingerprint: str) -> str:
        """Move a built file into place under a name nobody has used; returns that file name."""
        name = f"{fingerprint[:16]}-{uuid.uuid4().hex[:12]}.duckdb"
        os.replace(incoming, self.folder / name)
        return name

    def retire(self, file: str) -> None:
        """Delete a file the catalog no longer points at (readers that still have it open keep it)."""
        with self._lock:
            alias = self._attached.get(file)
            if alias and not self._in_use[file]:
                self._detach(file, alias)
        _remove(self.folder / file)

    def discard(self, incoming: Path) -> None:
        _remove(incoming)

    # -- reading ---------------------------------------------------------------------------------
    @contextmanager
    def cursor(self, file: str, dataset: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor (times in UTC) that reads `file`, attached read-only as `alias_of(file)`."""
        with self._lock:
            if file not in self._attached:
                self._attach(file, dataset)
            self._in_use[file] += 1
        try:
            with self.scratch() as cur:
                yield cur
        finally:
            with self._lock:
                self._in_use[file] -= 1

    @contextmanager
    def scratch(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor (times in UTC) on this process's in-memory DuckDB, which attaches the files."""
        cur = self._con.cursor()
        try:
            cur.execute("SET TimeZone = 'UTC'")
            yield cur
        finally:
            cur.close()

    def _attach(self, file: str, dataset: str) -> None:
        path = self.folder / file
        if not path.is_file():
            raise NorthstarError(
                _("Dataset {dataset!r} was reloaded or deleted", dataset=dataset),
                _("Its events file {file} is gone from {folder}; someone loaded a new version. "
                  "Reload the page (or run the command again) to use the current one.",
                  file=file, folder=self.folder))
        self._prune()
        alias = alias_of(file)
        try:
            self._con.execute(f"ATTACH {quote_literal(str(path))} AS {quote_ident(alias)} (READ_ONLY)")
            row = self._con.execute(f"SELECT value FROM {quote_ident(alias)}.{META_TABLE} "
                                    "WHERE key = 'layout'").fetchone()
        except duckdb.Error as err:
            self._con.execute(f"DETACH DATABASE IF EXISTS {quote_ident(alias)}")
            raise NorthstarError(
                _("Events of dataset {dataset!r} are unreadable", dataset=dataset),
                _("{path} could not be opened ({error}). Load the dataset again "
                  "(northstar ingest FILE --dataset {dataset}).", path=path,
                  error=str(err).splitlines()[0], dataset=dataset)) from None
        if row is None or int(row[0]) > EVENT_FILE_LAYOUT:
            self._con.execute(f"DETACH {quote_ident(alias)}")
            raise NorthstarError(
                _("Events of dataset {dataset!r} were written by a newer Northstar", dataset=dataset),
                _("{path} has event layout {layout}; upgrade Northstar to read it.", path=path,
                  layout=row[0] if row else "?"))
        self._attached[file] = alias
        self._activity[file] = self._read_activity(alias)

    def _read_activity(self, alias: str) -> Activity | None:
        schema = quote_ident(alias)
        row = self._con.execute(f"SELECT value FROM {schema}.{META_TABLE} WHERE key = 'activity'").fetchone()
        if row is None or set(row[0].split(",")) != set(GRAINS):
            return None
        names = self._con.execute(f"SELECT enum_range(NULL::{schema}.{EVENT_TYPE})").fetchone()
        return Activity(tuple(names[0])) if names else None

    def activity(self, file: str, dataset: str) -> Activity | None:
        """The file's activity tables (None for a lake, an older file or too many event types)."""
        with self.cursor(file, dataset):
            return self._activity.get(file)

    def _prune(self) -> None:
        """Detach files that are gone from the folder (replaced by another process) and unused."""
        for file, alias in list(self._attached.items()):
            if not self._in_use[file] and not (self.folder / file).exists():
                self._detach(file, alias)

    def _detach(self, file: str, alias: str) -> None:
        self._con.execute(f"DETACH DATABASE IF EXISTS {quote_ident(alias)}")
        del self._attached[file]
        self._activity.pop(file, None)
        self._in_use.pop(file, None)

    def sweep_incoming(self, older_than_s: float = 3600) -> None:
        """Remove half-built files that a crashed ingest left behind."""
        now = datetime.now().timestamp()
        for path in self.folder.glob(f"{INCOMING_PREFIX}*"):
            if now - path.stat().st_mtime > older_than_s:
                log.info("Removing an unfinished ingest's file %s", path)
                _remove(path)

    def close(self) -> None:
        self._con.close()


def alias_of(file: str) -> str:
    """The name an event file is attached under (file names are unique, so aliases are too)."""
    return "ds_" + file.removesuffix(".duckdb").replace("-", "_")


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        with suppress(FileNotFoundError):
            leftover.unlink()
