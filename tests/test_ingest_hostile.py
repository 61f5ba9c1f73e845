"""Ingest item 3: a hostile corpus, each file with its exact outcome: loaded with counts and a
counted note, or refused (exit 2, one line) with the prior dataset untouched."""

from __future__ import annotations

import gzip
import time
from datetime import datetime

import pytest

from northstar.cli import main
from northstar.ingest.load import ingest_file
from tests.conftest import fixture


def _gz(text: str) -> bytes:
    return gzip.compress(text.encode())


GOOD = "user_id,timestamp,event,amount\nu1,2024-01-01,buy,10\nu2,2024-01-02,buy,5\n"

# name → (content, rows, users, first ts, last ts, sum(amount), a note that must be there)
LOADS = {
    "mixed_epochs.csv": (
        "user_id,time\nu1,1704067200\nu2,1704153600000\nu3,1704240000000000\nu4,1704326400\n",
        4, 4, datetime(2024, 1, 1), datetime(2024, 1, 4), None,
        "epoch times in mixed units, each read by its magnitude (2 in seconds, 1 in milliseconds, "
        "1 in microseconds)"),
    "inf_amounts.csv": (
        "user_id,timestamp,amount\nu1,2024-01-01,10\nu1,2024-01-02,inf\nu2,2024-01-03,-Infinity\n"
        "u2,2024-01-04,5\n",
        4, 2, datetime(2024, 1, 1), datetime(2024, 1, 4), 15.0,
        "2 amount values could not be read, left empty (e.g."),
    "nul_bytes.csv": (
        "user_id,timestamp\nu1,2024-01-01\nu1\x00,2024-01-02\nu2,2024-01-03\n",
        2, 2, datetime(2024, 1, 1), datetime(2024, 1, 3), None,
        "1 row left out: its user id or event name holds NUL bytes (e.g. 'u1\\x00')"),
    "what?.csv": ("user_id,timestamp\nu1,2024-01-01\n", 1, 1, datetime(2024, 1, 1),
                  datetime(2024, 1, 1), None, "no money column"),
    "ragged.txt": ("user  time  event\nu1  2024-01-01  a\nu2  2024-01-02\nu3  2024-01-03  c\n",
                   2, 2, datetime(2024, 1, 1), datetime(2024, 1, 3), None,
                   "1 line with another number of fields than the header was left out"),
    # 120 events in March 2024 (u0..u9; the first 1 March 10:00, the last 28 March 17:00: i = 55 is
    # day 28 at 17h) and three that cannot be real: epoch zero, 2099, and 2004 (20 years before a
    # bulk 4 weeks wide: beyond P1 - 2 x 30 days). All three are left out, each counted.
    "implausible_times.csv": (
        "user_id,timestamp\n" + "".join(f"u{i % 10},2024-03-{1 + i % 28:02d} 1{i % 8}:00\n"
                                        for i in range(120))
        + "u10,1970-01-01 00:00\nu11,2099-01-01 00:00\nu12,2004-03-01 00:00\n",
        120, 10, datetime(2024, 3, 1, 10), datetime(2024, 3, 28, 17), None,
        "1 event left out: its timestamp lies far outside the bulk of the data"),
    # 10,000 columns: narrowed to the 2 role columns and 200 properties before DuckDB reads it.
    "wide.csv": (
        ",".join(["user_id", "timestamp"] + [f"c{i}" for i in range(9998)]) + "\n"
        + ",".join(["u1", "2024-01-01"] + ["1"] * 9998) + "\n",
        1, 1, datetime(2024, 1, 1), datetime(2024, 1, 1), None,
        "wide.csv has 10,000 columns: kept the role columns (user_id, timestamp) and the first 200 "
        "other columns as properties; 9,798 columns left out"),
}

