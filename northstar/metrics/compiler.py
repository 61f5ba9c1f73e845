"""Compile metric specs into one readable DuckDB statement, run it, and return tidy period series."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import duckdb
import pandas as pd

from northstar.errors import NorthstarError
from northstar.i18n import _
from northstar.metrics.custom import parse_custom
from northstar.metrics.engines import engine_for, run_spark
from northstar.metrics.specs import MetricSpec
from northstar.store import Activity, Dataset, Store, quote_ident, quote_literal
from northstar.vocab import GRAIN_INFO, GRAINS

# A subscription still counts for this long after the months it paid for: retries of a failed card
# and 30-day billing cycles that end a day or two after the calendar month would otherwise blink.
MRR_GRACE_DAYS = 7
# Kinds computed in the one shared scan of the event table, grouped by period.
SCAN_KINDS = ("active_users", "transactions", "revenue", "engagement", "nps", "returning_users",
              "custom")
# Value when a period has no rows at all: zero where "nothing happened" is the truth, NULL where a
# zero would lie (a score, a ratio, an average of nobody).
ZERO_WHEN_EMPTY = ("active_users", "transactions", "revenue", "returning_users")
# A parameter placeholder, or a quoted string (whose contents are never placeholders).
_PLACEHOLDER_OR_STRING = re.compile(r"'(?:[^']|'')*'|\$(p\d+)\b")


@dataclass(frozen=True)
class CompiledQuery:
    """One SQL statement yielding `period, metric, value` for every spec, and its parameters."""

    sql: str
    params: dict[str, object]
    metrics: tuple[str, ...]

    def readable(self) -> str:
        """The SQL with parameters written in as literals: to show people, never to run."""
        def literal(match: re.Match) -> str:
            value = self.params[match.group(1)]
            if isinstance(value, datetime):
                return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S}'"
            return quote_literal(value) if isinstance(value, str) else str(value)
        return _PLACEHOLDER_OR_STRING.sub(
            lambda m: literal(m) if m.group(1) else m.group(0), self.sql)


class _Query:
    """Collects CTEs, per-user partial aggregates, period aggregates and per-metric selects."""

    def __init__(self, dataset: Dataset, grain: str, ranged: bool = False,
                 stored: Activity | None = None) -> None:
        self.dataset, self.grain, self.step = dataset, grain, GRAIN_INFO[grain].sql_step
        self.ranged = ranged  # only events from first_ts to last_ts (a requested date range)
        self.stored = stored  # the file's per-(period, user) activity rows, when they can be used
        self.params: dict[str, object] = {}
        self.activity: dict[tuple, tuple[str, str]] = {}  # (aggregate, events, condition) → (column, SQL)
        self.scan: list[str] = []               # period aggregates over `activity`
        self.user_counts: dict[tuple, str] = {}  # (events, condition) → a count over the stored rows
        self.sources: set[str] = set()          # what the metric being compiled reads: scan, user_scan
        self.rows: list[str] = []               # period aggregates over raw events (custom)
        self.ctes: list[str] = []
        self.selects: list[str] = []
        self.needs_first_keys = False
        self.needs_user_ids = False
        self.per_user = False  # does any metric need activity per user, or only per period?
        self.start = self.param(dataset.first_ts)

    def param(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def event_filter(self, events: tuple[str, ...], column: str = "event") -> str | None:
        """`column IN (...)` over the events, bound as parameters; None for every event."""
        if not events:
            return None
        return f"{column} IN ({', '.join(self.param(e) for e in events)})"

    def partial(self, aggregate: str, events: tuple[str, ...], condition: str | None = None) -> str:
        """A per-(period, user) aggregate of the matching events; shared by equal requests."""
        key = (aggregate, events, condition)
        if key not in self.activity:
            label = _PARTIAL_LABELS.get((aggregate, condition), "value")
            name = f"{label}_{len(self.activity)}"
            where = _and(self.event_filter(events), condition)
            filtered = f"{aggregate} FILTER (WHERE {where})" if where else aggregate
            self.activity[key] = (name, filtered)
        return self.activity[key][0]

    def period_column(self, aggregate: str, label: str = "total") -> str:
        """Add a per-period aggregate over the activity rows; returns its column reference."""
        name = f"{label}_{len(self.scan)}"
        self.scan.append(f"{aggregate} AS {name}")
        self.sources.add("scan s")
        return f"s.{name}"

    def users_with(self, events: tuple[str, ...], condition: str | None = None) -> str:
        """Distinct users per period with a matching event (and `condition` on the row; the row's
        user is `a.user_id`)."""
        if self.stored is None:
            self.per_user = True
            count = self.partial("count(*)", events)
            known = _and("a.user_id IS NOT NULL", f"a.{count} > 0", condition)
            return self.period_column(f"count(*) FILTER (WHERE {known})", "users")
        # One stored row per (period, user): a user did one of the events when its bit is set.
        self.sources.add("user_scan u")
        key = (events, condition)
        if key not in self.user_counts:
            did = self.stored.did(events)
            where = _and(None if did == "true" else did, condition)
            count = f"count(*) FILTER (WHERE {where})" if where else "count(*)"
            self.user_counts[key] = f"{count} AS users_{len(self.user_counts)}"
        return f"u.users_{list(self.user_counts).index(key)}"

    def select(self, spec: MetricSpec, value: str, *sources: str) -> None:
        join = "".join(f"\n    LEFT JOIN {source} USING (period)" for source in sources)
        self.selects.append(
            f"SELECT {len(self.selects)} AS position, g.period, {self.param(spec.name)} AS metric, "
            f"CAST({value} AS DOUBLE) AS value\n    FROM periods g{join}")


# Names for the per-user partial aggregates, so the SQL shown to people says what each holds.
_PARTIAL_LABELS = {
    ("count(*)", None): "events", ("sum(amount)", None): "amount",
    ("sum(duration_s)", None): "seconds", ("count(nps_score)", None): "responses",
    ("count(*)", "nps_score >= 9"): "promoters", ("count(*)", "nps_score <= 6"): "detractors",
}


def _and(*conditions: str | None) -> str | None:
    present = [c for c in conditions if c]
    return " AND ".join(present) if present else None


def _scan_metric(q: _Query, spec: MetricSpec) -> None:
    """The per-row kinds, from one pass that groups events by (period, user) once: every distinct
    count becomes a count of activity rows, every sum a sum of per-user sums."""
    events, kind = spec.events, spec.kind
    q.sources = set()
    if kind == "active_users":
        value = q.users_with(events)
    elif kind == "transactions":
        value = q.period_column(f"sum(a.{q.partial('count(*)', events)})")
    elif kind == "revenue":
        value = q.period_column(f"sum(a.{q.partial('sum(amount)', events)})")
    elif kind == "returning_users":
        q.needs_first_keys = True
        # Users are numbered in order of first appearance, so "first seen before this period" is
        # "key below the period's first new key": a comparison, not a join to the users table.
        value = q.users_with(events, f"a.{'user_key' if q.stored else 'user_id'} < k.first_key")
    elif kind == "engagement":
        measure = "sum(duration_s)" if spec.measure == "duration" else "count(*)"
        total = q.period_column(f"sum(a.{q.partial(measure, events)})")
        value = (f"coalesce({total}, 0) / nullif({q.users_with(events)}, 0)" if spec.per == "user"
                 else f"coalesce({total}, 0)")
    elif kind == "nps":
        promoters = q.period_column(f"sum(a.{q.partial('count(*)', events, 'nps_score >= 9')})")
        detractors = q.period_column(f"sum(a.{q.partial('count(*)', events, 'nps_score <= 6')})")
        responses = q.period_column(f"sum(a.{q.partial('count(nps_score)', events)})")
        value = f"100.0 * ({promoters} - {detractors}) / nullif({responses}, 0)"
    else:  # custom: an arbitrary aggregate needs the rows themselves
        if spec.events:
            raise NorthstarError(_("Invalid metric {name}", name=repr(spec.name)),
                                 _("A custom metric filters inside its expression (FILTER (WHERE ...)); "
                                   "remove its events list."))
        custom = parse_custom(spec.expression or "", spec.name, properties=q.dataset.properties)
        q.needs_user_ids = q.needs_user_ids or custom.needs_user_ids
        value, q.sources = f"r.c{len(q.rows)}", {"row_scan r"}
        q.rows.append(f"{custom.sql} AS c{len(q.rows)}")
    if kind in ZERO_WHEN_EMPTY:
        value = f"coalesce({value}, 0)"
    q.select(spec, value, *sorted(q.sources))


# Period numbers per grain, counted from the first period; keys user × PERIOD_SLOTS + number make
# "the same user, the next period" a single integer: key + 1.
PERIOD_SLOTS = 100_000


def period_number(grain: str, start: str, period: str = "period") -> str:
    """SQL for the number of `period` (a period start) counted from `start` (0, 1, 2, ...)."""
    seconds = GRAIN_INFO[grain].seconds
    if seconds is None:
        return f"datediff('month', {start}, {period})"
    return f"CAST((epoch({period}) - epoch({start})) / {seconds} AS BIGINT)"


def _retention(q: _Query, spec: MetricSpec, cte: str) -> None:
    number = period_number(q.grain, f"date_trunc('{q.grain}', {q.start})")
    if q.stored is None:
        q.per_user = True
        source, user = "activity", "user_id"
        where = f"user_id IS NOT NULL AND {q.partial('count(*)', spec.events)} > 0"
    else:
        source, user = f"{q.dataset.activity_table(q.grain)} a", "user_key"
        where = _and(q.stored.did(spec.events), _stored_periods(q)) or "true"
    q.ctes.append(f"""{cte}_active AS (
        SELECT period, CAST({user} AS BIGINT) * {PERIOD_SLOTS} + {number} AS user_period
        FROM {source} WHERE {where}
    )""")
    # A join on one integer is much cheaper than joining on (user, period), and every engine has it.
    q.ctes.append(f"""{cte} AS (
        SELECT a.period, count(*) AS active, count(n.user_period) AS retained
        FROM {cte}_active a LEFT JOIN {cte}_active n ON n.user_period = a.user_period + 1
        GROUP BY a.period
    )""")
    # The next period must be observed in full, or "not active again" is only "not yet".
    q.select(spec, f"CASE WHEN g.period + {q.step} <= (SELECT max(period) FROM full_periods) "
                   f"THEN {cte}.retained / nullif({cte}.active, 0) END", cte)


def _stored_periods(q: _Query) -> str | None:
    """A date range's periods, for reading stored activity rows (None: every period)."""
    if not q.ranged:
        return None
    low, high = q.param(q.dataset.first_ts), q.param(q.dataset.last_ts)
    return f"a.period BETWEEN date_trunc('{q.grain}', {low}) AND date_trunc('{q.grain}', {high})"


