"""What the data says about each candidate on the workshop's five criteria: a 1–5 evidence score and
the plain sentence behind it. Evidence, not a vote: people still score the candidates themselves.

Deterministic thresholds, per criterion (a score of None means the data cannot say):

- **critical**: the candidate's lead on the comparison's outcome. Leading, holding out on the last
  30% of periods and r ≥ 0.5 → 5; leading otherwise → 4, or 3 when the holdout failed; coincident or an
  echo of a stronger leader → 2; no reliable link, trend only, part of the outcome → 1; too short → None.
- **measurable**: coverage over the comparison's complete periods. A period has data when the value is
  present and not zero; a gap is a run of empty periods between its first and last value. Share of
  periods with data ≥ 95% and no gap → 5; ≥ 90% and the longest gap at most 1 period → 4; ≥ 75% → 3;
  ≥ 50% → 2; else 1. Then the share of the dataset's users the metric sees (users with one of its
  events): below 5% caps the score at 2, below 20% takes 1 off.
- **understandable**: the parts of its definition. Parts = its events (at least 1), plus 1 for a
  windowed or derived kind (LTV, MRR, retention). 1 part → 5, 2 → 4, 3–4 → 3, more → 2. A custom
  expression is 2 up to 60 characters, else 1: people must read SQL to know what it counts.
- **influenceable**: movement = std of its period-over-period changes ÷ |mean level| (the coefficient
  of variation of its changes); own = 1 − R² of a straight-line trend fitted to its levels. Movement
  below 0.5% → 1 (it barely moves). Else own ≥ 0.6 → 5, ≥ 0.4 → 4, ≥ 0.2 → 3, ≥ 0.1 → 2, else 1; with
  movement below 2% capped at 3. Fewer than 8 periods → None.
- **long-term**: a retention, returning-users or lifetime-value metric is long-term itself → 5.
  Otherwise its lead on the dataset's long-term outcome (the comparison's own outcome when that is
  one, else the first saved retention or LTV outcome), scored like *critical*; None without one.
  The long-term ranking reuses the comparison's series: one extra `rank_candidates`, no store query.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from northstar.analysis.compare import Comparison, full_periods, part_of_outcome, shown_name
from northstar.analysis.conditional import HOLDOUT_FIT
from northstar.analysis.lead import LeadResult
from northstar.analysis.ranking import rank_candidates
from northstar.analysis.verdicts import format_r, significant
from northstar.errors import NorthstarError
from northstar.i18n import _, ngettext, number, percent
from northstar.metrics import MetricSpec
from northstar.metrics.coverage import users_seen
from northstar.store import Dataset, Store
from northstar.vocab import GRAIN_INFO
from northstar.wording import periods

CRITERIA = ("critical", "measurable", "understandable", "influenceable", "long_term")
LONG_TERM_KINDS = ("retention", "returning_users", "ltv")
LONG_TERM_OUTCOME_KINDS = ("retention", "ltv")
STRONG_R = 0.5
MIN_LEVELS = 8  # periods with a value before a trend line says anything
CUSTOM_SHORT = 60


def _holdout_share() -> str:
    """The holdout: the periods after the first HOLDOUT_FIT of them, which the fit never saw."""
    return percent(1 - HOLDOUT_FIT, 0)


DERIVED_KINDS = ("ltv", "mrr", "retention")  # a window or a ratio on top of what they count


def definition_parts(spec: MetricSpec) -> int:
    """Parts to explain: its events (at least one), plus one for a windowed or derived kind."""
    return max(len(spec.events), 1) + (spec.kind in DERIVED_KINDS)


@dataclass(frozen=True)
class CriterionEvidence:
    """One criterion: the evidence score (1–5, None when the data cannot say) and its basis."""

    criterion: str
    score: int | None
    basis: str


@dataclass(frozen=True)
class Scorecard:
    """One candidate's evidence on the five criteria, in CRITERIA order."""

    metric: str
    criteria: tuple[CriterionEvidence, ...]

    def get(self, criterion: str) -> CriterionEvidence:
        return next(c for c in self.criteria if c.criterion == criterion)

    def score(self, criterion: str) -> int | None:
        return self.get(criterion).score

    def basis(self, criterion: str) -> str:
        return self.get(criterion).basis


