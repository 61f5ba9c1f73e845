"""`python -m northstar metrics`: output equals independent, hand-written DuckDB queries."""

from __future__ import annotations

import io
import json
import math

import pandas as pd
import pytest

from northstar.ingest.load import load_demo
from northstar.store.core import Store
from tests.test_cli import run

ALL_KINDS_YAML = """
candidates:
  - {name: Sharers, kind: active_users, events: [report_shared]}
  - {name: Payments, kind: transactions, events: [subscription_payment]}
  - {name: Revenue, kind: revenue, events: [subscription_payment, purchase], role: outcome}
  - {name: NPS, kind: nps}
  - {name: Returning, kind: returning_users}
  - {name: Session time, kind: engagement, events: [session], measure: duration, per: user}
  - {name: MRR, kind: mrr, events: [subscription_payment], role: outcome}
  - {name: LTV, kind: ltv, events: [subscription_payment, purchase], window_days: 90}
  - {name: Retention, kind: retention}
  - {name: Upgraders, kind: custom, expression: "count(DISTINCT user_id) FILTER (WHERE event = 'upgrade')"}
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
    # Each subscription runs from its payment until the next one, or a month and 7 days later;
    # MRR is what is running at each week's end (written as a range join, unlike the compiler).
    "MRR": """WITH pay AS (
                  SELECT ts, amount, least(lead(ts) OVER (PARTITION BY user_id ORDER BY ts),
                                          ts + INTERVAL 1 MONTH + INTERVAL 7 DAY) AS until
                  FROM {view} WHERE event = 'subscription_payment'),
              weeks AS (SELECT DISTINCT date_trunc('week', ts) AS period FROM {view})
              SELECT w.period, sum(p.amount) FROM weeks w JOIN pay p
              ON p.ts < w.period + INTERVAL 7 DAY AND p.until >= w.period + INTERVAL 7 DAY
              GROUP BY 1""",
    # Cohorts by first week; revenue in each customer's first 90 days; complete cohorts only.
    "LTV": """WITH firsts AS (SELECT user_id, min(ts) AS first FROM {view} GROUP BY 1),
              spend AS (SELECT f.user_id, sum(e.amount) AS revenue FROM firsts f JOIN {view} e
                        USING (user_id) WHERE e.event IN ('subscription_payment', 'purchase')
                        AND e.ts < f.first + INTERVAL 90 DAY GROUP BY 1)
              SELECT date_trunc('week', f.first) AS period, avg(coalesce(s.revenue, 0))
              FROM firsts f LEFT JOIN spend s USING (user_id)
              WHERE date_trunc('week', f.first) + INTERVAL 7 DAY + INTERVAL 90 DAY
                    <= (SELECT max(ts) FROM {view})
              GROUP BY 1""",
    "Retention": """WITH a AS (SELECT DISTINCT user_id, date_trunc('week', ts) AS period FROM {view})
                    SELECT a.period, count(b.user_id) / count(*) FROM a LEFT JOIN a b
                    ON b.user_id = a.user_id AND b.period = a.period + INTERVAL 7 DAY
                    WHERE a.period < (SELECT max(period) FROM a) GROUP BY 1""",
    "Upgraders": "SELECT date_trunc('week', ts) AS period, count(DISTINCT user_id) FROM {view} "
                 "WHERE event = 'upgrade' GROUP BY 1",
}
# Where nothing happened these are unknown (NaN), not zero.
UNKNOWN_WHEN_ABSENT = ("NPS", "LTV", "Retention")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo"
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
    with store.events(dataset) as cur:
        for metric, sql in HAND_WRITTEN.items():
            cur.execute(sql.format(view=dataset.events_view))
            expected = {str(p.date()): v for p, v in cur.fetchall()}
            got = printed[printed["metric"] == metric].set_index("period")["value"]
            assert len(got) == 78  # every ISO week of the demo, none skipped
            for period, value in got.items():
                if metric in UNKNOWN_WHEN_ABSENT and period not in expected:
                    assert math.isnan(value), (metric, period)
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
    ("", "No candidates in"),
    ("candidates: []", "No candidates in"),
])
def test_metrics_cli_bad_candidates_exit_2(demo_db, tmp_path, yaml_text, message):
    candidates = tmp_path / "bad.yaml"
    candidates.write_text(yaml_text)
    result = run("metrics", "--db", str(demo_db), "--candidates", str(candidates))
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
