"""What the data says about workshop candidates and tree edges: lead verdicts, node figures, record inputs.

Plain functions over tidy series (no Streamlit), so the CLI's `report` builds the same decision record
as the Workshop page; the pages pass `state.metric_series` to get the cached series.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from northstar.analysis import Comparison, LeadResult, compare, lead_analysis, part_of_outcome, reworded
from northstar.analysis.turns import backtest, turns_sentence
from northstar.analysis.user_lift import lift_sentence, user_lifts
from northstar.errors import NorthstarError
from northstar.i18n import LANGUAGES, _, language, use_language
from northstar.metrics import (
    MetricSpec,
    complete_series,
    display_name,
    event_catalogue,
    latest_changes,
    own_name,
    saved_candidates,
)
from northstar.report.record import DecisionRecord, record_for_workshop
from northstar.store import Dataset, Store
from northstar.tree import MetricTree, NodeStatus, load_tree
from northstar.vocab import GRAIN_INFO, LINKED_KINDS
from northstar.wording import format_change, format_value, periods
from northstar.workshop import find_workshop

if TYPE_CHECKING:
    import plotly.graph_objects as go

log = logging.getLogger(__name__)


# Series of tidy `period, metric, value, partial` rows for some specs at a grain.
SeriesFn = Callable[[Store, Dataset, list[MetricSpec], str], pd.DataFrame]
# The Compare ranking of a dataset's candidates against an outcome (by name) at a grain.
CompareFn = Callable[[Store, Dataset, str, str], Comparison]
# Lags tried per grain: vocab.GRAIN_INFO's default_max_lag.
EVIDENCE_GRAIN = "week"
# Outcomes that are money: the evidence a workshop wants first is "does it lead revenue".
REVENUE_KINDS = ("revenue", "mrr", "ltv")


def compared(store: Store, dataset: Dataset, outcome: str, grain: str) -> Comparison:
    """The Compare page's ranking, uncached: what the CLI's record reads."""
    return compare(store, dataset, outcome, grain=grain)


def ranked_once(ranking: CompareFn = compared) -> CompareFn:
    """`ranking`, computed once per outcome and grain however many parts of one record ask for it."""
    kept: dict[tuple[str, str], Comparison] = {}

    def ranked(store: Store, dataset: Dataset, outcome: str, grain: str) -> Comparison:
        if (outcome, grain) not in kept:
            kept[outcome, grain] = ranking(store, dataset, outcome, grain)
        return kept[outcome, grain]

    return ranked


def evidence_outcome(specs: Sequence[MetricSpec]) -> MetricSpec | None:
    """The outcome candidates are tested against: the first revenue-like one, else the first outcome."""
    outcomes = [s for s in specs if s.role == "outcome"]
    return next((s for s in outcomes if s.kind in REVENUE_KINDS), outcomes[0] if outcomes else None)


def lead_between(frame: pd.DataFrame, metric: str, target: str, grain: str,
                 part_of_target: bool = False, target_label: str | None = None) -> LeadResult | None:
    """Does `metric` lead `target`? None when either has no values or they share no period. The
    verdict names the target by `target_label` (the name people see) when given."""
    candidate, outcome = complete_series(frame, metric), complete_series(frame, target)
    if candidate.dropna().empty or outcome.dropna().empty:
        return None
    try:
        return lead_analysis(candidate, outcome, metric=metric, outcome_name=target, grain=grain,
                             max_lag=GRAIN_INFO[grain].default_max_lag, part_of_outcome=part_of_target,
                             outcome_label=target_label)
    except NorthstarError as err:  # e.g. too few shared periods: the edge then says "not enough data"
        log.info("No lead test of %r on %r: %s", metric, target, err.one_line())
        return None


def lead_phrase(result: LeadResult | None) -> str:
    """Short edge label: "leads by 2 weeks", "moves in step", "no lead found", "not enough data"."""
    if result is None or result.kind == "too_short":
        return _("not enough data")
    if result.kind == "leading" and result.best_lag:
        return _("leads by {span}", span=periods(result.best_lag, result.grain))
    if result.kind == "coincident":
        return _("moves in step, no lead")
    if result.kind == "part_of_outcome":
        return _("part of it")
    return _("no lead found")


@dataclass(frozen=True)
class Evidence:
    """Each shortlisted candidate against the dataset's outcome, in shortlist order."""

    outcome: str
    results: Mapping[str, LeadResult | None]  # candidate → result (None: not computable)
    grain: str = EVIDENCE_GRAIN
    outcome_label: str | None = None  # the outcome's name as people see it
    # The catalog message behind the outcome's name when Northstar gave it, to say it in any language.
    outcome_own: tuple[str, Mapping[str, str]] | None = None
    # More sentences about a candidate (the chosen NSM), each in every language: key → language → text,
    # e.g. "user_lift" (its user-level lift) and "turns" (the backtest of turns).
    extras: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)

    def verdict(self, candidate: str) -> str:
        result = self.results.get(candidate)
        return result.verdict if result is not None else _("no series to compare with {outcome}",
                                                           outcome=self.outcome_label or self.outcome)

    def verdicts(self, candidate: str) -> dict[str, str]:
        """The verdict in every language Northstar speaks (a frozen record renders in any of them)."""
        result = self.results.get(candidate)
        said = {}
        for lang in LANGUAGES:
            with use_language(lang):
                label = _(self.outcome_own[0], **self.outcome_own[1]) if self.outcome_own else self.outcome
                said[lang] = reworded(result, label) if result is not None else _(
                    "no series to compare with {outcome}", outcome=label)
        return said

    def rows(self) -> list[dict[str, object]]:
        """Rows for the decision record's evidence table."""
        rows: list[dict[str, object]] = []
        for candidate, result in self.results.items():
            rows.append({"metric": candidate, "outcome": self.outcome, "verdict": self.verdict(candidate),
                         "verdict_i18n": self.verdicts(candidate),
                         # A lag is only a finding when the link is real.
                         "best_lag": result.best_lag if result and result.kind in LINKED_KINDS else None,
                         "corr_changes": round(result.corr_changes, 2)
                         if result and result.corr_changes is not None else None,
                         "p_value": result.p_value if result else None})
            for key, said in self.extras.get(candidate, {}).items():
                rows[-1][key] = said.get(language(), next(iter(said.values()), None))
                rows[-1][f"{key}_i18n"] = dict(said)
        return rows


