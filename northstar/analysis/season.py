"""Calendar cycles (a weekday cycle in days, months of the year in months): found, and taken out of a
series before the lead statistics, so that two metrics that both dip at weekends don't look like one
leading the other by 7, 14 or 21 days."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.seasonal import seasonal_decompose

# The grains that have a calendar cycle: its length in periods and what people call it.
CYCLES = {"day": (7, "weekday"), "month": (12, "month of year")}
# A cycle is taken out only when the periods' changes differ by position in it this clearly (F test).
CYCLE_ALPHA = 0.01
# Full cycles of history needed before a cycle is looked for: 3 weeks of days, 3 years of months.
MIN_CYCLES = 3


def cycle_name(grain: str) -> str | None:
    """"weekday" for days, "month of year" for months, None for weeks (no calendar cycle)."""
    return CYCLES[grain][1] if grain in CYCLES else None


def _positions(index: pd.Index, grain: str, period: int) -> np.ndarray:
    if isinstance(index, pd.DatetimeIndex):
        return np.asarray(index.day_of_week if grain == "day" else index.month - 1)
    return np.arange(len(index)) % period


def cycle_p(levels: pd.Series, grain: str) -> float | None:
    """One-way ANOVA p that the period-over-period changes differ by weekday (month of year); None when
    the grain has no cycle or the history is shorter than MIN_CYCLES of it."""
    if grain not in CYCLES:
        return None
    period = CYCLES[grain][0]
    changes = levels.diff()
    known = changes.notna().to_numpy()
    if known.sum() < MIN_CYCLES * period:
        return None
    positions = _positions(levels.index, grain, period)[known]
    values = changes.to_numpy()[known]
    groups = [values[positions == k] for k in range(period)]
    if min(len(g) for g in groups) < 2 or np.ptp(values) == 0:
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        p = float(stats.f_oneway(*groups).pvalue)
    return p if np.isfinite(p) else None


def has_cycle(levels: pd.Series, grain: str) -> bool:
    p = cycle_p(levels, grain)
    return p is not None and p < CYCLE_ALPHA


def remove_cycle(levels: pd.Series, grain: str) -> pd.Series:
    """The series with its weekday (month-of-year) pattern divided out (subtracted when it has zeros
    or negatives): statsmodels' classical decomposition on a centred moving average. Missing periods
    stay missing; they are interpolated only to estimate the pattern."""
    period = CYCLES[grain][0]
    filled = levels.interpolate(limit_area="inside").bfill().ffill()
    multiplicative = bool((filled > 0).all())
    decomposed = seasonal_decompose(filled.to_numpy(), period=period,
                                    model="multiplicative" if multiplicative else "additive")
    season = pd.Series(decomposed.seasonal, index=levels.index)
    return levels / season if multiplicative else levels - season


def deseasonalise(levels: pd.Series, grain: str) -> tuple[pd.Series, bool]:
    """The series without its calendar cycle when it has one, and whether it had."""
    if has_cycle(levels, grain):
        return remove_cycle(levels, grain), True
    return levels, False
