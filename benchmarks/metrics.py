"""All default candidates on 10M events: Northstar's compiler vs the one-scan floor and vs pandas.

Run from the repository root: .venv/bin/python -m benchmarks.metrics [--events N] [--users N]
[--data FILE.parquet]  (an existing file is reused, a missing one is generated there and kept)
Each part runs in its own process (so peak memory is its own); the last line is machine-readable:
ratio_vs_floor=… ratio_vs_pandas=… cached_ms=… peak_mb=… compare_s=…
compare_s is the Compare page's ranking against Revenue, cold (a new process, empty caches), over
the default candidates plus the suggestions.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

EVENT_TYPES = ("session", "page_view", "report_shared", "purchase", "subscription_payment")
REPEATS = 3


def generate(path: Path, events: int, users: int) -> None:
    """`events` rows over two years, string user ids as exports carry them, five event types."""
    duckdb.sql(f"""
        COPY (
            SELECT 'user-' || lpad(CAST(u AS VARCHAR), 7, '0') AS user_id,
                   TIMESTAMP '2024-01-01' + to_seconds(CAST(floor(t) AS BIGINT)) AS timestamp,
                   e AS event,
                   CASE e WHEN 'purchase' THEN round(5 + random() * 95, 2)
                          WHEN 'subscription_payment' THEN [19.0, 49.0, 99.0][1 + u % 3] END AS amount,
                   CASE WHEN e = 'session' THEN round(30 + random() * 1800) END AS duration_s
            FROM (
                SELECT CAST(floor(pow(random(), 1.3) * {users}) AS BIGINT) AS u,
                       random() * 2 * 365 * 86400 AS t,
                       {list(EVENT_TYPES)}[1 + CAST(floor(pow(random(), 1.6) * 5) AS INTEGER)] AS e
                FROM range({events})
            )
            ORDER BY timestamp
        ) TO '{path}' (FORMAT parquet)""")


def _best(run) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def part_floor(data: Path, folder: Path) -> dict:
    """What a naive store keeps: VARCHAR ids and events; one GROUP BY week for three aggregates."""
    con = duckdb.connect(str(folder / "floor.duckdb"))
    con.execute(f"CREATE TABLE events AS SELECT user_id, CAST(timestamp AS TIMESTAMP) AS ts, event, "
                f"amount, duration_s FROM read_parquet('{data}')")
    sql = ("SELECT date_trunc('week', ts) AS week, count(*), count(DISTINCT user_id), sum(amount) "
           "FROM events GROUP BY 1")
    return {"floor_s": _best(lambda: con.execute(sql).fetchall())}


def part_northstar(data: Path, folder: Path) -> dict:
    from northstar.ingest import ingest_file
    from northstar.metrics import compute, default_candidates
    from northstar.store import Store
    from northstar.ui import cache

    store = Store(folder / "northstar")
    started = time.perf_counter()
    dataset = ingest_file(store, data, dataset="bench")
    ingest_s = time.perf_counter() - started
    specs = default_candidates(store, dataset)
    cold = _best(lambda: compute(store, dataset, specs, "week"))
    cache.metric_series(store, dataset, specs, "week")  # fills the app's result cache
    started = time.perf_counter()
    cache.metric_series(store, dataset, specs, "week")
    cached = time.perf_counter() - started
    store.close()
    return {"ingest_s": ingest_s, "northstar_s": cold, "cached_ms": cached * 1000,
            "candidates": [s.name for s in specs], "peak_mb": _peak_mb()}


def part_compare(data: Path, folder: Path) -> dict:
    """The Compare ranking against Revenue in a fresh process: defaults + suggestions, cold."""
    from northstar.analysis import compare
    from northstar.store import Store

    store = Store(folder / "northstar")
    dataset = store.dataset("bench")
    started = time.perf_counter()
    comparison = compare(store, dataset, "Revenue", grain="week", max_lag=12)
    compare_s = time.perf_counter() - started
    # The user-level lift's share of it: its one query again, on the results compare ranked.
    from northstar.analysis.user_lift import user_lifts

    started = time.perf_counter()
    lifts = user_lifts(store, dataset, comparison.candidates, comparison.outcome, comparison.results, "week")
    lift_s = time.perf_counter() - started
    store.close()
    return {"compare_s": compare_s, "compared": len(comparison.ranking), "lift_s": lift_s,
            "lifted": len(lifts)}


def part_pandas(data: Path, folder: Path) -> dict:
    import pandas as pd

    from benchmarks.pandas_candidates import all_defaults

    frame = pd.read_parquet(data).rename(columns={"timestamp": "ts"})
    frame["ts"] = pd.to_datetime(frame["ts"])
    return {"pandas_s": _best(lambda: all_defaults(frame)), "pandas_peak_mb": _peak_mb()}


PARTS = {"floor": part_floor, "northstar": part_northstar, "compare": part_compare,
         "pandas": part_pandas}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--part", choices=PARTS)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.part:
        print(json.dumps(PARTS[args.part](args.data, args.folder)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = args.data or folder / "events.parquet"
        if not data.is_file():
            generate(data, args.events, args.users)
        results: dict = {}
        for part in PARTS:
            out = subprocess.run([sys.executable, "-m", "benchmarks.metrics", "--part", part,
                                  "--data", str(data), "--folder", str(folder)],
                                 capture_output=True, text=True, check=True)
            results.update(json.loads(out.stdout.strip().splitlines()[-1]))
    floor, ours, pandas = results["floor_s"], results["northstar_s"], results["pandas_s"]
    print(f"events: {args.events:,}, users: {args.users:,}; default candidates: "
          f"{', '.join(results['candidates'])}")
    print(f"ingest through Northstar: {results['ingest_s']:.1f} s")
    print(f"floor, one GROUP BY week scan on a naive VARCHAR table: {floor:.2f} s")
    print(f"Northstar, all {len(results['candidates'])} default candidates, cold: {ours:.2f} s")
    print(f"Northstar, the same again from the app's cache: {results['cached_ms']:.0f} ms")
    print(f"pandas, the same candidates on an in-memory DataFrame: {pandas:.2f} s "
          f"(peak {results['pandas_peak_mb']:.0f} MB)")
    print(f"Compare ranking against Revenue ({results['compared']} candidates and suggestions), "
          f"cold: {results['compare_s']:.2f} s, of which the user-level lift of {results['lifted']} "
          f"behaviours (one query, run again warm) {results['lift_s']:.2f} s")
    print(f"ratio_vs_floor={ours / floor:.2f} ratio_vs_pandas={pandas / ours:.2f} "
          f"cached_ms={results['cached_ms']:.0f} peak_mb={results['peak_mb']:.0f} "
          f"compare_s={results['compare_s']:.2f} lift_s={results['lift_s']:.2f}")


if __name__ == "__main__":
    main()
