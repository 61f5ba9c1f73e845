"""Compare adapts to the data (issue 10): the default max lag fits the history and says why; two
candidates with the same series get the same verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from northstar.analysis import compare, default_max_lag, full_periods, history_periods
from northstar.i18n import use_language
from northstar.ingest import ingest_file
from tests.test_cli import run

START = pd.Timestamp("2024-01-01")  # a Monday


def _orders(path, weeks: int, users: int = 120, seed: int = 5) -> None:
    """A transactions export (no event column: every row is one event named after the file) with a
    purchase on the first day and one late on the last day, so the span is exactly `weeks` weeks."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, weeks * 7, size=users * weeks // 2)
    when = START + pd.to_timedelta(days, unit="D") + pd.to_timedelta(rng.integers(0, 86_400, len(days)), "s")
    frame = pd.DataFrame({"user_id": rng.integers(0, users, len(days)), "timestamp": when,
                          "amount": rng.choice([9.5, 20.0, 49.0], len(days))})
    ends = pd.DataFrame({"user_id": [0, 1], "amount": [10.0, 10.0],
                         "timestamp": [START, START + pd.Timedelta(days=weeks * 7 - 1, hours=12)]})
    pd.concat([frame, ends]).sort_values("timestamp").to_csv(path, index=False)


@pytest.fixture
def short(store, tmp_path):
    _orders(tmp_path / "orders.csv", weeks=14)
    return ingest_file(store, tmp_path / "orders.csv")


def test_the_default_max_lag_is_a_quarter_of_a_short_history(short):
    # 1 Jan to 7 Apr 2024: 14 full weeks (Mondays 1 Jan .. 1 Apr); 14 // 4 = 3 < 12, the weekly default
    assert history_periods(short, "week") == 14
    weekly = default_max_lag(short, "week")
    assert (weekly.value, weekly.fitted) == (3, True)
    assert weekly.reason() == "max lag 3 weeks: a quarter of the 14 weeks of history"
    with use_language("sv"):
        assert weekly.reason() == "största fördröjning 3 veckor: en fjärdedel av historikens 14 veckor"
    # 98 days: 98 // 4 = 24 < 28; January to March are complete months, April is not: 3 // 4 = 0 -> 1
    assert default_max_lag(short, "day").value == 24
    monthly = default_max_lag(short, "month")
    assert (monthly.history, monthly.value) == (3, 1)
    assert monthly.reason() == "max lag 1 month: the shortest there is, with only 3 months of history"


def test_a_long_history_keeps_the_grains_default(store, tmp_path):
    _orders(tmp_path / "orders.csv", weeks=60)
    dataset = ingest_file(store, tmp_path / "orders.csv")
    # 60 weeks: 60 // 4 = 15 > 12, so the weekly default stands
    weekly = default_max_lag(dataset, "week")
    assert (weekly.value, weekly.fitted, weekly.history) == (12, False, 60)
    assert weekly.reason() == ("max lag 12 weeks: the default for weeks (a quarter of the 60 weeks of "
                               "history would be 15 weeks)")


def test_compare_and_the_cli_use_and_explain_the_fitted_max_lag(short, store):
    comparison = compare(store, short, "Revenue")
    assert comparison.max_lag == 3 and comparison.lag_choice == default_max_lag(short, "week")
    assert all(len(r.xcorr) == 4 for r in comparison.results)  # lags 0..3
    assert compare(store, short, "Revenue", max_lag=2).lag_choice is None  # asked for: no reason to give
    store.close()
    done = run("compare", "--db", str(store.path), "--outcome", "Revenue")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "Max lag 3 weeks: a quarter of the 14 weeks of history."
    asked = run("compare", "--db", str(store.path), "--outcome", "Revenue", "--max-lag", "2")
    assert asked.returncode == 0 and asked.stderr == ""


def test_candidates_with_the_same_series_get_the_same_verdict(store, tmp_path):
    """A transactions export holds one event, `orders`, and Revenue sums its amounts. Active users (any
    event) and "Users who did orders" then count the same people every week: both are the buyers, made of
    Revenue's own events, so both are part of the outcome (before, Active users was "coincident")."""
    _orders(tmp_path / "orders.csv", weeks=60)
    dataset = ingest_file(store, tmp_path / "orders.csv")
    comparison = compare(store, dataset, "Revenue")
    same = ["Active users", "Users who did orders"]
    assert full_periods(comparison, same[0]).equals(full_periods(comparison, same[1]))
    results = {r.metric: r for r in comparison.results}
    assert {results[m].kind for m in same} == {"part_of_outcome"}
    assert results[same[0]].verdict == results[same[1]].verdict == (
        "part of Revenue itself: built from its own events, so it cannot give early warning")


def test_a_twin_of_the_leader_gets_its_verdict_not_echo():
    """Revenue's changes follow inviters' changes 2 weeks later; "inviters again" is the same series under
    another name. Alone both lead by 2 weeks; the greedy ranking chooses one, and the other is then the
    same leader, not "an echo of a stronger leader"."""
    from northstar.analysis import rank_candidates

    rng = np.random.default_rng(11)
    weeks = pd.date_range("2024-01-01", periods=90, freq="7D")
    shocks = rng.normal(size=90)
    inviters = 1_000 + np.cumsum(shocks)
    revenue = 5_000 + np.cumsum(np.r_[0, 0, shocks[:-2]] + 0.5 * rng.normal(size=90))
    noise = 800 + np.cumsum(rng.normal(size=90))
    frame = pd.concat([pd.DataFrame({"period": weeks, "metric": name, "value": values})
                       for name, values in [("inviters", inviters), ("inviters again", inviters),
                                            ("noise", noise), ("revenue", revenue)]])
    results = {r.metric: r for r in rank_candidates(frame, "revenue", grain="week", max_lag=4)}
    first, twin = results["inviters"], results["inviters again"]
    assert (first.kind, first.best_lag) == ("leading", 2)
    assert (twin.kind, twin.best_lag, twin.verdict, twin.leader_rank) == (
        first.kind, first.best_lag, first.verdict, first.leader_rank)
    assert results["noise"].kind != "leading"
