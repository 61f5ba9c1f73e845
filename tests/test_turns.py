"""Backtest of turns on planted series whose peaks and dips are known."""

from __future__ import annotations

import numpy as np
import pandas as pd

from northstar.analysis.turns import backtest, turning_points, turns_sentence
from northstar.i18n import use_language

T = np.arange(80)
WEEKS = pd.date_range("2024-01-01", periods=80, freq="7D")
# A 20-week cycle on a slow rise: peaks at weeks 5, 25, 45, 65 and dips at 15, 35, 55, 75.
OUTCOME = pd.Series(100 + 0.2 * T + 10 * np.sin(2 * np.pi * T / 20), index=WEEKS)
# The same cycle 3 weeks earlier: dips at 12, 32, 52, 72, peaks at 22, 42, 62 (its first peak, week 2,
# is too close to the start to have been risen to).
LEADER = pd.Series(50 + 10 * np.sin(2 * np.pi * (T + 3) / 20), index=WEEKS)


def test_turning_points_of_a_planted_cycle():
    turns = [(t.position, t.kind) for t in turning_points(OUTCOME)]
    assert turns == [(5, "peak"), (15, "dip"), (25, "peak"), (35, "dip"), (45, "peak"), (55, "dip"),
                     (65, "peak"), (75, "dip")]
    assert turning_points(OUTCOME)[0].period == pd.Timestamp("2024-02-05")
    assert [(t.position, t.kind) for t in turning_points(LEADER)] == [
        (12, "dip"), (22, "peak"), (32, "dip"), (42, "peak"), (52, "dip"), (62, "peak"), (72, "dip")]


def test_noise_on_a_trend_has_no_turns():
    rng = np.random.default_rng(0)
    assert turning_points(pd.Series(100 + 0.5 * T + rng.normal(0, 1, 80), index=WEEKS)) == []
    # A cycle below the noise's size is no turn either; the same cycle far above it is.
    wobble = 100 + 0.5 * T + rng.normal(0, 1, 80)
    assert turning_points(pd.Series(wobble + 0.5 * np.sin(2 * np.pi * T / 20), index=WEEKS)) == []
    assert len(turning_points(pd.Series(wobble + 30 * np.sin(2 * np.pi * T / 20), index=WEEKS))) == 8


def test_a_leader_turns_3_weeks_before_and_a_follower_does_not():
    test = backtest(LEADER, OUTCOME, metric="leader", outcome_name="Revenue", grain="week", max_lag=12)
    assert [m.lead for m in test.matches] == [None, 3, 3, 3, 3, 3, 3, 3]  # week 5's peak: none before
    assert (test.before("dip"), len(test.of("dip")), test.median_lead("dip")) == (4, 4, 3)
    assert (test.before("peak"), len(test.of("peak")), test.median_lead("peak")) == (3, 4, 3)
    assert turns_sentence(test, "Sharers", "Revenue") == (
        "Sharers turned 3 weeks before 4 of the 4 dips in Revenue (median); it turned 3 weeks before 3 "
        "of the 4 peaks in Revenue (median).")
    with use_language("sv"):
        assert turns_sentence(test, "Sharers", "Revenue").startswith(
            "Sharers vände 3 veckor före 4 av de 4 nedgångarna i Revenue (median); den vände")
    # A follower turns 4 weeks after: within a max lag of 12 its previous same-way turn is 16 weeks
    # earlier, too far.
    follower = pd.Series(50 + 10 * np.sin(2 * np.pi * (T - 4) / 20), index=WEEKS)
    late = backtest(follower, OUTCOME, metric="f", outcome_name="Revenue", grain="week", max_lag=12)
    assert all(m.lead is None for m in late.matches)
    assert turns_sentence(late, "Viewers", "Revenue") == (
        "Viewers did not turn before any of the 4 dips in Revenue; it did not turn before any of the 4 "
        "peaks in Revenue.")
    flat = backtest(follower, pd.Series(5.0, index=WEEKS), metric="f", outcome_name="Revenue",
                    grain="week", max_lag=12)
    assert turns_sentence(flat, "Viewers", "Revenue") == (
        "Revenue has no turn large enough to backtest Viewers on.")
