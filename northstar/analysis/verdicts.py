"""What the lead statistics mean for one candidate: its kind, and a plain-language sentence saying so."""

from __future__ import annotations

from typing import TypeGuard

from northstar.wording import plural

# Best first. A metric made of the outcome's own events ranks after real leaders and coincident metrics
# however good its numbers; a vanity metric ranks below "none" because its trend invites false hope.
VANITY_LEVELS_R = 0.7
# The weakest r on changes called a link: r = 0.3 explains a tenth of the outcome's changes. Below it a
# link is too weak to steer by, however significant; on long series (days over years) r = 0.15 can
# pass the test.
MIN_LINK_R = 0.3
SAME_PERIOD = {"day": "on the same day", "week": "in the same week", "month": "in the same month"}
PER_PERIOD = {"day": "daily", "week": "weekly", "month": "monthly"}


def classify(
    n_periods: int,
    needed: int,
    part_of_outcome: bool,
    best_lag: int | None,
    p_value: float | None,
    corr_changes: float | None,
    corr_levels: float | None,
    alpha: float,
    q_value: float | None = None,
) -> str:
    """The kind of candidate, one of KIND_ORDER. A link needs p < alpha and, when a q (false-discovery
    rate over every candidate and lag of the comparison) is given, q < alpha too."""
    # Being built from the outcome's events is a fact about the definition, true however long the data.
    if part_of_outcome:
        return "part_of_outcome"
    if n_periods < needed:
        return "too_short"
    discovered = q_value is None or q_value < alpha
    strong = (corr_changes or 0) >= MIN_LINK_R
    if _significant(p_value, alpha) and discovered and best_lag is not None and strong:
        return "leading" if best_lag >= 1 else "coincident"
    # Only a positive trend match flatters a metric; one falling as the outcome grows is no vanity.
    if corr_levels is not None and corr_levels >= VANITY_LEVELS_R:
        return "vanity"
    return "none"


def _significant(p_value: float | None, alpha: float) -> TypeGuard[float]:
    # A TypeGuard: where this is true, the p-value is known to be a number.
    return p_value is not None and p_value < alpha


def format_p(p: float) -> str:
    """`p < 0.001` below a thousandth, else two significant digits: `p = 0.02`, `p = 0.0034`."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def changes_phrase(grain: str, transform: str) -> str:
    """What the correlations were computed on, e.g. "week-over-week changes"."""
    if transform == "detrend":
        return f"deviations from the {PER_PERIOD[grain]} trend"
    over = f"{grain}-over-{grain}"
    return f"{over} % changes" if transform == "log_diff" else f"{over} changes"


def _evidence(r: float, p: float, grain: str, transform: str) -> str:
    return f"r = {r:.2f} on {changes_phrase(grain, transform)}, {format_p(p)}"


def verdict(
    kind: str,
    *,
    outcome: str,
    grain: str,
    transform: str,
    n_periods: int,
    needed: int,
    best_lag: int | None,
    corr_changes: float | None,
    p_value: float | None,
    corr_levels: float | None,
    alpha: float = 0.05,
    q_value: float | None = None,
) -> str:
    """One sentence per kind; the numbers quoted are the ones the kind was decided on."""
    if kind == "too_short":
        return f"not enough data: {plural(n_periods, grain)}, need at least {needed} (3 × max lag + 10)"
    if kind == "part_of_outcome":
        return f"part of {outcome} itself: built from its own events, so it cannot give early warning"
    if kind in ("leading", "coincident") and corr_changes is not None and p_value is not None:
        evidence = _evidence(corr_changes, p_value, grain, transform)
        if kind == "leading" and best_lag is not None:
            return f"leads {outcome} by {plural(best_lag, grain)} ({evidence})"
        return f"moves with {outcome} {SAME_PERIOD[grain]}: coincident, no early warning ({evidence})"
    if kind == "vanity" and corr_levels is not None:
        levels = f"r = {corr_levels:.2f} on levels"
        return f"moves with {outcome} only in its trend: likely a vanity metric ({levels})"
    if kind == "none" and corr_changes is not None and _significant(p_value, alpha):
        evidence = _evidence(corr_changes, p_value, grain, transform)
        if q_value is not None and q_value >= alpha and corr_changes >= MIN_LINK_R:
            return (f"no reliable link to {outcome}: with this many candidates and lags tried, "
                    f"a link this strong is expected by chance ({evidence}, q = {q_value:.2g})")
        return f"a link to {outcome} too weak to steer by ({evidence}; r below {MIN_LINK_R})"
    return f"no reliable link to {outcome} in {changes_phrase(grain, transform)}"
