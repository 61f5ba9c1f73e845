"""Stored activity: the per-(period, user) rows written with an ingested file give exactly the numbers
of grouping the events themselves, for every kind, grain and date range, and for user-level lift."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from northstar.ingest import ingest_file
from northstar.metrics import compile_metrics, compute, load_yaml
from northstar.metrics.lift_counts import Behaviour, cells, lift_sql
from northstar.metrics.specs import MetricSpec
from northstar.store import Activity
from northstar.store.core import Store
from northstar.store.events import ACTIVITY_MAX_EVENTS
from tests.conftest import ROOT
from tests.test_engines import CANDIDATES

RETENTION_OF_SHARERS = MetricSpec("Sharers retained", "retention", events=("report_shared",), role="outcome")
BEHAVIOURS = [Behaviour("Sharers", ("report_shared",), 1), Behaviour("Exporters", ("export_csv",), 3),
              Behaviour("Buyers", ("purchase", "upgrade"), 2), Behaviour("Ghosts", ("no_such_event",), 1)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("activity") / "store")
    dataset = ingest_file(store, ROOT / "data" / "demo_events.csv", dataset="demo")
    yield store, dataset
    store.close()


def _specs() -> list[MetricSpec]:
    return [*load_yaml(CANDIDATES), RETENTION_OF_SHARERS,
            MetricSpec("Nobody", "active_users", events=("no_such_event",)),
            MetricSpec("Returning buyers", "returning_users", events=("purchase",))]


def test_an_ingested_file_has_activity_for_every_grain(demo):
    store, dataset = demo
    activity = store.activity(dataset)
    assert activity is not None and "report_shared" in activity.events and activity.words == 1
    with store.events(dataset) as cur:
        # The busiest user-week with a past: what its stored row says equals its events.
        weeks = dataset.activity_table("week")
        user, period = cur.execute(f"SELECT user_key, period FROM {weeks} WHERE earlier_events > 0 "
                                   "ORDER BY events DESC, user_key LIMIT 1").fetchone()
        stored = cur.execute(f"SELECT events, paid, earlier_events FROM {weeks} "
                             "WHERE user_key = ? AND period = ?", [user, period]).fetchone()
        counted = cur.execute(f"""
            SELECT count(*) FILTER (WHERE date_trunc('week', ts) = $2),
                   coalesce(bool_or(amount > 0) FILTER (WHERE date_trunc('week', ts) = $2), false),
                   count(*) FILTER (WHERE ts < $2)
            FROM {dataset.events_table} WHERE user_key = $1""", [user, period]).fetchone()
        assert stored == counted and stored[0] > 1
        for grain in ("day", "week", "month"):
            groups = cur.execute(f"SELECT count(*) FROM (SELECT DISTINCT date_trunc('{grain}', ts), user_key "
                                 f"FROM {dataset.events_table} WHERE user_key IS NOT NULL)").fetchone()
            table = dataset.activity_table(grain)
            rows = cur.execute(f"SELECT count(*), sum(events) FROM {table}").fetchone()
            known = cur.execute(f"SELECT count(*) FROM {dataset.events_table} "
                                "WHERE user_key IS NOT NULL").fetchone()
            assert rows == (groups[0], known[0])


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_every_kind_is_identical_from_stored_activity_and_from_the_events(demo, grain):
    store, dataset = demo
    specs = _specs()
    stored = compute(store, dataset, specs, grain)
    grouped = compute(store, dataset, specs, grain, stored=False)
    pd.testing.assert_frame_equal(stored, grouped)
    assert stored.loc[stored["metric"] == "Nobody", "value"].eq(0).all()
    assert stored.loc[stored["metric"] == "Report sharers", "value"].sum() > 0


@pytest.mark.parametrize(("grain", "since", "until"), [
    ("week", date(2025, 3, 3), date(2025, 5, 25)),    # whole weeks: read from stored activity
    ("week", date(2025, 3, 5), date(2025, 5, 21)),    # cuts weeks in two: read from the events
    ("month", date(2025, 3, 1), date(2025, 5, 31)),
    ("day", date(2025, 3, 5), date(2025, 3, 20)),
])
def test_a_date_range_is_identical_both_ways(demo, grain, since, until):
    store, dataset = demo
    specs = _specs()
    pd.testing.assert_frame_equal(compute(store, dataset, specs, grain, since, until),
                                  compute(store, dataset, specs, grain, since, until, stored=False))


def test_a_range_that_cuts_periods_reads_the_events(demo):
    store, dataset = demo
    activity = store.activity(dataset)
    spec = [MetricSpec("Active users", "active_users")]
    whole = compile_metrics(dataset, spec, "week", date(2025, 3, 3), date(2025, 5, 25), activity)
    cut = compile_metrics(dataset, spec, "week", date(2025, 3, 5), date(2025, 5, 25), activity)
    assert "activity_week" in whole.sql and "activity_week" not in cut.sql


@pytest.mark.parametrize("grain", ["day", "week", "month"])
@pytest.mark.parametrize("outcome", [
    MetricSpec("Revenue", "revenue", events=("purchase", "subscription_payment"), role="outcome"),
    MetricSpec("Money", "revenue", role="outcome"),
    MetricSpec("Retention", "retention", role="outcome"),
])
def test_user_lift_counts_are_identical_both_ways(demo, grain, outcome):
    store, dataset = demo
    activity = store.activity(dataset)
    with store.events(dataset) as cur:
        found = {source: cells(cur.execute(lift_sql(dataset, BEHAVIOURS, outcome, grain, source)).fetchall(),
                               BEHAVIOURS)
                 for source in (activity, None)}
    assert found[activity] == found[None]
    assert sum(c.did_reached for c in found[activity]["Sharers"]) > 0
    assert all(c.did_reached == c.did_not_reached == 0 for c in found[activity]["Ghosts"])


def test_masks_name_the_events_by_their_codes():
    many = Activity(tuple(f"e{i:03d}" for i in range(130)))
    assert many.words == 3
    assert many.did(()) == "true" and many.did(("nope",)) == "false"
    assert many.did(("e001", "e003")) == "a.mask_0 & 10::UBIGINT <> 0"
    assert many.did(("e064", "e129"), "x") == "(x.mask_1 & 1::UBIGINT <> 0 OR x.mask_2 & 2::UBIGINT <> 0)"


def _wide(tmp_path, kinds: int):
    """Four weeks, three users, `kinds` event types (each user does some of them)."""
    rows = ["user_id,timestamp,event,amount"]
    for i in range(kinds):
        user, day = f"u{i % 3}", 1 + (i * 7) % 28
        rows.append(f"{user},2024-01-{day:02d} 10:00:00,ev{i:03d},{'5' if i % 11 == 0 else ''}")
    path = tmp_path / f"wide{kinds}.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_more_than_64_event_types_use_several_mask_words(store, tmp_path):
    dataset = ingest_file(store, _wide(tmp_path, 150), dataset="wide")
    activity = store.activity(dataset)
    assert activity is not None and activity.words == 3
    specs = [MetricSpec("Late events", "active_users", events=("ev070", "ev140", "ev149")),
             MetricSpec("Early", "active_users", events=("ev001",)),
             MetricSpec("Returning late", "returning_users", events=("ev100", "ev130")),
             MetricSpec("Kept", "retention", events=("ev065", "ev066", "ev067"), role="outcome")]
    for grain in ("week", "month"):
        stored = compute(store, dataset, specs, grain)
        pd.testing.assert_frame_equal(stored, compute(store, dataset, specs, grain, stored=False))
    # By hand (event i is user i % 3's, on day 1 + 7i % 28): ev070 is u1 on the 15th, ev140 u2 on the
    # 1st, ev149 u2 on the 8th: one user in each of the weeks of 2024-01-01, -08 and -15.
    weekly = compute(store, dataset, specs[:1], "week").set_index("period")["value"]
    assert weekly.to_dict() == {pd.Timestamp("2024-01-01"): 1, pd.Timestamp("2024-01-08"): 1,
                                pd.Timestamp("2024-01-15"): 1, pd.Timestamp("2024-01-22"): 0}


def test_too_many_event_types_have_no_activity_and_still_compute(store, tmp_path):
    dataset = ingest_file(store, _wide(tmp_path, ACTIVITY_MAX_EVENTS + 1), dataset="wider")
    assert store.activity(dataset) is None
    values = compute(store, dataset, [MetricSpec("Active users", "active_users")], "month")
    assert values["value"].tolist() == [3.0]


def test_a_file_written_before_activity_is_read_from_its_events(store, tmp_path):
    dataset = ingest_file(store, _wide(tmp_path, 10), dataset="old")
    # A file from before this layout has no activity tables and no 'activity' key in its meta.
    path = store.path / "events" / dataset.file
    store.close()
    with duckdb.connect(str(path)) as con:
        con.execute("DELETE FROM northstar_meta WHERE key = 'activity'")
        for grain in ("day", "week", "month"):
            con.execute(f"DROP TABLE activity_{grain}")
    reopened = Store(store.path)
    try:
        old = reopened.dataset("old")
        assert reopened.activity(old) is None
        values = compute(reopened, old, [MetricSpec("Active users", "active_users")], "month")
        assert values["value"].tolist() == [3.0]
    finally:
        reopened.close()
