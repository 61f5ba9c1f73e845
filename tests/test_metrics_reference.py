"""Property test: the compiled DuckDB SQL agrees with a plain pandas reference on random event logs.

Each seed draws a log (5–40 users, 30–400 events over 10–120 days from a random mid-day start or,
for seeds 3 and 6, one on a day/week/month boundary; refunds, missing amounts/durations/scores,
events at exactly midnight and, for even seeds, a gap with no events at all). The log
is written to CSV, ingested like any export, and every kind is computed at day, week and month
grain. The reference below restates each kind's definition (tests/test_metrics.py) with pandas
groupbys — no SQL — so a disagreement points at one of two independent implementations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from northstar.ingest.load import ingest_file
from northstar.metrics.compiler import MRR_GRACE_DAYS, compute
from northstar.metrics.specs import MetricSpec

SEEDS = (1, 2, 3, 4, 5, 6)
GRAINS = ("day", "week", "month")
EVENTS = ("signup", "session", "payment", "purchase", "nps", "share")
EVENT_WEIGHTS = (0.08, 0.42, 0.14, 0.1, 0.1, 0.16)
MONEY = ("payment", "purchase")
STEP = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}
FREQ = {"day": "D", "week": "W-MON", "month": "MS"}
REL, ABS = 1e-9, 1e-9  # ABS only for sums that cancel to zero (refunds), 0 vs 1e-15


# -- random logs -----------------------------------------------------------------------------------

def random_log(seed: int) -> pd.DataFrame:
    """An event log as an export would have it: one row per event, empty cells for missing values."""
    rng = np.random.default_rng(seed)
    n_users, n_events = int(rng.integers(5, 41)), int(rng.integers(30, 401))
    span_s = int(rng.integers(10, 121)) * 86_400
    start = pd.Timestamp("2023-01-01") + pd.Timedelta(seconds=int(rng.integers(0, 3 * 365 * 86_400)))
    if seed % 3 == 0:  # starts on a day, week and month boundary at once: a full first period
        start = pd.Timestamp("2024-04-01")  # a Monday
    inner = rng.choice(np.arange(1, span_s), size=n_events - 2, replace=False)
    offsets = np.concatenate([[0, span_s], inner])  # the log really spans span_s
    # Some events at exactly midnight, where "<" and "<=" against a period boundary differ.
    since_midnight = (offsets + int((start - start.normalize()).total_seconds())) % 86_400
    snap = (rng.random(len(offsets)) < 0.15) & (offsets - since_midnight > 0)
    snap[:2] = False
    offsets = np.where(snap, offsets - since_midnight, offsets)
    # Distinct seconds: MRR orders a user's payments by time, so ties would make it arbitrary.
    offsets = np.unique(offsets)
    if seed % 2 == 0:  # a gap: a stretch (10–45 % of the span) with no events at all
        length = int(span_s * rng.uniform(0.1, 0.45))
        gap_start = int(rng.integers(1, span_s - length))
        offsets = offsets[(offsets <= gap_start) | (offsets >= gap_start + length)]
    n = len(offsets)
    # Some users are much busier than others.
    weights = rng.pareto(1.2, n_users) + 0.05
    users = rng.choice(n_users, size=n, p=weights / weights.sum())
    events = rng.choice(EVENTS, size=n, p=EVENT_WEIGHTS)
    money = np.isin(events, MONEY)
    amount = np.round(rng.uniform(1, 120, n), 2)
    amount = np.where(rng.random(n) < 0.1, -amount, amount)  # refunds
    amount = np.where(money & (rng.random(n) >= 0.1), amount, np.nan)  # some payments lack an amount
    duration = np.where((events == "session") & (rng.random(n) >= 0.05), rng.integers(1, 3600, n), np.nan)
    score = np.where((events == "nps") & (rng.random(n) >= 0.1), rng.integers(0, 11, n), np.nan)
    return pd.DataFrame({
        "user_id": [f"u{u + 1}" for u in users],
        "timestamp": start + pd.to_timedelta(offsets, unit="s"),
        "event": events,
        "amount": amount,
        "duration_s": pd.array(duration, dtype="Int64"),
        "nps_score": pd.array(score, dtype="Int64"),
    })


def write_csv(log: pd.DataFrame, path: Path) -> Path:
    log.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S", float_format="%.2f")
    return path


def read_back(path: Path) -> pd.DataFrame:
    """The reference reads the same text the store ingested, so both see identical numbers."""
    log = pd.read_csv(path, parse_dates=["timestamp"], dtype={"user_id": str, "event": str})
    return log.rename(columns={"timestamp": "ts"})


# -- the reference ---------------------------------------------------------------------------------

def period_of(ts: pd.Series, grain: str) -> pd.Series:
    day = ts.dt.normalize()
    if grain == "day":
        return day
    if grain == "week":  # ISO week: Monday 00:00
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return day - pd.to_timedelta(day.dt.day - 1, unit="D")


class Reference:
    """Every kind's value per period, from the definitions, with pandas."""

    def __init__(self, log: pd.DataFrame, grain: str) -> None:
        self.grain, self.step = grain, STEP[grain]
        self.log = log.assign(period=period_of(log["ts"], grain))
        self.first_ts, self.last_ts = log["ts"].min(), log["ts"].max()
        self.periods = pd.DatetimeIndex(pd.date_range(self.log["period"].min(), self.log["period"].max(),
                                                      freq=FREQ[grain]), name="period")
        self.first_seen = log.groupby("user_id")["ts"].min()

    def matching(self, spec: MetricSpec) -> pd.DataFrame:
        return self.log[self.log["event"].isin(spec.events)] if spec.events else self.log

    def per_period(self, values: pd.Series, fill: float = math.nan) -> pd.Series:
        return values.astype(float).reindex(self.periods, fill_value=fill)

    def full(self) -> pd.Series:
        """Periods observed from their first day to their last."""
        first_day, last_day = self.first_ts.normalize(), self.last_ts.normalize()
        last_days = pd.Series(self.periods + self.step - pd.Timedelta(days=1), index=self.periods)
        return (self.periods >= first_day) & (last_days <= last_day)

    def partial(self) -> pd.Series:
        first_day, last_day = self.first_ts.normalize(), self.last_ts.normalize()
        flags = pd.Series(False, index=self.periods)
        flags.iloc[0] = first_day > self.periods[0]
        flags.iloc[-1] = flags.iloc[-1] or last_day < self.periods[-1] + self.step - pd.Timedelta(days=1)
        return flags

    def value(self, spec: MetricSpec) -> pd.Series:
        return getattr(self, spec.kind)(spec)

    def active_users(self, spec: MetricSpec) -> pd.Series:
        return self.per_period(self.matching(spec).groupby("period")["user_id"].nunique(), 0)

    def transactions(self, spec: MetricSpec) -> pd.Series:
        return self.per_period(self.matching(spec).groupby("period").size(), 0)

    def revenue(self, spec: MetricSpec) -> pd.Series:
        return self.per_period(self.matching(spec).groupby("period")["amount"].sum(), 0)

    def engagement(self, spec: MetricSpec) -> pd.Series:
        by_period = self.matching(spec).groupby("period")
        total = by_period["duration_s"].sum() if spec.measure == "duration" else by_period.size()
        total = self.per_period(total, 0)
        if spec.per == "total":
            return total
        users = self.per_period(by_period["user_id"].nunique(), 0)
        return total / users.where(users > 0)

    def nps(self, spec: MetricSpec) -> pd.Series:
        rows = self.matching(spec)
        score, period = rows["nps_score"], rows["period"]
        net = self.per_period((score >= 9).groupby(period).sum() - (score <= 6).groupby(period).sum(), 0)
        responses = self.per_period(score.groupby(period).count(), 0)
        return 100 * net / responses.where(responses > 0)

    def returning_users(self, spec: MetricSpec) -> pd.Series:
        rows = self.matching(spec)
        earlier = rows[rows["user_id"].map(self.first_seen) < rows["period"]]
        return self.per_period(earlier.groupby("period")["user_id"].nunique(), 0)

    def retention(self, spec: MetricSpec) -> pd.Series:
        active = self.matching(spec)[["user_id", "period"]].drop_duplicates()
        again = active.assign(period=active["period"] - self.step, again=True)
        joined = active.merge(again, on=["user_id", "period"], how="left")
        share = joined.groupby("period")["again"].apply(lambda s: s.notna().mean())
        share = self.per_period(share)
        next_full = self.full().reindex(self.periods + self.step, fill_value=False).to_numpy()
        return share.where(next_full)

    def mrr(self, spec: MetricSpec) -> pd.Series:
        pay = self.matching(spec).dropna(subset=["amount"]).sort_values(["user_id", "ts"])
        lapse = pay["ts"] + pd.DateOffset(months=1) + pd.Timedelta(days=MRR_GRACE_DAYS)
        next_payment = pay.groupby("user_id")["ts"].shift(-1)
        until = next_payment.where(next_payment < lapse, lapse)
        ends = (self.periods + self.step).to_numpy()[:, None]
        current = (pay["ts"].to_numpy()[None, :] < ends) & (until.to_numpy()[None, :] >= ends)
        return pd.Series(current.astype(float) @ pay["amount"].to_numpy(), index=self.periods)

    def ltv(self, spec: MetricSpec) -> pd.Series:
        window = pd.Timedelta(days=spec.window_days)
        rows = self.matching(spec)
        early = rows[rows["ts"] < rows["user_id"].map(self.first_seen) + window]
        revenue = early.groupby("user_id")["amount"].sum().reindex(self.first_seen.index, fill_value=0)
        cohort = period_of(self.first_seen, self.grain)
        value = self.per_period(revenue.groupby(cohort).mean())
        watched = pd.Series(self.periods + self.step + window <= self.last_ts, index=self.periods)
        return value.where(watched)

    def custom(self, spec: MetricSpec) -> pd.Series:
        return self.per_period(CUSTOM[spec.expression](self.log, self.log.groupby("period")))


