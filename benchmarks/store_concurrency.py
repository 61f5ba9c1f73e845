"""How long a workshop score write waits while another process ingests a large export.

20 threads (participants) each save the five criteria of three candidates, ten rounds, while a
separate `northstar ingest` process loads a generated 1M-row CSV into the same store. Prints the
waits (median, p95, worst), how many writes happened during the ingest, and as its last line
`writes=N lost=N during_ingest=N worst_wait_ms=N p95_ms=N ingest_s=N` (goal: lost=0, worst < 1000).

    .venv/bin/python -m benchmarks.store_concurrency [--rows 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from northstar import workshop as ws
from northstar.store import Store
from tests.test_shared_store import write_big_csv

ROOT = Path(__file__).resolve().parent.parent
PEOPLE, ROUNDS, CANDIDATES = 20, 10, ("A", "B", "C")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "big.csv"
        write_big_csv(big, args.rows)
        db = Path(folder) / "store"
        with Store(db) as store:
            code = ws.create_workshop(store, "Load", [(c, "") for c in CANDIDATES], "2468").code
            names = [f"P{i:02d}" for i in range(PEOPLE)]
            for name in names:
                ws.join(store, code, name)
            waits: list[tuple[float, bool]] = []
            lock = threading.Lock()
            started = time.monotonic()
            ingest = subprocess.Popen([sys.executable, "-m", "northstar", "ingest", str(big), "--db", str(db),
                                       "--dataset", "big"], cwd=ROOT, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True)
            time.sleep(0.5)  # let the ingest get going: the point is to write while it runs

            def participant(name: str, seed: int) -> None:
                for round_ in range(ROUNDS):
                    for c, candidate in enumerate(CANDIDATES):
                        score = 1 + (seed + round_ + c) % 5
                        t0 = time.monotonic()
                        ws.set_scores(store, code, name, candidate, dict.fromkeys(ws.CRITERION_KEYS, score))
                        with lock:
                            waits.append((time.monotonic() - t0, ingest.poll() is None))
                    time.sleep(0.1)

            threads = [threading.Thread(target=participant, args=(n, i)) for i, n in enumerate(names)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            _, err = ingest.communicate()
            ingest_s = time.monotonic() - started
            if ingest.returncode:
                raise SystemExit(f"ingest failed: {err}")
            scores = ws.results(store, code).scores
        expected = PEOPLE * len(CANDIDATES) * len(ws.CRITERION_KEYS)
        lost = expected - len(scores)
        during = [w for w, running in waits if running]
        ms = sorted(w * 1000 for w, _ in waits)
        p95 = ms[int(0.95 * (len(ms) - 1))]
        print(f"{len(waits)} score writes ({len(during)} while the ingest of {args.rows:,} rows ran, "
              f"{ingest_s:.1f} s)")
        print(f"wait per write: median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms, "
              f"worst {ms[-1]:.0f} ms; during the ingest worst {max(during, default=0) * 1000:.0f} ms")
        print(f"writes={len(waits)} lost={lost} during_ingest={len(during)} worst_wait_ms={ms[-1]:.0f} "
              f"p95_ms={p95:.0f} ingest_s={ingest_s:.1f}")


if __name__ == "__main__":
    main()