def whole_periods(grain: str, since: date | None, until: date | None) -> bool:
    """Whether the days `since` to `until` are whole periods (a period's stored activity rows then
    hold exactly its events in the range)."""
    def starts(day: date) -> bool:
        return grain == "day" or (day.weekday() == 0 if grain == "week" else day.day == 1)
    return (since is None or starts(since)) and (until is None or starts(until + timedelta(days=1)))


def _ltv(q: _Query, spec: MetricSpec, cte: str) -> None:
    f = q.event_filter(spec.events, "e.event")
    window = f"INTERVAL {int(spec.window_days)} DAY"
    q.ctes.append(f"""{cte} AS (
        SELECT date_trunc('{q.grain}', u.first_ts) AS period, count(*) AS customers,
               sum(coalesce(r.revenue, 0)) / count(*) AS value
        FROM users u
        LEFT JOIN (
            SELECT e.user_id, sum(e.amount) AS revenue
            FROM events e JOIN users f ON f.user_id = e.user_id
            WHERE e.ts < f.first_ts + {window}{f' AND {f}' if f else ''}
            GROUP BY e.user_id
        ) r ON r.user_id = u.user_id
        GROUP BY 1
    )""")
    # Only cohorts whose every member has been watched for the whole window.
    q.select(spec, f"CASE WHEN g.period + {q.step} + {window} <= {q.param(q.dataset.last_ts)} "
                   f"THEN {cte}.value END", cte)