Groups = pd.core.groupby.DataFrameGroupBy
CUSTOM: dict[str, Callable[[pd.DataFrame, Groups], pd.Series]] = {
    "count(DISTINCT user_id) FILTER (WHERE event = 'share')":
        lambda log, g: log["user_id"].where(log["event"] == "share").groupby(log["period"]).nunique(),
    "sum(amount) FILTER (WHERE amount > 0)":
        lambda log, g: log["amount"].where(log["amount"] > 0).groupby(log["period"]).sum(min_count=1),
    "avg(duration_s)": lambda log, g: g["duration_s"].mean(),
    "count(*) FILTER (WHERE user_id = 'u1')":
        lambda log, g: (log["user_id"] == "u1").groupby(log["period"]).sum(),
    "sum(amount) / nullif(count(DISTINCT user_id), 0)":
        lambda log, g: g["amount"].sum(min_count=1) / g["user_id"].nunique(),
    "CASE WHEN count(*) > 2 THEN 1 ELSE 0 END": lambda log, g: (g.size() > 2).astype(float),
    "median(amount)": lambda log, g: g["amount"].median(),
    "count(nps_score) FILTER (WHERE event IN ('nps', 'share') AND nps_score BETWEEN 7 AND 8)":
        lambda log, g: log["nps_score"].where(log["nps_score"].between(7, 8)).groupby(log["period"]).count(),
}

