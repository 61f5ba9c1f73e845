"""A 10,000-column export loads: the role columns found anywhere, at most 200 properties kept."""

from __future__ import annotations

import csv
import time

from northstar.ingest.load import ingest_file
from northstar.ingest.wide import WIDE_PROPERTIES


def write_wide(path, columns: int = 10_000, rows: int = 30) -> None:
    """`p0 … p{n}` properties with the roles spread out: the user third, the event at 5,000 and
    the money at 9,000 (named `revenue_usd`), the time last."""
    names = [f"p{i}" for i in range(columns - 4)]
    names.insert(2, "distinct_id")
    names.insert(5_000, "event_name")
    names.insert(9_000, "revenue_usd")
    names.append("event_time")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for row in range(rows):
            values = [str(row % 10)] * len(names)
            values[2] = f"u{row % 4}"                      # 4 users
            values[5_000] = "purchase" if row % 3 == 0 else "view"
            values[9_000] = "10.50" if row % 3 == 0 else ""
            values[-1] = f"2024-01-{1 + row:02d} 12:00:00"  # 1 … 30 January
            writer.writerow(values)


def test_a_ten_thousand_column_file_loads_with_its_roles(store, tmp_path):
    path = tmp_path / "wide.csv"
    write_wide(path)
    started = time.perf_counter()
    dataset = ingest_file(store, path)
    assert time.perf_counter() - started < 30
    assert (dataset.rows, dataset.users) == (30, 4)
    assert str(dataset.first_ts)[:10] == "2024-01-01" and str(dataset.last_ts)[:10] == "2024-01-30"
    assert len(dataset.properties) <= WIDE_PROPERTIES
    with store.events(dataset) as cur:
        cur.execute(f"SELECT count(*) FILTER (event = 'purchase'), sum(amount) "
                    f"FROM {dataset.events_view}")
        # rows 0, 3, …, 27 are purchases: 10 of them, 10 × 10.50 = 105.0
        assert cur.fetchone() == (10, 105.0)
    notes = " | ".join(str(n) for n in dataset.notes)
    # 10,000 columns − 4 role columns − 200 properties = 9,796 left out
    assert ("wide.csv has 10,000 columns: kept the role columns (distinct_id, event_time, "
            "event_name, revenue_usd) and the first 200 other columns as properties; 9,796 columns "
            "left out") in notes


def test_a_chosen_column_far_right_is_kept(store, tmp_path):
    path = tmp_path / "wide.csv"
    write_wide(path)
    # p7000 holds row % 10 on rows 0 … 29: 10 distinct users
    dataset = ingest_file(store, path, overrides={"user_id": "p7000"})
    assert (dataset.rows, dataset.users) == (30, 10)
    assert "distinct_id" in dataset.properties
