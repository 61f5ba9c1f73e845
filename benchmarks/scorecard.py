"""What the five-criteria evidence and the counter-metric cost on the demo, next to the comparison.

Run from the repository root: .venv/bin/python -m benchmarks.scorecard
The pages cache both (per dataset contents, outcome, grain and language), so this is the cost of a
cold Compare page or Workshop, once; the Workshop's 3-second refresh reads the cache. The last line is
machine-readable: compare_week_ms=… scorecard_week_ms=… ratio_week=… ratio_day=… counter_ms=… lock_ms=…
false_guardrail_rate=… (null data: how often a counter-metric is claimed from data where none is).
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
    figures["false_guardrail_rate"] = false_guardrail_rate()
    print(f"null data (11 independent random walks, 78 weeks, 200 trials): a guardrail claimed from data "
          f"in {figures['false_guardrail_rate']:.1%} of them")
    print(" ".join(f"{key}={value:.0f}" if key.endswith("_ms") else f"{key}={value:.3f}"
                   for key, value in figures.items()))



def false_guardrail_rate(trials: int = 200, metrics: int = 10, periods: int = 78) -> float:
    """Share of null comparisons (independent random walks) where a guardrail is claimed from data."""
    import numpy as np
    import pandas as pd

    from northstar.analysis.guardrail import suggest_counter_metric
    from northstar.metrics.specs import MetricSpec

    rng = np.random.default_rng(11)
    weeks = pd.date_range("2024-01-01", periods=periods, freq="7D")
    nsm = MetricSpec("nsm", "engagement")
    others = [MetricSpec(f"m{i}", "active_users", events=(f"e{i}",)) for i in range(metrics)]
    claimed = 0
    for _ in range(trials):
        walks = {s.name: 100 + np.cumsum(rng.normal(0, 1, periods)) for s in [nsm, *others]}
        series = pd.concat([pd.DataFrame({"period": weeks, "metric": k, "value": v, "partial": False})
                            for k, v in walks.items()], ignore_index=True)
        found = suggest_counter_metric(series, nsm, others)
        claimed += found is not None and not found.by_kind
    return claimed / trials


if __name__ == "__main__":
    main()
