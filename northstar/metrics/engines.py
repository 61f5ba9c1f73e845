"""Where a compiled metric query runs: DuckDB (embedded, the default) or Apache Spark.

There is one definition of every metric kind: the compiler's statement. For Spark it is parsed into
a sqlglot AST and rendered in Spark's dialect, with Spark's gaps filled by rewriting the tree (no
`MATERIALIZED` CTEs, no `to_months`, no subquery inside an aggregate's FILTER, parameters written
in as literals). Spark reads an attached lake's own Parquet files; the lake's views (the role
mapping) are rendered the same way, so both engines read the same rows the same way.
"""

from __future__ import annotations

import os
import shutil
import threading
from datetime import datetime
from typing import Any

import pandas as pd
import sqlglot
from sqlglot import exp

from northstar.errors import NorthstarError
from northstar.i18n import _
from northstar.store import Dataset, Store, quote_ident

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
ENGINE_ENV = "NORTHSTAR_ENGINE"
SPARK_MASTER_ENV = "NORTHSTAR_SPARK_MASTER"
DEFAULT_SPARK_MASTER = "local[2]"
PYSPARK_PIN = "pyspark==4.3.0"
# The lake file's views, in the order they depend on each other.
_LAKE_VIEWS = ("lake_rows", "users", "events", "event_log")

_lock = threading.Lock()
_sessions: dict[str, Any] = {}
_registered: dict[tuple[str, str], str] = {}  # (master, dataset file) → view prefix


def engine_for(dataset: Dataset, engine: str | None = None) -> str:
    """The engine asked for (a call, or NORTHSTAR_ENGINE for the process, which `--engine` sets),
    else the dataset's own setting (`attach --engine`), else DuckDB."""
    chosen = engine or os.environ.get(ENGINE_ENV) or dataset.lake.get("engine") or DEFAULT_ENGINE
    if chosen not in ENGINES:
        raise NorthstarError(_("Unknown engine"), _("{value} is not one of: {choices}.", value=repr(chosen),
                                                    choices=", ".join(ENGINES)))
    return chosen


