"""One definition, two engines: every metric kind gives the same values on DuckDB and Spark local.

The Spark tests are marked `spark`; they are skipped, saying what to install, where pyspark or Java
is missing (`make test` installs both). Run only them with `pytest -m spark`, none with
`pytest -m "not spark"`.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from northstar.errors import NorthstarError
from northstar.ingest import attach_parquet, ingest_file
from northstar.metrics import compute, engine_for, load_yaml, spark_available
from northstar.metrics.engines import to_spark
from northstar.store.core import Store
from tests.conftest import ROOT
from tests.test_attach import write_lake

MISSING = spark_available()
needs_spark = pytest.mark.skipif(MISSING is not None, reason=f"Spark parity not run: {MISSING}")

# Every kind, with filters, in the YAML people write; it runs unchanged on both engines.
CANDIDATES = """
candidates:
  - {name: Active users, kind: active_users}
  - {name: Report sharers, kind: active_users, events: [report_shared]}
  - {name: Returning users, kind: returning_users}
  - {name: Retention, kind: retention, role: outcome}
  - {name: Transactions, kind: transactions, events: [purchase, subscription_payment]}
  - {name: Revenue, kind: revenue, events: [purchase, subscription_payment], role: outcome}
  - {name: MRR, kind: mrr, events: [subscription_payment], role: outcome}
  - {name: LTV 30 days, kind: ltv, events: [purchase, subscription_payment], window_days: 30}
  - {name: Time per user, kind: engagement, events: [session], measure: duration, per: user}
  - {name: Events, kind: engagement, measure: events, per: total}
  - {name: NPS, kind: nps, events: [nps_response]}
  - {name: Pro revenue, kind: custom, expression: "sum(amount) FILTER (WHERE plan = 'pro')"}
"""


@pytest.fixture(scope="module")
def lake_store(tmp_path_factory):
    """The demo's first four months as a hive tree by day, attached; the same rows ingested."""
    root = tmp_path_factory.mktemp("engines")
    lake = root / "lake"
    write_lake(lake, "CAST(timestamp AS TIMESTAMP) < TIMESTAMP '2025-05-01'")
    store = Store(root / "store")
    attached = attach_parquet(store, lake, "lake")
    yield store, attached
    store.close()


def test_engine_choice_defaults_to_duckdb_and_rejects_unknown_ones(lake_store, monkeypatch):
    _, attached = lake_store
    monkeypatch.delenv("NORTHSTAR_ENGINE", raising=False)
    assert engine_for(attached) == "duckdb"
    assert engine_for(attached, "spark") == "spark"
    monkeypatch.setenv("NORTHSTAR_ENGINE", "spark")
    assert engine_for(attached) == "spark"
    with pytest.raises(NorthstarError, match="Unknown engine"):
        engine_for(attached, "presto")
    monkeypatch.delenv("NORTHSTAR_ENGINE")
    store, _ = lake_store
    on_spark = attach_parquet(store, attached.source, "lake-on-spark", engine="spark")
    assert engine_for(on_spark) == "spark" and engine_for(on_spark, "duckdb") == "duckdb"


def test_one_statement_rendered_for_spark_has_no_duckdb_only_parts(lake_store):
    from northstar.metrics import compile_metrics

    store, attached = lake_store
    specs = load_yaml(CANDIDATES)
    query = compile_metrics(attached, [s for s in specs if s.kind != "custom"], "month")
    alias = attached.events_table.split(".")[0].strip('"')
    rendered = to_spark(query.sql, query.params, {(alias, "events"): "x_events",
                                                  (alias, "users"): "x_users"})
    for duckdb_only in ("MATERIALIZED", "$p", "TO_MONTHS", "GENERATE_SERIES", alias):
        assert duckdb_only not in rendered, duckdb_only
    assert "EXPLODE(SEQUENCE(" in rendered and "MAKE_INTERVAL(0, " in rendered
    assert "x_events" in rendered and "x_users" in rendered


def test_spark_on_an_ingested_dataset_says_to_attach(tmp_path):
    if MISSING:
        pytest.skip(MISSING)
    store = Store(tmp_path / "s")
    single = tmp_path / "tiny.csv"
    single.write_text("user_id,timestamp,event\nu1,2025-01-01 10:00:00,a\nu2,2025-01-02 11:00:00,a\n")
    dataset = ingest_file(store, single, "tiny")
    with pytest.raises(NorthstarError, match="Spark runs on attached lakes"):
        compute(store, dataset, load_yaml(CANDIDATES)[:1], "week", engine="spark")
    store.close()


def test_without_spark_the_cli_says_what_to_install(tmp_path, lake_store):
    """With pyspark hidden, --engine spark is one line naming what to install; DuckDB still works."""
    store, attached = lake_store
    hide = ("import sys; sys.modules['pyspark'] = None; from northstar.cli import main; "
            "raise SystemExit(main(sys.argv[1:]))")
    args = ["metrics", "--db", str(store.path), "--dataset", "lake", "--grain", "month"]
    result = subprocess.run([sys.executable, "-c", hide, *args, "--engine", "spark"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("northstar: Spark is not available") and "pyspark" in result.stderr
    assert result.stderr.count("\n") == 1
    plain = subprocess.run([sys.executable, "-c", hide, *args], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.startswith("period,metric,value")


@pytest.mark.spark
@needs_spark
@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_every_kind_is_identical_on_duckdb_and_spark(lake_store, grain):
    store, attached = lake_store
    specs = load_yaml(CANDIDATES)
    on_duckdb = compute(store, attached, specs, grain, engine="duckdb")
    on_spark = compute(store, attached, specs, grain, engine="spark")
    assert len(on_duckdb) == len(on_spark) > 0
    assert set(on_duckdb["metric"]) == {s.name for s in specs}
    pd.testing.assert_frame_equal(on_duckdb, on_spark, check_exact=False, rtol=1e-9, atol=1e-9)
