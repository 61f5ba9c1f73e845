"""What the lead statistics mean for one candidate: its kind, and a plain-language sentence saying so."""

from __future__ import annotations

from typing import TypeGuard

from babel.numbers import get_decimal_symbol

from northstar.i18n import N_, _, language, number
from northstar.wording import periods

# Best first. A metric made of the outcome's own events ranks after real leaders and coincident metrics
# however good its numbers; a vanity metric ranks below "none" because its trend invites false hope.
VANITY_LEVELS_R = 0.7
# The weakest r on changes called a link: r = 0.3 explains a tenth of the outcome's changes. Below it a
# link is too weak to steer by, however significant; on long series (days over years) r = 0.15 can
# pass the test.
MIN_LINK_R = 0.3
# Whole sentences per grain (marked for the catalog; translated where they are said).
COINCIDENT = {"day": N_("moves with {outcome} on the same day: coincident, no early warning ({evidence})"),
              "week": N_("moves with {outcome} in the same week: coincident, no early warning ({evidence})"),
              "month": N_("moves with {outcome} in the same month: coincident, no early warning "
                          "({evidence})")}
SAME_PERIOD = {"day": N_("on the same day"), "week": N_("in the same week"), "month": N_("in the same month")}
CHANGES = {
    ("day", "diff"): N_("day-over-day changes"), ("week", "diff"): N_("week-over-week changes"),
    ("month", "diff"): N_("month-over-month changes"),
    ("day", "log_diff"): N_("day-over-day percentage changes"),
    ("week", "log_diff"): N_("week-over-week percentage changes"),
    ("month", "log_diff"): N_("month-over-month percentage changes"),
    ("day", "detrend"): N_("deviations from the daily trend"),
    ("week", "detrend"): N_("deviations from the weekly trend"),
    ("month", "detrend"): N_("deviations from the monthly trend"),
}


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


def significant(value: float) -> str:
    """Two significant digits with the locale's decimal mark: 0.034 / 0,034 (as `f"{value:.2g}"`)."""
    text = f"{value:.2g}"
    return text if language() == "en" else text.replace(".", get_decimal_symbol(language()))


def format_r(r: float) -> str:
    """A correlation with two decimals in the locale's form: 0.62 / 0,62."""
    return f"{r:.2f}" if language() == "en" else number(r, 2)


def format_p(p: float) -> str:
    """`p < 0.001` below a thousandth, else two significant digits: `p = 0.02`, `p = 0.0034`."""
    return _("p < {limit}", limit=number(0.001, 3)) if p < 0.001 else _("p = {p}", p=significant(p))


def changes_phrase(grain: str, transform: str) -> str:
    """What the correlations were computed on, e.g. "week-over-week changes"."""
    return _(CHANGES[(grain, transform)])


def _evidence(r: float, p: float, grain: str, transform: str) -> str:
    return _("r = {r} on {changes}, {p}", r=format_r(r), changes=changes_phrase(grain, transform),
             p=format_p(p))


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
    """One sentence per kind, in the current language; the numbers quoted are the ones the kind was
    decided on. `outcome` is the name people see (metrics.display_name)."""
    if kind == "too_short":
        return _("not enough data: {span}, need at least {needed} (3 × max lag + 10)",
                 span=periods(n_periods, grain), needed=number(needed))
    if kind == "part_of_outcome":
        return _("part of {outcome} itself: built from its own events, so it cannot give early warning",
                 outcome=outcome)
    if kind in ("leading", "coincident") and corr_changes is not None and p_value is not None:
        evidence = _evidence(corr_changes, p_value, grain, transform)
        if kind == "leading" and best_lag is not None:
            return _("leads {outcome} by {span} ({evidence})", outcome=outcome,
                     span=periods(best_lag, grain), evidence=evidence)
        return _(COINCIDENT[grain], outcome=outcome, evidence=evidence)
    if kind == "vanity" and corr_levels is not None:
        return _("moves with {outcome} only in its trend: likely a vanity metric (r = {r} on levels)",
                 outcome=outcome, r=format_r(corr_levels))
    if kind == "none" and corr_changes is not None and _significant(p_value, alpha):
        evidence = _evidence(corr_changes, p_value, grain, transform)
        if q_value is not None and q_value >= alpha and corr_changes >= MIN_LINK_R:
            return _("no reliable link to {outcome}: with this many candidates and lags tried, a link this "
                     "strong is expected by chance ({evidence}, q = {q})", outcome=outcome,
                     evidence=evidence, q=significant(q_value))
        return _("a link to {outcome} too weak to steer by ({evidence}; r below {min_r})", outcome=outcome,
                 evidence=evidence, min_r=number(MIN_LINK_R, 1))
    return _("no reliable link to {outcome} in {changes}", outcome=outcome,
             changes=changes_phrase(grain, transform))