def spark_available() -> str | None:
    """None when Spark can run here; otherwise what to install, in one sentence."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return _("Spark needs pyspark and Java 17: pip install {pin} (it is in requirements.txt), and Java "
                 "(apt-get install openjdk-17-jre-headless).", pin=PYSPARK_PIN)
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return _("Spark needs Java 17: apt-get install openjdk-17-jre-headless (or set JAVA_HOME), then run "
                 "again.")
    return None


def spark_session(master: str | None = None) -> Any:
    """One Spark session per master for this process (times in UTC, no UI)."""
    master = master or os.environ.get(SPARK_MASTER_ENV) or DEFAULT_SPARK_MASTER
    missing = spark_available()
    if missing:
        raise NorthstarError(_("Spark is not available"), missing)
    with _lock:
        if master not in _sessions:
            from pyspark.sql import SparkSession

            try:
                _sessions[master] = (
                    SparkSession.builder.master(master).appName("northstar")
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
                    .config("spark.ui.enabled", "false")
                    .config("spark.ui.showConsoleProgress", "false")
                    .config("spark.sql.shuffle.partitions", "8")
                    .config("spark.driver.memory", os.environ.get("NORTHSTAR_SPARK_MEMORY", "2g"))
                    .config("spark.sql.ansi.enabled", "false")
                    .getOrCreate())
            except Exception as err:  # py4j / JVM start-up failures carry no useful type
                raise NorthstarError(_("Spark did not start"),
                                     f"{master}: {str(err).splitlines()[0][:300]}") from None
            _sessions[master].sparkContext.setLogLevel("ERROR")
        return _sessions[master]


# -- rendering one statement for Spark ----------------------------------------------------------
def _literal(value: object) -> exp.Expr:
    if value is None:
        return exp.Null()
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def to_spark(sql: str, params: dict[str, object], tables: dict[tuple[str, str], str]) -> str:
    """The DuckDB statement `sql` rendered for Spark: parameters inlined, tables renamed."""
    tree = sqlglot.parse_one(sql, read="duckdb")

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder | exp.Parameter):
            name = node.name if isinstance(node, exp.Placeholder) else node.this.name
            if name in params:
                return _literal(params[name])
        if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
            node.set("materialized", None)
        if isinstance(node, exp.Table) and node.args.get("db"):
            renamed = tables.get((node.db, node.name))
            if renamed:
                return _renamed(node, renamed)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "to_months":
            return exp.func("make_interval", exp.Literal.number(0), node.expressions[0])
        return node

    tree = tree.transform(rewrite)
    return tree.sql(dialect="spark")


def _renamed(table: exp.Table, name: str) -> exp.Table:
    """The same table reference (alias, joins and all) to another, unqualified name."""
    table.set("this", exp.to_identifier(name))
    table.set("db", None)
    table.set("catalog", None)
    return table


def _lake_sources(rows_sql: str) -> tuple[list[str], bool, exp.Expr]:
    """The files of the lake's `lake_rows` view, whether they are hive-partitioned, and the view's
    tree with its `read_parquet(...)` replaced by a table called `lake_files`."""
    tree = sqlglot.parse_one(rows_sql, read="duckdb")
    if isinstance(tree, exp.Create):
        tree = tree.expression
    reader = next(tree.find_all(exp.ReadParquet))
    files: list[str] = []
    hive = False
    for arg in reader.expressions:
        arg = arg.unnest()
        if isinstance(arg, exp.EQ | exp.PropertyEQ | exp.Kwarg):
            if arg.this.name.lower() == "hive_partitioning":
                hive = arg.expression.sql().upper() in ("TRUE", "1")
        else:  # the list of files, however DuckDB spelled it
            files = [lit.this for lit in arg.find_all(exp.Literal) if lit.is_string]
    table = reader.parent
    assert isinstance(table, exp.Table)
    table.replace(exp.Table(this=exp.to_identifier("lake_files"), alias=table.args.get("alias")))
    return files, hive, tree


def _common_root(files: list[str]) -> str:
    root = os.path.commonpath(files) if len(files) > 1 else os.path.dirname(files[0])
    while "=" in os.path.basename(root):  # the hive tree's root, above every key=value folder
        root = os.path.dirname(root)
    return root


def _register(store: Store, dataset: Dataset, spark: Any, master: str) -> dict[tuple[str, str], str]:
    """Temp views in Spark for the dataset's lake views; the map of DuckDB names to Spark names."""
    alias = dataset.events_table.split(".")[0].strip('"')
    prefix = f"{alias}__"
    tables = {(alias, name): prefix + name for name in _LAKE_VIEWS}
    key = (master, dataset.file)
    if _registered.get(key) == prefix:
        return tables
    with store.events(dataset) as cur:
        cur.execute(f"SELECT view_name, sql FROM duckdb_views() WHERE database_name = '{alias}'")
        views = dict(cur.fetchall())
        cur.execute(f"SELECT user_key, user_id, first_ts FROM {quote_ident(alias)}.users")
        users = cur.df()
    files, hive, rows = _lake_sources(views["lake_rows"])
    reader = spark.read
    if hive:
        reader = reader.option("basePath", _common_root(files))
    # Read once, kept by Spark (memory, then disk): the statement scans the events several times.
    reader.parquet(*files).cache().createOrReplaceTempView(prefix + "lake_files")
    local = {(None, name): prefix + name for name in _LAKE_VIEWS}

    def rename(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and not node.args.get("db") and (None, node.name) in local:
            return _renamed(node, local[(None, node.name)])
        if isinstance(node, exp.Table) and node.name == "lake_files":
            return _renamed(node, prefix + "lake_files")
        return node

    spark.sql(f"CREATE OR REPLACE TEMP VIEW {prefix}lake_rows AS "
              + rows.transform(rename).sql(dialect="spark"))
    users["user_key"] = users["user_key"].astype("int64")
    frame = spark.createDataFrame(users if len(users) else pd.DataFrame(
        {"user_key": pd.Series(dtype="int64"), "user_id": pd.Series(dtype="str"),
         "first_ts": pd.Series(dtype="datetime64[us]")}))
    frame.createOrReplaceTempView(prefix + "users")
    for name in ("events", "event_log"):
        body = sqlglot.parse_one(views[name], read="duckdb").expression
        spark.sql(f"CREATE OR REPLACE TEMP VIEW {prefix}{name} AS "
                  + body.transform(rename).sql(dialect="spark"))
    _registered[key] = prefix
    return tables


def run_spark(store: Store, dataset: Dataset, sql: str, params: dict[str, object],
              master: str | None = None) -> pd.DataFrame:
    """Run one compiled statement on Spark; `period, metric, value` as from DuckDB."""
    if not dataset.lake:
        raise NorthstarError(
            _("Spark runs on attached lakes"),
            _("{dataset} was ingested into DuckDB storage. Attach its Parquet files with "
              "`northstar attach PATH --dataset NAME` to run it on Spark, or use --engine duckdb.",
              dataset=dataset.name))
    master = master or os.environ.get(SPARK_MASTER_ENV) or DEFAULT_SPARK_MASTER
    spark = spark_session(master)
    tables = _register(store, dataset, spark, master)
    rendered = to_spark(sql, params, tables)
    try:
        frame = spark.sql(rendered).toPandas()
    except Exception as err:  # Spark's AnalysisException etc. come through py4j
        raise NorthstarError(_("Metric query failed on Spark"), str(err).splitlines()[0][:300]) from None
    frame["period"] = pd.to_datetime(frame["period"]).astype("datetime64[us]")
    frame["value"] = frame["value"].astype("float64")
    return frame[["period", "metric", "value"]]
