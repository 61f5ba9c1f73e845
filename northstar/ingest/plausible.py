"""Timestamps that cannot be real events are left out at load, counted in a note (never stored silently).

The rule, in order:
1. before 1990-01-01: epoch zero (1970-01-01), Excel's day zero (1899-12-30) and other empty dates
   that a tool wrote as a number; no product analytics export has events that old;
2. more than a day after the load: an event cannot happen after its export (a day of slack for time
   zones and clocks; what lies in that day is kept and the health check reports it);
3. far outside the bulk, when there are at least 100 events: with P1 and P99 the 1st and 99th
   percentiles (approximate) and W = max(P99 - P1, 30 days), a timestamp before P1 - 2W or after P99 + 2W (a
   year typed wrong, 2004 in a 2024 file). A long but real history is kept: its bulk is long too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from northstar.i18n import lazy
from northstar.store import fetch_one

EARLIEST = datetime(1990, 1, 1)
FUTURE_SLACK = timedelta(days=1)
BULK_MIN_EVENTS = 100
BULK_LOW, BULK_HIGH = 0.01, 0.99
BULK_MIN_WIDTH = timedelta(days=30)
BULK_WIDTHS = 2


@dataclass(frozen=True)
class Implausible:
    """How many events each rule left out, with an example or three of each, and the bulk's bounds."""

    before: int = 0
    after: int = 0
    outliers: int = 0
    low: datetime | None = None
    high: datetime | None = None
    examples: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())

    @property
    def total(self) -> int:
        return self.before + self.after + self.outliers

    def as_dict(self) -> dict[str, object]:
        return {"before_1990": self.before, "after_load": self.after, "outside_bulk": self.outliers,
                "low": self.low.isoformat(sep=" ") if self.low else None,
                "high": self.high.isoformat(sep=" ") if self.high else None}

    def notes(self) -> list[str]:
        early, late, far = (", ".join(e) for e in self.examples)
        notes: list[str] = []
        if self.before:
            notes.append(lazy.ngettext(
                "{n} event left out: its timestamp is before 1990, a zero or placeholder date "
                "(e.g. {examples})",
                "{n} events left out: their timestamps are before 1990, zero or placeholder dates "
                "(e.g. {examples})", self.before, examples=early))
        if self.after:
            notes.append(lazy.ngettext(
                "{n} event left out: its timestamp is more than a day after the load (e.g. {examples})",
                "{n} events left out: their timestamps are more than a day after the load "
                "(e.g. {examples})", self.after, examples=late))
        if self.outliers and self.low and self.high:
            notes.append(lazy.ngettext(
                "{n} event left out: its timestamp lies far outside the bulk of the data, "
                "{low} to {high} (e.g. {examples})",
                "{n} events left out: their timestamps lie far outside the bulk of the data, "
                "{low} to {high} (e.g. {examples})", self.outliers, examples=far,
                low=self.low.strftime("%Y-%m-%d"), high=self.high.strftime("%Y-%m-%d")))
        return notes


def drop_implausible(cur: duckdb.DuckDBPyConnection, table: str, loaded_at: datetime) -> Implausible:
    """Delete the rows of `table` (typed events, column `ts`) whose time breaks the rule above."""
    edges = {"earliest": EARLIEST, "latest": loaded_at + FUTURE_SLACK}
    inside = "ts BETWEEN $earliest AND $latest"
    # One scan for the usual case (nothing to leave out): the span and the bulk's percentiles
    # (approximate: a t-digest, not a sort of the whole column).
    cur.execute(f"SELECT min(ts), max(ts), count(*) FILTER ({inside}), "
                f"approx_quantile(ts, {BULK_LOW}) FILTER ({inside}), "
                f"approx_quantile(ts, {BULK_HIGH}) FILTER ({inside}) FROM {table}", edges)
    first, last, plausible, p_low, p_high = fetch_one(cur)
    low, high = edges["earliest"], edges["latest"]
    if plausible >= BULK_MIN_EVENTS and p_low is not None:
        width = max(p_high - p_low, BULK_MIN_WIDTH) * BULK_WIDTHS
        low, high = max(low, p_low - width), min(high, p_high + width)
    if first is None or (low <= first and last <= high):
        return Implausible()
    rules = ("ts < $earliest", "ts > $latest", f"{inside} AND (ts < $low OR ts > $high)")
    shown = "strftime(ts, '%Y-%m-%d %H:%M:%S')"
    cur.execute("SELECT " + ", ".join(
        f"count(*) FILTER ({rule}), list(DISTINCT {shown} ORDER BY {shown}) FILTER ({rule})[1:3]"
        for rule in rules) + f" FROM (SELECT ts FROM {table} WHERE ts < $low OR ts > $high)",
        {**edges, "low": low, "high": high})
    found = fetch_one(cur)
    counts = [int(found[i] or 0) for i in (0, 2, 4)]
    if not sum(counts):
        return Implausible()
    cur.execute(f"DELETE FROM {table} WHERE ts IS NOT NULL AND (ts < $low OR ts > $high)",
                {"low": low, "high": high})
    early, late, far = (tuple(repr(e) for e in (found[i] or ())) for i in (1, 3, 5))
    return Implausible(counts[0], counts[1], counts[2], low=low if counts[2] else None,
                       high=high if counts[2] else None, examples=(early, late, far))
