"""Custom metric expressions: what gets in (and computes the right thing) and what never does.

A custom expression is pasted into the one metric statement, so it is the app's widest door into
the store. Every attack below must be refused — by `parse_custom` and again end to end by `compute`
— with a message that names the offending part, and must leave the store and the working directory
exactly as they were. The accepted forms are checked against a log worked out by hand:

  week 1 (Mon 1 Jan 2024): a signup, session 120 s, upgrade 30 (plan pro)
                           b signup, session 60 s · c upgrade 20 and upgrade 10 (plan pro)
  week 2 (Mon 8 Jan):      a session 300 s (pro) · b upgrade 50 (pro)
"""

from __future__ import annotations

import math

import pytest

from northstar.errors import NorthstarError
from northstar.ingest.load import ingest_file
from northstar.metrics.compiler import compile_metrics, compute
from northstar.metrics.custom import parse_custom
from northstar.metrics.specs import MetricSpec, spec_from_dict
from northstar.store.core import Store

LOG = """user_id,timestamp,event,amount,duration_s,plan
a,2024-01-01 09:00:00,signup,,,free
a,2024-01-01 09:10:00,session,,120,free
a,2024-01-03 10:00:00,upgrade,30,,pro
b,2024-01-02 11:00:00,signup,,,free
b,2024-01-02 11:05:00,session,,60,free
c,2024-01-04 12:00:00,upgrade,20,,pro
c,2024-01-05 12:00:00,upgrade,10,,pro
a,2024-01-08 09:00:00,session,,300,pro
b,2024-01-09 09:00:00,upgrade,50,,pro
"""
NAN = math.nan

# expression → (weekly values by hand, what the checked SQL must be)
ACCEPTED = {
    # upgraders {a, c}; {b}
    "count(DISTINCT user_id) FILTER (WHERE event = 'upgrade')": (
        [2, 1], "COUNT(DISTINCT user_id) FILTER(WHERE event = 'upgrade')"),
    # (30 + 20 + 10) / {a, b, c}; 50 / {a, b}
    "sum(amount) / nullif(count(DISTINCT user_id), 0)": (
        [20, 25], "SUM(amount) / NULLIF(COUNT(DISTINCT user_id), 0)"),
    # 7 events; 2 events
    "CASE WHEN count(*) > 2 THEN 1 ELSE 0 END": ([1, 0], "CASE WHEN COUNT(*) > 2 THEN 1 ELSE 0 END"),
    # (120 + 60) / 2; 300
    "avg(duration_s)": ([90, 300], "AVG(duration_s)"),
    # a property column, quoted: a's upgrade, c's two upgrades; a's session, b's upgrade
    "count(*) FILTER (WHERE \"plan\" = 'pro')": ([3, 2], "COUNT(*) FILTER(WHERE \"plan\" = 'pro')"),
    "count(*) FILTER (WHERE plan = 'pro' AND amount >= 20)": (
        [2, 1], "COUNT(*) FILTER(WHERE plan = 'pro' AND amount >= 20)"),
    # compares user ids, so it runs on its own on the real ids
    "count(*) FILTER (WHERE user_id = 'c')": ([2, 0], "COUNT(*) FILTER(WHERE user_id = 'c')"),
    # comments are dropped, not pasted: what they hide never reaches DuckDB
    "sum(amount) -- ; DROP TABLE datasets": ([60, 50], "SUM(amount)"),
    "sum(amount) /* ; DROP TABLE datasets */": ([60, 50], "SUM(amount)"),
    "sum(/* '; DROP TABLE datasets; -- */ amount)": ([60, 50], "SUM(amount)"),
    "sum(amount);": ([60, 50], "SUM(amount)"),  # one statement, a trailing ';' is harmless
    # SQL inside a text literal stays text
    "count(*) FILTER (WHERE event = '; DROP TABLE datasets; --')": (
        [0, 0], "COUNT(*) FILTER(WHERE event = '; DROP TABLE datasets; --')"),
}

