"""A counter-metric (guardrail) for the chosen North Star: a metric that moves against it, so that
pushing the NSM up at any price shows up somewhere (time spent vs NPS, transactions vs refunds).

The rule, deterministic:

- **Data first**: for every other metric, Pearson r between the NSM's period-over-period change at t
  and the other's change at t + lag, for lags 0..MAX_LAG (the harm may come later), on complete
  periods with at least MIN_PAIRS pairs. The most negative r wins when it is at most −MIN_R and
  beyond the noise band −z/√n of its pairs, z the one-sided 5% point Bonferroni-corrected for every
  metric × lag tried (10 metrics × 5 lags: z = 3.09, so r ≤ −0.36 on 75 periods), so that trying
  many pairs does not make a chance dip look like a guardrail.
- **Else by kind**: the natural pair of the NSM's kind (NATURAL_PAIRS: engagement → NPS, then
  retention; transactions and revenue → NPS, then churn, then retention; …), said to be a suggestion
  by kind, not data evidence.
- Metrics that are part of the NSM (same events or definition) are never its guardrail.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from northstar.analysis.compare import part_of_outcome
from northstar.analysis.verdicts import format_r
from northstar.i18n import _
from northstar.metrics import MetricSpec, complete_series
from northstar.vocab import GRAIN_INFO
from northstar.wording import periods

MAX_LAG = 4
MIN_PAIRS = 10
MIN_R = 0.3
ALPHA = 0.05
CHURN = re.compile(r"cancel|churn|unsubscri|close_account|delete_account|refund", re.IGNORECASE)
# What a guardrail is, by kind: "nps", "retention", "churn" (a metric counting cancellations/refunds).
NATURAL_PAIRS: dict[str, tuple[str, ...]] = {
    "engagement": ("nps", "retention", "churn"),
    "transactions": ("nps", "churn", "retention"),
    "revenue": ("nps", "churn", "retention"),
    "mrr": ("churn", "nps", "retention"),
    "ltv": ("churn", "nps", "retention"),
    "active_users": ("retention", "nps", "churn"),
    "returning_users": ("nps", "churn"),
    "retention": ("nps", "churn"),
    "nps": ("retention", "churn"),
    "custom": ("nps", "retention", "churn"),
}


@dataclass(frozen=True)
class CounterMetric:
    """The suggested guardrail: which metric, and the evidence (r and lag) or that it is by kind."""

    metric: str
    r: float | None = None  # r of the NSM's changes with the guardrail's `lag` periods later
    lag: int | None = None
    n_pairs: int = 0
    by_kind: bool = False  # no data evidence: the natural pair of the NSM's kind
    grain: str = "week"

    def sentence(self, nsm: str, counter: str) -> str:
        """The evidence in words; `nsm` and `counter` are the names people see."""
        if self.by_kind or self.r is None:
            return _("No data evidence that {counter} moves against {nsm}; suggested by kind: a usual "
                     "guardrail for this kind of metric.", counter=counter, nsm=nsm)
        r = format_r(self.r)
        if not self.lag:
            return _("When {nsm} rises, {counter} tends to fall in the same period (r = {r} on the "
                     "changes, {n} periods).", nsm=nsm, counter=counter, r=r, n=self.n_pairs)
        return _("When {nsm} rises, {counter} tends to fall {span} later (r = {r} on the changes, {n} "
                 "periods).", nsm=nsm, counter=counter, r=r, n=self.n_pairs,
                 span=periods(self.lag, self.grain))


def _changes(series: pd.DataFrame, metric: str, grid: pd.DatetimeIndex) -> pd.Series:
    levels = complete_series(series, metric)
    return levels[~levels.index.duplicated()].reindex(grid).diff()


def against(series: pd.DataFrame, nsm: str, other: str, grain: str, max_lag: int = MAX_LAG
            ) -> tuple[float, int, int] | None:
    """(r, lag, pairs) of the most negative link of `nsm`'s changes at t with `other`'s at t + lag;
    None without MIN_PAIRS pairs at any lag."""
    complete = series.loc[~series["partial"].astype(bool) & series["metric"].isin([nsm, other]), "period"]
    if complete.empty:
        return None
    grid = pd.date_range(complete.min(), complete.max(), freq=GRAIN_INFO[grain].grid_freq)
    x, y = _changes(series, nsm, grid), _changes(series, other, grid)
    best: tuple[float, int, int] | None = None
    for lag in range(max_lag + 1):
        pairs = pd.concat([x, y.shift(-lag)], axis=1).dropna()
        if len(pairs) < MIN_PAIRS or pairs.iloc[:, 0].std() == 0 or pairs.iloc[:, 1].std() == 0:
            continue
        r = float(np.corrcoef(pairs.iloc[:, 0], pairs.iloc[:, 1])[0, 1])
        if math.isfinite(r) and (best is None or r < best[0]):
            best = (r, lag, len(pairs))
    return best


def evidence_for(series: pd.DataFrame, nsm: MetricSpec, other: MetricSpec, grain: str) -> CounterMetric:
    """`other` as a guardrail of `nsm`: its data evidence when the link is strong enough (corrected for
    its lags only: the facilitator named it), else by kind."""
    found = against(series, nsm.name, other.name, grain)
    if found is not None and _strong(*found, tests=MAX_LAG + 1):
        return CounterMetric(other.name, found[0], found[1], found[2], grain=grain)
    return CounterMetric(other.name, by_kind=True, grain=grain)


def _strong(r: float, lag: int, n: int, tests: int) -> bool:
    return r <= -MIN_R and r < -float(stats.norm.ppf(1 - ALPHA / max(tests, 1))) / math.sqrt(n)


def _kind_of(spec: MetricSpec) -> str:
    if any(CHURN.search(e) for e in spec.events) or CHURN.search(spec.name):
        return "churn"
    return spec.kind


def suggest_counter_metric(series: pd.DataFrame, nsm: MetricSpec, others: Sequence[MetricSpec],
                           grain: str = "week") -> CounterMetric | None:
    """The guardrail for `nsm` among `others` (candidates and outcomes, whose series `series` holds):
    the most negative strong link, else the natural pair by kind; None when neither is there."""
    pool = [s for s in others if s.name != nsm.name and not part_of_outcome(s, nsm)
            and not part_of_outcome(nsm, s)]
    strongest: CounterMetric | None = None
    tests = len(pool) * (MAX_LAG + 1)
    for other in pool:
        found = against(series, nsm.name, other.name, grain)
        stronger = strongest is None or found is not None and found[0] < (strongest.r or 0)
        if found is not None and _strong(*found, tests=tests) and stronger:
            strongest = CounterMetric(other.name, found[0], found[1], found[2], grain=grain)
    if strongest is not None:
        return strongest
    for wanted in NATURAL_PAIRS.get(nsm.kind, ("nps", "retention", "churn")):
        match = next((s for s in pool if _kind_of(s) == wanted), None)
        if match is not None:
            return CounterMetric(match.name, by_kind=True, grain=grain)
    return None
