"""User-level lift of each behaviour candidate on the outcome: the per-user counts from the events
(metrics/lift_counts.py) made into rates and a lift pooled over strata of prior activity (lift.py), and
the sentence a PM can repeat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from northstar.analysis.lead import LeadResult
from northstar.analysis.lift import Counts, Lift, user_lift
from northstar.i18n import N_, _, number
from northstar.metrics.lift_counts import Behaviour, applies, lift_counts, reached_by
from northstar.metrics.specs import MetricSpec
from northstar.store import Dataset, Store
from northstar.wording import periods

# Kinds whose lift is not evidence: built from the outcome's own events, or too short to rank.
SKIPPED_KINDS = ("part_of_outcome", "too_short")
# Whole sentences per (grain, what reaching the outcome means), marked for the catalog.
SENTENCES = {
    ("day", "money"): N_("Users who did {behaviour} on a day were {lift}× as likely to buy within {span} as "
                         "active users who did not (95% interval {low}–{high}; compared within light, "
                         "medium and heavy users)."),
    ("week", "money"): N_("Users who did {behaviour} in a week were {lift}× as likely to buy within {span} "
                          "as active users who did not (95% interval {low}–{high}; compared within light, "
                          "medium and heavy users)."),
    ("month", "money"): N_("Users who did {behaviour} in a month were {lift}× as likely to buy within "
                           "{span} as active users who did not (95% interval {low}–{high}; compared within "
                           "light, medium and heavy users)."),
    ("day", "active"): N_("Users who did {behaviour} on a day were {lift}× as likely to be active again "
                          "within {span} as active users who did not (95% interval {low}–{high}; compared "
                          "within light, medium and heavy users)."),
    ("week", "active"): N_("Users who did {behaviour} in a week were {lift}× as likely to be active again "
                           "within {span} as active users who did not (95% interval {low}–{high}; "
                           "compared within light, medium and heavy users)."),
    ("month", "active"): N_("Users who did {behaviour} in a month were {lift}× as likely to be active "
                            "again within {span} as active users who did not (95% interval {low}–{high}; "
                            "compared within light, medium and heavy users)."),
}


@dataclass(frozen=True)
class UserLift:
    """A behaviour's lift on the outcome, with what the sentence needs to say it."""

    metric: str
    behaviour: str  # the events that count as doing it, as people read them
    lag: int  # periods after the one the behaviour was done in
    grain: str
    reached: str  # "money" or "active"
    lift: Lift


def behaviours(candidates: Sequence[MetricSpec], outcome: MetricSpec,
               results: Sequence[LeadResult]) -> list[Behaviour]:
    """The candidates a user-level lift applies to, each waiting its best lag (at least 1 period)."""
    by_name = {r.metric: r for r in results}
    chosen = []
    for spec in candidates:
        result = by_name.get(spec.name)
        if result is None or result.kind in SKIPPED_KINDS or not applies(spec, outcome):
            continue
        chosen.append(Behaviour(spec.name, spec.events, max(result.best_lag or 1, 1)))
    return chosen


def user_lifts(store: Store, dataset: Dataset, candidates: Sequence[MetricSpec], outcome: MetricSpec,
               results: Sequence[LeadResult], grain: str) -> dict[str, UserLift]:
    """Each applicable candidate's user-level lift, from one query over the events."""
    chosen = behaviours(candidates, outcome, results)
    how = reached_by(outcome)
    if not chosen or how is None:
        return {}
    cells = lift_counts(store, dataset, chosen, outcome, grain)
    out = {}
    for b in chosen:
        strata = [Counts(c.did_reached, c.did_not_reached, c.not_did_reached, c.not_did_not_reached)
                  for c in cells.get(b.name, ())]
        if not strata:
            continue
        out[b.name] = UserLift(metric=b.name, behaviour=_(" or ").join(b.events), lag=b.lag, grain=grain,
                               reached=how, lift=user_lift(strata))
    return out


def lift_sentence(found: UserLift) -> str:
    """What a PM can repeat, in the current language."""
    lift = found.lift
    if lift.lift is None or lift.low is None or lift.high is None:
        return _("Too few users to compare those who did {behaviour} with those who did not.",
                 behaviour=found.behaviour)
    return _(SENTENCES[(found.grain, found.reached)], behaviour=found.behaviour, lift=number(lift.lift, 1),
             span=periods(found.lag, found.grain), low=number(lift.low, 1), high=number(lift.high, 1))


def lift_columns(lifts: Mapping[str, UserLift],
                 metric: str) -> tuple[float | None, float | None, float | None]:
    """user_lift, user_lift_low, user_lift_high for one candidate (Nones when it has none)."""
    found = lifts.get(metric)
    if found is None:
        return None, None, None
    return found.lift.lift, found.lift.low, found.lift.high
