"""`python -m northstar metrics`: output equals independent, hand-written DuckDB queries."""

from __future__ import annotations

import io
import json
import math

import pandas as pd
import pytest

from northstar.ingest import load_demo
from northstar.store import Store
from tests.test_cli import run

ALL_KINDS_YAML = """
candidates:
  - {name: Sharers, kind: active_users, events: [report_shared]}
  - {name: Payments, kind: transactions, events: [subscription_payment]}
  - {name: Revenue, kind: revenue, events: [subscription_payment, purchase], role: outcome}
  - {name: NPS, kind: nps}
  - {name: Returning, kind: returning_users}
  - {name: Session time, kind: engagement, events: [session], measure: duration, per: user}
"""

# Each written from the logical event table alone, without the compiler's tricks (keys, FILTER).
HAND_WRITTEN = {
    "Sharers": "SELECT date_trunc('week', ts) AS period, count(DISTINCT user_id) AS value "
               "FROM {view} WHERE event = 'report_shared' GROUP BY 1",
    "Payments": "SELECT date_trunc('week', ts) AS period, count(*) AS value "
                "FROM {view} WHERE event = 'subscription_payment' GROUP BY 1",
    "Revenue": "SELECT date_trunc('week', ts) AS period, sum(amount) AS value FROM {view} "
               "WHERE event IN ('subscription_payment', 'purchase') GROUP BY 1",
    "NPS": "SELECT date_trunc('week', ts) AS period, 100.0 * (sum(CASE WHEN nps_score >= 9 THEN 1 "
           "ELSE 0 END) - sum(CASE WHEN nps_score <= 6 THEN 1 ELSE 0 END)) / count(*) AS value "
           "FROM {view} WHERE nps_score IS NOT NULL GROUP BY 1",
    "Returning": "SELECT date_trunc('week', e.ts) AS period, count(DISTINCT e.user_id) AS value "
                 "FROM {view} e JOIN (SELECT user_id, min(ts) AS first FROM {view} GROUP BY 1) f "
                 "USING (user_id) WHERE f.first < date_trunc('week', e.ts) GROUP BY 1",
    "Session time": "SELECT date_trunc('week', ts) AS period, sum(duration_s) / "
                    "count(DISTINCT user_id) AS value FROM {view} WHERE event = 'session' GROUP BY 1",
}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    store = Store(db)
    load_demo(store)
    store.close()
    return db


def test_metrics_cli_matches_hand_written_queries(demo_db, tmp_path):
    candidates = tmp_path / "candidates.yaml"
    candidates.write_text(ALL_KINDS_YAML)
    result = run("metrics", "--db", str(demo_db), "--candidates", str(candidates))
    assert result.returncode == 0, result.stderr
    printed = pd.read_csv(io.StringIO(result.stdout))
    assert list(printed.columns) == ["period", "metric", "value"]
    store = Store(demo_db)
    dataset = store.dataset("demo")
    with store.cursor() as cur:
        for metric, sql in HAND_WRITTEN.items():
            cur.execute(sql.format(view=dataset.events_view))
            expected = {str(p.date()): v for p, v in cur.fetchall()}
            got = printed[printed["metric"] == metric].set_index("period")["value"]
            assert len(got) == 78  # every ISO week of the demo, none skipped
            for period, value in got.items():
                if metric == "NPS" and period not in expected:  # no answers: unknown, not zero
                    assert math.isnan(value), period
                    continue
                assert value == pytest.approx(expected.get(period, 0.0), rel=1e-9), (metric, period)
    store.close()


def test_metrics_cli_json_and_saved_defaults(demo_db):
    result = run("metrics", "--db", str(demo_db), "--grain", "month", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    metrics = list(dict.fromkeys(r["metric"] for r in rows))
    assert metrics[:2] == ["Active users", "Returning users"]
    assert {"Revenue", "MRR", "NPS", "Churned users", "Time spent per active user"} <= set(metrics)
    active = [r for r in rows if r["metric"] == "Active users"]
    assert [r["period"] for r in active[:2]] == ["2025-01-01", "2025-02-01"]
    assert len(active) == 19  # Jan 2025 .. Jul 2026


@pytest.mark.parametrize("yaml_text, message", [
    ("candidates: [{name: X, kind: nope}]", "kind 'nope' is not one of"),
    ("candidates: [{name: X, kind: custom, expression: \"sum(amount); DROP TABLE datasets\"}]",
     "Expression not allowed"),
    ("candidates: [{kind: revenue}]", "needs a name"),
    ("candidates: {", "Not valid YAML"),
])
def test_metrics_cli_bad_candidates_exit_2(demo_db, tmp_path, yaml_text, message):
    candidates = tmp_path / "bad.yaml"
    candidates.write_text(yaml_text)
    result = run("metrics", "--db", str(demo_db), "--candidates", str(candidates))
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
