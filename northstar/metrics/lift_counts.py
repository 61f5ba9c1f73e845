"""Per-user 2×2 counts for user-level lift, straight from the events in one DuckDB query.

For each behaviour (a candidate counting users or events of some events) and each period p, the users
active in p are split by whether they did the behaviour in p, and by whether they reached the outcome in
one of the `lag` periods after p (a purchase for a money outcome, any activity for an activity outcome).
Strata are tertiles of prior activity: a user-period's events in the periods before p, cut at the
thirds of the active user-periods between the first and the last period (the same cuts for every
behaviour). Counts are pooled over periods; analysis/user_lift.py turns them into rates and a lift.

A period is counted for a behaviour when a period came before it (the first one may be partial and has
no past) and its `lag` following periods all end before the last period (which may be partial).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from northstar.errors import NorthstarError
from northstar.i18n import _
from northstar.metrics.compiler import period_number
from northstar.metrics.specs import MetricSpec
from northstar.store import Activity, Dataset, Store, quote_literal

# Outcome kinds reached by spending: a money (or transaction) event in the window.
MONEY_KINDS = ("revenue", "transactions", "mrr", "ltv")
# Outcome kinds reached by coming back: any (matching) event in the window.
ACTIVITY_KINDS = ("active_users", "returning_users", "retention", "engagement")
# Candidate kinds that are "users who did X" behaviours, when they have an event filter.
BEHAVIOUR_KINDS = ("active_users", "transactions")
STRATA = 3


@dataclass(frozen=True)
class Behaviour:
    """A candidate as a behaviour: its name, the events that count as doing it, the periods to wait."""

    name: str
    events: tuple[str, ...]
    lag: int


@dataclass(frozen=True)
class Cell:
    """One stratum's counts of active user-periods (a = did and reached, b = did, not reached, ...)."""

    stratum: int  # 0 light, 1 medium, 2 heavy prior activity
    did_reached: int
    did_not_reached: int
    not_did_reached: int
    not_did_not_reached: int


def reached_by(outcome: MetricSpec) -> str | None:
    """What reaching the outcome means, as "money" or "active"; None when it has no per-user event
    (a score, a custom expression)."""
    if outcome.kind in MONEY_KINDS:
        return "money"
    if outcome.kind in ACTIVITY_KINDS:
        return "active"
    return None


def applies(candidate: MetricSpec, outcome: MetricSpec) -> bool:
    """Whether a candidate is a behaviour whose user-level lift on `outcome` can be counted."""
    return (candidate.kind in BEHAVIOUR_KINDS and bool(candidate.events) and reached_by(outcome) is not None
            and set(candidate.events) != set(outcome.events))


def _in(events: Sequence[str]) -> str:
    return f"event IN ({', '.join(quote_literal(e) for e in events)})"


def _outcome_condition(outcome: MetricSpec, stored: Activity | None) -> str:
    """SQL true for an event (or, with `stored`, an activity row) that reaches the outcome."""
    if outcome.events:
        return stored.did(outcome.events) if stored else _in(outcome.events)
    if reached_by(outcome) == "money" and outcome.kind in ("revenue", "mrr", "ltv"):
        return "a.paid" if stored else "amount > 0"
    return "true"


def _per_user(dataset: Dataset, behaviours: Sequence[Behaviour], outcome: MetricSpec, grain: str,
              stored: Activity | None) -> str:
    """One row per (user, period) with its events: n, whether it reached the outcome, did each (and,
    from stored activity, the events before: `prior`)."""
    # Counted from a Monday: week numbers then fall on ISO weeks (only differences between them matter).
    hit = _outcome_condition(outcome, stored)
    if stored:
        number = period_number(grain, "TIMESTAMP '2000-01-03'", "a.period")
        flags = "".join(f",\n               {stored.did(b.events)} AS did_{i}"
                        for i, b in enumerate(behaviours))
        return f"""SELECT user_key AS u, {number} AS k, events AS n, earlier_events AS prior,
               {hit} AS hit{flags}
        FROM {dataset.activity_table(grain)} a"""
    number = period_number(grain, "TIMESTAMP '2000-01-03'", f"date_trunc('{grain}', ts)")
    flags = "".join(f",\n               bool_or({_in(b.events)}) AS did_{i}"
                    for i, b in enumerate(behaviours))
    return f"""SELECT user_key AS u, {number} AS k, count(*) AS n,
               bool_or({hit}) AS hit{flags}
        FROM {dataset.events_table}
        WHERE user_key IS NOT NULL
        GROUP BY 1, 2"""