# expression → the part the refusal must name (compared case-insensitively)
REJECTED = {
    # file and table functions
    "read_csv('/etc/passwd')": "read_csv('/etc/passwd')",
    "count(*) + read_csv('/etc/passwd')": "read_csv('/etc/passwd')",
    "read_parquet('data/*.parquet')": "read_parquet('data/*.parquet')",
    "sum(amount) FILTER (WHERE event IN (SELECT name FROM read_parquet('x.parquet')))":
        "read_parquet('x.parquet')",
    "sum(length(read_text('/etc/passwd')))": "read_text('/etc/passwd')",
    "max(read_blob('/etc/passwd'))": "read_blob('/etc/passwd')",
    "glob('/etc/*')": "glob('/etc/*')",
    "count(*) FILTER (WHERE event IN (SELECT file FROM glob('*')))": "glob('*')",
    "count(*) FILTER (WHERE event IN (SELECT * FROM query_table('datasets')))": "query_table('datasets')",
    "query('SELECT 1')": "query('SELECT 1')",
    # other databases, files written, statements
    "ATTACH 'stolen.db'": "attach 'stolen.db'",
    "ATTACH 'stolen.db' AS stolen": "attach 'stolen.db' as stolen",
    "DETACH stolen": "detach stolen",
    "COPY datasets TO 'out.csv'": "copy datasets to 'out.csv'",
    "COPY (SELECT * FROM datasets) TO 'out.csv'": "to 'out.csv'",
    "DROP TABLE datasets": "drop table datasets",
    "CREATE TABLE x AS SELECT 1": "create table x",
    "SET threads = 1": "set threads = 1",
    "CALL pragma_version()": "call pragma_version()",
    "pragma database_list": "pragma database_list",
    "PRAGMA enable_profiling": "pragma enable_profiling",
    "install httpfs": "install httpfs",
    "load httpfs": "load httpfs",
    # several statements, also when a comment ends before the ';'
    "sum(amount); DROP TABLE datasets": "2 statements separated by ';'",
    "sum(amount); ATTACH 'stolen.db'": "2 statements separated by ';'",
    "INSTALL httpfs; LOAD httpfs": "2 statements separated by ';'",
    "sum(amount) -- harmless\n; DROP TABLE datasets": "2 statements separated by ';'",
    "sum(amount) UNION SELECT 1": "union select 1",
    # subqueries on other tables
    "(SELECT count(*) FROM datasets)": "(select count(*) from datasets)",
    "count(*) + (SELECT count(*) FROM datasets)": "(select count(*) from datasets)",
    "count(*) FILTER (WHERE event IN (SELECT name FROM datasets))": "(select name from datasets)",
    "sum(amount) FILTER (WHERE event IN (FROM datasets SELECT name))": "(select name from datasets)",
    "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM datasets))": "exists(select 1 from datasets)",
    "count(*) FILTER (WHERE event IN (VALUES ('a')))": "values ('a')",
    # the environment and settings
    "count(*) FILTER (WHERE event = getenv('HOME'))": "getenv('HOME')",
    "count(*) FILTER (WHERE event = current_setting('home_directory'))":
        "current_setting('home_directory')",
    "count(*) FILTER (WHERE ts > now())": "now()",
    # columns of other tables, or none at all
    "count(datasets.name)": "'datasets.name'",
    "count(DISTINCT ns_users_1.user_id)": "'ns_users_1.user_id'",
    "sum(main.datasets.rows)": "'main.datasets.rows'",
    "sum(price)": "uses 'price', which is not a column",
    "count(*) FILTER (WHERE name = 'demo')": "uses 'name', which is not a column",
    "count(*) FILTER (WHERE event IN datasets)": "uses 'datasets', which is not a column",
    # not one aggregate per period
    "amount": "('amount') must aggregate",
    "amount + count(*)": "uses 'amount' outside an aggregate",
    "sum(amount) OVER ()": "sum(amount) over ()",
    "sum(amount) OVER (PARTITION BY user_id)": "over (partition by user_id)",
    "sum(amount) AS x": "sum(amount) as x",
    "sum(amount) FROM datasets": "could not be parsed",
    # lambdas, lists, string functions
    "list_transform([1, 2], x -> x + 1)": "list_transform(",
    "list_reduce(list(amount), (x, y) -> x + y)": "list_reduce(",
    "sum(list_sum([amount]))": "list_sum([amount])",
    "array_agg(amount)": "array_agg(amount)",
    "count(*) FILTER (WHERE list_contains(['a'], event))": "(['a'], event)",
    "string_agg(event, ',')": "(event, ',')",
    "sum(length(event))": "length(event)",
    "max(event) || 'x'": "max(event) || 'x'",
    "count(*) FILTER (WHERE regexp_matches(event, 'a'))": "regexp_matches(event, 'a')",
    "count(*) FILTER (WHERE event = format('{}', 'x'))": "format('{}', 'x')",
    "count(*) FILTER (WHERE event = concat('a', 'b'))": "concat('a', 'b')",
    "count(*) FILTER (WHERE event = chr(65))": "chr(65)",
    "count(COLUMNS(*))": "columns(*)",
    # parameters: would read the compiler's own $p0 (a metric name or timestamp)
    "sum(amount) * $p0": "'$p0'",
    "sum(amount) * ?": "'?'",
}


