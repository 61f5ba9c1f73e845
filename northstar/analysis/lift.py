"""User-level lift: of the active users in a period, did those who did the behaviour reach the outcome
(a purchase, still active...) within the lag more often than those who did not? Rates, lift with a
95% interval, PPV and NPV, pooled over strata of prior activity (Mantel-Haenszel) so that heavy users
do not make every behaviour look predictive.

The counts come from the events (a per-user query, not yet wired in); these are the statistics on them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from statsmodels.stats.contingency_tables import Table2x2

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Counts:
    """One stratum's 2×2 table of active users."""

    did_reached: int
    did_not_reached: int  # did the behaviour, did not reach the outcome
    not_did_reached: int
    not_did_not_reached: int

    def table(self) -> np.ndarray:
        return np.array([[self.did_reached, self.did_not_reached],
                         [self.not_did_reached, self.not_did_not_reached]], dtype=float)


@dataclass(frozen=True)
class Lift:
    rate_did: float  # share of those who did it reaching the outcome: the PPV
    rate_not: float  # share of those who did not reaching it
    lift: float | None  # rate_did / rate_not, pooled over strata
    low: float | None  # 95% interval of the lift
    high: float | None
    ppv: float
    npv: float  # share of those who did not do it who did not reach the outcome
    users_did: int
    users_not: int


def _greenland_robins(tables: Sequence[np.ndarray]) -> tuple[float, float] | None:
    """Mantel-Haenszel risk ratio and the Greenland-Robins variance of its log (statsmodels pools the
    ratio but gives no interval for it)."""
    numerator = denominator = variance = 0.0
    weights_did = weights_not = 0.0
    for t in tables:
        (a, b), (c, d) = t
        n1, n0, total = a + b, c + d, a + b + c + d
        if total == 0:
            continue
        numerator += a * n0 / total
        denominator += c * n1 / total
        variance += (n1 * n0 * (a + c) - a * c * total) / total**2
        weights_did += a * n0 / total
        weights_not += c * n1 / total
    if numerator <= 0 or denominator <= 0:
        return None
    return numerator / denominator, variance / (weights_did * weights_not)


def user_lift(strata: Sequence[Counts]) -> Lift:
    """Rates, PPV/NPV over all strata together; the lift and its 95% interval pooled over the strata
    (one stratum: the plain risk ratio with its log-normal interval)."""
    tables = [s.table() for s in strata]
    total = np.sum(tables, axis=0)
    (a, b), (c, d) = total
    did, not_did = a + b, c + d
    rate_did = a / did if did else math.nan
    rate_not = c / not_did if not_did else math.nan
    lift = low = high = None
    if len(tables) == 1 and a > 0 and c > 0 and did and not_did:
        single = Table2x2(tables[0])
        lift = float(single.riskratio)
        low, high = (float(v) for v in single.riskratio_confint())
    elif len(tables) > 1:
        pooled = _greenland_robins(tables)
        if pooled is not None:
            lift, variance = pooled
            se = math.sqrt(max(variance, 0.0))
            low, high = lift * math.exp(-Z_95 * se), lift * math.exp(Z_95 * se)
    return Lift(rate_did=float(rate_did), rate_not=float(rate_not), lift=lift, low=low, high=high,
                ppv=float(rate_did), npv=float(d / not_did) if not_did else math.nan,
                users_did=int(did), users_not=int(not_did))


def lift_sentence(lift: Lift, behaviour: str, outcome: str, within: str) -> str:
    """What a PM can repeat: "Users who did X were 3.0× as likely to Y within 3 weeks (95%: 1.6-5.8)"."""
    if lift.lift is None or lift.low is None or lift.high is None:
        return f"Too few users to compare those who did {behaviour} with those who did not."
    return (f"Users who did {behaviour} were {lift.lift:.1f}× as likely to {outcome} within {within} "
            f"as active users who did not ({lift.rate_did:.0%} vs {lift.rate_not:.0%}; 95% interval "
            f"{lift.low:.1f}–{lift.high:.1f}×).")
