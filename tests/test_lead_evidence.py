"""Evidence statistics on small planted series with known answers: false-discovery control,
seasonal adjustment, prewhitening, conditional leads, holdout skill."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from northstar.analysis import lead, season
from northstar.analysis.lead import LeadResult, decide, family_q_values, lead_analysis
from northstar.analysis.ranking import rank_candidates, results_frame
from northstar.analysis.season import cycle_p, deseasonalise, has_cycle, remove_cycle

START = pd.Timestamp("2024-01-01")  # a Monday


def tidy(columns: dict[str, np.ndarray], freq: str = "7D") -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    periods = pd.date_range(START, periods=n, freq=freq)
    frames = [pd.DataFrame({"period": periods, "metric": k, "value": v}) for k, v in columns.items()]
    return pd.concat(frames, ignore_index=True).assign(partial=False)


def by_metric(results: list[LeadResult]) -> dict[str, LeadResult]:
    return {result.metric: result for result in results}


def stub(metric: str, lag_p: tuple[float, ...], best_lag: int, r: float = 0.5) -> LeadResult:
    xcorr = tuple(r if lag == best_lag else 0.1 for lag in range(len(lag_p)))
    return LeadResult(metric=metric, outcome="revenue", grain="week", n_periods=100, best_lag=best_lag,
                      corr_changes=r, spearman_changes=r, corr_levels=0.1, p_value=min(lag_p) * len(lag_p),
                      granger_p=None, volatility=0.1, xcorr=xcorr, kind="none", verdict="", lag_p=lag_p)


def test_benjamini_hochberg_over_candidates_and_lags_by_hand() -> None:
    # The family is all four lag p-values: sorted 0.001, 0.03, 0.04, 0.5 (m = 4). BH: 0.001·4/1 = 0.004,
    # 0.03·4/2 = 0.06, 0.04·4/3 = 0.0533, 0.5; taken down from the top as a running minimum:
    # 0.004, 0.0533, 0.0533, 0.5.
    a, b = stub("a", (0.001, 0.04), best_lag=0), stub("b", (0.5, 0.03), best_lag=1)
    q = family_q_values([a, b])
    assert q["a"] == pytest.approx(0.004) and q["b"] == pytest.approx(0.04 * 4 / 3)
    # Alone, b's family is its own two lags: 0.03·2/1 = 0.06.
    assert family_q_values([b])["b"] == pytest.approx(0.06)


def test_a_lead_that_fails_the_false_discovery_rate_is_not_leading() -> None:
    strong = decide(stub("a", (0.5, 0.0001), best_lag=1), 0.001)
    assert strong.kind == "leading" and strong.q_value == 0.001
    weak = decide(replace(stub("b", (0.5, 0.004), best_lag=1), p_value=0.008), 0.08)
    assert weak.kind == "none"
    assert "expected by chance" in weak.verdict and "q = 0.08" in weak.verdict


def test_many_noise_candidates_and_one_leader() -> None:
    rng = np.random.default_rng(7)
    n, lag = 90, 2
    driver = rng.normal(size=n + lag)
    columns = {"revenue": 1000 + np.cumsum(0.8 * driver[:n] + 0.6 * rng.normal(size=n)),
               "leader": 500 + np.cumsum(driver[lag:])}
    columns |= {f"noise{i}": 500 + np.cumsum(rng.normal(size=n)) for i in range(20)}
    results = rank_candidates(tidy(columns), "revenue")
    assert (results[0].metric, results[0].kind, results[0].best_lag) == ("leader", "leading", lag)
    assert results[0].q_value < 0.001
    assert all(r.q_value is None or r.q_value >= r.p_value / 100 for r in results)
    assert not [r.metric for r in results[1:] if r.kind == "leading"]
    assert "q_value" in results_frame(results).columns


def test_lead_analysis_alone_takes_its_own_lags_as_the_family() -> None:
    rng = np.random.default_rng(3)
    index = pd.date_range(START, periods=80, freq="7D")
    x = rng.normal(size=82)
    result = lead_analysis(pd.Series(np.cumsum(x[2:]), index=index),
                           pd.Series(np.cumsum(x[:80] + 0.5 * rng.normal(size=80)), index=index),
                           metric="c", outcome_name="o")
    assert result.kind == "leading" and result.best_lag == 2
    assert result.q_value == pytest.approx(family_q_values([result])["c"])


WEEKDAY = np.array([1.1, 1.15, 1.1, 1.05, 1.0, 0.8, 0.8])  # Monday first: a weekend dip


def daily_log(seed: int, n: int = 240, lag: int = 10) -> dict[str, np.ndarray]:
    """Daily series with a weekend dip in everything: inviters drive revenue `lag` days later, weakly;
    four everyday counts only follow the active users (and their weekday cycle)."""
    rng = np.random.default_rng(seed)
    m = n + lag
    day = np.arange(m)
    users = 2000 * (1 + day / m) * WEEKDAY[day % 7] * np.exp(rng.normal(0, 0.03, m))
    inviters = 0.2 * users * np.exp(0.1 * rng.normal(0, 1, m))
    columns = {"revenue": 10 * users[lag:] + 30 * inviters[:n] + rng.normal(0, 1500, n),
               "inviters": inviters[lag:]}
    for name, share in {"sessions": 0.7, "page_views": 0.9, "searches": 0.4, "settings": 0.1}.items():
        columns[name] = share * users[lag:] * np.exp(rng.normal(0, 0.05, n))
    return columns


def test_a_weekday_cycle_is_found_and_divided_out() -> None:
    index = pd.date_range(START, periods=70, freq="D")
    trend = pd.Series(100 + np.arange(70.0), index=index)
    cycled = trend * WEEKDAY[np.arange(70) % 7]
    assert has_cycle(cycled, "day") and cycle_p(cycled, "day") < 1e-6
    assert not has_cycle(trend + np.random.default_rng(1).normal(0, 1, 70), "day")
    adjusted = remove_cycle(cycled, "day")
    # The decomposition's pattern is the weekday factors over their mean, so the trend comes back
    # scaled by that mean (1.0) and to within the moving average's error inside.
    assert adjusted.iloc[7:-7].to_numpy() == pytest.approx(trend.iloc[7:-7].to_numpy(), rel=0.01)
    noisy = cycled + np.random.default_rng(2).normal(0, 1, 70)
    assert has_cycle(noisy, "day") and not has_cycle(remove_cycle(noisy, "day"), "day")
    # Weeks have no calendar cycle; days need three weeks of history before one is looked for.
    assert cycle_p(cycled, "week") is None and cycle_p(cycled.iloc[:20], "day") is None
    # A gap stays a gap.
    with_gap = cycled.copy()
    with_gap.iloc[30] = np.nan
    adjusted, had = deseasonalise(with_gap, "day")
    assert had and np.isnan(adjusted.iloc[30]) and adjusted.notna().sum() == 69


def test_a_month_of_year_cycle_needs_three_years() -> None:
    months = pd.date_range("2021-01-01", periods=48, freq="MS")
    december = np.where(months.month == 12, 1.5, 1.0)
    noise = np.random.default_rng(4).normal(0, 1, 48)
    values = pd.Series((500 + 5 * np.arange(48)) * december + noise, index=months)
    assert has_cycle(values, "month")
    assert cycle_p(values.iloc[:30], "month") is None  # two and a half years: not looked for


def test_day_grain_with_a_weekday_cycle_finds_the_10_day_leader_first_at_its_lag() -> None:
    for seed in range(3):
        results = rank_candidates(tidy(daily_log(seed), freq="D"), "revenue", grain="day", max_lag=28)
        leader = results[0]
        assert (leader.metric, leader.kind, leader.best_lag) == ("inviters", "leading", 10), seed
        assert leader.season == "weekday" and leader.deseasonalised == ("inviters", "revenue")
        assert not [r.metric for r in results[1:] if r.kind == "leading"], seed


def test_either_step_alone_keeps_the_weekly_rhythm_from_looking_like_leads(monkeypatch) -> None:
    # The bug: without seasonal removal or prewhitening, every behaviour that follows the weekly cycle
    # "leads" by 7, 14, 21 or 28 days and the true leader is not first. (The same-period rule alone
    # would now call those weekly echoes coincident: it is switched off here to show the two steps.)
    frame = tidy(daily_log(0), freq="D")
    monkeypatch.setattr(season, "CYCLE_ALPHA", -1.0)
    monkeypatch.setattr(lead, "ar_filter", lambda changes: ())
    monkeypatch.setattr(lead, "SAME_PERIOD_FACTOR", 0.0)
    results = rank_candidates(frame, "revenue", grain="day", max_lag=28)
    assert results[0].metric != "inviters" and results[0].best_lag in (7, 14, 21, 28)
    monkeypatch.undo()
    # Prewhitening alone (AR up to 10 days absorbs most of a weekly pattern) finds the leader too.
    monkeypatch.setattr(season, "CYCLE_ALPHA", -1.0)
    results = rank_candidates(frame, "revenue", grain="day", max_lag=28)
    assert (results[0].metric, results[0].best_lag) == ("inviters", 10) and results[0].ar_order >= 6


def test_prewhiten_by_hand() -> None:
    series = pd.Series([1.0, 2.0, 4.0, 8.0, np.nan, 3.0, 5.0])
    # e_t = x_t − 0.5·x_{t−1}: the gap leaves one more missing value after it.
    expected = [np.nan, 1.5, 3.0, 6.0, np.nan, np.nan, 3.5]
    np.testing.assert_allclose(lead.prewhiten(series, (0.5,)).to_numpy(), expected)
    np.testing.assert_allclose(lead.prewhiten(series, ()).to_numpy(), series.to_numpy())


def test_prewhitening_sharpens_a_smeared_lead_to_its_lag() -> None:
    # The candidate's changes are AR(1) with φ = 0.8; the outcome's changes follow its innovations 3
    # weeks later. Raw, the link is smeared over lags 3, 2, 1, 0 (a change 2 weeks before the outcome's
    # still carries 0.8 of the innovation of 3 weeks before); after the AR filter chosen by AIC it
    # stands at lag 3 alone.
    rng = np.random.default_rng(5)
    n, lag = 300, 3
    shocks = rng.normal(size=n)
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = 0.8 * x[t - 1] + shocks[t]
    y = np.concatenate([np.zeros(lag), shocks[:-lag]]) + 0.5 * rng.normal(size=n)
    index = pd.date_range(START, periods=n + 1, freq="7D")
    candidate = pd.Series(np.concatenate([[0], np.cumsum(x)]) + 1000, index=index)
    outcome = pd.Series(np.concatenate([[0], np.cumsum(y)]) + 1000, index=index)
    coefficients = lead.ar_filter(candidate.diff())
    assert coefficients[0] == pytest.approx(0.8, abs=0.1)
    result = lead_analysis(candidate, outcome, metric="c", outcome_name="o")
    assert result.best_lag == lag and result.kind == "leading" and result.ar_order == len(coefficients)
    assert result.xcorr_raw[lag - 1] > 0.35 and abs(result.xcorr[lag - 1]) < 0.15
    assert result.xcorr[lag] > result.xcorr_raw[lag]
    # White changes get at most a faint filter (AIC may keep a lag or two of noise), short ones none.
    assert all(abs(phi) < 0.2 for phi in lead.ar_filter(pd.Series(rng.normal(size=200))))
    assert lead.ar_filter(pd.Series(x[: lead.MIN_PREWHITEN - 1])) == ()


def two_leaders(seed: int, n: int = 100) -> dict[str, np.ndarray]:
    """Weekly counts on one user base: inviters drive revenue 2 weeks later strongly, reviewers 5 weeks
    later more weakly; invites (about 3 per inviter) only echo inviters; views follow the user base."""
    rng = np.random.default_rng(seed)
    m = n + 5
    users = 1000 * (1 + np.arange(m) / m) * np.exp(np.cumsum(rng.normal(0, 0.02, m)))
    inviters = 0.2 * users * np.exp(rng.normal(0, 0.3, m))
    reviewers = 0.1 * users * np.exp(rng.normal(0, 0.3, m))
    revenue = 20 * users[5:] + 30 * inviters[3:n + 3] + 25 * reviewers[:n] + rng.normal(0, 400, n)
    return {"revenue": revenue, "inviters": inviters[5:], "reviewers": reviewers[5:],
            "invites": 3 * inviters[5:] * np.exp(rng.normal(0, 0.15, n)),
            "views": 5 * users[5:] * np.exp(rng.normal(0, 0.05, n))}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_weaker_second_leader_is_found_and_ranked_second(seed: int) -> None:
    results = rank_candidates(tidy(two_leaders(seed)), "revenue")
    first, second = results[:2]
    assert (first.metric, first.kind, first.best_lag, first.leader_rank) == ("inviters", "leading", 2, 1)
    assert (second.metric, second.kind, second.best_lag, second.leader_rank) == ("reviewers", "leading", 5, 2)
    assert second.conditional_p < 0.001 and second.conditional_q < 0.05
    assert second.verdict.startswith("leads revenue by 5 weeks beyond what inviters already tell")
    echo = by_metric(results)["invites"]
    assert (echo.kind, echo.echo_of) == ("echo", "inviters")
    assert echo.verdict.startswith("moves with inviters; adds nothing beyond it for revenue")
    assert echo.conditional_p > 0.05
    # (views, which only follows the user base, is a third "leader" in 1 of these 3 seeds, q = 0.038:
    # the false-lead rates are measured in benchmarks/analysis_accuracy.py, not asserted per seed.)


def test_holdout_skill_of_a_perfect_and_of_a_broken_lead() -> None:
    from northstar.analysis.conditional import holdout_skill

    rng = np.random.default_rng(9)
    x = pd.Series(rng.normal(size=60))
    perfect = 2 * x.shift(1) + 5
    # y is x one period later exactly: with x the forecast has no error, so the skill is 1.
    assert holdout_skill({"x": x}, perfect, [], ("x", 1)) == pytest.approx(1.0)
    # Linked on the first 70% of periods only: the fitted link makes forecasts of the rest worse.
    broken = perfect.where(np.arange(60) < 42, pd.Series(rng.normal(5, 2, size=60)))
    assert holdout_skill({"x": x}, broken, [], ("x", 1)) < 0
    # Too short to split: no skill.
    assert holdout_skill({"x": x[:15]}, perfect[:15], [], ("x", 1)) is None


def test_a_lead_that_does_not_hold_out_is_flagged() -> None:
    rng = np.random.default_rng(12)
    n, lag = 100, 2
    driver = rng.normal(size=n + lag)
    link = np.where(np.arange(n) < 65, 1.0, 0.0)  # the link stops for the last 35 weeks
    revenue = 1000 + np.cumsum(link * driver[:n] + 0.4 * rng.normal(size=n))
    results = rank_candidates(tidy({"revenue": revenue, "leader": 500 + np.cumsum(driver[lag:])}),
                              "revenue")
    leader = results[0]
    assert (leader.kind, leader.best_lag) == ("leading", lag)
    assert leader.holdout_skill < 0 and leader.holds_out is False
    assert "did not hold out" in leader.verdict
    frame = results_frame(results)
    assert {"holdout_skill", "holds_out", "echo_of", "conditional_p"} <= set(frame.columns)


def test_same_period_rule_by_hand() -> None:
    nan = float("nan")
    # Lag 2's 0.4 is not more than 2 × |0.25|: lag 0 takes its place.
    assert lead.same_period_rule((0.25, 0.1, 0.4), 2) == (0, True)
    # Exactly twice is not "more than": still coincident.
    assert lead.same_period_rule((0.2, 0.0, 0.4), 2) == (0, True)
    # A strongly negative same-period r leaves no lead at all.
    assert lead.same_period_rule((-0.3, 0.5, 0.1), 1) == (None, True)
    # A lag r more than twice the same-period one stays a lead.
    assert lead.same_period_rule((0.1, 0.05, 0.0, 0.45), 3) == (3, False)
    assert lead.same_period_rule((nan, 0.5), 1) == (1, False)
    assert lead.same_period_rule((0.5, 0.2), 0) == (0, False)
    assert lead.same_period_rule((-0.1, -0.2), None) == (None, False)


def test_a_same_period_echo_with_a_weak_lagged_ripple_is_not_leading() -> None:
    rng = np.random.default_rng(12)
    n = 120
    shocks = rng.normal(0, 1, n + 2)
    outcome = 1000 + np.cumsum(shocks[2:])
    # The candidate's changes: the outcome's own changes (lag 0) plus a weak ripple of them 2 periods
    # ahead (its change at t carries the outcome's change at t + 2), a little larger than the same-period
    # part, and noise: its best lagged r beats r at lag 0, but not by twice. It moves with the outcome.
    changes = shocks[2:]
    ripple = np.append(changes[2:], rng.normal(0, 1, 2))
    echo = 500 + np.cumsum(0.5 * changes + 0.6 * ripple + rng.normal(0, 0.3, n))
    frame = tidy({"revenue": outcome, "echo": echo})
    found = by_metric(rank_candidates(frame, "revenue"))["echo"]
    assert found.same_period_first and found.xcorr[0] > 0.3
    assert found.xcorr[0] < found.xcorr[2] <= 2 * found.xcorr[0]
    assert (found.kind, found.best_lag) == ("coincident", 0)
    # Without the rule the ripple was called a 2-period lead.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lead, "SAME_PERIOD_FACTOR", 0.0)
        old = by_metric(rank_candidates(frame, "revenue"))["echo"]
    assert (old.kind, old.best_lag) == ("leading", 2)


def test_a_true_lag_3_leader_still_leads() -> None:
    rng = np.random.default_rng(12)
    n = 120
    shocks = rng.normal(0, 1, n + 3)
    leader = 500 + np.cumsum(shocks[3:])
    outcome = 1000 + np.cumsum(shocks[:-3] + rng.normal(0, 0.8, n))
    found = by_metric(rank_candidates(tidy({"revenue": outcome, "leader": leader}), "revenue"))["leader"]
    assert (found.kind, found.best_lag, found.same_period_first) == ("leading", 3, False)
    assert abs(found.xcorr[0]) < found.xcorr[3] / 2


def test_a_drift_whose_size_wanders_with_the_outcome_adds_nothing_beyond_the_leader() -> None:
    from northstar.analysis.conditional import additions, greedy_leaders

    # Both the outcome's changes and the drifter's (2 weeks earlier) have a steady mean of +5 a week
    # and a size that swings 1 -> 3 -> 1 every 13 weeks, but their noise is independent: the drifter
    # carries nothing about the outcome. Divided by that size without taking the mean off first, both
    # got a mean of 5 / size that rose and fell together, and the drifter "added" to the leader at
    # every lag (conditional p < 0.001 at lags 1-3), as slow drifts did on the benchmark's null data.
    rng = np.random.default_rng(4)
    n = 104
    size = np.where((np.arange(n + 2) // 13) % 2 == 0, 1.0, 3.0)
    leader = pd.Series(rng.normal(size=n))
    outcome = 5 + 0.5 * size[:n] * leader.shift(1) + size[:n] * pd.Series(rng.normal(size=n))
    changes = {"leader": leader, "drifter": pd.Series(5 + size[2:] * rng.normal(size=n))}
    tested = additions(changes, outcome, [("leader", 1)], ["drifter"], max_lag=6)
    assert [a.lag for a, _q in tested] == [1, 2, 3, 4, 5, 6]
    assert all(q > 0.05 for _a, q in tested)
    assert min(a.p_value for a, _q in tested) > 0.01
    chosen = greedy_leaders(changes, outcome, ("leader", 1), ["drifter"], max_lag=6)
    assert chosen == [("leader", 1, None, None)]


def test_the_conditional_test_takes_the_wider_of_the_hac_and_plain_standard_errors() -> None:
    import statsmodels.api as sm
    from scipy import stats

    from northstar.analysis.conditional import _fit, _hac_lags

    # A smooth regressor against errors that swing back (MA(1), -0.7): with 60 periods and 3 HAC lags
    # Newey-West narrows the standard error to about half the plain one (t 3.06 against 1.59), and on
    # null data such narrowing let slow drifts join an unrelated leader at conditional p < 0.001.
    rng = np.random.default_rng(0)
    n = 60
    wave = np.convolve(rng.normal(size=n + 17), np.exp(-0.5 * (np.arange(-8, 9) / 2) ** 2), mode="valid")
    x = sm.add_constant(np.diff(wave))
    noise = rng.normal(size=n + 1)
    y = 0.3 * x[:, 1] + noise[1:] - 0.7 * noise[:-1]
    ols = sm.OLS(y, x).fit()
    hac = ols.get_robustcov_results(cov_type="HAC", maxlags=_hac_lags(n))
    assert hac.tvalues[-1] == pytest.approx(3.062, abs=0.001)
    assert ols.tvalues[-1] == pytest.approx(1.591, abs=0.001)
    coefficient, p, partial_r = _fit(y, x)
    assert p == pytest.approx(stats.t.sf(ols.tvalues[-1], df=n - 2))
    assert p == pytest.approx(0.0586, abs=0.0001)  # HAC alone: 0.0017
    assert partial_r == pytest.approx(1.591 / np.sqrt(1.591**2 + 58), abs=0.001)