# name → (content, the start of the one line printed)
REFUSED = {
    "truncated.csv.gz": (_gz(GOOD * 50)[:-30], "northstar: truncated.csv.gz is a truncated gzip file"),
    "corrupt.csv.gz": (b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"garbage" * 20,
                       "northstar: corrupt.csv.gz is a corrupt gzip file"),
    "huge_cell.csv": ("user_id,timestamp,note\nu1,2024-01-01," + "x" * 10_000_000 + "\n",
                      "northstar: Could not read huge_cell.csv as CSV: DuckDB says: a line is longer "
                      "than DuckDB's maximum line size"),
    "broken.json": ('{"event": "a", "properties": {"time": 1}}\n{"event": "b", "prop',
                    "northstar: Could not read broken.json as JSON: DuckDB says:"),
    "not_a_zip.zip": (b"PK\x03\x04" + b"\x00" * 40, "northstar: not_a_zip.zip is a corrupt or "
                                                    "truncated .zip"),
    "one_column.csv": ("a b c\n1 2\n3 4 5 6\n", "northstar: Read as one column"),
}


def _write(path, content) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


@pytest.mark.parametrize("name", LOADS)
def test_hostile_file_loads_with_exact_counts_and_a_counted_note(store, tmp_path, name):
    content, rows, users, first, last, amount, note = LOADS[name]
    _write(tmp_path / name, content)
    (tmp_path / "whatX.csv").write_text("user_id,timestamp\nz1,2024-05-01\nz2,2024-05-02\n",
                                        encoding="utf-8")
    dataset = ingest_file(store, tmp_path / name)
    assert (dataset.rows, dataset.users, dataset.first_ts, dataset.last_ts) == (rows, users, first, last)
    with store.events(dataset) as cur:
        cur.execute(f"SELECT sum(amount), count(*) FILTER (contains(user_id, chr(0))) "
                    f"FROM {dataset.events_view}")
        assert cur.fetchone() == (amount, 0)
    assert any(note in n for n in (*dataset.notes, *dataset.mapping["read_as"].values())), \
        dataset.notes


def test_implausible_timestamps_are_each_left_out_with_a_note(store, tmp_path):
    name = "implausible_times.csv"
    _write(tmp_path / name, LOADS[name][0])
    dataset = ingest_file(store, tmp_path / name)
    assert dataset.mapping["implausible"] | {"low": None, "high": None} == {
        "before_1990": 1, "after_load": 1, "outside_bulk": 1, "low": None, "high": None}
    notes = " | ".join(dataset.notes)
    assert "1 event left out: its timestamp is before 1990, a zero or placeholder date " \
           "(e.g. '1970-01-01 00:00:00')" in notes
    assert "1 event left out: its timestamp is more than a day after the load " \
           "(e.g. '2099-01-01 00:00:00')" in notes
    assert "(e.g. '2004-03-01 00:00:00')" in notes
    with store.events(dataset) as cur:  # u10, u11, u12 had only the events left out
        cur.execute(f"SELECT count(DISTINCT user_id) FROM {dataset.events_view} "
                    f"WHERE user_id IN ('u10', 'u11', 'u12')")
        assert cur.fetchone() == (0,)


def test_a_small_file_keeps_its_far_apart_events(store, tmp_path):
    """Under 100 events the bulk rule does not apply: two events years apart are both kept."""
    path = tmp_path / "sparse.csv"
    path.write_text("user_id,timestamp\nu1,2004-03-01\nu2,2024-03-01\n", encoding="utf-8")
    dataset = ingest_file(store, path)
    assert (dataset.rows, "implausible" in dataset.mapping) == (2, False)


@pytest.mark.parametrize("name", REFUSED)
def test_hostile_file_is_refused_with_one_line_and_prior_data_untouched(tmp_path, capsys, name):
    db = str(tmp_path / "store")
    assert main(["ingest", str(fixture("mixpanel.csv")), "--db", db, "--dataset", "main"]) == 0
    capsys.readouterr()
    content, line = REFUSED[name]
    _write(tmp_path / name, content)
    started = time.monotonic()
    assert main(["ingest", str(tmp_path / name), "--db", db, "--dataset", "main"]) == 2
    refused_in = time.monotonic() - started
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(line), err
    assert main(["datasets", "--db", db]) == 0
    assert "main: 6 rows, 3 users" in capsys.readouterr().out
    del refused_in  # figures belong to benchmarks/ingest.py, not to asserts
