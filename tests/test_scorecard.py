"""The five-criteria evidence scorecard on planted series with hand-checked scores and sentences."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from northstar.analysis.compare import compare
from northstar.analysis.lead import LeadResult
from northstar.analysis.scorecard import (
    CRITERIA,
    evidence_scorecards,
    influenceable,
    lead_evidence,
    long_term_outcome,
    measurable,
    understandable,
)
from northstar.i18n import use_language
from northstar.ingest.demo import LEADING_EVENT
from northstar.ingest.load import load_demo
from northstar.metrics.coverage import users_seen
from northstar.metrics.specs import MetricSpec
from northstar.store.core import Store

WEEKS = pd.date_range("2024-01-01", periods=10, freq="7D")
LEADER = LeadResult(metric="Sharers", outcome="Revenue", grain="week", n_periods=60, best_lag=3,
                    corr_changes=0.62, spearman_changes=0.6, corr_levels=0.3, p_value=0.001, granger_p=0.01,
                    volatility=0.1, xcorr=(0.1, 0.2, 0.3, 0.62), kind="leading", verdict="", q_value=0.004,
                    holdout_skill=0.31, holds_out=True)


def levels(values: list[float]) -> pd.Series:
    return pd.Series(values, index=WEEKS[:len(values)], dtype="float64")


@pytest.mark.parametrize(("result", "score", "basis"), [
    (LEADER, 5, "Leads Revenue by 3 weeks (r = 0.62, q = 0.004) and the lead holds out on the last 30% of "
                "periods (skill 0.31)."),
    # Below r = 0.5 a lead that holds out is a 4; one that does not hold out is a 3.
    (replace(LEADER, corr_changes=0.45), 4, "Leads Revenue by 3 weeks (r = 0.45, q = 0.004) and the lead "
                                            "holds out on the last 30% of periods (skill 0.31)."),
    (replace(LEADER, holds_out=False, holdout_skill=-0.2), 3,
     "Leads Revenue by 3 weeks (r = 0.62, q = 0.004), but the lead does not hold out on the last 30% of "
     "periods."),
    (replace(LEADER, q_value=0.0002, holds_out=None), 4, "Leads Revenue by 3 weeks (r = 0.62, q < 0.001)."),
    (replace(LEADER, kind="echo", echo_of="x"), 2,
     "Moves with Users who did x, a stronger leader of Revenue, and adds nothing beyond it."),
    (replace(LEADER, kind="coincident", best_lag=0, corr_changes=0.5), 2,
     "Moves in step with Revenue (r = 0.50) but does not move first."),
    (replace(LEADER, kind="none", corr_changes=0.1), 1, "No reliable link to Revenue (r = 0.10)."),
    (replace(LEADER, kind="part_of_outcome"), 1,
     "Part of Revenue itself: it rises the moment Revenue does, so it cannot warn of it."),
    (replace(LEADER, kind="too_short"), None, "Not enough data to test its lead on Revenue."),
    (None, None, "Not enough data to test its lead on Revenue."),
])
def test_critical_is_the_strength_of_the_lead(result, score, basis):
    found = lead_evidence("critical", result, "Revenue", {"x": "Users who did x"})
    assert (found.criterion, found.score, found.basis) == ("critical", score, basis)


def test_measurable_counts_periods_with_data_gaps_and_users_seen():
    # 10 weeks, two empty ones in a row (0 and NaN): 8 of 10 = 80%, the longest gap 2 weeks -> 3 (75%+).
    gappy = levels([5, 6, 0, np.nan, 5, 6, 7, 5, 6, 7])
    found = measurable(gappy, "week")
    assert (found.score, found.basis) == (3, "Has data in 8 of 10 weeks (80%); longest gap 2 weeks.")
    # Seen by 10% of the users (below 20%): one off.
    found = measurable(gappy, "week", 0.1)
    assert (found.score, found.basis) == (
        2, "Has data in 8 of 10 weeks (80%); longest gap 2 weeks. It sees 10% of the dataset's users.")
    full = levels([5.0] * 10)
    assert measurable(full, "week").score == 5
    assert measurable(full, "week").basis == "Has data in 10 of 10 weeks (100%); no gaps."
    assert measurable(full, "week", 0.03).score == 2  # a tiny corner of the users caps it at 2
    # Empty weeks before the first value and after the last are no gaps: 8 of 10 (80%) -> 3.
    edges = measurable(levels([0, 5, 5, 5, 5, 5, 5, 5, 5, np.nan]), "week")
    assert (edges.score, edges.basis) == (3, "Has data in 8 of 10 weeks (80%); no gaps.")
    # One empty week of 10: 90% with a gap of 1 -> 4.
    assert measurable(levels([5, 5, 5, 0, 5, 5, 5, 5, 5, 5]), "week").score == 4


def test_understandable_counts_the_parts_of_the_definition():
    sharers = understandable(MetricSpec("Sharers", "active_users", events=("report_shared",)))
    assert (sharers.score, sharers.basis) == (
        5, "Distinct users with any event (report_shared) in the period. One part to explain.")
    # LTV on two events: two events + a 90-day window = 3 parts -> 3.
    ltv = understandable(MetricSpec("LTV", "ltv", events=("purchase", "renewal")))
    assert ltv.score == 3 and ltv.basis.endswith(" 3 parts to explain.")
    custom = understandable(MetricSpec("Mine", "custom", expression="count(*)"))
    assert (custom.score, custom.basis) == (
        2, "Custom expression: count(*) A custom expression of 8 characters: people need it explained.")
    expression = "sum(amount) FILTER (WHERE " + "x" * 60 + ")"
    long = understandable(MetricSpec("Long", "custom", expression=expression))
    assert long.score == 1


def test_influenceable_by_hand():
    # 100, 110, 100, ... (8 weeks): changes ±10 (mean 10/7), sample std √(685.71/6) = 10.69 on a mean
    # level of 105 -> 10.2%. A line through them: slope 20/42, R² = (400/42)/200 = 0.048 -> own 95% -> 5.
    zigzag = influenceable(levels([100, 110] * 4))
    assert (zigzag.score, zigzag.basis) == (
        5, "It changes by 10.2% of its level from one period to the next; 95% of its movement is its own "
           "rather than the trend.")
    # A straight line: every change the same (std 0), all of it the trend -> 1.
    line = influenceable(levels([100 + 2 * t for t in range(10)]))
    assert (line.score, line.basis) == (
        1, "It changes by 0.0% of its level from one period to the next; 0% of its movement is its own "
           "rather than the trend.")
    assert influenceable(levels([1, 2, 3])).score is None


def test_swedish_sentences():
    with use_language("sv"):
        found = measurable(levels([5.0] * 10), "week")
    assert "Har data i 10 av 10 veckor" in found.basis


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("scorecard") / "demo")
    dataset = load_demo(store)
    yield store, dataset, compare(store, dataset, "Revenue")
    store.close()


def test_demo_scorecard(demo):
    store, dataset, comparison = demo
    cards = evidence_scorecards(store, dataset, comparison)
    assert list(cards) == [r.metric for r in comparison.results]
    sharers = cards[f"Users who did {LEADING_EVENT}"]
    assert [c.criterion for c in sharers.criteria] == list(CRITERIA)
    assert sharers.score("critical") == 5
    assert sharers.basis("critical").startswith("Leads Revenue by 3 weeks (r = 0.92, q < 0.001)")
    assert sharers.score("measurable") == 5
    assert sharers.basis("measurable") == ("Has data in 78 of 78 weeks (100%); no gaps. It sees 74% of the "
                                           "dataset's users.")
    assert sharers.score("understandable") == 5
    # The long-term outcome is the demo's saved retention outcome; the sharers don't lead it.
    assert long_term_outcome(comparison).name == "Retention (active again next period)"
    assert sharers.score("long_term") == 1
    assert sharers.basis("long_term").startswith("No reliable link to Retention (active again next period)")
    assert cards["Customer lifetime value (90 days)"].score("long_term") == 5
    assert cards["Transactions"].score("critical") == 1  # part of Revenue


def test_users_seen_by_hand(demo):
    store, dataset, _comparison = demo
    with store.events(dataset) as cur:
        cur.execute(f"SELECT count(DISTINCT user_key) FROM {dataset.events_table} "
                    "WHERE CAST(event AS VARCHAR) = 'nps_response'")
        responders = cur.fetchone()[0]
    shares = users_seen(store, dataset, [MetricSpec("All", "active_users"),
                                         MetricSpec("NPS", "nps", events=("nps_response",))])
    assert shares == {"All": 1.0, "NPS": pytest.approx(responders / dataset.users)}
