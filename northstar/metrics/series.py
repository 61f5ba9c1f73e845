"""Reading tidy metric series (`period, metric, value, partial`): latest values, changes, wide form."""

from __future__ import annotations

import math

import pandas as pd


def latest_changes(frame: pd.DataFrame) -> pd.DataFrame:
    """Per metric: the latest complete period with a value, that value, and its change on the one
    before (absolute and relative). Partial periods are skipped: half a week is not a drop."""
    rows = []
    for metric, series in frame.groupby("metric", sort=False):
        known = series[~series["partial"] & series["value"].notna()]
        latest = known.iloc[-1] if len(known) else None
        previous = known.iloc[-2] if len(known) > 1 else None
        value = float(latest["value"]) if latest is not None else math.nan
        before = float(previous["value"]) if previous is not None else math.nan
        change = value - before
        rows.append({"metric": metric,
                     "period": latest["period"] if latest is not None else pd.NaT,
                     "latest": value, "previous": before, "change": change,
                     "change_pct": change / abs(before) if before else math.nan})
    return pd.DataFrame(rows, columns=["metric", "period", "latest", "previous", "change",
                                       "change_pct"])


def complete_series(frame: pd.DataFrame, metric: str) -> pd.Series:
    """One metric's values by period, partial periods left out (half a week is not a drop)."""
    rows = frame[(frame["metric"] == metric) & ~frame["partial"].astype(bool)]
    return rows.set_index("period")["value"].astype("float64").rename(metric)


def wide(frame: pd.DataFrame) -> pd.DataFrame:
    """One column per metric, one row per period (for CSV downloads and charts)."""
    order = list(dict.fromkeys(frame["metric"]))
    return frame.pivot(index="period", columns="metric", values="value")[order]
