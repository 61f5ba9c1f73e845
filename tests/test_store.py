"""The store folder: migration from the v1 file, refusals (newer, foreign, damaged), transactions, files."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime

import pytest

from northstar import metrics, tree
from northstar import workshop as ws
from northstar.errors import NorthstarError
from northstar.ingest import ingest_file
from northstar.store import Store
from northstar.store.schema import SCHEMA_VERSION
from tests.conftest import FIXTURES, ROOT, fixture

LEGACY = FIXTURES / "stores" / "legacy_v1_store.duckdb.gz"
LOCKED, OPEN = "38M5AU", "JRTP8T"  # the fixture's workshops (see stores/make_legacy_v1.py)


@pytest.fixture
def legacy_path(tmp_path):
    """A copy of the committed v1 store: one DuckDB file, as Northstar 0.1 left it."""
    path = tmp_path / "northstar.duckdb"
    path.write_bytes(gzip.decompress(LEGACY.read_bytes()))
    return path


def test_v1_store_is_migrated_in_place_with_nothing_lost(legacy_path):
    with Store(legacy_path) as store:
        assert legacy_path.is_dir() and (legacy_path / "legacy-v1.duckdb").is_file()
        datasets = {d.name: d for d in store.datasets()}
        assert sorted(datasets) == ["mixpanel", "tiny"]
        tiny = datasets["tiny"]
        # metrics_tiny.csv: 18 events of 4 users, 2024-01-01 09:00 → 2024-01-28 20:00
        assert (tiny.rows, tiny.users) == (18, 4)
        assert tiny.first_ts == datetime(2024, 1, 1, 9) and tiny.mapping["roles"]["user_id"] == "user_id"
        assert (datasets["mixpanel"].rows, datasets["mixpanel"].users) == (6, 3)
        # the events themselves, read back through the new layout
        with store.events(tiny) as cur:
            cur.execute(f"SELECT count(*), count(DISTINCT user_id), sum(amount) FROM {tiny.events_view}")
            assert cur.fetchone() == (18, 4, 42.0)  # amounts 10 + 5 + 20 + 7
        # candidates: the 8 defaults saved on first use, plus the one added by hand, in order
        names = [s.name for s in metrics.saved_candidates(store, tiny)]
        assert len(names) == 9 and names[0] == "Active users" and names[-1] == "Payers"
        weekly = metrics.compute(store, tiny, [metrics.MetricSpec("Payers", "active_users",
                                                                  events=("payment",))], "week")
        assert list(weekly["value"]) == [1.0, 1.0, 0.0, 0.0]  # a paid in week 1, c in week 2, nobody after
        # workshops: the locked one keeps its decision, scores, dots and PIN; the open one its people
        locked = ws.find_workshop(store, LOCKED)
        assert locked.decision is not None and locked.decision.chosen == "Payers"
        assert locked.decision.rationale == "Paying users lead revenue"
        assert ws.verify_pin(store, LOCKED, "2468") and not ws.verify_pin(store, LOCKED, "1111")
        results = ws.results(store, LOCKED)
        assert results.participants == ("Ann", "Bob")
        assert len(results.scores) == 11  # 5 + 5 + 1
        assert dict(zip(results.by_candidate["candidate"], results.by_candidate["dots"], strict=True)) == {
            "Payers": 5, "Active users": 1}
        assert ws.my_scores(store, LOCKED, "Bob")[("Active users", "critical")] == 2
        assert [p.name for p in ws.participants(store, OPEN)] == ["Cy"]
        assert ws.find_workshop(store, OPEN).decision is None
        # the tree
        saved = tree.load_tree(store, "tiny")
        assert saved is not None and [n.label for n in saved.nodes] == ["Payers", "Returning users"]
    with Store(legacy_path) as again:  # opening again finds a store folder: nothing more happens
        assert len(again.datasets()) == 2


def test_migrated_store_works_with_the_cli(legacy_path):
    result = subprocess.run([sys.executable, "-m", "northstar", "metrics", "--db", str(legacy_path),
                             "--dataset", "tiny"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Converting the Northstar 0.1 store" in result.stderr
    assert "2024-01-22,Active users,3\n" in result.stdout  # a, c and d


def test_newer_store_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "store"
    Store(path).close()
    newer = SCHEMA_VERSION + 1
    with sqlite3.connect(path / "state.sqlite") as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(newer)])
    with pytest.raises(NorthstarError) as err:
        Store(path)
    assert err.value.title == "Store made by a newer Northstar"
    assert f"schema version {newer}" in err.value.detail
    assert f"reads up to version {SCHEMA_VERSION}" in err.value.detail
    with sqlite3.connect(path / "state.sqlite") as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(newer),)


@pytest.mark.parametrize("case", ["garbage file", "sqlite file", "duckdb of another program",
                                  "folder of other files", "damaged state", "foreign state"])
def test_what_is_not_a_store_gets_one_clear_message(tmp_path, case):
    path = tmp_path / "store"
    if case == "garbage file":
        path.write_bytes(b"\x00\x01 this is no database at all" * 100)
    elif case == "sqlite file":
        sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    elif case == "duckdb of another program":
        import duckdb

        duckdb.connect(str(path)).execute("CREATE TABLE t AS SELECT 1").close()
    elif case == "folder of other files":
        path.mkdir()
        (path / "notes.txt").write_text("mine")
    elif case == "damaged state":
        path.mkdir()
        (path / "state.sqlite").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    else:
        path.mkdir()
        sqlite3.connect(path / "state.sqlite").execute("CREATE TABLE t (x)").connection.commit()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(NorthstarError) as err:
        Store(path)
    assert err.value.title in {"Not a Northstar store", "Store is damaged or not Northstar's"}
    assert "--db" in err.value.detail
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


def test_damaged_events_file_names_the_dataset(store):
    dataset = ingest_file(store, fixture("mixpanel.csv"))
    store.close()
    (store.path / "events" / dataset.file).write_bytes(b"broken" * 1000)
    with Store(store.path) as reopened, pytest.raises(NorthstarError) as err:
        metrics.compute(reopened, reopened.dataset("mixpanel"),
                        [metrics.MetricSpec("Active users", "active_users")])
    assert err.value.title == "Events of dataset 'mixpanel' are unreadable"
    assert "northstar ingest" in err.value.detail


def test_cli_on_a_damaged_store_prints_one_line(tmp_path):
    path = tmp_path / "store"
    path.write_bytes(b"not a store")
    result = subprocess.run([sys.executable, "-m", "northstar", "datasets", "--db", str(path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("northstar: Not a Northstar store")


def test_transaction_commits_all_or_nothing(store):
    with pytest.raises(RuntimeError), store.transaction() as con:
        con.execute("INSERT INTO candidates VALUES ('d', 0, 'a', '{}', 'user')")
        raise RuntimeError("half-way")
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM candidates").fetchone() == (0,)
    with store.transaction() as con:
        con.execute("INSERT INTO candidates VALUES ('d', 0, 'a', '{}', 'user')")
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM candidates").fetchone() == (1,)


def test_a_failed_load_leaves_no_file_behind(store):
    ingest_file(store, fixture("mixpanel.csv"), dataset="main")
    files = sorted((store.path / "events").iterdir())
    with pytest.raises(NorthstarError):
        ingest_file(store, fixture("bad_timestamps.csv"), dataset="main")
    assert sorted((store.path / "events").iterdir()) == files


def test_a_second_store_object_sees_writes_at_once(store):
    """Two processes are two Store objects on one folder: a write by one is read by the other."""
    other = Store(store.path)
    try:
        dataset = ingest_file(store, fixture("mixpanel.csv"))
        assert [d.name for d in other.datasets()] == ["mixpanel"]
        with other.events(other.dataset("mixpanel")) as cur:
            cur.execute(f"SELECT count(*) FROM {dataset.events_view}")
            assert cur.fetchone() == (6,)
        workshop = ws.create_workshop(other, "Q", [("A", ""), ("B", "")], "Zq7#pw")
        ann = ws.join(store, workshop.code, "Ann")
        ws.set_score(store, workshop.code, "Ann", "A", "critical", 4, secret=ann.secret)
        assert ws.my_scores(other, workshop.code, "Ann") == {("A", "critical"): 4}
    finally:
        other.close()


def test_copy_of_a_store_folder_is_a_store(store, tmp_path):
    ingest_file(store, fixture("mixpanel.csv"))
    shutil.copytree(store.path, tmp_path / "copy")
    with Store(tmp_path / "copy") as copy:
        assert copy.dataset("mixpanel").rows == 6