def _mrr(q: _Query, spec: MetricSpec, cte: str) -> None:
    f = q.event_filter(spec.events)
    months = "1"
    if spec.period_column:
        if spec.period_column not in q.dataset.properties:
            raise NorthstarError(
                _("Invalid metric {name}", name=repr(spec.name)),
                _("period_column {column} is not a column of this dataset. Columns: {columns}.",
                  column=repr(spec.period_column),
                  columns=", ".join(q.dataset.properties) or _("none besides the roles")))
        months = f"greatest(coalesce(try_cast({quote_ident(spec.period_column)} AS INTEGER), 1), 1)"
    q.ctes.append(f"""{cte}_payments AS (
        SELECT user_id, ts, amount / months AS monthly,
               least(lead(ts) OVER (PARTITION BY user_id ORDER BY ts),
                     ts + to_months(months) + INTERVAL {MRR_GRACE_DAYS} DAY) AS current_until
        FROM (SELECT user_id, ts, amount, {months} AS months FROM {"history" if q.ranged else "events"}
              WHERE {_and("amount IS NOT NULL", "user_id IS NOT NULL", f)})
    )""")
    # A payment counts at a period's end when it started before that end and runs past it: that is
    # +monthly from the period it was paid in, -monthly from the period its run ends in. So MRR is
    # a running sum of those changes; no payment-by-period range join.
    q.ctes.append(f"""{cte}_changes AS (
        SELECT period, sum(change) AS change FROM (
            SELECT date_trunc('{q.grain}', ts) AS period, monthly AS change FROM {cte}_payments
            UNION ALL
            SELECT date_trunc('{q.grain}', current_until), -monthly FROM {cte}_payments
        ) GROUP BY period
    )""")
    # A date range starts with the payments still current from before it.
    carried = (f" + coalesce((SELECT sum(change) FROM {cte}_changes WHERE period < "
               f"(SELECT min(period) FROM periods)), 0)" if q.ranged else "")
    q.ctes.append(f"""{cte} AS (
        SELECT g.period, round(sum(coalesce(c.change, 0)) OVER (ORDER BY g.period){carried}, 9) AS value
        FROM periods g LEFT JOIN {cte}_changes c USING (period)
    )""")
    q.select(spec, f"{cte}.value", cte)


