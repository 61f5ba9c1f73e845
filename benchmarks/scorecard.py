"""What the five-criteria evidence and the counter-metric cost on the demo, next to the comparison.

Run from the repository root: .venv/bin/python -m benchmarks.scorecard
The pages cache both (per dataset contents, outcome, grain and language), so this is the cost of a
cold Compare page or Workshop, once; the Workshop's 3-second refresh reads the cache. The last line is
machine-readable: compare_week_ms=… scorecard_week_ms=… ratio_week=… ratio_day=… counter_ms=… lock_ms=…
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from northstar.analysis.compare import compare
from northstar.analysis.scorecard import evidence_scorecards
from northstar.ingest.load import load_demo
from northstar.metrics import compute
from northstar.report.criteria import nsm_scorecard
from northstar.report.guardrail import suggested_counter_metric
from northstar.store.core import Store

REPEATS = 3


def best_ms(run: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - start)
    return best * 1000, out


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "demo")
        dataset = load_demo(store)
        figures: dict[str, float] = {}
        for grain in ("week", "day"):
            compared_ms, comparison = best_ms(lambda g=grain: compare(store, dataset, "Revenue", grain=g))
            card_ms, _cards = best_ms(lambda c=comparison: evidence_scorecards(store, dataset, c))
            figures[f"compare_{grain}_ms"], figures[f"scorecard_{grain}_ms"] = compared_ms, card_ms
            figures[f"ratio_{grain}"] = card_ms / compared_ms
            print(f"{grain}: compare {compared_ms:.0f} ms, scorecard {card_ms:.0f} ms "
                  f"({card_ms / compared_ms:.2f}× the comparison)")
        nsm = "Time spent per active user"
        figures["counter_ms"], _found = best_ms(
            lambda: suggested_counter_metric(store, dataset, nsm, compute))
        figures["lock_ms"], _rows = best_ms(lambda: nsm_scorecard(store, dataset, nsm))
        print(f"counter-metric suggestion {figures['counter_ms']:.0f} ms; the NSM's scorecard frozen at "
              f"lock {figures['lock_ms']:.0f} ms")
        store.close()
    print(" ".join(f"{key}={value:.0f}" if key.endswith("_ms") else f"{key}={value:.2f}"
                   for key, value in figures.items()))


if __name__ == "__main__":
    main()
