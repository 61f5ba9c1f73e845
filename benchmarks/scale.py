"""How cost grows with events: 1M, 10M, 100M events as a hive-partitioned Parquet lake.

Run from the repository root:
    .venv/bin/python -m benchmarks.scale [--sizes 1M,10M,100M] [--users-per-event 0.01]
        [--data DIR] [--memory 3GB] [--spark]

For each size it generates the events (not committed; kept under --data to reuse), then, each in
its own process so that peak memory is its own: attach the lake and run all default candidates at
week grain on it; ingest the same files and run the defaults on the ingested copy; with --spark, the
defaults on Spark local mode too. DuckDB runs with a memory ceiling (--memory, default 3GB) and
spills past it. It prints a table, the growth exponent of each cost (time ∝ events^k, fitted on
the sizes run) and a last machine-readable line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb

EVENT_TYPES = ("session", "page_view", "report_shared", "purchase", "subscription_payment")
DAYS = 2 * 365
CHUNKS_OF_DAYS = 73  # generated 73 days at a time: a bounded amount of memory whatever the size


def parse_size(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KMG")) * scale)


def generate(folder: Path, events: int, users: int) -> None:
    """`events` rows over two years in `folder/date=YYYY-MM-DD/*.parquet`, like benchmarks.metrics."""
    con = duckdb.connect(config={"memory_limit": "2GB", "temp_directory": str(folder) + ".tmp"})
    con.execute("SET enable_progress_bar = false")
    per_day = events / DAYS
    for first in range(0, DAYS, CHUNKS_OF_DAYS):
        days = min(CHUNKS_OF_DAYS, DAYS - first)
        rows = round(per_day * (first + days)) - round(per_day * first)
        con.execute(f"""
            COPY (
                SELECT 'user-' || lpad(CAST(u AS VARCHAR), 8, '0') AS user_id, ts AS timestamp,
                       e AS event,
                       CASE e WHEN 'purchase' THEN round(5 + random() * 95, 2)
                              WHEN 'subscription_payment' THEN [19.0, 49.0, 99.0][1 + u % 3] END
                           AS amount,
                       CASE WHEN e = 'session' THEN round(30 + random() * 1800) END AS duration_s,
                       CAST(ts AS DATE) AS date
                FROM (
                    SELECT CAST(floor(pow(random(), 1.3) * {users}) AS BIGINT) AS u,
                           TIMESTAMP '2024-01-01' + to_seconds(CAST(floor(({first} + random() * {days})
                               * 86400) AS BIGINT)) AS ts,
                           {list(EVENT_TYPES)}[1 + CAST(floor(pow(random(), 1.6) * 5) AS INTEGER)] AS e
                    FROM range({rows})
                )
            ) TO '{folder}' (FORMAT parquet, PARTITION_BY (date), APPEND)""")
    con.close()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def part_duckdb(lake: Path, work: Path, how: str) -> dict:
    """Attach (or ingest) the lake, then all default candidates at week grain, cold."""
    from northstar.ingest import attach_parquet, ingest_file
    from northstar.metrics import compute, default_candidates
    from northstar.store import Store

    store = Store(work / f"store-{how}")
    started = time.perf_counter()
    if how == "attach":
        dataset = attach_parquet(store, lake, "bench")
    else:
        single = work / "lake.parquet"  # ingest reads one file: the lake's files as one
        if not single.is_file():
            con = duckdb.connect(config={"memory_limit": "2GB"})
            con.execute(f"COPY (SELECT * EXCLUDE (date) FROM read_parquet('{lake}/**/*.parquet', "
                        f"hive_partitioning = true)) TO '{single}' (FORMAT parquet)")
            con.close()
        started = time.perf_counter()
        dataset = ingest_file(store, single, dataset="bench")
    load_s = time.perf_counter() - started
    load_mb = _peak_mb()
    specs = default_candidates(store, dataset)
    started = time.perf_counter()
    compute(store, dataset, specs, "week")
    defaults_s = time.perf_counter() - started
    store.close()
    return {"load_s": load_s, "load_peak_mb": load_mb, "defaults_s": defaults_s,
            "peak_mb": _peak_mb(), "candidates": len(specs)}


def part_spark(lake: Path, work: Path, how: str) -> dict:
    """All default candidates at week grain on Spark local mode, over the same attached lake."""
    from northstar.ingest import attach_parquet
    from northstar.metrics import compute, default_candidates
    from northstar.store import Store

    store = Store(work / "store-spark")
    dataset = attach_parquet(store, lake, "bench")
    specs = default_candidates(store, dataset)
    started = time.perf_counter()
    compute(store, dataset, specs, "week", engine="spark")
    first_s = time.perf_counter() - started  # includes starting the JVM and the session
    started = time.perf_counter()
    compute(store, dataset, specs, "week", engine="spark")
    defaults_s = time.perf_counter() - started
    store.close()
    return {"load_s": first_s - defaults_s, "load_peak_mb": 0.0, "defaults_s": defaults_s,
            "peak_mb": _peak_mb(), "candidates": len(specs)}


PARTS = {"duckdb": part_duckdb, "spark": part_spark}


def _run_part(part: str, lake: Path, work: Path, how: str, memory: str) -> dict:
    env = {**os.environ, "NORTHSTAR_DUCKDB_MEMORY": memory}
    out = subprocess.run([sys.executable, "-m", "benchmarks.scale", "--part", part, "--lake", str(lake),
                          "--work", str(work), "--how", how], capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(f"{part} {how} on {lake} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def exponent(sizes: list[int], values: list[float]) -> float:
    """Least-squares slope of log(value) on log(size): cost ∝ size^k."""
    if len(sizes) < 2:
        return math.nan
    xs, ys = [math.log(s) for s in sizes], [math.log(max(v, 1e-9)) for v in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1M,10M,100M")
    parser.add_argument("--users-per-event", type=float, default=0.01)
    parser.add_argument("--data", type=Path, default=Path("/tmp/northstar-scale"))
    parser.add_argument("--memory", default="3GB", help="DuckDB's memory ceiling in each process")
    parser.add_argument("--no-ingest", action="store_true", help="attach only (ingest is the slow part)")
    parser.add_argument("--spark", action="store_true", help="also run the defaults on Spark local")
    parser.add_argument("--part", choices=PARTS)
    parser.add_argument("--lake", type=Path)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--how", default="attach")
    args = parser.parse_args()
    if args.part:
        print(json.dumps(PARTS[args.part](args.lake, args.work, args.how)))
        return
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    ways = ["attach", *([] if args.no_ingest else ["ingest"])]
    rows: dict[str, list[dict]] = {way: [] for way in [*ways, *(["spark"] if args.spark else [])]}
    print(f"{'events':>12} {'how':>7} {'load s':>8} {'load MB':>8} {'defaults s':>10} {'peak MB':>8}")
    for size in sizes:
        lake = args.data / f"lake-{size}"
        work = args.data / f"work-{size}"
        work.mkdir(parents=True, exist_ok=True)
        if not (lake / ".complete").is_file():
            started = time.perf_counter()
            generate(lake, size, max(1, int(size * args.users_per_event)))
            (lake / ".complete").write_text("")
            print(f"  (generated {size:,} events in {time.perf_counter() - started:.0f} s)")
        for way in rows:
            if way == "spark":
                result = _run_part("spark", lake, work, "attach", args.memory)
            else:
                result = _run_part("duckdb", lake, work, way, args.memory)
            rows[way].append(result)
            print(f"{size:>12,} {way:>7} {result['load_s']:>8.2f} {result['load_peak_mb']:>8.0f} "
                  f"{result['defaults_s']:>10.2f} {result['peak_mb']:>8.0f}", flush=True)
    summary = []
    for way, results in rows.items():
        k_load = exponent(sizes, [r["load_s"] for r in results])
        k_defaults = exponent(sizes, [r["defaults_s"] for r in results])
        print(f"growth exponent ({way}): load {k_load:.2f}, all defaults {k_defaults:.2f}")
        summary.append(f"{way}_k={k_defaults:.2f} {way}_peak_mb={max(r['peak_mb'] for r in results):.0f}")
    if args.spark and "attach" in rows:
        ratios = [s["defaults_s"] / d["defaults_s"] for s, d in zip(rows["spark"], rows["attach"],
                                                                       strict=True)]
        summary.append(f"spark_vs_duckdb={ratios[-1]:.1f}")
    print(" ".join(summary))


if __name__ == "__main__":
    main()
