"""Lead analysis: planted leaders are found at their lag, noise and trends are not called leading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from northstar.analysis.lead import LeadResult, _heteroscedasticity, _p_greater, lead_analysis, min_periods
from northstar.analysis.ranking import rank_candidates, results_frame
from northstar.analysis.verdicts import MIN_LINK_R, format_p
from northstar.errors import NorthstarError
from northstar.ingest.demo import LEAD_WEEKS, LEADING_EVENT, MONEY_EVENTS, generate_demo

START = pd.Timestamp("2024-01-01")  # a Monday


def tidy(columns: dict[str, np.ndarray], freq: str = "7D") -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    periods = pd.date_range(START, periods=n, freq=freq)
    frames = [pd.DataFrame({"period": periods, "metric": k, "value": v}) for k, v in columns.items()]
    return pd.concat(frames, ignore_index=True).assign(partial=False)


def planted_log(seed: int, lag: int = 3, n: int = 80) -> dict[str, np.ndarray]:
    """Weekly series of a growing product where shares drive revenue `lag` weeks later.

    views share only the smooth growth trend; checkout moves with revenue in the same week; addons is
    the shares-driven part of revenue itself.
    """
    rng = np.random.default_rng(seed)
    trend = 1000 * (1 + 2 * np.arange(n + lag) / n)
    users = trend * np.exp(rng.normal(0, 0.03, n + lag))
    shares = 0.1 * users * np.exp(rng.normal(0, 0.3, n + lag))
    addons = 40 * shares[:n]
    revenue = 20 * users[lag:] + addons + rng.normal(0, 600, n)
    wave = np.convolve(rng.normal(0, 1, n + 16), np.exp(-0.5 * (np.arange(-8, 9) / 2) ** 2), mode="valid")
    return {
        "revenue": revenue,
        "shares": shares[lag:],
        "views": 0.5 * trend[lag:] * np.exp(0.1 * wave / wave.std()),
        "checkout": 0.02 * revenue * np.exp(rng.normal(0, 0.03, n)),
        "addons": addons,
    }


def by_metric(results: list[LeadResult]) -> dict[str, LeadResult]:
    return {result.metric: result for result in results}


@pytest.mark.parametrize("lag", [1, 2, 3, 5])
def test_planted_leader_ranks_first_at_its_lag(lag: int) -> None:
    results = rank_candidates(tidy(planted_log(seed=lag, lag=lag)), "revenue", part_of_outcome={"addons"})
    leader = results[0]
    assert (leader.metric, leader.kind, leader.best_lag) == ("shares", "leading", lag)
    assert f"leads revenue by {lag} week" in leader.verdict
    assert leader.p_value < 0.001 and leader.granger_p < 0.001
    assert leader.corr_changes == pytest.approx(leader.xcorr[lag])
    assert len(leader.xcorr) == 13


def test_kinds_and_order_of_the_other_candidates() -> None:
    results = rank_candidates(tidy(planted_log(seed=11)), "revenue", part_of_outcome=["addons"])
    assert [r.metric for r in results] == ["shares", "checkout", "addons", "views"]
    found = by_metric(results)
    assert found["checkout"].kind == "coincident" and found["checkout"].best_lag == 0
    assert "moves with revenue in the same week: coincident, no early warning" in found["checkout"].verdict
    # Its changes are the leader's, three weeks on: the numbers look great, yet it is revenue itself.
    assert found["addons"].kind == "part_of_outcome" and found["addons"].corr_changes > 0.85
    assert found["addons"].verdict.startswith("part of revenue itself")
    assert found["views"].kind == "vanity" and found["views"].corr_levels > 0.9
    assert "likely a vanity metric" in found["views"].verdict


def test_trend_only_metrics_are_not_leading() -> None:
    kinds = [by_metric(rank_candidates(tidy(planted_log(s)), "revenue"))["views"].kind for s in range(10)]
    assert "leading" not in kinds
    assert kinds.count("vanity") >= 8, kinds


def noise_pair(rng: np.random.Generator, shape: str, n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(n)
    if shape == "random_walk":
        return 500 + np.cumsum(rng.normal(0, 10, (2, n)), axis=1)
    if shape == "trend_white":  # differencing this makes changes negatively autocorrelated
        return 500 + 5 * t + rng.normal(0, 30, (2, n))
    # Slow drifts around a trend: strongly autocorrelated changes.
    kernel = np.exp(-0.5 * (np.arange(-8, 9) / 2) ** 2)
    waves = [np.convolve(rng.normal(0, 1, n + 16), kernel, mode="valid") for _ in range(2)]
    return 500 + 5 * t + 10 * np.array(waves)


@pytest.mark.parametrize("shape", ["random_walk", "trend_white", "drift"])
def test_noise_is_rarely_called_leading(shape: str) -> None:
    rng = np.random.default_rng(2024)
    index = pd.date_range(START, periods=80, freq="7D")
    called = 0
    for _ in range(50):
        candidate, outcome = noise_pair(rng, shape)
        result = lead_analysis(
            pd.Series(candidate, index=index), pd.Series(outcome, index=index),
            metric="noise", outcome_name="revenue",
        )
        called += result.kind == "leading"
    # Measured with this seed: 4 (random_walk), 3 (trend_white) and 0 (drift) of 50; over 600 pairs
    # 4.2%, 2.7% and 1.2%, so about the 5% family-wise rate promised, or below. 50 draws at 5% give
    # more than 5 hits only 4% of the time. The plain pearsonr p-value, without widening for
    # autocorrelated changes, called 5, 10 and 30 of the same 50 (5%, 13% and 48% over 600).
    assert called <= 5


GROWING_TREND_ONLY = ("page_views", "sessions", "searches", "settings", "active")


def growing_counts(seed: int, n: int = 70, lag: int = 2) -> dict[str, np.ndarray]:
    """Weekly counts of a product growing from a handful of active users to hundreds (as in the CLI
    test's Mixpanel export): each a binomial draw on the week's active users, so its changes grow with
    it. A weekly shock moves the share who invite that week and the share who buy `lag` weeks later;
    the other counts only follow the user base."""
    rng = np.random.default_rng(seed)
    growth = 1 + np.arange(n) / 15
    signup = rng.choice(n, size=1500, p=growth / growth.sum())
    leaves = np.minimum(signup + 1 + rng.geometric(1 / 40, size=1500), n)
    active = np.cumsum(np.bincount(signup, minlength=n + 1) - np.bincount(leaves, minlength=n + 1))[:n]
    shock = rng.normal(size=n + lag)
    shares = {"page_views": 0.9, "sessions": 0.7, "searches": 0.4, "settings": 0.1}
    return {
        "revenue": 20.0 * rng.binomial(active, np.clip(0.15 + 0.06 * shock[:n], 0.01, 0.9)),
        "inviters": rng.binomial(active, np.clip(0.25 + 0.09 * shock[lag:], 0.02, 0.9)),
        **{name: rng.binomial(active, share) for name, share in shares.items()},
        "active": active,
    }


def test_counts_growing_with_the_user_base_are_not_called_leading() -> None:
    called, leaders = 0, []
    for seed in range(30):
        results = rank_candidates(tidy(growing_counts(seed)), "revenue")
        leaders.append((results[0].metric, results[0].best_lag, results[0].kind))
        called += sum(by_metric(results)[name].kind == "leading" for name in GROWING_TREND_ONLY)
    assert leaders == [("inviters", 2, "leading")] * 30
    # Measured: 4 of these 150 trend-only counts called leading; over 400 seeds 2.5% (the worst count
    # 3.3%). Without the widening for changes that grow in step, 16 of 150 and 13.6% (sessions,
    # searches and settings 16-18%), with p-values down to 0.001.
    assert called <= 7


def test_heteroscedasticity_factor() -> None:
    steady, growing = np.full(60, 4.0), np.arange(1.0, 61.0) ** 2
    assert _heteroscedasticity(steady, growing, 0) == 1.0  # one steady series: no widening
    # Variances growing as t² in both: n·Σt⁴ / (Σt²)², about 9/5 for long series.
    expected = 60 * (growing**2).sum() / growing.sum() ** 2
    assert _heteroscedasticity(growing, growing, 0) == pytest.approx(expected) and 1.7 < expected < 1.8
    assert _heteroscedasticity(growing, growing[::-1], 0) == 1.0  # sizes in opposition: never below 1
    # At lag 2 the candidate's variance at t - 2 meets the outcome's at t; unknown variances drop out.
    with_gap = np.concatenate([[np.nan], growing[1:]])
    expected = 57 * (growing[1:58] * growing[3:]).sum() / (growing[1:58].sum() * growing[3:].sum())
    assert _heteroscedasticity(with_gap, growing, 2) == pytest.approx(expected)
    assert _heteroscedasticity(growing[:4], growing[:4], 5) == 1.0  # a lag longer than the series


def test_weak_link_is_not_a_leader_however_significant() -> None:
    rng = np.random.default_rng(2)
    x, noise = rng.normal(size=402), rng.normal(size=400)
    index = pd.date_range(START, periods=400, freq="7D")
    tips, revenue = 1000 + 10 * x[2:], 5000 + 10 * (0.2 * x[:400] + noise)  # tips lead by 2 weeks, weakly
    result = lead_analysis(
        pd.Series(tips, index=index), pd.Series(revenue, index=index), metric="tips", outcome_name="revenue"
    )
    assert result.best_lag == 2 and result.p_value < 0.01 and result.corr_changes < MIN_LINK_R
    assert result.kind == "none"
    assert result.verdict == (
        "a link to revenue too weak to steer by (r = 0.23 on week-over-week changes, p = 0.0012; r below 0.3)"
    )


def test_too_short_log_says_so() -> None:
    columns = {name: values[:14] for name, values in planted_log(seed=3).items()}
    results = rank_candidates(tidy(columns), "revenue", max_lag=12)
    assert {r.kind for r in results} == {"too_short"}
    leader = by_metric(results)["shares"]
    assert leader.n_periods == 14 and min_periods(12) == 46
    assert leader.verdict == "not enough data: 14 weeks, need at least 46 (3 × max lag + 10)"


def test_hand_checked_numbers() -> None:
    # Candidate changes x = 1, 2, -1, 3, -1 and outcome changes y = 1, 3, 0, 2, -1.
    # Lag 0: means 0.8 and 1; sum of cross products 10.0; sums of squares 12.8 and 10 → r = 10/√128.
    # Lag 1 pairs x[:-1] with y[1:]: cross products -7.0, squares 8.75 and 10 → r = -7/√87.5.
    # Levels: cross products 21, squares 17.5 and 27.33 → r = 0.9602.
    # Volatility: changes' sd √3.2 = 1.789 over the mean level 2.5 → 0.7155.
    index = pd.date_range(START, periods=6, freq="7D")
    candidate = pd.Series([0, 1, 3, 2, 5, 4], index=index)
    outcome = pd.Series([10, 11, 14, 14, 16, 15], index=index)
    result = lead_analysis(candidate, outcome, metric="c", outcome_name="revenue", max_lag=1)
    assert result.xcorr == pytest.approx((10 / 128**0.5, -7 / 87.5**0.5))
    assert result.best_lag == 0 and result.corr_changes == pytest.approx(0.88388, abs=1e-5)
    assert result.corr_levels == pytest.approx(0.9602, abs=1e-4)
    assert result.volatility == pytest.approx(0.71554, abs=1e-5)
    assert result.kind == "too_short"
    assert result.verdict.startswith("not enough data: 6 weeks, need at least 13")
    assert result.granger_p is None  # best lag 0: nothing to Granger-test


def test_p_value_is_scipys_pearsonr_when_changes_are_independent() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=40), rng.normal(size=40)
    expected = stats.pearsonr(x, y, alternative="greater")
    assert _p_greater(expected.statistic, 40) == pytest.approx(expected.pvalue, rel=1e-9)


def test_p_formatting() -> None:
    assert [format_p(p) for p in (0.0004, 0.02, 0.0234, 0.0034, 0.5)] == [
        "p < 0.001", "p = 0.02", "p = 0.023", "p = 0.0034", "p = 0.5",
    ]


def test_gaps_do_not_shift_lags_and_month_grain_words() -> None:
    data = planted_log(seed=4, lag=2, n=48)
    index = pd.date_range(START, periods=48, freq="MS")
    candidate = pd.Series(data["shares"], index=index).drop(index[20])
    result = lead_analysis(
        candidate, pd.Series(data["revenue"], index=index), metric="shares", outcome_name="revenue",
        grain="month", max_lag=4,
    )
    assert (result.kind, result.best_lag, result.n_periods) == ("leading", 2, 47)
    assert "leads revenue by 2 months (r = " in result.verdict
    assert "month-over-month changes" in result.verdict


def test_transforms_find_the_same_leader() -> None:
    frame = tidy(planted_log(seed=8, lag=2))
    for transform in ("log_diff", "detrend"):
        leader = rank_candidates(frame, "revenue", transform=transform)[0]
        assert (leader.metric, leader.kind, leader.best_lag) == ("shares", "leading", 2), transform
    leader = rank_candidates(frame, "revenue", transform="log_diff")[0]
    assert "week-over-week percentage changes" in leader.verdict


def test_partial_periods_are_left_out() -> None:
    frame = tidy(planted_log(seed=9))
    edges = frame["period"].isin([frame["period"].min(), frame["period"].max()])
    frame.loc[edges, "partial"] = True
    frame.loc[edges & (frame["metric"] == "revenue"), "value"] = 1.0  # a partial week's tiny total
    leader = rank_candidates(frame, "revenue")[0]
    assert (leader.metric, leader.n_periods, leader.best_lag) == ("shares", 78, 3)


def test_results_frame_best_first() -> None:
    results = rank_candidates(tidy(planted_log(seed=12)), "revenue", part_of_outcome=["addons"])
    frame = results_frame(list(reversed(results)))
    assert list(frame["metric"]) == [r.metric for r in results]
    for column in ("metric", "kind", "best_lag", "corr_changes", "corr_levels", "p_value", "granger_p"):
        assert column in frame.columns
    assert {"volatility", "n_periods", "verdict"} <= set(frame.columns)
    assert str(frame["best_lag"].dtype) == "Int64"
    assert results_frame([]).empty


@pytest.mark.parametrize(
    ("call", "title"),
    [
        (lambda f: rank_candidates(f, "profit"), "unknown outcome 'profit'"),
        (lambda f: rank_candidates(f, "revenue", transform="pct"), "unknown transform 'pct'"),
        (lambda f: rank_candidates(f, "revenue", grain="year"), "unknown grain 'year'"),
        (lambda f: rank_candidates(f, "revenue", max_lag=-1), "max lag must be a whole number"),
        (lambda f: rank_candidates(f, "revenue", part_of_outcome=["x"]), "unknown metric in part_of_outcome"),
        (lambda f: rank_candidates(f.drop(columns="value"), "revenue"), "the series lack columns value"),
        (lambda f: rank_candidates(pd.concat([f, f.head(1)]), "revenue"), "a metric has two values"),
        (lambda f: rank_candidates(f, "revenue", grain="month"), "periods don't line up as months"),
        (lambda f: rank_candidates(f.assign(value=0.0), "revenue", transform="log_diff"), "can't take logs"),
    ],
)
def test_bad_input_is_refused_with_a_reason(call, title: str) -> None:
    with pytest.raises(NorthstarError) as refused:
        call(tidy(planted_log(seed=1)))
    assert refused.value.title.startswith(title)
    assert refused.value.detail


def test_series_without_common_periods_are_refused() -> None:
    mondays = pd.date_range(START, periods=60, freq="7D")
    with pytest.raises(NorthstarError, match="no period in common"):
        lead_analysis(
            pd.Series(1.0, index=mondays + pd.Timedelta(days=1)), pd.Series(2.0, index=mondays),
            metric="shares", outcome_name="revenue",
        )


def demo_weekly(seed: int = 7) -> pd.DataFrame:
    """Weekly distinct users per event and weekly revenue, Monday weeks, first and last marked partial."""
    log = generate_demo(seed=seed)
    log["period"] = pd.to_datetime(log["timestamp"]).dt.to_period("W-SUN").dt.start_time
    users = log.groupby(["period", "event"])["user_id"].nunique().reset_index(name="value")
    users["metric"] = users["event"] + " users"
    money = log[log["event"].isin(MONEY_EVENTS)]
    revenue = money.groupby("period")["amount"].sum().reset_index(name="value").assign(metric="revenue")
    frame = pd.concat([users.drop(columns="event"), revenue], ignore_index=True)
    return frame.assign(partial=frame["period"].isin([frame["period"].min(), frame["period"].max()]))


def test_demo_planted_truth_is_found() -> None:
    results = rank_candidates(
        demo_weekly(), "revenue", part_of_outcome=[f"{event} users" for event in MONEY_EVENTS]
    )
    leader, found = results[0], by_metric(results)
    assert (leader.metric, leader.kind, leader.best_lag) == (f"{LEADING_EVENT} users", "leading", LEAD_WEEKS)
    assert leader.verdict.startswith("leads revenue by 3 weeks (r = 0.9")
    assert found["dashboard_viewed users"].kind != "leading"
    assert found["purchase users"].kind == "part_of_outcome"
