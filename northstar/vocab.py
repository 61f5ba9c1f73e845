"""Northstar's shared words, defined once: grains, metric kinds and roles, column roles, verdict kinds.

Each is a `StrEnum`, so a member equals its plain string (`Grain.WEEK == "week"`) and the YAML, the
CLI and the stored specs keep using the plain words. Per-grain facts (SQL step, pandas frequency,
default max lag) live in one table, `GRAIN_INFO`, rather than as literals in every module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd


class Grain(StrEnum):
    """The period a metric is computed over."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class GrainInfo:
    """What each part of Northstar needs to know about one grain."""

    sql_step: str            # DuckDB interval from one period to the next
    seconds: int | None      # length of a period in seconds, None when it varies (months)
    grid_freq: str           # pandas frequency of the period grid (weeks start on Monday)
    default_max_lag: int     # the longest lead tested unless told otherwise
    offset: pd.DateOffset    # one period, for pandas date arithmetic


GRAIN_INFO: dict[str, GrainInfo] = {
    Grain.DAY: GrainInfo("INTERVAL 1 DAY", 86_400, "D", 28, pd.DateOffset(days=1)),
    Grain.WEEK: GrainInfo("INTERVAL 1 WEEK", 604_800, "7D", 12, pd.DateOffset(weeks=1)),
    Grain.MONTH: GrainInfo("INTERVAL 1 MONTH", None, "MS", 6, pd.DateOffset(months=1)),
}
GRAINS: tuple[str, ...] = tuple(g.value for g in Grain)
DEFAULT_GRAIN = Grain.WEEK
# The longest lead anyone may ask for: two years of weeks; no dataset we meet is long enough beyond.
MAX_LAG_LIMIT = 104


class MetricRole(StrEnum):
    """What a metric is for: a candidate NSM, or the business outcome candidates are tested against."""

    CANDIDATE = "candidate"
    OUTCOME = "outcome"


METRIC_ROLES: tuple[str, ...] = tuple(r.value for r in MetricRole)


class MetricKind(StrEnum):
    """The kinds of metric a spec can declare."""

    ACTIVE_USERS = "active_users"
    TRANSACTIONS = "transactions"
    REVENUE = "revenue"
    MRR = "mrr"
    LTV = "ltv"
    ENGAGEMENT = "engagement"
    NPS = "nps"
    RETURNING_USERS = "returning_users"
    RETENTION = "retention"
    CUSTOM = "custom"


class ColumnRole(StrEnum):
    """What a source column holds, whatever the export called it."""

    USER = "user_id"
    TIMESTAMP = "timestamp"
    EVENT = "event"
    AMOUNT = "amount"
    DURATION = "duration"
    NPS = "nps_score"


class LeadKind(StrEnum):
    """The verdict on one candidate against one outcome, in ranking order (best first)."""

    LEADING = "leading"
    COINCIDENT = "coincident"
    ECHO = "echo"  # leads alone, but adds nothing beyond a stronger leader it moves with
    PART_OF_OUTCOME = "part_of_outcome"
    NONE = "none"
    VANITY = "vanity"
    TOO_SHORT = "too_short"


KIND_ORDER: tuple[str, ...] = tuple(k.value for k in LeadKind)
LINKED_KINDS: tuple[str, ...] = (LeadKind.LEADING, LeadKind.COINCIDENT)



# Events that are a sale when a file has no money column: their count is the "Orders" outcome.
PURCHASE_EVENT = re.compile(r"purchas|order|checkout|transaction|payment|subscri|invoice|buy|sale",
                            re.IGNORECASE)


def purchase_events(events: Iterable[str]) -> tuple[str, ...]:
    """The purchase-like names among `events` (in their order); no other event is guessed."""
    return tuple(e for e in events if e and PURCHASE_EVENT.search(str(e)))
