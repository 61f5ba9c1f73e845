"""Candidates: defaults follow the mapped columns, edits persist per dataset, YAML round-trips."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from northstar.errors import NorthstarError
from northstar.ingest.load import ingest_file
from northstar.metrics.candidates import (
    default_candidates,
    delete_candidate,
    merge_candidates,
    save_candidate,
    saved_candidates,
    suggestions,
)
from northstar.metrics.series import latest_changes
from northstar.metrics.specs import MetricSpec, dump_yaml, load_yaml
from northstar.wording import format_change, format_value
from tests.conftest import fixture


def test_defaults_follow_the_columns_a_dataset_has(store):
    tiny = ingest_file(store, fixture("metrics_tiny.csv"))
    names = {s.name: s for s in default_candidates(store, tiny)}
    assert list(names) == ["Active users", "Returning users", "Time spent per active user",
                           "Transactions", "Customer lifetime value (90 days)", "NPS", "Revenue",
                           "Retention (active again next period)"]
    assert names["Transactions"].events == ("payment", "purchase")  # the events carrying amounts
    assert names["Time spent per active user"].events == ("session",)
    assert names["Revenue"].role == "outcome"
    # No amounts, durations or scores in a plain Mixpanel export: no money, time or NPS metrics.
    mixpanel = ingest_file(store, fixture("bom.csv"))
    assert [s.name for s in default_candidates(store, mixpanel)] == [
        "Active users", "Returning users", "Events per active user",
        "Retention (active again next period)"]


def test_demo_defaults_include_mrr_and_churn(store):
    from northstar.ingest.load import load_demo

    demo = load_demo(store)
    specs = {s.name: s for s in default_candidates(store, demo)}
    assert specs["MRR"].events == ("subscription_payment",)
    assert specs["Churned users"].events == ("cancellation",)
    assert specs["MRR"].role == specs["Churned users"].role == "outcome"


def test_saved_candidates_start_from_defaults_and_persist_edits(store):
    tiny = ingest_file(store, fixture("metrics_tiny.csv"))
    first = saved_candidates(store, tiny)
    assert all(s.source == "default" for s in first)
    sharers = MetricSpec("Payers", "active_users", events=("payment",))
    save_candidate(store, tiny, sharers)
    save_candidate(store, tiny, MetricSpec("Paying users", "active_users", events=("payment",)),
                   previous_name="Payers")
    delete_candidate(store, tiny, "NPS")
    names = [s.name for s in saved_candidates(store, tiny)]
    assert names[-1] == "Paying users" and "Payers" not in names and "NPS" not in names
    # Re-loading the dataset keeps its candidates; deleting it removes them.
    tiny = ingest_file(store, fixture("metrics_tiny.csv"))
    assert [s.name for s in saved_candidates(store, tiny)] == names
    with pytest.raises(NorthstarError, match="exists; pick another name"):
        save_candidate(store, tiny, MetricSpec("Revenue", "transactions"))
    store.delete_dataset("metrics_tiny")
    tiny = ingest_file(store, fixture("metrics_tiny.csv"))
    assert "NPS" in [s.name for s in saved_candidates(store, tiny)]


def test_yaml_round_trip_and_merge():
    text = """
candidates:
  - {name: Weekly sharers, kind: active_users, events: [report_shared]}
  - {name: Revenue, kind: revenue, events: [purchase], role: outcome}
  - {name: Deep use, kind: engagement, measure: events, per: total}
  - {name: LTV 30, kind: ltv, window_days: 30}
"""
    specs = load_yaml(text)
    assert specs[0] == MetricSpec("Weekly sharers", "active_users", events=("report_shared",))
    assert specs[1].role == "outcome" and specs[3].window_days == 30
    assert load_yaml(dump_yaml(specs)) == specs
    assert "window_days: 30" in dump_yaml(specs) and "measure" not in dump_yaml(specs[:1])
    merged = merge_candidates(specs[:2], [MetricSpec("revenue", "mrr"), MetricSpec("New", "nps")])
    assert [(s.name, s.kind) for s in merged] == [
        ("Weekly sharers", "active_users"), ("revenue", "mrr"), ("New", "nps")]


@pytest.mark.parametrize("text, message", [
    ("candidates: [{name: A, kind: revenue, colour: red}]", "Unknown field(s) colour"),
    ("candidates: [{name: A, kind: engagement, per: team}]", "per 'team' must be one of"),
    ("candidates: [{name: A, kind: ltv, window_days: 0}]", "window_days must be"),
    ("candidates: [{name: A, kind: revenue}, {name: a, kind: nps}]", "names must be unique"),
    ("candidates: [{name: A, kind: custom}]", "needs an expression"),
    ("just text", "No candidates in YAML"),
])
def test_yaml_errors_name_the_metric_and_field(text, message):
    with pytest.raises(NorthstarError) as err:
        load_yaml(text)
    assert message in str(err.value)


def test_suggestions_cover_frequent_events_not_yet_measured(store):
    tiny = ingest_file(store, fixture("metrics_tiny.csv"))
    existing = [MetricSpec("Sessions", "active_users", events=("session",))]
    found = suggestions(store, tiny, existing)
    # Ordered by users: signup 4, session 3 (already measured), nps 3, payment 2, purchase 2.
    assert [s.name for s in found] == ["Users who did signup", "Users who did nps",
                                       "Users who did payment", "Users who did purchase"]
    assert all(s.source == "suggested" for s in found)


def test_latest_changes_skip_partial_periods():
    frame = pd.DataFrame({
        "period": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"] * 2),
        "metric": ["a"] * 4 + ["b"] * 4,
        "value": [10, 12, 15, 1, 5, math.nan, 4, 4],
        "partial": [False, False, False, True] * 2,
    })
    latest = latest_changes(frame).set_index("metric")
    assert latest.loc["a", "latest"] == 15 and latest.loc["a", "change_pct"] == pytest.approx(0.25)
    # b: 5, NaN, 4, partial 4 → latest complete 4 on 15 Jan, the NaN week skipped, previous 5
    assert (latest.loc["b", "latest"], latest.loc["b", "previous"]) == (4, 5)
    assert latest.loc["b", "change_pct"] == pytest.approx(-0.2)


@pytest.mark.parametrize("value, kind, text", [
    (0.4523, "retention", "45.2%"), (12345, "", "12.3k"), (1_234_567, "", "1.23M"),
    (443, "", "443"), (7.5, "", "7.50"), (42.25, "", "42.2"), (math.nan, "", "–"),
])
def test_format_value(value, kind, text):
    assert format_value(value, kind) == text


def test_format_change_in_points_for_scores():
    assert format_change(0.5, 0.25, "nps") == "▲ 0.5 pts"
    assert format_change(-0.012, -0.014, "retention") == "▼ 1.2 pp"
    assert format_change(20, 0.065, "revenue") == "▲ 6.5%"