SPECS = (
    MetricSpec("active", "active_users"),
    MetricSpec("active sessions", "active_users", events=("session",)),
    MetricSpec("transactions", "transactions", events=MONEY),
    MetricSpec("all events", "transactions"),
    MetricSpec("revenue", "revenue", events=MONEY),
    MetricSpec("purchase revenue", "revenue", events=("purchase",)),
    MetricSpec("time per user", "engagement", events=("session",)),
    MetricSpec("time in total", "engagement", events=("session",), per="total"),
    MetricSpec("time per user, any event", "engagement"),
    MetricSpec("time in total, any event", "engagement", per="total"),
    MetricSpec("events per user", "engagement", measure="events"),
    MetricSpec("shares in total", "engagement", events=("share",), measure="events", per="total"),
    MetricSpec("nps", "nps"),
    MetricSpec("nps events", "nps", events=("nps",)),
    MetricSpec("returning", "returning_users"),
    MetricSpec("returning payers", "returning_users", events=("payment",)),
    MetricSpec("retention", "retention"),
    MetricSpec("retention sessions", "retention", events=("session",)),
    MetricSpec("mrr", "mrr", events=("payment",)),
    MetricSpec("ltv 7", "ltv", events=MONEY, window_days=7),
    MetricSpec("ltv 30 any", "ltv", window_days=30),
    *(MetricSpec(f"custom {i}", "custom", expression=text) for i, text in enumerate(CUSTOM)),
)


# -- the comparison --------------------------------------------------------------------------------

def _same(got: float, want: float) -> bool:
    if math.isnan(got) or math.isnan(want):
        return math.isnan(got) and math.isnan(want)
    return math.isclose(got, want, rel_tol=REL, abs_tol=ABS)


