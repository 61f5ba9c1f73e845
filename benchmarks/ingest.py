"""Ingest throughput on 1M Mixpanel-style rows as CSV, as JSON lines and as a .zip of gzipped JSON
lines (Amplitude's Export API shape), against DuckDB's own plain CSV load as the floor; and the
time and peak memory of a 10,000-column file (narrowed in one pass to its role columns and 200
properties, then loaded).

Run from the repository root: .venv/bin/python -m benchmarks.ingest [--rows N]
[--wide-only --wide-rows N] (only the 10,000-column file, of N rows).
Prints the figures measured in this one run; the last line is machine-readable.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
import time
import zipfile
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


def write_jsonl(csv: Path, path: Path) -> None:
    """The same rows as Mixpanel's raw export: {"event": ..., "properties": {"time": ..., ...}}."""
    duckdb.sql(f"""
        COPY (SELECT event, {{'time': time, 'distinct_id': distinct_id, '$browser': "$browser",
                             'mp_country_code': mp_country_code, 'price': price}} AS properties
              FROM read_csv('{csv}')) TO '{path}' (FORMAT json)""")


def write_zip(jsonl: Path, path: Path, parts: int = 24) -> None:
    """The JSON lines split into `parts` gzipped hourly files inside one .zip."""
    lines = jsonl.read_bytes().splitlines(keepends=True)
    step = -(-len(lines) // parts)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for part in range(parts):
            body = b"".join(lines[part * step:(part + 1) * step])
            archive.writestr(f"123/123_2024-01-01_{part}#0.json.gz", gzip.compress(body, 6))


def _timed_ingest(path: Path, folder: Path, name: str) -> tuple[float, int]:
    store = Store(folder / f"store-{name}")
    started = time.perf_counter()
    dataset = ingest_file(store, path)
    seconds = time.perf_counter() - started
    store.close()
    return seconds, dataset.rows


WIDE_CHILD = """
import sys, time, resource
from pathlib import Path
from northstar.errors import NorthstarError
from northstar.ingest import ingest_file
from northstar.store import Store
started = time.perf_counter()
try:
    ingest_file(Store(Path(sys.argv[2])), Path(sys.argv[1]))
    outcome = "loaded"
except NorthstarError as err:
    outcome = "refused: " + err.title
print(f"{time.perf_counter() - started:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} "
      f"{outcome}")
"""


def wide(folder: Path, columns: int = 10_000, rows: int = 5) -> tuple[float, float, str, float]:
    """(seconds, peak MB, outcome, file KB) of a 10,000-column file of `rows` rows, in a fresh
    process."""
    path = folder / "wide.csv"
    names = ["user_id", "timestamp", *(f"c{i}" for i in range(columns - 2))]
    tail = ",".join(str(i % 10) for i in range(columns - 2))
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(names) + "\n")
        handle.writelines(f"u{r % 97},2024-01-{1 + r % 28:02d},{tail}\n" for r in range(rows))
    child = subprocess.run([sys.executable, "-c", WIDE_CHILD, str(path), str(folder / "wide-store")],
                           capture_output=True, text=True, check=True)
    out = child.stdout.strip().splitlines()[-1].split(maxsplit=2)
    return float(out[0]), int(out[1]) / 1024, out[2].strip(), path.stat().st_size / 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--wide-only", action="store_true")
    parser.add_argument("--wide-rows", type=int, default=5)
    args = parser.parse_args()
    if args.wide_only:
        with tempfile.TemporaryDirectory() as folder:
            wide_s, wide_mb, wide_outcome, wide_kb = wide(Path(folder), rows=args.wide_rows)
        print(f"10,000 columns × {args.wide_rows:,} rows ({wide_kb:,.0f} KB): {wide_s:.2f} s, "
              f"peak {wide_mb:.0f} MB, {wide_outcome}")
        print(f"wide_rows={args.wide_rows} wide_s={wide_s:.2f} wide_peak_mb={wide_mb:.0f}")
        return
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

        jsonl = Path(folder) / "mixpanel_export.jsonl"
        write_jsonl(csv, jsonl)
        jsonl_s, jsonl_rows = _timed_ingest(jsonl, Path(folder), "jsonl")
        archive = Path(folder) / "amplitude_export.zip"
        write_zip(jsonl, archive)
        zip_s, zip_rows = _timed_ingest(archive, Path(folder), "zip")
        wide_s, wide_mb, wide_outcome, wide_kb = wide(Path(folder))

    assert dataset.rows == jsonl_rows == zip_rows == args.rows, (dataset.rows, jsonl_rows, zip_rows)
    print(f"file: {args.rows:,} rows, {size_mb:.0f} MB")
    print(f"floor (DuckDB read_csv into a table, no mapping or checks): {floor_s:.2f} s")
    print(f"northstar ingest (sniff, detect roles, convert, check, encode, sort): {ingest_s:.2f} s")
    print(f"CSV:          {args.rows / ingest_s:>10,.0f} rows/s")
    print(f"JSON lines:   {args.rows / jsonl_s:>10,.0f} rows/s ({jsonl_s:.2f} s)")
    print(f"zip of JSONL: {args.rows / zip_s:>10,.0f} rows/s ({zip_s:.2f} s, 24 gzipped files)")
    print(f"10,000 columns ({wide_kb:.0f} KB): {wide_s:.2f} s, peak {wide_mb:.0f} MB, {wide_outcome}")
    print(f"rows={args.rows} ingest_s={ingest_s:.2f} rows_per_s={args.rows / ingest_s:,.0f} "
          f"mb_per_s={size_mb / ingest_s:.1f} ratio_vs_floor={ingest_s / floor_s:.1f} "
          f"jsonl_rows_per_s={args.rows / jsonl_s:.0f} zip_rows_per_s={args.rows / zip_s:.0f} "
          f"wide_s={wide_s:.2f} wide_peak_mb={wide_mb:.0f}")


if __name__ == "__main__":
    main()