def _weekly(frame) -> list[float]:
    return frame["value"].tolist()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("custom")
    (root / "log.csv").write_text(LOG)
    store = Store(root / "store")
    dataset = ingest_file(store, root / "log.csv", dataset="tiny")
    yield store, dataset
    store.close()


def snapshot(store: Store, dataset) -> dict:
    """What an attack could change: the datasets table, the tables, their rows, attachments."""
    with store.read() as con:
        catalog = {"datasets": con.execute("SELECT * FROM datasets ORDER BY id").fetchall(),
                   "candidates": con.execute("SELECT * FROM candidates ORDER BY 1, 2").fetchall()}
    with store.events(dataset) as cur:
        def rows(sql: str) -> list:
            cur.execute(sql)
            return cur.fetchall()

        return {
            **catalog,
            "files": sorted(p.name for p in store.path.rglob("*")),
            "tables": rows("SELECT database_name, schema_name, table_name, estimated_size "
                           "FROM duckdb_tables() ORDER BY ALL"),
            "views": rows("SELECT database_name, view_name FROM duckdb_views() WHERE NOT internal "
                          "ORDER BY ALL"),
            "events": rows(f"SELECT count(*), sum(amount) FROM {dataset.events_view}"),
            "databases": rows("SELECT database_name, path FROM duckdb_databases() ORDER BY ALL"),
            "extensions": rows("SELECT extension_name FROM duckdb_extensions() WHERE loaded ORDER BY 1"),
        }


def test_the_hand_worked_log_loaded_as_described(loaded):
    store, dataset = loaded
    assert (dataset.rows, dataset.users, dataset.properties) == (9, 3, ("plan",))


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted_expression_computes_the_hand_worked_values(loaded, text):
    store, dataset = loaded
    want, sql = ACCEPTED[text]
    checked = parse_custom(text, "m", properties=dataset.properties)
    assert checked.sql == sql
    before = snapshot(store, dataset)
    frame = compute(store, dataset, [MetricSpec("m", "custom", expression=text)], "week")
    assert [str(p.date()) for p in frame["period"]] == ["2024-01-01", "2024-01-08"]
    assert _weekly(frame) == pytest.approx(want)
    assert snapshot(store, dataset) == before


def test_comments_never_reach_the_compiled_statement(loaded):
    _, dataset = loaded
    for text in ("sum(amount) -- ; DROP TABLE datasets", "sum(amount) /* ; DROP TABLE datasets */"):
        query = compile_metrics(dataset, [MetricSpec("m", "custom", expression=text)], "week")
        assert "SUM(amount) AS c0" in query.sql
        assert "DROP" not in query.sql and "--" not in query.sql and "/*" not in query.sql
        assert "DROP" not in query.readable()


def test_custom_expressions_share_one_scan_with_other_kinds(loaded):
    store, dataset = loaded
    specs = [MetricSpec(f"c{i}", "custom", expression=text) for i, text in enumerate(ACCEPTED)
             if "user_id = " not in text]
    specs.append(MetricSpec("upgraders", "active_users", events=("upgrade",)))
    frame = compute(store, dataset, specs, "week")
    for spec in specs[:-1]:
        assert _weekly(frame[frame["metric"] == spec.name]) == pytest.approx(ACCEPTED[spec.expression][0])
    assert _weekly(frame[frame["metric"] == "upgraders"]) == [2, 1]


