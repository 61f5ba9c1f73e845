"""Every candidate metric against one outcome, best first: the ranking the CLI and pages show."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

import pandas as pd

from northstar.analysis.conditional import condition
from northstar.analysis.lead import (
    LeadResult,
    check_options,
    decide,
    family_q_values,
    lead_analysis,
    prepared_changes,
)
from northstar.errors import NorthstarError
from northstar.i18n import _
from northstar.vocab import KIND_ORDER


def rank_key(result: LeadResult) -> tuple:
    """Kind first (KIND_ORDER), then the order leaders were chosen in, then stronger r on changes, then
    smaller p, then name for a stable order."""
    r = result.corr_changes if result.corr_changes is not None else -math.inf
    p = result.p_value if result.p_value is not None else math.inf
    chosen = result.leader_rank if result.leader_rank is not None else math.inf
    return KIND_ORDER.index(result.kind), chosen, -r, p, result.metric


def rank_candidates(
    series: pd.DataFrame, outcome: str, *, grain: str = "week", max_lag: int = 12,
    part_of_outcome: Collection[str] = (), transform: str = "diff", alpha: float = 0.05,
    labels: Mapping[str, str] | None = None,
) -> list[LeadResult]:
    """Every metric in a tidy `period, metric, value[, partial]` frame against `outcome`, best first.

    Order: leading (strongest r on changes first, then lower p), coincident, part of the outcome, none,
    vanity, too short. Rows flagged partial are left out. Verdicts name metrics by `labels` (name → the
    name people see, e.g. metrics.display_names) where given, else by their names.
    """
    check_options(grain, max_lag, transform, alpha)
    missing = {"period", "metric", "value"} - set(series.columns)
    if missing:
        lacking = ", ".join(sorted(missing))
        raise NorthstarError(_("the series lack columns {columns}", columns=lacking),
                             _("expected period, metric, value"))
    if "partial" in series.columns:
        series = series[~series["partial"].fillna(False).astype(bool)]
    names = list(dict.fromkeys(series["metric"]))
    have = (_("the series have: {names}", names=", ".join(names)) if names
            else _("the series have: no metrics"))
    if outcome not in names:
        raise NorthstarError(_("unknown outcome '{outcome}'", outcome=outcome), have)
    unknown = sorted(set(part_of_outcome) - set(names))
    if unknown:
        raise NorthstarError(_("unknown metric in part_of_outcome: {names}", names=", ".join(unknown)), have)
    if series.duplicated(["period", "metric"]).any():
        raise NorthstarError(_("a metric has two values for one period"),
                             _("give each period and metric one row"))
    wide = series.pivot(index="period", columns="metric", values="value")
    results = [
        lead_analysis(
            wide[name], wide[outcome], metric=name, outcome_name=outcome, grain=grain, max_lag=max_lag,
            part_of_outcome=name in part_of_outcome, transform=transform, alpha=alpha,
            outcome_label=(labels or {}).get(outcome),
        )
        for name in names
        if name != outcome
    ]
    results = sorted(control_false_discoveries(results), key=rank_key)
    changes = {name: prepared_changes(wide[name], grain, transform, name) for name in names}
    target = changes.pop(outcome)
    return sorted(condition(results, changes, target, max_lag, alpha, labels), key=rank_key)


def control_false_discoveries(results: list[LeadResult]) -> list[LeadResult]:
    """Each result decided again on its Benjamini-Hochberg q over every candidate x lag of the
    comparison: with 20 candidates x 13 lags, some raw p below 0.05 are expected from noise alone.
    Metrics made of the outcome's events are not tested, so they stay out of the family."""
    tested = [r for r in results if not r.part_of_outcome]
    q_values = family_q_values(tested)
    return [decide(r, q_values[r.metric]) if not r.part_of_outcome else r for r in results]


COLUMNS = [
    "metric", "kind", "best_lag", "corr_changes", "spearman_changes", "corr_levels", "p_value", "q_value",
    "granger_p", "conditional_p", "conditional_q", "echo_of", "holdout_skill", "holds_out", "volatility",
    "n_periods", "outcome", "grain", "verdict",
]


def results_frame(results: list[LeadResult]) -> pd.DataFrame:
    """One row per candidate, best first, in the columns the CLI and pages show."""
    rows = [{name: getattr(result, name) for name in COLUMNS} for result in sorted(results, key=rank_key)]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["best_lag"] = frame["best_lag"].astype("Int64")
    return frame
