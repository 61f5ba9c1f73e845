"""The CLI contract: exit 0 and a summary on success, exit 2 and one stderr line on bad input."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from northstar.store.core import Store
from tests.conftest import ROOT, fixture


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "northstar", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def mixpanel_export(tmp_path):
    """A Mixpanel-style export: 5,000 events, epoch seconds, `$` properties, one quoted comma."""
    path = tmp_path / "mixpanel_export.csv"
    duckdb.sql(f"""
        COPY (
            SELECT 'user_' || (i % 250) AS distinct_id,
                   1717200000 + i * 37 AS time,
                   ['Sign Up', 'Page View', 'Report Shared', 'Purchase'][1 + i % 4] AS event,
                   CASE WHEN i % 3 = 0 THEN 'Paris, FR' ELSE 'Berlin' END AS "$city",
                   'mp-' || i AS "$insert_id"
            FROM range(5000) r(i)
        ) TO '{path}' (HEADER)""")
    return path


def test_mixpanel_export_loads_without_map_and_counts_every_row(tmp_path, mixpanel_export):
    db = tmp_path / "s"
    result = run("ingest", str(mixpanel_export), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "Loaded mixpanel_export: 5,000 rows, 250 users" in result.stdout
    assert "read from 'time' as epoch seconds" in result.stdout
    store = Store(db)
    dataset = store.dataset("mixpanel_export")
    with store.events(dataset) as cur:
        cur.execute(f"SELECT count(*), count(DISTINCT user_id), min(ts), max(ts), "
                    f"count(*) FILTER (WHERE \"$city\" = 'Paris, FR') FROM {dataset.events_view}")
        count, users, first, last, paris = cur.fetchone()
    store.close()
    assert (count, users, paris) == (5000, 250, 1667)
    assert str(first) == "2024-06-01 00:00:00"  # 1717200000
    assert str(last) == "2024-06-03 03:22:43"   # + 4999 * 37 s = 2 d 3 h 22 min 43 s


def test_broken_file_exits_2_and_keeps_the_existing_dataset(tmp_path):
    db = tmp_path / "s"
    assert run("ingest", str(fixture("mixpanel.csv")), "--db", str(db), "--dataset", "main"
               ).returncode == 0
    result = run("ingest", str(fixture("bad_timestamps.csv")), "--db", str(db), "--dataset", "main")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("northstar: timestamp column 'timestamp' does not hold dates or times")
    assert "'yesterday'" in lines[0]
    listing = run("datasets", "--db", str(db))
    assert listing.stdout.startswith("main: 6 rows, 3 users, 2024-01-01 → 2024-01-08 (from mixpanel.csv)")


def test_map_overrides_roles(tmp_path):
    db = tmp_path / "s"
    result = run("ingest", str(fixture("latin1_semicolon.csv")), "--db", str(db),
                 "--map", "user_id=kunde", "--map", "ts=datum", "--map", "event=aktion",
                 "--map", "amount=betrag * 2")
    assert result.returncode == 0, result.stderr
    assert "2 rows, 2 users" in result.stdout
    assert "amount = betrag * 2" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["ingest", "tests/fixtures/empty.csv"], "Empty file"),
    (["ingest", "tests/fixtures/mixpanel.csv", "--map", "colour=red"], "Unknown role"),
    (["ingest", "tests/fixtures/mixpanel.csv", "--map", "amount=price; DROP TABLE x"],
     "Expression not allowed"),
    (["ingest"], "Bad arguments"),
    (["frobnicate"], "Bad arguments"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    result = run(*args, *(["--db", str(tmp_path / "s")] if args[0] == "ingest" else []))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


def test_ensure_demo_loads_once(tmp_path):
    db = tmp_path / "s"
    first = run("ensure-demo", "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "Loaded the demo" in first.stdout
    second = run("ensure-demo", "--db", str(db))
    assert "already has data" in second.stdout
