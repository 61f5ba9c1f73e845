"""User-level lift from the events: 2×2 counts per stratum of prior activity, counted by hand."""

from __future__ import annotations

import pytest

from northstar.analysis.lead import LeadResult
from northstar.analysis.lift import Counts, user_lift
from northstar.analysis.user_lift import UserLift, behaviours, lift_sentence, user_lifts
from northstar.i18n import use_language
from northstar.ingest import ingest_file
from northstar.metrics.lift_counts import Behaviour, Cell, applies, lift_counts, reached_by
from northstar.metrics.specs import MetricSpec

REVENUE = MetricSpec(name="Revenue", kind="revenue", events=("purchase",), role="outcome")
SHARERS = MetricSpec(name="Sharers", kind="active_users", events=("share",))
# Weeks from Monday 2024-01-01 (W0) to W4. u5 only makes W4 the last week.
EVENTS = """user_id,timestamp,event,amount
u1,2024-01-02 10:00:00,login,
u1,2024-01-09 10:00:00,share,
u1,2024-01-16 10:00:00,purchase,10
u1,2024-01-23 10:00:00,login,
u2,2024-01-02 10:00:00,login,
u2,2024-01-03 10:00:00,login,
u2,2024-01-09 10:00:00,login,
u2,2024-01-16 10:00:00,login,
u2,2024-01-23 10:00:00,purchase,10
u3,2024-01-09 10:00:00,share,
u3,2024-01-16 10:00:00,share,
u3,2024-01-23 10:00:00,purchase,10
u4,2024-01-09 10:00:00,login,
u4,2024-01-16 10:00:00,login,
u4,2024-01-23 10:00:00,purchase,10
u5,2024-01-30 10:00:00,login,
"""


@pytest.fixture
def tiny(store, tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text(EVENTS)
    return store, ingest_file(store, path)


def test_counts_per_stratum_by_hand(tiny):
    store, dataset = tiny
    # Strata: prior events of the 12 active user-weeks W1-W3 (W0 has no past, W4 is the last week):
    # W1 u1 1, u2 2, u3 0, u4 0; W2 u1 2, u2 3, u3 1, u4 1; W3 u1 3, u2 4, u3 2, u4 2. Sorted
    # 0 0 1 1 1 2 2 2 2 3 3 4: thirds at 1 and 2, so light <= 1 < medium <= 2 < heavy.
    # Lag 1 counts W1 and W2 (W3 + 1 is the last week); did share, bought the week after:
    #   light: u1 W1 yes yes, u3 W1 yes no, u3 W2 yes yes, u4 W1 no no, u4 W2 no yes
    #   medium: u1 W2 no no, u2 W1 no no; heavy: u2 W2 no yes
    # Lag 2 counts W1 only, bought within two weeks: light u1 yes yes, u3 yes yes, u4 no yes;
    # medium u2 no yes.
    counts = lift_counts(store, dataset, [Behaviour("Sharers", ("share",), 1),
                                          Behaviour("Sharers later", ("share",), 2)], REVENUE)
    assert counts["Sharers"] == (Cell(0, 2, 1, 1, 1), Cell(1, 0, 0, 0, 2), Cell(2, 0, 0, 1, 0))
    assert counts["Sharers later"] == (Cell(0, 2, 0, 1, 0), Cell(1, 0, 0, 1, 0), Cell(2, 0, 0, 0, 0))


def test_lift_of_the_tiny_table_by_hand(tiny):
    store, dataset = tiny
    result = LeadResult(metric="Sharers", outcome="Revenue", grain="week", n_periods=5, best_lag=1,
                        corr_changes=None, spearman_changes=None, corr_levels=None, p_value=None,
                        granger_p=None, volatility=None, xcorr=(), kind="none", verdict="")
    found = user_lifts(store, dataset, [SHARERS], REVENUE, [result], "week")["Sharers"]
    lift = found.lift
    # Sharers 2 of 3 bought, the others 2 of 5. Mantel-Haenszel: only the light stratum has both groups:
    # (2 × 2 / 5) / (1 × 3 / 5) = 4/3.
    assert (lift.users_did, lift.users_not) == (3, 5)
    assert (lift.rate_did, lift.rate_not) == pytest.approx((2 / 3, 2 / 5))
    assert lift.lift == pytest.approx(4 / 3)
    assert lift.low is not None and lift.high is not None and lift.low < 4 / 3 < lift.high
    assert (found.behaviour, found.lag, found.reached) == ("share", 1, "money")


def test_which_candidates_and_outcomes_a_lift_applies_to():
    assert applies(SHARERS, REVENUE)
    assert not applies(MetricSpec(name="Buyers", kind="active_users", events=("purchase",)), REVENUE)
    assert not applies(MetricSpec(name="Active users", kind="active_users"), REVENUE)
    assert not applies(MetricSpec(name="Time", kind="engagement", events=("share",)), REVENUE)
    assert reached_by(MetricSpec(name="Retention", kind="retention")) == "active"
    assert reached_by(MetricSpec(name="NPS", kind="nps")) is None
    part = LeadResult(metric="Sharers", outcome="Revenue", grain="week", n_periods=5, best_lag=None,
                      corr_changes=None, spearman_changes=None, corr_levels=None, p_value=None,
                      granger_p=None, volatility=None, xcorr=(), kind="none", verdict="")
    assert behaviours([SHARERS], REVENUE, [part]) == [Behaviour("Sharers", ("share",), 1)]


def test_the_sentence_in_both_languages():
    found = UserLift(metric="Sharers", behaviour="report_shared", lag=3, grain="week", reached="money",
                     lift=user_lift([Counts(30, 70, 10, 90)]))
    assert lift_sentence(found) == (
        "Users who did report_shared in a week were 3.0× as likely to buy within 3 weeks as active users "
        "who did not (95% interval 1.6–5.8; compared within light, medium and heavy users).")
    with use_language("sv"):
        swedish = lift_sentence(found)
    assert swedish.startswith("Användare som gjorde report_shared en vecka var 3,0× så benägna att köpa inom "
                              "3 veckor") and "1,6–5,8" in swedish
    empty = UserLift(metric="Sharers", behaviour="share", lag=1, grain="week", reached="money",
                     lift=user_lift([Counts(0, 5, 0, 5)]))
    assert lift_sentence(empty) == "Too few users to compare those who did share with those who did not."


def test_an_activity_outcome_is_reached_by_coming_back(tiny):
    store, dataset = tiny
    # Every active user of W1 and W2 is active the week after; the strata are those of the first test.
    active = MetricSpec(name="Active users", kind="active_users", role="outcome")
    counts = lift_counts(store, dataset, [Behaviour("Sharers", ("share",), 1)], active)
    assert counts["Sharers"] == (Cell(0, 3, 0, 2, 0), Cell(1, 0, 0, 2, 0), Cell(2, 0, 0, 1, 0))


def test_an_event_the_data_never_had_counts_nobody(tiny):
    store, dataset = tiny
    counts = lift_counts(store, dataset, [Behaviour("Ghosts", ("ghost",), 1),
                                          Behaviour("Sharers", ("share",), 1)], REVENUE)
    assert all(c.did_reached == c.did_not_reached == 0 for c in counts["Ghosts"])
    assert counts["Sharers"][0] == Cell(0, 2, 1, 1, 1)