def _events_cte(q: _Query, since: bool = True) -> str:
    props = "".join(f", {quote_ident(p)}" for p in q.dataset.properties)
    if q.needs_user_ids:  # a custom expression compares user ids: read the logical view
        sql = (f"SELECT user_id, ts, event, amount, duration_s, nps_score{props} "
               f"FROM {q.dataset.events_view}")
    else:
        sql = (f"SELECT user_key AS user_id, ts, event, amount, duration_s, nps_score{props} "
               f"FROM {q.dataset.events_table}")
    if not q.ranged:
        return sql
    # A date-partitioned lake skips whole files outside the range: the filter on its partition
    # column is what DuckDB prunes files by (the one on ts only skips row groups).
    high = q.param(q.dataset.last_ts)
    where = [f"ts <= {high}"]
    if q.dataset.date_partitioned:
        where.append(f"partition_date <= CAST({high} AS DATE)")
    if since:
        low = q.param(q.dataset.first_ts)
        where.append(f"ts >= {low}")
        if q.dataset.date_partitioned:
            where.append(f"partition_date >= CAST({low} AS DATE)")
    return f"{sql}\n        WHERE {' AND '.join(where)}"


def _window(dataset: Dataset, since: date | None, until: date | None) -> Dataset:
    """The dataset as seen through a date range (days `since` to `until`, both included)."""
    if since is None and until is None:
        return dataset
    first, last = dataset.first_ts, dataset.last_ts
    if since is not None and first is not None:
        first = max(first, datetime.combine(since, time.min))
    if until is not None and last is not None:
        last = min(last, datetime.combine(until, time.max))
    if first is None or last is None or first > last:
        span = {"first": f"{dataset.first_ts:%Y-%m-%d}", "last": f"{dataset.last_ts:%Y-%m-%d}"}
        raise NorthstarError(_("Empty date range"),
                             _("{dataset} has events from {first} to {last}; pick dates inside that span.",
                               dataset=dataset.name, **span))
    return replace(dataset, first_ts=first, last_ts=last)


