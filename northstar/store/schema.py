"""Every table Northstar keeps, in one place: the state database's DDL, its version, and migrations.

Layout versions:
- 1: one DuckDB file held everything (Northstar 0.1). `legacy.py` converts it to version 2.
- 2: a store folder with `state.sqlite` (this DDL) and one DuckDB file per dataset under `events/`.
- 3: workshop identities and decisions: participants' and the facilitator's secrets (hashed), PIN
  attempts (the rate limit), and `decisions`, one row per lock with its frozen record.
- 4: each workshop has a language (`workshops.language`, "en" or "sv"): its join link and decision
  record use it. Workshops made before v4 are English.

A later version adds a function to `MIGRATIONS` that takes the state database from the version before
it to its own, run in the same transaction that records the new version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

SCHEMA_VERSION = 4
# PRAGMA application_id marks a SQLite file as Northstar's ("NSTR"), so a foreign one is told apart.
APPLICATION_ID = 0x4E535452

STATE_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    file TEXT NOT NULL,          -- its DuckDB file under events/, written once, then read-only
    source TEXT NOT NULL,
    rows INTEGER NOT NULL,
    users INTEGER NOT NULL,
    first_ts TEXT,
    last_ts TEXT,
    mapping TEXT NOT NULL,       -- JSON
    properties TEXT NOT NULL,    -- JSON list
    notes TEXT NOT NULL,         -- JSON list
    fingerprint TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS candidates (
    dataset TEXT NOT NULL,       -- by name: candidates survive re-loading the dataset
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,          -- JSON
    source TEXT NOT NULL,
    PRIMARY KEY (dataset, name)
);

CREATE TABLE IF NOT EXISTS workshops (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    dataset TEXT,
    pin_hash TEXT NOT NULL,
    pin_salt TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'locked')),
    chosen TEXT,
    chosen_definition TEXT,
    rationale TEXT,
    locked_at TEXT,
    host_hash TEXT,              -- sha256 of the facilitator link's secret (NULL: made before v3)
    version INTEGER NOT NULL DEFAULT 0,  -- how many times it was locked: the current decision's number
    language TEXT NOT NULL DEFAULT 'en'  -- the workshop's language (v4): its join link and record
);

CREATE TABLE IF NOT EXISTS shortlist (
    workshop INTEGER NOT NULL REFERENCES workshops (id),
    position INTEGER NOT NULL,
    candidate TEXT NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (workshop, candidate)
);

CREATE TABLE IF NOT EXISTS participants (
    workshop INTEGER NOT NULL REFERENCES workshops (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,      -- workshop.identity.name_key: NFKC, case-folded, invisibles stripped
    joined_at TEXT NOT NULL,
    secret_hash TEXT,            -- sha256 of the personal secret (NULL: joined before v3)
    PRIMARY KEY (workshop, name_key)
);

CREATE TABLE IF NOT EXISTS scores (
    workshop INTEGER NOT NULL REFERENCES workshops (id),
    participant TEXT NOT NULL,
    candidate TEXT NOT NULL,
    criterion TEXT NOT NULL,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workshop, participant, candidate, criterion)
);

CREATE TABLE IF NOT EXISTS votes (
    workshop INTEGER NOT NULL REFERENCES workshops (id),
    participant TEXT NOT NULL,
    candidate TEXT NOT NULL,
    dots INTEGER NOT NULL CHECK (dots BETWEEN 0 AND 3),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workshop, participant, candidate)
);

-- Every lock of a workshop, one version each: a reopen closes the current one. `snapshot` is the
-- decision record frozen at lock time (JSON), NULL for decisions locked before v3.
CREATE TABLE IF NOT EXISTS decisions (
    workshop INTEGER NOT NULL REFERENCES workshops (id),
    version INTEGER NOT NULL,
    chosen TEXT NOT NULL,
    definition TEXT NOT NULL,
    rationale TEXT NOT NULL,
    leader TEXT,                 -- the room's leader when it was locked (the proposal)
    override_reason TEXT,        -- why the facilitator chose another, NULL when the leader was chosen
    locked_at TEXT NOT NULL,
    reopened_at TEXT,
    reopen_reason TEXT,
    snapshot TEXT,
    PRIMARY KEY (workshop, version)
);

-- PIN tries per workshop, counted in the store so the limit holds across sessions and processes.
CREATE TABLE IF NOT EXISTS pin_attempts (
    workshop INTEGER NOT NULL REFERENCES workshops (id),
    at TEXT NOT NULL,
    ok INTEGER NOT NULL CHECK (ok IN (0, 1))
);

CREATE TABLE IF NOT EXISTS tree_nodes (
    dataset TEXT NOT NULL,
    tree TEXT NOT NULL,
    position INTEGER NOT NULL,
    id TEXT NOT NULL,
    parent TEXT,
    level TEXT NOT NULL,
    label TEXT NOT NULL,
    team TEXT,
    metric TEXT,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (dataset, tree, id)
);
"""

