"""Is a candidate metric a leading indicator of a business outcome? Lead/lag statistics on period series."""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.tools.sm_exceptions import InfeasibleTestError
from statsmodels.tsa.ar_model import AutoReg, ar_select_order
from statsmodels.tsa.stattools import acf, grangercausalitytests

from northstar.analysis.season import cycle_name, deseasonalise
from northstar.analysis.verdicts import classify, verdict
from northstar.errors import NorthstarError
from northstar.i18n import N_, _, ngettext
from northstar.vocab import GRAIN_INFO, GRAINS

log = logging.getLogger(__name__)

TRANSFORMS = ("diff", "log_diff", "detrend")
ACF_LAGS = 10
# Prewhitening needs this many unbroken periods of the candidate's changes to choose an AR filter.
MIN_PREWHITEN = 20
# A series whose periods are not on the grain's grid: the title and what to do, per grain.
PERIODS_OFF_GRID = {
    "day": (N_("periods don't line up as days"),
            N_("e.g. {period}; pass the grain the series were computed at, with periods at each day's "
               "start")),
    "week": (N_("periods don't line up as weeks"),
             N_("e.g. {period}; pass the grain the series were computed at, with periods at each week's "
                "start")),
    "month": (N_("periods don't line up as months"),
              N_("e.g. {period}; pass the grain the series were computed at, with periods at each month's "
                 "start")),
}
# Periods in the centred window that estimates how the size of a series' changes varies over time.
SCALE_WINDOW = 13
# A lag >= 1 only counts as a lead when its r is more than this many times |r| on the same period. A
# candidate that moves with the outcome in the same period shows a smaller echo of that at lag 1 (changes
# of levels with noise are autocorrelated), which alone called a count following the user base "leading"
# in 20% of comparisons with no leader among 20 candidates (benchmarks/analysis_accuracy.py null); true
# leaders there and in the daily and two-leader scenarios have |r0| well below half their lagged r.
SAME_PERIOD_FACTOR = 2.0


@dataclass(frozen=True)
class LeadResult:
    """One candidate against one outcome: the statistics, and what they mean."""

    metric: str
    outcome: str
    grain: str
    n_periods: int  # periods where both series have a value, partial periods excluded
    best_lag: int | None  # periods the candidate leads by (0 = same period); None without a positive r
    corr_changes: float | None  # Pearson r on the transformed series at best_lag
    spearman_changes: float | None
    corr_levels: float | None  # Pearson r on levels, lag 0
    p_value: float | None  # one-sided, widened for autocorrelated and growing changes, Šidák-corrected
    granger_p: float | None  # ssr F-test p that the candidate Granger-causes the outcome, at best_lag >= 1
    volatility: float | None  # std of the candidate's period-over-period changes / its mean level
    xcorr: tuple[float, ...]  # r on the transformed series for lags 0..max_lag (NaN where not computable)
    kind: str  # one of KIND_ORDER
    verdict: str
    # Benjamini-Hochberg q at best_lag over every candidate x lag of the comparison (rank_candidates),
    # or over this candidate's lags alone (lead_analysis on its own).
    q_value: float | None = None
    lag_p: tuple[float, ...] = ()  # one-sided p per lag 0..max_lag before any correction (NaN: not tested)
    part_of_outcome: bool = False
    transform: str = "diff"
    alpha: float = 0.05
    # The calendar cycle ("weekday", "month of year") taken out before the statistics, and of which
    # series (this candidate's name, the outcome's), when any had one.
    season: str | None = None
    deseasonalised: tuple[str, ...] = ()
    # r on the changes before prewhitening, lags 0..max_lag (what people see in the changes chart), and
    # the order of the AR filter (chosen by AIC on the candidate's changes) taken out of both series.
    xcorr_raw: tuple[float, ...] = ()
    ar_order: int = 0
    # The conditional ranking (conditional.py): place among the leaders chosen greedily (1 = strongest),
    # one-sided p and BH q of what it adds beyond the leaders before it, the stronger leader an echo moves
    # with, and the holdout skill (1 − forecast error with it / without it on the last 30% of periods).
    leader_rank: int | None = None
    conditional_p: float | None = None
    conditional_q: float | None = None
    echo_of: str | None = None
    holdout_skill: float | None = None
    holds_out: bool | None = None
    # The outcome's name as people see it (metrics.display_name), which the verdict names; None: `outcome`.
    outcome_label: str | None = None
    # The best lagged r was not more than SAME_PERIOD_FACTOR × |r| on the same period: the candidate moves
    # with the outcome rather than ahead of it, so it is tested at lag 0 (or, when the same-period r is
    # negative, given no lead at all).
    same_period_first: bool = False