def compile_metrics(dataset: Dataset, specs: Sequence[MetricSpec], grain: str = "week",
                    since: date | None = None, until: date | None = None,
                    activity: Activity | None = None) -> CompiledQuery:
    """One statement computing every spec at `grain`; the per-row kinds share a single scan.

    `since`/`until` (days, both included) limit the periods and the events read; on a lake
    partitioned by date the files outside the range are not opened. MRR still reads the payments
    before `since` (a subscription paid earlier is still current).

    `activity` (the file's, `Store.activity`) lets users be counted from its per-(period, user) rows
    instead of grouping every event by user; a range that cuts periods in two reads the events.

    A custom expression that compares user ids (not just counts them) reads the real ids, so it
    must be compiled on its own; `compute` takes care of that.
    """
    if grain not in GRAINS:
        raise NorthstarError(_("Unknown grain"), _("{value} is not one of: {choices}.", value=repr(grain),
                                                   choices=", ".join(GRAINS)))
    if not specs:
        raise NorthstarError(_("No metrics"), _("Give at least one metric to compute."))
    ranged = since is not None or until is not None
    dataset = _window(dataset, since, until)
    stored = activity if activity and whole_periods(grain, since, until) else None
    q = _Query(dataset, grain, ranged, stored)
    start, end = q.start, q.param(dataset.last_ts)
    for i, spec in enumerate(specs):
        if spec.kind in SCAN_KINDS:
            _scan_metric(q, spec)
        else:
            {"retention": _retention, "ltv": _ltv, "mrr": _mrr}[spec.kind](q, spec, f"metric_{i}")
    ctes = [
        f"events AS NOT MATERIALIZED (\n        {_events_cte(q)}\n    )",
        *([f"history AS NOT MATERIALIZED (\n        {_events_cte(q, since=False)}\n    )"]
          if ranged and any(s.kind == "mrr" for s in specs) else []),
        f"users AS NOT MATERIALIZED (\n        SELECT user_key AS user_id, first_ts "
        f"FROM {dataset.users_table}\n    )",
        f"periods AS (\n        SELECT unnest(generate_series(date_trunc('{grain}', {start}), "
        f"date_trunc('{grain}', {end}), {q.step})) AS period\n    )",
        f"full_periods AS (\n        SELECT period FROM periods WHERE period >= date_trunc('day', {start})"
        f" AND period + {q.step} <= date_trunc('day', {end}) + INTERVAL 1 DAY\n    )",
    ]
    if q.needs_first_keys:
        # Users first seen before each period: a running count of new users per period (plus
        # those first seen before the first period), not a periods × users comparison.
        ctes.append(f"""first_keys AS (
        SELECT g.period, CAST(coalesce(sum(n.new_users) OVER (ORDER BY g.period ROWS BETWEEN
                   UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
               + (SELECT count(*) FROM users WHERE first_ts < (SELECT min(period) FROM periods))
               AS BIGINT) AS first_key
        FROM periods g LEFT JOIN (
            SELECT date_trunc('{grain}', first_ts) AS period, count(*) AS new_users
            FROM users GROUP BY 1
        ) n USING (period)
    )""")
    if q.activity:
        # Per (period, user) when a metric counts users; otherwise one row per period will do.
        user, group = ("user_id", "1, 2") if q.per_user else ("NULL AS user_id", "1")
        partials = ",\n               ".join(f"{sql} AS {name}" for name, sql in q.activity.values())
        ctes.append(f"activity AS MATERIALIZED (\n        SELECT date_trunc('{grain}', ts) AS period, "
                    f"{user},\n               {partials}\n        FROM events\n"
                    f"        GROUP BY {group}\n    )")
    if q.user_counts:
        joined = "\n        JOIN first_keys k ON k.period = a.period" if q.needs_first_keys else ""
        where = _stored_periods(q)
        ctes.append("user_scan AS (\n        SELECT a.period,\n               "
                    + ",\n               ".join(q.user_counts.values())
                    + f"\n        FROM {dataset.activity_table(grain)} a{joined}"
                    + (f"\n        WHERE {where}" if where else "") + "\n        GROUP BY 1\n    )")
    if q.scan:
        joined = ("\n        JOIN first_keys k ON k.period = a.period"
                  if q.needs_first_keys and q.stored is None else "")
        ctes.append("scan AS (\n        SELECT a.period,\n               " + ",\n               ".join(q.scan)
                    + f"\n        FROM activity a{joined}\n        GROUP BY 1\n    )")
    if q.rows:
        ctes.append(f"row_scan AS (\n        SELECT date_trunc('{grain}', ts) AS period,\n               "
                    + ",\n               ".join(q.rows) + "\n        FROM events\n        GROUP BY 1\n    )")
    ctes.extend(q.ctes)
    if q.needs_user_ids and len(specs) > 1:
        raise NorthstarError(_("Compile separately"),
                             _("A custom metric comparing user ids must be compiled on its own."))
    sql = ("WITH " + ",\n".join(f"    {c}" if i else c for i, c in enumerate(ctes))
           + "\nSELECT period, metric, value FROM (\n    "
           + "\n    UNION ALL\n    ".join(q.selects) + "\n)\nORDER BY position, period")
    return CompiledQuery(sql, q.params, tuple(s.name for s in specs))