def mismatches(frame: pd.DataFrame, ref: Reference, spec: MetricSpec) -> list[str]:
    rows = frame[frame["metric"] == spec.name]
    got = pd.Series(rows["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(rows["period"]))
    if not got.index.equals(ref.periods):
        return [f"{spec.name}: periods {list(got.index.date)} != {list(ref.periods.date)}"]
    want = ref.value(spec)
    return [f"{spec.name} @ {p.date()}: compiled {g!r}, reference {w!r}"
            for p, g, w in zip(ref.periods, got, want, strict=True)
            if not _same(g, w)]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """seed → (store, dataset, log as the reference reads it); each log is ingested once."""
    from northstar.store.core import Store

    root = tmp_path_factory.mktemp("reference")
    store = Store(root / "store")
    cache: dict[int, tuple] = {}

    def load(seed: int):
        if seed not in cache:
            path = write_csv(random_log(seed), root / f"log_{seed}.csv")
            cache[seed] = (ingest_file(store, path, dataset=f"seed{seed}"), read_back(path))
        return (store, *cache[seed])

    yield load
    store.close()


@pytest.mark.parametrize("grain", GRAINS)
@pytest.mark.parametrize("seed", SEEDS)
def test_compiled_sql_matches_pandas_reference(loaded, seed, grain):
    store, dataset, log = loaded(seed)
    assert dataset.rows == len(log)
    frame = compute(store, dataset, SPECS, grain)
    ref = Reference(log, grain)
    problems = [m for spec in SPECS for m in mismatches(frame, ref, spec)]
    assert not problems, f"seed {seed}, {grain}: {len(problems)} mismatches\n" + "\n".join(problems[:25])
    partial = frame.drop_duplicates("period").set_index("period")["partial"]
    assert partial.tolist() == ref.partial().tolist()


def test_time_per_user_is_zero_when_active_users_logged_no_time(store, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("user_id,timestamp,event,duration_s\n"
                    "a,2024-01-01 09:00:00,session,100\n"
                    "b,2024-01-02 09:00:00,session,\n"   # no duration recorded: counts as 0 s
                    "b,2024-01-08 09:00:00,signup,\n")   # week 2: one active user, no time
    dataset = ingest_file(store, path)
    total = compute(store, dataset, [MetricSpec("t", "engagement", per="total")], "week")
    assert total["value"].tolist() == [100, 0]
    per_user = compute(store, dataset, [MetricSpec("u", "engagement", per="user")], "week")
    assert per_user["value"].tolist()[0] == 50  # b's missing duration already counts as 0 here
    assert per_user["value"].tolist()[1] == 0   # compiled: NaN


def test_rows_without_a_user_id_are_not_an_active_user_in_retention(store, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("user_id,timestamp,event\n"
                    "a,2024-01-01 10:00:00,session\n"
                    ",2024-01-02 10:00:00,session\n"   # anonymous: "kept; not counted as users"
                    "a,2024-01-08 10:00:00,session\n"
                    "a,2024-01-15 10:00:00,session\n")
    dataset = ingest_file(store, path)
    specs = [MetricSpec("active", "active_users"), MetricSpec("retention", "retention")]
    frame = compute(store, dataset, specs, "week")
    assert frame.loc[frame["metric"] == "active", "value"].tolist() == [1, 1, 1]
    assert frame.loc[frame["metric"] == "retention", "value"].tolist()[0] == 1  # compiled: 0.5


def test_random_logs_cover_the_edge_cases():
    """The seeds exercise what the reference is for: gaps, refunds, unaligned starts, missing values."""
    logs = [random_log(seed) for seed in SEEDS]
    for log in logs:
        assert 5 <= log["user_id"].nunique() <= 40 and 30 - 15 <= len(log) <= 400
        span = log["timestamp"].max() - log["timestamp"].min()
        assert pd.Timedelta(days=10) <= span <= pd.Timedelta(days=120)
    starts = [log["timestamp"].min() for log in logs]
    assert any(ts == period_of(pd.Series([ts]), "month")[0] for ts in starts)  # a full first period
    assert sum(ts != ts.normalize() for ts in starts) >= 4  # the others start mid-day
    midnight = pd.concat([log["timestamp"] for log in logs])
    assert (midnight == midnight.dt.normalize()).sum() > 100

    def empty_periods(log: pd.DataFrame, grain: str) -> int:
        seen = period_of(log["timestamp"], grain)
        return len(pd.date_range(seen.min(), seen.max(), freq=FREQ[grain])) - seen.nunique()

    assert sum(empty_periods(log, "day") > 0 for log in logs) >= 3
    assert any(empty_periods(log, "week") > 0 for log in logs)
    money = pd.concat([log[log["event"].isin(MONEY)] for log in logs])
    assert (money["amount"] < 0).any() and money["amount"].isna().any()
    sessions = pd.concat([log[log["event"] == "session"] for log in logs])
    assert sessions["duration_s"].isna().any()
    # MRR's month step from the 29th–31st: DuckDB and pandas both clamp to the month's end.
    payments = pd.concat([log[log["event"] == "payment"] for log in logs])
    assert (payments["timestamp"].dt.day >= 29).any()