def chosen_extras(store: Store, dataset: Dataset, spec: MetricSpec, outcome: MetricSpec, frame: pd.DataFrame,
                  result: LeadResult | None, grain: str,
                  ranked: Comparison | None = None) -> dict[str, dict[str, str]]:
    """The chosen NSM's user-level lift sentence (when it is a behaviour) and its backtest of turns, in
    every language; {} when neither can be said. A Compare ranking that holds the NSM (`ranked`)
    already has its lift; otherwise it is counted here."""
    extras: dict[str, dict[str, str]] = {}
    if ranked is not None and any(r.metric == spec.name for r in ranked.results):
        lifts = dict(ranked.lifts)
    else:
        try:
            lifts = user_lifts(store, dataset, [spec], outcome, [result], grain) if result is not None else {}
        except NorthstarError as err:  # the record stands without it
            log.info("No user-level lift for %r: %s", spec.name, err.one_line())
            lifts = {}
    candidate, target = complete_series(frame, spec.name), complete_series(frame, outcome.name)
    test = None
    if not candidate.dropna().empty and not target.dropna().empty:
        test = backtest(candidate, target, metric=spec.name, outcome_name=outcome.name, grain=grain,
                        max_lag=GRAIN_INFO[grain].default_max_lag)
    for lang in LANGUAGES:
        with use_language(lang):
            if spec.name in lifts:
                extras.setdefault("user_lift", {})[lang] = lift_sentence(lifts[spec.name])
            if test is not None:
                extras.setdefault("turns", {})[lang] = turns_sentence(test, display_name(spec),
                                                                      display_name(outcome))
    return extras


