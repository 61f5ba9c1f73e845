"""Candidates against one outcome: which of them lead it, ranked, with the series the charts draw."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from northstar.analysis.lags import MaxLag, default_max_lag
from northstar.analysis.lead import LeadResult
from northstar.analysis.ranking import rank_candidates, results_frame
from northstar.analysis.turns import TurnBacktest, backtest, turns_sentence
from northstar.analysis.user_lift import UserLift, user_lifts
from northstar.errors import NorthstarError
from northstar.i18n import N_, _
from northstar.metrics import (
    MetricSpec,
    complete_series,
    compute,
    display_name,
    display_names,
    event_catalogue,
    saved_candidates,
    suggestions,
)
from northstar.store import Dataset, Store
from northstar.vocab import GRAIN_INFO, GRAINS, MAX_LAG_LIMIT
from northstar.wording import periods

log = logging.getLogger(__name__)

KIND_LABELS = {"leading": N_("leading"), "coincident": N_("coincident"),
               "echo": N_("echo of a stronger leader"), "part_of_outcome": N_("part of the outcome"),
               "none": N_("no reliable link"),
               "vanity": N_("vanity: trend only"), "too_short": N_("not enough data")}
NO_COMPLETE = {"day": (N_("No complete day in the data yet"),
                       N_("{dataset} covers only part of a day; load a longer history.")),
               "week": (N_("No complete week in the data yet"),
                        N_("{dataset} covers only part of a week; pick a finer grain or load a longer "
                           "history.")),
               "month": (N_("No complete month in the data yet"),
                         N_("{dataset} covers only part of a month; pick a finer grain or load a longer "
                            "history."))}
SAME = {"day": N_("same day"), "week": N_("same week"), "month": N_("same month")}


def part_of_outcome(candidate: MetricSpec, outcome: MetricSpec, events: Collection[str] = ()) -> bool:
    """Whether `candidate` is made of `outcome` itself rather than being evidence about it.

    The rule: the candidate counts only events the outcome also counts (the outcome has an event filter,
    and every event the candidate counts is among the outcome's), or it is the outcome's very definition
    under another name. "Users who did purchase" or Transactions on [purchase, subscription_payment] are
    part of Revenue on those events: they rise the moment revenue does, so they can't warn of it. A
    candidate without a filter counts every event of the dataset (`events`): when those are all the
    outcome's (a transactions export, one event named after the file), Active users is the buyers, as
    much part of Revenue as "Users who did orders", whose series it equals. An outcome over every event
    (retention, active users) owns no events in particular, so candidates stay independent of it.
    """
    same = replace(candidate, name="", role="candidate", description="")
    if same == replace(outcome, name="", role="candidate", description=""):
        return True
    counted = set(candidate.events) or set(events)
    return bool(counted and outcome.events and counted <= set(outcome.events))


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
    lag_choice: MaxLag | None = None  # how the max lag was chosen when none was asked for
    # User-level lift of the behaviour candidates ("users who did X"), by metric; others have none.
    lifts: Mapping[str, UserLift] = field(default_factory=dict)

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


def _check(grain: str, max_lag: int | None) -> int:
    if grain not in GRAINS:
        raise NorthstarError(_("Unknown grain {grain}", grain=repr(grain)),
                             _("Use one of: {choices}.", choices=", ".join(GRAINS)))
    if isinstance(max_lag, bool) or not isinstance(max_lag, int) or not 1 <= max_lag <= MAX_LAG_LIMIT:
        raise NorthstarError(_("Max lag must be a whole number from 1 to {limit}, not {value}",
                               limit=MAX_LAG_LIMIT, value=repr(max_lag)),
                             _("It is how many periods ahead a candidate may lead; e.g. 12 for weeks."))
    return max_lag


def compare(store: Store, dataset: Dataset, outcome: str, *, grain: str = "week", max_lag: int | None = None,
            candidates: Sequence[MetricSpec] | None = None, include_suggestions: bool = True) -> Comparison:
    """Rank `candidates` (default: the dataset's saved ones) and, optionally, suggestions made from
    its frequent events as leading indicators of the metric named `outcome`.

    The outcome is looked up among the given candidates, then the saved ones; any role may serve.
    Without `max_lag`, the grain's default is tried, or a quarter of the history when that is less.
    """
    lag_choice = default_max_lag(dataset, grain) if max_lag is None and grain in GRAINS else None
    max_lag = _check(grain, lag_choice.value if lag_choice is not None else max_lag)
    saved = saved_candidates(store, dataset)
    given = list(candidates) if candidates is not None else saved
    target = _find(given, outcome) or _find(saved, outcome)
    if target is None:
        known = [*given, *(s for s in saved if _find(given, s.name) is None)]
        outcomes = [s.name for s in known if s.role == "outcome"]
        others = [s.name for s in known if s.role != "outcome"]
        raise NorthstarError(
            _("Unknown outcome {name}", name=repr(outcome)),
            _("Available outcomes: {outcomes}; any other metric works too: {others}.",
              outcomes=", ".join(outcomes) or _("none saved"), others=", ".join(others)) if others
            else _("Available outcomes: {outcomes}.", outcomes=", ".join(outcomes) or _("none saved")))
    specs = [s for s in given if s.name.lower() != target.name.lower()]
    if include_suggestions:
        specs += suggestions(store, dataset, [*given, target])
    series = compute(store, dataset, [*specs, target], grain)
    if not ((series["metric"] == target.name) & ~series["partial"]).any():
        title, detail = NO_COMPLETE[grain]
        raise NorthstarError(_(title), _(detail, dataset=dataset.name))
    events = tuple(event_catalogue(store, dataset)["event"])
    inside = [s.name for s in specs if part_of_outcome(s, target, events)]
    results = rank_candidates(series, target.name, grain=grain, max_lag=max_lag, part_of_outcome=inside,
                              labels=display_names([*specs, target]))
    ranking = results_frame(results)
    by_name = {s.name: s for s in specs}
    saved_names = {s.name for s in saved}
    ranking["source"] = [by_name[m].source for m in ranking["metric"]]
    ranking["role"] = [by_name[m].role for m in ranking["metric"]]
    ranking["saved"] = ranking["metric"].isin(saved_names)
    try:
        lifts = user_lifts(store, dataset, specs, target, results, grain)
    except NorthstarError as err:  # the lead statistics stand without it
        log.warning("No user-level lift: %s", err)
        lifts = {}
    return Comparison(outcome=target, candidates=tuple(specs), results=tuple(results), ranking=ranking,
                      series=series, grain=grain, max_lag=max_lag, lag_choice=lag_choice, lifts=lifts)


def season_note(comparison: Comparison) -> str | None:
    """The sentence saying which series had a calendar cycle taken out, or None when none had."""
    adjusted = [r for r in comparison.results if r.deseasonalised]
    if not adjusted:
        return None
    outcome_too = any(comparison.outcome.name in r.deseasonalised for r in adjusted)
    fields = {"outcome": display_name(comparison.outcome), "total": len(comparison.results),
              "candidates": sum(r.metric in r.deseasonalised for r in adjusted)}
    monthly = adjusted[0].season == "month of year"
    if outcome_too and monthly:
        return _("A month-of-year cycle was taken out of {outcome} and {candidates} of {total} candidates "
                 "before the lead statistics, so that a shared yearly rhythm is not mistaken for a lead. "
                 "The charts show the data as recorded.", **fields)
    if outcome_too:
        return _("A weekday cycle was taken out of {outcome} and {candidates} of {total} candidates before "
                 "the lead statistics, so that a shared weekday rhythm is not mistaken for a lead. The "
                 "charts show the data as recorded.", **fields)
    if monthly:
        return _("A month-of-year cycle was taken out of {candidates} of {total} candidates before the lead "
                 "statistics, so that a yearly rhythm is not mistaken for a lead. The charts show the data "
                 "as recorded.", **fields)
    return _("A weekday cycle was taken out of {candidates} of {total} candidates before the lead "
             "statistics, so that a weekday rhythm is not mistaken for a lead. The charts show the data as "
             "recorded.", **fields)


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
        return _("leading by {span}", span=periods(result.best_lag, result.grain))
    return _(KIND_LABELS[result.kind])


def lag_phrase(lag: int, grain: str) -> str:
    """When the candidate's value is taken, relative to the outcome's: "3 weeks earlier"."""
    return _("{span} earlier", span=periods(lag, grain)) if lag else _(SAME[grain])


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
    frame[_("{metric} (index)", metric=metric)] = indexed(candidate)
    frame[_("{metric} (index)", metric=outcome)] = indexed(target)
    earlier = lag_phrase(lag, comparison.grain)
    frame[_("{metric}, {earlier} (index)", metric=metric, earlier=earlier)] = shifted(
        indexed(candidate), lag, comparison.grain)
    paired = changes(comparison, metric).set_index("period")
    frame[_("change in {metric}, {earlier}", metric=metric, earlier=earlier)] = paired["candidate_change"]
    frame[_("change in {metric}", metric=outcome)] = paired["outcome_change"]
    return frame.rename_axis(_("period")).reset_index()



def shown_name(comparison: Comparison, metric: str) -> str:
    """The name people see for a candidate or the outcome: Northstar's own names in their language."""
    if metric == comparison.outcome.name:
        return display_name(comparison.outcome)
    spec = next((s for s in comparison.candidates if s.name == metric), None)
    return display_name(spec) if spec is not None else metric


def turns_of(comparison: Comparison, metric: str) -> TurnBacktest:
    """The backtest of turns of one candidate against the outcome, on complete periods."""
    return backtest(full_periods(comparison, metric), full_periods(comparison, comparison.outcome.name),
                    metric=metric, outcome_name=comparison.outcome.name, grain=comparison.grain,
                    max_lag=comparison.max_lag)


def turns_summary(comparison: Comparison, metric: str) -> str:
    """The backtest of turns in one sentence, naming both as people see them."""
    return turns_sentence(turns_of(comparison, metric), shown_name(comparison, metric),
                          shown_name(comparison, comparison.outcome.name))
