"""The benchmark's default candidates written as idiomatic, vectorised pandas (no row loops).

Fair to pandas: the frame is already in memory with parsed timestamps; categorical event names
and user ids are made once, inside the timing, as a pandas user would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MONEY = ["purchase", "subscription_payment"]
LTV_DAYS = 90
GRACE = pd.Timedelta(days=7)


def _week(ts: pd.Series) -> pd.Series:
    return (ts - pd.to_timedelta(ts.dt.dayofweek, unit="D")).dt.normalize()


def all_defaults(events: pd.DataFrame) -> dict[str, pd.Series]:
    frame = events.assign(week=_week(events["ts"]),
                          user=events["user_id"].astype("category").cat.codes,
                          event=events["event"].astype("category"))
    weeks = pd.date_range(frame["week"].min(), frame["week"].max(), freq="7D")
    out: dict[str, pd.Series] = {}
    by_week = frame.groupby("week")
    out["Active users"] = by_week["user"].nunique()

    first = frame.groupby("user")["ts"].min()
    first_week = _week(first)
    returning = frame[first_week.reindex(frame["user"]).to_numpy() < frame["week"].to_numpy()]
    out["Returning users"] = returning.groupby("week")["user"].nunique()

    sessions = frame[frame["event"] == "session"].groupby("week")
    out["Time spent per active user"] = sessions["duration_s"].sum() / sessions["user"].nunique()

    money = frame[frame["event"].isin(MONEY)]
    out["Transactions"] = money.groupby("week").size()
    out["Revenue"] = money.groupby("week")["amount"].sum()

    since_first = money["ts"] - first.reindex(money["user"]).to_numpy()
    window = money[since_first < pd.Timedelta(days=LTV_DAYS)]
    per_user = window.groupby("user")["amount"].sum().reindex(first.index, fill_value=0.0)
    out["Customer lifetime value (90 days)"] = per_user.groupby(first_week).mean()

    pay = frame[frame["event"] == "subscription_payment"].sort_values(["user", "ts"])
    following = pay.groupby("user")["ts"].shift(-1)
    until = np.minimum(following.fillna(pd.Timestamp.max), pay["ts"] + pd.DateOffset(months=1) + GRACE)
    ends = weeks + pd.Timedelta(days=7)
    started = np.searchsorted(np.sort(pay["ts"].to_numpy()), ends.to_numpy(), side="left")
    start_sum = np.concatenate([[0.0], np.cumsum(pay.sort_values("ts")["amount"].to_numpy())])
    order = np.argsort(until.to_numpy())
    stopped = np.searchsorted(until.to_numpy()[order], ends.to_numpy(), side="left")
    stop_sum = np.concatenate([[0.0], np.cumsum(pay["amount"].to_numpy()[order])])
    out["MRR"] = pd.Series(start_sum[started] - stop_sum[stopped], index=weeks)

    active = frame[["user", "week"]].drop_duplicates()
    following_week = active.assign(week=active["week"] - pd.Timedelta(days=7), back=True)
    joined = active.merge(following_week, on=["user", "week"], how="left")
    counts = joined.groupby("week")["back"].agg(["size", "count"])
    out["Retention (active again next period)"] = counts["count"] / counts["size"]
    return {name: series.reindex(weeks) for name, series in out.items()}