def _q(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return _("q < {limit}", limit=number(0.001, 3)) if value < 0.001 else _("q = {q}", q=significant(value))


def lead_evidence(criterion: str, result: LeadResult | None, outcome: str,
                  labels: Mapping[str, str] | None = None) -> CriterionEvidence:
    """A lead on `outcome` (the name people see) as evidence: used by critical and long-term."""
    if result is None or result.kind == "too_short":
        return CriterionEvidence(criterion, None, _("Not enough data to test its lead on {outcome}.",
                                                    outcome=outcome))
    r = format_r(result.corr_changes) if result.corr_changes is not None else "–"
    if result.kind == "leading":
        stats = {"outcome": outcome, "span": periods(result.best_lag or 0, result.grain), "r": r,
                 "q": _q(result.q_value)}
        if result.holds_out:
            strong = result.corr_changes is not None and result.corr_changes >= STRONG_R
            skill = number(result.holdout_skill or 0.0, 2)
            return CriterionEvidence(criterion, 5 if strong else 4, _(
                "Leads {outcome} by {span} (r = {r}, {q}) and the lead holds out on the last {share} of "
                "periods (skill {skill}).", skill=skill, share=_holdout_share(), **stats))
        if result.holds_out is False:
            return CriterionEvidence(criterion, 3, _(
                "Leads {outcome} by {span} (r = {r}, {q}), but the lead does not hold out on the last "
                "{share} of periods.", share=_holdout_share(), **stats))
        return CriterionEvidence(criterion, 4, _("Leads {outcome} by {span} (r = {r}, {q}).", **stats))
    if result.kind == "echo":
        leader = (labels or {}).get(result.echo_of or "", result.echo_of or "")
        return CriterionEvidence(criterion, 2, _(
            "Moves with {leader}, a stronger leader of {outcome}, and adds nothing beyond it.",
            leader=leader, outcome=outcome))
    if result.kind == "coincident":
        return CriterionEvidence(criterion, 2, _(
            "Moves in step with {outcome} (r = {r}) but does not move first.", outcome=outcome, r=r))
    if result.kind == "part_of_outcome":
        return CriterionEvidence(criterion, 1, _(
            "Part of {outcome} itself: it rises the moment {outcome} does, so it cannot warn of it.",
            outcome=outcome))
    if result.kind == "vanity":
        return CriterionEvidence(criterion, 1, _(
            "Shares only the trend with {outcome}: its changes do not move with those of {outcome}.",
            outcome=outcome))
    if result.corr_changes is None:
        return CriterionEvidence(criterion, 1, _("No reliable link to {outcome}.", outcome=outcome))
    return CriterionEvidence(criterion, 1, _("No reliable link to {outcome} (r = {r}).",
                                             outcome=outcome, r=r))


def _longest_run(empty: np.ndarray) -> int:
    longest = run = 0
    for flag in empty:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return longest


def measurable(levels: pd.Series, grain: str, user_share: float | None = None) -> CriterionEvidence:
    """Coverage of `levels`, one value per period of the span (NaN or 0: no data that period)."""
    values = levels.to_numpy(dtype="float64")
    total = len(values)
    if not total:
        return CriterionEvidence("measurable", 1, _("No complete period to measure it in yet."))
    empty = ~np.isfinite(values) | (values == 0)
    seen = np.flatnonzero(~empty)
    # A gap is inside the metric's history: empty periods before its first value (retention's first
    # week has no returning users) or after its last (LTV's last 90 days are not over) are not gaps.
    gap = _longest_run(empty[seen[0]:seen[-1] + 1]) if len(seen) else total
    share = 1 - empty.sum() / total
    score = 5 if share >= 0.95 and gap == 0 else 4 if share >= 0.9 and gap <= 1 else \
        3 if share >= 0.75 else 2 if share >= 0.5 else 1
    gap_text = _("no gaps") if gap == 0 else _("longest gap {span}", span=periods(gap, grain))
    basis = _("Has data in {with_data} of {span} ({share}); {gap}.",
              with_data=number(int(total - empty.sum())), span=periods(total, grain),
              share=percent(share, 0), gap=gap_text)
    if user_share is not None:
        score = min(score, 2) if user_share < 0.05 else max(score - 1, 1) if user_share < 0.2 else score
        basis = _("{basis} It sees {users} of the dataset's users.", basis=basis,
                  users=percent(user_share, 0))
    return CriterionEvidence("measurable", score, basis)


def understandable(spec: MetricSpec) -> CriterionEvidence:
    """How many parts its plain definition has: fewer parts, easier to explain in one sentence."""
    definition = spec.definition()
    if spec.kind == "custom":
        length = len(spec.expression or "")
        return CriterionEvidence("understandable", 2 if length <= CUSTOM_SHORT else 1, _(
            "{definition} A custom expression of {chars} characters: people need it explained.",
            definition=definition, chars=number(length)))
    parts = definition_parts(spec)
    score = 5 if parts == 1 else 4 if parts == 2 else 3 if parts <= 4 else 2
    return CriterionEvidence("understandable", score, ngettext(
        "{definition} One part to explain.", "{definition} {n} parts to explain.", parts,
        definition=definition))


def influenceable(levels: pd.Series) -> CriterionEvidence:
    """How much it moves period to period, and how much of that is its own rather than the trend."""
    values = levels.to_numpy(dtype="float64")
    known = np.isfinite(values)
    changes = np.diff(values)
    changes = changes[np.isfinite(changes)]
    mean = float(np.mean(values[known])) if known.any() else math.nan
    if known.sum() < MIN_LEVELS or len(changes) < 2 or not mean:
        return CriterionEvidence("influenceable", None, _("Too few periods to tell how it moves."))
    movement = float(np.std(changes, ddof=1)) / abs(mean)
    x, y = np.arange(len(values), dtype="float64")[known], values[known]
    residual = y - np.polyval(np.polyfit(x, y, 1), x)
    spread = float(np.sum((y - y.mean()) ** 2))
    own = float(np.sum(residual ** 2)) / spread if spread else 0.0
    if movement < 0.005:
        score = 1
    else:
        score = 5 if own >= 0.6 else 4 if own >= 0.4 else 3 if own >= 0.2 else 2 if own >= 0.1 else 1
        score = min(score, 3) if movement < 0.02 else score
    return CriterionEvidence("influenceable", score, _(
        "It changes by {movement} of its level from one period to the next; {own} of its movement is its "
        "own rather than the trend.", movement=percent(movement, 1), own=percent(own, 0)))


def long_term_outcome(comparison: Comparison) -> MetricSpec | None:
    """The outcome that says "lasting value": the comparison's own when it is one, else the first
    retention or LTV outcome among its candidates, else the first retention or LTV metric."""
    if comparison.outcome.kind in LONG_TERM_OUTCOME_KINDS:
        return comparison.outcome
    kinds = [s for s in comparison.candidates if s.kind in LONG_TERM_OUTCOME_KINDS]
    return next((s for s in kinds if s.role == "outcome"), kinds[0] if kinds else None)


def long_term_results(comparison: Comparison, target: MetricSpec) -> dict[str, LeadResult]:
    """Every other candidate against `target`, on the comparison's own series (no store query)."""
    if target.name == comparison.outcome.name:
        return {r.metric: r for r in comparison.results}
    others = [s for s in comparison.candidates if s.name != target.name]
    names = {s.name for s in others} | {target.name}
    series = comparison.series[comparison.series["metric"].isin(names)]
    labels = {s.name: shown_name(comparison, s.name) for s in [*others, target]}
    try:
        found = rank_candidates(series, target.name, grain=comparison.grain, max_lag=comparison.max_lag,
                                part_of_outcome=[s.name for s in others if part_of_outcome(s, target)],
                                labels=labels)
    except NorthstarError:
        return {}
    return {r.metric: r for r in found}


def period_grid(comparison: Comparison) -> pd.DatetimeIndex:
    """Every period from the first to the last complete one of the comparison."""
    complete = comparison.series.loc[~comparison.series["partial"].astype(bool), "period"]
    if complete.empty:
        return pd.DatetimeIndex([])
    return pd.date_range(complete.min(), complete.max(), freq=GRAIN_INFO[comparison.grain].grid_freq)


def scorecards(comparison: Comparison, user_shares: Mapping[str, float] | None = None
               ) -> dict[str, Scorecard]:
    """Each candidate's five criteria, in ranking order."""
    grid = period_grid(comparison)
    labels = {s.name: shown_name(comparison, s.name) for s in comparison.candidates}
    outcome = shown_name(comparison, comparison.outcome.name)
    target = long_term_outcome(comparison)
    lasting = long_term_results(comparison, target) if target is not None else {}
    cards = {}
    for result in comparison.results:
        spec = comparison.spec(result.metric)
        levels = full_periods(comparison, result.metric)
        levels = levels[~levels.index.duplicated()].reindex(grid)
        if spec.kind in LONG_TERM_KINDS:
            long_term = CriterionEvidence("long_term", 5, _(
                "It measures lasting value itself: retention, returning users or lifetime value."))
        elif target is None:
            long_term = CriterionEvidence("long_term", None, _(
                "The dataset has no retention or lifetime-value outcome to test it against."))
        else:
            long_term = lead_evidence("long_term", lasting.get(result.metric),
                                      shown_name(comparison, target.name), labels)
        cards[result.metric] = Scorecard(result.metric, (
            lead_evidence("critical", result, outcome, labels),
            measurable(levels, comparison.grain, (user_shares or {}).get(result.metric)),
            understandable(spec),
            influenceable(levels),
            long_term,
        ))
    return cards


def evidence_scorecards(store: Store, dataset: Dataset, comparison: Comparison) -> dict[str, Scorecard]:
    """`scorecards` with the share of the dataset's users each candidate sees (one query per filter)."""
    return scorecards(comparison, users_seen(store, dataset, comparison.candidates))
