"""What each candidate adds beyond the leaders already found (a greedy, conditional ranking), and
whether a lead holds out on periods it was not fitted on.

The marginal statistics (lead.py) test each candidate alone. When one behaviour leads strongly, every
metric that moves with it looks like a leader too, and a weaker true leader can be drowned out. So after
the strongest leader, each further candidate is tested on its lagged changes in an OLS of the outcome's
changes on the leaders chosen so far (HAC/Newey-West standard errors, since changes are autocorrelated,
or the plain OLS ones where those are wider); the best addition whose Benjamini-Hochberg q over all
candidates x lags stays below alpha joins, and so on. A marginal leader that adds nothing is an "echo"
of the chosen leader it moves with most.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

from northstar.analysis.lead import SCALE_WINDOW, LeadResult, _local_variance
from northstar.analysis.verdicts import MIN_LINK_R, format_p, format_r, significant
from northstar.i18n import N_, _, percent
from northstar.wording import joined, periods

log = logging.getLogger(__name__)

# At most this many leaders are chosen greedily: beyond a few, each extra one explains little.
MAX_LEADERS = 4
# Share of the periods the holdout model is fitted on; it forecasts the rest.
HOLDOUT_FIT = 0.7
# Fewest periods each side of the holdout split.
MIN_HOLDOUT = 8
# A leader whose forecasts did no better on the periods it was not fitted on, per grain.
NO_HOLDOUT = {
    "day": N_("{verdict}; but it did not hold out: fitted on the first {share} of days, it made "
              "forecasts of the rest no better"),
    "week": N_("{verdict}; but it did not hold out: fitted on the first {share} of weeks, it made "
               "forecasts of the rest no better"),
    "month": N_("{verdict}; but it did not hold out: fitted on the first {share} of months, it made "
                "forecasts of the rest no better"),
}


@dataclass(frozen=True)
class Addition:
    metric: str
    lag: int
    coefficient: float
    p_value: float  # one-sided (a positive coefficient), the wider of the HAC and plain standard errors
    partial_r: float  # the term's partial correlation with the outcome's changes, given the others


def _hac_lags(n: int) -> int:
    """Newey-West's rule of thumb for the number of lags in the HAC covariance."""
    return max(1, int(4 * (n / 100) ** (2 / 9)))


