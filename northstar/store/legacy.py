"""Before a store opens: make sure its path is a store folder, converting a version-1 file in place.

Version 1 of Northstar kept everything in one DuckDB file. Opened by path, such a file becomes a store
folder at the same path, with nothing lost: every dataset's events get a file of their own, the
catalog, candidates, workshops, scores, votes and trees move to the state database, and the old file
is kept inside the folder as `legacy-v1.duckdb`. The conversion is built beside the file and swapped
in with two renames under a lock, so a second process never sees half of it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from northstar.errors import NorthstarError
from northstar.i18n import _
from northstar.store.events import EventFiles, write_layout
from northstar.store.sql import quote_ident, quote_literal
from northstar.store.state import open_state, to_db

log = logging.getLogger(__name__)

LEGACY_NAME = "legacy-v1.duckdb"
COMPLETE_MARK = ".migration-complete"
STATE_FILE, EVENTS_DIR = "state.sqlite", "events"
# What a store folder may hold besides its state database; anything else means it is not a store.
STORE_ENTRIES = {STATE_FILE, f"{STATE_FILE}-wal", f"{STATE_FILE}-shm", EVENTS_DIR, LEGACY_NAME,
                 f"{LEGACY_NAME}.wal"}
# v1 table → (v2 table, columns in both, columns holding timestamps)
_STATE_TABLES = (
    ("ns_candidates", "candidates", ("dataset", "position", "name", "spec", "source"), ()),
    ("ws_workshops", "workshops", ("id", "code", "name", "dataset", "pin_hash", "pin_salt", "created_at",
                                   "status", "chosen", "chosen_definition", "rationale", "locked_at"),
     ("created_at", "locked_at")),
    ("ws_shortlist", "shortlist", ("workshop", "position", "candidate", "definition"), ()),
    ("ws_participants", "participants", ("workshop", "name", "name_key", "joined_at"), ("joined_at",)),
    ("ws_scores", "scores", ("workshop", "participant", "candidate", "criterion", "score", "updated_at"),
     ("updated_at",)),
    ("ws_votes", "votes", ("workshop", "participant", "candidate", "dots", "updated_at"), ("updated_at",)),
    ("ws_tree_nodes", "tree_nodes", ("dataset", "tree", "position", "id", "parent", "level", "label", "team",
                                     "metric", "saved_at"), ("saved_at",)),
)


def prepare_folder(path: Path) -> None:
    """Leave `path` a store folder (new, existing, or converted from a v1 file); refuse anything else."""
    work = path.parent / f".{path.name}.migrating"
    if not path.exists() and (work / COMPLETE_MARK).exists():
        with _locked(path):
            _finish(work, path)
    if path.is_dir():
        _check_folder(path)
        return
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True)
        return
    _check_is_v1(path)
    with _locked(path):
        if path.is_file():  # nobody converted it while we waited for the lock
            migrate_v1(path, work)


def _check_folder(path: Path) -> None:
    stray = sorted(p.name for p in path.iterdir() if p.name not in STORE_ENTRIES)
    if stray and not (path / STATE_FILE).exists():
        raise NorthstarError(
            _("Not a Northstar store"),
            _("{path} is a folder of other files ({files}). Pass a new or empty folder as --db; "
              "Northstar creates the store there.", path=path, files=", ".join(stray[:5])))


def _check_is_v1(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(16)
    if head[8:12] != b"DUCK":
        kind = _("a SQLite database") if head.startswith(b"SQLite format 3") else _("not a database")
        raise NorthstarError(
            _("Not a Northstar store"),
            _("{path} is a file ({kind}), not a Northstar store folder. Pass the store's folder, or a "
              "new path, as --db.", path=path, kind=kind))
    try:
        with contextlib.closing(duckdb.connect(str(path), read_only=True)) as con:
            row = con.execute("SELECT value FROM ns_meta WHERE key = 'schema_version'").fetchone()
    except duckdb.CatalogException:
        row = None
    except duckdb.Error as err:
        raise NorthstarError(
            _("Store file is in use or damaged"),
            _("{path} (a Northstar 0.1 store) could not be opened to convert it: {error}. Stop the old "
              "Northstar using it, then try again.", path=path, error=str(err).splitlines()[0])) from None
    if row is None:
        raise NorthstarError(_("Not a Northstar store"),
                             _("{path} is a DuckDB database of another program. Pass a new path as --db.",
                               path=path))
    if row[0] != "1":
        raise NorthstarError(_("Unknown store version"),
                             _("{path} says schema version {found}; this Northstar converts version 1.",
                               path=path, found=row[0]))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock_path = path.parent / f".{path.name}.lock"
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    with contextlib.suppress(FileNotFoundError):
        lock_path.unlink()


def migrate_v1(path: Path, work: Path) -> None:
    """Convert the v1 file at `path` into a store folder at the same path (see the module doc)."""
    log.warning("Converting the Northstar 0.1 store %s to a store folder", path)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with contextlib.closing(duckdb.connect(str(path), read_only=True)) as old:
        datasets = old.execute(
            "SELECT id, name, source, rows, users, first_ts, last_ts, mapping, properties, notes, "
            "fingerprint, loaded_at FROM datasets ORDER BY id").fetchall()
        tables = {name for (name,) in old.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        state_rows = {v1: old.execute(f"SELECT {', '.join(columns)} FROM {v1}").fetchall()
                      for v1, _v2, columns, _keys in _STATE_TABLES if v1 in tables}
    files = EventFiles(work / EVENTS_DIR)
    published = [(row, _copy_events(files, path, row)) for row in datasets]
    files.close()
    state = open_state(work / STATE_FILE)
    try:
        with state.transaction() as con:
            for row, file in published:
                (id_, name, source, rows, users, first_ts, last_ts, mapping, properties, notes,
                 fingerprint, loaded_at) = row
                con.execute(
                    "INSERT INTO datasets (id, name, source, rows, users, first_ts, last_ts, mapping, "
                    "properties, notes, fingerprint, loaded_at, file) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [id_, name, source or "", rows, users, to_db(first_ts), to_db(last_ts),
                     mapping or "{}", properties or "[]", notes or "[]", fingerprint or "",
                     to_db(loaded_at), file])
            for v1, v2, columns, times in _STATE_TABLES:
                at = [columns.index(c) for c in times]
                con.executemany(
                    f"INSERT INTO {v2} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    [[to_db(v) if i in at else v for i, v in enumerate(r)] for r in state_rows.get(v1, [])])
    finally:
        state.close()
    (work / COMPLETE_MARK).touch()
    _finish(work, path)
    log.warning("Converted %s: %d datasets; the old file is kept as %s", path, len(datasets),
                path / LEGACY_NAME)


def _copy_events(files: EventFiles, legacy_path: Path, row: tuple) -> str:
    """Write one v1 dataset's events into a file of its own, through the same layout ingest writes."""
    id_, fingerprint, properties = row[0], row[10] or "legacy", json_list(row[8])
    with files.build() as (cur, incoming):
        cur.execute(f"ATTACH {quote_literal(str(legacy_path))} AS v1 (READ_ONLY)")
        cur.execute(f"CREATE TEMP TABLE typed AS SELECT * FROM v1.{quote_ident(f'ns_view_{id_}')}")
        cur.execute("DETACH v1")
        write_layout(cur, "typed", tuple(properties))
    return files.publish(incoming, fingerprint)


def json_list(text: str | None) -> list[str]:
    return list(json.loads(text or "[]"))


def _finish(work: Path, path: Path) -> None:
    """The swap: the old file goes inside the new folder, which takes its name."""
    if path.is_file():
        os.replace(path, work / LEGACY_NAME)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            os.replace(wal, work / f"{LEGACY_NAME}.wal")
    (work / COMPLETE_MARK).unlink(missing_ok=True)
    os.replace(work, path)
