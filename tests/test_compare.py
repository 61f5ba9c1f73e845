"""Candidates against an outcome on the demo's planted truth; the part-of-outcome rule; chart helpers."""

from __future__ import annotations

import pandas as pd
import pytest

from northstar.analysis.compare import (
    changes,
    chart_data,
    compare,
    full_periods,
    indexed,
    pairs_per_lag,
    part_of_outcome,
    shifted,
)
from northstar.charts import compare as compare_charts
from northstar.errors import NorthstarError
from northstar.ingest.demo import LEAD_WEEKS, LEADING_EVENT
from northstar.ingest.load import ingest_file, load_demo
from northstar.metrics.candidates import saved_candidates
from northstar.metrics.specs import MetricSpec
from northstar.store.core import Store
from tests.conftest import fixture

MONEY = ("purchase", "subscription_payment")
REVENUE = MetricSpec("Revenue", "revenue", events=MONEY, role="outcome")
SHARERS = f"Users who did {LEADING_EVENT}"
PURCHASERS = MetricSpec("Users who did purchase", "active_users", events=("purchase",))


@pytest.mark.parametrize(("candidate", "outcome", "expected"), [
    (PURCHASERS, REVENUE, True),
    (MetricSpec("Transactions", "transactions", events=MONEY), REVENUE, True),
    (MetricSpec("LTV", "ltv", events=MONEY, window_days=90), REVENUE, True),
    (MetricSpec("Revenue again", "revenue", events=MONEY), REVENUE, True),  # same definition
    (MetricSpec("Payers and sharers", "active_users", events=("purchase", "report_shared")), REVENUE, False),
    (MetricSpec("Sharers", "active_users", events=("report_shared",)), REVENUE, False),
    (MetricSpec("Active users", "active_users"), REVENUE, False),  # no filter: everyone's events
    (MetricSpec("All revenue", "revenue"), MetricSpec("All rev", "revenue", role="outcome"), True),
    # An outcome over every event owns none in particular: filtered candidates stay independent.
    (PURCHASERS, MetricSpec("Retention", "retention", role="outcome"), False),
    (MetricSpec("Active users", "active_users"), MetricSpec("Retention", "retention", role="outcome"), False),
])
def test_part_of_outcome(candidate, outcome, expected):
    assert part_of_outcome(candidate, outcome) is expected


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("compare") / "demo")
    dataset = load_demo(store)
    yield store, dataset
    store.close()


@pytest.fixture(scope="module")
def comparison(demo):
    store, dataset = demo
    # The saved defaults plus "Users who did purchase", which the top-8 suggestions leave out.
    return compare(store, dataset, "Revenue", candidates=[*saved_candidates(store, dataset), PURCHASERS])


def test_demo_planted_leader_is_a_suggestion_ranked_first(comparison):
    top = comparison.ranking.iloc[0]
    assert (top["metric"], top["best_lag"], top["kind"], top["source"]) == (
        SHARERS, LEAD_WEEKS, "leading", "suggested")
    assert not top["saved"] and SHARERS in comparison.unsaved
    assert comparison.results[0].metric == SHARERS and comparison.result(SHARERS).best_lag == LEAD_WEEKS
    assert "leads Revenue by 3 weeks" in top["verdict"]


def test_demo_money_metrics_are_part_of_the_outcome_and_views_are_no_leader(comparison):
    kinds = dict(zip(comparison.ranking["metric"], comparison.ranking["kind"], strict=True))
    assert kinds["Users who did purchase"] == "part_of_outcome"
    assert kinds["Transactions"] == "part_of_outcome"
    assert kinds["Customer lifetime value (90 days)"] == "part_of_outcome"
    assert kinds["Users who did dashboard_viewed"] != "leading"
    assert "Revenue" not in kinds  # the outcome is not its own candidate


def test_ranking_columns_sources_and_roles(comparison):
    ranking = comparison.ranking
    assert {"metric", "best_lag", "corr_changes", "corr_levels", "p_value", "granger_p", "kind", "verdict",
            "source", "role", "saved"} <= set(ranking.columns)
    rows = ranking.set_index("metric")
    assert rows.loc["Active users", ["source", "role"]].tolist() == ["default", "candidate"]
    assert rows.loc["MRR", ["source", "role"]].tolist() == ["default", "outcome"]
    assert rows.loc["Users who did purchase", "source"] == "user"
    assert set(rows.loc[list(comparison.unsaved), "source"]) == {"suggested"}
    assert comparison.grain == "week" and comparison.max_lag == 12
    assert set(comparison.series["metric"]) == {*ranking["metric"], "Revenue"}


def test_unknown_outcome_lists_the_outcomes(demo):
    store, dataset = demo
    with pytest.raises(NorthstarError) as err:
        compare(store, dataset, "Profit")
    assert err.value.title == "Unknown outcome 'Profit'"
    assert "Available outcomes: Revenue, MRR, Retention (active again next period), Churned users" in (
        err.value.detail)