# Inside each dataset's DuckDB file: the physical tables and the logical view every metric reads.
EVENTS_TABLE = "events"          # user_key, ts, event (ENUM), amount, duration_s, nps_score, properties
USERS_TABLE = "users"            # user_key (in order of first appearance), user_id, first_ts
EVENTS_VIEW = "event_log"        # user_id, ts, event (text), amount, duration_s, nps_score, properties
EVENT_TYPE = "event_name"        # the ENUM of the dataset's event names
EVENT_FILE_LAYOUT = 1            # kept in each file's `northstar_meta`, checked when it is attached



def _v3(con: sqlite3.Connection) -> None:
    """Identities, PIN attempts and versioned decisions; every v2 row kept.

    Participants and facilitators of v2 have no secret yet (NULL): the next join by that name, or the
    facilitator's PIN, sets one. Name keys are recomputed with the v3 normalisation; when two v2 names
    now normalise alike, the later keeps its v2 key, so nobody's scores are merged or lost. A locked v2
    workshop becomes decision version 1, without a frozen snapshot (its record is rebuilt as before).
    """
    from northstar.text import name_key  # dependency-free; imported here to keep the DDL module small

    con.execute("ALTER TABLE workshops ADD COLUMN host_hash TEXT")
    con.execute("ALTER TABLE workshops ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
    con.execute("ALTER TABLE participants ADD COLUMN secret_hash TEXT")
    for statement in STATE_DDL.split(";"):
        if "CREATE TABLE IF NOT EXISTS decisions" in statement or "pin_attempts (" in statement:
            con.execute(statement)
    rows = con.execute("SELECT rowid, workshop, name, name_key FROM participants "
                       "ORDER BY workshop, joined_at, rowid").fetchall()
    assigned: set[tuple[int, str]] = set()
    final: list[tuple[str, int]] = []
    for rowid, workshop, name, old_key in rows:
        key = next(k for k in (name_key(name), old_key, f"{old_key}#{rowid}")
                   if (workshop, k) not in assigned)
        assigned.add((workshop, key))
        final.append((key, rowid))
    con.execute("UPDATE participants SET name_key = char(0) || rowid")  # no clash while keys move
    con.executemany("UPDATE participants SET name_key = ? WHERE rowid = ?", final)
    con.execute("INSERT INTO decisions (workshop, version, chosen, definition, rationale, locked_at) "
                "SELECT id, 1, chosen, coalesce(chosen_definition, ''), coalesce(rationale, ''), locked_at "
                "FROM workshops WHERE status = 'locked'")
    con.execute("UPDATE workshops SET version = 1 WHERE status = 'locked'")


def _v4(con: sqlite3.Connection) -> None:
    """Each workshop gets a language; the ones made before it are English (what they were run in)."""
    con.execute("ALTER TABLE workshops ADD COLUMN language TEXT NOT NULL DEFAULT 'en'")


# version reached → the step that brings the state database there from the version before it.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {3: _v3, 4: _v4}


def read_version(con: sqlite3.Connection) -> int | None:
    """The state database's schema version; None for a brand-new (empty) database."""
    tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" not in tables:
        return None if not tables else 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def create(con: sqlite3.Connection) -> None:
    """Create every table of the current version in an empty database (inside a transaction)."""
    # Statement by statement: executescript() would commit, and this runs inside the open transaction.
    for statement in STATE_DDL.split(";"):
        if statement.strip():
            con.execute(statement)
    set_version(con, SCHEMA_VERSION)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def set_version(con: sqlite3.Connection, version: int) -> None:
    con.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [str(version)])


def migrate(con: sqlite3.Connection, found: int) -> None:
    """Bring a version-`found` state database to SCHEMA_VERSION, one step at a time (in a transaction)."""
    for version in range(found + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](con)
        set_version(con, version)