def workshop_evidence(store: Store, dataset: Dataset, candidates: Sequence[str], series: SeriesFn,
                      grain: str = EVIDENCE_GRAIN, chosen: str | None = None,
                      ranking: CompareFn = compared) -> Evidence | None:
    """Lead verdicts of the shortlisted candidates on the dataset's outcome; None without an outcome.
    The `chosen` one also gets its user-level lift and backtest of turns (Evidence.extras).

    A candidate the Compare ranking holds gets the ranking's verdict, so the Workshop says what
    Compare and the evidence scorecard say (false discoveries controlled over every candidate, a
    leader's echoes named); one it does not hold is tested on its own."""
    specs = {s.name: s for s in saved_candidates(store, dataset)}
    outcome = evidence_outcome(list(specs.values()))
    if outcome is None:
        return None
    known = [specs[c] for c in candidates if c in specs and c != outcome.name]
    frame = series(store, dataset, [*known, outcome], grain)
    label, events = display_name(outcome), tuple(event_catalogue(store, dataset)["event"])
    comparison: Comparison | None
    try:
        comparison = ranking(store, dataset, outcome.name, grain)
    except NorthstarError as err:  # e.g. too short to rank: each candidate is tested on its own
        log.info("No Compare ranking for the workshop's evidence: %s", err.one_line())
        comparison = None
    ranked = {r.metric: r for r in comparison.results} if comparison is not None else {}
    results = {
        c: ranked[c] if c in ranked else
        lead_between(frame, c, outcome.name, grain, part_of_outcome(specs[c], outcome, events), label)
        if c in specs and c != outcome.name else None for c in candidates}
    extras = {}
    if (chosen is not None and chosen in specs and chosen != outcome.name and chosen in results
            and (found := chosen_extras(store, dataset, specs[chosen], outcome, frame, results[chosen],
                                        grain, comparison))):
        extras[chosen] = found
    return Evidence(outcome.name, results, grain, label, own_name(outcome), extras)


def tree_statuses(store: Store, dataset: Dataset, tree: MetricTree, series: SeriesFn,
                  grain: str) -> tuple[dict[str, NodeStatus], pd.DataFrame]:
    """Each bound node's latest value, change (%) and lead on its parent; and the series behind them."""
    specs = {s.name: s for s in saved_candidates(store, dataset)}
    bound = list(dict.fromkeys(n.metric for n in tree.nodes if n.metric in specs))
    if not bound:
        return {}, pd.DataFrame(columns=["period", "metric", "value", "partial"])
    frame = series(store, dataset, [specs[name] for name in bound], grain)
    latest = latest_changes(frame).set_index("metric")
    statuses: dict[str, NodeStatus] = {}
    for node in tree.nodes:
        parent = tree.node(node.parent) if node.parent else None
        lead = None  # an edge with an unbound end has nothing to compare
        if parent is not None and node.metric in specs and parent.metric in specs:
            lead = (_("same metric as its parent") if node.metric == parent.metric
                    else lead_phrase(lead_between(frame, node.metric, parent.metric, grain)))
        value = change = value_text = change_text = None
        if node.metric is not None and node.metric in latest.index:
            row, kind = latest.loc[node.metric], specs[node.metric].kind
            value = None if pd.isna(row["latest"]) else float(row["latest"])
            change = None if pd.isna(row["change_pct"]) else float(row["change_pct"]) * 100
            value_text = format_value(row["latest"], kind)
            change_text = format_change(row["change"], row["change_pct"], kind) or None
        statuses[node.id] = NodeStatus(value, change, lead, value_text, change_text)
    return statuses, frame


def decision_record(store: Store, code: str, series: SeriesFn, grain: str = EVIDENCE_GRAIN,
                    ranking: CompareFn = compared) -> tuple[DecisionRecord, go.Figure | None]:
    """The locked workshop's record with the data behind it (evidence, tree figures) and the NSM's chart.

    Without its dataset (deleted since), the record keeps the scores and the decision only.
    """
    workshop = find_workshop(store, code)
    dataset = store.find(workshop.dataset) if workshop.dataset else None
    if dataset is None or workshop.decision is None:
        return record_for_workshop(store, code), None
    evidence = workshop_evidence(store, dataset, workshop.candidates, series, grain,
                                 chosen=workshop.decision.chosen, ranking=ranking)
    tree = load_tree(store, dataset.name)
    values = tree_statuses(store, dataset, tree, series, grain)[0] if tree else None
    record = record_for_workshop(store, code, evidence=evidence.rows() if evidence else (), tree=tree,
                                 tree_values=values)
    return record, nsm_chart(store, dataset, workshop.decision.chosen, series, grain)


def nsm_chart(store: Store, dataset: Dataset, metric: str, series: SeriesFn,
              grain: str = EVIDENCE_GRAIN) -> go.Figure | None:
    """The chosen NSM over time, or None when it is no longer a saved candidate of the dataset."""
    from northstar.charts import metric_line

    spec = next((s for s in saved_candidates(store, dataset) if s.name == metric), None)
    if spec is None:
        return None
    frame = series(store, dataset, [spec], grain)
    return metric_line(frame, _per(display_name(spec), grain))


def _per(metric: str, grain: str) -> str:
    """"Active users per week" in the current language."""
    if grain == "day":
        return _("{metric} per day", metric=metric)
    if grain == "month":
        return _("{metric} per month", metric=metric)
    return _("{metric} per week", metric=metric)