@pytest.mark.parametrize("max_lag", [0, -1, 1.5, True])
def test_bad_max_lag_is_refused(demo, max_lag):
    store, dataset = demo
    with pytest.raises(NorthstarError, match="Max lag must be a whole number"):
        compare(store, dataset, "Revenue", max_lag=max_lag)


def test_any_metric_can_be_the_outcome_and_names_match_in_any_case(demo):
    store, dataset = demo
    given = [MetricSpec("Sharers", "active_users", events=("report_shared",)),
             MetricSpec("Payments", "transactions", events=MONEY)]
    result = compare(store, dataset, "payments", candidates=given, include_suggestions=False, max_lag=6)
    assert result.outcome.name == "Payments"
    assert list(result.ranking["metric"]) == ["Sharers"]
    assert result.ranking.iloc[0]["best_lag"] == LEAD_WEEKS


def test_chart_helpers(comparison):
    sharers = full_periods(comparison, SHARERS)
    assert not comparison.series.query("metric == @SHARERS and partial")["period"].isin(sharers.index).any()
    assert indexed(sharers).mean() == pytest.approx(100)
    moved = shifted(sharers, 3, "week")
    assert (moved.index - sharers.index == pd.Timedelta(weeks=3)).all()
    pairs = changes(comparison, SHARERS)
    r = pairs["candidate_change"].corr(pairs["outcome_change"])
    # The scatter shows the changes as recorded: r before prewhitening, at the best lag.
    assert r == pytest.approx(comparison.result(SHARERS).xcorr_raw[LEAD_WEEKS])
    sizes = pairs_per_lag(comparison, SHARERS)
    assert len(sizes) == 13 and sizes[LEAD_WEEKS] == len(pairs) and sizes[0] > sizes[12]
    data = chart_data(comparison, SHARERS)
    assert {"period", SHARERS, "Revenue", f"{SHARERS}, 3 weeks earlier (index)"} <= set(data.columns)


def test_figures_draw_for_every_candidate(comparison):
    lines = compare_charts.lead_lines(comparison, SHARERS)
    assert [t.name for t in lines.data] == ["Revenue (outcome)", f"{SHARERS}, shifted 3 weeks later"]
    assert compare_charts.lead_lines(comparison, SHARERS, shift=False).data[1].name == SHARERS
    bars = compare_charts.cross_correlation(comparison, SHARERS).data[0]
    assert list(bars.x) == list(range(13))
    assert bars.marker.color[LEAD_WEEKS] == compare_charts.ACCENT
    result = comparison.result(SHARERS)
    xcorr = compare_charts.cross_correlation(comparison, SHARERS).data
    if result.ar_order:  # both: r after prewhitening (tested) and on the raw changes
        raw = next(t for t in xcorr if t.name == "raw changes")
        assert list(raw.y) == pytest.approx(list(result.xcorr_raw))
    assert list(bars.y) == pytest.approx(list(result.xcorr))
    scatter = compare_charts.changes_scatter(comparison, SHARERS)
    assert len(scatter.data) == 2  # points and the fitted line
    grid = compare_charts.lead_multiples(comparison)
    assert len(grid.data) == 2 * len(comparison.results)
    assert "leading by 3 weeks" in grid.layout.annotations[0].text


def test_too_short_data_gives_verdicts_not_errors(store):
    dataset = ingest_file(store, fixture("metrics_tiny.csv"))
    result = compare(store, dataset, "Revenue")
    kinds = set(result.ranking["kind"])
    assert kinds <= {"too_short", "part_of_outcome"} and "too_short" in kinds
    assert any(v.startswith("not enough data") for v in result.ranking["verdict"])
    for metric in result.ranking["metric"]:
        compare_charts.lead_lines(result, metric)
        compare_charts.cross_correlation(result, metric)
        compare_charts.changes_scatter(result, metric)
        assert {"period", metric, "Revenue"} <= set(chart_data(result, metric).columns)
    compare_charts.lead_multiples(result)


def test_no_complete_period_is_an_error_that_says_so(store, tmp_path):
    export = tmp_path / "three_days.csv"
    export.write_text("user_id,timestamp,event,amount\na,2024-01-01 09:00:00,signup,\n"
                      "a,2024-01-02 10:00:00,payment,10\nb,2024-01-03 10:00:00,payment,5\n")
    dataset = ingest_file(store, export)
    with pytest.raises(NorthstarError, match="No complete week in the data yet"):
        compare(store, dataset, "Revenue")
    assert compare(store, dataset, "Revenue", grain="day").ranking["kind"].isin(
        ["too_short", "part_of_outcome"]).all()


def test_day_grain_takes_the_demo_weekday_cycle_out_and_says_so(demo):
    from northstar.analysis.compare import season_note

    store, dataset = demo
    comparison = compare(store, dataset, "Revenue", grain="day", max_lag=28)
    adjusted = [r for r in comparison.results if r.deseasonalised]
    assert adjusted and {r.season for r in adjusted} == {"weekday"}
    note = season_note(comparison)
    assert note is not None and note.startswith("A weekday cycle was taken out of ")
    assert "is not mistaken for a lead" in note
    assert season_note(compare(store, dataset, "Revenue", grain="week")) is None