def min_periods(max_lag: int) -> int:
    """Aligned periods needed before a verdict is more than a guess."""
    return 3 * max_lag + 10


def _as_float(values: pd.Series, name: str) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise NorthstarError(_("{name} is not a series", name=name),
                             _("pass a pandas Series indexed by period"))
    try:
        numbers = values.astype("float64")
    except (TypeError, ValueError) as exc:
        raise NorthstarError(_("{name} has non-numeric values", name=name),
                             _("{cause}; fix the metric definition", cause=exc)) from exc
    if isinstance(numbers.index, pd.PeriodIndex):
        numbers.index = numbers.index.to_timestamp()
    if not (isinstance(numbers.index, pd.DatetimeIndex) or pd.api.types.is_integer_dtype(numbers.index)):
        raise NorthstarError(_("{name} is not indexed by period", name=name),
                             _("index it by period start timestamps"))
    if not numbers.index.is_unique:
        raise NorthstarError(_("{name} has repeated periods", name=name), _("give each period one value"))
    return numbers


def _grid(index: pd.Index, grain: str) -> pd.Index:
    """Every period from first to last, so that a shift by k rows is a lag of k periods even over gaps."""
    if not isinstance(index, pd.DatetimeIndex):
        return pd.RangeIndex(index.min(), index.max() + 1)
    grid = pd.date_range(index.min(), index.max(), freq=GRAIN_INFO[grain].grid_freq)
    if not index.isin(grid).all():
        odd = index[~index.isin(grid)][0]
        title, detail = PERIODS_OFF_GRID[grain]
        raise NorthstarError(_(title), _(detail, period=odd))
    return grid


def _transform(values: pd.Series, how: str, name: str) -> pd.Series:
    if how == "diff":
        return values.diff()
    if how == "log_diff":
        if (values <= 0).any():
            raise NorthstarError(_("can't take logs of {name}", name=name), ngettext(
                "it is zero or negative in {n} period; use transform 'diff'",
                "it is zero or negative in {n} periods; use transform 'diff'", int((values <= 0).sum())))
        return np.log(values).diff()
    position = np.arange(len(values), dtype=float)
    known = values.notna().to_numpy()
    if known.sum() < 3:
        return values * np.nan
    fit = stats.linregress(position[known], values.to_numpy()[known])
    return values - (fit.intercept + fit.slope * position)