def lift_sql(dataset: Dataset, behaviours: Sequence[Behaviour], outcome: MetricSpec, grain: str,
             stored: Activity | None = None) -> str:
    """The one statement: active user-periods counted by stratum, by the periods until the user next
    reached the outcome (`gap`) and by the periods observed after (`ahead`), both capped one past the
    longest lag, with how many of them did each behaviour (`did_{i}`). `cells` turns it into each
    behaviour's 2×2 counts. With `stored` (the file's activity rows) the per-user rows are read, not
    grouped from the events."""
    cap = max(b.lag for b in behaviours) + 1
    prior = "" if stored else (",\n               sum(n) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND "
                               "CURRENT ROW) - n AS prior")
    did = "".join(f",\n           count(*) FILTER (WHERE did_{i}) AS did_{i}" for i in range(len(behaviours)))
    return f"""WITH per_user AS (
        {_per_user(dataset, behaviours, outcome, grain, stored)}
    ),
    bounds AS (SELECT min(k) AS first_k, max(k) AS last_k FROM per_user),
    history AS (
        -- The next period after this one in which the user reached the outcome (and the events
        -- before it), from one sort by user and period.
        SELECT *, lead(CASE WHEN hit THEN k END IGNORE NULLS) OVER w AS next_hit{prior}
        FROM per_user
        WINDOW w AS (PARTITION BY u ORDER BY k)
    ),
    analysed AS (SELECT h.*, b.last_k FROM history h, bounds b WHERE h.k > b.first_k AND h.k < b.last_k),
    cuts AS (SELECT quantile_cont(prior, 1 / 3) AS low, quantile_cont(prior, 2 / 3) AS high FROM analysed)
    SELECT CASE WHEN prior <= c.low THEN 0 WHEN prior <= c.high THEN 1 ELSE 2 END AS stratum,
           least(coalesce(next_hit - k, {cap}), {cap}) AS gap, least(last_k - k, {cap}) AS ahead,
           count(*) AS active{did}
    FROM analysed a, cuts c
    GROUP BY ALL ORDER BY ALL"""


def cells(rows: Sequence[tuple], behaviours: Sequence[Behaviour]) -> dict[str, tuple[Cell, ...]]:
    """Each behaviour's 2×2 counts per stratum from `lift_sql`'s rows: a user-period counts when its
    `lag` following periods are all observed (ahead > lag) and reached the outcome when it did so
    within them (gap <= lag)."""
    strata = sorted({row[0] for row in rows})
    out: dict[str, tuple[Cell, ...]] = {}
    for i, behaviour in enumerate(behaviours):
        found = []
        for stratum in strata:
            counts = [0, 0, 0, 0]  # did & reached, did & not, not & reached, not & not
            for row in rows:
                if row[0] != stratum or row[2] <= behaviour.lag:
                    continue
                did, reached = row[4 + i], row[1] <= behaviour.lag
                counts[0 if reached else 1] += did
                counts[2 if reached else 3] += row[3] - did
            found.append(Cell(int(stratum), *counts))
        out[behaviour.name] = tuple(found)
    return out


def lift_counts(store: Store, dataset: Dataset, behaviours: Sequence[Behaviour], outcome: MetricSpec,
                grain: str = "week") -> dict[str, tuple[Cell, ...]]:
    """Each behaviour's 2×2 counts per stratum of prior activity, from one query over the events."""
    if not behaviours or reached_by(outcome) is None:
        return {}
    sql = lift_sql(dataset, behaviours, outcome, grain, store.activity(dataset))
    with store.events(dataset) as cur:
        try:
            rows = cur.execute(sql).fetchall()
        except duckdb.Error as err:
            raise NorthstarError(_("User-level lift query failed"), str(err).splitlines()[0]) from None
    return cells(rows, behaviours)
