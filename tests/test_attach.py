"""A Parquet lake attached in place: no rows copied, the same numbers as an ingest, pruning, refresh."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from northstar.errors import NorthstarError
from northstar.ingest import attach_parquet, ingest_file, refresh_lake
from northstar.ingest.load import DEMO_CSV
from northstar.metrics import MetricSpec, compute, default_candidates
from northstar.store.core import Store
from tests.conftest import ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "northstar", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def write_lake(folder: Path, where: str = "true") -> None:
    """The demo events as a hive tree partitioned by day (`date=2025-01-06/….parquet`), typed."""
    duckdb.sql(f"""
        COPY (
            SELECT user_id, CAST(timestamp AS TIMESTAMP) AS timestamp, event,
                   try_cast(amount AS DOUBLE) AS amount, try_cast(duration_s AS DOUBLE) AS duration_s,
                   try_cast(nps_score AS INTEGER) AS nps_score, plan, platform, country,
                   CAST(CAST(timestamp AS TIMESTAMP) AS DATE) AS date
            FROM read_csv('{DEMO_CSV}', all_varchar = true) WHERE {where}
        ) TO '{folder}' (FORMAT parquet, PARTITION_BY (date))""")


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lake") / "events"
    write_lake(folder)
    return folder


@pytest.fixture(scope="module")
def both(lake, tmp_path_factory):
    """One store holding the lake attached and the same rows ingested from one Parquet file."""
    root = tmp_path_factory.mktemp("both")
    single = root / "all.parquet"
    duckdb.sql(f"COPY (SELECT * EXCLUDE (date) FROM read_parquet('{lake}/**/*.parquet', "
               f"hive_partitioning = true)) TO '{single}' (FORMAT parquet)")
    store = Store(root / "store")
    attached = attach_parquet(store, lake, "lake")
    ingested = ingest_file(store, single, "ingested")
    yield store, attached, ingested
    store.close()


def test_attach_registers_the_files_without_copying_rows(both, lake):
    store, attached, ingested = both
    assert (attached.rows, attached.users) == (ingested.rows, ingested.users) == (120_838, 2_000)
    assert (attached.first_ts, attached.last_ts) == (ingested.first_ts, ingested.last_ts)
    assert attached.lake["files"] == len(list(lake.glob("date=*/*.parquet"))) == 546
    assert attached.lake["partition"] == "date" and attached.date_partitioned
    events_dir = store.path / "events"
    with duckdb.connect(str(events_dir / attached.file), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        views = {r[0] for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert tables == {"users", "northstar_meta"}  # one row per user; no event is stored
    assert {"events", "event_log", "lake_rows"} <= views


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_every_default_candidate_equals_the_same_files_ingested(both, grain):
    store, attached, ingested = both
    specs = default_candidates(store, attached)
    assert [s.name for s in specs] == [s.name for s in default_candidates(store, ingested)]
    assert {s.kind for s in specs} >= {"active_users", "returning_users", "engagement",
                                       "transactions", "ltv", "nps", "revenue", "mrr", "retention"}
    pd.testing.assert_frame_equal(compute(store, attached, specs, grain),
                                  compute(store, ingested, specs, grain))


def test_custom_metric_and_property_filter_equal_the_ingest(both):
    store, attached, ingested = both
    specs = [MetricSpec("Pro buyers", "custom",
                        expression="count(DISTINCT user_id) FILTER (WHERE plan = 'pro' AND amount > 0)"),
             MetricSpec("Web users", "custom",
                        expression="count(DISTINCT user_id) FILTER (WHERE platform = 'web')")]
    pd.testing.assert_frame_equal(compute(store, attached, specs, "week"),
                                  compute(store, ingested, specs, "week"))


def test_a_query_reads_only_the_columns_it_needs(both):
    store, attached, _ = both
    with store.events(attached) as cur:
        plan = "\n".join(str(r[1]) for r in cur.execute(
            f"EXPLAIN SELECT date_trunc('week', ts), count(*) FROM {attached.events_table} "
            "GROUP BY 1").fetchall())
    scan = plan[plan.index("READ_PARQUET"):]
    assert "timestamp" in scan
    for unused in ("country", "platform", "duration_s", "nps_score", "amount"):
        assert unused not in scan, unused


def test_a_date_range_opens_only_the_partitions_inside_it(tmp_path):
    lake = tmp_path / "lake"
    write_lake(lake)
    store = Store(tmp_path / "store")
    attached = attach_parquet(store, lake, "lake")
    specs = default_candidates(store, attached)
    before = compute(store, attached, specs, "week", since=date(2025, 6, 2), until=date(2025, 8, 31))
    # Break every file outside the range but the first (whose footer gives the columns): had the
    # query opened one, it would fail.
    for path in sorted(lake.glob("date=*/*.parquet"))[1:]:
        day = date.fromisoformat(path.parent.name.removeprefix("date="))
        if not date(2025, 6, 2) <= day <= date(2025, 8, 31):
            path.write_bytes(b"not parquet any more")
    after = compute(store, attached, [s for s in specs if s.kind != "mrr"], "week",
                    since=date(2025, 6, 2), until=date(2025, 8, 31))
    pd.testing.assert_frame_equal(after.reset_index(drop=True),
                                  before[before["metric"] != "MRR"].reset_index(drop=True))
    assert list(after["period"].drop_duplicates()) == list(pd.date_range("2025-06-02", "2025-08-25",
                                                                         freq="7D"))
    with pytest.raises(NorthstarError, match="Metric query failed"):
        compute(store, attached, specs, "week")  # the whole span needs the broken files
    store.close()


def test_a_date_range_gives_the_same_values_as_the_whole_span_inside_it(both):
    store, attached, ingested = both
    specs = [s for s in default_candidates(store, attached)
             if s.kind in ("active_users", "transactions", "revenue", "nps", "engagement", "mrr")]
    whole = compute(store, ingested, specs, "week")
    ranged = compute(store, attached, specs, "week", since=date(2025, 3, 3), until=date(2025, 9, 28))
    inside = whole[(whole["period"] >= "2025-03-03") & (whole["period"] <= "2025-09-22")]
    pd.testing.assert_frame_equal(ranged.reset_index(drop=True), inside.reset_index(drop=True))


def test_files_that_land_later_are_picked_up_on_refresh(tmp_path):
    lake = tmp_path / "lake"
    write_lake(lake, "CAST(timestamp AS TIMESTAMP) < TIMESTAMP '2026-01-01'")
    store = Store(tmp_path / "store")
    first = attach_parquet(store, lake, "lake")
    assert first.last_ts < pd.Timestamp("2026-01-01")
    landed = tmp_path / "landed"
    write_lake(landed, "CAST(timestamp AS TIMESTAMP) >= TIMESTAMP '2026-01-01'")
    for path in landed.glob("date=*/*.parquet"):
        target = lake / path.parent.name
        target.mkdir(exist_ok=True)
        path.rename(target / "late.parquet")
    unchanged = store.dataset("lake")
    assert unchanged.rows == first.rows  # the file list is fixed until a refresh
    refreshed = refresh_lake(store, "lake")
    assert refreshed.rows == 120_838 and refreshed.users == 2_000
    assert refreshed.fingerprint != first.fingerprint
    assert refreshed.last_ts > pd.Timestamp("2026-07-01")
    frame = compute(store, refreshed, [MetricSpec("Active users", "active_users")], "month")
    assert frame["period"].max() == pd.Timestamp("2026-07-01")
    store.close()


def test_cli_attach_prints_the_dataset_and_metrics_run_on_it(tmp_path, lake):
    db = tmp_path / "s"
    result = run("attach", str(lake), "--db", str(db), "--dataset", "lake")
    assert result.returncode == 0, result.stderr
    assert "Attached lake: 120,838 rows, 2,000 users" in result.stdout
    assert "no rows copied" in result.stdout
    metrics = run("metrics", "--db", str(db), "--dataset", "lake", "--grain", "month")
    assert metrics.returncode == 0, metrics.stderr
    assert metrics.stdout.startswith("period,metric,value")


def test_cli_attach_of_a_glob_with_a_mapping(tmp_path, lake):
    db = tmp_path / "s"
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    duckdb.sql(f"COPY (SELECT user_id AS who, timestamp AS happened, event FROM "
               f"read_parquet('{lake}/date=2025-0[12]-*/*.parquet')) TO '{renamed}/part-1.parquet' "
               "(FORMAT parquet)")
    result = run("attach", f"{renamed}/*.parquet", "--db", str(db), "--dataset", "renamed",
                 "--map", "user_id=who", "--map", "timestamp=happened")
    assert result.returncode == 0, result.stderr
    with Store(db) as store:
        dataset = store.dataset("renamed")
        assert dataset.mapping["roles"]["user_id"] == "who" and not dataset.date_partitioned


def _bad(tmp_path: Path, *args: str) -> str:
    db = tmp_path / "s"
    result = run("attach", *args, "--db", str(db), "--dataset", "bad")
    assert result.returncode == 2
    assert result.stderr.startswith("northstar: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    with Store(db) as store:
        assert store.datasets() == []
        assert not [p for p in (db / "events").iterdir()]  # nothing stored, no file left behind
    return result.stderr


def test_cli_attach_of_a_folder_without_parquet_is_one_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.csv").write_text("a,b\n1,2\n")
    assert "No Parquet files" in _bad(tmp_path, str(empty))
    assert "does not exist" in _bad(tmp_path, str(tmp_path / "nowhere"))


def test_cli_attach_with_a_missing_mapped_column_is_one_line(tmp_path, lake):
    assert "No column 'nope' for user_id" in _bad(tmp_path, str(lake), "--map", "user_id=nope")


def test_cli_attach_of_a_file_that_is_not_parquet_is_one_line(tmp_path):
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "events.parquet").write_text("user_id,timestamp\nu1,2025-01-01\n")
    assert "Could not read the files as Parquet" in _bad(tmp_path, str(fake))


def test_refresh_of_an_ingested_dataset_says_so(both):
    store, _, _ = both
    with pytest.raises(NorthstarError, match="was not attached"):
        refresh_lake(store, "ingested")


def test_data_page_attaches_a_folder_and_refreshes_it(tmp_path, monkeypatch, lake):
    from streamlit.testing.v1 import AppTest

    from northstar.store.core import DB_ENV

    db = tmp_path / "app"
    monkeypatch.setenv(DB_ENV, str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run().switch_page("pages/1_Data.py").run()
    assert not at.exception
    at.text_input(key="attach_path").input(str(lake))
    at.text_input(key="attach_name").input("lake").run()
    at.button(key="attach_go").click().run()
    assert not at.exception, at.exception
    assert any("Attached lake: 120,838 events" in m.value for m in at.success), \
        [m.value for m in at.success]
    assert at.button(key="attach_refresh").label == "Refresh lake from its folder"
    at.text_input(key="attach_path").input(str(tmp_path / "nowhere")).run()
    at.button(key="attach_go").click().run()
    assert any("does not exist" in e.value for e in at.error)
    with Store(db) as store:
        assert [d.name for d in store.datasets()] == ["lake"]