def _lagged(candidate: pd.Series, outcome: pd.Series, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate at t - lag against outcome at t, where both are known."""
    x, y = candidate.shift(lag).to_numpy(), outcome.to_numpy()
    known = np.isfinite(x) & np.isfinite(y)
    return x[known], y[known]


def _pearson_r(x: np.ndarray, y: np.ndarray) -> float:
    """NaN rather than scipy's warnings when r is undefined (too few pairs, a constant series)."""
    computable = len(x) >= 3 and np.ptp(x) > 0 and np.ptp(y) > 0
    if not computable:
        return math.nan
    # numpy's corrcoef, not scipy.pearsonr: the same r without pearsonr's per-call overhead, which was
    # a third of a comparison (this runs for every lag of every candidate, twice).
    return float(np.clip(np.corrcoef(x, y)[0, 1], -1.0, 1.0))


def _variance_inflation(candidate: pd.Series, outcome: pd.Series) -> float:
    """Bartlett's factor for the variance of a cross-correlation between two independent series.

    pearsonr assumes independent pairs; autocorrelated changes (over-differenced noise, slow drifts)
    make chance cross-correlations larger: on trend + white noise the plain test called 13% of unrelated
    pairs leading, on slowly drifting series 48% (tests/test_analysis.py). Never below 1, so that noise
    in the estimated autocorrelations can only make the test more careful, not less.
    """
    if candidate.notna().sum() < 3 or outcome.notna().sum() < 3:
        return 1.0
    nlags = max(1, min(ACF_LAGS, int(candidate.notna().sum()) // 4))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        a = acf(candidate.to_numpy(), nlags=nlags, missing="conservative")
        b = acf(outcome.to_numpy(), nlags=nlags, missing="conservative")
    inflation = 1 + 2 * np.nansum(a[1:] * b[1:])
    return float(inflation) if np.isfinite(inflation) and inflation > 1 else 1.0


def _local_variance(changes: pd.Series) -> np.ndarray:
    """Each known change's variance, from a centred rolling window; the edges take the nearest estimate."""
    variance = changes.rolling(SCALE_WINDOW, center=True, min_periods=SCALE_WINDOW // 2).var()
    return variance.bfill().ffill().where(changes.notna()).to_numpy()


def _heteroscedasticity(c_variance: np.ndarray, o_variance: np.ndarray, lag: int) -> float:
    """How much changes whose size grows in step in both series widen chance correlations.

    Under independence Var(Σxy) is Σ(vx·vy), not n times the product of the mean variances: when both
    series' changes grow with their level (counts and revenue of a growing product) a few late periods
    carry most of r. The factor n·Σ(vx·vy) / (Σvx·Σvy) is that ratio, 1 when either series keeps a steady
    size, never below 1. Without it 13-19% of trend-only counts of a growing product were called leading,
    with it 2% (benchmarks/analysis_accuracy.py). Relative or log changes instead did worse (8-42%): early
    small counts then swing most.
    """
    vx, vy = c_variance[: max(len(c_variance) - lag, 0)], o_variance[lag:]
    known = np.isfinite(vx) & np.isfinite(vy)
    vx, vy = vx[known], vy[known]
    if len(vx) < 3 or vx.sum() <= 0 or vy.sum() <= 0:
        return 1.0
    factor = len(vx) * float((vx * vy).sum()) / float(vx.sum() * vy.sum())
    return factor if np.isfinite(factor) and factor > 1 else 1.0


def _p_greater(r: float, n_effective: float) -> float:
    """One-sided p of r under no correlation: scipy.pearsonr's exact null, with an effective sample size."""
    shape = n_effective / 2 - 1
    if not math.isfinite(r) or shape <= 0:
        return math.nan
    return float(stats.beta.sf(r, shape, shape, loc=-1, scale=2))


def _lag_p(c: pd.Series, o: pd.Series, xcorr: tuple[float, ...], sizes: list[int],
           floor: float = 1.0) -> tuple[float, ...]:
    """One-sided p per lag (NaN where r could not be computed), widened for autocorrelated and
    growing changes (by at least `floor`), before any correction for the lags or candidates tried."""
    if not any(math.isfinite(r) for r in xcorr):
        return tuple(math.nan for _r in xcorr)
    inflation = max(_variance_inflation(c, o), floor)
    c_variance, o_variance = _local_variance(c), _local_variance(o)
    p_raw = []
    for lag, (r, n) in enumerate(zip(xcorr, sizes, strict=True)):
        n_effective = n / inflation / _heteroscedasticity(c_variance, o_variance, lag)
        p_raw.append(_p_greater(r, n_effective) if math.isfinite(r) else math.nan)
    return tuple(p_raw)


def _tested(lag_p: tuple[float, ...], xcorr: tuple[float, ...]) -> list[int]:
    return [lag for lag, r in enumerate(xcorr) if math.isfinite(r)]


def _corrected_p(lag_p: tuple[float, ...], xcorr: tuple[float, ...], best_lag: int) -> float | None:
    """p at the best lag, Šidák-corrected for every lag where r could be computed."""
    tried = _tested(lag_p, xcorr)
    if not math.isfinite(lag_p[best_lag]):
        return None
    # A lag too short to test still counts as tried.
    p_tried = [lag_p[lag] if math.isfinite(lag_p[lag]) else 1.0 for lag in tried]
    return float(multipletests(p_tried, method="sidak")[1][tried.index(best_lag)])


def family_q_values(results: list[LeadResult]) -> dict[str, float | None]:
    """Benjamini-Hochberg q at each result's best lag, over every lag of every result passed (the
    family of one comparison). Results without a best lag or a computable p get None."""
    family: list[tuple[str, int]] = []
    p_all: list[float] = []
    for result in results:
        for lag in _tested(result.lag_p, result.xcorr):
            family.append((result.metric, lag))
            p_all.append(result.lag_p[lag] if math.isfinite(result.lag_p[lag]) else 1.0)
    q_all = multipletests(p_all, method="fdr_bh")[1] if p_all else []
    q_of = dict(zip(family, (float(q) for q in q_all), strict=True))
    return {r.metric: q_of.get((r.metric, r.best_lag)) if r.best_lag is not None and r.p_value is not None
            else None for r in results}


def decide(result: LeadResult, q_value: float | None) -> LeadResult:
    """The result with `q_value` and the kind and verdict that follow from it."""
    needed = min_periods(len(result.xcorr) - 1)
    kind = classify(result.n_periods, needed, result.part_of_outcome, result.best_lag, result.p_value,
                    result.corr_changes, result.corr_levels, result.alpha, q_value)
    return replace(result, q_value=q_value, kind=kind, verdict=verdict(
        kind, outcome=result.outcome_label or result.outcome, grain=result.grain, transform=result.transform,
        n_periods=result.n_periods, needed=needed, best_lag=result.best_lag,
        corr_changes=result.corr_changes, p_value=result.p_value, corr_levels=result.corr_levels,
        alpha=result.alpha, q_value=q_value))


def reworded(result: LeadResult, outcome_label: str | None = None) -> str:
    """The verdict of a single lead test (lead_analysis) said again in the current language, naming the
    outcome `outcome_label` when given."""
    label = outcome_label if outcome_label is not None else result.outcome_label
    return decide(replace(result, outcome_label=label), result.q_value).verdict


def _longest_run(values: np.ndarray) -> np.ndarray:
    """The longest stretch of consecutive finite values."""
    known = np.isfinite(values)
    if not known.any():
        return values[:0]
    run_id = np.cumsum(~known)
    longest = np.bincount(run_id[known]).argmax()
    return values[known & (run_id == longest)]


def ar_filter(changes: pd.Series) -> tuple[float, ...]:
    """AR coefficients for lags 1..p of the candidate's changes, p chosen by AIC (statsmodels'
    ar_select_order, up to ACF_LAGS or a fifth of the stretch); () when white or too short."""
    stretch = _longest_run(changes.to_numpy(dtype=float))
    if len(stretch) < MIN_PREWHITEN or np.ptp(stretch) == 0:
        return ()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            chosen = ar_select_order(stretch, maxlag=max(1, min(ACF_LAGS, len(stretch) // 5)), ic="aic",
                                     trend="c")
            lags = chosen.ar_lags or []
            if not lags:
                return ()
            params = AutoReg(stretch, lags=max(lags), trend="c").fit().params[1:]
        except (ValueError, np.linalg.LinAlgError) as err:
            log.info("No AR filter: %s", err)
            return ()
    return tuple(float(c) for c in params) if np.isfinite(params).all() else ()


def prewhiten(series: pd.Series, coefficients: tuple[float, ...]) -> pd.Series:
    """e_t = x_t − Σ φ_k x_{t−k}: the filter applied; a gap leaves p missing values after it."""
    filtered = series.copy()
    for k, phi in enumerate(coefficients, start=1):
        filtered = filtered - phi * series.shift(k)
    return filtered


def _granger_p(candidate: pd.Series, outcome: pd.Series, lag: int) -> float | None:
    both = pd.concat([outcome, candidate], axis=1).to_numpy()
    known = np.isfinite(both).all(axis=1)
    # statsmodels takes no gaps, so use the longest unbroken stretch of periods.
    run_id = np.cumsum(~known)
    longest = np.bincount(run_id[known]).argmax() if known.any() else -1
    data = both[known & (run_id == longest)]
    if len(data) <= 3 * lag + 1:
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            tests = grangercausalitytests(data, [lag])
        except (ValueError, InfeasibleTestError, np.linalg.LinAlgError) as err:
            log.info("Granger test at lag %d not computable: %s", lag, err)
            return None
    p = float(tests[lag][0]["ssr_ftest"][1])
    return p if math.isfinite(p) else None


def _volatility(levels: pd.Series) -> float | None:
    changes = levels.diff().dropna()
    mean = levels.mean()
    if len(changes) < 2 or not mean:
        return None
    return float(changes.std() / abs(mean))


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def prepared_changes(levels: pd.Series, grain: str, transform: str, name: str) -> pd.Series:
    """A metric's changes as the lead statistics take them (calendar cycle out, then `transform`), on
    every period from its first to its last."""
    numbers = _as_float(levels, name).dropna()
    if numbers.empty:
        return numbers
    adjusted, _had = deseasonalise(numbers.reindex(_grid(numbers.index, grain)), grain)
    return _transform(adjusted, transform, name)


def check_options(grain: str, max_lag: int, transform: str, alpha: float) -> None:
    if grain not in GRAINS:
        raise NorthstarError(_("unknown grain '{grain}'", grain=grain),
                             _("use one of: {choices}", choices=", ".join(GRAINS)))
    if transform not in TRANSFORMS:
        raise NorthstarError(_("unknown transform '{transform}'", transform=transform),
                             _("use one of: {choices}", choices=", ".join(TRANSFORMS)))
    if isinstance(max_lag, bool) or not isinstance(max_lag, int) or max_lag < 0:
        raise NorthstarError(_("max lag must be a whole number >= 0, not {value}", value=repr(max_lag)),
                             _("e.g. 12 for weeks"))
    if not 0 < alpha < 1:
        raise NorthstarError(_("alpha must be between 0 and 1, not {value}", value=repr(alpha)),
                             _("the usual choice is 0.05"))


def same_period_rule(xcorr: tuple[float, ...], best_lag: int | None) -> tuple[int | None, bool]:
    """The best lag once a lead must clearly beat the same period, and whether the rule moved it.

    A lag >= 1 whose r is not more than SAME_PERIOD_FACTOR × |r at lag 0| is no lead: lag 0 takes its
    place when r at lag 0 is positive (the candidate may still be coincident), else there is no best lag.
    """
    if best_lag is None or best_lag == 0 or not math.isfinite(xcorr[0]):
        return best_lag, False
    if xcorr[best_lag] > SAME_PERIOD_FACTOR * abs(xcorr[0]):
        return best_lag, False
    return (0 if xcorr[0] > 0 else None), True


def lead_analysis(
    candidate: pd.Series, outcome: pd.Series, *, metric: str, outcome_name: str, grain: str = "week",
    max_lag: int = 12, part_of_outcome: bool = False, transform: str = "diff", alpha: float = 0.05,
    outcome_label: str | None = None,
) -> LeadResult:
    """How well changes in `candidate` anticipate changes in `outcome`, both indexed by period start.

    Pass series without partial periods (rank_candidates drops them). The best lag is the one with the
    largest positive r: a leading indicator is something to push up so that the outcome follows, so a
    negative link is no candidate for it, and looking at one sign only halves the chances of a noise hit.
    Its p-value is therefore one-sided, widened when both series' changes are autocorrelated or grow in
    step, and Šidák-corrected for the lags tried. "leading" and "coincident" also need r >= MIN_LINK_R.
    Spearman's r and the Granger test are reported, not required: as extra gates they lost real leaders
    (Spearman: the demo's in 2 of 20 seeds; Granger: 1 in 10 planted at lags 7-12) and spared few false
    calls once the p-value allows for growing changes.
    """
    check_options(grain, max_lag, transform, alpha)
    c_levels, o_levels = _as_float(candidate, metric).dropna(), _as_float(outcome, outcome_name).dropna()
    aligned = pd.concat({"c": c_levels, "o": o_levels}, axis=1, join="inner")
    n_periods = len(aligned)
    if not n_periods and len(c_levels) and len(o_levels):
        raise NorthstarError(
            _("{metric} and {outcome} have no period in common", metric=metric, outcome=outcome_name),
            _("compute both at the same grain over overlapping dates"),
        )
    if n_periods:
        aligned = aligned.reindex(_grid(aligned.index, grain))
    # Weekday (month-of-year) cycles out first: two metrics that both dip at weekends would otherwise
    # "lead" each other by 7, 14 or 21 days.
    c_levels_adjusted, c_cycle = deseasonalise(aligned["c"], grain)
    o_levels_adjusted, o_cycle = deseasonalise(aligned["o"], grain)
    deseasonalised = tuple(name for name, had in ((metric, c_cycle), (outcome_name, o_cycle)) if had)
    c = _transform(c_levels_adjusted, transform, metric)
    o = _transform(o_levels_adjusted, transform, outcome_name)

    # Prewhitening: the candidate's own AR structure filtered out of both series, so a slow drift in
    # it (which spreads any correlation over many lags) can neither move the best lag nor fake a lead.
    raw_pairs = [_lagged(c, o, lag) for lag in range(max_lag + 1)]
    xcorr_raw = tuple(_pearson_r(x, y) for x, y in raw_pairs)
    coefficients = ar_filter(c)
    c_white, o_white = prewhiten(c, coefficients), prewhiten(o, coefficients)
    pairs = [_lagged(c_white, o_white, lag) for lag in range(max_lag + 1)]
    xcorr = tuple(_pearson_r(x, y) for x, y in pairs)
    positive = [lag for lag, r in enumerate(xcorr) if r > 0]
    best_lag = max(positive, key=lambda lag: xcorr[lag]) if positive else None
    best_lag, same_period_first = same_period_rule(xcorr, best_lag)

    p_value = spearman = granger = None
    # An AR filter only approximates over-differenced noise (changes of trend + white noise), so the
    # widening is never below what the changes before the filter call for.
    lag_p = _lag_p(c_white, o_white, xcorr, [len(x) for x, _y in pairs], floor=_variance_inflation(c, o))
    if best_lag is not None:
        p_value = _corrected_p(lag_p, xcorr, best_lag)
        spearman = _finite(stats.spearmanr(*pairs[best_lag]).statistic)
        granger = _granger_p(c, o, best_lag) if best_lag >= 1 else None
    known = aligned.dropna()
    corr_levels = _finite(_pearson_r(known["c"].to_numpy(), known["o"].to_numpy()))
    corr_changes = _finite(xcorr[best_lag]) if best_lag is not None else None
    result = LeadResult(
        metric=metric, outcome=outcome_name, grain=grain, n_periods=n_periods, best_lag=best_lag,
        corr_changes=corr_changes, spearman_changes=spearman, corr_levels=corr_levels, p_value=p_value,
        granger_p=granger, volatility=_volatility(aligned["c"]), xcorr=xcorr, kind="none", verdict="",
        lag_p=lag_p, part_of_outcome=part_of_outcome, transform=transform, alpha=alpha,
        season=cycle_name(grain) if deseasonalised else None, deseasonalised=deseasonalised,
        xcorr_raw=xcorr_raw, ar_order=len(coefficients), outcome_label=outcome_label,
        same_period_first=same_period_first,
    )
    # A metric made of the outcome's events is no test of a lead: it gets no q.
    return decide(result, None if part_of_outcome else family_q_values([result])[metric])
