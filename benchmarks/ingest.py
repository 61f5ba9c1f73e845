"""Ingest throughput on a 1M-row Mixpanel-style CSV, against DuckDB's own plain CSV load as the floor.

Run from the repository root: .venv/bin/python -m benchmarks.ingest [--rows N]
Prints the figures measured in this one run; the last line is machine-readable.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from northstar.ingest import ingest_file
from northstar.store import Store


def write_export(path: Path, rows: int) -> None:
    """Mixpanel-like: distinct_id, epoch-second time, event, two `$` properties, a price."""
    duckdb.sql(f"""
        COPY (
            SELECT 'user_' || (hash(i) % 50000) AS distinct_id,
                   1704067200 + i * 31 AS time,
                   ['Sign Up', 'Session', 'Report Shared', 'Purchase', 'Page View'][1 + i % 5] AS event,
                   ['Chrome', 'Safari', 'Firefox'][1 + i % 3] AS "$browser",
                   ['US', 'DE', 'FR', 'GB'][1 + i % 4] AS mp_country_code,
                   CASE WHEN i % 5 = 3 THEN round(5 + (i % 97), 2) END AS price
            FROM range({rows}) r(i)
        ) TO '{path}' (HEADER)""")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "mixpanel_export.csv"
        write_export(csv, args.rows)
        size_mb = csv.stat().st_size / 1e6

        floor_db = duckdb.connect(str(Path(folder) / "floor.duckdb"))
        started = time.perf_counter()
        floor_db.execute(f"CREATE TABLE events AS SELECT * FROM read_csv('{csv}')")
        floor_s = time.perf_counter() - started
        floor_db.close()

        store = Store(Path(folder) / "store")
        started = time.perf_counter()
        dataset = ingest_file(store, csv)
        ingest_s = time.perf_counter() - started
        store.close()

    assert dataset.rows == args.rows, (dataset.rows, args.rows)
    print(f"file: {args.rows:,} rows, {size_mb:.0f} MB")
    print(f"floor (DuckDB read_csv into a table, no mapping or checks): {floor_s:.2f} s")
    print(f"northstar ingest (sniff, detect roles, convert, check, encode, sort): {ingest_s:.2f} s")
    print(f"rows={args.rows} ingest_s={ingest_s:.2f} rows_per_s={args.rows / ingest_s:,.0f} "
          f"mb_per_s={size_mb / ingest_s:.1f} ratio_vs_floor={ingest_s / floor_s:.1f}")


if __name__ == "__main__":
    main()