def test_days_without_rows_are_unknown_and_days_without_matches_count_zero(loaded):
    store, dataset = loaded
    spec = MetricSpec("pro events", "custom", expression="count(*) FILTER (WHERE \"plan\" = 'pro')")
    frame = compute(store, dataset, [spec], "day")
    by_day = dict(zip(frame["period"].dt.strftime("%m-%d"), frame["value"], strict=True))
    # 1 Jan: rows, none pro → 0; 6–7 Jan: no rows at all → unknown; 3–5 Jan one pro each
    assert by_day["01-01"] == 0 and by_day["01-02"] == 0
    assert (by_day["01-03"], by_day["01-04"], by_day["01-05"]) == (1, 1, 1)
    assert math.isnan(by_day["01-06"]) and math.isnan(by_day["01-07"])
    assert (by_day["01-08"], by_day["01-09"]) == (1, 1)


# Column names are checked against the dataset when a metric is compiled; a spec read from YAML
# before any dataset is known lets them through (and compiling refuses them, as asserted above).
UNKNOWN_COLUMNS = {text for text, part in REJECTED.items() if "which is not a column" in part}


@pytest.mark.parametrize("text", REJECTED)
def test_attack_is_refused_naming_the_part_and_changes_nothing(loaded, text, tmp_path, monkeypatch):
    store, dataset = loaded
    monkeypatch.chdir(tmp_path)  # relative paths (stolen.db, out.csv) would land here
    part = REJECTED[text].lower()
    before = snapshot(store, dataset)

    with pytest.raises(NorthstarError) as parsed:
        parse_custom(text, "m", properties=dataset.properties)
    assert part in str(parsed.value).lower(), str(parsed.value)
    assert "'m'" in parsed.value.detail  # and which metric it is

    with pytest.raises(NorthstarError) as computed:
        compute(store, dataset, [MetricSpec("m", "custom", expression=text)], "week")
    assert part in str(computed.value).lower(), str(computed.value)
    with pytest.raises(NorthstarError):
        compile_metrics(dataset, [MetricSpec("m", "custom", expression=text)], "week")
    if text not in UNKNOWN_COLUMNS:  # a saved or YAML candidate is checked the same way, except
        with pytest.raises(NorthstarError):  # columns: those are checked against the dataset
            spec_from_dict({"name": "m", "kind": "custom", "expression": text})

    assert snapshot(store, dataset) == before
    assert list(tmp_path.iterdir()) == []


def test_rejections_list_the_allowed_forms_and_columns(loaded):
    _, dataset = loaded
    with pytest.raises(NorthstarError, match="Only aggregates .* may be used"):
        parse_custom("getenv('HOME')", "m")
    with pytest.raises(NorthstarError, match="Columns: user_id, ts, event, amount, duration_s, "
                                             "nps_score, plan"):
        parse_custom("sum(price)", "m", properties=dataset.properties)
    with pytest.raises(NorthstarError, match="is empty"):
        parse_custom("  ", "m")


def test_user_id_comparisons_run_on_real_ids_and_counts_on_keys():
    assert not parse_custom("count(DISTINCT user_id)", "m").needs_user_ids
    assert not parse_custom("count(DISTINCT user_id) FILTER (WHERE event = 'x')", "m").needs_user_ids
    assert parse_custom("count(*) FILTER (WHERE user_id = 'c')", "m").needs_user_ids
    assert parse_custom("min(user_id)", "m").needs_user_ids
    assert parse_custom("count(DISTINCT user_id) FILTER (WHERE user_id <> 'c')", "m").needs_user_ids


def test_a_saved_or_yaml_custom_metric_may_use_a_property_column(loaded):
    store, dataset = loaded
    entry = {"name": "pro events", "kind": "custom", "expression": "count(*) FILTER (WHERE \"plan\" = 'pro')"}
    spec = spec_from_dict(entry)
    assert _weekly(compute(store, dataset, [spec], "week")) == [3, 2]


def test_readable_sql_leaves_dollar_text_in_literals_alone(loaded):
    _, dataset = loaded
    text = "count(*) FILTER (WHERE event = '$p0')"
    query = compile_metrics(dataset, [MetricSpec("m", "custom", expression=text)], "week")
    assert "event = '$p0'" in query.readable()

