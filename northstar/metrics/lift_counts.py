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
from northstar.store import Dataset, Store, quote_literal

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


def _outcome_condition(outcome: MetricSpec) -> str:
    how = reached_by(outcome)
    if how == "money":
        if outcome.events:
            return _in(outcome.events)
        return "amount > 0" if outcome.kind in ("revenue", "mrr", "ltv") else "true"
    return _in(outcome.events) if outcome.events else "true"


def lift_sql(dataset: Dataset, behaviours: Sequence[Behaviour], outcome: MetricSpec, grain: str) -> str:
    """The one statement: per behaviour and stratum, the four counts (columns b{i}_a, _b, _c, _d)."""
    # Counted from a Monday: week numbers then fall on ISO weeks (only differences between them matter).
    number = period_number(grain, "TIMESTAMP '2000-01-03'", f"date_trunc('{grain}', ts)")
    flags = "".join(f",\n               bool_or({_in(b.events)}) AS did_{i}"
                    for i, b in enumerate(behaviours))
    cells = []
    for i, b in enumerate(behaviours):
        used = f"k + {b.lag} < last_k"
        did, hit = f"did_{i}", f"coalesce(next_hit - k <= {b.lag}, false)"
        cells += [f"count(*) FILTER (WHERE {used} AND {did} AND {hit}) AS b{i}_a",
                  f"count(*) FILTER (WHERE {used} AND {did} AND NOT {hit}) AS b{i}_b",
                  f"count(*) FILTER (WHERE {used} AND NOT {did} AND {hit}) AS b{i}_c",
                  f"count(*) FILTER (WHERE {used} AND NOT {did} AND NOT {hit}) AS b{i}_d"]
    return f"""WITH per_user AS (
        SELECT user_key AS u, {number} AS k, count(*) AS n,
               bool_or({_outcome_condition(outcome)}) AS hit{flags}
        FROM {dataset.events_table}
        WHERE user_key IS NOT NULL
        GROUP BY 1, 2
    ),
    bounds AS (SELECT min(k) AS first_k, max(k) AS last_k FROM per_user),
    history AS (
        -- One sort by user and period serves both windows: events before the period, and the next
        -- period after it in which the user reached the outcome.
        SELECT *, sum(n) OVER (PARTITION BY u ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                  - n AS prior,
               min(CASE WHEN hit THEN k END) OVER (PARTITION BY u ORDER BY k ROWS BETWEEN 1 FOLLOWING
                  AND UNBOUNDED FOLLOWING) AS next_hit
        FROM per_user
    ),
    analysed AS (SELECT h.*, b.last_k FROM history h, bounds b WHERE h.k > b.first_k AND h.k < b.last_k),
    cuts AS (SELECT quantile_cont(prior, 1 / 3) AS low, quantile_cont(prior, 2 / 3) AS high FROM analysed),
    strata AS (
        SELECT a.*, CASE WHEN prior <= c.low THEN 0 WHEN prior <= c.high THEN 1 ELSE 2 END AS stratum
        FROM analysed a, cuts c
    )
    SELECT stratum,
           {(',' + chr(10) + '           ').join(cells)}
    FROM strata GROUP BY stratum ORDER BY stratum"""


def lift_counts(store: Store, dataset: Dataset, behaviours: Sequence[Behaviour], outcome: MetricSpec,
                grain: str = "week") -> dict[str, tuple[Cell, ...]]:
    """Each behaviour's 2×2 counts per stratum of prior activity, from one query over the events."""
    if not behaviours or reached_by(outcome) is None:
        return {}
    sql = lift_sql(dataset, behaviours, outcome, grain)
    with store.events(dataset) as cur:
        try:
            rows = cur.execute(sql).fetchall()
        except duckdb.Error as err:
            raise NorthstarError(_("User-level lift query failed"), str(err).splitlines()[0]) from None
    out: dict[str, tuple[Cell, ...]] = {}
    for i, behaviour in enumerate(behaviours):
        out[behaviour.name] = tuple(
            Cell(int(row[0]), *(int(v) for v in row[1 + 4 * i: 5 + 4 * i])) for row in rows)
    return out
