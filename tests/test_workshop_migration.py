"""Schema 2 → 3: a store from before identities and versioned decisions migrates with nothing lost."""

from __future__ import annotations

import sqlite3

import pytest

from northstar import workshop as ws
from northstar.errors import NorthstarError
from northstar.report import frozen_record
from northstar.store import Store, schema
from tests.conftest import FIXTURES

V2_DDL = (FIXTURES / "stores" / "state_v2.sql").read_text()
# pbkdf2_sha256 of "2468" with salt 00…00, 1000 iterations: a v2 PIN (v2 allowed 4 digits)
PIN_HASH = ws.actions.hash_pin("2468", bytes(16), 1000)


def make_v2_store(folder) -> None:
    """A v2 state database as Northstar 0.2 left it: one open and one locked workshop."""
    folder.mkdir(parents=True)
    (folder / "events").mkdir()
    con = sqlite3.connect(folder / "state.sqlite")
    con.executescript(V2_DDL)
    con.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    con.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    con.executemany(
        "INSERT INTO workshops (id, code, name, dataset, pin_hash, pin_salt, created_at, status, chosen, "
        "chosen_definition, rationale, locked_at) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(1, "OPEN22", "Open one", PIN_HASH, "00" * 16, "2026-01-05 10:00:00", "open", None, None, None,
          None),
         (2, "LOCK22", "Locked one", PIN_HASH, "00" * 16, "2026-01-06 10:00:00", "locked", "A", "All of A",
          "Because A.", "2026-01-06 11:00:00")])
    con.executemany("INSERT INTO shortlist VALUES (?, ?, ?, ?)",
                    [(w, i, c, f"All of {c}") for w in (1, 2) for i, c in enumerate("AB")])
    # v2 keys were name.casefold(): "ann" and "ann\u200b" (a look-alike) were two people then.
    con.executemany("INSERT INTO participants VALUES (?, ?, ?, ?)",
                    [(1, "Ann", "ann", "2026-01-05 10:01:00"),
                     (1, "Ann\u200b", "ann\u200b", "2026-01-05 10:02:00"),
                     (1, "Bo Ek", "bo ek", "2026-01-05 10:03:00"), (2, "Cy", "cy", "2026-01-06 10:01:00")])
    con.executemany("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?)",
                    [(1, "Ann", "A", "critical", 5, "2026-01-05 10:05:00"),
                     (1, "Ann\u200b", "A", "critical", 1, "2026-01-05 10:06:00"),
                     (1, "Bo Ek", "B", "measurable", 3, "2026-01-05 10:07:00"),
                     (2, "Cy", "A", "critical", 4, "2026-01-06 10:05:00")])
    con.executemany("INSERT INTO votes VALUES (?, ?, ?, ?, ?)",
                    [(1, "Ann", "A", 3, "2026-01-05 10:08:00"), (1, "Ann", "B", 0, "2026-01-05 10:08:00"),
                     (2, "Cy", "A", 2, "2026-01-06 10:06:00")])
    con.commit()
    con.close()


def _rows(con, table: str, columns: str) -> list[tuple]:
    return sorted(con.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)


def test_a_v2_store_migrates_to_v3_with_nothing_lost(tmp_path):
    folder = tmp_path / "store"
    make_v2_store(folder)
    before = sqlite3.connect(folder / "state.sqlite")
    kept = {table: _rows(before, table, columns) for table, columns in (
        ("workshops", "id, code, name, pin_hash, pin_salt, created_at, status, chosen, rationale, locked_at"),
        ("shortlist", "*"), ("scores", "*"), ("votes", "*"),
        ("participants", "workshop, name, joined_at"))}
    before.close()

    store = Store(folder)
    try:
        with store.read() as con:
            version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            assert version == (str(schema.SCHEMA_VERSION),)
            for table, columns in (
                    ("workshops", "id, code, name, pin_hash, pin_salt, created_at, status, chosen, "
                                  "rationale, locked_at"),
                    ("shortlist", "*"), ("scores", "*"), ("votes", "*"),
                    ("participants", "workshop, name, joined_at")):
                assert _rows(con, table, columns) == kept[table], table
            keys = dict(con.execute("SELECT name, name_key FROM participants"))
            assert con.execute("SELECT count(*) FROM participants WHERE secret_hash IS NOT NULL"
                               ).fetchone() == (0,)
        # The look-alike keeps its v2 key: still a separate person with its own score
        assert keys == {"Ann": "ann", "Ann\u200b": "ann\u200b", "Bo Ek": "bo ek", "Cy": "cy"}
        found = ws.results(store, "OPEN22").by_criterion.set_index(["candidate", "criterion"])
        assert found.loc[("A", "critical"), "n"] == 2
        # The locked workshop became decision version 1; its record is rebuilt (no snapshot then)
        locked = ws.find_workshop(store, "LOCK22")
        assert locked.locked and locked.version == 1
        assert (locked.decision.chosen, locked.decision.rationale, locked.decision.version) == (
            "A", "Because A.", 1)
        assert [d.chosen for d in ws.decisions(store, "LOCK22")] == ["A"]
        assert ws.snapshot_of(store, "LOCK22") is None
        assert frozen_record(store, "LOCK22").nsm == "A"
        # v2 PINs still verify (PBKDF2, its iteration count kept with the hash)
        assert ws.verify_pin(store, "OPEN22", "2468")
        # Who joined before v3 claims a secret on the next join; then the name is theirs
        ann = ws.join(store, "OPEN22", "ann")
        assert ann.name == "Ann" and ann.secret
        with pytest.raises(NorthstarError, match="taken"):
            ws.join(store, "OPEN22", "ANN")
        ws.set_score(store, "OPEN22", "Ann", "B", "critical", 2, secret=ann.secret)
        # The facilitator of a v2 workshop gets a facilitator link with the PIN
        host = ws.recover_host(store, "OPEN22", "2468")
        assert ws.is_host(store, "OPEN22", host)
    finally:
        store.close()


def test_migration_moves_keys_without_clashes(tmp_path):
    """A v2 name whose v3 key another v2 key already holds: both stay, nobody merged."""
    folder = tmp_path / "store"
    make_v2_store(folder)
    con = sqlite3.connect(folder / "state.sqlite")
    # Joined first, key "ann\ufeff" in v2; its v3 key "ann" is taken by the later "Ann" (key "ann").
    con.execute("INSERT INTO participants VALUES (1, 'ANN\ufeff', 'ann\ufeff', '2026-01-05 09:00:00')")
    con.commit()
    con.close()
    store = Store(folder)
    try:
        with store.read() as con:
            keys = dict(con.execute("SELECT name, name_key FROM participants WHERE workshop = 1"))
        assert len(set(keys.values())) == len(keys) == 4
        assert keys["ANN\ufeff"] == "ann" and keys["Ann"].startswith("ann") and keys["Ann"] != "ann"
    finally:
        store.close()