def partial_flags(dataset: Dataset, periods: pd.Series, grain: str) -> pd.Series:
    """True for a first or last period the data does not cover from its first to its last day."""
    step = GRAIN_INFO[grain].offset
    first_day = pd.Timestamp(dataset.first_ts).normalize()
    last_day = pd.Timestamp(dataset.last_ts).normalize()
    starts_late = (periods < first_day) & (periods + step > first_day)
    ends_early = (periods + step - timedelta(days=1)) > last_day
    return starts_late | ends_early


def compute(store: Store, dataset: Dataset, specs: Sequence[MetricSpec], grain: str = "week",
            since: date | None = None, until: date | None = None, engine: str | None = None,
            spark_master: str | None = None, stored: bool = True) -> pd.DataFrame:
    """Tidy `period, metric, value, partial` for every spec, every period of the dataset (or of
    the days `since` to `until`), computed by `engine` (DuckDB unless asked or set otherwise).

    With `stored` (the default) DuckDB counts users from the file's activity rows when it has them;
    `stored=False` groups the events themselves, as for a lake or on Spark (same numbers)."""
    engine = engine_for(dataset, engine)
    activity = store.activity(dataset) if engine == "duckdb" and stored else None
    if not specs:
        raise NorthstarError(_("No metrics to compute"),
                             _("The candidate list is empty: add a candidate (e.g. `{example}` under "
                               "`candidates:`) or leave --candidates out.",
                               example="- {name: Active users, kind: active_users}"))
    alone = [s for s in specs if s.kind == "custom" and parse_custom(
        s.expression or "", s.name, properties=dataset.properties).needs_user_ids]
    shared = [s for s in specs if s not in alone]
    frames = [_run(store, dataset, compile_metrics(dataset, batch, grain, since, until, activity), engine,
                   spark_master)
              for batch in ([shared] if shared else []) + [[s] for s in alone]]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    order = {name: i for i, name in enumerate(s.name for s in specs)}
    frame = frame.sort_values(["metric", "period"], key=lambda c: c.map(order) if c.name == "metric"
                              else c, kind="stable").reset_index(drop=True)
    frame["partial"] = partial_flags(_window(dataset, since, until), frame["period"], grain)
    return frame


def _run(store: Store, dataset: Dataset, query: CompiledQuery, engine: str = "duckdb",
         spark_master: str | None = None) -> pd.DataFrame:
    if engine == "spark":
        return run_spark(store, dataset, query.sql, query.params, spark_master)
    with store.events(dataset) as cur:
        try:
            cur.execute(query.sql, query.params)
        except duckdb.Error as err:  # DuckDB's own message says which part failed
            raise NorthstarError(_("Metric query failed"), str(err).splitlines()[0]) from None
        return cur.df()
