"""Every metric kind on a tiny log whose weekly values were worked out by hand.

The log (tests/fixtures/metrics_tiny.csv) spans four full ISO weeks, W1 = 1 Jan 2024 ... W4 = 22 Jan:
  W1: a signup, session 100 s, payment 10, nps 10 · b signup, session 50 s, purchase 5
  W2: a session 200 s · c signup, session 30 s, payment 20, nps 9 · b nps 5
  W3: a session 60 s · d signup
  W4: a session 40 s · c session 10 s · d purchase 7
First seen: a, b in W1; c in W2; d in W3.
"""

from __future__ import annotations

import math

import pytest

from northstar.errors import NorthstarError
from northstar.ingest.load import ingest_file
from northstar.metrics.compiler import compile_metrics, compute
from northstar.metrics.specs import MetricSpec
from tests.conftest import fixture

MONEY = ("payment", "purchase")
NAN = float("nan")

HAND_CHECKED = {
    # Users with any event: {a,b}, {a,b,c}, {a,d}, {a,c,d}.
    "active users": (MetricSpec("m", "active_users"), [2, 3, 2, 3]),
    "active users, sessions": (MetricSpec("m", "active_users", events=("session",)), [2, 2, 1, 2]),
    "transactions": (MetricSpec("m", "transactions", events=MONEY), [2, 1, 0, 1]),
    "revenue": (MetricSpec("m", "revenue", events=MONEY), [15, 20, 0, 7]),
    # (100+50)/2, (200+30)/2, 60/1, (40+10)/2
    "time per active user": (MetricSpec("m", "engagement", events=("session",)), [75, 115, 60, 25]),
    "time in total": (MetricSpec("m", "engagement", events=("session",), per="total"),
                      [150, 230, 60, 50]),
    # 7 events / 2 users, 6 / 3, 2 / 2, 3 / 3
    "events per active user": (MetricSpec("m", "engagement", measure="events"), [3.5, 2, 1, 1]),
    # W1: [10] → 100; W2: [5, 9] → (1 − 1) / 2 = 0; W3, W4: no answers → unknown, not 0
    "nps": (MetricSpec("m", "nps"), [100, 0, NAN, NAN]),
    # Active and first seen in an earlier week: none; a, b; a; a, c, d
    "returning users": (MetricSpec("m", "returning_users"), [0, 2, 1, 3]),
    # {a,b}→{a,b,c}: 2/2; {a,b,c}→{a,d}: 1/3; {a,d}→{a,c,d}: 2/2; W4: next week unseen
    "retention": (MetricSpec("m", "retention"), [1, 1 / 3, 1, NAN]),
    # sessions {a,b}→{a,c}: 1/2; {a,c}→{a}: 1/2; {a}→{a,c}: 1/1
    "retention, sessions": (MetricSpec("m", "retention", events=("session",)), [0.5, 0.5, 1, NAN]),
    # at each week's end: a's 10 (paid 2 Jan), then a's 10 + c's 20 (paid 10 Jan), still current
    "mrr": (MetricSpec("m", "mrr", events=("payment",)), [10, 30, 30, 30]),
    # cohort W1 {a: 10, b: 5} → 7.5; W2 {c: 20}; W3 {d} not yet watched 7 days + a week; W4 none
    "ltv 7 days": (MetricSpec("m", "ltv", events=MONEY, window_days=7), [7.5, 20, NAN, NAN]),
    "custom signups": (MetricSpec("m", "custom", expression=(
        "count(DISTINCT user_id) FILTER (WHERE event = 'signup')")), [2, 1, 1, 0]),
    # compares user ids, so it runs on the real ids: a has 4, 1, 1, 1 events
    "custom by user id": (MetricSpec("m", "custom", expression=(
        "count(*) FILTER (WHERE user_id = 'a')")), [4, 1, 1, 1]),
}


@pytest.fixture
def tiny(store):
    return ingest_file(store, fixture("metrics_tiny.csv"))


def _values(frame) -> list[float]:
    return [round(v, 6) if not math.isnan(v) else v for v in frame["value"]]


@pytest.mark.parametrize("case", HAND_CHECKED)
def test_kind_matches_hand_computed_weeks(store, tiny, case):
    spec, expected = HAND_CHECKED[case]
    frame = compute(store, tiny, [spec], "week")
    assert [str(p.date()) for p in frame["period"]] == [
        "2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"]
    got = _values(frame)
    assert len(got) == len(expected)
    for value, want in zip(got, expected, strict=True):
        assert (math.isnan(value) and math.isnan(want)) or value == pytest.approx(want), (got, expected)
    assert not frame["partial"].any()


def test_all_kinds_in_one_request_agree_with_each_alone(store, tiny):
    specs = [MetricSpec(name, spec.kind, spec.events, measure=spec.measure, per=spec.per,
                        window_days=spec.window_days, expression=spec.expression)
             for name, (spec, _) in HAND_CHECKED.items()]
    together = compute(store, tiny, specs, "week")
    assert list(dict.fromkeys(together["metric"])) == list(HAND_CHECKED)
    for name, (_, expected) in HAND_CHECKED.items():
        got = _values(together[together["metric"] == name])
        assert all((math.isnan(g) and math.isnan(w)) or g == pytest.approx(w)
                   for g, w in zip(got, expected, strict=True)), name


def test_per_row_kinds_share_one_pass(tiny):
    specs = [spec for spec, _ in list(HAND_CHECKED.values())[:-1]]
    query = compile_metrics(tiny, specs, "week")
    # The per-row kinds and retention share one pass grouping events by (period, user); only the
    # custom expression (a row-level scan), MRR and LTV read the events again.
    assert query.sql.count("activity AS MATERIALIZED (") == 1
    assert query.sql.count("FROM events") == 4
    assert query.sql.count("FROM activity") == 1 + 2  # the period scan and the two retentions


def test_month_grain_flags_the_partial_month(store, tiny):
    frame = compute(store, tiny, [MetricSpec("m", "active_users")], "month")
    assert [str(p.date()) for p in frame["period"]] == ["2024-01-01"]
    assert frame["value"].tolist() == [4]
    assert frame["partial"].tolist() == [True]  # data ends 28 Jan, the month on the 31st


def test_day_grain_fills_empty_days_with_zero(store, tiny):
    frame = compute(store, tiny, [MetricSpec("m", "transactions", events=MONEY)], "day")
    assert len(frame) == 28
    by_day = dict(zip(frame["period"].dt.strftime("%m-%d"), frame["value"], strict=True))
    assert (by_day["01-02"], by_day["01-03"], by_day["01-04"], by_day["01-10"]) == (1, 0, 1, 1)
    assert sum(frame["value"]) == 4


def test_readable_sql_inlines_values_and_runs_the_same(store, tiny):
    spec = MetricSpec("Weekly sharers", "active_users", events=("report_shared", "it's"))
    query = compile_metrics(tiny, [spec], "week")
    text = query.readable()
    assert "event IN ('report_shared', 'it''s')" in text
    assert "'Weekly sharers' AS metric" in text
    assert "$p" not in text


def test_unknown_grain_and_bad_specs(store, tiny):
    with pytest.raises(NorthstarError, match="not one of: day, week, month"):
        compute(store, tiny, [MetricSpec("m", "active_users")], "year")
    with pytest.raises(NorthstarError, match="period_column 'months'"):
        compute(store, tiny, [MetricSpec("m", "mrr", period_column="months")], "week")
    with pytest.raises(NorthstarError, match="remove its events list"):
        compute(store, tiny, [MetricSpec("m", "custom", events=("a",), expression="count(*)")])
