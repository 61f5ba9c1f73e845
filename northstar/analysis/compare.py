"""Candidates against one outcome: which of them lead it, ranked, with the series the charts draw."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from northstar.analysis.lead import LeadResult
from northstar.analysis.ranking import rank_candidates, results_frame
from northstar.errors import NorthstarError
from northstar.metrics import MetricSpec, complete_series, compute, saved_candidates, suggestions
from northstar.store import Dataset, Store
from northstar.vocab import GRAIN_INFO, GRAINS, MAX_LAG_LIMIT
from northstar.wording import plural

KIND_LABELS = {"leading": "leading", "coincident": "coincident", "echo": "echo of a stronger leader",
               "part_of_outcome": "part of the outcome", "none": "no reliable link",
               "vanity": "vanity: trend only", "too_short": "not enough data"}


def part_of_outcome(candidate: MetricSpec, outcome: MetricSpec) -> bool:
    """Whether `candidate` is made of `outcome` itself rather than being evidence about it.

    The rule: the candidate counts only events the outcome also counts (it has an event filter, the
    outcome has one too, and every candidate event is among the outcome's), or it is the outcome's
    very definition under another name. "Users who did purchase" or Transactions on [purchase,
    subscription_payment] are part of Revenue on those events: they rise the moment revenue does, so
    they can't warn of it. An outcome over every event (retention, active users) owns no events in
    particular, so filtered candidates stay independent of it.
    """
    same = replace(candidate, name="", role="candidate", description="")
    if same == replace(outcome, name="", role="candidate", description=""):
        return True
    return bool(candidate.events and outcome.events and set(candidate.events) <= set(outcome.events))


@dataclass(frozen=True)
class Comparison:
    """Every candidate against one outcome: lead statistics best first, and the series behind them."""

    outcome: MetricSpec
    candidates: tuple[MetricSpec, ...]
    results: tuple[LeadResult, ...]  # best first
    ranking: pd.DataFrame  # results_frame + source, role, saved
    series: pd.DataFrame  # tidy period, metric, value, partial: candidates and the outcome
    grain: str
    max_lag: int

    def result(self, metric: str) -> LeadResult:
        return next(r for r in self.results if r.metric == metric)

    def spec(self, metric: str) -> MetricSpec:
        return next(s for s in self.candidates if s.name == metric)

    @property
    def unsaved(self) -> tuple[str, ...]:
        """Names of the suggestions not yet kept among the dataset's candidates."""
        unsaved = (self.ranking["source"] == "suggested") & ~self.ranking["saved"]
        return tuple(self.ranking.loc[unsaved, "metric"])


def _find(specs: Sequence[MetricSpec], name: str) -> MetricSpec | None:
    exact = next((s for s in specs if s.name == name), None)
    return exact or next((s for s in specs if s.name.lower() == name.strip().lower()), None)


def available_outcomes(specs: Sequence[MetricSpec]) -> list[str]:
    """Metric names in the order an outcome picker offers them: outcomes first, then the rest."""
    return [s.name for s in specs if s.role == "outcome"] + [s.name for s in specs if s.role != "outcome"]


def _check(grain: str, max_lag: int) -> None:
    if grain not in GRAINS:
        raise NorthstarError(f"Unknown grain {grain!r}", f"Use one of: {', '.join(GRAINS)}.")
    if isinstance(max_lag, bool) or not isinstance(max_lag, int) or not 1 <= max_lag <= MAX_LAG_LIMIT:
        raise NorthstarError(f"Max lag must be a whole number from 1 to {MAX_LAG_LIMIT}, not {max_lag!r}",
                             "It is how many periods ahead a candidate may lead; e.g. 12 for weeks.")


def compare(store: Store, dataset: Dataset, outcome: str, *, grain: str = "week", max_lag: int = 12,
            candidates: Sequence[MetricSpec] | None = None, include_suggestions: bool = True) -> Comparison:
    """Rank `candidates` (default: the dataset's saved ones) and, optionally, suggestions made from
    its frequent events as leading indicators of the metric named `outcome`.

    The outcome is looked up among the given candidates, then the saved ones; any role may serve.
    """
    _check(grain, max_lag)
    saved = saved_candidates(store, dataset)
    given = list(candidates) if candidates is not None else saved
    target = _find(given, outcome) or _find(saved, outcome)
    if target is None:
        known = [*given, *(s for s in saved if _find(given, s.name) is None)]
        outcomes = [s.name for s in known if s.role == "outcome"]
        others = [s.name for s in known if s.role != "outcome"]
        raise NorthstarError(
            f"Unknown outcome {outcome!r}",
            f"Available outcomes: {', '.join(outcomes) or 'none saved'}"
            + (f"; any other metric works too: {', '.join(others)}." if others else "."))
    specs = [s for s in given if s.name.lower() != target.name.lower()]
    if include_suggestions:
        specs += suggestions(store, dataset, [*given, target])
    series = compute(store, dataset, [*specs, target], grain)
    if not ((series["metric"] == target.name) & ~series["partial"]).any():
        raise NorthstarError(f"No complete {grain} in the data yet",
                             f"{dataset.name} covers only part of a {grain}; pick a finer grain or load a "
                             f"longer history.")
    inside = [s.name for s in specs if part_of_outcome(s, target)]
    results = rank_candidates(series, target.name, grain=grain, max_lag=max_lag, part_of_outcome=inside)
    ranking = results_frame(results)
    by_name = {s.name: s for s in specs}
    saved_names = {s.name for s in saved}
    ranking["source"] = [by_name[m].source for m in ranking["metric"]]
    ranking["role"] = [by_name[m].role for m in ranking["metric"]]
    ranking["saved"] = ranking["metric"].isin(saved_names)
    return Comparison(outcome=target, candidates=tuple(specs), results=tuple(results), ranking=ranking,
                      series=series, grain=grain, max_lag=max_lag)


def season_note(comparison: Comparison) -> str | None:
    """The sentence saying which series had a calendar cycle taken out, or None when none had."""
    adjusted = [r for r in comparison.results if r.deseasonalised]
    if not adjusted:
        return None
    cycle = adjusted[0].season
    outcome_too = any(comparison.outcome.name in r.deseasonalised for r in adjusted)
    candidates = sum(r.metric in r.deseasonalised for r in adjusted)
    outcome, total = comparison.outcome.name, len(comparison.results)
    if outcome_too:
        return (f"A {cycle} cycle was taken out of {outcome} and {candidates} of {total} candidates "
                f"before the lead statistics, so that a shared {cycle} rhythm is not mistaken for a lead. "
                "The charts show the data as recorded.")
    return (f"A {cycle} cycle was taken out of {candidates} of {total} candidates before the lead "
            f"statistics, so that a {cycle} rhythm is not mistaken for a lead. The charts show the data "
            "as recorded.")


def full_periods(comparison: Comparison, metric: str) -> pd.Series:
    """A metric's values by period, partial periods left out."""
    return complete_series(comparison.series, metric)


def indexed(values: pd.Series) -> pd.Series:
    """Values as an index, 100 = their mean, so metrics of any size share one axis."""
    mean = values.mean()
    return values / mean * 100 if mean and np.isfinite(mean) else values * np.nan


def lag_of(comparison: Comparison, metric: str) -> int:
    lag = comparison.result(metric).best_lag
    return lag if lag is not None else 0


def shifted(values: pd.Series, lag: int, grain: str) -> pd.Series:
    """The series moved `lag` periods later, so a leader's peaks sit over the outcome's."""
    if not lag:
        return values
    return values.set_axis(values.index + lag * pd.tseries.frequencies.to_offset(GRAIN_INFO[grain].grid_freq))


def kind_label(result: LeadResult) -> str:
    """The verdict's kind in a few words, for chart titles and pickers."""
    if result.kind == "leading" and result.best_lag:
        return f"leading by {plural(result.best_lag, result.grain)}"
    return KIND_LABELS[result.kind]


def lag_phrase(lag: int, grain: str) -> str:
    """When the candidate's value is taken, relative to the outcome's: "3 weeks earlier"."""
    return f"{plural(lag, grain)} earlier" if lag else f"same {grain}"


def _period_changes(comparison: Comparison, metric: str) -> pd.DataFrame:
    """First differences of candidate and outcome on every period of their common span, as the
    analysis takes them: a missing period leaves a gap rather than a change across two periods."""
    both = pd.concat({"candidate": full_periods(comparison, metric),
                      "outcome": full_periods(comparison, comparison.outcome.name)}, axis=1).dropna()
    if both.empty:
        return both
    grid = pd.date_range(both.index.min(), both.index.max(), freq=GRAIN_INFO[comparison.grain].grid_freq)
    return both.reindex(grid).diff()


def changes(comparison: Comparison, metric: str) -> pd.DataFrame:
    """Per period t: the candidate's change at t − best lag and the outcome's change at t."""
    diffs = _period_changes(comparison, metric)
    if diffs.empty:
        return pd.DataFrame(columns=["period", "candidate_change", "outcome_change"])
    frame = pd.DataFrame({"candidate_change": diffs["candidate"].shift(lag_of(comparison, metric)),
                          "outcome_change": diffs["outcome"]}).dropna()
    return frame.rename_axis("period").reset_index()


def pairs_per_lag(comparison: Comparison, metric: str) -> list[int]:
    """How many (candidate change, outcome change) pairs each lag 0..max_lag was computed on."""
    diffs = _period_changes(comparison, metric)
    if diffs.empty:
        return [0] * (comparison.max_lag + 1)
    return [int((diffs["candidate"].shift(lag).notna() & diffs["outcome"].notna()).sum())
            for lag in range(comparison.max_lag + 1)]


def chart_data(comparison: Comparison, metric: str) -> pd.DataFrame:
    """Everything the selected candidate's charts show, one row per period (the CSV download)."""
    lag, outcome = lag_of(comparison, metric), comparison.outcome.name
    candidate, target = full_periods(comparison, metric), full_periods(comparison, outcome)
    frame = pd.DataFrame({metric: candidate, outcome: target})
    frame[f"{metric} (index)"] = indexed(candidate)
    frame[f"{outcome} (index)"] = indexed(target)
    earlier = lag_phrase(lag, comparison.grain)
    frame[f"{metric}, {earlier} (index)"] = shifted(indexed(candidate), lag, comparison.grain)
    paired = changes(comparison, metric).set_index("period")
    frame[f"change in {metric}, {earlier}"] = paired["candidate_change"]
    frame[f"change in {outcome}"] = paired["outcome_change"]
    return frame.rename_axis("period").reset_index()