def _standardised(changes: pd.Series) -> pd.Series:
    """Changes less their local mean, over their local scale (a centred rolling mean and sd): in a
    growing product late changes are larger in every series at once, which would otherwise make
    unrelated counts look linked.

    The local mean comes off first. Changes that drift (a trend of +5 a week) divided by a scale that
    wanders by chance get a mean that wanders with 1 / scale, which the regression's constant cannot
    take up: two such series then "explain" each other. On null data a slow drift joined an unrelated
    first leader with conditional p < 0.001 while its own r at that lag was -0.04 (p = 0.997).
    """
    local_mean = changes.rolling(SCALE_WINDOW, center=True, min_periods=SCALE_WINDOW // 2).mean()
    centred = changes - local_mean.bfill().ffill()
    scale = np.sqrt(_local_variance(centred))
    return centred / np.where(scale > 0, scale, np.nan)


def _design(changes: Mapping[str, pd.Series], outcome: pd.Series, terms: list[tuple[str, int]],
            standardise: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Outcome changes and a constant plus each (metric, lag) term, on the periods where all are known,
    each series standardised by its local scale (for the tests) or as recorded (for forecasts)."""
    scaled = _standardised if standardise else (lambda series: series)
    target = scaled(outcome)
    series = [(scaled(changes[metric]), lag) for metric, lag in terms]
    if all(s.index.equals(target.index) for s, _lag in series):
        # The usual case, every series on the outcome's periods: shift positions in numpy (this runs
        # for every candidate x lag of every greedy round, and pandas' concat would dominate Compare).
        stacked = np.column_stack([target.to_numpy(float),
                                   *(_shifted(s.to_numpy(float), lag) for s, lag in series)])
    else:
        columns = [s.shift(lag).rename(f"{i}@{lag}") for i, (s, lag) in enumerate(series)]
        stacked = pd.concat([target.rename("__y"), *columns], axis=1).to_numpy(float)
    stacked = stacked[~np.isnan(stacked).any(axis=1)]
    return stacked[:, 0], sm.add_constant(stacked[:, 1:], has_constant="add")


def _shifted(values: np.ndarray, lag: int) -> np.ndarray:
    """`values` moved `lag` positions later, NaN in front: pandas' shift on a plain array."""
    if lag <= 0:
        return values
    return np.concatenate([np.full(min(lag, len(values)), np.nan), values[: max(len(values) - lag, 0)]])


def _fit(y: np.ndarray, x: np.ndarray) -> tuple[float, float, float] | None:
    """The last term's coefficient, its one-sided p (positive) with the wider of the HAC and the plain
    OLS standard errors, and its partial correlation (from the plain OLS t: t / √(t² + df))."""
    if len(y) < x.shape[1] + 10 or np.ptp(x[:, -1]) == 0:
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            ols = sm.OLS(y, x).fit()  # one fit: the plain t from it, the HAC t from its residuals
            fit = ols.get_robustcov_results(cov_type="HAC", maxlags=_hac_lags(len(y)))
        except (ValueError, np.linalg.LinAlgError):
            return None
    hac, df = float(fit.tvalues[-1]), max(len(y) - x.shape[1], 1)
    plain = float(ols.tvalues[-1])
    if not (math.isfinite(hac) and math.isfinite(plain)):
        return None
    # HAC widens the standard error for autocorrelation; in short series it can also narrow it by
    # chance (a smooth drift against changes that swing back: plain t 2.6, HAC t 4.5 on null data),
    # which would promote noise. The wider of the two standard errors is taken.
    t = math.copysign(min(abs(hac), abs(plain)), plain)
    return float(fit.params[-1]), float(stats.t.sf(t, df=df)), plain / math.sqrt(plain**2 + df)


def additions(changes: Mapping[str, pd.Series], outcome: pd.Series, chosen: list[tuple[str, int]],
              candidates: list[str], max_lag: int) -> list[tuple[Addition, float]]:
    """Every candidate x lag 1..max_lag tested on what it adds to `chosen`, with its BH q over them all."""
    tested: list[Addition] = []
    # Each series is standardised once per round, not once per candidate × lag it appears in.
    scaled = {metric: _standardised(changes[metric]) for metric in {*candidates, *(m for m, _lag in chosen)}}
    scaled_outcome = _standardised(outcome)
    for metric in candidates:
        for lag in range(1, max_lag + 1):
            found = _fit(*_design(scaled, scaled_outcome, [*chosen, (metric, lag)], standardise=False))
            if found is not None:
                tested.append(Addition(metric, lag, *found))
    if not tested:
        return []
    q_values = multipletests([a.p_value for a in tested], method="fdr_bh")[1]
    return list(zip(tested, (float(q) for q in q_values), strict=True))


def greedy_leaders(changes: Mapping[str, pd.Series], outcome: pd.Series, first: tuple[str, int],
                   candidates: list[str], max_lag: int, alpha: float = 0.05
                   ) -> list[tuple[str, int, float | None, float | None]]:
    """The leaders in the order chosen: (metric, lag, conditional p, its q); the first is given."""
    chosen = [first]
    found: list[tuple[str, int, float | None, float | None]] = [(*first, None, None)]
    while len(chosen) < MAX_LEADERS:
        left = [m for m in candidates if m not in {c for c, _lag in chosen}]
        tried = [(a, q) for a, q in additions(changes, outcome, chosen, left, max_lag)
                 if q < alpha and a.coefficient > 0 and a.partial_r >= MIN_LINK_R]
        # A further leader must also improve forecasts of periods it was not fitted on.
        holding = [(a, q) for a, q in sorted(tried, key=lambda pair: (pair[0].p_value, pair[0].metric))
                   if (holdout_skill(changes, outcome, chosen, (a.metric, a.lag)) or 0) > 0]
        if not holding:
            break
        best, q = holding[0]
        chosen.append((best.metric, best.lag))
        found.append((best.metric, best.lag, best.p_value, q))
        log.debug("chosen %s at lag %d: partial r %.2f", best.metric, best.lag, best.partial_r)
    return found


def holdout_skill(changes: Mapping[str, pd.Series], outcome: pd.Series, base: list[tuple[str, int]],
                  term: tuple[str, int]) -> float | None:
    """1 − squared error with the term / without it, forecasting the outcome's changes over the last 30%
    of periods from OLS fitted on the first 70%; above 0: the term helps on periods it never saw."""
    y, x = _design(changes, outcome, [*base, term], standardise=False)
    split = int(len(y) * HOLDOUT_FIT)
    if split < MIN_HOLDOUT + x.shape[1] or len(y) - split < MIN_HOLDOUT:
        return None
    errors = []
    for design in (x[:, :-1], x):
        coefficients = np.linalg.lstsq(design[:split], y[:split], rcond=None)[0]
        errors.append(float(((y[split:] - design[split:] @ coefficients) ** 2).sum()))
    without, with_term = errors
    return 1 - with_term / without if without > 0 else None


def _echo_of(changes: Mapping[str, pd.Series], metric: str, lag: int, leaders: list[tuple[str, int]]) -> str:
    """The chosen leader whose lagged changes the candidate's lagged changes move with most."""
    def r(leader: tuple[str, int]) -> float:
        pair = pd.concat([changes[metric].shift(lag), changes[leader[0]].shift(leader[1])], axis=1).dropna()
        value = pair.corr().iloc[0, 1] if len(pair) > 2 else math.nan
        return float(value) if math.isfinite(value) else -math.inf
    return max(leaders, key=r)[0]


def condition(results: list[LeadResult], changes: Mapping[str, pd.Series], outcome: pd.Series,
              max_lag: int, alpha: float = 0.05, labels: Mapping[str, str] | None = None) -> list[LeadResult]:
    """The results with conditional leaders, echoes and holdout skill, in ranking order; verdicts name
    metrics by `labels` (name → the name people see) where given."""
    def label(metric: str) -> str:
        return (labels or {}).get(metric, metric)

    leading = [r for r in results if r.kind == "leading" and r.best_lag]
    if not leading:
        return results
    first = leading[0]  # results come ranked: the strongest marginal leader
    # A twin of the first leader (the same series) would only make the fits rank-deficient: it takes the
    # leader's verdict below.
    pool = [r.metric for r in results
            if r.metric != first.metric and r.kind not in ("part_of_outcome", "too_short")
            and r.metric in changes and not _same(changes, r.metric, first.metric)]
    order = greedy_leaders(changes, outcome, (first.metric, first.best_lag or 1), pool, max_lag, alpha)
    leaders = [(metric, lag) for metric, lag, _p, _q in order]
    by_name = {r.metric: r for r in results}
    out: dict[str, LeadResult] = {}
    for rank, (metric, lag, p, q) in enumerate(order):
        result = by_name[metric]
        skill = holdout_skill(changes, outcome, leaders[:rank], (metric, lag))
        if rank:
            before = joined([label(m) for m, _lag in leaders[:rank]])
            r = result.xcorr[lag] if lag < len(result.xcorr) else math.nan
            result = replace(result, kind="leading", best_lag=lag,
                             corr_changes=float(r) if math.isfinite(r) else result.corr_changes,
                             verdict=_("leads {outcome} by {span} beyond what {before} already tell "
                                       "(conditional {p}, q = {q})", outcome=label(result.outcome),
                                       span=periods(lag, result.grain), before=before,
                                       p=format_p(p or 0.0), q=significant(q or 0.0)))
        out[metric] = _holdout_note(replace(result, leader_rank=rank + 1, conditional_p=p, conditional_q=q,
                                            holdout_skill=skill))
    for result in results:
        if result.metric in out:
            continue
        marginal_lag = result.best_lag
        twin = next((m for m, lg in leaders if lg == marginal_lag and _same(changes, m, result.metric)), None)
        if result.kind == "leading" and twin is not None:
            # The same series as a chosen leader (e.g. Active users and "Users who did X" when everyone
            # does X) is that leader under another name: the same verdict, not an echo of itself.
            out[result.metric] = replace(out[twin], metric=result.metric)
            continue
        if result.kind == "leading" and marginal_lag:
            lag = marginal_lag
            others = [(m, lg) for m, lg in leaders if m != result.metric]
            echo = _echo_of(changes, result.metric, lag, others)
            tested = _fit(*_design(changes, outcome, [*others, (result.metric, lag)]))
            p = tested[1] if tested else None
            skill = holdout_skill(changes, outcome, others, (result.metric, lag))
            result = replace(result, kind="echo", echo_of=echo, conditional_p=p, holdout_skill=skill,
                             verdict=_echo_verdict(result, label(echo), label(result.outcome), p))
        out[result.metric] = result
    return list(out.values())


def _same(changes: Mapping[str, pd.Series], first: str, second: str) -> bool:
    """Whether two metrics' changes are the same series (equal wherever either is known)."""
    if first not in changes or second not in changes:
        return False
    a, b = changes[first].astype(float), changes[second].astype(float)
    return bool(a.index.equals(b.index) and np.allclose(a.to_numpy(), b.to_numpy(), equal_nan=True))


def _echo_verdict(result: LeadResult, echo: str, outcome: str, p: float | None) -> str:
    """"moves with X; adds nothing beyond it for Revenue (alone r = 0.55; beyond X: p = 0.4)"."""
    if result.corr_changes is None:
        evidence = _("alone")
    elif p is None:
        evidence = _("alone r = {r}", r=format_r(result.corr_changes))
    else:
        evidence = _("alone r = {r}; beyond {echo}: {p}", r=format_r(result.corr_changes), echo=echo,
                     p=format_p(p))
    return _("moves with {echo}; adds nothing beyond it for {outcome} ({evidence})", echo=echo,
             outcome=outcome, evidence=evidence)


def _holdout_note(result: LeadResult) -> LeadResult:
    if result.kind != "leading" or result.holdout_skill is None:
        return result
    if result.holdout_skill > 0:
        return replace(result, holds_out=True)
    return replace(result, holds_out=False, verdict=_(NO_HOLDOUT[result.grain], verdict=result.verdict,
                                                          share=percent(HOLDOUT_FIT, 0)))
