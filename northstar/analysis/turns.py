"""Backtest of turns: the outcome's turning points in history, and whether a candidate turned the same
way some periods earlier ("turned 3 weeks before 4 of the 5 dips in Revenue").

Turning points are the peaks and dips of the smoothed level series (a centred 3-period mean) that the
series then moves away from by at least a minimum size (a zigzag): TURN_NOISE times the period-to-period
noise of the raw series, estimated from what the smoothing takes out, and at least MIN_SHARE of the
smoothed series' range. A wobble smaller than that is no turn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from northstar.i18n import _, ngettext
from northstar.wording import periods

SMOOTH = 3
TURN_NOISE = 4.0
MIN_SHARE = 0.02
# Var(x − centred 3-mean of x) = 2/3 σ² for white noise of sd σ.
RESIDUAL_FACTOR = math.sqrt(2 / 3)
@dataclass(frozen=True)
class Turn:
    position: int  # index into the series (0 = its first period)
    period: pd.Timestamp | int
    kind: str  # "peak" or "dip"


@dataclass(frozen=True)
class TurnMatch:
    turn: Turn  # the outcome's
    lead: int | None  # periods earlier the candidate turned the same way (1..max_lag), None: it did not


@dataclass(frozen=True)
class TurnBacktest:
    metric: str
    outcome: str
    grain: str
    matches: tuple[TurnMatch, ...]

    def of(self, kind: str) -> tuple[TurnMatch, ...]:
        return tuple(m for m in self.matches if m.turn.kind == kind)

    def before(self, kind: str) -> int:
        return sum(m.lead is not None for m in self.of(kind))

    def median_lead(self, kind: str) -> int | None:
        leads = [m.lead for m in self.of(kind) if m.lead is not None]
        return int(round(float(np.median(leads)))) if leads else None


def smoothed(levels: pd.Series) -> pd.Series:
    return levels.rolling(SMOOTH, center=True, min_periods=1).mean()


def min_turn_size(levels: pd.Series) -> float:
    """How far the smoothed series must move back before an extreme counts as a turn."""
    values = levels.astype(float)
    smooth = smoothed(values)
    residual = (values - smooth).iloc[1:-1]
    noise = float(residual.std()) / RESIDUAL_FACTOR if len(residual) > 2 else 0.0
    spread = float(smooth.max() - smooth.min()) if len(smooth) else 0.0
    size = max(TURN_NOISE * (noise if math.isfinite(noise) else 0.0), MIN_SHARE * spread)
    return size if size > 0 else math.inf


def turning_points(levels: pd.Series) -> list[Turn]:
    """Peaks and dips of the smoothed series, each followed by a move back of at least min_turn_size.
    The last extreme is not a turn until the series has moved back from it."""
    values = levels.dropna().astype(float)
    if len(values) < SMOOTH + 2:
        return []
    size = min_turn_size(values)
    x = smoothed(values).to_numpy()
    turns: list[Turn] = []
    direction = 0  # +1 rising (looking for a peak), -1 falling (looking for a dip), 0 not yet known
    high = low = 0  # positions of the highest and lowest points since the last turn

    def add(position: int, kind: str) -> None:
        turns.append(Turn(position, values.index[position], kind))

    for i in range(1, len(x)):
        if x[i] > x[high]:
            high = i
        if x[i] < x[low]:
            low = i
        if direction >= 0 and x[high] - x[i] >= size:
            # Before the first turn a fall from the start is no peak: the series must have risen to it.
            if direction > 0 or (high > low and x[high] - x[low] >= size):
                add(high, "peak")
            direction, low = -1, high + int(np.argmin(x[high:i + 1]))
        elif direction <= 0 and x[i] - x[low] >= size:
            if direction < 0 or (low > high and x[high] - x[low] >= size):
                add(low, "dip")
            direction, high = 1, low + int(np.argmax(x[low:i + 1]))
    return turns


def backtest(candidate: pd.Series, outcome: pd.Series, *, metric: str, outcome_name: str, grain: str,
             max_lag: int) -> TurnBacktest:
    """For each turn of `outcome`, how many periods (1..max_lag) before it `candidate` turned the same
    way (its nearest such turn), on the periods both have."""
    both = pd.concat({"c": candidate, "o": outcome}, axis=1).dropna()
    c_turns = turning_points(both["c"])
    matches = []
    for turn in turning_points(both["o"]):
        earlier = [turn.position - t.position for t in c_turns
                   if t.kind == turn.kind and 1 <= turn.position - t.position <= max_lag]
        matches.append(TurnMatch(turn, min(earlier) if earlier else None))
    return TurnBacktest(metric=metric, outcome=outcome_name, grain=grain, matches=tuple(matches))


def turns_sentence(test: TurnBacktest, metric: str, outcome: str) -> str:
    """"Turned a median of 3 weeks before 4 of the 5 dips in Revenue, and before 3 of the 4 peaks.",
    naming the metrics as given (the names people see)."""
    parts = []
    for kind in ("dip", "peak"):
        total = len(test.of(kind))
        if not total:
            continue
        before, lead = test.before(kind), test.median_lead(kind)
        span = periods(lead, test.grain) if lead is not None else ""
        if lead is None and kind == "dip":
            parts.append(ngettext("did not turn before the {n} dip in {outcome}",
                                  "did not turn before any of the {n} dips in {outcome}", total,
                                  outcome=outcome))
        elif lead is None:
            parts.append(ngettext("did not turn before the {n} peak in {outcome}",
                                  "did not turn before any of the {n} peaks in {outcome}", total,
                                  outcome=outcome))
        elif kind == "dip":
            parts.append(ngettext("turned {span} before {before} of the {n} dip in {outcome} (median)",
                                  "turned {span} before {before} of the {n} dips in {outcome} (median)",
                                  total, span=span, before=before, outcome=outcome))
        else:
            parts.append(ngettext("turned {span} before {before} of the {n} peak in {outcome} (median)",
                                  "turned {span} before {before} of the {n} peaks in {outcome} (median)",
                                  total, span=span, before=before, outcome=outcome))
    if not parts:
        return _("{outcome} has no turn large enough to backtest {metric} on.", outcome=outcome,
                 metric=metric)
    return _("{metric} {first}.", metric=metric, first=parts[0]) if len(parts) == 1 else _(
        "{metric} {first}; it {second}.", metric=metric, first=parts[0], second=parts[1])


def backtests(series: Sequence[tuple[str, pd.Series]], outcome: pd.Series, outcome_name: str, grain: str,
              max_lag: int) -> dict[str, TurnBacktest]:
    return {name: backtest(values, outcome, metric=name, outcome_name=outcome_name, grain=grain,
                           max_lag=max_lag) for name, values in series}
