"""The demo generator: deterministic, realistic in shape, and carrying its planted leading metric."""

from __future__ import annotations

import functools
import re

import pandas as pd
import pytest

from northstar.ingest.demo import (
    COLUMNS,
    DEMO_START,
    LEAD_WEEKS,
    LEADING_EVENT,
    generate_demo,
    write_demo_csv,
)

MONEY_EVENTS = {"subscription_payment", "purchase"}
EXPECTED_EVENTS = {
    "signup",
    "session",
    "report_created",
    "dashboard_viewed",
    "report_shared",
    "export_csv",
    "comment_added",
    "integration_connected",
    "subscription_payment",
    "purchase",
    "cancellation",
    "nps_response",
}
MAX_LAG = 8
CSV_LIMIT_BYTES = 8_000_000


@functools.cache
def demo(seed: int) -> pd.DataFrame:
    """Generated once per seed: the log is read-only in these tests."""
    return generate_demo(seed)


def weekly(frame: pd.DataFrame) -> pd.DataFrame:
    """Sharers, dashboard viewers and revenue per Monday-based week, without the partial first and last."""
    stamps = pd.to_datetime(frame["timestamp"])
    week = (stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")).dt.normalize()
    frame = frame.assign(week=week)
    weeks = pd.date_range(week.min(), week.max(), freq="7D")

    def distinct_users(event: str) -> pd.Series:
        doing = frame[frame["event"] == event]
        return doing.groupby("week")["user_id"].nunique().reindex(weeks, fill_value=0)

    money = frame[frame["event"].isin(MONEY_EVENTS)]
    table = pd.DataFrame(
        {
            "sharers": distinct_users(LEADING_EVENT),
            "dashboard_users": distinct_users("dashboard_viewed"),
            "revenue": money.groupby("week")["amount"].sum().reindex(weeks, fill_value=0.0),
        }
    )
    return table.iloc[1:-1]


def change_correlations(x: pd.Series, y: pd.Series) -> pd.Series:
    """corr(x's week-over-week change k weeks earlier, y's change) for k = 0..MAX_LAG."""
    return pd.Series({k: x.diff().shift(k).corr(y.diff()) for k in range(MAX_LAG + 1)})


def test_same_seed_same_log():
    pd.testing.assert_frame_equal(generate_demo(7), demo(7))


def test_different_seed_different_log():
    assert not generate_demo(8).equals(demo(7))


def test_columns_and_types():
    frame = demo(7)
    assert list(frame.columns) == COLUMNS
    assert frame["user_id"].str.fullmatch(r"u\d{5}").all()
    assert frame["timestamp"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}").all()
    assert set(frame["plan"]) == {"basic", "pro", "team"}
    assert set(frame["platform"]) == {"web", "ios", "android"}
    assert frame["country"].str.fullmatch(r"[A-Z]{2}").all()
    assert 4 <= frame["country"].nunique() <= 10


def test_users_and_span():
    frame = demo(7)
    stamps = pd.to_datetime(frame["timestamp"])
    assert frame["user_id"].nunique() == 2000
    assert stamps.is_monotonic_increasing
    assert stamps.min().date() >= DEMO_START
    assert 500 <= (stamps.max() - stamps.min()).days <= 560
    signups = frame[frame["event"] == "signup"]
    assert signups["user_id"].is_unique and len(signups) == 2000
    assert (frame.groupby("user_id")["event"].first() == "signup").all()


def test_events_and_where_values_live():
    frame = demo(7)
    assert set(frame["event"]) >= EXPECTED_EVENTS
    assert frame["event"].value_counts().idxmax() == "session"
    is_money = frame["event"].isin(MONEY_EVENTS)
    assert frame.loc[is_money, "amount"].gt(0).all()
    assert frame.loc[~is_money, "amount"].isna().all()
    is_session = frame["event"] == "session"
    assert frame.loc[is_session, "duration_s"].gt(0).all()
    assert frame.loc[~is_session, "duration_s"].isna().all()
    is_nps = frame["event"] == "nps_response"
    assert frame.loc[is_nps, "nps_score"].between(0, 10).all()
    assert frame.loc[~is_nps, "nps_score"].isna().all()


def test_growth_and_churn():
    frame = demo(7)
    signups = pd.to_datetime(frame.loc[frame["event"] == "signup", "timestamp"])
    first_half = (signups < signups.min() + (signups.max() - signups.min()) / 2).sum()
    assert len(signups) - first_half > 1.3 * first_half
    revenue = weekly(frame)["revenue"]
    assert revenue.iloc[-8:].mean() > 3 * revenue.iloc[8:16].mean()
    assert 0.1 < frame["event"].eq("cancellation").sum() / 2000 < 0.6


def test_weekends_are_quieter():
    stamps = pd.to_datetime(demo(7)["timestamp"])
    per_day = stamps.dt.day_of_week.value_counts()
    assert per_day[[5, 6]].max() < 0.6 * per_day[[0, 1, 2, 3, 4]].min()


@pytest.mark.parametrize("seed", [7, 1, 2])
def test_sharing_leads_revenue_by_lead_weeks(seed):
    table = weekly(demo(seed))
    by_lag = change_correlations(table["sharers"], table["revenue"])
    assert by_lag.idxmax() == LEAD_WEEKS, by_lag.round(2).to_dict()
    assert by_lag[LEAD_WEEKS] > 0.4, by_lag.round(2).to_dict()


@pytest.mark.parametrize("seed", [7, 1, 2])
def test_dashboard_views_are_only_trend(seed):
    table = weekly(demo(seed))
    assert table["dashboard_users"].corr(table["revenue"]) > 0.8
    by_lag = change_correlations(table["dashboard_users"], table["revenue"])
    assert by_lag.abs().max() < 0.3, by_lag.round(2).to_dict()


def test_write_demo_csv(tmp_path):
    path = tmp_path / "demo.csv"
    rows = write_demo_csv(path)
    assert path.stat().st_size < CSV_LIMIT_BYTES
    text = path.read_text()
    lines = text.splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert len(lines) - 1 == rows == len(demo(7))
    amounts = re.findall(r",(?:subscription_payment|purchase),([^,]*),", text)
    assert amounts and all(re.fullmatch(r"\d+\.\d{2}", a) for a in amounts)
    session = next(line for line in lines if ",session," in line)
    assert re.search(r",session,,\d+,,", session)
    again = tmp_path / "again.csv"
    write_demo_csv(again)
    assert again.read_bytes() == path.read_bytes()


def test_smaller_logs_for_quick_use():
    frame = generate_demo(seed=3, n_users=200, months=6)
    assert frame["user_id"].nunique() == 200
    assert (pd.to_datetime(frame["timestamp"]).max() - pd.Timestamp(DEMO_START)).days < 190


def test_committed_demo_is_what_the_generator_writes(tmp_path):
    """An installed package regenerates the demo instead of shipping it: both must be the same bytes."""
    from northstar.ingest.load import DEMO_CSV

    write_demo_csv(tmp_path / "demo.csv")
    assert (tmp_path / "demo.csv").read_bytes() == DEMO_CSV.read_bytes()
